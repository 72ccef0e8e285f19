// Package gormstore is the gorm implementation of funds.Store on SQLite and
// MySQL/MariaDB. Money movements run in one transaction each, with the
// need's row locked first (SELECT … FOR UPDATE on MySQL; SQLite's immediate
// transactions hold the one write lock), then the ledger accounts in code
// order, so that concurrent movements queue instead of deadlocking; a
// deadlock that still happens is retried.
package gormstore

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"gorm.io/gorm"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/marketplace"
	mstore "github.com/jiujinan/jiujinan/marketplace/gormstore"
	"github.com/jiujinan/jiujinan/sqldb"
)

// Store implements funds.Store.
type Store struct {
	db      *gorm.DB
	dialect sqldb.Dialect
	// accounts caches ledger account ids by code; accounts are never
	// deleted, and an id enters the cache only after its creation committed.
	accounts sync.Map
	// writeMu queues this process's SQLite transactions in Go: SQLite has
	// one writer at a time anyway, and waiting here costs nothing, while
	// waiting in SQLite's busy handler sleeps in steps of up to 100 ms.
	writeMu sync.Mutex
	// owners caches SourceOwner (a source's kind and holder never change).
	owners sync.Map
	// group queues InTxGrouped calls into batches (group.go, batch.go).
	group groupLane
	// returning: the server is a MariaDB with INSERT … RETURNING.
	returningOnce sync.Once
	returning     bool
	// noBatch: InTxGrouped runs every call alone through InTx
	// (Options.NoBatching).
	noBatch bool
	// batches counts the batches run; spoiled those the database spoiled
	// (tests).
	batches atomic.Int64
	spoiled atomic.Int64
	// failFlush, when set (tests), is called before a batch writes; an
	// error from it spoils the batch as a database error would.
	failFlush func() error
}

// Options tunes a Store; the zero value is the default.
type Options struct {
	// NoBatching makes InTxGrouped run each call alone through InTx, as
	// if it were never concurrent with another: slower under load, for
	// diagnosing the batched path (group.go, batch.go).
	NoBatching bool
}

// New returns a store over db with the default options.
func New(db *sqldb.DB) *Store { return NewWithOptions(db, Options{}) }

// NewWithOptions returns a store over db tuned by o.
func NewWithOptions(db *sqldb.DB, o Options) *Store {
	return &Store{db: db.Gorm, dialect: db.Dialect, noBatch: o.NoBatching}
}

var _ funds.Store = (*Store)(nil)

// Batching reports whether concurrent InTxGrouped calls share batches
// (false with Options.NoBatching).
func (s *Store) Batching() bool { return !s.noBatch }

func (s *Store) mysql() bool { return s.dialect == sqldb.MySQL }

// forUpdate is the locking suffix of a SELECT on MySQL.
func (s *Store) forUpdate() string {
	if s.mysql() {
		return " FOR UPDATE"
	}
	return ""
}

// InTx implements funds.Store: fn runs in one transaction, run again
// (sqldb.RetryTx) while it fails only for lack of luck; the callbacks fn
// registered run once, after the commit that counted.
func (s *Store) InTx(ctx context.Context, fn func(tx funds.Tx) error) error {
	var t *tx
	err := sqldb.RetryTx(ctx, func() error {
		t = &tx{s: s}
		if !s.mysql() {
			s.writeMu.Lock()
			defer s.writeMu.Unlock()
		}
		return s.db.WithContext(ctx).Transaction(func(g *gorm.DB) error {
			t.g = g
			return fn(t)
		})
	})
	if err != nil {
		return mstore.MapError(err)
	}
	for _, f := range t.onCommit {
		f()
	}
	return nil
}

type tx struct {
	s        *Store
	g        *gorm.DB
	onCommit []func()
}

// ---- needs

type needRow struct {
	ID               int64
	PublicID         string
	OrgID            int64
	Person           string
	Status           string
	Category         string
	RegionCode       string
	PublicRegionCode string
	HouseholdTypes   string
	RequestedFen     int64
	FundedFen        int64
	DisbursedFen     int64
	Emergency        bool
	ConsentPublic    bool
	Published        bool
	NoticeEndsAt     *time.Time
	ScreeningResult  string
	BlockOverride    bool
	Deadline         *time.Time
	OpenObjections   int
}

const needCols = `id, public_id, org_id, pseudonym AS person, status, category, region_code, public_region_code, household_types,
	requested_fen, funded_fen, disbursed_fen, emergency, consent_public, published_at IS NOT NULL AS published, notice_ends_at, screening_result, block_override, deadline,
	open_objections`

func (r *needRow) domain() *funds.NeedState {
	var notice *time.Time
	if r.NoticeEndsAt != nil {
		t := r.NoticeEndsAt.UTC()
		notice = &t
	}
	return &funds.NeedState{ID: r.ID, PublicID: r.PublicID, OrgID: r.OrgID, Person: r.Person, Status: kernel.NeedStatus(r.Status),
		Category: kernel.Category(r.Category), RegionCode: r.RegionCode, PublicRegionCode: r.PublicRegionCode,
		HouseholdTypes: funds.ParseHouseholdTypes(r.HouseholdTypes), RequestedFen: r.RequestedFen, FundedFen: r.FundedFen,
		DisbursedFen: r.DisbursedFen, Emergency: r.Emergency, ConsentPublic: r.ConsentPublic, Published: r.Published, NoticeEndsAt: notice,
		Screening: kernel.ScreeningOutcome(r.ScreeningResult), BlockOverride: r.BlockOverride, Deadline: utc(r.Deadline),
		OpenObjections: r.OpenObjections}
}

func readNeed(g *gorm.DB, where string, arg any, lock string) (*funds.NeedState, error) {
	var rows []needRow
	if err := g.Raw("SELECT "+needCols+" FROM needs WHERE "+where+lock, arg).Scan(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("need: %w", kernel.ErrNotFound)
	}
	return rows[0].domain(), nil
}

// Need implements funds.Store.
func (s *Store) Need(ctx context.Context, publicID string) (*funds.NeedState, error) {
	return readNeed(s.db.WithContext(ctx), "public_id = ?", publicID, "")
}

func (t *tx) LockNeed(publicID string) (*funds.NeedState, error) {
	return readNeed(t.g, "public_id = ?", publicID, t.s.forUpdate())
}

// LockPerson implements funds.Tx. On MySQL the need's pseudonym (which
// never changes) is read outside the transaction: a plain read inside it
// would fix the transaction's snapshot before it waits for the lock, and
// the reads after the lock would not see what the holder committed. The
// needs are then locked in id order, so that movements for one person
// queue. On SQLite the immediate transaction already holds the one write
// lock: the reads are current.
func (t *tx) LockPerson(needPublicID string) (string, error) {
	// On MySQL the need's row is read with a lock: a plain read would fix
	// the transaction's snapshot before its locks, and a read outside the
	// transaction would wait for a second connection while holding one
	// (with every connection held by transactions waiting for this one's
	// locks, none comes). The row is locked again below with the person's.
	var ps []string
	if err := t.g.Raw("SELECT pseudonym FROM needs WHERE public_id = ?"+t.s.forUpdate(), needPublicID).Scan(&ps).Error; err != nil {
		return "", err
	}
	if len(ps) == 0 {
		return "", fmt.Errorf("need: %w", kernel.ErrNotFound)
	}
	var rows []struct {
		ID        int64
		Version   int64
		Status    string
		FundedFen int64
	}
	// On a small table InnoDB may prefer a scan of the primary key, which
	// would lock every need: the index keeps the locks to the person's.
	from := "needs"
	if t.s.mysql() {
		from = "needs FORCE INDEX (needs_pseudonym)"
	}
	if err := t.g.Raw("SELECT id, version, status, funded_fen FROM "+from+" WHERE pseudonym = ? ORDER BY id"+t.s.forUpdate(), ps[0]).Scan(&rows).Error; err != nil {
		return "", err
	}
	state := make([]kernel.PersonNeedState, len(rows))
	for i, r := range rows {
		state[i] = kernel.PersonNeedState{ID: r.ID, Version: r.Version, Status: kernel.NeedStatus(r.Status), FundedFen: r.FundedFen}
	}
	return kernel.PersonStateOf(state), nil
}

func (t *tx) LockNeedByID(id int64) (*funds.NeedState, error) {
	return readNeed(t.g, "id = ?", id, t.s.forUpdate())
}

// SaveNeedMoney implements funds.Tx through the needs store, in the
// movement's transaction.
func (t *tx) SaveNeedMoney(n *funds.NeedState, change *marketplace.StatusChange, now time.Time) error {
	return mstore.SaveNeedMoney(t.g, moneyMove(n, change, now))
}

// moneyMove is what the needs store writes of a need after a movement.
func moneyMove(n *funds.NeedState, change *marketplace.StatusChange, now time.Time) marketplace.MoneyMove {
	m := marketplace.MoneyMove{NeedID: n.ID, NeedPublicID: n.PublicID, FundedFen: n.FundedFen, DisbursedFen: n.DisbursedFen,
		Status: n.Status, At: now}
	if change != nil {
		m.Changes = []marketplace.StatusChange{*change}
	}
	return m
}

// ---- ledger

func (t *tx) accountID(a funds.Account, now time.Time) (int64, error) {
	code := a.Code()
	if v, ok := t.s.accounts.Load(code); ok {
		return v.(int64), nil
	}
	var ids []int64
	if err := t.g.Raw("SELECT id FROM ledger_accounts WHERE code = ?", code).Scan(&ids).Error; err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		if err := t.g.Exec(insertIgnore(t.s.dialect, "ledger_accounts (code, kind, balance_fen, created_at) VALUES (?, ?, 0, ?)"),
			code, string(a.Kind), now).Error; err != nil {
			return 0, err
		}
		// A locking read sees the row even when another transaction
		// created it after this one's snapshot.
		if err := t.g.Raw("SELECT id FROM ledger_accounts WHERE code = ?"+t.s.forUpdate(), code).Scan(&ids).Error; err != nil {
			return 0, err
		}
		if len(ids) == 0 {
			return 0, fmt.Errorf("ledger: account %s could not be created", code)
		}
		id := ids[0]
		t.onCommit = append(t.onCommit, func() { t.s.accounts.Store(code, id) })
		return id, nil
	}
	t.s.accounts.Store(code, ids[0])
	return ids[0], nil
}

// createCredit credits amount to an account not in the cache, creating it
// when it does not exist, and returns its id: one statement (SQLite's
// upsert with RETURNING) where looking the account up, creating it and
// updating its balance took four.
func (t *tx) createCredit(a funds.Account, amount int64, now time.Time) (int64, error) {
	code := a.Code()
	var ids []int64
	if err := t.g.Raw(`INSERT INTO ledger_accounts (code, kind, balance_fen, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (code) DO UPDATE SET balance_fen = balance_fen + excluded.balance_fen RETURNING id`,
		code, string(a.Kind), amount, now).Scan(&ids).Error; err != nil {
		return 0, err
	}
	if len(ids) != 1 || ids[0] == 0 {
		return 0, fmt.Errorf("ledger: account %s could not be credited", code)
	}
	id := ids[0]
	t.onCommit = append(t.onCommit, func() { t.s.accounts.Store(code, id) })
	return id, nil
}

func insertIgnore(d sqldb.Dialect, rest string) string {
	if d == sqldb.MySQL {
		return "INSERT IGNORE INTO " + rest
	}
	return "INSERT OR IGNORE INTO " + rest
}

func (t *tx) Post(jt *funds.JournalTx) error {
	if err := jt.Validate(); err != nil {
		return err
	}
	type acc struct {
		a   funds.Account
		id  int64
		sum int64
	}
	byCode := map[string]*acc{}
	for _, e := range jt.Entries {
		c := e.Account.Code()
		if byCode[c] == nil {
			byCode[c] = &acc{a: e.Account}
		}
		byCode[c].sum += e.AmountFen
	}
	codes := make([]string, 0, len(byCode))
	for c := range byCode {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		if v, ok := t.s.accounts.Load(c); ok {
			byCode[c].id = v.(int64)
			continue
		}
		if byCode[c].sum > 0 && !t.s.mysql() {
			// Created and credited in one statement below. Not on MySQL:
			// there an upsert (ON DUPLICATE KEY UPDATE) takes next-key locks
			// on the code index while the fund's balance row is held, and
			// one-fund allocations measured twice as slow with it.
			continue
		}
		id, err := t.accountID(byCode[c].a, jt.At)
		if err != nil {
			return err
		}
		byCode[c].id = id
	}
	// Balances first: the row locks they take make the foreign key checks
	// of the entries (shared locks on the same account rows) wait-free; the
	// other order lets two transactions hold shared locks and deadlock.
	for _, c := range codes {
		a := byCode[c]
		if a.sum == 0 {
			continue
		}
		if a.id == 0 {
			id, err := t.createCredit(a.a, a.sum, jt.At)
			if err != nil {
				return err
			}
			a.id = id
			continue
		}
		q := "UPDATE ledger_accounts SET balance_fen = balance_fen + ? WHERE id = ?"
		qa := []any{a.sum, a.id}
		if a.a.Kind.NonNegative() && a.sum < 0 {
			q += " AND balance_fen + ? >= 0"
			qa = append(qa, a.sum)
		}
		res := t.g.Exec(q, qa...)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return kernel.Refuse(funds.ErrInsufficientFunds, "refusal_insufficient_funds_amount", map[string]any{"AmountFen": -a.sum}, "%s holds less than %d fen", c, -a.sum)
		}
	}
	txRow := ledgerTxRow{PublicID: jt.PublicID, Kind: string(jt.Kind), RefType: jt.RefType, RefID: jt.RefID, Memo: jt.Memo, CreatedAt: jt.At}
	if jt.ReversesID != 0 {
		txRow.ReversesID = &jt.ReversesID
	}
	if err := t.g.Create(&txRow).Error; err != nil {
		return mstore.MapError(err)
	}
	jt.ID = txRow.ID
	vals := make([]string, 0, len(jt.Entries))
	args := make([]any, 0, 3*len(jt.Entries))
	for _, e := range jt.Entries {
		vals = append(vals, "(?, ?, ?)")
		args = append(args, jt.ID, byCode[e.Account.Code()].id, e.AmountFen)
	}
	if err := t.g.Exec("INSERT INTO ledger_entries (transaction_id, account_id, amount_fen) VALUES "+strings.Join(vals, ", "), args...).Error; err != nil {
		return err
	}
	return nil
}

type ledgerTxRow struct {
	ID         int64 `gorm:"primaryKey"`
	PublicID   string
	Kind       string
	ReversesID *int64
	RefType    string
	RefID      string
	Memo       string
	CreatedAt  time.Time
}

func (ledgerTxRow) TableName() string { return "ledger_transactions" }

func (t *tx) DonationTx(pledgePublicID string) (*funds.JournalTx, error) {
	return t.PledgeTx(pledgePublicID, funds.TxDonation)
}

func (t *tx) PledgeTx(pledgePublicID string, kind funds.TxKind) (*funds.JournalTx, error) {
	return t.refTx("pledge", pledgePublicID, kind)
}

func (t *tx) AllocationTx(allocationPublicID string) (*funds.JournalTx, error) {
	return t.refTx("allocation", allocationPublicID, funds.TxAllocation)
}

func (t *tx) refTx(refType, refID string, kind funds.TxKind) (*funds.JournalTx, error) {
	var rows []ledgerTxRow
	if err := t.g.Where("ref_type = ? AND ref_id = ? AND kind = ?", refType, refID, string(kind)).
		Order("id").Limit(1).Find(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s transaction of %s %s: %w", kind, refType, refID, kernel.ErrNotFound)
	}
	r := rows[0]
	jt := &funds.JournalTx{ID: r.ID, PublicID: r.PublicID, Kind: funds.TxKind(r.Kind), RefType: r.RefType, RefID: r.RefID, At: r.CreatedAt}
	var es []struct {
		Code      string
		Kind      string
		AmountFen int64
	}
	if err := t.g.Raw(`SELECT a.code, a.kind, e.amount_fen FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
		WHERE e.transaction_id = ? ORDER BY e.id`, r.ID).Scan(&es).Error; err != nil {
		return nil, err
	}
	for _, e := range es {
		_, owner, _ := strings.Cut(e.Code, ":")
		jt.Entries = append(jt.Entries, funds.Entry{Account: funds.Account{Kind: funds.AccountKind(e.Kind), Owner: owner}, AmountFen: e.AmountFen})
	}
	return jt, nil
}

// AccountLines implements funds.Store.
func (s *Store) AccountLines(ctx context.Context, code string, limit, offset int) ([]funds.LedgerLine, error) {
	var rows []struct {
		TransactionID int64
		PublicID      string
		Kind          string
		RefType       string
		RefID         string
		CreatedAt     time.Time
		AmountFen     int64
	}
	err := s.db.WithContext(ctx).Raw(`SELECT t.id AS transaction_id, t.public_id, t.kind, t.ref_type, t.ref_id, t.created_at, e.amount_fen
		FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id JOIN ledger_transactions t ON t.id = e.transaction_id
		WHERE a.code = ? ORDER BY e.id LIMIT ? OFFSET ?`, code, limit, offset).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]funds.LedgerLine, 0, len(rows))
	ids := make([]int64, 0, len(rows))
	for _, r := range rows {
		out = append(out, funds.LedgerLine{TxID: r.PublicID, Kind: funds.TxKind(r.Kind), AmountFen: r.AmountFen,
			RefType: r.RefType, RefID: r.RefID, At: r.CreatedAt.UTC(), Counterpart: []string{}})
		ids = append(ids, r.TransactionID)
	}
	if len(ids) == 0 {
		return out, nil
	}
	var cps []struct {
		TransactionID int64
		Code          string
	}
	if err := s.db.WithContext(ctx).Raw(`SELECT e.transaction_id, a.code FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
		WHERE e.transaction_id IN ? AND a.code <> ? ORDER BY e.id`, ids, code).Scan(&cps).Error; err != nil {
		return nil, err
	}
	byTx := map[int64][]string{}
	for _, c := range cps {
		byTx[c.TransactionID] = append(byTx[c.TransactionID], c.Code)
	}
	for i := range out {
		if c := byTx[ids[i]]; c != nil {
			out[i].Counterpart = c
		}
	}
	return out, nil
}
