package gormstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"slices"
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
	Source      string
	UploadFile  string
	UploadKey   []byte
	UploadKeyID string `gorm:"column:upload_key_id"`
	UploadSize  int64
	Attempts    int
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
		Rejected: r.Rejected, CreatedBy: r.CreatedBy, Error: r.Error, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		Source: r.Source, Attempts: r.Attempts,
		Upload: record.ImportUpload{File: r.UploadFile, Key: r.UploadKey, KeyID: r.UploadKeyID, Size: r.UploadSize}}
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

// anyWidths are the numbers of pseudonyms PaymentsForAny's statements
// take: a household's list is padded to the next one (repeating its last
// pseudonym, which IN ignores), so that a few prepared statements serve
// every household, and longer lists are read in parts of the largest.
var anyWidths = []int{1, 2, 4, 8, 16, 32}

// PaymentsForAny implements record.PaymentReader: PaymentsFor of each
// pseudonym, in one query for a household of up to 32 members.
func (s *Store) PaymentsForAny(ctx context.Context, pseudonyms []string, from, to time.Time) ([]record.Payment, error) {
	seen := make(map[string]bool, len(pseudonyms))
	var ps []string
	for _, p := range pseudonyms {
		if !seen[p] {
			seen[p] = true
			ps = append(ps, p)
		}
	}
	var out []record.Payment
	for len(ps) > 0 {
		part := ps[:min(len(ps), anyWidths[len(anyWidths)-1])]
		ps = ps[len(part):]
		width := anyWidths[len(anyWidths)-1]
		for _, w := range anyWidths {
			if w >= len(part) {
				width = w
				break
			}
		}
		st, err := s.paymentsForAnyStmt(ctx, width)
		if err != nil {
			return nil, fmt.Errorf("matching: payments for household: %w", err)
		}
		args := make([]any, 0, width+2)
		for i := 0; i < width; i++ {
			args = append(args, part[min(i, len(part)-1)])
		}
		args = append(args, dateArg(to), dateArg(from))
		rows, err := st.QueryContext(ctx, args...)
		if err != nil {
			return nil, fmt.Errorf("matching: payments for household: %w", err)
		}
		got, err := scanPayments(rows, "")
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	sortPayments(out)
	return out, nil
}

// sortPayments orders payments as PaymentsFor does, then by pseudonym.
func sortPayments(ps []record.Payment) {
	slices.SortStableFunc(ps, func(a, b record.Payment) int {
		return cmp.Or(a.From.Compare(b.From), cmp.Compare(a.Programme, b.Programme), a.To.Compare(b.To),
			cmp.Compare(a.AmountFen, b.AmountFen), cmp.Compare(a.RegionCode, b.RegionCode), cmp.Compare(a.Pseudonym, b.Pseudonym))
	})
}

func (s *Store) paymentsForAnyStmt(ctx context.Context, width int) (*sql.Stmt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.paymentsForAny[width]; ok {
		return st, nil
	}
	st, err := s.sql.PrepareContext(ctx, `SELECT p.programme, p.period_from, p.period_to, p.amount_fen, p.region_code, p.pseudonym
		FROM statutory_payments p JOIN payment_import_batches b ON b.id = p.batch_id
		WHERE p.pseudonym IN (?`+strings.Repeat(", ?", width-1)+`) AND p.period_from <= ? AND p.period_to >= ? AND b.status = 'done'`)
	if err != nil {
		return nil, err
	}
	if s.paymentsForAny == nil {
		s.paymentsForAny = map[int]*sql.Stmt{}
	}
	s.paymentsForAny[width] = st
	return st, nil
}

// scanPayments reads and closes the rows of a payment-record query that
// selects programme, period_from, period_to, amount_fen and region_code of
// the person with this pseudonym; with pseudonym "", the query selects the
// pseudonym too, last.
func scanPayments(rows *sql.Rows, pseudonym string) ([]record.Payment, error) {
	defer rows.Close()
	var out []record.Payment
	for rows.Next() {
		var p record.Payment
		var prog string
		var f, t any
		dest := []any{&prog, &f, &t, &p.AmountFen, &p.RegionCode}
		if pseudonym == "" {
			dest = append(dest, &p.Pseudonym)
		} else {
			p.Pseudonym = pseudonym
		}
		if err := rows.Scan(dest...); err != nil {
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
		p.ID = record.PaymentID(p.Pseudonym, p.Programme, p.From, p.To, p.AmountFen, p.RegionCode)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("matching: payments for: %w", err)
	}
	return out, nil
}

// ClaimImport implements record.PaymentImportStore.
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
			CreatedBy: nb.CreatedBy, Source: cmp.Or(nb.Source, record.SourceCLI), Lease: lease, CreatedAt: nb.CreatedAt, UpdatedAt: nb.CreatedAt}
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

// FinishImport implements record.PaymentImportStore.
func (s *Store) FinishImport(ctx context.Context, batchKey int64, lease string, status record.ImportStatus, errText string, now time.Time) error {
	if len(errText) > 1000 {
		errText = errText[:1000]
	}
	set := map[string]any{"status": string(status), "error": errText, "updated_at": now, "finished_at": now}
	if status == record.ImportDone {
		set["duplicates"] = gorm.Expr("staged - accepted")
		// A done batch needs its upload no more: forgotten with the
		// status, so that no reader sees a done batch keeping one (the
		// file itself is removed by the job, or swept as an orphan).
		set["upload_file"], set["upload_key"], set["upload_key_id"], set["upload_size"] = "", nil, "", 0
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

// OtherUnfinished implements record.PaymentImportStore.
func (s *Store) OtherUnfinished(ctx context.Context, batchKey int64) (bool, error) {
	var n int64
	if err := s.db.WithContext(ctx).Model(&batchRow{}).Where("id <> ? AND status <> ?", batchKey, string(record.ImportDone)).Count(&n).Error; err != nil {
		return false, fmt.Errorf("matching: unfinished imports: %w", err)
	}
	return n > 0, nil
}

// ImportBatch implements record.PaymentImportStore.
func (s *Store) ImportBatch(ctx context.Context, id string) (record.ImportBatch, error) {
	var r batchRow
	if err := s.db.WithContext(ctx).Where("public_id = ?", id).Take(&r).Error; err != nil {
		return record.ImportBatch{}, fmt.Errorf("matching: import batch: %w", mgorm.MapError(err))
	}
	return r.domain(), nil
}

// ImportBatches implements record.PaymentImportStore.
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

// SetImportUpload implements record.PaymentImportStore.
func (s *Store) SetImportUpload(ctx context.Context, batchKey int64, up record.ImportUpload) (record.ImportUpload, error) {
	var old record.ImportUpload
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var r batchRow
		if err := mgorm.ForUpdate(tx).Where("id = ?", batchKey).Take(&r).Error; err != nil {
			return err
		}
		old = r.domain().Upload
		return tx.Model(&batchRow{}).Where("id = ?", batchKey).Updates(map[string]any{
			"upload_file": up.File, "upload_key": up.Key, "upload_key_id": up.KeyID, "upload_size": up.Size,
			"attempts": gorm.Expr("attempts + 1")}).Error
	})
	if err != nil {
		return record.ImportUpload{}, fmt.Errorf("matching: set import upload: %w", mgorm.MapError(err))
	}
	return old, nil
}

// ClearImportUpload implements record.PaymentImportStore.
func (s *Store) ClearImportUpload(ctx context.Context, batchKey int64, file string) error {
	err := s.db.WithContext(ctx).Model(&batchRow{}).Where("id = ? AND upload_file = ?", batchKey, file).
		Updates(map[string]any{"upload_file": "", "upload_key": nil, "upload_key_id": "", "upload_size": 0}).Error
	if err != nil {
		return fmt.Errorf("matching: clear import upload: %w", err)
	}
	return nil
}

// ImportsWithUploads implements record.PaymentImportStore.
func (s *Store) ImportsWithUploads(ctx context.Context) ([]record.ImportBatch, error) {
	var rows []batchRow
	if err := s.db.WithContext(ctx).Where("upload_file <> ''").Order("id").Limit(1000).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("matching: imports with uploads: %w", err)
	}
	out := make([]record.ImportBatch, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// UploadKnown implements record.PaymentImportStore.
func (s *Store) UploadKnown(ctx context.Context, file string) (bool, error) {
	var n int64
	if err := s.db.WithContext(ctx).Model(&batchRow{}).Where("upload_file = ?", file).Count(&n).Error; err != nil {
		return false, fmt.Errorf("matching: upload known: %w", err)
	}
	return n > 0, nil
}

// ImportErrors implements record.PaymentImportStore.
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

// ImportProgrammes implements record.PaymentImportStore.
func (s *Store) ImportProgrammes(ctx context.Context, batchKey int64) ([]record.ProgrammeCount, error) {
	rows, err := s.sql.QueryContext(ctx, `SELECT c.programme, n.name, c.n_rows FROM payment_import_programmes c
		JOIN statutory_programme_names n ON n.programme = c.programme
		WHERE c.batch_id = ? ORDER BY c.n_rows DESC, n.name`, batchKey)
	if err != nil {
		return nil, fmt.Errorf("matching: import programmes: %w", err)
	}
	defer rows.Close()
	out := []record.ProgrammeCount{}
	for rows.Next() {
		var c record.ProgrammeCount
		var code string
		if err := rows.Scan(&code, &c.Name, &c.Rows); err != nil {
			return nil, fmt.Errorf("matching: import programmes: %w", err)
		}
		c.Programme = kernel.Programme(code)
		out = append(out, c)
	}
	return out, rows.Err()
}

// paymentWriter writes one batch's rows on a connection of its own.
type paymentWriter struct {
	s        *Store
	conn     *sql.Conn
	batchKey int64
	parts    int
	lease    string
	// noLoadData is set once the MySQL server refused LOAD DATA LOCAL
	// INFILE (local_infile=OFF, MySQL 8's default): rows go in through
	// valuesInserter from then on.
	noLoadData bool
	buf        []byte // reused by commitRead
}

// The ways rows reach the database: the record directly (every import),
// or through the stage and mergeStaged (take-over, WriteChunk).
type writeMode int

const (
	// writeDefault: SQLite through valuesInserter; MySQL/MariaDB through
	// one LOAD DATA LOCAL INFILE per part, valuesInserter where the
	// server refuses it.
	writeDefault writeMode = iota
	// writeValues: valuesInserter on both databases.
	writeValues
	// writeStaged: every part through the stage and mergeStaged, as a
	// take-over does.
	writeStaged
)

// importCacheKiB is the SQLite page cache of the import's connection. The
// import writes in key order, so it needs little more than the pages of
// one part's transaction (a few MB); dirty pages are not spilled to the WAL
// before the commit (cache_spill off: spilling cost some 12 % of the
// merge's CPU), which a part's bounded size keeps bounded.
const importCacheKiB = 16 << 10

// OpenPaymentWriter implements record.PaymentImportStore.
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
	return &paymentWriter{s: s, conn: conn, batchKey: batchKey, parts: parts, lease: lease, noLoadData: s.writeMode == writeValues}, nil
}

// Close implements record.PaymentWriter; it gives the connection back
// with SQLite's default page cache.
func (w *paymentWriter) Close() error {
	if w.s.dialect == sqldb.SQLite {
		_, _ = w.conn.ExecContext(context.Background(), "PRAGMA cache_size = -2000")
		_, _ = w.conn.ExecContext(context.Background(), "PRAGMA cache_spill = ON")
	}
	return w.conn.Close()
}

// WriteChunk implements record.PaymentWriter.
func (w *paymentWriter) WriteChunk(ctx context.Context, rows []record.PaymentRow, errs []record.RowError, rejected, linesDone int64, now time.Time) error {
	tx, err := w.conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("matching: write chunk: %w", err)
	}
	defer tx.Rollback()
	stage := w.inserter(tx, intoStage)
	defer stage.close()
	if _, err := stage.insert(ctx, rows); err != nil {
		return fmt.Errorf("matching: write chunk: stage: %w", err)
	}
	counts := map[kernel.Programme]*record.ProgrammeCount{}
	for i := range rows {
		if rows[i].ProgrammeName != "" {
			c := counts[rows[i].Programme]
			if c == nil {
				c = &record.ProgrammeCount{Programme: rows[i].Programme, Name: rows[i].ProgrammeName}
				counts[rows[i].Programme] = c
			}
			c.Rows++
		}
	}
	var named []record.ProgrammeCount
	for _, c := range counts {
		named = append(named, *c)
	}
	if err := w.commitRead(ctx, tx, int64(len(rows)), errs, named, rejected, linesDone, now); err != nil {
		return fmt.Errorf("matching: write chunk: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("matching: write chunk: commit: %w", err)
	}
	return nil
}

// CommitRead implements record.PaymentWriter.
func (w *paymentWriter) CommitRead(ctx context.Context, staged int64, errs []record.RowError, named []record.ProgrammeCount, rejected, linesDone int64, now time.Time) error {
	tx, err := w.conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("matching: commit read: %w", err)
	}
	defer tx.Rollback()
	if err := w.commitRead(ctx, tx, staged, errs, named, rejected, linesDone, now); err != nil {
		return fmt.Errorf("matching: commit read: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("matching: commit read: commit: %w", err)
	}
	return nil
}

// RestartRead implements record.PaymentWriter.
func (w *paymentWriter) RestartRead(ctx context.Context) error {
	tx, err := w.conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("matching: restart read: %w", err)
	}
	defer tx.Rollback()
	if err := progress(ctx, tx, w.batchKey, w.lease, "lines_done = 0, staged = 0, rejected = 0"); err != nil {
		return fmt.Errorf("matching: restart read: %w", err)
	}
	for _, q := range []string{"DELETE FROM payment_import_errors WHERE batch_id = ?", "DELETE FROM payment_import_rows WHERE batch_id = ?",
		"DELETE FROM payment_import_programmes WHERE batch_id = ?"} {
		if _, err := tx.ExecContext(ctx, q, w.batchKey); err != nil {
			return fmt.Errorf("matching: restart read: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("matching: restart read: commit: %w", err)
	}
	return nil
}

// commitRead stores errs, the named programmes and the batch's progress in
// tx.
func (w *paymentWriter) commitRead(ctx context.Context, tx *sql.Tx, staged int64, errs []record.RowError, named []record.ProgrammeCount,
	rejected, linesDone int64, now time.Time) error {
	if err := w.recordNamed(ctx, tx, named); err != nil {
		return err
	}
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

// recordNamed keeps the names of the named programmes and adds their row
// counts to the batch's, in tx.
func (w *paymentWriter) recordNamed(ctx context.Context, tx *sql.Tx, named []record.ProgrammeCount) error {
	insertName := "INSERT INTO statutory_programme_names (programme, name) VALUES (?, ?) ON CONFLICT DO NOTHING"
	addRows := "INSERT INTO payment_import_programmes (batch_id, programme, n_rows) VALUES (?, ?, ?) " +
		"ON CONFLICT (batch_id, programme) DO UPDATE SET n_rows = n_rows + excluded.n_rows"
	if w.s.dialect != sqldb.SQLite {
		insertName = "INSERT IGNORE INTO statutory_programme_names (programme, name) VALUES (?, ?)"
		addRows = "INSERT INTO payment_import_programmes (batch_id, programme, n_rows) VALUES (?, ?, ?) " +
			"ON DUPLICATE KEY UPDATE n_rows = n_rows + VALUES(n_rows)"
	}
	for _, c := range named {
		if !c.Programme.Named() || c.Name == "" || kernel.NamedProgramme(c.Name) != c.Programme {
			return fmt.Errorf("programme names: %q is not the code of its name", c.Programme)
		}
		if _, err := tx.ExecContext(ctx, insertName, string(c.Programme), c.Name); err != nil {
			return fmt.Errorf("programme names: %w", err)
		}
		// Two names with one code would merge their payments: never.
		var stored string
		if err := tx.QueryRowContext(ctx, "SELECT name FROM statutory_programme_names WHERE programme = ?", string(c.Programme)).Scan(&stored); err != nil {
			return fmt.Errorf("programme names: %w", err)
		}
		if stored != c.Name {
			return fmt.Errorf("programme names: the code %s of a programme name is another name's already", c.Programme)
		}
		if _, err := tx.ExecContext(ctx, addRows, w.batchKey, string(c.Programme), c.Rows); err != nil {
			return fmt.Errorf("programme names: %w", err)
		}
	}
	return nil
}

// Where valuesInserter writes.
type rowTarget int

const (
	// intoRecord: statutory_payments, leaving out rows already on record.
	intoRecord rowTarget = iota
	// intoStage: payment_import_rows, with each row's part and line.
	intoStage
)

// valuesInserter writes rows into the record or the stage inside one
// transaction through multi-row INSERT … VALUES statements with bound
// values, the one way rows are written on SQLite, and on MySQL/MariaDB
// where LOAD DATA is refused, in a take-over and for the stage.
//
// On SQLite each statement is prepared once per transaction and executed
// again for every group of rows: the driver (modernc.org/sqlite) keeps the
// compiled statement, so no SQL is parsed per group, and the rows' texts come
// packed in one parameter (see pack). On MySQL/MariaDB the driver writes the
// values into the statement client-side (InterpolateParams): one round trip per statement
// and no server-side prepare of thousands of placeholders.
type valuesInserter struct {
	w      *paymentWriter
	tx     *sql.Tx
	target rowTarget
	group  int
	stmts  map[int]*sql.Stmt // SQLite: by rows per statement
	args   []any
	packed []byte // SQLite: the texts of a statement's rows (see pack)
}

// The rows per statement. SQLite: 16 was as fast as 64 and leaves a
// statement per remainder cheap; MySQL: one round trip per statement, so
// large (about 60 KB of SQL, far below max_allowed_packet).
const (
	sqliteValuesGroup = 16
	mysqlValuesGroup  = 500
)

func (w *paymentWriter) inserter(tx *sql.Tx, target rowTarget) *valuesInserter {
	group := mysqlValuesGroup
	if w.s.dialect == sqldb.SQLite {
		group = sqliteValuesGroup
	}
	return &valuesInserter{w: w, tx: tx, target: target, group: group, stmts: map[int]*sql.Stmt{}}
}

// close closes the statements prepared in the transaction.
func (v *valuesInserter) close() {
	for _, st := range v.stmts {
		st.Close()
	}
}

// query is the statement that writes n rows. The batch's key, an
// integer of ours, is written into the statement: one parameter less per
// row. On SQLite the rows' texts come packed in one parameter (see pack).
func (v *valuesInserter) query(n int) string {
	var b strings.Builder
	key := strconv.FormatInt(v.w.batchKey, 10)
	sqlite := v.w.s.dialect == sqldb.SQLite
	// The packed text is parameter 1 (?1) on SQLite; the integers follow
	// it, numbered in the order they appear.
	if v.target == intoStage {
		b.WriteString("INSERT INTO payment_import_rows (" + paymentKey + ", part, line, batch_id) VALUES ")
	} else {
		b.WriteString("INSERT INTO statutory_payments (" + paymentKey + ", batch_id) VALUES ")
	}
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		if sqlite {
			o := i*packedRow + 1
			fmt.Fprintf(&b, "(CAST(substr(?1,%d,64) AS TEXT),rtrim(CAST(substr(?1,%d,%d) AS TEXT)),CAST(substr(?1,%d,10) AS TEXT),CAST(substr(?1,%d,10) AS TEXT),?,rtrim(CAST(substr(?1,%d,%d) AS TEXT))",
				o, o+64, packedProgramme, o+64+packedProgramme, o+74+packedProgramme, o+84+packedProgramme, packedRegion)
		} else {
			b.WriteString("(?,?,?,?,?,?")
		}
		if v.target == intoStage {
			b.WriteString(",?,?")
		}
		b.WriteString("," + key + ")")
	}
	// A row already on record is left out and not counted; any other
	// failure (a value the database would have to change) fails the part.
	if v.target == intoRecord {
		if sqlite {
			b.WriteString(" ON CONFLICT DO NOTHING")
		} else {
			b.WriteString(" ON DUPLICATE KEY UPDATE pseudonym = pseudonym")
		}
	}
	return b.String()
}

// On SQLite the texts of a statement's rows are bound as one BLOB parameter
// in a fixed-width layout that the statement cuts up with substr and casts
// to text: pseudonym (64), programme (padded to 12), period from and to (10
// each), region code (padded to 12); amounts, parts and lines are bound as
// integers. The driver copies every bound text or blob into C memory and
// frees it after the statement, so one blob per statement instead of five
// texts per row cuts the merge's cost by about a fifth (a BLOB because
// substr counts a TEXT's characters from its start, a BLOB's bytes
// directly). Every validated row fits the layout; pack checks it.
const (
	packedProgramme = 12
	packedRegion    = 12
	packedRow       = 64 + packedProgramme + 10 + 10 + packedRegion
)

// pack appends r's texts in the fixed-width layout.
func pack(b []byte, r *record.PaymentRow) ([]byte, error) {
	if len(r.Pseudonym) != 64 || len(r.Programme) > packedProgramme || len(r.RegionCode) > packedRegion ||
		strings.TrimRight(string(r.Programme), " ") != string(r.Programme) || strings.TrimRight(r.RegionCode, " ") != r.RegionCode ||
		r.From.Year() < 0 || r.From.Year() > 9999 || r.To.Year() < 0 || r.To.Year() > 9999 {
		return b, fmt.Errorf("line %d: a field does not fit the import's row layout", r.Line)
	}
	b = append(b, r.Pseudonym...)
	b = appendPadded(b, string(r.Programme), packedProgramme)
	b = appendDateText(b, r.From)
	b = appendDateText(b, r.To)
	return appendPadded(b, r.RegionCode, packedRegion), nil
}

func appendPadded(b []byte, s string, width int) []byte {
	b = append(b, s...)
	for i := len(s); i < width; i++ {
		b = append(b, ' ')
	}
	return b
}

// insert writes rows and returns how many it added.
func (v *valuesInserter) insert(ctx context.Context, rows []record.PaymentRow) (int64, error) {
	var added int64
	sqlite := v.w.s.dialect == sqldb.SQLite
	for start := 0; start < len(rows); start += v.group {
		// The statements run without ctx (see exec): a done ctx ends the
		// part here, between statements.
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		group := rows[start:min(start+v.group, len(rows))]
		args := v.args[:0]
		if sqlite {
			packed := v.packed[:0]
			for i := range group {
				var err error
				if packed, err = pack(packed, &group[i]); err != nil {
					return 0, err
				}
			}
			v.packed = packed
			args = append(args, packed)
		}
		for i := range group {
			r := &group[i]
			if sqlite {
				args = append(args, r.AmountFen)
			} else {
				args = append(args, r.Pseudonym, string(r.Programme), dateText(r.From), dateText(r.To), r.AmountFen, r.RegionCode)
			}
			if v.target == intoStage {
				args = append(args, int64(record.PartOf(r.Pseudonym, v.w.parts)), r.Line)
			}
		}
		v.args = args
		res, err := v.exec(ctx, len(group), args)
		if err != nil {
			return 0, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, err
		}
		added += n
	}
	return added, nil
}

// exec runs the statement for n rows. On SQLite it runs without ctx's
// cancellation: the driver watches a cancellable context with a goroutine
// per execution, which cost more than the execution of a few rows.
func (v *valuesInserter) exec(ctx context.Context, n int, args []any) (sql.Result, error) {
	if v.w.s.dialect != sqldb.SQLite {
		return v.tx.ExecContext(ctx, v.query(n), args...)
	}
	st, ok := v.stmts[n]
	if !ok {
		var err error
		if st, err = v.tx.PrepareContext(ctx, v.query(n)); err != nil {
			return nil, err
		}
		v.stmts[n] = st
	}
	return st.ExecContext(context.WithoutCancel(ctx), args...)
}

// dateText is dateArg for years 0–9999 without time.Format's cost.
func dateText(t time.Time) string {
	if y := t.Year(); y < 0 || y > 9999 {
		return dateArg(t)
	}
	return string(appendDateText(make([]byte, 0, 10), t))
}

// appendDateText appends t as YYYY-MM-DD; the year must be 0–9999 (pack
// gets validated rows only, whose years are).
func appendDateText(b []byte, t time.Time) []byte {
	y, m, d := t.Date()
	return append(b, byte('0'+y/1000%10), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+int(m)/10), byte('0'+int(m)%10), '-', byte('0'+d/10), byte('0'+d%10))
}

// InsertPart implements record.PaymentWriter. The rows go straight into
// the record in the order given (key order: each page of the record's
// B-tree is written about once): on SQLite through valuesInserter, on
// MySQL/MariaDB through one streamed LOAD DATA LOCAL INFILE IGNORE
// (valuesInserter where the server refuses it). With takeOver (rare:
// another import is unfinished) they go through the stage and mergeStaged.
func (w *paymentWriter) InsertPart(ctx context.Context, part int, next func() ([]record.PaymentRow, error), takeOver bool, now time.Time) (int64, error) {
	tx, err := w.conn.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("matching: insert part: %w", err)
	}
	defer tx.Rollback()
	if err := w.checkPart(ctx, tx, part); err != nil {
		return 0, err
	}
	staged := takeOver || w.s.writeMode == writeStaged
	var added int64
	if !staged && w.s.dialect == sqldb.MySQL && !w.noLoadData {
		n, loaded, err := w.insertLoadData(ctx, tx, next)
		if err != nil {
			return 0, err
		}
		if loaded {
			added, next = n, func() ([]record.PaymentRow, error) { return nil, nil }
		}
	}
	target := intoRecord
	if staged {
		target = intoStage
	}
	ins := w.inserter(tx, target)
	defer ins.close()
	for {
		rows, err := next()
		if err != nil {
			return 0, err
		}
		if rows == nil {
			break
		}
		n, err := ins.insert(ctx, rows)
		if err != nil {
			return 0, fmt.Errorf("matching: insert part: %w", err)
		}
		if !staged {
			added += n
		}
	}
	if staged {
		if added, err = w.mergeStaged(ctx, tx, part, takeOver); err != nil {
			return 0, err
		}
	}
	if err := progress(ctx, tx, w.batchKey, w.lease, "merged_parts = ?, accepted = accepted + ?, updated_at = ?", part+1, added, now); err != nil {
		return 0, fmt.Errorf("matching: insert part: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("matching: insert part: commit: %w", err)
	}
	return added, nil
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

// loadDataSeq names each LOAD DATA's reader uniquely in the driver's
// process-wide registry.
var loadDataSeq atomic.Int64

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

// literalSafe reports whether every text value of rows is made of
// letters, digits, '-' and '_' only, so that it can be written into a
// LOAD DATA line as is. Rows from PaymentFile always are.
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

// MergePart implements record.PaymentWriter.
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
