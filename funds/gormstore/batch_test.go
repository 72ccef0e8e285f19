package gormstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/funds"
	fstore "github.com/jiujinan/jiujinan/funds/gormstore"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// TestBatchedAllocationsKeepEveryNeedWithinItsRequest sends concurrent
// allocations that share batches and compete for the same needs: each need
// asks 2,500 fen and gets three offers of 1,000 and one of 500, so some
// must be refused for going over what remains; a fund with a cap of 1,500
// per need gives each need at most one 1,000; and a restricted fund, a
// closed need and a fund short of money refuse too. Each need ends funded
// with exactly the sum of the allocations stored for it, never above its
// request, funded status exactly when fully funded; the ledger proves.
func TestBatchedAllocationsKeepEveryNeedWithinItsRequest(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		rich := f.fund(kernel.Restrictions{})
		f.donate(funds.TargetFund, rich.PublicID, 10_000_000)
		capped := f.fund(kernel.Restrictions{PerNeedCapFen: 1_500})
		f.donate(funds.TargetFund, capped.PublicID, 10_000_000)
		poor := f.fund(kernel.Restrictions{})
		f.donate(funds.TargetFund, poor.PublicID, 3_000)
		schools := f.fund(kernel.Restrictions{Categories: []kernel.Category{"education"}})
		f.donate(funds.TargetFund, schools.PublicID, 10_000_000)
		needs := make([]string, 8)
		for i := range needs {
			needs[i] = f.need(needSpec{RequestedFen: 2_500})
		}
		big := f.need(needSpec{RequestedFen: 1_000_000})
		closed := f.need(needSpec{Status: kernel.NeedClosed})

		type call struct {
			src, need string
			amount    int64
			a         *funds.Allocation
			err       error
		}
		var calls []*call
		for _, n := range needs {
			calls = append(calls, &call{src: rich.PublicID, need: n, amount: 1_000}, &call{src: rich.PublicID, need: n, amount: 1_000},
				&call{src: capped.PublicID, need: n, amount: 1_000}, &call{src: rich.PublicID, need: n, amount: 500})
		}
		for range 3 {
			calls = append(calls, &call{src: capped.PublicID, need: big, amount: 1_000})
		}
		for range 6 {
			calls = append(calls, &call{src: poor.PublicID, need: big, amount: 1_000}, &call{src: schools.PublicID, need: big, amount: 1_000},
				&call{src: rich.PublicID, need: closed, amount: 1_000})
		}
		var wg sync.WaitGroup
		for _, c := range calls {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.a, c.err = f.svc.Allocate(ctx, f.staff, funds.KindFund, c.src, c.need, c.amount, nil)
			}()
		}
		wg.Wait()
		accepted := map[string]int64{}
		byFund := map[string]int{}
		cappedTo := map[string]int{}
		for _, c := range calls {
			var ie *funds.IneligibleError
			switch {
			case c.err == nil:
				accepted[c.need] += c.amount
				byFund[c.src]++
				if c.src == capped.PublicID {
					cappedTo[c.need]++
				}
				if c.a.ID == 0 || c.a.NeedPublicID != c.need || c.a.AmountFen != c.amount {
					t.Errorf("allocation answered %+v for %+v", c.a, c)
				}
			case c.src == poor.PublicID && errors.Is(c.err, funds.ErrInsufficientFunds):
			case errors.As(c.err, &ie):
				if c.src == poor.PublicID {
					t.Errorf("allocation from the poor fund refused for %v", c.err)
				}
			default:
				t.Errorf("allocation %s → %s: %v", c.src, c.need, c.err)
			}
		}
		if byFund[poor.PublicID] != 3 || byFund[schools.PublicID] != 0 || accepted[closed] != 0 {
			t.Errorf("poor fund gave %d times (want 3), education fund %d (want 0), closed need got %d", byFund[poor.PublicID],
				byFund[schools.PublicID], accepted[closed])
		}
		for n, k := range cappedTo {
			if k > 1 {
				t.Errorf("the fund capped at 1,500 per need gave 1,000 to need %s %d times", n, k)
			}
		}
		if cappedTo[big] != 1 {
			t.Errorf("the fund capped at 1,500 per need gave 1,000 to the big need %d times, want once", cappedTo[big])
		}
		for _, n := range append(needs, big) {
			funded, _, status := f.needMoney(n)
			var stored int64
			db.Gorm.Raw("SELECT COALESCE(SUM(a.amount_fen), 0) FROM allocations a JOIN needs n ON n.id = a.need_id WHERE n.public_id = ?", n).Scan(&stored)
			if funded != accepted[n] || stored != funded {
				t.Errorf("need %s: funded %d, allocations stored %d, accepted %d", n, funded, stored, accepted[n])
			}
			requested := int64(2_500)
			if n == big {
				requested = 1_000_000
			}
			if funded > requested || (funded == requested) != (status == string(kernel.NeedFunded)) {
				t.Errorf("need %s: funded %d of %d, status %s", n, funded, requested, status)
			}
		}
		got, err := f.svc.Source(ctx, funds.KindFund, poor.PublicID)
		if err != nil || got.BalanceFen != 0 {
			t.Errorf("poor fund: %v %v, want 0 left", got, err)
		}
		var lines, outbox int64
		db.Gorm.Raw("SELECT COUNT(*) FROM disclosures WHERE kind = 'allocation'").Scan(&lines)
		db.Gorm.Raw("SELECT COUNT(DISTINCT need_id) FROM search_outbox").Scan(&outbox)
		if total := countAllocations(db); lines != total {
			t.Errorf("%d register lines for %d allocations", lines, total)
		}
		if outbox < int64(len(needs)+1) {
			t.Errorf("%d needs queued for the search index, want at least %d", outbox, len(needs)+1)
		}
		// The refusals are each call's own: no batch fell back to running
		// its calls alone (that would hide a broken batch path).
		if n := fstore.Spoiled(f.svc.Store.(*fstore.Store)); n != 0 {
			t.Errorf("%d batches spoiled", n)
		}
		f.verify()
	})
}

func countAllocations(db *sqldb.DB) int64 {
	var n int64
	db.Gorm.Raw("SELECT COUNT(*) FROM allocations").Scan(&n)
	return n
}

// TestBatchedIdempotentAllocations: ten keys, each sent twice at once with
// the same request (a retry racing its original past the key's lease):
// one of each pair allocates and the other gets ErrConflict, one allocation
// per key is stored, and a later retry of the key replays the stored answer
// naming that allocation.
func TestBatchedIdempotentAllocations(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		fund := f.fund(kernel.Restrictions{})
		f.donate(funds.TargetFund, fund.PublicID, 1_000_000)
		need := f.need(needSpec{RequestedFen: 1_000_000})
		render := func(v any) (int, []byte, error) {
			b, err := json.Marshal(map[string]string{"id": v.(*funds.Allocation).PublicID})
			return 201, b, err
		}
		const keys = 10
		for k := range keys {
			if _, replay, err := f.svc.BeginIdempotent(ctx, f.staff, fmt.Sprint("alloc-", k), "hash"); err != nil || replay {
				t.Fatalf("begin key %d: %v %v", k, replay, err)
			}
		}
		won := make([][]*funds.Allocation, keys)
		var mu sync.Mutex
		var wg sync.WaitGroup
		for k := range keys {
			for range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					a, err := f.svc.Allocate(ctx, f.staff, funds.KindFund, fund.PublicID, need, 100, &funds.Idem{Key: fmt.Sprint("alloc-", k), Render: render})
					if err != nil && !errors.Is(err, kernel.ErrConflict) {
						t.Errorf("key %d: %v", k, err)
					}
					if err == nil {
						mu.Lock()
						won[k] = append(won[k], a)
						mu.Unlock()
					}
				}()
			}
		}
		wg.Wait()
		for k := range keys {
			if len(won[k]) != 1 {
				t.Errorf("key %d allocated %d times, want once", k, len(won[k]))
				continue
			}
			rec, replay, err := f.svc.BeginIdempotent(ctx, f.staff, fmt.Sprint("alloc-", k), "hash")
			var body map[string]string
			if err != nil || !replay || json.Unmarshal(rec.Body, &body) != nil || body["id"] != won[k][0].PublicID {
				t.Errorf("retry of key %d: %v %v %+v, want the answer naming %s", k, replay, err, rec, won[k][0].PublicID)
			}
		}
		if n := countAllocations(db); n != keys {
			t.Errorf("%d allocations stored, want %d", n, keys)
		}
		if funded, _, _ := f.needMoney(need); funded != keys*100 {
			t.Errorf("need funded %d, want %d", funded, keys*100)
		}
		f.verify()
	})
}

// personScreener blocks an allocation to a person who already has money
// in another need, and reports the person's state as it read it; the first
// n screenings wait for each other, so that they all read the same picture.
type personScreener struct {
	db   *sqldb.DB
	mu   sync.Mutex
	left int
	all  chan struct{}
}

func (p *personScreener) Screen(ctx context.Context, need string, st kernel.ScreeningStage, amt int64) (*kernel.Screening, error) {
	var rows []struct {
		ID        int64
		PublicID  string
		Version   int64
		Status    string
		FundedFen int64
	}
	if err := p.db.Gorm.WithContext(ctx).Raw(`SELECT id, public_id, version, status, funded_fen FROM needs
		WHERE pseudonym = (SELECT pseudonym FROM needs WHERE public_id = ?) ORDER BY id`, need).Scan(&rows).Error; err != nil {
		return nil, err
	}
	state := make([]kernel.PersonNeedState, len(rows))
	res := kernel.ScreenClear
	for i, r := range rows {
		state[i] = kernel.PersonNeedState{ID: r.ID, Version: r.Version, Status: kernel.NeedStatus(r.Status), FundedFen: r.FundedFen}
		if r.PublicID != need && r.FundedFen > 0 {
			res = kernel.ScreenBlock
		}
	}
	p.mu.Lock()
	wait := p.left > 0
	if wait {
		if p.left--; p.left == 0 {
			close(p.all)
		}
	}
	p.mu.Unlock()
	if wait {
		<-p.all
	}
	return &kernel.Screening{NeedID: need, Stage: st, Result: res, AmountFen: amt, PersonState: kernel.PersonStateOf(state)}, nil
}

// TestBatchedAllocationsToOnePersonScreenAgain: with screening wired,
// allocations to four needs of the same person screen at the same moment
// (each sees a person with no money yet) and go into one batch: exactly
// one goes through, the others see that the person's needs changed since
// their screening, screen again and are blocked.
func TestBatchedAllocationsToOnePersonScreenAgain(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		fund := f.fund(kernel.Restrictions{})
		f.donate(funds.TargetFund, fund.PublicID, 1_000_000)
		needs := make([]string, 4) // four postings of one person
		for i := range needs {
			needs[i] = f.need(needSpec{Person: strings.Repeat("a", 64)})
		}
		f.svc.Screener = &personScreener{db: db, left: len(needs), all: make(chan struct{})}
		errs := make([]error, len(needs))
		var wg sync.WaitGroup
		for i, n := range needs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = f.svc.Allocate(ctx, f.staff, funds.KindFund, fund.PublicID, n, 1_000, nil)
			}()
		}
		wg.Wait()
		won := 0
		for i, err := range errs {
			var be *kernel.ScreeningBlockedError
			switch {
			case err == nil:
				won++
			case errors.As(err, &be):
			default:
				t.Errorf("allocation to need %d: %v", i, err)
			}
		}
		if won != 1 || countAllocations(db) != 1 {
			t.Errorf("%d allocations went through (%d stored), want exactly one", won, countAllocations(db))
		}
		if n := fstore.Spoiled(f.svc.Store.(*fstore.Store)); n != 0 {
			t.Errorf("%d batches spoiled", n)
		}
		f.verify()
	})
}

// allocateAtOnce allocates 1,000 fen from src n times at once, to needs in
// turn, and returns how many succeeded; each failure fails the test.
func (f *fixture) allocateAtOnce(src string, needs []string, n int) int64 {
	var wg sync.WaitGroup
	var ok atomic.Int64
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := f.svc.Allocate(context.Background(), f.staff, funds.KindFund, src, needs[i%len(needs)], 1_000, nil); err != nil {
				f.t.Errorf("allocation %d: %v", i, err)
				return
			}
			ok.Add(1)
		}()
	}
	wg.Wait()
	return ok.Load()
}

// TestSpoiledBatchRunsEachAllocationAlone: when the database fails a
// batch's writes, nothing of the batch is committed and every allocation
// of it runs again alone: all of them are stored once, and the ledger
// proves.
func TestSpoiledBatchRunsEachAllocationAlone(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		fund := f.fund(kernel.Restrictions{})
		f.donate(funds.TargetFund, fund.PublicID, 1_000_000)
		needs := make([]string, 6)
		for i := range needs {
			needs[i] = f.need(needSpec{RequestedFen: 1_000_000})
		}
		var failed atomic.Int64
		fstore.SetFailFlush(f.svc.Store.(*fstore.Store), func() error {
			if failed.Add(1) <= 3 {
				return errors.New("injected: connection lost")
			}
			return nil
		})
		const n = 60
		ok := f.allocateAtOnce(fund.PublicID, needs, n)
		if failed.Load() == 0 {
			t.Fatal("no batch was flushed")
		}
		if ok != n || countAllocations(db) != n {
			t.Errorf("%d allocations answered, %d stored, want %d", ok, countAllocations(db), n)
		}
		got, err := f.svc.Source(ctx, funds.KindFund, fund.PublicID)
		if err != nil || got.BalanceFen != 1_000_000-n*1_000 {
			t.Errorf("fund: %v %v, want %d left", got, err, 1_000_000-n*1_000)
		}
		f.verify()
	})
}

func TestMariaDBReturningByVersion(t *testing.T) {
	for v, want := range map[string]bool{"10.11.19-MariaDB-0+deb12u1": true, "5.5.5-10.6.12-MariaDB": true, "10.4.32-MariaDB": false,
		"11.4.2-MariaDB": true, "8.0.36": false, "8.4.0-commercial": false} {
		if got := fstore.MariaDBReturning(v); got != want {
			t.Errorf("%s: %v, want %v", v, got, want)
		}
	}
}

// TestBatchCallsBeyondTheirHintRunAlone: grouped calls that lock a need
// their hint did not name, or use a Tx method a batch does not serve
// (LockNeedByID), share batches with ordinary allocations; they run again
// alone through InTx and take effect exactly once, and the ledger proves.
func TestBatchCallsBeyondTheirHintRunAlone(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		fund := f.fund(kernel.Restrictions{})
		f.donate(funds.TargetFund, fund.PublicID, 1_000_000)
		needs := make([]string, 4)
		for i := range needs {
			needs[i] = f.need(needSpec{RequestedFen: 1_000_000})
		}
		other := f.need(needSpec{RequestedFen: 1_000_000})
		st, err := f.svc.Store.Need(ctx, other)
		if err != nil {
			t.Fatal(err)
		}
		// give moves 100 fen from the fund to the other need by hand, the
		// way an allocation moves the money (without its allocation row).
		give := func(byID bool) func(tx funds.Tx) error {
			return func(tx funds.Tx) error {
				var n *funds.NeedState
				var err error
				if byID {
					n, err = tx.LockNeedByID(st.ID)
				} else {
					n, err = tx.LockNeed(other)
				}
				if err != nil {
					return err
				}
				n.FundedFen += 100
				if err := tx.SaveNeedMoney(n, nil, *f.now.Load()); err != nil {
					return err
				}
				if err := tx.AddLot(&funds.Lot{NeedID: n.ID, Kind: funds.LotGift, AmountFen: 100, CreatedAt: *f.now.Load()}); err != nil {
					return err
				}
				return tx.Post(&funds.JournalTx{PublicID: newID(), Kind: funds.TxAllocation, RefType: "test", RefID: newID(), At: *f.now.Load(),
					Entries: []funds.Entry{{Account: funds.SourceAccount(fund), AmountFen: -100}, {Account: funds.NeedAccount(other), AmountFen: 100}}})
			}
		}
		var wg sync.WaitGroup
		for i := range 40 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var err error
				switch i % 4 {
				case 1:
					err = f.svc.Store.InTxGrouped(ctx, funds.GroupHint{Source: fund.PublicID, Need: needs[0]}, give(false))
				case 3:
					err = f.svc.Store.InTxGrouped(ctx, funds.GroupHint{Source: fund.PublicID, Need: needs[1]}, give(true))
				default:
					_, err = f.svc.Allocate(ctx, f.staff, funds.KindFund, fund.PublicID, needs[i%len(needs)], 1_000, nil)
				}
				if err != nil {
					t.Errorf("call %d: %v", i, err)
				}
			}()
		}
		wg.Wait()
		if funded, _, _ := f.needMoney(other); funded != 20*100 {
			t.Errorf("the other need got %d fen, want %d", funded, 20*100)
		}
		if n := countAllocations(db); n != 20 {
			t.Errorf("%d allocations stored, want 20", n)
		}
		got, err := f.svc.Source(ctx, funds.KindFund, fund.PublicID)
		if err != nil || got.BalanceFen != 1_000_000-20*1_000-20*100 {
			t.Errorf("fund: %v %v", got, err)
		}
		f.verify()
	})
}

// TestBatchingOffRunsEachAllocationAlone: with Options.NoBatching (the
// JIUJINAN_ALLOCATION_BATCHING=off setting) concurrent allocations each run
// alone through InTx: no batch forms, and every one still succeeds. With
// batching on, every allocation runs in a batch, if only of one.
func TestBatchingOffRunsEachAllocationAlone(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		store := fstore.NewWithOptions(db, fstore.Options{NoBatching: true})
		f.svc.Store = store
		ctx := context.Background()
		fund := f.fund(kernel.Restrictions{})
		f.donate(funds.TargetFund, fund.PublicID, 1_000_000)
		needs := make([]string, 4)
		for i := range needs {
			needs[i] = f.need(needSpec{RequestedFen: 1_000_000})
		}
		const n = 24
		if ok := f.allocateAtOnce(fund.PublicID, needs, n); ok != n {
			t.Errorf("%d of %d allocations succeeded", ok, n)
		}
		if b := fstore.Batches(store); b != 0 {
			t.Errorf("%d batches ran with batching off", b)
		}
		if got := countAllocations(db); got != n {
			t.Errorf("%d allocations stored, want %d", got, n)
		}
		f.verify()

		on := fstore.New(db)
		f.svc.Store = on
		if _, err := f.svc.Allocate(ctx, f.staff, funds.KindFund, fund.PublicID, needs[0], 1_000, nil); err != nil {
			t.Fatal(err)
		}
		if b := fstore.Batches(on); b != 1 {
			t.Errorf("%d batches ran for one allocation with batching on, want 1", b)
		}
	})
}
