package gormstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/jiujinan/jiujinan/marketplace"
	mgorm "github.com/jiujinan/jiujinan/marketplace/gormstore"
	"github.com/jiujinan/jiujinan/matching"
	"github.com/jiujinan/jiujinan/sqldb"
)

type batchRow struct {
	ID         int64 `gorm:"primaryKey"`
	PublicID   string
	FileSha256 string `gorm:"column:file_sha256"`
	FileName   string
	Status     string
	LinesDone  int64
	Accepted   int64
	Duplicates int64
	Rejected   int64
	CreatedBy  string
	Lease      string
	Error      string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	FinishedAt *time.Time
}

func (batchRow) TableName() string { return "payment_import_batches" }

func (r batchRow) domain() matching.ImportBatch {
	b := matching.ImportBatch{Key: r.ID, ID: r.PublicID, FileSHA256: r.FileSha256, FileName: r.FileName,
		Status: matching.ImportStatus(r.Status), LinesDone: r.LinesDone, Accepted: r.Accepted, Duplicates: r.Duplicates,
		Rejected: r.Rejected, CreatedBy: r.CreatedBy, Error: r.Error, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if r.FinishedAt != nil {
		t := r.FinishedAt.UTC()
		b.FinishedAt = &t
	}
	return b
}

// dateArg is how a calendar date is bound: the date in t's own location.
func dateArg(t time.Time) string { return t.Format(time.DateOnly) }

// scanDate reads a DATE column, which the SQLite driver may return as text
// or as a time and MySQL returns as a time.
func scanDate(v any) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return time.Date(x.Year(), x.Month(), x.Day(), 0, 0, 0, 0, time.UTC), nil
	case string:
		return parseDateText(x)
	case []byte:
		return parseDateText(string(x))
	}
	return time.Time{}, fmt.Errorf("date column holds %T", v)
}

func parseDateText(s string) (time.Time, error) {
	if len(s) >= 10 {
		s = s[:10]
	}
	return time.Parse(time.DateOnly, s)
}

// PaymentsFor implements matching.PaymentReader.
func (s *Store) PaymentsFor(ctx context.Context, pseudonym string, from, to time.Time) ([]matching.Payment, error) {
	rows, err := s.sql.QueryContext(ctx, `SELECT p.programme, p.period_from, p.period_to, p.amount_fen, p.region_code
		FROM statutory_payments p JOIN payment_import_batches b ON b.id = p.batch_id
		WHERE p.pseudonym = ? AND p.period_from <= ? AND p.period_to >= ? AND b.status = 'done'
		ORDER BY p.period_from, p.programme, p.period_to, p.amount_fen, p.region_code`,
		pseudonym, dateArg(to), dateArg(from))
	if err != nil {
		return nil, fmt.Errorf("matching: payments for: %w", err)
	}
	defer rows.Close()
	var out []matching.Payment
	for rows.Next() {
		var p matching.Payment
		var prog string
		var f, t any
		if err := rows.Scan(&prog, &f, &t, &p.AmountFen, &p.RegionCode); err != nil {
			return nil, fmt.Errorf("matching: payments for: %w", err)
		}
		p.Programme = marketplace.Programme(prog)
		if p.From, err = scanDate(f); err != nil {
			return nil, err
		}
		if p.To, err = scanDate(t); err != nil {
			return nil, err
		}
		p.ID = matching.PaymentID(pseudonym, p.Programme, p.From, p.To, p.AmountFen, p.RegionCode)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("matching: payments for: %w", err)
	}
	return out, nil
}

// ClaimImport implements matching.PaymentImportStore.
func (s *Store) ClaimImport(ctx context.Context, nb matching.ImportBatch, lease string, staleBefore time.Time) (matching.ImportBatch, bool, error) {
	var out matching.ImportBatch
	resumed := false
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var rows []batchRow
		if err := mgorm.ForUpdate(tx).Where("file_sha256 = ? AND status <> ?", nb.FileSHA256, string(matching.ImportDone)).
			Order("id DESC").Limit(1).Find(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 1 {
			r := rows[0]
			if r.Status == string(matching.ImportRunning) && !r.UpdatedAt.Before(staleBefore) {
				return fmt.Errorf("%w: an import of this file is running (batch %s)", marketplace.ErrConflict, r.PublicID)
			}
			res := tx.Model(&batchRow{}).Where("id = ? AND lease = ?", r.ID, r.Lease).
				Updates(map[string]any{"status": string(matching.ImportRunning), "lease": lease, "error": "", "updated_at": nb.CreatedAt})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != 1 {
				return fmt.Errorf("%w: the unfinished import of this file was claimed by another", marketplace.ErrConflict)
			}
			r.Status, r.Lease, r.Error, r.UpdatedAt = string(matching.ImportRunning), lease, "", nb.CreatedAt
			if nb.FileName != "" {
				r.FileName = nb.FileName
			}
			out, resumed = r.domain(), true
			return nil
		}
		r := batchRow{PublicID: nb.ID, FileSha256: nb.FileSHA256, FileName: nb.FileName, Status: string(matching.ImportRunning),
			CreatedBy: nb.CreatedBy, Lease: lease, CreatedAt: nb.CreatedAt, UpdatedAt: nb.CreatedAt}
		if err := tx.Create(&r).Error; err != nil {
			return err
		}
		out = r.domain()
		return nil
	})
	if err != nil {
		return matching.ImportBatch{}, false, fmt.Errorf("matching: claim import: %w", mgorm.MapError(err))
	}
	return out, resumed, nil
}

// FinishImport implements matching.PaymentImportStore.
func (s *Store) FinishImport(ctx context.Context, batchKey int64, lease string, status matching.ImportStatus, errText string, now time.Time) error {
	if len(errText) > 1000 {
		errText = errText[:1000]
	}
	res := s.db.WithContext(ctx).Model(&batchRow{}).Where("id = ? AND lease = ? AND status = ?", batchKey, lease, string(matching.ImportRunning)).
		Updates(map[string]any{"status": string(status), "error": errText, "updated_at": now, "finished_at": now})
	if res.Error != nil {
		return fmt.Errorf("matching: finish import: %w", res.Error)
	}
	if res.RowsAffected != 1 {
		return fmt.Errorf("matching: finish import: %w: the batch's lease was lost", marketplace.ErrConflict)
	}
	return nil
}

// OtherUnfinished implements matching.PaymentImportStore.
func (s *Store) OtherUnfinished(ctx context.Context, batchKey int64) (bool, error) {
	var n int64
	if err := s.db.WithContext(ctx).Model(&batchRow{}).Where("id <> ? AND status <> ?", batchKey, string(matching.ImportDone)).Count(&n).Error; err != nil {
		return false, fmt.Errorf("matching: unfinished imports: %w", err)
	}
	return n > 0, nil
}

// ImportBatch implements matching.PaymentImportStore.
func (s *Store) ImportBatch(ctx context.Context, id string) (matching.ImportBatch, error) {
	var r batchRow
	if err := s.db.WithContext(ctx).Where("public_id = ?", id).Take(&r).Error; err != nil {
		return matching.ImportBatch{}, fmt.Errorf("matching: import batch: %w", mgorm.MapError(err))
	}
	return r.domain(), nil
}

// ImportBatches implements matching.PaymentImportStore.
func (s *Store) ImportBatches(ctx context.Context, limit int) ([]matching.ImportBatch, error) {
	var rows []batchRow
	if err := s.db.WithContext(ctx).Order("id DESC").Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("matching: import batches: %w", err)
	}
	out := make([]matching.ImportBatch, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// ImportErrors implements matching.PaymentImportStore.
func (s *Store) ImportErrors(ctx context.Context, batchKey int64, afterLine int64, limit int) ([]matching.RowError, error) {
	rows, err := s.sql.QueryContext(ctx, `SELECT line, error FROM payment_import_errors WHERE batch_id = ? AND line > ? ORDER BY line LIMIT ?`,
		batchKey, afterLine, limit)
	if err != nil {
		return nil, fmt.Errorf("matching: import errors: %w", err)
	}
	defer rows.Close()
	out := []matching.RowError{}
	for rows.Next() {
		var e matching.RowError
		if err := rows.Scan(&e.Line, &e.Error); err != nil {
			return nil, fmt.Errorf("matching: import errors: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// paymentWriter writes one batch's chunks on a connection of its own.
type paymentWriter struct {
	s        *Store
	conn     *sql.Conn
	batchKey int64
	lease    string
	insert   map[int]string // SQL by row count
	sqb      strings.Builder
	args     []any
}

// importCacheKiB is the SQLite page cache of the import's connection: big
// enough to keep the upper levels of the payments B-tree and a good share
// of its leaves, small enough for the import's memory bound.
const importCacheKiB = 96 << 10

// OpenPaymentWriter implements matching.PaymentImportStore.
func (s *Store) OpenPaymentWriter(ctx context.Context, batchKey int64, lease string) (matching.PaymentWriter, error) {
	conn, err := s.sql.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("matching: payment writer: %w", err)
	}
	if s.dialect == sqldb.SQLite {
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = -%d", importCacheKiB)); err != nil {
			conn.Close()
			return nil, fmt.Errorf("matching: payment writer: %w", err)
		}
		_, _ = conn.ExecContext(ctx, "PRAGMA synchronous = OFF")
	}
	return &paymentWriter{s: s, conn: conn, batchKey: batchKey, lease: lease, insert: map[int]string{}}, nil
}

// Close implements matching.PaymentWriter; it gives the connection back
// with SQLite's default page cache.
func (w *paymentWriter) Close() error {
	if w.s.dialect == sqldb.SQLite {
		_, _ = w.conn.ExecContext(context.Background(), "PRAGMA cache_size = -2000")
	}
	return w.conn.Close()
}

func (w *paymentWriter) insertSQL(n int) string {
	if q, ok := w.insert[n]; ok {
		return q
	}
	var b strings.Builder
	verb := "INSERT OR IGNORE INTO"
	if w.s.dialect == sqldb.MySQL {
		verb = "INSERT IGNORE INTO"
	}
	b.WriteString(verb)
	b.WriteString(" statutory_payments (pseudonym, programme, period_from, period_to, amount_fen, region_code, batch_id) VALUES ")
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?,?,?,?)")
	}
	q := b.String()
	if len(w.insert) < 4 {
		w.insert[n] = q
	}
	return q
}

// insertGroup is how many rows one INSERT statement carries.
func (s *Store) insertGroup() int {
	if s.dialect == sqldb.SQLite {
		return sqliteInsertGroup
	}
	return mysqlInsertGroup
}

// The rows per INSERT, measured (docs/benchmarks/payments.md).
var (
	sqliteInsertGroup = 32
	mysqlInsertGroup  = 500
)

// WriteChunk implements matching.PaymentWriter.
func (w *paymentWriter) WriteChunk(ctx context.Context, rows []matching.PaymentRow, errs []matching.RowError, rejected, linesDone int64, takeOver bool, now time.Time) (matching.ChunkResult, error) {
	var res matching.ChunkResult
	tx, err := w.conn.BeginTx(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("matching: write chunk: %w", err)
	}
	defer tx.Rollback()
	if len(rows) > 0 {
		// Rows go in groups of a fixed size through one statement prepared
		// per chunk: the SQLite driver binds arguments in time quadratic in
		// their number, so one statement per chunk would be slow there.
		group := w.s.insertGroup()
		var stmt *sql.Stmt
		var n int64
		for start := 0; start < len(rows); start += group {
			part := rows[start:min(start+group, len(rows))]
			w.args = w.args[:0]
			for i := range part {
				r := &part[i]
				w.args = append(w.args, r.Pseudonym, string(r.Programme), dateArg(r.From), dateArg(r.To), r.AmountFen, r.RegionCode, w.batchKey)
			}
			var out sql.Result
			var err error
			if len(part) == group {
				if stmt == nil {
					if stmt, err = tx.PrepareContext(ctx, w.insertSQL(group)); err != nil {
						return res, fmt.Errorf("matching: write chunk: prepare: %w", err)
					}
					defer stmt.Close()
				}
				out, err = stmt.ExecContext(ctx, w.args...)
			} else {
				out, err = tx.ExecContext(ctx, w.insertSQL(len(part)), w.args...)
			}
			if err != nil {
				return res, fmt.Errorf("matching: write chunk: insert: %w", err)
			}
			k, err := out.RowsAffected()
			if err != nil {
				return res, fmt.Errorf("matching: write chunk: %w", err)
			}
			n += k
		}
		res.Accepted = n
		if takeOver && n < int64(len(rows)) {
			moved, err := w.takeOver(ctx, tx, rows)
			if err != nil {
				return res, err
			}
			res.Accepted += moved
		}
		res.Duplicates = int64(len(rows)) - res.Accepted
	}
	if len(errs) > 0 {
		var b strings.Builder
		b.WriteString("INSERT INTO payment_import_errors (batch_id, line, error) VALUES ")
		args := make([]any, 0, 3*len(errs))
		for i, e := range errs {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("(?,?,?)")
			msg := e.Error
			if len(msg) > 250 {
				msg = msg[:250]
			}
			args = append(args, w.batchKey, e.Line, msg)
		}
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return res, fmt.Errorf("matching: write chunk: errors: %w", err)
		}
	}
	up, err := tx.ExecContext(ctx, `UPDATE payment_import_batches SET lines_done = ?, accepted = accepted + ?,
		duplicates = duplicates + ?, rejected = rejected + ?, updated_at = ? WHERE id = ? AND lease = ? AND status = ?`,
		linesDone, res.Accepted, res.Duplicates, rejected, now, w.batchKey, w.lease, string(matching.ImportRunning))
	if err != nil {
		return res, fmt.Errorf("matching: write chunk: progress: %w", err)
	}
	if n, err := up.RowsAffected(); err != nil || n != 1 {
		// MySQL counts changed rows only: a chunk that changed nothing
		// (an empty last chunk) affects none under a lease still held.
		var held int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM payment_import_batches WHERE id = ? AND lease = ? AND status = ?`,
			w.batchKey, w.lease, string(matching.ImportRunning)).Scan(&held); err != nil || held != 1 {
			return res, fmt.Errorf("matching: write chunk: %w: the batch's lease was lost", marketplace.ErrConflict)
		}
	}
	if err := tx.Commit(); err != nil {
		return res, fmt.Errorf("matching: write chunk: commit: %w", err)
	}
	return res, nil
}

// takeOver moves the chunk's rows that another unfinished batch brought to
// this batch, and returns how many it moved.
func (w *paymentWriter) takeOver(ctx context.Context, tx *sql.Tx, rows []matching.PaymentRow) (int64, error) {
	const per = 500
	var moved int64
	for start := 0; start < len(rows); start += per {
		part := rows[start:min(start+per, len(rows))]
		var b strings.Builder
		b.WriteString(`UPDATE statutory_payments SET batch_id = ? WHERE batch_id IN
			(SELECT id FROM payment_import_batches WHERE status <> 'done' AND id <> ?)
			AND (pseudonym, programme, period_from, period_to, amount_fen, region_code) IN (`)
		if w.s.dialect == sqldb.SQLite {
			b.WriteString("VALUES ")
		}
		args := []any{w.batchKey, w.batchKey}
		for i := range part {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("(?,?,?,?,?,?)")
			r := &part[i]
			args = append(args, r.Pseudonym, string(r.Programme), dateArg(r.From), dateArg(r.To), r.AmountFen, r.RegionCode)
		}
		b.WriteString(")")
		out, err := tx.ExecContext(ctx, b.String(), args...)
		if err != nil {
			return 0, fmt.Errorf("matching: write chunk: take over: %w", err)
		}
		n, err := out.RowsAffected()
		if err != nil {
			return 0, err
		}
		moved += n
	}
	return moved, nil
}
