package gormstore

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/jiujinan/jiujinan/kernel"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/jiujinan/jiujinan/marketplace"
)

// The writes other packages' stores make to needs, inside their own
// transactions: the needs store is the one writer of the needs table, and
// these take the caller's transaction so that a need's amounts, status,
// event and audit entry commit with the ledger rows that moved its money
// (funds) or the screening that judged it (screening).

// SaveNeedMoney writes, inside tx, a need's new amounts and status after a
// money movement, moves its version on, queues it for the search index
// and, for each status change, writes the need event and appends the audit
// entry. ErrNotFound when the need is gone.
func SaveNeedMoney(tx *gorm.DB, m marketplace.MoneyMove) error {
	res := tx.Exec("UPDATE needs SET funded_fen = ?, disbursed_fen = ?, status = ?, version = version + ?, updated_at = ? WHERE id = ?",
		m.FundedFen, m.DisbursedFen, string(m.Status), saves(m), m.At, m.NeedID)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return fmt.Errorf("need %s: %w", m.NeedPublicID, kernel.ErrNotFound)
	}
	if err := tx.Exec("INSERT INTO search_outbox (need_id, created_at) VALUES (?, ?)", m.NeedID, m.At).Error; err != nil {
		return err
	}
	for i := range m.Changes {
		c := &m.Changes[i]
		if err := insertEvent(tx, m.NeedID, &c.Event); err != nil {
			return err
		}
		if err := AppendAudit(tx, &c.Audit); err != nil {
			return err
		}
	}
	return nil
}

func saves(m marketplace.MoneyMove) int {
	return max(m.Saves, 1)
}

// SaveNeedsMoney is SaveNeedMoney for many needs at once, for the batched
// money path: one UPDATE of every need, one INSERT of their search outbox
// rows and, only when some status changed, one INSERT of the events and
// one set-based append to the audit chains (chainAudits). It runs its
// statements on tx's connection directly, as the batch it serves does.
func SaveNeedsMoney(ctx context.Context, tx *gorm.DB, ms []marketplace.MoneyMove) error {
	if len(ms) == 0 {
		return nil
	}
	pool := tx.Statement.ConnPool
	var q strings.Builder
	args := make([]any, 0, 11*len(ms))
	col := func(name string, val func(m *marketplace.MoneyMove) any) {
		q.WriteString(name + " CASE id")
		for i := range ms {
			q.WriteString(" WHEN ? THEN ?")
			args = append(args, ms[i].NeedID, val(&ms[i]))
		}
		q.WriteString(" END")
	}
	q.WriteString("UPDATE needs SET ")
	col("funded_fen =", func(m *marketplace.MoneyMove) any { return m.FundedFen })
	col(", disbursed_fen =", func(m *marketplace.MoneyMove) any { return m.DisbursedFen })
	col(", status =", func(m *marketplace.MoneyMove) any { return string(m.Status) })
	col(", version = version +", func(m *marketplace.MoneyMove) any { return saves(*m) })
	col(", updated_at =", func(m *marketplace.MoneyMove) any { return m.At })
	q.WriteString(" WHERE id IN (" + strings.Repeat("?, ", len(ms)-1) + "?)")
	outbox := make([]any, 0, 2*len(ms))
	for _, m := range ms {
		args = append(args, m.NeedID)
		outbox = append(outbox, m.NeedID, m.At)
	}
	res, err := pool.ExecContext(ctx, q.String(), args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n != int64(len(ms)) {
		return fmt.Errorf("needs: %d of %d needs updated", n, len(ms))
	}
	// One search outbox row per need changed: the indexer reads the need's
	// current state, however often the batch changed it.
	if _, err := pool.ExecContext(ctx, "INSERT INTO search_outbox (need_id, created_at) VALUES "+
		strings.TrimSuffix(strings.Repeat("(?, ?), ", len(ms)), ", "), outbox...); err != nil {
		return err
	}
	var events, audits [][]any
	var entries []*marketplace.AuditEntry
	for i := range ms {
		for j := range ms[i].Changes {
			c := &ms[i].Changes[j]
			ev := &c.Event
			ev.NeedID = ms[i].NeedID
			events = append(events, []any{ev.PublicID, ev.NeedID, ev.At, ev.Actor, ev.Action, string(ev.From), string(ev.To), ev.NoteCT, ev.NoteKID})
			entries = append(entries, &c.Audit)
		}
	}
	if len(events) == 0 {
		return nil
	}
	if err := insertRows(ctx, pool, "need_events", []string{"public_id", "need_id", "at", "actor", "action", "from_status", "to_status", "note_ct", "note_kid"}, events); err != nil {
		return err
	}
	rows, err := chainAudits(tx, entries)
	if err != nil {
		return err
	}
	for _, r := range rows {
		audits = append(audits, []any{r.Stream, r.Seq, r.AtUs, r.Actor, r.Action, r.ObjectType, r.ObjectID, r.Detail, r.PrevHash, r.Hash})
	}
	if err := insertRows(ctx, pool, "audit_log", []string{"stream", "seq", "at_us", "actor", "action", "object_type", "object_id", "detail", "prev_hash", "hash"}, audits); err != nil {
		return fmt.Errorf("audit: append: %w", MapError(err))
	}
	return nil
}

// insertRows writes rows into table in one statement, without reading ids
// back (TiDB's are not consecutive).
func insertRows(ctx context.Context, pool gorm.ConnPool, table string, cols []string, rows [][]any) error {
	ph := "(" + strings.Repeat("?, ", len(cols)-1) + "?)"
	args := make([]any, 0, len(cols)*len(rows))
	for _, r := range rows {
		args = append(args, r...)
	}
	q := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES " + strings.TrimSuffix(strings.Repeat(ph+", ", len(rows)), ", ")
	res, err := pool.ExecContext(ctx, q, args...)
	if err != nil {
		return MapError(err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n != int64(len(rows)) {
		return fmt.Errorf("%d of %d %s rows written", n, len(rows), table)
	}
	return nil
}

// chainAudits chains entries onto their streams and returns the audit rows
// to insert (in the order of entries); AppendAudit is it for one entry. The
// heads of every stream concerned are created when missing and locked in
// one statement each (in stream order, so that two such appends queue), the
// entries are chained in the order given within each stream, and each head
// moves on.
func chainAudits(tx *gorm.DB, entries []*marketplace.AuditEntry) ([]auditRow, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	var streams []string
	seen := map[string]bool{}
	for _, e := range entries {
		if e.Stream == "" || e.Action == "" {
			return nil, fmt.Errorf("audit: entry without stream or action")
		}
		if !seen[e.Stream] {
			seen[e.Stream] = true
			streams = append(streams, e.Stream)
		}
	}
	sort.Strings(streams)
	fresh := make([]auditHeadRow, len(streams))
	for i, s := range streams {
		fresh[i] = auditHeadRow{Stream: s, Seq: 0, Hash: marketplace.GenesisHash}
	}
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&fresh).Error; err != nil {
		return nil, MapError(err)
	}
	var heads []auditHeadRow
	if err := ForUpdate(tx).Where("stream IN ?", streams).Order("stream").Find(&heads).Error; err != nil {
		return nil, MapError(err)
	}
	if len(heads) != len(streams) {
		return nil, fmt.Errorf("audit: %d of %d chain heads found", len(heads), len(streams))
	}
	byStream := make(map[string]*auditHeadRow, len(heads))
	was := make(map[string]int64, len(heads))
	for i := range heads {
		byStream[heads[i].Stream] = &heads[i]
		was[heads[i].Stream] = heads[i].Seq
	}
	rows := make([]auditRow, len(entries))
	for i, e := range entries {
		h := byStream[e.Stream]
		if e.Detail == "" {
			e.Detail = "{}"
		}
		e.At = e.At.UTC().Truncate(1000)
		e.Seq, e.PrevHash = h.Seq+1, h.Hash
		e.Hash = marketplace.ChainHash(e.PrevHash, *e)
		h.Seq, h.Hash = e.Seq, e.Hash
		rows[i] = auditRow{Stream: e.Stream, Seq: e.Seq, AtUs: e.At.UnixMicro(), Actor: e.Actor, Action: e.Action,
			ObjectType: e.ObjectType, ObjectID: e.ObjectID, Detail: e.Detail, PrevHash: e.PrevHash, Hash: e.Hash}
	}
	for _, h := range heads {
		res := tx.Model(&auditHeadRow{}).Where("stream = ? AND seq = ?", h.Stream, was[h.Stream]).
			Updates(map[string]any{"seq": h.Seq, "hash": h.Hash})
		if res.Error != nil {
			return nil, res.Error
		}
		if res.RowsAffected != 1 {
			return nil, fmt.Errorf("audit: %w: chain head moved", kernel.ErrConflict)
		}
	}
	return rows, nil
}

// SetNeedScreening records a need's latest screening outcome inside tx:
// its result and whether a verifier's override lifts a block.
func SetNeedScreening(tx *gorm.DB, needID int64, result kernel.ScreeningOutcome, overridden bool) error {
	return tx.Model(&needRow{}).Where("id = ?", needID).
		Updates(map[string]any{"screening_result": string(result), "block_override": overridden}).Error
}

// NeedScreeningWriter is SetNeedScreening for a store that writes through
// prepared statements on database/sql transactions (the screening store's
// hot path): its one statement is prepared once (Prepare, before the
// transaction takes its connection).
type NeedScreeningWriter struct {
	db *sql.DB
	mu sync.Mutex
	st *sql.Stmt
}

// NewNeedScreeningWriter returns a writer over db.
func NewNeedScreeningWriter(db *sql.DB) *NeedScreeningWriter { return &NeedScreeningWriter{db: db} }

// Prepare prepares the statement unless it was. Call it outside the
// transaction Set runs in.
func (w *NeedScreeningWriter) Prepare(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.st != nil {
		return nil
	}
	st, err := w.db.PrepareContext(ctx, `UPDATE needs SET screening_result = ?, block_override = ? WHERE id = ?`)
	if err != nil {
		return err
	}
	w.st = st
	return nil
}

// Set records a need's latest screening outcome inside tx, once Prepare
// succeeded. (MySQL counts changed rows only, so the row count says
// nothing here: the caller read the need just before.)
func (w *NeedScreeningWriter) Set(ctx context.Context, tx *sql.Tx, needID int64, result kernel.ScreeningOutcome, overridden bool) error {
	w.mu.Lock()
	st := w.st
	w.mu.Unlock()
	if st == nil {
		return fmt.Errorf("needs: screening writer not prepared")
	}
	_, err := tx.StmtContext(ctx, st).ExecContext(ctx, string(result), overridden, needID)
	return err
}
