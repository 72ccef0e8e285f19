package gormstore_test

import (
	"context"
	"sync"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// TestChoicesOpenAndApplyOnceUnderConcurrency: several job instances open
// the choices at once, the donor's answer is sent many times at once while
// the default job runs past the deadline: each choice exists once and its
// money moves once.
func TestChoicesOpenAndApplyOnceUnderConcurrency(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		general := f.fund(kernel.Restrictions{})
		ended := f.need(needSpec{RequestedFen: 100_000})
		target := f.need(needSpec{RequestedFen: 100_000})
		donors := make([]*kernel.Principal, 6)
		pledges := make([]*funds.Pledge, len(donors))
		for i := range donors {
			donors[i] = f.user(kernel.RoleDonor, nil)
			pledges[i] = f.give(donors[i], ended, 10_000)
		}
		f.endNeed(ended, kernel.NeedWithdrawn)
		var wg sync.WaitGroup
		var mu sync.Mutex
		opened := 0
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := f.svc.OpenRedirects(ctx)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				opened += n
				mu.Unlock()
			}()
		}
		wg.Wait()
		if opened != len(donors) {
			t.Fatalf("%d choices opened by concurrent jobs, want %d", opened, len(donors))
		}
		// Half the donors answer, each eight times at once, while the
		// deadline passes and the default job runs twice.
		f.advance(funds.DefaultRedirectWindow)
		for i := range 3 {
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, _ = f.svc.RedirectPledge(ctx, donors[i], pledges[i].PublicID, funds.RedirectChoice{Action: funds.RedirectToNeed, TargetID: target})
				}()
			}
		}
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := f.svc.ApplyRedirectDefaults(ctx); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if _, err := f.svc.ApplyRedirectDefaults(ctx); err != nil {
			t.Fatal(err)
		}
		toNeed, _, _ := f.needMoney(target)
		toFund := f.balance(funds.KindFund, general.PublicID)
		if left, _, _ := f.needMoney(ended); left != 0 || toNeed+toFund != 60_000 || toNeed%10_000 != 0 {
			t.Errorf("ended need %d, target need %d, general fund %d: want every 10,000 moved once", left, toNeed, toFund)
		}
		for _, d := range donors {
			for _, c := range f.choices(d) {
				if c.Status != funds.RedirectApplied {
					t.Errorf("choice %s still %s", c.PublicID, c.Status)
				}
			}
		}
		f.verify()
	})
}
