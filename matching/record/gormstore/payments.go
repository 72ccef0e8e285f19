package gormstore

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jiujinan/jiujinan/matching/record"

	"github.com/jiujinan/jiujinan/kernel"

	mysqldrv "github.com/go-sql-driver/mysql"
	"gorm.io/gorm"

	mgorm "github.com/jiujinan/jiujinan/marketplace/gormstore"
	"github.com/jiujinan/jiujinan/sqldb"
)

type batchRow struct {
	ID          int64 `gorm:"primaryKey"`
	PublicID    string
	FileSha256  string `gorm:"column:file_sha256"`
	FileName    string
	Status      string
	LinesDone   int64
	Parts       int
	Staged      int64
	MergedParts int
	Accepted    int64
	Duplicates  int64
	Rejected    int64
	CreatedBy   string
	Lease       string
	Error       string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	FinishedAt  *time.Time
}

func (batchRow) TableName() string { return "payment_import_batches" }

func (r batchRow) domain() record.ImportBatch {
	b := record.ImportBatch{Key: r.ID, ID: r.PublicID, FileSHA256: r.FileSha256, FileName: r.FileName,
		Status: record.ImportStatus(r.Status), LinesDone: r.LinesDone, Parts: r.Parts, Staged: r.Staged, MergedParts: r.MergedParts, Accepted: r.Accepted, Duplicates: r.Duplicates,
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

// PaymentsFor implements record.PaymentReader: the payments of completed
// imports to the person with this pseudonym whose period overlaps [from, to].
// Screening reads the record before every allocation, so the query is
// prepared once and reused (docs/benchmarks/screening.md): gorm's reflection
// and SQLite's parsing of each statement would cost more than the query.
func (s *Store) PaymentsFor(ctx context.Context, pseudonym string, from, to time.Time) ([]record.Payment, error) {
	st, err := s.paymentsForStmt(ctx)
	if err != nil {
		return nil, fmt.Errorf("matching: payments for: %w", err)
	}
	rows, err := st.QueryContext(ctx, pseudonym, dateArg(to), dateArg(from))
	if err != nil {
		return nil, fmt.Errorf("matching: payments for: %w", err)
	}
	return scanPayments(rows, pseudonym)
}

func (s *Store) paymentsForStmt(ctx context.Context) (*sql.Stmt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.paymentsFor != nil {
		return s.paymentsFor, nil
	}
	st, err := s.sql.PrepareContext(ctx, `SELECT p.programme, p.period_from, p.period_to, p.amount_fen, p.region_code
		FROM statutory_payments p JOIN payment_import_batches b ON b.id = p.batch_id
		WHERE p.pseudonym = ? AND p.period_from <= ? AND p.period_to >= ? AND b.status = 'done'
		ORDER BY p.period_from, p.programme, p.period_to, p.amount_fen, p.region_code`)
	if err != nil {
		return nil, err
	}
	s.paymentsFor = st
	return st, nil
}

// scanPayments reads and closes the rows of a payment-record query that
// selects programme, period_from, period_to, amount_fen and region_code of
// the person with this pseudonym.
func scanPayments(rows *sql.Rows, pseudonym string) ([]record.Payment, error) {
	defer rows.Close()
	var out []record.Payment
	for rows.Next() {
		var p record.Payment
		var prog string
		var f, t any
		if err := rows.Scan(&prog, &f, &t, &p.AmountFen, &p.RegionCode); err != nil {
			return nil, fmt.Errorf("matching: payments for: %w", err)
		}
		p.Programme = kernel.Programme(prog)
		var err error
		if p.From, err = scanDate(f); err != nil {
			return nil, err
		}
		if p.To, err = scanDate(t); err != nil {
			return nil, err
		}
		p.ID = record.PaymentID(pseudonym, p.Programme, p.From, p.To, p.AmountFen, p.RegionCode)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("matching: payments for: %w", err)
	}
	return out, nil
}

// ClaimImport implements matching.PaymentImportStore.
func (s *Store) ClaimImport(ctx context.Context, nb record.ImportBatch, lease string, staleBefore time.Time) (record.ImportBatch, bool, error) {
	var out record.ImportBatch
	resumed := false
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var rows []batchRow
		if err := mgorm.ForUpdate(tx).Where("file_sha256 = ? AND status <> ?", nb.FileSHA256, string(record.ImportDone)).
			Order("id DESC").Limit(1).Find(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 1 {
			r := rows[0]
			if r.Status == string(record.ImportRunning) && !r.UpdatedAt.Before(staleBefore) {
				return kernel.Refuse(kernel.ErrConflict, "refusal_import_running", nil, "an import of this file is running (batch %s)", r.PublicID)
			}
			res := tx.Model(&batchRow{}).Where("id = ? AND lease = ?", r.ID, r.Lease).
				Updates(map[string]any{"status": string(record.ImportRunning), "lease": lease, "error": "", "updated_at": nb.CreatedAt})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != 1 {
				return kernel.Refuse(kernel.ErrConflict, "refusal_import_claimed", nil, "the unfinished import of this file was claimed by another")
			}
			r.Status, r.Lease, r.Error, r.UpdatedAt = string(record.ImportRunning), lease, "", nb.CreatedAt
			if nb.FileName != "" {
				r.FileName = nb.FileName
			}
			out, resumed = r.domain(), true
			return nil
		}
		parts := max(nb.Parts, 1)
		r := batchRow{PublicID: nb.ID, FileSha256: nb.FileSHA256, FileName: nb.FileName, Status: string(record.ImportRunning), Parts: parts,
			CreatedBy: nb.CreatedBy, Lease: lease, CreatedAt: nb.CreatedAt, UpdatedAt: nb.CreatedAt}
		if err := tx.Create(&r).Error; err != nil {
			return err
		}
		out = r.domain()
		return nil
	})
	if err != nil {
		return record.ImportBatch{}, false, fmt.Errorf("matching: claim import: %w", mgorm.MapError(err))
	}
	return out, resumed, nil
}

// FinishImport implements matching.PaymentImportStore.
func (s *Store) FinishImport(ctx context.Context, batchKey int64, lease string, status record.ImportStatus, errText string, now time.Time) error {
	if len(errText) > 1000 {
		errText = errText[:1000]
	}
	set := map[string]any{"status": string(status), "error": errText, "updated_at": now, "finished_at": now}
	if status == record.ImportDone {
		set["duplicates"] = gorm.Expr("staged - accepted")
	}
	res := s.db.WithContext(ctx).Model(&batchRow{}).Where("id = ? AND lease = ? AND status = ?", batchKey, lease, string(record.ImportRunning)).
		Updates(set)
	if res.Error != nil {
		return fmt.Errorf("matching: finish import: %w", res.Error)
	}
	if res.RowsAffected != 1 {
		return fmt.Errorf("matching: finish import: %w: the batch's lease was lost", kernel.ErrConflict)
	}
	return nil
}

// OtherUnfinished implements matching.PaymentImportStore.
func (s *Store) OtherUnfinished(ctx context.Context, batchKey int64) (bool, error) {
	var n int64
	if err := s.db.WithContext(ctx).Model(&batchRow{}).Where("id <> ? AND status <> ?", batchKey, string(record.ImportDone)).Count(&n).Error; err != nil {
		return false, fmt.Errorf("matching: unfinished imports: %w", err)
	}
	return n > 0, nil
}

// ImportBatch implements matching.PaymentImportStore.
func (s *Store) ImportBatch(ctx context.Context, id string) (record.ImportBatch, error) {
	var r batchRow
	if err := s.db.WithContext(ctx).Where("public_id = ?", id).Take(&r).Error; err != nil {
		return record.ImportBatch{}, fmt.Errorf("matching: import batch: %w", mgorm.MapError(err))
	}
	return r.domain(), nil
}

// ImportBatches implements matching.PaymentImportStore.
func (s *Store) ImportBatches(ctx context.Context, limit int) ([]record.ImportBatch, error) {
	var rows []batchRow
	if err := s.db.WithContext(ctx).Order("id DESC").Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("matching: import batches: %w", err)
	}
	out := make([]record.ImportBatch, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// ImportErrors implements matching.PaymentImportStore.
func (s *Store) ImportErrors(ctx context.Context, batchKey int64, afterLine int64, limit int) ([]record.RowError, error) {
	rows, err := s.sql.QueryContext(ctx, `SELECT line, error FROM payment_import_errors WHERE batch_id = ? AND line > ? ORDER BY line LIMIT ?`,
		batchKey, afterLine, limit)
	if err != nil {
		return nil, fmt.Errorf("matching: import errors: %w", err)
	}
	defer rows.Close()
	out := []record.RowError{}
	for rows.Next() {
		var e record.RowError
		if err := rows.Scan(&e.Line, &e.Error); err != nil {
			return nil, fmt.Errorf("matching: import errors: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// paymentWriter stages one batch's rows on a connection of its own.
type paymentWriter struct {
	s        *Store
	conn     *sql.Conn
	batchKey int64
	parts    int
	lease    string
	insert   map[int]string // SQL by row count
	args     []any
	jbuf     []byte
	// noLoadData is set once the MySQL server refused LOAD DATA LOCAL
	// INFILE: the writer stages through literal INSERTs from then on.
	noLoadData bool
	// noRawSQLite is set once the SQLite connection refused direct
	// statement access (sqldb.ErrNoRawSQLite): json_each from then on.
	noRawSQLite bool
}

// importCacheKiB is the SQLite page cache of the import's connection. The
// import writes in key order, so it needs little more than the pages of
// one part's transaction (a few MB); dirty pages are not spilled to the WAL
// before the commit (cache_spill off: spilling cost some 12 % of the
// merge's CPU), which a part's bounded size keeps bounded.
const importCacheKiB = 16 << 10

// OpenPaymentWriter implements matching.PaymentImportStore.
func (s *Store) OpenPaymentWriter(ctx context.Context, batchKey int64, lease string) (record.PaymentWriter, error) {
	var parts int
	if err := s.sql.QueryRowContext(ctx, "SELECT parts FROM payment_import_batches WHERE id = ?", batchKey).Scan(&parts); err != nil {
		return nil, fmt.Errorf("matching: payment writer: %w", mgorm.MapError(err))
	}
	conn, err := s.sql.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("matching: payment writer: %w", err)
	}
	if s.dialect == sqldb.SQLite {
		for _, q := range []string{fmt.Sprintf("PRAGMA cache_size = -%d", importCacheKiB), "PRAGMA cache_spill = OFF"} {
			if _, err := conn.ExecContext(ctx, q); err != nil {
				conn.Close()
				return nil, fmt.Errorf("matching: payment writer: %w", err)
			}
		}
	}
	return &paymentWriter{s: s, conn: conn, batchKey: batchKey, parts: parts, lease: lease, insert: map[int]string{}}, nil
}

// Close implements matching.PaymentWriter; it gives the connection back
// with SQLite's default page cache.
func (w *paymentWriter) Close() error {
	if w.s.dialect == sqldb.SQLite {
		_, _ = w.conn.ExecContext(context.Background(), "PRAGMA cache_size = -2000")
		_, _ = w.conn.ExecContext(context.Background(), "PRAGMA cache_spill = ON")
	}
	return w.conn.Close()
}

func (w *paymentWriter) insertSQL(n int) string {
	if q, ok := w.insert[n]; ok {
		return q
	}
	var b strings.Builder
	b.WriteString("INSERT INTO payment_import_rows (batch_id, part, line, pseudonym, programme, period_from, period_to, amount_fen, region_code) VALUES ")
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?,?,?,?,?,?)")
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

// The rows per INSERT. The SQLite driver parses a statement at every
// execution and binds arguments in time quadratic in their number, so
// statements there stay small; MySQL takes one round trip per statement,
// so they are large there.
var (
	sqliteInsertGroup = 32
	mysqlInsertGroup  = 500
)

// WriteChunk implements matching.PaymentWriter.
func (w *paymentWriter) WriteChunk(ctx context.Context, rows []record.PaymentRow, errs []record.RowError, rejected, linesDone int64, now time.Time) error {
	tx, err := w.conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("matching: write chunk: %w", err)
	}
	defer tx.Rollback()
	if err := w.stageRows(ctx, tx, rows); err != nil {
		return err
	}
	if err := w.commitRead(ctx, tx, int64(len(rows)), errs, rejected, linesDone, now); err != nil {
		return fmt.Errorf("matching: write chunk: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("matching: write chunk: commit: %w", err)
	}
	return nil
}

// CommitRead implements matching.PaymentWriter.
func (w *paymentWriter) CommitRead(ctx context.Context, staged int64, errs []record.RowError, rejected, linesDone int64, now time.Time) error {
	tx, err := w.conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("matching: commit read: %w", err)
	}
	defer tx.Rollback()
	if err := w.commitRead(ctx, tx, staged, errs, rejected, linesDone, now); err != nil {
		return fmt.Errorf("matching: commit read: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("matching: commit read: commit: %w", err)
	}
	return nil
}

// RestartRead implements matching.PaymentWriter.
func (w *paymentWriter) RestartRead(ctx context.Context) error {
	tx, err := w.conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("matching: restart read: %w", err)
	}
	defer tx.Rollback()
	if err := progress(ctx, tx, w.batchKey, w.lease, "lines_done = 0, staged = 0, rejected = 0"); err != nil {
		return fmt.Errorf("matching: restart read: %w", err)
	}
	for _, q := range []string{"DELETE FROM payment_import_errors WHERE batch_id = ?", "DELETE FROM payment_import_rows WHERE batch_id = ?"} {
		if _, err := tx.ExecContext(ctx, q, w.batchKey); err != nil {
			return fmt.Errorf("matching: restart read: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("matching: restart read: commit: %w", err)
	}
	return nil
}

// commitRead stores errs and the batch's progress in tx.
func (w *paymentWriter) commitRead(ctx context.Context, tx *sql.Tx, staged int64, errs []record.RowError, rejected, linesDone int64, now time.Time) error {
	if len(errs) > 0 {
		const per = 1000
		for start := 0; start < len(errs); start += per {
			var b strings.Builder
			b.WriteString("INSERT INTO payment_import_errors (batch_id, line, error) VALUES ")
			part := errs[start:min(start+per, len(errs))]
			args := make([]any, 0, 3*len(part))
			for i, e := range part {
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
				return fmt.Errorf("errors: %w", err)
			}
		}
	}
	return progress(ctx, tx, w.batchKey, w.lease, `lines_done = ?, staged = staged + ?, rejected = rejected + ?, updated_at = ?`,
		linesDone, staged, rejected, now)
}

// stageRows appends rows to the stage (payment_import_rows) in tx.
func (w *paymentWriter) stageRows(ctx context.Context, tx *sql.Tx, rows []record.PaymentRow) error {
	var err error
	switch {
	case len(rows) == 0:
	case w.s.dialect == sqldb.SQLite && sqliteFixedSafe(rows):
		if err := w.stageJSON(ctx, tx, rows); err != nil {
			return err
		}
		rows = nil
	case literalSafe(rows):
		loaded := false
		if !w.noLoadData {
			if loaded, err = w.stageLoadData(ctx, tx, rows); err != nil {
				return err
			}
		}
		if !loaded {
			if err := w.stageLiteral(ctx, tx, rows); err != nil {
				return err
			}
		}
		rows = nil
	}
	group := w.s.insertGroup()
	for start := 0; start < len(rows); start += group {
		part := rows[start:min(start+group, len(rows))]
		w.args = w.args[:0]
		for i := range part {
			r := &part[i]
			w.args = append(w.args, w.batchKey, record.PartOf(r.Pseudonym, w.parts), r.Line, r.Pseudonym, string(r.Programme),
				dateArg(r.From), dateArg(r.To), r.AmountFen, r.RegionCode)
		}
		if _, err := tx.ExecContext(ctx, w.insertSQL(len(part)), w.args...); err != nil {
			return fmt.Errorf("matching: write chunk: stage: %w", err)
		}
	}
	return nil
}

// InsertPart implements matching.PaymentWriter. The rows go straight into
// the record in the order given (key order: each page of the record's
// B-tree is written about once): on SQLite through INSERT OR IGNORE
// statements prepared once per part (insertSQLiteRaw; from json_each where
// the connection does not allow that), on MySQL/MariaDB through one
// streamed LOAD DATA LOCAL INFILE
// IGNORE. With takeOver (rare: another import is unfinished), and on a
// MySQL server that refuses LOCAL INFILE, they go through the stage and
// MergePart's statements instead.
func (w *paymentWriter) InsertPart(ctx context.Context, part int, next func() ([]record.PaymentRow, error), takeOver bool, now time.Time) (int64, error) {
	tx, err := w.conn.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("matching: insert part: %w", err)
	}
	defer tx.Rollback()
	if err := w.checkPart(ctx, tx, part); err != nil {
		return 0, err
	}
	var added int64
	direct := !takeOver
	if direct && w.s.dialect == sqldb.MySQL && !w.noLoadData {
		n, loaded, err := w.insertLoadData(ctx, tx, next)
		if err != nil {
			return 0, err
		}
		added, direct = n, loaded
		if loaded {
			next = func() ([]record.PaymentRow, error) { return nil, nil }
		}
	}
	if direct && w.s.dialect == sqldb.SQLite && !w.noRawSQLite {
		n, err := w.insertSQLiteRaw(next)
		switch {
		case errors.Is(err, sqldb.ErrNoRawSQLite): // nothing was read: the loop below
			w.noRawSQLite = true
		case err != nil:
			return 0, err
		default:
			added = n
			next = func() ([]record.PaymentRow, error) { return nil, nil }
		}
	}
	for {
		rows, err := next()
		if err != nil {
			return 0, err
		}
		if rows == nil {
			break
		}
		if direct && w.s.dialect == sqldb.SQLite {
			n, err := w.insertSQLite(ctx, tx, rows)
			if err != nil {
				return 0, err
			}
			added += n
			continue
		}
		if err := w.stageRows(ctx, tx, rows); err != nil {
			return 0, err
		}
	}
	n, err := w.mergeStaged(ctx, tx, part, takeOver)
	if err != nil {
		return 0, err
	}
	added += n
	if err := progress(ctx, tx, w.batchKey, w.lease, "merged_parts = ?, accepted = accepted + ?, updated_at = ?", part+1, added, now); err != nil {
		return 0, fmt.Errorf("matching: insert part: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("matching: insert part: commit: %w", err)
	}
	return added, nil
}

// insertSQLite inserts rows into the record, ignoring those already on
// record, and returns how many it added, in one statement with the rows as
// one JSON array of fixed-width strings (see stageJSON): for connections
// that do not allow insertSQLiteRaw.
func (w *paymentWriter) insertSQLite(ctx context.Context, tx *sql.Tx, rows []record.PaymentRow) (int64, error) {
	if !sqliteFixedSafe(rows) {
		var n int64
		for _, r := range rows {
			out, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO statutory_payments (`+paymentKey+`, batch_id) VALUES (?,?,?,?,?,?,?)`,
				r.Pseudonym, string(r.Programme), dateArg(r.From), dateArg(r.To), r.AmountFen, r.RegionCode, w.batchKey)
			if err != nil {
				return 0, fmt.Errorf("matching: insert part: %w", err)
			}
			k, _ := out.RowsAffected()
			n += k
		}
		return n, nil
	}
	b := w.jbuf[:0]
	b = append(b, '[')
	for i := range rows {
		r := &rows[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = r.From.AppendFormat(b, time.DateOnly)
		b = r.To.AppendFormat(b, time.DateOnly)
		b = appendPadded(b, r.AmountFen, 19)
		b = appendSpaced(b, r.RegionCode, 12)
		b = appendSpaced(b, string(r.Programme), 32)
		b = append(b, r.Pseudonym...)
		b = append(b, '"')
	}
	b = append(b, ']')
	w.jbuf = b
	out, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO statutory_payments (`+paymentKey+`, batch_id)
		SELECT substr(j.value, 84), rtrim(substr(j.value, 52, 32)), substr(j.value, 1, 10), substr(j.value, 11, 10),
			CAST(substr(j.value, 21, 19) AS INTEGER), rtrim(substr(j.value, 40, 12)), ? FROM json_each(?) j`,
		w.batchKey, string(b))
	if err != nil {
		return 0, fmt.Errorf("matching: insert part: %w", err)
	}
	return out.RowsAffected()
}

// insertSQLiteRaw inserts the rows next returns, up to its nil, through
// INSERT OR IGNORE statements of sqliteRawGroup rows (and of one row for
// the rest of a batch) prepared once per part and executed with the values
// bound (sqldb.WithSQLite): no statement parsed per execution, no JSON and
// no substr for SQLite to evaluate per row. It returns how many rows it
// added; sqldb.ErrNoRawSQLite, with nothing read or inserted, when the
// connection does not allow it.
func (w *paymentWriter) insertSQLiteRaw(next func() ([]record.PaymentRow, error)) (int64, error) {
	var n int64
	err := sqldb.WithSQLite(w.conn, func(c *sqldb.SQLiteConn) error {
		group := sqliteRawGroup
		var full, one *sqldb.SQLiteStmt
		var d [10]byte
		for {
			rows, err := next()
			if err != nil {
				return err
			}
			if rows == nil {
				return nil
			}
			if full == nil && len(rows) >= group {
				if full, err = c.Prepare(sqliteRawInsert(group)); err != nil {
					return fmt.Errorf("matching: insert part: %w", err)
				}
				full.BindInt64(6*group+1, w.batchKey)
			}
			if one == nil && len(rows)%group != 0 {
				if one, err = c.Prepare(sqliteRawInsert(1)); err != nil {
					return fmt.Errorf("matching: insert part: %w", err)
				}
				one.BindInt64(7, w.batchKey)
			}
			for start := 0; start < len(rows); {
				st, k := full, group
				if len(rows)-start < group {
					st, k = one, 1
				}
				for j, r := range rows[start : start+k] {
					p := 6 * j
					st.BindString(p+1, r.Pseudonym)
					st.BindString(p+2, string(r.Programme))
					st.BindText(p+3, appendDate(d[:0], r.From))
					st.BindText(p+4, appendDate(d[:0], r.To))
					st.BindInt64(p+5, r.AmountFen)
					st.BindString(p+6, r.RegionCode)
				}
				added, err := st.Exec()
				if err != nil {
					return fmt.Errorf("matching: insert part: %w", err)
				}
				n += added
				start += k
			}
		}
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// sqliteRawGroup is how many rows one execution of insertSQLiteRaw's
// statement inserts.
var sqliteRawGroup = 16

// sqliteRawInsert is an INSERT OR IGNORE of rows rows into the record: six
// parameters per row, then the batch's key.
func sqliteRawInsert(rows int) string {
	var b strings.Builder
	b.WriteString("INSERT OR IGNORE INTO statutory_payments (" + paymentKey + ", batch_id) VALUES ")
	for j := 0; j < rows; j++ {
		if j > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "(?%d,?%d,?%d,?%d,?%d,?%d,?%d)", 6*j+1, 6*j+2, 6*j+3, 6*j+4, 6*j+5, 6*j+6, 6*rows+1)
	}
	return b.String()
}

// appendDate appends t's date as YYYY-MM-DD (dateArg), years 0–9999.
func appendDate(b []byte, t time.Time) []byte {
	y, m, d := t.Date()
	if y < 0 || y > 9999 {
		return t.AppendFormat(b, time.DateOnly)
	}
	return append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+int(m)/10), byte('0'+int(m)%10), '-', byte('0'+d/10), byte('0'+d%10))
}

// rowsReader streams rows as LOAD DATA lines (see insertLoadData).
type rowsReader struct {
	next func() ([]record.PaymentRow, error)
	buf  []byte
	off  int
	fed  int64
	err  error
}

func (r *rowsReader) Read(p []byte) (int, error) {
	for r.off >= len(r.buf) {
		if r.err != nil {
			return 0, r.err
		}
		rows, err := r.next()
		if err == nil && rows == nil {
			err = io.EOF
		}
		if err == nil && !literalSafe(rows) {
			err = errors.New("a value is not plain text")
		}
		if err != nil {
			r.err = err
			return 0, err
		}
		b := r.buf[:0]
		for i := range rows {
			x := &rows[i]
			b = appendPaymentCSV(b, x)
		}
		r.buf, r.off = b, 0
		r.fed += int64(len(rows))
	}
	n := copy(p, r.buf[r.off:])
	r.off += n
	return n, nil
}

// insertLoadData streams the rows next returns into the record through one
// LOAD DATA LOCAL INFILE … IGNORE in tx and returns how many it added. It
// reports false, with nothing read or written, when the server refuses
// LOCAL INFILE. Rows already on record are skipped with a warning each;
// any other warning (a value the server had to change) fails the part.
func (w *paymentWriter) insertLoadData(ctx context.Context, tx *sql.Tx, next func() ([]record.PaymentRow, error)) (int64, bool, error) {
	rr := &rowsReader{next: next}
	name := "jiujinan-payment-import-" + strconv.FormatInt(loadDataSeq.Add(1), 10)
	mysqldrv.RegisterReaderHandler(name, func() io.Reader { return rr })
	defer mysqldrv.DeregisterReaderHandler(name)
	res, err := tx.ExecContext(ctx, `LOAD DATA LOCAL INFILE 'Reader::`+name+`' IGNORE INTO TABLE statutory_payments CHARACTER SET ascii
		FIELDS TERMINATED BY ',' ESCAPED BY '' LINES TERMINATED BY '\n'
		(`+paymentKey+`) SET batch_id = ?`, w.batchKey)
	if err != nil {
		var me *mysqldrv.MySQLError
		if errors.As(err, &me) && (me.Number == 1148 || me.Number == 3948 || me.Number == 4166) && rr.fed == 0 {
			w.noLoadData = true
			return 0, false, nil
		}
		return 0, false, fmt.Errorf("matching: insert part: load data: %w", err)
	}
	if rr.err != nil && !errors.Is(rr.err, io.EOF) {
		return 0, false, fmt.Errorf("matching: insert part: %w", rr.err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, false, err
	}
	var warnings int64
	if err := tx.QueryRowContext(ctx, "SELECT @@warning_count").Scan(&warnings); err != nil {
		return 0, false, fmt.Errorf("matching: insert part: %w", err)
	}
	if warnings != rr.fed-n {
		return 0, false, fmt.Errorf("matching: insert part: load data added %d of %d rows with %d warnings", n, rr.fed, warnings)
	}
	return n, true, nil
}

// stageJSON stages rows on SQLite through one statement with one argument,
// a JSON array with one string per row that SQLite's json_each unpacks: the
// driver parses every statement at each execution and binds arguments in
// quadratic time, so this is several times cheaper than multi-row VALUES.
//
// Each row is one fixed-width string cut with substr (see sqliteRowLayout):
// a flat array of strings costs SQLite far less than an array of arrays,
// whose every element json_each renders back to JSON text for ->> to parse
// again (about half of the staging CPU before). Only for rows that
// sqliteFixedSafe accepts: validated ASCII without quotes, backslashes or
// spaces, so nothing needs escaping and rtrim removes only the padding.
func (w *paymentWriter) stageJSON(ctx context.Context, tx *sql.Tx, rows []record.PaymentRow) error {
	b := w.jbuf[:0]
	b = append(b, '[')
	for i := range rows {
		r := &rows[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = appendPadded(b, int64(record.PartOf(r.Pseudonym, w.parts)), 3)
		b = appendPadded(b, r.Line, 19)
		b = appendPadded(b, r.AmountFen, 19)
		b = r.From.AppendFormat(b, time.DateOnly)
		b = r.To.AppendFormat(b, time.DateOnly)
		b = appendSpaced(b, r.RegionCode, 12)
		b = appendSpaced(b, string(r.Programme), 32)
		b = append(b, r.Pseudonym...)
		b = append(b, '"')
	}
	b = append(b, ']')
	w.jbuf = b
	_, err := tx.ExecContext(ctx, `INSERT INTO payment_import_rows (batch_id, part, line, pseudonym, programme, period_from, period_to, amount_fen, region_code)
		SELECT ?, CAST(substr(j.value, 1, 3) AS INTEGER), CAST(substr(j.value, 4, 19) AS INTEGER), substr(j.value, 106),
			rtrim(substr(j.value, 74, 32)), substr(j.value, 42, 10), substr(j.value, 52, 10),
			CAST(substr(j.value, 23, 19) AS INTEGER), rtrim(substr(j.value, 62, 12)) FROM json_each(?) j`,
		w.batchKey, string(b))
	if err != nil {
		return fmt.Errorf("matching: write chunk: stage: %w", err)
	}
	return nil
}

// appendPadded appends n (0 <= n < 10^width) in width digits, zero padded.
func appendPadded(b []byte, n int64, width int) []byte {
	var d [20]byte
	s := strconv.AppendInt(d[:0], n, 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// appendSpaced appends s and spaces up to width bytes.
func appendSpaced(b []byte, s string, width int) []byte {
	b = append(b, s...)
	for i := len(s); i < width; i++ {
		b = append(b, ' ')
	}
	return b
}

// sqliteFixedSafe reports whether rows fit stageJSON's fixed-width layout:
// literalSafe values, a region of at most 12 and a programme of at most 32
// bytes, a non-empty pseudonym, dates of years 1000–9999, a non-negative
// amount and line, parts below 1000.
func sqliteFixedSafe(rows []record.PaymentRow) bool {
	if !literalSafe(rows) {
		return false
	}
	for i := range rows {
		r := &rows[i]
		if len(r.RegionCode) > 12 || len(r.Programme) > 32 || r.Pseudonym == "" || r.AmountFen < 0 || r.Line < 0 ||
			r.From.Year() < 1000 || r.From.Year() > 9999 || r.To.Year() < 1000 || r.To.Year() > 9999 {
			return false
		}
	}
	return true
}

// literalSafe reports whether every text value of rows is made of
// letters, digits, '-' and '_' only, so that it can be written into SQL
// as a quoted literal as is. Rows from PaymentFile always are; anything
// else goes through placeholders.
func literalSafe(rows []record.PaymentRow) bool {
	ok := func(s string) bool {
		for i := 0; i < len(s); i++ {
			c := s[i]
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
				return false
			}
		}
		return true
	}
	for i := range rows {
		r := &rows[i]
		if !ok(r.Pseudonym) || !ok(string(r.Programme)) || !ok(r.RegionCode) {
			return false
		}
	}
	return true
}

// stageLiteral stages rows on MySQL through multi-row INSERTs with the
// values written in: one round trip per statement and no server-side
// prepare of thousands of placeholders. Only for rows that literalSafe
// accepts.
func (w *paymentWriter) stageLiteral(ctx context.Context, tx *sql.Tx, rows []record.PaymentRow) error {
	const per = 2000 // about 250 KB of SQL, far below max_allowed_packet
	for start := 0; start < len(rows); start += per {
		b := w.jbuf[:0]
		b = append(b, "INSERT INTO payment_import_rows (batch_id, part, line, pseudonym, programme, period_from, period_to, amount_fen, region_code) VALUES "...)
		for i, r := range rows[start:min(start+per, len(rows))] {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '(')
			b = strconv.AppendInt(b, w.batchKey, 10)
			b = append(b, ',')
			b = strconv.AppendInt(b, int64(record.PartOf(r.Pseudonym, w.parts)), 10)
			b = append(b, ',')
			b = strconv.AppendInt(b, r.Line, 10)
			b = append(b, ",'"...)
			b = append(b, r.Pseudonym...)
			b = append(b, "','"...)
			b = append(b, r.Programme...)
			b = append(b, "','"...)
			b = r.From.AppendFormat(b, time.DateOnly)
			b = append(b, "','"...)
			b = r.To.AppendFormat(b, time.DateOnly)
			b = append(b, "',"...)
			b = strconv.AppendInt(b, r.AmountFen, 10)
			b = append(b, ",'"...)
			b = append(b, r.RegionCode...)
			b = append(b, "')"...)
		}
		w.jbuf = b
		if _, err := tx.ExecContext(ctx, string(b)); err != nil {
			return fmt.Errorf("matching: write chunk: stage: %w", err)
		}
	}
	return nil
}

// loadDataSeq names each LOAD DATA's reader uniquely in the driver's
// process-wide registry.
var loadDataSeq atomic.Int64

// stageLoadData stages rows on MySQL/MariaDB through one LOAD DATA LOCAL
// INFILE per chunk fed from memory (the driver's Reader:: handler, no file
// and no allowAllFiles): one round trip and no SQL parsing of the values,
// in the chunk's transaction like an INSERT. It reports false, with
// nothing written, when the server does not allow LOCAL INFILE
// (local_infile=OFF); the caller then uses stageLiteral. Only for rows that
// literalSafe accepts (no separators, quotes or escapes in any value). With
// LOCAL the server turns bad values into warnings instead of errors, so the
// row count is checked: anything but every row staged fails the chunk.
func (w *paymentWriter) stageLoadData(ctx context.Context, tx *sql.Tx, rows []record.PaymentRow) (bool, error) {
	b := w.jbuf[:0]
	for i := range rows {
		r := &rows[i]
		b = strconv.AppendInt(b, int64(record.PartOf(r.Pseudonym, w.parts)), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, r.Line, 10)
		b = append(b, ',')
		b = appendPaymentCSV(b, r)
	}
	w.jbuf = b
	name := "jiujinan-payment-import-" + strconv.FormatInt(loadDataSeq.Add(1), 10)
	mysqldrv.RegisterReaderHandler(name, func() io.Reader { return bytes.NewReader(b) })
	defer mysqldrv.DeregisterReaderHandler(name)
	res, err := tx.ExecContext(ctx, `LOAD DATA LOCAL INFILE 'Reader::`+name+`' INTO TABLE payment_import_rows CHARACTER SET ascii
		FIELDS TERMINATED BY ',' ESCAPED BY '' LINES TERMINATED BY '\n'
		(part, line, pseudonym, programme, period_from, period_to, amount_fen, region_code) SET batch_id = ?`, w.batchKey)
	if err != nil {
		var me *mysqldrv.MySQLError
		if errors.As(err, &me) && (me.Number == 1148 || me.Number == 3948 || me.Number == 4166) {
			w.noLoadData = true
			return false, nil
		}
		return false, fmt.Errorf("matching: write chunk: stage: load data: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != int64(len(rows)) {
		return false, fmt.Errorf("matching: write chunk: stage: load data staged %d of %d rows (%v)", n, len(rows), err)
	}
	return true, nil
}

// progress updates the batch's row under its lease, or fails with
// ErrConflict when the lease is lost.
func progress(ctx context.Context, tx *sql.Tx, batchKey int64, lease, set string, args ...any) error {
	args = append(args, batchKey, lease, string(record.ImportRunning))
	up, err := tx.ExecContext(ctx, "UPDATE payment_import_batches SET "+set+" WHERE id = ? AND lease = ? AND status = ?", args...)
	if err != nil {
		return fmt.Errorf("progress: %w", err)
	}
	if n, err := up.RowsAffected(); err != nil || n != 1 {
		// MySQL counts changed rows only: an update that changed nothing
		// (an empty last chunk) affects none under a lease still held.
		var held int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM payment_import_batches WHERE id = ? AND lease = ? AND status = ?`,
			batchKey, lease, string(record.ImportRunning)).Scan(&held); err != nil || held != 1 {
			return kernel.Refuse(kernel.ErrConflict, "refusal_import_lease_lost", nil, "the batch's lease was lost")
		}
	}
	return nil
}

const paymentKey = "pseudonym, programme, period_from, period_to, amount_fen, region_code"

// MergePart implements matching.PaymentWriter.
func (w *paymentWriter) MergePart(ctx context.Context, part int, takeOver bool, now time.Time) (int64, error) {
	tx, err := w.conn.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("matching: merge part: %w", err)
	}
	defer tx.Rollback()
	if err := w.checkPart(ctx, tx, part); err != nil {
		return 0, err
	}
	added, err := w.mergeStaged(ctx, tx, part, takeOver)
	if err != nil {
		return 0, err
	}
	if err := progress(ctx, tx, w.batchKey, w.lease, "merged_parts = ?, accepted = accepted + ?, updated_at = ?", part+1, added, now); err != nil {
		return 0, fmt.Errorf("matching: merge part: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("matching: merge part: commit: %w", err)
	}
	return added, nil
}

// checkPart fails with ErrConflict unless part is the batch's next part to merge.
func (w *paymentWriter) checkPart(ctx context.Context, tx *sql.Tx, part int) error {
	var merged int
	if err := tx.QueryRowContext(ctx, "SELECT merged_parts FROM payment_import_batches WHERE id = ?", w.batchKey).Scan(&merged); err != nil {
		return fmt.Errorf("matching: merge part: %w", err)
	}
	if merged != part {
		return fmt.Errorf("matching: merge part %d: %w: %d parts are merged", part, kernel.ErrConflict, merged)
	}
	return nil
}

// mergeStaged moves the staged rows of one part into the record in key
// order, ignoring those already on record (taking over those of other
// unfinished batches with takeOver), deletes them from the stage and
// returns how many rows it added.
func (w *paymentWriter) mergeStaged(ctx context.Context, tx *sql.Tx, part int, takeOver bool) (int64, error) {
	s, batchKey := w.s, w.batchKey
	var added int64
	if takeOver {
		out, err := tx.ExecContext(ctx, `UPDATE statutory_payments SET batch_id = ? WHERE batch_id IN
			(SELECT id FROM payment_import_batches WHERE status <> 'done' AND id <> ?)
			AND (`+paymentKey+`) IN (SELECT `+paymentKey+` FROM payment_import_rows WHERE batch_id = ? AND part = ?)`,
			batchKey, batchKey, batchKey, part)
		if err != nil {
			return 0, fmt.Errorf("matching: merge part: take over: %w", err)
		}
		n, _ := out.RowsAffected()
		added += n
	}
	verb := "INSERT OR IGNORE INTO"
	if s.dialect == sqldb.MySQL {
		verb = "INSERT IGNORE INTO"
	}
	out, err := tx.ExecContext(ctx, verb+` statutory_payments (`+paymentKey+`, batch_id)
		SELECT `+paymentKey+`, ? FROM payment_import_rows WHERE batch_id = ? AND part = ? ORDER BY `+paymentKey,
		batchKey, batchKey, part)
	if err != nil {
		return 0, fmt.Errorf("matching: merge part: %w", err)
	}
	n, err := out.RowsAffected()
	if err != nil {
		return 0, err
	}
	added += n
	if _, err := tx.ExecContext(ctx, "DELETE FROM payment_import_rows WHERE batch_id = ? AND part = ?", batchKey, part); err != nil {
		return 0, fmt.Errorf("matching: merge part: clear stage: %w", err)
	}
	return added, nil
}

// appendPaymentCSV appends a validated payment row as the CSV line LOAD
// DATA reads: pseudonym, programme, period from and to, amount in fen,
// region code. Every value is hex, a code, a date or digits (validated when
// read), so nothing needs quoting.
func appendPaymentCSV(b []byte, r *record.PaymentRow) []byte {
	b = append(b, r.Pseudonym...)
	b = append(b, ',')
	b = append(b, r.Programme...)
	b = append(b, ',')
	b = r.From.AppendFormat(b, time.DateOnly)
	b = append(b, ',')
	b = r.To.AppendFormat(b, time.DateOnly)
	b = append(b, ',')
	b = strconv.AppendInt(b, r.AmountFen, 10)
	b = append(b, ',')
	b = append(b, r.RegionCode...)
	return append(b, '\n')
}
