package gormstore_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// recurringPledges counts the pledges a monthly pledge generated.
func (f *fixture) recurringPledges(publicID string) []funds.Pledge {
	f.t.Helper()
	var ids []string
	f.db.Gorm.Raw(`SELECT p.public_id FROM pledges p JOIN recurring_pledges r ON r.id = p.recurring_id
		WHERE r.public_id = ? ORDER BY p.id`, publicID).Scan(&ids)
	out := make([]funds.Pledge, 0, len(ids))
	for _, id := range ids {
		p, err := f.svc.Store.Pledge(context.Background(), id)
		if err != nil {
			f.t.Fatal(err)
		}
		out = append(out, *p)
	}
	return out
}

// runConcurrently runs the generator from n goroutines at once.
func (f *fixture) runConcurrently(n int) {
	f.t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := f.svc.RunRecurring(context.Background()); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		f.t.Error(err)
	}
}

func TestRecurringPledgeOncePerMonthUnderConcurrentGenerators(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		fund := f.fund(kernel.Restrictions{Categories: []kernel.Category{"medical"}})
		donor := f.user(kernel.RoleDonor, nil)
		// start is the 23rd (China time): a pledge on day 23 is due today.
		r, err := f.svc.CreateRecurring(ctx, donor, funds.NewRecurring{TargetType: funds.TargetFund, TargetID: fund.PublicID,
			AmountFen: 5_000, DayOfMonth: 23}, nil)
		if err != nil {
			t.Fatal(err)
		}
		f.runConcurrently(8)
		f.runConcurrently(2)
		ps := f.recurringPledges(r.PublicID)
		if len(ps) != 1 || ps[0].Status != funds.PledgePending || ps[0].AmountFen != 5_000 || ps[0].TargetPublicID != fund.PublicID {
			t.Fatalf("after two rounds of generators in November: %+v; want one pending pledge", ps)
		}
		// Confirmed like any pledge: a receipt, and the year's total.
		if _, err := f.svc.ConfirmPledge(ctx, f.staff, ps[0].PublicID); err != nil {
			t.Fatal(err)
		}
		f.advance(30 * 24 * time.Hour) // December 23rd
		f.runConcurrently(8)
		if ps = f.recurringPledges(r.PublicID); len(ps) != 2 {
			t.Fatalf("December: %d pledges, want 2", len(ps))
		}
		mine, err := f.svc.MyRecurring(ctx, donor)
		if err != nil || len(mine) != 1 || len(mine[0].Runs) != 2 || mine[0].Runs[0].Period != "2026-12" || mine[0].Runs[1].Period != "2026-11" {
			t.Fatalf("donor's monthly pledges %+v, %v", mine, err)
		}
		g, err := f.svc.MyGiving(ctx, donor)
		if err != nil || g.YearTotals[2026] != 5_000 || len(g.Receipts) != 1 {
			t.Errorf("year totals %v receipts %d (%v); want 5000 from the confirmed month", g.YearTotals, len(g.Receipts), err)
		}
		// Paused: no January pledge; another donor cannot touch it.
		other := f.user(kernel.RoleDonor, nil)
		if _, err := f.svc.SetRecurringStatus(ctx, other, r.PublicID, funds.RecurringCancelled); !errors.Is(err, kernel.ErrNotFound) {
			t.Errorf("another donor cancels: %v; want not found", err)
		}
		if _, err := f.svc.SetRecurringStatus(ctx, donor, r.PublicID, funds.RecurringPaused); err != nil {
			t.Fatal(err)
		}
		f.advance(31 * 24 * time.Hour)
		f.runConcurrently(3)
		if ps = f.recurringPledges(r.PublicID); len(ps) != 2 {
			t.Errorf("paused in January: %d pledges, want 2", len(ps))
		}
		// Resumed on January 23rd: January is due again (today), once.
		if _, err := f.svc.SetRecurringStatus(ctx, donor, r.PublicID, funds.RecurringActive); err != nil {
			t.Fatal(err)
		}
		f.runConcurrently(3)
		if ps = f.recurringPledges(r.PublicID); len(ps) != 3 {
			t.Errorf("resumed in January: %d pledges, want 3", len(ps))
		}
		if _, err := f.svc.SetRecurringStatus(ctx, donor, r.PublicID, funds.RecurringCancelled); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SetRecurringStatus(ctx, donor, r.PublicID, funds.RecurringActive); !errors.Is(err, kernel.ErrConflict) {
			t.Errorf("resuming a cancelled pledge: %v; want conflict", err)
		}
		f.verify()
	})
}

func TestRecurringPledgeToNeedFallsBackOrSkips(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		fallback := f.fund(kernel.Restrictions{})
		need := f.need(needSpec{RequestedFen: 100_000})
		donor := f.user(kernel.RoleDonor, nil)
		withFB, err := f.svc.CreateRecurring(ctx, donor, funds.NewRecurring{TargetType: funds.TargetNeed, TargetID: need,
			AmountFen: 60_000, DayOfMonth: 23, FallbackFundID: fallback.PublicID}, nil)
		if err != nil {
			t.Fatal(err)
		}
		noFB, err := f.svc.CreateRecurring(ctx, donor, funds.NewRecurring{TargetType: funds.TargetNeed, TargetID: need,
			AmountFen: 50_000, DayOfMonth: 24}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.RunRecurring(ctx); err != nil {
			t.Fatal(err)
		}
		ps := f.recurringPledges(withFB.PublicID)
		if len(ps) != 1 || ps[0].TargetType != funds.TargetNeed || ps[0].OrgID != f.fed.ID {
			t.Fatalf("first month: %+v", ps)
		}
		if _, err := f.svc.ConfirmPledge(ctx, f.staff, ps[0].PublicID); err != nil {
			t.Fatal(err)
		}
		// The need now lacks 40,000: the next 60,000 goes to the fallback
		// fund, and the 50,000 without a fallback is skipped, with reasons.
		f.advance(2 * 24 * time.Hour)
		if _, err := f.svc.RunRecurring(ctx); err != nil {
			t.Fatal(err)
		}
		if got := f.recurringPledges(noFB.PublicID); len(got) != 0 {
			t.Errorf("the month without a fallback made pledges %+v", got)
		}
		f.advance(30 * 24 * time.Hour)
		if _, err := f.svc.RunRecurring(ctx); err != nil {
			t.Fatal(err)
		}
		ps = f.recurringPledges(withFB.PublicID)
		if len(ps) != 2 || ps[1].TargetType != funds.TargetFund || ps[1].TargetPublicID != fallback.PublicID {
			t.Fatalf("second month: %+v; want the fallback fund", ps)
		}
		mine, _ := f.svc.MyRecurring(ctx, donor)
		runs := map[string][]funds.RecurringRun{}
		for _, r := range mine {
			runs[r.PublicID] = r.Runs
		}
		if rs := runs[withFB.PublicID]; len(rs) != 2 || rs[0].Outcome != funds.RunFallback || rs[0].Reason == "" {
			t.Errorf("runs with fallback %+v", rs)
		}
		if rs := runs[noFB.PublicID]; len(rs) != 2 || rs[0].Outcome != funds.RunSkipped || rs[0].Reason == "" || rs[0].PledgeID != "" {
			t.Errorf("runs without fallback %+v", rs)
		}
		// Bad input.
		for name, n := range map[string]funds.NewRecurring{
			"day 29":           {TargetType: funds.TargetFund, TargetID: fallback.PublicID, AmountFen: 100, DayOfMonth: 29},
			"zero amount":      {TargetType: funds.TargetFund, TargetID: fallback.PublicID, AmountFen: 0, DayOfMonth: 1},
			"unknown type":     {TargetType: "person", TargetID: fallback.PublicID, AmountFen: 100, DayOfMonth: 1},
			"unknown fallback": {TargetType: funds.TargetNeed, TargetID: need, AmountFen: 100, DayOfMonth: 1, FallbackFundID: "nope"},
		} {
			var ve *kernel.ValidationError
			if _, err := f.svc.CreateRecurring(ctx, donor, n, nil); !errors.As(err, &ve) {
				t.Errorf("%s: %v; want a validation error", name, err)
			}
		}
		f.verify()
	})
}
