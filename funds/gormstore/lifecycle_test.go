package gormstore_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// statusEvent is a need event's action and move, or an audit entry's.
type statusEvent struct{ Action, From, To string }

// needEvents reads a need's events, oldest first.
func (f *fixture) needEvents(id string) []statusEvent {
	f.t.Helper()
	var out []statusEvent
	if err := f.db.Gorm.Raw(`SELECT e.action, e.from_status AS "from", e.to_status AS "to" FROM need_events e JOIN needs n ON n.id = e.need_id
		WHERE n.public_id = ? ORDER BY e.id`, id).Scan(&out).Error; err != nil {
		f.t.Fatal(err)
	}
	return out
}

// needAudit reads a need's audit stream, checks its chain and returns its
// entries' actions and moves.
func (f *fixture) needAudit(id string) []statusEvent {
	f.t.Helper()
	ctx := context.Background()
	stream := "need:" + id
	es, err := f.mstore.AuditEntries(ctx, stream)
	if err != nil {
		f.t.Fatal(err)
	}
	heads, err := f.mstore.AuditStreams(ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []statusEvent
	for _, h := range heads {
		if h.Stream != stream {
			continue
		}
		for _, p := range marketplace.VerifyChain(h.Stream, es, h.Seq, h.Hash) {
			f.t.Errorf("audit: %s", p)
		}
	}
	for _, e := range es {
		var d struct{ From, To string }
		if err := json.Unmarshal([]byte(e.Detail), &d); err != nil {
			f.t.Fatal(err)
		}
		out = append(out, statusEvent{e.Action, d.From, d.To})
	}
	return out
}

func sameEvents(t *testing.T, what string, got []statusEvent, want ...statusEvent) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %+v, want %+v", what, got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%s #%d: %+v, want %+v", what, i, got[i], want[i])
		}
	}
}

// A need's money states are lifecycle moves like any other: the allocation
// that funds it fully, the disbursement that pays it all out and the refund
// that takes it below its request each leave a need event and an entry in
// the need's audit chain, committed with the money; movements that change
// no status leave none.
func TestMoneyMovesAreNeedEvents(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		fund := f.fund(kernel.Restrictions{})
		f.donate(funds.TargetFund, fund.PublicID, 1_000_000)

		paid := f.need(needSpec{RequestedFen: 100_000})
		first, err := f.svc.Allocate(ctx, f.staff, funds.KindFund, fund.PublicID, paid, 40_000, nil)
		if err != nil {
			t.Fatal(err)
		}
		sameEvents(t, "after a part", f.needEvents(paid))
		second, err := f.svc.Allocate(ctx, f.staff, funds.KindFund, fund.PublicID, paid, 60_000, nil)
		if err != nil {
			t.Fatal(err)
		}
		funded := statusEvent{"need.funded", "open", "funded"}
		sameEvents(t, "events when funded", f.needEvents(paid), funded)
		sameEvents(t, "audit when funded", f.needAudit(paid), funded)
		payee := funds.Payee{Type: funds.PayeeProvider, Name: "郓城县人民医院", Reference: "INV-1"}
		if _, err := f.svc.Disburse(ctx, f.staff, first.PublicID, payee, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Disburse(ctx, f.staff, second.PublicID, payee, nil); err != nil {
			t.Fatal(err)
		}
		disbursed := statusEvent{"need.disbursed", "funded", "disbursed"}
		sameEvents(t, "events when disbursed", f.needEvents(paid), funded, disbursed)
		sameEvents(t, "audit when disbursed", f.needAudit(paid), funded, disbursed)
		if _, _, st := f.needMoney(paid); st != "disbursed" {
			t.Errorf("status %s, want disbursed", st)
		}

		// A donor's gift funds a need fully; its refund reopens it.
		given := f.need(needSpec{RequestedFen: 50_000})
		p := f.donate(funds.TargetNeed, given, 50_000)
		funded.To = "funded"
		sameEvents(t, "events when a gift funds", f.needEvents(given), funded)
		if _, err := f.svc.RefundPledge(ctx, f.staff, p.PublicID); err != nil {
			t.Fatal(err)
		}
		reopened := statusEvent{"need.reopened", "funded", "open"}
		sameEvents(t, "events when refunded", f.needEvents(given), funded, reopened)
		sameEvents(t, "audit when refunded", f.needAudit(given), funded, reopened)
		if fen, _, st := f.needMoney(given); fen != 0 || st != "open" {
			t.Errorf("after the refund: funded %d, status %s", fen, st)
		}
		var actors []string
		db.Gorm.Raw(`SELECT e.actor FROM need_events e JOIN needs n ON n.id = e.need_id WHERE n.public_id = ? ORDER BY e.id`, given).Scan(&actors)
		if len(actors) != 2 || actors[0] != marketplace.ActorSystem || actors[1] != f.staff.User.PublicID {
			t.Errorf("actors %v: the confirmed gift is the system's, the refund its staff's", actors)
		}
		f.verify()
	})
}

// Allocations that run side by side (batched into one transaction when
// they meet) record each need's move to funded once, with its audit entry,
// and leave every chain unbroken.
func TestConcurrentAllocationsRecordFundedOnce(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		fund := f.fund(kernel.Restrictions{})
		f.donate(funds.TargetFund, fund.PublicID, 10_000_000)
		needs := make([]string, 6)
		for i := range needs {
			needs[i] = f.need(needSpec{RequestedFen: 4_000})
		}
		var wg sync.WaitGroup
		errs := make(chan error, 4*len(needs))
		for _, n := range needs {
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := f.svc.Allocate(ctx, f.staff, funds.KindFund, fund.PublicID, n, 1_000, nil); err != nil {
						errs <- err
					}
				}()
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("allocate: %v", err)
		}
		funded := statusEvent{"need.funded", "open", "funded"}
		for _, n := range needs {
			sameEvents(t, "events of "+n, f.needEvents(n), funded)
			sameEvents(t, "audit of "+n, f.needAudit(n), funded)
			if fen, _, st := f.needMoney(n); fen != 4_000 || st != "funded" {
				t.Errorf("need %s: funded %d, status %s", n, fen, st)
			}
		}
		f.verify()
	})
}
