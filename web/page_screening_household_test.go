package web

import (
	"strings"
	"testing"

	"github.com/nicksnyder/go-i18n/v2/i18n"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/matching/screening"
)

// TestCheckMessageNamesTheMemberByRole: payments counted for the household
// under another member read "户主名下的低保金 ¥900.00" (and in English),
// naming the member by role only.
func TestCheckMessageNamesTheMemberByRole(t *testing.T) {
	ps, err := newPages()
	if err != nil {
		t.Fatal(err)
	}
	x := screening.Explanation{Key: "check_household_payments", Fen: map[string]int64{}, Count: 2, Household: []screening.MemberPayment{
		{Member: kernel.RoleHead, Programme: kernel.ProgDibao, Fen: 90_000},
		{Member: kernel.RoleSpouse, Programme: kernel.ProgTemporary, Fen: 50_000},
	}}
	for lang, want := range map[string][]string{
		"zh": {"户主名下的低保金 ¥900.00", "配偶名下的临时救助 ¥500.00"},
		"en": {"Minimum living allowance ¥900.00 under the household head", "Temporary relief ¥500.00 under the spouse"},
	} {
		p := &page{Lang: lang, loc: i18n.NewLocalizer(ps.bundle, lang), div: ps.div}
		got := p.CheckMessage(x)
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q lacks %q", lang, got, w)
			}
		}
		if strings.Contains(got, "{{") || strings.Contains(got, "no value") || strings.Contains(got, "household_") {
			t.Errorf("%s: unrendered message %q", lang, got)
		}
	}
}
