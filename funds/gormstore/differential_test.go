package gormstore_test

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/jiujinan/jiujinan/funds"
	fstore "github.com/jiujinan/jiujinan/funds/gormstore"
	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace/gormstore/needfixture"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// The batched allocation path (group.go, batch.go: one transaction per
// batch, the rules run against an in-memory funds.Tx, multi-row writes)
// must leave exactly what the unbatched path (each call alone through InTx
// with the gorm Tx) leaves. TestBatchedAndUnbatchedPathsKeepTheSameBooks
// runs random sequences of money movements twice on two fresh databases:
// once with allocations issued concurrently so that they share batches,
// once replayed one by one with batching off, in the order the batched run
// applied them. Every call's answer, the ledger, the needs, the allocations,
// the pledges and the disclosure register must come out the same.
//
// A seed fixes the sequence of calls; which allocations of a round share a
// batch and in what order they apply is the scheduler's, and the test
// replays whatever order it was. Soak it with more seeds:
//
//	go test ./funds/gormstore/ -run TestBatchedAndUnbatched -args -diff-seeds=500

var diffSeedsFlag = flag.Int("diff-seeds", 0, "random sequences TestBatchedAndUnbatchedPathsKeepTheSameBooks runs on each database (0: the default)")

// diffSeeds is how many random sequences run on each database.
func diffSeeds(db *sqldb.DB) int {
	switch {
	case *diffSeedsFlag > 0:
		return *diffSeedsFlag
	case testing.Short() || raceEnabled && db.Dialect == sqldb.MySQL:
		return 2
	case raceEnabled:
		return 3
	case db.Dialect == sqldb.MySQL:
		return 6
	}
	return 16
}

func TestBatchedAndUnbatchedPathsKeepTheSameBooks(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, first *sqldb.DB) {
		open := sqldbtest.MustOpenSQLite
		if first.Dialect == sqldb.MySQL {
			open = sqldbtest.MustOpenMySQL
		}
		for seed := uint64(1); seed <= uint64(diffSeeds(first)); seed++ {
			t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
				batchedDB := first
				if seed > 1 {
					batchedDB = open(t)
				}
				runDifferential(t, seed, batchedDB, open(t))
			})
		}
	})
}

func runDifferential(t *testing.T, seed uint64, batchedDB, plainDB *sqldb.DB) {
	ops := genOps(seed)
	batched := newBooks(t, batchedDB, true)
	order, got := batched.runBatched(ops)
	if batched.batchedCalls == 0 {
		t.Fatalf("seed %d: no allocation ran in a batch of several calls", seed)
	}
	plain := newBooks(t, plainDB, false)
	want := make([]string, len(ops))
	for _, i := range order {
		want[i] = plain.run(i, ops[i])
	}
	if n := fstore.Batches(plain.store); n != 0 {
		t.Fatalf("seed %d: %d batches ran with batching off", seed, n)
	}
	for _, i := range order {
		if got[i] != want[i] {
			t.Errorf("seed %d: call %d (%s) answered %q batched, %q alone", seed, i, ops[i], got[i], want[i])
		}
	}
	bs, ps := batched.snapshot(), plain.snapshot()
	kinds := map[string]int{}
	for _, a := range got {
		kinds[a]++
	}
	t.Logf("seed %d: %d calls, %d of them in shared batches; answers %v; %d transactions", seed, len(ops), batched.batchedCalls, kinds, len(bs["transactions"]))
	for _, part := range []string{"needs", "accounts", "transactions", "account histories", "allocations", "pledges", "lots", "disclosures"} {
		if d := lineDiff(bs[part], ps[part]); d != "" {
			t.Errorf("seed %d: %s differ (batched -, alone +):\n%s", seed, part, d)
		}
	}
	batched.f.verify()
	plain.f.verify()
	if t.Failed() {
		t.Logf("seed %d: rerun it alone with -run 'TestBatchedAndUnbatchedPathsKeepTheSameBooks/%s/seed=%d$'", seed, map[bool]string{true: "mysql", false: "sqlite"}[batchedDB.Dialect == sqldb.MySQL], seed)
	}
}

// ---- the random sequences

type opKind string

const (
	opAllocate   opKind = "allocate"
	opGiveFund   opKind = "give to fund"
	opGiveNeed   opKind = "give to need"
	opRefund     opKind = "refund pledge"
	opDisburse   opKind = "disburse"
	opPayNeed    opKind = "pay out need"
	opEndNeed    opKind = "end need"
	opReturnDone opKind = "return allocations"
)

type diffOp struct {
	kind   opKind
	src    int // fund index
	need   int // need index
	ref    int // the call whose allocation or pledge this one names
	amount int64
	status kernel.NeedStatus
	// round groups the allocations issued concurrently; -1 runs alone.
	round int
}

func (o diffOp) String() string {
	switch o.kind {
	case opAllocate:
		return fmt.Sprintf("allocate %d fen from fund %d to need %d", o.amount, o.src, o.need)
	case opGiveFund:
		return fmt.Sprintf("give %d fen to fund %d", o.amount, o.src)
	case opGiveNeed:
		return fmt.Sprintf("give %d fen to need %d", o.amount, o.need)
	case opRefund, opDisburse:
		return fmt.Sprintf("%s of call %d", o.kind, o.ref)
	case opPayNeed:
		return fmt.Sprintf("pay out %d fen of need %d", o.amount, o.need)
	case opEndNeed:
		return fmt.Sprintf("need %d %s", o.need, o.status)
	}
	return string(o.kind)
}

// The world every sequence starts from: four funds (one rich, one capped
// per need, one poor, one for education only) and six needs of various
// sizes and categories, one of them closed.
var (
	diffFunds = []struct {
		r     kernel.Restrictions
		money int64
	}{
		{kernel.Restrictions{}, 60_000},
		{kernel.Restrictions{PerNeedCapFen: 2_500}, 40_000},
		{kernel.Restrictions{}, 4_000},
		{kernel.Restrictions{Categories: []kernel.Category{"education"}}, 30_000},
	}
	// Needs 0 and 1 and needs 4 and 5 are postings of one person each:
	// the capped fund's cap is the person's.
	diffNeeds = []needSpec{
		{RequestedFen: 3_000, Person: strings.Repeat("b", 64)},
		{RequestedFen: 8_000, Person: strings.Repeat("b", 64)},
		{RequestedFen: 12_500, Category: "education"},
		{RequestedFen: 5_000, Category: "education"},
		{RequestedFen: 40_000, Person: strings.Repeat("c", 64)},
		{RequestedFen: 6_000, Status: kernel.NeedClosed, Person: strings.Repeat("c", 64)},
	}
)

// genOps draws a sequence: rounds of concurrent allocations, each followed
// by a few movements that run alone. It depends on the seed only: calls that
// name an earlier allocation or pledge name its call, whatever that call
// answered.
func genOps(seed uint64) []diffOp {
	r := rand.New(rand.NewPCG(seed, 0x6a69756a696e616e))
	amounts := []int64{300, 500, 1_000, 1_500, 2_000, 2_500, 4_000}
	var ops []diffOp
	var allocs, pledges []int
	for round := range 5 + r.IntN(3) {
		for range 6 + r.IntN(14) {
			allocs = append(allocs, len(ops))
			ops = append(ops, diffOp{kind: opAllocate, src: r.IntN(len(diffFunds)), need: r.IntN(len(diffNeeds)),
				amount: amounts[r.IntN(len(amounts))], round: round})
		}
		for range 2 + r.IntN(4) {
			o := diffOp{round: -1}
			switch k := r.IntN(10); {
			case k < 2:
				o.kind, o.src, o.amount = opGiveFund, r.IntN(len(diffFunds)), amounts[r.IntN(len(amounts))]*2
				pledges = append(pledges, len(ops))
			case k < 4:
				o.kind, o.need, o.amount = opGiveNeed, r.IntN(len(diffNeeds)), amounts[r.IntN(len(amounts))]
				pledges = append(pledges, len(ops))
			case k < 5 && len(pledges) > 0:
				o.kind, o.ref = opRefund, pledges[r.IntN(len(pledges))]
			case k < 7:
				o.kind, o.ref = opDisburse, allocs[r.IntN(len(allocs))]
			case k < 8:
				o.kind, o.need, o.amount = opPayNeed, r.IntN(len(diffNeeds)), amounts[r.IntN(len(amounts))]
			case k < 9:
				o.kind, o.need = opEndNeed, r.IntN(len(diffNeeds))
				o.status = []kernel.NeedStatus{kernel.NeedWithdrawn, kernel.NeedClosed}[r.IntN(2)]
			default:
				o.kind = opReturnDone
			}
			ops = append(ops, o)
		}
	}
	return ops
}

// ---- one run

// books is one run of a sequence over its own database.
type books struct {
	t     *testing.T
	f     *fixture
	store *fstore.Store
	order *orderedStore // batched runs only
	donor *kernel.Principal
	srcs  []*funds.Source
	needs []string

	mu     sync.Mutex
	made   map[int]string    // call → public id of the allocation or pledge it made
	labels map[string]string // public id → the name the snapshot shows

	// batchedCalls counts the allocations that ran in a batch of several.
	batchedCalls int
}

func newBooks(t *testing.T, db *sqldb.DB, batched bool) *books {
	f := newFixture(t, db)
	b := &books{t: t, f: f, made: map[int]string{}, labels: map[string]string{}}
	b.store = fstore.NewWithOptions(db, fstore.Options{NoBatching: !batched})
	f.svc.Store = b.store
	if batched {
		b.order = &orderedStore{Store: b.store, last: map[int]int{}}
		f.svc.Store = b.order
	}
	b.labels[f.fed.PublicID], b.labels[f.other.PublicID], b.labels[f.swa.PublicID] = "fed", "other", "swa"
	b.donor = f.user(kernel.RoleDonor, nil)
	for i, d := range diffFunds {
		src := f.fund(d.r)
		b.srcs = append(b.srcs, src)
		b.labels[src.PublicID] = fmt.Sprintf("fund%d", i)
		b.give(funds.TargetFund, src.PublicID, d.money)
	}
	for i, spec := range diffNeeds {
		id := f.need(spec)
		b.needs = append(b.needs, id)
		b.labels[id] = fmt.Sprintf("need%d", i)
	}
	// The setup's own pledges are named by their order.
	var setup []string
	db.Gorm.Raw("SELECT public_id FROM pledges ORDER BY id").Scan(&setup)
	for i, id := range setup {
		b.labels[id] = fmt.Sprintf("setup-pledge%d", i)
	}
	return b
}

// give pledges money as the run's donor and confirms it (the fixture's
// donate makes a new donor each time, at the cost of a password hash).
func (b *books) give(tt funds.TargetType, target string, amount int64) {
	b.t.Helper()
	ctx := context.Background()
	p, err := b.f.svc.CreatePledge(ctx, b.donor, funds.NewPledge{TargetType: tt, TargetID: target, AmountFen: amount}, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	if _, err := b.f.svc.ConfirmPledge(ctx, b.f.staff, p.PublicID); err != nil {
		b.t.Fatal(err)
	}
}

func (b *books) remember(call int, publicID, label string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.made[call] = publicID
	b.labels[publicID] = label
}

func (b *books) madeBy(call int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if id, ok := b.made[call]; ok {
		return id
	}
	return "00000000000000000000000000" // a call that made nothing: not found
}

// run makes call i and returns its answer: what it did, or its error by kind.
func (b *books) run(i int, o diffOp) string {
	ctx := context.WithValue(context.Background(), callKey{}, i)
	f := b.f
	switch o.kind {
	case opAllocate:
		a, err := f.svc.Allocate(ctx, f.staff, funds.KindFund, b.srcs[o.src].PublicID, b.needs[o.need], o.amount, nil)
		if err != nil {
			return errKind(err)
		}
		b.remember(i, a.PublicID, fmt.Sprintf("alloc%d", i))
		return fmt.Sprintf("ok %d", a.AmountFen)
	case opGiveFund, opGiveNeed:
		n := funds.NewPledge{TargetType: funds.TargetFund, AmountFen: o.amount}
		if o.kind == opGiveFund {
			n.TargetID = b.srcs[o.src].PublicID
		} else {
			n.TargetType, n.TargetID = funds.TargetNeed, b.needs[o.need]
		}
		p, err := f.svc.CreatePledge(ctx, b.donor, n, nil)
		if err != nil {
			return errKind(err)
		}
		b.remember(i, p.PublicID, fmt.Sprintf("pledge%d", i))
		if p, err = f.svc.ConfirmPledge(ctx, f.staff, p.PublicID); err != nil {
			return errKind(err)
		}
		return "ok " + string(p.Status)
	case opRefund:
		p, err := f.svc.RefundPledge(ctx, f.staff, b.madeBy(o.ref))
		if err != nil {
			return errKind(err)
		}
		return "ok " + string(p.Status)
	case opDisburse:
		a, err := f.svc.Disburse(ctx, f.staff, b.madeBy(o.ref), funds.Payee{Type: funds.PayeeProvider, Name: "郓城县人民医院", Reference: fmt.Sprintf("INV-%d", i)}, nil)
		if err != nil {
			return errKind(err)
		}
		return "ok " + string(a.Status)
	case opPayNeed:
		d, err := f.svc.DisburseNeed(ctx, f.staff, b.needs[o.need], funds.NewDisbursement{AmountFen: o.amount, ProviderKind: funds.ProviderHospital,
			Payee: funds.Payee{Type: funds.PayeeProvider, Name: "郓城县人民医院", Reference: fmt.Sprintf("INV-%d", i)}}, nil)
		if err != nil {
			return errKind(err)
		}
		b.remember(i, d.PublicID, fmt.Sprintf("payment%d", i))
		return fmt.Sprintf("ok %d", d.AmountFen)
	case opEndNeed:
		// The needs service owns the lifecycle; here the row moves as it
		// would when a worker withdraws the need or staff close it.
		if err := needfixture.Set(ctx, f.db.Gorm, b.needs[o.need], map[string]any{"status": string(o.status), "version": gorm.Expr("version + 1")}); err != nil {
			b.t.Fatal(err)
		}
		return "ok"
	case opReturnDone:
		n, err := f.svc.ReturnAllocations(ctx)
		if err != nil {
			return errKind(err)
		}
		return fmt.Sprintf("ok %d returned", n)
	}
	panic("unknown call " + string(o.kind))
}

// errKind names an error by its kind, as the API would tell it apart, with
// the reason's catalogue key.
func errKind(err error) string {
	var ie *funds.IneligibleError
	if errors.As(err, &ie) {
		codes := make([]string, len(ie.Reasons))
		for i, r := range ie.Reasons {
			codes[i] = r.Code
		}
		return "ineligible " + strings.Join(codes, ",")
	}
	kind := "error: " + err.Error()
	for _, k := range []error{funds.ErrInsufficientFunds, kernel.ErrNotFound, kernel.ErrForbidden, kernel.ErrConflict} {
		if errors.Is(err, k) {
			kind = k.Error()
			break
		}
	}
	var v *kernel.ValidationError
	if errors.As(err, &v) {
		kind = "invalid"
	}
	var r *kernel.Refusal
	if errors.As(err, &r) {
		kind += " " + r.Key
	}
	return kind
}

// runBatched runs the sequence with each round's allocations issued
// concurrently and returns the order the calls took effect in, and their
// answers. Each round's first allocation holds its batch open until every
// other allocation of the round waits in the lane, so that those form one
// batch whatever the scheduler does.
func (b *books) runBatched(ops []diffOp) (order []int, answers []string) {
	answers = make([]string, len(ops))
	for i := 0; i < len(ops); {
		if ops[i].round < 0 {
			answers[i] = b.run(i, ops[i])
			order = append(order, i)
			i++
			continue
		}
		j := i
		for j < len(ops) && ops[j].round == ops[i].round {
			j++
		}
		gate := &callGate{call: i, entered: make(chan struct{}), release: make(chan struct{})}
		b.order.gate.Store(gate)
		var wg sync.WaitGroup
		var early atomic.Int64 // calls that ended before reaching the lane
		for k := i; k < j; k++ {
			wg.Add(1)
			ended := make(chan struct{})
			go func() {
				defer wg.Done()
				defer close(ended)
				answers[k] = b.run(k, ops[k])
				if k != i {
					early.Add(1)
				}
			}()
			if k == i {
				select {
				case <-gate.entered:
				case <-ended: // refused before its transaction: no gate to hold
				}
			}
		}
		// While the gate holds the lane no batch starts: every other call
		// of the round either waits in the lane or has ended without it.
		for fstore.Queued(b.store)+int(early.Load()) < j-i-1 {
			time.Sleep(100 * time.Microsecond)
		}
		close(gate.release)
		wg.Wait()
		b.order.gate.Store(nil)
		round := make([]int, 0, j-i)
		for k := i; k < j; k++ {
			round = append(round, k)
		}
		sort.Slice(round, func(x, y int) bool { return b.order.last[round[x]] < b.order.last[round[y]] })
		order = append(order, round...)
		b.batchedCalls += b.order.batched(round)
		i = j
	}
	return order, answers
}

// ---- recording the order the batched run applied its calls in

type callKey struct{}

// callGate holds a call's first run until released.
type callGate struct {
	call    int
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

// orderedStore records when each InTxGrouped call's fn last returned.
// Transactions that touch a common row take effect in that order: a batch
// runs its calls' fns after locking every row they use, InTx's fn returns
// after its last lock and before its commit, and SQLite runs one writer at
// a time. Calls that touch no common row commute.
type orderedStore struct {
	funds.Store
	gate gateSlot
	mu   sync.Mutex
	seq  int
	last map[int]int // call → sequence number of its fn's last return
	// batch: call → the batch its fn last ran in (nil: alone, in InTx).
	batch map[int]any
}

type gateSlot struct {
	mu sync.Mutex
	g  *callGate
}

func (s *gateSlot) Store(g *callGate) { s.mu.Lock(); s.g = g; s.mu.Unlock() }
func (s *gateSlot) Load() *callGate   { s.mu.Lock(); defer s.mu.Unlock(); return s.g }

func (s *orderedStore) InTxGrouped(ctx context.Context, hint funds.GroupHint, fn func(tx funds.Tx) error) error {
	call, _ := ctx.Value(callKey{}).(int)
	return s.Store.InTxGrouped(ctx, hint, func(tx funds.Tx) error {
		if g := s.gate.Load(); g != nil && g.call == call {
			g.once.Do(func() {
				close(g.entered)
				<-g.release
			})
		}
		err := fn(tx)
		s.mu.Lock()
		s.seq++
		s.last[call] = s.seq
		if s.batch == nil {
			s.batch = map[int]any{}
		}
		s.batch[call] = fstore.BatchOf(tx)
		s.mu.Unlock()
		return err
	})
}

// batched counts the calls of round whose last run shared a batch.
func (s *orderedStore) batched(round []int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	size := map[any]int{}
	for _, c := range round {
		if b := s.batch[c]; b != nil {
			size[b]++
		}
	}
	n := 0
	for _, c := range round {
		if b := s.batch[c]; b != nil && size[b] > 1 {
			n++
		}
	}
	return n
}

// ---- what a run leaves

var publicIDRe = regexp.MustCompile(`\b[0-9a-z]{26}\b`)

// snapshot reads what the run left, with public ids replaced by names
// (the two runs draw different random ids) and row ids left out.
func (b *books) snapshot() map[string][]string {
	g := b.f.db.Gorm
	out := map[string][]string{}
	add := func(part, format string, args ...any) {
		out[part] = append(out[part], b.name(fmt.Sprintf(format, args...)))
	}
	out["needs"] = b.lines("SELECT public_id, 'funded', funded_fen, 'disbursed', disbursed_fen, status, 'version', version FROM needs ORDER BY id")
	out["accounts"] = b.lines("SELECT code, balance_fen FROM ledger_accounts")
	var txs []struct {
		ID       int64
		Kind     string
		RefType  string
		RefID    string
		Memo     string
		RevKind  *string
		RevRefID *string
	}
	must(b.t, g.Raw(`SELECT t.id, t.kind, t.ref_type, t.ref_id, t.memo, r.kind AS rev_kind, r.ref_id AS rev_ref_id
		FROM ledger_transactions t LEFT JOIN ledger_transactions r ON r.id = t.reverses_id ORDER BY t.id`).Scan(&txs).Error)
	var entries []struct {
		TransactionID int64
		Code          string
		AmountFen     int64
	}
	must(b.t, g.Raw(`SELECT e.transaction_id, a.code, e.amount_fen FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
		ORDER BY e.transaction_id, a.code, e.amount_fen`).Scan(&entries).Error)
	byTx := map[int64][]string{}
	for _, e := range entries {
		byTx[e.TransactionID] = append(byTx[e.TransactionID], fmt.Sprintf("%s %+d", e.Code, e.AmountFen))
	}
	desc := map[int64]string{}
	for _, tx := range txs {
		d := fmt.Sprintf("%s %s:%s", tx.Kind, tx.RefType, tx.RefID)
		if tx.Memo != "" {
			d += " (" + tx.Memo + ")"
		}
		if tx.RevKind != nil {
			d += fmt.Sprintf(" reversing %s %s", *tx.RevKind, *tx.RevRefID)
		}
		desc[tx.ID] = d
		add("transactions", "%s: %s", d, strings.Join(byTx[tx.ID], ", "))
	}
	// Each account's history in the order it was posted: transactions that
	// share an account took effect in the same order in both runs.
	for _, e := range entries {
		add("account histories", "%s %+d by %s", e.Code, e.AmountFen, desc[e.TransactionID])
	}
	sort.SliceStable(out["account histories"], func(i, j int) bool {
		return strings.Fields(out["account histories"][i])[0] < strings.Fields(out["account histories"][j])[0]
	})
	out["allocations"] = b.lines(`SELECT a.public_id, s.public_id, '→', n.public_id, a.amount_fen, a.status
		FROM allocations a JOIN fund_sources s ON s.id = a.source_id JOIN needs n ON n.id = a.need_id`)
	out["pledges"] = b.lines("SELECT public_id, status FROM pledges")
	out["lots"] = b.lines(`SELECT n.public_id, l.kind, COALESCE(a.public_id, p.public_id), l.amount_fen, l.paid_fen FROM need_lots l
		JOIN needs n ON n.id = l.need_id LEFT JOIN allocations a ON a.id = l.allocation_id LEFT JOIN pledges p ON p.id = l.pledge_id`)
	out["disclosures"] = b.lines("SELECT kind, need_public_id, amount_fen, 'from', source_type, source_public_id, 'ref', ref_public_id FROM disclosures")
	// Rows are compared as sets where their order is an accident of the
	// schedule; each account's history above keeps its order.
	for _, part := range []string{"accounts", "transactions", "allocations", "pledges", "lots", "disclosures"} {
		sort.Strings(out[part])
	}
	return out
}

// name replaces the public ids in s by the names the run gave them.
func (b *books) name(s string) string {
	return publicIDRe.ReplaceAllStringFunc(s, func(id string) string {
		if l, ok := b.labels[id]; ok {
			return l
		}
		return "unnamed:" + id
	})
}

// lines reads the rows of q, each as its columns joined by spaces, named.
func (b *books) lines(q string) []string {
	b.t.Helper()
	rows, err := b.f.db.Gorm.Raw(q).Rows()
	must(b.t, err)
	defer rows.Close()
	cols, err := rows.Columns()
	must(b.t, err)
	var out []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		must(b.t, rows.Scan(ptrs...))
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = v.String
		}
		out = append(out, b.name(strings.Join(parts, " ")))
	}
	must(b.t, rows.Err())
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// lineDiff lists the lines only a has (-) and only b has (+), in order of
// first difference; "" when the two are equal.
func lineDiff(a, b []string) string {
	if strings.Join(a, "\n") == strings.Join(b, "\n") {
		return ""
	}
	var out []string
	n := max(len(a), len(b))
	for i := 0; i < n && len(out) < 20; i++ {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			out = append(out, fmt.Sprintf("  %d: - %s\n  %d: + %s", i, x, i, y))
		}
	}
	return strings.Join(out, "\n")
}
