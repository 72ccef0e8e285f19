package gormstore_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// TestGroupedAllocationsEachGetTheirOwnAnswer sends a burst of concurrent
// allocations that share commits: some to a need the fund's restrictions
// exclude, some to a closed need, and more from one fund than it holds.
// Each refused allocation gets its own error and leaves nothing behind;
// every accepted one is stored once; the fund ends at exactly zero and the
// ledger proves.
func TestGroupedAllocationsEachGetTheirOwnAnswer(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		fund := f.fund(kernel.Restrictions{Categories: []kernel.Category{"medical"}})
		f.donate(funds.TargetFund, fund.PublicID, 40*1_000)
		other := f.fund(kernel.Restrictions{})
		f.donate(funds.TargetFund, other.PublicID, 1_000_000)
		needs := make([]string, 10)
		for i := range needs {
			needs[i] = f.need(needSpec{RequestedFen: 1_000_000})
		}
		education := f.need(needSpec{Category: "education"})
		closed := f.need(needSpec{Status: kernel.NeedClosed})

		const n = 120
		type answer struct {
			target string
			a      *funds.Allocation
			err    error
		}
		answers := make([]answer, n)
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				src, target := fund.PublicID, needs[i%len(needs)]
				switch i % 6 {
				case 1:
					target = education
				case 2:
					target = closed
				case 3:
					src = other.PublicID
				}
				a, err := f.svc.Allocate(ctx, f.staff, funds.KindFund, src, target, 1_000, nil)
				answers[i] = answer{target, a, err}
			}()
		}
		wg.Wait()
		var fromFund, fromOther, short int
		for i, ans := range answers {
			switch {
			case ans.target == education:
				var ie *funds.IneligibleError
				if !errors.As(ans.err, &ie) {
					t.Errorf("allocation %d to a need outside the restrictions: %v", i, ans.err)
				}
			case ans.target == closed:
				var ie *funds.IneligibleError
				if !errors.As(ans.err, &ie) {
					t.Errorf("allocation %d to a closed need: %v", i, ans.err)
				}
			case errors.Is(ans.err, funds.ErrInsufficientFunds):
				short++
			case ans.err != nil:
				t.Errorf("allocation %d: %v", i, ans.err)
			case ans.a.SourcePublicID == fund.PublicID:
				fromFund++
			default:
				fromOther++
			}
		}
		if fromFund != 40 || short != n/2-40 || fromOther != n/6 {
			t.Errorf("from the fund %d (want 40), refused for lack of money %d (want %d), from the other %d (want %d)",
				fromFund, short, n/2-40, fromOther, n/6)
		}
		got, err := f.svc.Source(ctx, funds.KindFund, fund.PublicID)
		if err != nil || got.BalanceFen != 0 {
			t.Errorf("fund balance %v, %v; want 0", got, err)
		}
		var stored, lines int64
		db.Gorm.Raw("SELECT COUNT(*) FROM allocations").Scan(&stored)
		db.Gorm.Raw("SELECT COUNT(*) FROM disclosures WHERE kind = 'allocation'").Scan(&lines)
		if stored != int64(fromFund+fromOther) || lines != stored {
			t.Errorf("%d allocations and %d register lines stored, %d accepted", stored, lines, fromFund+fromOther)
		}
		f.verify()
	})
}
