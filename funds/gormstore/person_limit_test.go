package gormstore_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/jiujinan/jiujinan/funds"
	fstore "github.com/jiujinan/jiujinan/funds/gormstore"
	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/migrations"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// limitScreener is the over-allocation rule of screening, read from the
// database as matching/screening reads it: all charity money for the
// person (every live posting with the same pseudonym) plus the money about
// to move stays within the need's verified cost minus statutory relief.
// It reports the person's state and room as it read them.
type limitScreener struct{ db *sqldb.DB }

func (l *limitScreener) Screen(ctx context.Context, need string, st kernel.ScreeningStage, amt int64) (*kernel.Screening, error) {
	var self []struct {
		Pseudonym          string
		VerifiedCostFen    int64
		StatutoryReliefFen int64
	}
	if err := l.db.Gorm.WithContext(ctx).Raw("SELECT pseudonym, verified_cost_fen, statutory_relief_fen FROM needs WHERE public_id = ?", need).
		Scan(&self).Error; err != nil || len(self) == 0 {
		return nil, errors.Join(err, kernel.ErrNotFound)
	}
	var rows []struct {
		ID        int64
		Version   int64
		Status    string
		FundedFen int64
	}
	if err := l.db.Gorm.WithContext(ctx).Raw("SELECT id, version, status, funded_fen FROM needs WHERE pseudonym = ? ORDER BY id", self[0].Pseudonym).
		Scan(&rows).Error; err != nil {
		return nil, err
	}
	state := make([]kernel.PersonNeedState, len(rows))
	var total int64
	for i, r := range rows {
		state[i] = kernel.PersonNeedState{ID: r.ID, Version: r.Version, Status: kernel.NeedStatus(r.Status), FundedFen: r.FundedFen}
		total += r.FundedFen
	}
	limit := self[0].VerifiedCostFen - self[0].StatutoryReliefFen
	res := kernel.ScreenClear
	if (st == kernel.StageAllocate || st == kernel.StageGift) && total+amt > limit {
		res = kernel.ScreenBlock
	}
	return &kernel.Screening{NeedID: need, Stage: st, Result: res, AmountFen: amt, PersonState: kernel.PersonStateOf(state),
		RoomFen: max(limit-total, 0)}, nil
}

// TestTwoInstancesKeepOnePersonWithinTheirLimit: two instances (each its
// own store and connection pool on the same database) take gifts to two
// postings of one person, allocate from a fund capped per person and pay
// money out, all at once. The person never holds more than their limit,
// the fund never gives them more than its cap, every gift's money is
// recorded (applied or held for the donor's choice), and the books prove.
func TestTwoInstancesKeepOnePersonWithinTheirLimit(t *testing.T) {
	sqldbtest.EachURL(t, func(t *testing.T, url string) {
		ctx := context.Background()
		db := openURL(t, url)
		f := newFixture(t, db)
		person := strings.Repeat("d", 64)
		const limit, capFen = 60_000, 20_000
		// ¥1,000 verified, ¥400 statutory: ¥600 from charity, on either posting.
		a := f.need(needSpec{RequestedFen: 60_000, VerifiedCostFen: 100_000, StatutoryFen: 40_000, Person: person})
		b := f.need(needSpec{RequestedFen: 60_000, VerifiedCostFen: 100_000, StatutoryFen: 40_000, Person: person})
		fund := f.fund(kernel.Restrictions{PerNeedCapFen: capFen})
		f.donate(funds.TargetFund, fund.PublicID, 1_000_000)
		second := openURL(t, url)
		instances := []*funds.Service{f.svc, funds.NewService(fstore.New(second), f.svc.Cipher, f.svc.Divisions, f.svc.Now, newID)}
		for _, s := range instances {
			s.Screener = &limitScreener{db: db}
		}
		const donors = 16
		pledges := make([]string, donors)
		for i := range pledges {
			donor := f.user(kernel.RoleDonor, nil)
			p, err := f.svc.CreatePledge(ctx, donor, funds.NewPledge{TargetType: funds.TargetNeed, TargetID: []string{a, b}[i%2], AmountFen: 9_000}, nil)
			if err != nil {
				t.Fatal(err)
			}
			pledges[i] = p.PublicID
		}
		var wg sync.WaitGroup
		errs := make(chan error, 3*donors)
		for i := range donors {
			svc := instances[i%2]
			need := []string{a, b}[(i/2)%2]
			wg.Add(3)
			go func() { defer wg.Done(); _, err := svc.ConfirmPledge(ctx, f.staff, pledges[i]); errs <- err }()
			go func() {
				defer wg.Done()
				_, err := svc.Allocate(ctx, f.staff, funds.KindFund, fund.PublicID, need, 7_000, nil)
				errs <- err
			}()
			go func() {
				defer wg.Done()
				_, err := svc.DisburseNeed(ctx, f.staff, need, funds.NewDisbursement{AmountFen: 4_000, ProviderKind: funds.ProviderHospital,
					Payee: funds.Payee{Type: funds.PayeeProvider, Name: "郓城县人民医院", Reference: "INV-20261207"}}, nil)
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			var ie *funds.IneligibleError
			var be *kernel.ScreeningBlockedError
			if err != nil && !errors.As(err, &ie) && !errors.As(err, &be) && !errors.Is(err, funds.ErrInsufficientFunds) && !errors.Is(err, kernel.ErrConflict) {
				t.Errorf("unexpected: %v", err)
			}
		}
		fa, _, _ := f.needMoney(a)
		fb, _, _ := f.needMoney(b)
		if fa+fb > limit {
			t.Errorf("the person holds %d fen across two postings, above their limit of %d", fa+fb, limit)
		}
		var fromFund int64
		db.Gorm.Raw(`SELECT COALESCE(SUM(amount_fen), 0) FROM need_lots WHERE source_id = ?`, fund.ID).Scan(&fromFund)
		if fromFund > capFen {
			t.Errorf("the fund gave the person %d fen, above its cap of %d per person", fromFund, capFen)
		}
		var confirmed int
		db.Gorm.Raw("SELECT COUNT(*) FROM pledges WHERE public_id IN ? AND status = 'confirmed'", pledges).Scan(&confirmed)
		if confirmed != donors {
			t.Errorf("%d of %d gifts confirmed: money that arrived must be recorded", confirmed, donors)
		}
		// What the postings could not take waits for the donors' choices.
		var held, applied int64
		db.Gorm.Raw(`SELECT COALESCE(SUM(amount_fen), 0) FROM pledge_redirects WHERE reason = 'unapplied'`).Scan(&held)
		db.Gorm.Raw(`SELECT COALESCE(SUM(amount_fen), 0) FROM need_lots WHERE kind = 'gift'`).Scan(&applied)
		if held+applied != donors*9_000 {
			t.Errorf("gifts: %d applied + %d held for choice, want all %d", applied, held, donors*9_000)
		}
		f.verify()
	})
}

func openURL(t *testing.T, url string) *sqldb.DB {
	t.Helper()
	db, err := sqldb.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := migrations.Up(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestAMonthlyGiftPastThePersonsLimitGoesToItsFallback: the month's
// pledge to a need is screened like any gift: when the person's other
// posting already holds their limit, the month goes to the fallback fund.
func TestAMonthlyGiftPastThePersonsLimitGoesToItsFallback(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		f.svc.Screener = &limitScreener{db: db}
		person := strings.Repeat("e", 64)
		full := f.need(needSpec{RequestedFen: 50_000, Person: person})
		need := f.need(needSpec{RequestedFen: 50_000, Person: person})
		fallback := f.fund(kernel.Restrictions{})
		donor := f.user(kernel.RoleDonor, nil)
		r, err := f.svc.CreateRecurring(ctx, donor, funds.NewRecurring{TargetType: funds.TargetNeed, TargetID: need,
			AmountFen: 10_000, DayOfMonth: 23, FallbackFundID: fallback.PublicID}, nil)
		if err != nil {
			t.Fatal(err)
		}
		f.give(f.user(kernel.RoleDonor, nil), full, 50_000) // the person's limit, on the other posting
		if _, err := f.svc.RunRecurring(ctx); err != nil {
			t.Fatal(err)
		}
		ps := f.recurringPledges(r.PublicID)
		if len(ps) != 1 || ps[0].TargetType != funds.TargetFund || ps[0].TargetPublicID != fallback.PublicID {
			t.Fatalf("the month's pledge %+v; want it to the fallback fund", ps)
		}
		f.verify()
	})
}
