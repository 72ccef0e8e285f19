package gormstore

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"gorm.io/gorm"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/marketplace"
	mstore "github.com/jiujinan/jiujinan/marketplace/gormstore"
)

// The unit of work of a batch of InTxGrouped calls (group.go): the rows the
// calls' hints name, read and locked once; each call's fn run against a btx
// that reads from them and buffers its writes; one flush and one commit.

// errUnsupported: a call used something the batch does not serve; it runs
// again alone through InTx.
var errUnsupported = errors.New("funds: not served inside a batch")

type batch struct {
	s    *Store
	ctx  context.Context
	g    *gorm.DB
	pool gorm.ConnPool

	needs       map[string]*funds.NeedState // by public id, as the batch's calls left them
	needMissing map[string]bool
	persons     map[string]string  // need public id → pseudonym, for hinted people
	personIDs   map[string][]int64 // pseudonym → its needs' ids, in id order
	pneeds      map[int64]kernel.PersonNeedState
	sources     map[string]*funds.Source // by public id; BalanceFen unused
	srcMissing  map[string]bool
	accounts    map[string]*bacct  // by code
	givenBase   map[givenKey]int64 // GivenFen read from the database, by (source, person)
	allocated   map[givenKey]int64 // allocated by the batch's calls so far
	saves       map[string]*needSave
	saveOrder   []string

	allocs []*funds.Allocation
	lots   []allocLot
	discl  []*funds.Disclosure
	jtxs   []*funds.JournalTx
	idem   []idemDone
	idemIn map[idemKey]bool

	// dbErr is a database error met while a call ran: it spoils the batch.
	dbErr error
}

// bacct is a ledger account locked by the batch.
type bacct struct {
	id      int64 // 0: created by the flush
	code    string
	kind    funds.AccountKind
	balance int64 // after the batch's calls so far
	delta   int64 // what the batch's calls posted
	used    bool
	at      time.Time // first posting, the creation time of a new account
}

type needSave struct {
	count   int
	at      time.Time
	changes []marketplace.StatusChange
}

// givenKey names what a source gave one person (GivenFen).
type givenKey struct {
	source int64
	person string
}

// allocLot is the lot of an allocation made in the batch: the flush
// writes it once the allocation has its id.
type allocLot struct {
	lot   *funds.Lot
	alloc *funds.Allocation
}

type idemKey struct {
	user int64
	key  string
}

type idemDone struct {
	idemKey
	status int
	body   []byte
	at     time.Time
}

// runBatch runs calls in one transaction, leaving each call's outcome in
// c.err, or c.alone when it must run again alone.
func (s *Store) runBatch(ctx context.Context, calls []*groupCall, handOff func()) {
	spoil := func() {
		s.spoiled.Add(1)
		for _, c := range calls {
			c.alone, c.t, c.err = true, nil, nil
		}
	}
	s.batches.Add(1)
	if !s.mysql() {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	// On MySQL whatever the batch reads outside its transaction is read
	// before the transaction takes its connection: a read from the pool
	// while holding one waits for a free connection, and when every
	// connection is held by a transaction waiting for this batch's row
	// locks none comes (all of them then stall until their contexts end).
	var pseudonyms []needPseudonym
	if s.mysql() {
		s.hasReturning(ctx)
		var err error
		if pseudonyms, err = s.personPseudonyms(ctx, calls); err != nil {
			spoil()
			return
		}
	}
	g := s.db.WithContext(ctx).Begin()
	if g.Error != nil {
		spoil()
		return
	}
	b := &batch{s: s, ctx: ctx, g: g, pool: g.Statement.ConnPool,
		needs: map[string]*funds.NeedState{}, needMissing: map[string]bool{}, sources: map[string]*funds.Source{},
		srcMissing: map[string]bool{}, accounts: map[string]*bacct{}, allocated: map[givenKey]int64{},
		saves: map[string]*needSave{}, idemIn: map[idemKey]bool{}}
	if err := b.load(calls, pseudonyms); err != nil {
		g.Rollback()
		spoil()
		return
	}
	ok := 0
	for _, c := range calls {
		t := &btx{b: b}
		err := runGuarded(c.fn, t)
		if b.dbErr != nil {
			g.Rollback()
			spoil()
			return
		}
		if t.hit || errors.Is(err, errUnsupported) || errors.Is(err, errPanicked) {
			c.alone = true
			continue
		}
		if err != nil {
			c.err = mapErr(err)
			continue
		}
		b.merge(t)
		c.t = t
		ok++
	}
	if ok == 0 {
		g.Rollback()
		return
	}
	if err := b.flush(); err != nil {
		g.Rollback()
		spoil()
		return
	}
	if s.mysql() {
		handOff()
	}
	if err := g.Commit().Error; err != nil {
		for _, c := range calls {
			if c.t != nil {
				c.err = mapErr(err)
			}
		}
		return
	}
	for _, a := range b.accounts {
		if a.id != 0 {
			s.accounts.Store(a.code, a.id)
		}
	}
}

// needPseudonym is a need's public id and its person's pseudonym.
type needPseudonym struct {
	PublicID  string
	Pseudonym string
}

// personPseudonyms reads the pseudonyms of the needs whose person the
// calls' hints ask to lock.
func (s *Store) personPseudonyms(ctx context.Context, calls []*groupCall) ([]needPseudonym, error) {
	var ids []string
	seen := map[string]bool{}
	for _, c := range calls {
		if h := c.hint.Need; c.hint.Person && h != "" && !seen[h] {
			seen[h] = true
			ids = append(ids, h)
		}
	}
	var ps []needPseudonym
	if len(ids) == 0 {
		return nil, nil
	}
	err := s.db.WithContext(ctx).Raw("SELECT public_id, pseudonym FROM needs WHERE public_id IN ?", ids).Scan(&ps).Error
	return ps, err
}

// load reads and locks what the calls' hints name: the people's needs, the
// needs, the sources and the accounts of both, in that order (a need before
// an account, as every money movement does).
func (b *batch) load(calls []*groupCall, pre []needPseudonym) error {
	var needIDs, srcIDs, personNeeds []string
	seenN, seenS, seenP := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, c := range calls {
		if h := c.hint.Need; h != "" && !seenN[h] {
			seenN[h] = true
			needIDs = append(needIDs, h)
		}
		if h := c.hint.Source; h != "" && !seenS[h] {
			seenS[h] = true
			srcIDs = append(srcIDs, h)
		}
		if h := c.hint.Need; c.hint.Person && h != "" && !seenP[h] {
			seenP[h] = true
			personNeeds = append(personNeeds, h)
		}
	}
	lock := b.s.forUpdate()
	if len(personNeeds) > 0 {
		// On MySQL the pseudonyms (which never change) were read before
		// the transaction began (runBatch): a plain read inside it would
		// fix its snapshot before the locks.
		ps := pre
		if !b.s.mysql() {
			if err := b.g.Raw("SELECT public_id, pseudonym FROM needs WHERE public_id IN ?", personNeeds).Scan(&ps).Error; err != nil {
				return err
			}
		}
		b.persons = map[string]string{}
		var names []string
		for _, p := range ps {
			if _, dup := b.personIDs[p.Pseudonym]; !dup {
				names = append(names, p.Pseudonym)
			}
			b.persons[p.PublicID] = p.Pseudonym
			if b.personIDs == nil {
				b.personIDs = map[string][]int64{}
			}
			b.personIDs[p.Pseudonym] = nil
		}
		for _, n := range personNeeds {
			if _, ok := b.persons[n]; !ok {
				b.needMissing[n] = true
			}
		}
		if len(names) > 0 {
			from := "needs"
			if b.s.mysql() {
				from = "needs FORCE INDEX (needs_pseudonym)"
			}
			var rows []struct {
				ID        int64
				Version   int64
				Status    string
				FundedFen int64
				Pseudonym string
			}
			if err := b.g.Raw("SELECT id, version, status, funded_fen, pseudonym FROM "+from+" WHERE pseudonym IN ? ORDER BY id"+lock, names).
				Scan(&rows).Error; err != nil {
				return err
			}
			b.pneeds = make(map[int64]kernel.PersonNeedState, len(rows))
			for _, r := range rows {
				b.pneeds[r.ID] = kernel.PersonNeedState{ID: r.ID, Version: r.Version, Status: kernel.NeedStatus(r.Status), FundedFen: r.FundedFen}
				b.personIDs[r.Pseudonym] = append(b.personIDs[r.Pseudonym], r.ID)
			}
		}
	}
	// On MySQL the locking reads name their unique index: with a long IN
	// list on a small table InnoDB may prefer scanning the primary key,
	// which would lock every row it passes for the batch's duration.
	needsFrom, accountsFrom := "needs", "ledger_accounts"
	if b.s.mysql() {
		needsFrom, accountsFrom = "needs FORCE INDEX (needs_public_id)", "ledger_accounts FORCE INDEX (ledger_accounts_code)"
	}
	var codes []string
	if len(needIDs) > 0 {
		var rows []needRow
		if err := b.g.Raw("SELECT "+needCols+" FROM "+needsFrom+" WHERE public_id IN ? ORDER BY id"+lock, needIDs).Scan(&rows).Error; err != nil {
			return err
		}
		for i := range rows {
			b.needs[rows[i].PublicID] = rows[i].domain()
		}
		for _, id := range needIDs {
			if b.needs[id] == nil {
				b.needMissing[id] = true
				continue
			}
			codes = append(codes, funds.NeedAccount(id).Code())
		}
	}
	if len(srcIDs) > 0 {
		var rows []sourceView
		if err := b.g.Raw(`SELECT s.*, o.public_id AS org_public_id, o.name AS org_name, 0 AS balance_fen
			FROM fund_sources s JOIN organizations o ON o.id = s.org_id WHERE s.public_id IN ?`, srcIDs).Scan(&rows).Error; err != nil {
			return err
		}
		for i := range rows {
			src := rows[i].domain()
			b.sources[src.PublicID] = src
			codes = append(codes, funds.SourceAccount(src).Code())
		}
		for _, id := range srcIDs {
			if b.sources[id] == nil {
				b.srcMissing[id] = true
			}
		}
	}
	if len(codes) > 0 {
		var rows []struct {
			ID         int64
			Code       string
			Kind       string
			BalanceFen int64
		}
		if err := b.g.Raw("SELECT id, code, kind, balance_fen FROM "+accountsFrom+" WHERE code IN ? ORDER BY id"+lock, codes).Scan(&rows).Error; err != nil {
			return err
		}
		for _, r := range rows {
			b.accounts[r.Code] = &bacct{id: r.ID, code: r.Code, kind: funds.AccountKind(r.Kind), balance: r.BalanceFen}
		}
		// A need's account is created by its first posting.
		for _, id := range needIDs {
			if c := funds.NeedAccount(id).Code(); b.needs[id] != nil && b.accounts[c] == nil {
				b.accounts[c] = &bacct{code: c, kind: funds.AccountNeed}
			}
		}
	}
	return nil
}

// merge applies a call that succeeded to the batch.
func (b *batch) merge(t *btx) {
	for id, n := range t.needs {
		b.needs[id] = n
	}
	for id, sv := range t.saves {
		cur := b.saves[id]
		if cur == nil {
			cur = &needSave{}
			b.saves[id] = cur
			b.saveOrder = append(b.saveOrder, id)
		}
		cur.count += sv.count
		cur.at = sv.at
		cur.changes = append(cur.changes, sv.changes...)
	}
	for id, p := range t.pneeds {
		b.pneeds[id] = p
	}
	for code, d := range t.deltas {
		a := b.accounts[code]
		a.balance += d.sum
		a.delta += d.sum
		if !a.used {
			a.used, a.at = true, d.at
		}
	}
	for k, v := range t.allocated {
		b.allocated[k] += v
	}
	b.allocs = append(b.allocs, t.allocs...)
	b.lots = append(b.lots, t.lots...)
	b.discl = append(b.discl, t.discl...)
	b.jtxs = append(b.jtxs, t.jtxs...)
	for _, d := range t.idem {
		b.idemIn[d.idemKey] = true
	}
	b.idem = append(b.idem, t.idem...)
}

// ---- the flush

func (b *batch) exec(q string, args ...any) (int64, error) {
	res, err := b.pool.ExecContext(b.ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// insert writes rows (each cols values) into table and returns the new ids
// by the value of the rows' first column: with RETURNING on SQLite and
// MariaDB (10.5 and later), with a second SELECT on MySQL, which has none.
func (b *batch) insert(table string, cols []string, rows [][]any, wantIDs bool) (map[string]int64, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	ph := "(" + strings.Repeat("?, ", len(cols)-1) + "?)"
	var q strings.Builder
	q.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
	args := make([]any, 0, len(cols)*len(rows))
	for i, r := range rows {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString(ph)
		args = append(args, r...)
	}
	if !wantIDs {
		n, err := b.exec(q.String(), args...)
		if err == nil && n != int64(len(rows)) {
			err = fmt.Errorf("funds: batch: %d of %d %s rows written", n, len(rows), table)
		}
		return nil, err
	}
	ids := make(map[string]int64, len(rows))
	if b.s.mysql() && !b.s.hasReturning(b.ctx) {
		if _, err := b.exec(q.String(), args...); err != nil {
			return nil, err
		}
		keys := make([]any, len(rows))
		for i, r := range rows {
			keys[i] = r[0]
		}
		if err := b.scanIDs(ids, "SELECT id, "+cols[0]+" FROM "+table+" WHERE "+cols[0]+" IN ("+strings.Repeat("?, ", len(keys)-1)+"?)", keys...); err != nil {
			return nil, err
		}
	} else if err := b.scanIDs(ids, q.String()+" RETURNING id, "+cols[0], args...); err != nil {
		return nil, err
	}
	if len(ids) != len(rows) {
		return nil, fmt.Errorf("funds: batch: %d of %d %s rows found after writing", len(ids), len(rows), table)
	}
	return ids, nil
}

func (b *batch) scanIDs(into map[string]int64, q string, args ...any) error {
	rs, err := b.pool.QueryContext(b.ctx, q, args...)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		var id int64
		var key string
		if err := rs.Scan(&id, &key); err != nil {
			return err
		}
		into[key] = id
	}
	return rs.Err()
}

// flush writes what the batch's successful calls did: new accounts, the
// balances, the needs, then the rows that refer to them.
func (b *batch) flush() error {
	if b.s.failFlush != nil {
		if err := b.s.failFlush(); err != nil {
			return err
		}
	}
	// Accounts, in code order: created (a need's first money) or updated.
	accts := make([]*bacct, 0, len(b.accounts))
	for _, a := range b.accounts {
		if a.used {
			accts = append(accts, a)
		}
	}
	sort.Slice(accts, func(i, j int) bool { return accts[i].code < accts[j].code })
	var newRows [][]any
	var upd []*bacct
	for _, a := range accts {
		switch {
		case a.id == 0:
			newRows = append(newRows, []any{a.code, string(a.kind), a.delta, a.at})
		case a.delta != 0:
			upd = append(upd, a)
		}
	}
	if len(upd) > 0 {
		var q strings.Builder
		args := make([]any, 0, 3*len(upd))
		q.WriteString("UPDATE ledger_accounts SET balance_fen = balance_fen + CASE id")
		for _, a := range upd {
			q.WriteString(" WHEN ? THEN ?")
			args = append(args, a.id, a.delta)
		}
		q.WriteString(" END WHERE id IN (" + strings.Repeat("?, ", len(upd)-1) + "?)")
		for _, a := range upd {
			args = append(args, a.id)
		}
		n, err := b.exec(q.String(), args...)
		if err != nil {
			return err
		}
		if n != int64(len(upd)) {
			return fmt.Errorf("funds: batch: %d of %d balances updated", n, len(upd))
		}
	}
	if len(newRows) > 0 {
		ids, err := b.insert("ledger_accounts", []string{"code", "kind", "balance_fen", "created_at"}, newRows, true)
		if err != nil {
			return err
		}
		for _, a := range accts {
			if a.id == 0 {
				a.id = ids[a.code]
			}
		}
	}
	if len(b.saveOrder) > 0 {
		// The needs, their search outbox rows and the events and audit
		// entries of the statuses that changed: a few statements for the
		// whole batch, through the needs store.
		moves := make([]marketplace.MoneyMove, len(b.saveOrder))
		for i, id := range b.saveOrder {
			sv := b.saves[id]
			moves[i] = moneyMove(b.needs[id], nil, sv.at)
			moves[i].Saves, moves[i].Changes = sv.count, sv.changes
		}
		if err := mstore.SaveNeedsMoney(b.ctx, b.g, moves); err != nil {
			return fmt.Errorf("funds: batch: %w", err)
		}
	}
	if len(b.allocs) > 0 {
		rows := make([][]any, len(b.allocs))
		for i, a := range b.allocs {
			rows[i] = []any{a.PublicID, a.SourceID, a.NeedID, a.AmountFen, string(a.Status), a.CreatedBy, a.CreatedAt, string(a.Screening)}
		}
		ids, err := b.insert("allocations", []string{"public_id", "source_id", "need_id", "amount_fen", "status", "created_by", "created_at", "screening_result"}, rows, true)
		if err != nil {
			return err
		}
		for _, a := range b.allocs {
			a.ID = ids[a.PublicID]
		}
	}
	if len(b.lots) > 0 {
		rows := make([][]any, len(b.lots))
		for i, l := range b.lots {
			l.lot.AllocationID = l.alloc.ID
			rows[i] = []any{l.lot.NeedID, string(l.lot.Kind), l.lot.SourceID, l.lot.AllocationID, l.lot.AmountFen, l.lot.PaidFen, l.lot.CreatedAt}
		}
		if _, err := b.insert("need_lots", []string{"need_id", "kind", "source_id", "allocation_id", "amount_fen", "paid_fen", "created_at"}, rows, false); err != nil {
			return err
		}
	}
	if len(b.discl) > 0 {
		rows := make([][]any, len(b.discl))
		for i, d := range b.discl {
			rows[i] = []any{d.PublicID, string(d.Kind), d.NeedID, d.Category, d.RegionCode, d.AmountFen, d.SourceType, d.SourceID,
				d.SourceName, d.RefID, d.Emergency, d.NoticeEndsAt, d.At}
		}
		ids, err := b.insert("disclosures", []string{"public_id", "kind", "need_public_id", "category", "region_code", "amount_fen", "source_type",
			"source_public_id", "source_name", "ref_public_id", "emergency", "notice_ends_at", "occurred_at"}, rows, true)
		if err != nil {
			return err
		}
		for _, d := range b.discl {
			d.ID = ids[d.PublicID]
		}
	}
	if len(b.jtxs) > 0 {
		rows := make([][]any, len(b.jtxs))
		for i, jt := range b.jtxs {
			var rev any
			if jt.ReversesID != 0 {
				rev = jt.ReversesID
			}
			rows[i] = []any{jt.PublicID, string(jt.Kind), rev, jt.RefType, jt.RefID, jt.Memo, jt.At}
		}
		ids, err := b.insert("ledger_transactions", []string{"public_id", "kind", "reverses_id", "ref_type", "ref_id", "memo", "created_at"}, rows, true)
		if err != nil {
			return err
		}
		var entries [][]any
		for _, jt := range b.jtxs {
			jt.ID = ids[jt.PublicID]
			for _, e := range jt.Entries {
				entries = append(entries, []any{jt.ID, b.accounts[e.Account.Code()].id, e.AmountFen})
			}
		}
		if _, err := b.insert("ledger_entries", []string{"transaction_id", "account_id", "amount_fen"}, entries, false); err != nil {
			return err
		}
	}
	for _, d := range b.idem {
		n, err := b.exec("UPDATE idempotency_keys SET state = ?, response_status = ?, response_body = ?, done_at = ? WHERE user_id = ? AND idem_key = ? AND state = ?",
			"done", d.status, d.body, d.at, d.user, d.key, "running")
		if err != nil {
			return err
		}
		if n != 1 {
			// Taken over or finished by another request: the calls run alone
			// and the one concerned gets ErrConflict from InTx.
			return kernel.Refuse(kernel.ErrConflict, "refusal_idempotency_taken", nil, "the Idempotency-Key was taken over or finished by another request")
		}
	}
	return nil
}

// ---- the Tx of one call in a batch

// btx serves a call's reads from its batch and buffers its writes; the
// batch takes them (merge) only when the call's fn succeeds.
type btx struct {
	unsupported
	b         *batch
	needs     map[string]*funds.NeedState
	saves     map[string]needSave
	pneeds    map[int64]kernel.PersonNeedState
	deltas    map[string]delta
	allocated map[givenKey]int64
	allocs    []*funds.Allocation
	lots      []allocLot
	discl     []*funds.Disclosure
	jtxs      []*funds.JournalTx
	idem      []idemDone
}

type delta struct {
	sum int64
	at  time.Time
}

var _ funds.Tx = (*btx)(nil)

func (t *btx) need(publicID string) *funds.NeedState {
	if n := t.needs[publicID]; n != nil {
		return n
	}
	return t.b.needs[publicID]
}

func (t *btx) LockNeed(publicID string) (*funds.NeedState, error) {
	n := t.need(publicID)
	if n == nil {
		if t.b.needMissing[publicID] {
			return nil, fmt.Errorf("need: %w", kernel.ErrNotFound)
		}
		return nil, t.no()
	}
	c := *n
	return &c, nil
}

func (t *btx) LockPerson(needPublicID string) (string, error) {
	ps, ok := t.b.persons[needPublicID]
	if !ok {
		if t.b.persons != nil && t.b.needMissing[needPublicID] {
			return "", fmt.Errorf("need: %w", kernel.ErrNotFound)
		}
		return "", t.no()
	}
	ids := t.b.personIDs[ps]
	state := make([]kernel.PersonNeedState, len(ids))
	for i, id := range ids {
		p, ok := t.pneeds[id]
		if !ok {
			p = t.b.pneeds[id]
		}
		state[i] = p
	}
	return kernel.PersonStateOf(state), nil
}

func (t *btx) SaveNeedMoney(n *funds.NeedState, change *marketplace.StatusChange, now time.Time) error {
	if t.need(n.PublicID) == nil {
		return t.no()
	}
	c := *n
	if t.needs == nil {
		t.needs, t.saves = map[string]*funds.NeedState{}, map[string]needSave{}
	}
	t.needs[n.PublicID] = &c
	sv := t.saves[n.PublicID]
	sv.count++
	sv.at = now
	if change != nil {
		sv.changes = append(sv.changes, *change)
	}
	t.saves[n.PublicID] = sv
	if p, ok := t.pneeds[n.ID]; ok || t.b.pneeds != nil {
		if !ok {
			p, ok = t.b.pneeds[n.ID]
		}
		if ok {
			p.Version++
			p.Status, p.FundedFen = n.Status, n.FundedFen
			if t.pneeds == nil {
				t.pneeds = map[int64]kernel.PersonNeedState{}
			}
			t.pneeds[n.ID] = p
		}
	}
	return nil
}

func (t *btx) Source(publicID string) (*funds.Source, error) {
	src := t.b.sources[publicID]
	if src == nil {
		if t.b.srcMissing[publicID] {
			return nil, fmt.Errorf("fund or project: %w", kernel.ErrNotFound)
		}
		return nil, t.no()
	}
	c := *src
	code := funds.SourceAccount(src).Code()
	if a := t.b.accounts[code]; a != nil {
		c.BalanceFen = a.balance + t.deltas[code].sum
	}
	return &c, nil
}

// person is the pseudonym of a need the batch read.
func (t *btx) person(needID int64) (string, bool) {
	for _, n := range t.b.needs {
		if n.ID == needID {
			return n.Person, true
		}
	}
	return "", false
}

func (t *btx) GivenFen(sourceID, needID int64) (int64, error) {
	ps, ok := t.person(needID)
	if !ok {
		return 0, t.no()
	}
	k := givenKey{sourceID, ps}
	base, ok := t.b.givenBase[k]
	if !ok {
		var err error
		if base, err = (&tx{s: t.b.s, g: t.b.g}).GivenFen(sourceID, needID); err != nil {
			t.b.dbErr = err
			return 0, err
		}
		if t.b.givenBase == nil {
			t.b.givenBase = map[givenKey]int64{}
		}
		t.b.givenBase[k] = base
	}
	return base + t.b.allocated[k] + t.allocated[k], nil
}

func (t *btx) InsertAllocation(a *funds.Allocation) error {
	if a.Status != funds.AllocAllocated {
		return t.no()
	}
	ps, ok := t.person(a.NeedID)
	if !ok {
		return t.no()
	}
	if t.allocated == nil {
		t.allocated = map[givenKey]int64{}
	}
	t.allocated[givenKey{a.SourceID, ps}] += a.AmountFen
	t.allocs = append(t.allocs, a)
	return nil
}

// AddLot serves the lot of the allocation the call just inserted; any
// other lot runs the call alone.
func (t *btx) AddLot(l *funds.Lot) error {
	if l.Kind != funds.LotAllocation || len(t.allocs) == 0 {
		return t.no()
	}
	a := t.allocs[len(t.allocs)-1]
	if a.NeedID != l.NeedID || a.SourceID != l.SourceID || a.AmountFen != l.AmountFen {
		return t.no()
	}
	t.lots = append(t.lots, allocLot{lot: l, alloc: a})
	return nil
}

func (t *btx) InsertDisclosure(d *funds.Disclosure) error {
	t.discl = append(t.discl, d)
	return nil
}

// Post checks the balances in memory against the rows the batch locked;
// the flush writes them.
func (t *btx) Post(jt *funds.JournalTx) error {
	if err := jt.Validate(); err != nil {
		return err
	}
	sums := make(map[string]int64, len(jt.Entries))
	codes := make([]string, 0, len(jt.Entries))
	for _, e := range jt.Entries {
		c := e.Account.Code()
		if t.b.accounts[c] == nil {
			return t.no()
		}
		if _, ok := sums[c]; !ok {
			codes = append(codes, c)
		}
		sums[c] += e.AmountFen
	}
	sort.Strings(codes)
	for _, c := range codes {
		a, sum := t.b.accounts[c], sums[c]
		if a.kind.NonNegative() && sum < 0 && a.balance+t.deltas[c].sum+sum < 0 {
			return kernel.Refuse(funds.ErrInsufficientFunds, "refusal_insufficient_funds_amount", map[string]any{"AmountFen": -sum}, "%s holds less than %d fen", c, -sum)
		}
	}
	if t.deltas == nil {
		t.deltas = make(map[string]delta, len(codes))
	}
	for _, c := range codes {
		d, ok := t.deltas[c]
		if !ok {
			d.at = jt.At
		}
		d.sum += sums[c]
		t.deltas[c] = d
	}
	// jt.ID is set by the flush, before the commit.
	t.jtxs = append(t.jtxs, jt)
	return nil
}

func (t *btx) FinishIdempotent(userID int64, key string, status int, body []byte, at time.Time) error {
	k := idemKey{userID, key}
	if t.b.idemIn[k] {
		return kernel.Refuse(kernel.ErrConflict, "refusal_idempotency_taken", nil, "the Idempotency-Key was taken over or finished by another request")
	}
	for _, d := range t.idem {
		if d.idemKey == k {
			return kernel.Refuse(kernel.ErrConflict, "refusal_idempotency_taken", nil, "the Idempotency-Key was taken over or finished by another request")
		}
	}
	t.idem = append(t.idem, idemDone{idemKey: k, status: status, body: append([]byte(nil), body...), at: at})
	return nil
}

// hasReturning reports whether the MySQL server is a MariaDB that knows
// INSERT … RETURNING (10.5 and later); asked once.
func (s *Store) hasReturning(ctx context.Context) bool {
	s.returningOnce.Do(func() {
		var v []string
		if err := s.db.WithContext(ctx).Raw("SELECT VERSION()").Scan(&v).Error; err != nil || len(v) == 0 {
			return
		}
		s.returning = mariaDBReturning(v[0])
	})
	return s.returning
}

// mariaDBReturning reports whether a server version string is MariaDB 10.5
// or later.
func mariaDBReturning(version string) bool {
	if !strings.Contains(strings.ToLower(version), "mariadb") {
		return false
	}
	version = strings.TrimPrefix(version, "5.5.5-") // an old replication prefix
	var major, minor int
	if _, err := fmt.Sscanf(version, "%d.%d", &major, &minor); err != nil {
		return false
	}
	return major > 10 || (major == 10 && minor >= 5)
}
