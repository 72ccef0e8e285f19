package gormstore_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/funds"
	fstore "github.com/jiujinan/jiujinan/funds/gormstore"
	"github.com/jiujinan/jiujinan/migrations"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// TestBurstCutOffLeavesBalancedLedger starts a burst of allocations and
// confirmations, cancels every request and closes the database under them
// (what a killed process does to its transactions), then reopens the
// database: the ledger proves, and nothing half-written remains.
func TestBurstCutOffLeavesBalancedLedger(t *testing.T) {
	sqldbtest.EachURL(t, func(t *testing.T, url string) {
		ctx := context.Background()
		db, err := sqldb.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := migrations.Up(ctx, db); err != nil {
			t.Fatal(err)
		}
		f := newFixture(t, db)
		fund := f.fund(kernel.Restrictions{})
		f.donate(funds.TargetFund, fund.PublicID, 10_000_000)
		needs := make([]string, 20)
		for i := range needs {
			needs[i] = f.need(needSpec{RequestedFen: 200_000})
		}
		donor := f.user(kernel.RoleDonor, nil)
		pending := make([]string, 40)
		for i := range pending {
			p, err := f.svc.CreatePledge(ctx, donor, funds.NewPledge{TargetType: funds.TargetNeed, TargetID: needs[i%len(needs)], AmountFen: 1_000}, nil)
			if err != nil {
				t.Fatal(err)
			}
			pending[i] = p.PublicID
		}
		burst, cut := context.WithCancel(ctx)
		var wg sync.WaitGroup
		var mu sync.Mutex
		done := 0
		var firstErr error
		for g := 0; g < 16; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; burst.Err() == nil; i++ {
					var err error
					switch {
					case i%3 == 0 && (g*7+i)/3 < len(pending):
						_, err = f.svc.ConfirmPledge(burst, f.staff, pending[(g*7+i)/3])
					case i%4 == 1 && i > 4:
						// Paying out what the need holds, gifts and allocations alike.
						_, err = f.svc.DisburseNeed(burst, f.staff, needs[(g+i)%len(needs)], funds.NewDisbursement{AmountFen: 700,
							ProviderKind: funds.ProviderHospital, Payee: funds.Payee{Type: funds.PayeeProvider, Name: "郓城县人民医院", Reference: "INV-778899"}}, nil)
					default:
						_, err = f.svc.Allocate(burst, f.staff, funds.KindFund, fund.PublicID, needs[(g+i)%len(needs)], 1_000+int64(i%5), nil)
					}
					mu.Lock()
					if err == nil {
						done++
					} else if firstErr == nil && burst.Err() == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}()
		}
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			mu.Lock()
			n := done
			mu.Unlock()
			if n >= 30 {
				break
			}
		}
		cut()
		db.Close() // connections die under transactions still in flight
		wg.Wait()

		db2, err := sqldb.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer db2.Close()
		svc := funds.NewService(fstore.New(db2), f.svc.Cipher, f.svc.Divisions, f.svc.Now, newID)
		problems, facts, err := svc.VerifyLedger(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Errorf("after the cut: %s", p)
		}
		var payments, paymentTx int64
		db2.Gorm.Raw("SELECT COUNT(*) FROM disbursements").Scan(&payments)
		db2.Gorm.Raw("SELECT COUNT(*) FROM ledger_transactions WHERE kind = 'payout'").Scan(&paymentTx)
		if payments != paymentTx {
			t.Errorf("%d disbursements but %d payout transactions", payments, paymentTx)
		}
		var allocs, allocTx int64
		db2.Gorm.Raw("SELECT COUNT(*) FROM allocations").Scan(&allocs)
		db2.Gorm.Raw("SELECT COUNT(*) FROM ledger_transactions WHERE kind = 'allocation'").Scan(&allocTx)
		if allocs != allocTx {
			t.Errorf("%d allocations but %d allocation transactions", allocs, allocTx)
		}
		if allocs == 0 {
			t.Errorf("the burst committed nothing before the cut; the test proves nothing (first error %v)", firstErr)
		}
		t.Logf("%d operations answered before the cut, %d allocations and %d disbursements committed, %d transactions", done, allocs, payments, facts.Transactions)
	})
}
