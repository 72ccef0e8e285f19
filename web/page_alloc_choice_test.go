package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// The allocation form starts on a fund that may give to the need, with
// the amount it may give; a fund whose restrictions exclude the need is
// listed but cannot be chosen, with the reason.
func TestTheAllocationFormStartsOnAFundThatMayGive(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		wtok, _ := env.user(kernel.RoleSocialWorker, nil)
		vtok, _ := env.user(kernel.RoleVerifier, nil)
		needID := env.createNeed(wtok, needBody())
		env.clearAndPublish(needID, wtok, vtok)
		env.advance(121 * time.Hour)
		stok, staff := env.user(kernel.RoleFederationStaff, nil)
		fund := func(name, category string) string {
			r := env.do("POST", "/api/v1/funds", stok, map[string]any{"name": name, "namer": "某公司", "purpose": "救助",
				"restrictions": map[string]any{"categories": []string{category}}})
			if r.Status != http.StatusCreated {
				t.Fatalf("fund: %d %s", r.Status, r.Body)
			}
			return r.JSON(t)["id"].(string)
		}
		// Created first, so listed first by creation order.
		fund("金秋助学基金", "education")
		medical := fund("春晖助医基金", "medical")
		_, donorP := env.user(kernel.RoleDonor, nil)
		donor := newBrowser(env)
		donor.login(donorP)
		sb := newBrowser(env)
		sb.login(staff)
		page := donor.do(http.MethodGet, "/funds/"+medical, nil).Body.String()
		r := donor.form("/pledge", url.Values{"idempotency_key": {formKey(t, page)}, "target_type": {"fund"}, "target_id": {medical}, "amount": {"800"}})
		if r.Code != http.StatusSeeOther {
			t.Fatalf("pledge: %d", r.Code)
		}
		if r := sb.form("/staff/pledges/"+strings.TrimPrefix(r.Header().Get("Location"), "/my/pledges/")+"/confirm", url.Values{}); r.Code != http.StatusSeeOther {
			t.Fatalf("confirm: %d", r.Code)
		}
		staffPage := sb.do(http.MethodGet, "/staff/money/"+needID, nil).Body.String()
		opts := regexp.MustCompile(`<option value="(fund|project):[^"]*"( disabled)?>([^<]*)</option>`).FindAllStringSubmatch(staffPage, -1)
		if len(opts) != 2 {
			t.Fatalf("the form offers %d funds, want 2", len(opts))
		}
		if opts[0][2] != "" || !strings.Contains(opts[0][3], "春晖助医基金") || !strings.Contains(opts[0][3], "¥800.00") {
			t.Errorf("the form starts on %q (disabled %q), want the medical fund with what it may give", opts[0][3], opts[0][2])
		}
		if opts[1][2] == "" || !strings.Contains(opts[1][3], "金秋助学基金") || !strings.Contains(opts[1][3], "类别") {
			t.Errorf("the education fund is offered as %q (disabled %q), want it disabled with the reason", opts[1][3], opts[1][2])
		}
		if !strings.Contains(staffPage, `name="amount" inputmode="decimal" required value="800.00"`) {
			t.Error("the amount does not start at what the fund may give")
		}
	})
}
