package gormstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/marketplace/gormstore/needfixture"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// fakeScreener answers a fixed result for every need.
type fakeScreener struct{ result kernel.ScreeningOutcome }

func (s fakeScreener) Screen(ctx context.Context, need string, st kernel.ScreeningStage, amt int64) (*kernel.Screening, error) {
	return &kernel.Screening{NeedID: need, Stage: st, Result: s.result, AmountFen: amt,
		Checks: []kernel.ScreeningCheck{{Rule: kernel.RuleCrossCharityDuplicate, Result: s.result, Message: "test"}}}, nil
}

// reasons returns the ineligibility codes of err.
func reasons(err error) []string {
	var ie *funds.IneligibleError
	if !errors.As(err, &ie) {
		return nil
	}
	var out []string
	for _, r := range ie.Reasons {
		out = append(out, r.Code)
	}
	return out
}

func hasReason(err error, code string) bool {
	for _, c := range reasons(err) {
		if c == code {
			return true
		}
	}
	return false
}

func TestMoneyIsRefusedWhereItMustNotGo(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		fund := f.fund(kernel.Restrictions{Categories: []kernel.Category{"medical"}, RegionPrefixes: []string{"3717"},
			HouseholdTypes: []kernel.HouseholdType{"dibao"}, PerNeedCapFen: 50_000})
		f.donate(funds.TargetFund, fund.PublicID, 1_000_000)
		future := start.Add(48 * time.Hour)
		open := f.need(needSpec{HouseholdTypes: "dibao,orphan"})
		education := f.need(needSpec{Category: "education", HouseholdTypes: "dibao"})
		elsewhere := f.need(needSpec{Region: "430524001", HouseholdTypes: "dibao"})
		notDibao := f.need(needSpec{HouseholdTypes: "orphan"})
		cleared := f.need(needSpec{Status: kernel.NeedCleared, HouseholdTypes: "dibao"})
		inNotice := f.need(needSpec{Status: kernel.NeedNotice, NoticeEndsAt: &future, HouseholdTypes: "dibao"})
		blocked := f.need(needSpec{HouseholdTypes: "dibao", Screening: kernel.ScreenBlock})
		emergency := f.need(needSpec{Status: kernel.NeedOpen, Emergency: true, HouseholdTypes: "dibao"})
		otherStaff := f.user(kernel.RoleFederationStaff, f.other)
		donor := f.user(kernel.RoleDonor, nil)

		cases := []struct {
			name   string
			by     *kernel.Principal
			need   string
			amount int64
			check  func(error) bool
		}{
			{"negative amount", f.staff, open, -100, isValidation},
			{"zero amount", f.staff, open, 0, isValidation},
			{"overflowing amount", f.staff, open, 1 << 62, isValidation},
			{"above the per-need cap", f.staff, open, 50_001, func(e error) bool { return hasReason(e, "over_max") }},
			{"category outside the restrictions", f.staff, education, 100, func(e error) bool { return hasReason(e, kernel.FailCategory) }},
			{"region outside the restrictions", f.staff, elsewhere, 100, func(e error) bool { return hasReason(e, kernel.FailRegion) }},
			{"household type outside the restrictions", f.staff, notDibao, 100, func(e error) bool { return hasReason(e, kernel.FailHouseholdType) }},
			{"need not yet open after clearance", f.staff, cleared, 100, func(e error) bool { return hasReason(e, kernel.FailStatus) }},
			{"need still in public notice", f.staff, inNotice, 100, func(e error) bool { return hasReason(e, kernel.FailStatus) }},
			{"need blocked by its screening", f.staff, blocked, 100, func(e error) bool { return hasReason(e, kernel.FailScreening) }},
			{"unknown need", f.staff, "01nosuchneed00000000000000", 100, func(e error) bool { return errors.Is(e, kernel.ErrNotFound) }},
			{"another organization's staff", otherStaff, open, 100, func(e error) bool { return errors.Is(e, kernel.ErrForbidden) }},
			{"a donor", donor, open, 100, func(e error) bool { return errors.Is(e, kernel.ErrForbidden) }},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := f.svc.Allocate(ctx, tc.by, funds.KindFund, fund.PublicID, tc.need, tc.amount, nil)
				if err == nil || !tc.check(err) {
					t.Fatalf("got %v (reasons %v)", err, reasons(err))
				}
			})
		}
		// Nothing moved: the fund still holds everything and the books balance.
		if src, _ := f.svc.Source(ctx, funds.KindFund, fund.PublicID); src.BalanceFen != 1_000_000 {
			t.Errorf("fund balance %d after refused allocations", src.BalanceFen)
		}
		// The emergency path is open at once; the cap holds across allocations.
		if _, err := f.svc.Allocate(ctx, f.staff, funds.KindFund, fund.PublicID, emergency, 30_000, nil); err != nil {
			t.Fatalf("emergency need: %v", err)
		}
		if _, err := f.svc.Allocate(ctx, f.staff, funds.KindFund, fund.PublicID, emergency, 20_001, nil); !hasReason(err, "over_max") {
			t.Errorf("second allocation over the cap: %v", err)
		}
		// A poor fund cannot give more than it holds.
		poor := f.fund(kernel.Restrictions{})
		f.donate(funds.TargetFund, poor.PublicID, 500)
		if _, err := f.svc.Allocate(ctx, f.staff, funds.KindFund, poor.PublicID, open, 501, nil); !errors.Is(err, funds.ErrInsufficientFunds) {
			t.Errorf("allocation above the balance: %v", err)
		}
		// A screening block at allocation time is a ScreeningBlockedError at the allocation stage, with the screening.
		f.svc.Screener = fakeScreener{kernel.ScreenBlock}
		var sb *kernel.ScreeningBlockedError
		if _, err := f.svc.Allocate(ctx, f.staff, funds.KindFund, fund.PublicID, open, 100, nil); !errors.As(err, &sb) || sb.Stage != kernel.StageAllocate || sb.Screening == nil {
			t.Errorf("screening block: %v", err)
		}
		f.svc.Screener = fakeScreener{kernel.ScreenClear}
		f.verify()
	})
}

func TestDisbursementWaitsForNoticeAndScreening(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		fund := f.fund(kernel.Restrictions{})
		f.donate(funds.TargetFund, fund.PublicID, 200_000)
		need := f.need(needSpec{Emergency: true})
		a, err := f.svc.Allocate(ctx, f.staff, funds.KindFund, fund.PublicID, need, 50_000, nil)
		if err != nil {
			t.Fatal(err)
		}
		// The verifier takes the need off the emergency path: its notice now runs.
		future := start.Add(72 * time.Hour)
		if err := needfixture.Set(ctx, db.Gorm, need, map[string]any{"emergency": 0, "status": "notice", "notice_ends_at": future}); err != nil {
			t.Fatal(err)
		}
		payee := funds.Payee{Type: funds.PayeeHousehold, Name: "张三丰", Reference: "R-1", Account: "6222000011112222"}
		if _, err := f.svc.Disburse(ctx, f.staff, a.PublicID, payee, nil); !hasReason(err, "notice") {
			t.Fatalf("disbursement before the notice ended: %v", err)
		}
		f.advance(73 * time.Hour)
		f.svc.Screener = fakeScreener{kernel.ScreenBlock}
		var sb *kernel.ScreeningBlockedError
		if _, err := f.svc.Disburse(ctx, f.staff, a.PublicID, payee, nil); !errors.As(err, &sb) || sb.Error() != "disbursement stopped for review: screening blocks it" {
			t.Fatalf("disbursement with a blocking screening: %v", err)
		}
		f.svc.Screener = fakeScreener{kernel.ScreenWarn}
		other := f.user(kernel.RoleFederationStaff, f.other)
		// Another organization cannot see the allocation (GET answers 404), so
		// it cannot disburse it either: the same answer, not a 403 that would
		// tell it exists.
		if _, err := f.svc.Disburse(ctx, other, a.PublicID, payee, nil); !errors.Is(err, kernel.ErrNotFound) {
			t.Errorf("another organization disbursing: %v", err)
		}
		d, err := f.svc.Disburse(ctx, f.staff, a.PublicID, payee, nil)
		if err != nil {
			t.Fatal(err)
		}
		if d.PayeeMasked != "张** · account ****2222 · ref **" && d.PayeeMasked != "张** · account ****2222 · ref ***" {
			t.Errorf("masked %q", d.PayeeMasked)
		}
		// The payee is stored only sealed.
		var row struct{ PayeeCt []byte }
		db.Gorm.Raw("SELECT payee_ct FROM allocations WHERE public_id = ?", a.PublicID).Scan(&row)
		raw := row.PayeeCt
		if len(raw) == 0 || containsBytes(raw, "张三丰") || containsBytes(raw, "6222000011112222") {
			t.Errorf("payee not sealed: %q", raw)
		}
		plain, err := f.svc.Cipher.Open(raw, d.PayeeKID, []byte("allocation.payee:"+a.PublicID))
		if err != nil || !containsBytes(plain, "张三丰") {
			t.Errorf("sealed payee does not open: %v", err)
		}
		f.verify()
	})
}

func containsBytes(b []byte, s string) bool { return strings.Contains(string(b), s) }

func isValidation(err error) bool {
	var v *kernel.ValidationError
	return errors.As(err, &v)
}

func TestPledgeConfirmationRules(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		fund := f.fund(kernel.Restrictions{})
		// A staff member who is also a donor never confirms their own pledge.
		selfish := *f.staff
		selfish.Memberships = append(append([]kernel.Membership(nil), f.staff.Memberships...), kernel.Membership{Role: kernel.RoleDonor})
		p, err := f.svc.CreatePledge(ctx, &selfish, funds.NewPledge{TargetType: funds.TargetFund, TargetID: fund.PublicID, AmountFen: 10_000}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.ConfirmPledge(ctx, &selfish, p.PublicID); !errors.Is(err, kernel.ErrForbidden) {
			t.Errorf("confirming one's own pledge: %v", err)
		}
		other := f.user(kernel.RoleFederationStaff, f.other)
		// Another organization may not see the pledge (GET answers 404): the
		// same answer when it tries to confirm it.
		if _, err := f.svc.ConfirmPledge(ctx, other, p.PublicID); !errors.Is(err, kernel.ErrNotFound) {
			t.Errorf("another organization confirming: %v", err)
		}
		colleague := f.user(kernel.RoleFederationStaff, f.fed)
		c, err := f.svc.ConfirmPledge(ctx, colleague, p.PublicID)
		if err != nil || c.ReceiptID == "" {
			t.Fatalf("colleague confirming: %v", err)
		}
		if _, err := f.svc.ConfirmPledge(ctx, colleague, p.PublicID); !errors.Is(err, kernel.ErrConflict) {
			t.Errorf("second confirmation: %v", err)
		}
		// An unpaid pledge expires; it can no longer be confirmed.
		donor := f.user(kernel.RoleDonor, nil)
		late, _ := f.svc.CreatePledge(ctx, donor, funds.NewPledge{TargetType: funds.TargetFund, TargetID: fund.PublicID, AmountFen: 5_000}, nil)
		f.advance(8 * 24 * time.Hour)
		if n, err := f.svc.ExpirePledges(ctx); err != nil || n != 1 {
			t.Errorf("expired %d, %v; want 1", n, err)
		}
		if _, err := f.svc.ConfirmPledge(ctx, colleague, late.PublicID); !errors.Is(err, kernel.ErrConflict) {
			t.Errorf("confirming an expired pledge: %v", err)
		}
		// Pledges to a need: only published, open needs, at most what they lack.
		need := f.need(needSpec{RequestedFen: 30_000})
		if _, err := f.svc.CreatePledge(ctx, donor, funds.NewPledge{TargetType: funds.TargetNeed, TargetID: need, AmountFen: 30_001}, nil); !hasReason(err, "over_remaining") {
			t.Errorf("pledge above the remaining amount: %v", err)
		}
		for _, bad := range []funds.NewPledge{{TargetType: "person", TargetID: need, AmountFen: 1}, {TargetType: funds.TargetNeed, AmountFen: 1},
			{TargetType: funds.TargetNeed, TargetID: need, AmountFen: -1}, {TargetType: funds.TargetNeed, TargetID: need, AmountFen: funds.MaxAmountFen + 1}} {
			if _, err := f.svc.CreatePledge(ctx, donor, bad, nil); !isValidation(err) {
				t.Errorf("pledge %+v: %v", bad, err)
			}
		}
		// Two pledges of 20,000 to a need of 30,000: the second confirmation
		// finds the need short of only 10,000; the rest is held, not lost.
		p1, _ := f.svc.CreatePledge(ctx, donor, funds.NewPledge{TargetType: funds.TargetNeed, TargetID: need, AmountFen: 20_000}, nil)
		p2, _ := f.svc.CreatePledge(ctx, donor, funds.NewPledge{TargetType: funds.TargetNeed, TargetID: need, AmountFen: 20_000}, nil)
		for _, p := range []*funds.Pledge{p1, p2} {
			if _, err := f.svc.ConfirmPledge(ctx, colleague, p.PublicID); err != nil {
				t.Fatal(err)
			}
		}
		if funded, _, st := f.needMoney(need); funded != 30_000 || st != "funded" {
			t.Errorf("need funded %d %s", funded, st)
		}
		// Refunding the second pledge returns its need share and its held rest.
		if _, err := f.svc.RefundPledge(ctx, colleague, p2.PublicID); err != nil {
			t.Fatal(err)
		}
		if funded, _, st := f.needMoney(need); funded != 20_000 || st != "open" {
			t.Errorf("need after refund: funded %d %s", funded, st)
		}
		if _, err := f.svc.RefundPledge(ctx, colleague, p2.PublicID); !errors.Is(err, kernel.ErrConflict) {
			t.Errorf("second refund: %v", err)
		}
		// A fund donation already allocated cannot be refunded.
		small := f.fund(kernel.Restrictions{})
		sp := f.donate(funds.TargetFund, small.PublicID, 8_000)
		if _, err := f.svc.Allocate(ctx, f.staff, funds.KindFund, small.PublicID, need, 5_000, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.RefundPledge(ctx, colleague, sp.PublicID); !errors.Is(err, funds.ErrInsufficientFunds) {
			t.Errorf("refund of spent money: %v", err)
		}
		f.verify()
	})
}

func TestPaymentNotifications(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		fund := f.fund(kernel.Restrictions{})
		donor := f.user(kernel.RoleDonor, nil)
		p, _ := f.svc.CreatePledge(ctx, donor, funds.NewPledge{TargetType: funds.TargetFund, TargetID: fund.PublicID, AmountFen: 20_000}, nil)
		now := *f.now.Load()
		body := []byte(`{"id":"ntf-1","reference":"` + p.Reference + `","amount_fen":20000}`)
		sig := funds.SignNotification(f.svc.WebhookSecret, body, now)
		cases := []struct {
			name string
			sig  string
			body []byte
		}{
			{"forged", funds.SignNotification([]byte("not-the-secret-0123456789abcdef"), body, now), body},
			{"stale", funds.SignNotification(f.svc.WebhookSecret, body, now.Add(-6*time.Minute)), body},
			{"from the future", funds.SignNotification(f.svc.WebhookSecret, body, now.Add(6*time.Minute)), body},
			{"body changed", sig, []byte(`{"id":"ntf-1","reference":"` + p.Reference + `","amount_fen":2}`)},
			{"missing", "", body},
			{"malformed", "t=abc,v1=zz", body},
		}
		for _, tc := range cases {
			if _, err := f.svc.HandleNotification(ctx, tc.sig, tc.body); !errors.Is(err, kernel.ErrUnauthorized) {
				t.Errorf("%s: %v", tc.name, err)
			}
		}
		got, err := f.svc.HandleNotification(ctx, sig, body)
		if err != nil || got.Status != funds.PledgeConfirmed || got.ConfirmedVia != funds.ViaNotification {
			t.Fatalf("valid notification: %+v %v", got, err)
		}
		if _, err := f.svc.HandleNotification(ctx, sig, body); !errors.Is(err, funds.ErrReplayed) {
			t.Errorf("replay: %v", err)
		}
		wrong := []byte(`{"id":"ntf-2","pledge_id":"` + p.PublicID + `","amount_fen":1}`)
		if _, err := f.svc.HandleNotification(ctx, funds.SignNotification(f.svc.WebhookSecret, wrong, now), wrong); err == nil {
			t.Error("notification with another amount accepted")
		}
		if src, _ := f.svc.Source(ctx, funds.KindFund, fund.PublicID); src.BalanceFen != 20_000 {
			t.Errorf("balance %d, want 20000 (once)", src.BalanceFen)
		}
		f.verify()
	})
}
