package gormstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/marketplace/gormstore/needfixture"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// give pledges amount to a need as donor and has staff confirm it.
func (f *fixture) give(donor *kernel.Principal, need string, amount int64) *funds.Pledge {
	f.t.Helper()
	ctx := context.Background()
	p, err := f.svc.CreatePledge(ctx, donor, funds.NewPledge{TargetType: funds.TargetNeed, TargetID: need, AmountFen: amount}, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	if p, err = f.svc.ConfirmPledge(ctx, f.staff, p.PublicID); err != nil {
		f.t.Fatal(err)
	}
	return p
}

// endNeed sets a need's stored status, as the needs service would.
func (f *fixture) endNeed(id string, status kernel.NeedStatus) {
	f.t.Helper()
	if err := needfixture.Set(context.Background(), f.db.Gorm, id, map[string]any{"status": string(status)}); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) choices(donor *kernel.Principal) []funds.Redirect {
	f.t.Helper()
	rs, err := f.svc.MyRedirects(context.Background(), donor)
	if err != nil {
		f.t.Fatal(err)
	}
	return rs
}

func (f *fixture) balance(kind funds.SourceKind, id string) int64 {
	f.t.Helper()
	s, err := f.svc.Source(context.Background(), kind, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return s.BalanceFen
}

func TestEndedNeedDonorsChooseMoveOrRefund(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		// A matching fund (restricted, so not the federation's general fund).
		mf, err := f.svc.CreateSource(ctx, f.staff, funds.NewSource{Kind: funds.KindFund, Name: "配捐基金", Namer: "爱心企业", Purpose: "配捐",
			Restrictions: kernel.Restrictions{Categories: []kernel.Category{"medical"}},
			Match:        funds.MatchOffer{RatioPct: 50, DonorCapFen: 100_000, TotalCapFen: 100_000}})
		if err != nil {
			t.Fatal(err)
		}
		f.donate(funds.TargetFund, mf.PublicID, 500_000)
		ended := f.need(needSpec{RequestedFen: 200_000})
		small := f.need(needSpec{RequestedFen: 30_000})
		roomy := f.need(needSpec{RequestedFen: 100_000})
		closed := f.need(needSpec{RequestedFen: 100_000, Status: kernel.NeedClosed})
		elsewhere := f.need(needSpec{RequestedFen: 100_000, Region: "430524001"})
		a, b := f.user(kernel.RoleDonor, nil), f.user(kernel.RoleDonor, nil)
		pa := f.give(a, ended, 40_000) // matched with 20,000
		pb := f.give(b, ended, 30_000) // matched with 15,000
		if funded, _, _ := f.needMoney(ended); funded != 105_000 {
			t.Fatalf("funded %d before the end", funded)
		}
		// Nothing to choose while the need is open.
		if n, err := f.svc.OpenRedirects(ctx); err != nil || n != 0 {
			t.Fatalf("open need: %d choices, %v", n, err)
		}
		f.endNeed(ended, kernel.NeedWithdrawn)
		for round, want := range []int{2, 0} {
			if n, err := f.svc.OpenRedirects(ctx); err != nil || n != want {
				t.Fatalf("round %d: %d choices opened, %v; want %d", round, n, err, want)
			}
		}
		ca := f.choices(a)
		if len(ca) != 1 || ca[0].PledgePublicID != pa.PublicID || ca[0].AmountFen != 40_000 || ca[0].Reason != funds.EndWithdrawn ||
			ca[0].Status != funds.RedirectPending || !ca[0].Deadline.Equal(start.Add(funds.DefaultRedirectWindow)) ||
			ca[0].DefaultAction != funds.RedirectRefund {
			t.Fatalf("a's choice %+v", ca)
		}
		// Nobody but the donor answers; staff are told so.
		if _, err := f.svc.RedirectPledge(ctx, b, pa.PublicID, funds.RedirectChoice{Action: funds.RedirectRefund}); !errors.Is(err, kernel.ErrNotFound) {
			t.Errorf("another donor answers: %v; want not found", err)
		}
		if _, err := f.svc.RedirectPledge(ctx, f.staff, pa.PublicID, funds.RedirectChoice{Action: funds.RedirectRefund}); !errors.Is(err, kernel.ErrForbidden) {
			t.Errorf("staff answer: %v; want forbidden", err)
		}
		// Bad answers change nothing.
		one := int64(1)
		var ve *kernel.ValidationError
		var ie *funds.IneligibleError
		for name, tc := range map[string]struct {
			c       funds.RedirectChoice
			invalid bool
			code    string
		}{
			"unknown action":       {c: funds.RedirectChoice{Action: "charity"}, invalid: true},
			"unknown need":         {c: funds.RedirectChoice{Action: funds.RedirectToNeed, TargetID: "nope"}, invalid: true},
			"unknown fund":         {c: funds.RedirectChoice{Action: funds.RedirectToFund, TargetID: roomy}, invalid: true},
			"the ended need":       {c: funds.RedirectChoice{Action: funds.RedirectToNeed, TargetID: ended}, invalid: true},
			"part of the amount":   {c: funds.RedirectChoice{Action: funds.RedirectToNeed, TargetID: roomy, AmountFen: &one}, invalid: true},
			"refund with a target": {c: funds.RedirectChoice{Action: funds.RedirectRefund, TargetID: roomy}, invalid: true},
			"over remaining":       {c: funds.RedirectChoice{Action: funds.RedirectToNeed, TargetID: small}, code: "over_remaining"},
			"closed need":          {c: funds.RedirectChoice{Action: funds.RedirectToNeed, TargetID: closed}, code: "need_unavailable"},
			"other organization":   {c: funds.RedirectChoice{Action: funds.RedirectToNeed, TargetID: elsewhere}, code: "other_org"},
		} {
			_, err := f.svc.RedirectPledge(ctx, a, pa.PublicID, tc.c)
			switch {
			case tc.invalid && !errors.As(err, &ve):
				t.Errorf("%s: %v; want a validation error", name, err)
			case !tc.invalid && (!errors.As(err, &ie) || ie.Reasons[0].Code != tc.code):
				t.Errorf("%s: %v; want ineligible %s", name, err, tc.code)
			}
		}
		// a moves the money to another need: the whole 40,000, the
		// matching gift back to its fund.
		r, err := f.svc.RedirectPledge(ctx, a, pa.PublicID, funds.RedirectChoice{Action: funds.RedirectToNeed, TargetID: roomy})
		if err != nil || r.Status != funds.RedirectApplied || r.DecidedBy != funds.DecidedByDonor || r.TargetPublicID != roomy {
			t.Fatalf("move: %+v, %v", r, err)
		}
		if funded, _, _ := f.needMoney(roomy); funded != 40_000 {
			t.Errorf("target need funded %d, want 40000", funded)
		}
		if funded, _, st := f.needMoney(ended); funded != 45_000 || st != "withdrawn" {
			t.Errorf("ended need funded %d (%s), want b's 30000 and match 15000", funded, st)
		}
		if got := f.balance(funds.KindFund, mf.PublicID); got != 500_000-15_000 {
			t.Errorf("matching fund %d, want a's match back", got)
		}
		// Answering again: the same answer is the same result, another is refused.
		if again, err := f.svc.RedirectPledge(ctx, a, pa.PublicID, funds.RedirectChoice{Action: funds.RedirectToNeed, TargetID: roomy}); err != nil || again.PublicID != r.PublicID {
			t.Errorf("same answer again: %+v, %v", again, err)
		}
		if _, err := f.svc.RedirectPledge(ctx, a, pa.PublicID, funds.RedirectChoice{Action: funds.RedirectRefund}); !errors.Is(err, kernel.ErrConflict) {
			t.Errorf("another answer after: %v; want conflict", err)
		}
		if funded, _, _ := f.needMoney(roomy); funded != 40_000 {
			t.Errorf("target need funded %d after the retry", funded)
		}
		// Staff cannot refund behind the choice.
		if _, err := f.svc.RefundPledge(ctx, f.staff, pa.PublicID); !errors.Is(err, kernel.ErrConflict) {
			t.Errorf("staff refund of a moved pledge: %v; want conflict", err)
		}
		// b does not answer: after the deadline, with no general fund, the
		// default refunds, voids the receipt and returns the match.
		f.advance(funds.DefaultRedirectWindow - time.Minute)
		if n, err := f.svc.ApplyRedirectDefaults(ctx); err != nil || n != 0 {
			t.Fatalf("before the deadline: %d defaults, %v", n, err)
		}
		f.advance(2 * time.Minute)
		if n, err := f.svc.ApplyRedirectDefaults(ctx); err != nil || n != 1 {
			t.Fatalf("after the deadline: %d defaults, %v", n, err)
		}
		got, _ := f.svc.Pledge(ctx, b, pb.PublicID)
		if got.Status != funds.PledgeRefunded {
			t.Errorf("b's pledge %s, want refunded", got.Status)
		}
		g, _ := f.svc.MyGiving(ctx, b)
		if g.YearTotals[2026] != 0 {
			t.Errorf("b's year total %d after the refund", g.YearTotals[2026])
		}
		if cb := f.choices(b); len(cb) != 1 || cb[0].Action != funds.RedirectRefund || cb[0].DecidedBy != funds.DecidedByDefault {
			t.Errorf("b's choice %+v", cb)
		}
		if funded, _, _ := f.needMoney(ended); funded != 0 {
			t.Errorf("ended need still holds %d", funded)
		}
		if got := f.balance(funds.KindFund, mf.PublicID); got != 500_000 {
			t.Errorf("matching fund %d, want every match back", got)
		}
		// The register shows both sides of the move and the refund.
		ds, _ := f.svc.Disclosures(ctx, funds.DisclosureFilter{})
		kinds := map[funds.DisclosureKind]int64{}
		for _, d := range ds {
			kinds[d.Kind] += d.AmountFen
		}
		if kinds[funds.DiscloseMovedOut] != -40_000 || kinds[funds.DiscloseMovedIn] != 40_000 {
			t.Errorf("register: %v", kinds)
		}
		// The need a's money moved to ends too: a chooses again, from there.
		f.endNeed(roomy, kernel.NeedWithdrawn)
		if n, err := f.svc.OpenRedirects(ctx); err != nil || n != 1 {
			t.Fatalf("second end: %d choices, %v", n, err)
		}
		if ca = f.choices(a); len(ca) != 2 || ca[0].Status != funds.RedirectPending || ca[0].NeedPublicID != roomy || ca[0].AmountFen != 40_000 {
			t.Fatalf("a's choices %+v", ca)
		}
		if _, err := f.svc.RedirectPledge(ctx, a, pa.PublicID, funds.RedirectChoice{Action: funds.RedirectRefund}); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.svc.Pledge(ctx, a, pa.PublicID); got.Status != funds.PledgeRefunded {
			t.Errorf("a's pledge %s", got.Status)
		}
		f.verify()
	})
}

func TestExpiredNeedDefaultsToGeneralFund(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.svc.RedirectWindow = 72 * time.Hour
		general := f.fund(kernel.Restrictions{})
		need := f.need(needSpec{RequestedFen: 100_000})
		deadline := start.Add(24 * time.Hour)
		if err := needfixture.Set(ctx, f.db.Gorm, need, map[string]any{"deadline": deadline}); err != nil {
			t.Fatal(err)
		}
		donor := f.user(kernel.RoleDonor, nil)
		p := f.give(donor, need, 25_000)
		// A pledge made before the deadline and paid after it is held: it
		// joins the choice with the rest.
		late, err := f.svc.CreatePledge(ctx, donor, funds.NewPledge{TargetType: funds.TargetNeed, TargetID: need, AmountFen: 5_000}, nil)
		if err != nil {
			t.Fatal(err)
		}
		f.advance(25 * time.Hour)
		if _, err := f.svc.CreatePledge(ctx, donor, funds.NewPledge{TargetType: funds.TargetNeed, TargetID: need, AmountFen: 1_000}, nil); err == nil {
			t.Error("a pledge to an expired need was accepted")
		}
		if _, err := f.svc.ConfirmPledge(ctx, f.staff, late.PublicID); err != nil {
			t.Fatal(err)
		}
		// The late pledge's choice opened when its money arrived (the need
		// could no longer take it); the expired need's, when the job ran.
		if n, err := f.svc.OpenRedirects(ctx); err != nil || n != 1 {
			t.Fatalf("%d choices, %v; want 1", n, err)
		}
		cs := f.choices(donor)
		reasons := map[string]bool{}
		for _, c := range cs {
			reasons[c.Reason] = true
			if c.DefaultAction != funds.RedirectToFund || c.DefaultTargetID != general.PublicID {
				t.Errorf("choice %+v", c)
			}
		}
		if len(cs) != 2 || !reasons[funds.EndExpired] || !reasons[funds.EndUnapplied] {
			t.Fatalf("choices %+v", cs)
		}
		f.advance(73 * time.Hour)
		if n, err := f.svc.ApplyRedirectDefaults(ctx); err != nil || n != 2 {
			t.Fatalf("%d defaults, %v", n, err)
		}
		if got := f.balance(funds.KindFund, general.PublicID); got != 30_000 {
			t.Errorf("general fund %d, want 30000", got)
		}
		if funded, _, _ := f.needMoney(need); funded != 0 {
			t.Errorf("expired need funded %d", funded)
		}
		// Still donations: the receipts stand.
		g, _ := f.svc.MyGiving(ctx, donor)
		if g.YearTotals[2026] != 30_000 {
			t.Errorf("year total %d, want 30000", g.YearTotals[2026])
		}
		if got, _ := f.svc.Pledge(ctx, donor, p.PublicID); got.Status != funds.PledgeConfirmed {
			t.Errorf("moved pledge %s", got.Status)
		}
		f.verify()
	})
}

func TestWithdrawnNeedReturnsAllocationsToTheirFund(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		fund := f.fund(kernel.Restrictions{Categories: []kernel.Category{"medical"}})
		f.donate(funds.TargetFund, fund.PublicID, 50_000)
		need := f.need(needSpec{RequestedFen: 100_000})
		if _, err := f.svc.Allocate(ctx, f.staff, funds.KindFund, fund.PublicID, need, 30_000, nil); err != nil {
			t.Fatal(err)
		}
		f.endNeed(need, kernel.NeedWithdrawn)
		for range 2 {
			if _, err := f.svc.OpenRedirects(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if got := f.balance(funds.KindFund, fund.PublicID); got != 50_000 {
			t.Errorf("fund balance %d, want the allocation back", got)
		}
		if funded, _, _ := f.needMoney(need); funded != 0 {
			t.Errorf("withdrawn need funded %d", funded)
		}
		f.verify()
	})
}
