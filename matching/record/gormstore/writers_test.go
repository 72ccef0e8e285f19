package gormstore_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/matching/record"
	"github.com/jiujinan/jiujinan/matching/record/gormstore"
	"github.com/jiujinan/jiujinan/matching/record/paymentgen"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// Every way the import writes payment rows leaves the same record: two
// overlapping files (the second repeats lines of its own and of the first)
// imported through each writer, on SQLite and on MariaDB/MySQL, give the
// same statutory_payments rows, each in the batch of the file that first
// brought it, and the same counts.
func TestEveryPaymentWriterLeavesTheSameRecord(t *testing.T) {
	first, second := writerTestFiles(t)
	ways := []struct {
		name        string
		open        func(testing.TB) *sqldb.DB
		mode        func(*gormstore.Store)
		mysqlInfile bool
	}{
		{"sqlite/values", sqldbtest.MustOpenSQLite, func(s *gormstore.Store) { gormstore.SetWriteMode(s, gormstore.WriteDefault) }, false},
		{"sqlite/staged", sqldbtest.MustOpenSQLite, func(s *gormstore.Store) { gormstore.SetWriteMode(s, gormstore.WriteStaged) }, false},
		{"mysql/load-data", sqldbtest.MustOpenMySQL, func(s *gormstore.Store) { gormstore.SetWriteMode(s, gormstore.WriteDefault) }, true},
		{"mysql/values", sqldbtest.MustOpenMySQL, func(s *gormstore.Store) { gormstore.SetWriteMode(s, gormstore.WriteValues) }, false},
		{"mysql/staged", sqldbtest.MustOpenMySQL, func(s *gormstore.Store) { gormstore.SetWriteMode(s, gormstore.WriteStaged) }, false},
	}
	var want []string
	wantFrom := ""
	for _, w := range ways {
		t.Run(w.name, func(t *testing.T) {
			db := w.open(t)
			if w.mysqlInfile {
				var on int
				if err := db.SQL().QueryRow("SELECT @@GLOBAL.local_infile").Scan(&on); err != nil || on != 1 {
					t.Skipf("the server refuses LOAD DATA LOCAL INFILE (local_infile %d, %v): its rows go through mysql/values", on, err)
				}
			}
			s := gormstore.New(db)
			w.mode(s)
			got := importThrough(t, db, s, first, second)
			if want == nil {
				want, wantFrom = got, w.name
				return
			}
			if len(got) != len(want) {
				t.Fatalf("%d lines, %s gave %d", len(got), wantFrom, len(want))
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("line %d:\n%s\n%s gave:\n%s", i, got[i], wantFrom, want[i])
				}
			}
		})
	}
}

// writerTestFiles returns two payment files: the first 600 data lines of
// a generated file, and the whole file (2,000 lines, 2 % malformed) with
// 40 of its lines repeated at its end.
func writerTestFiles(t *testing.T) (first, second []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := paymentgen.Write(&buf, paymentgen.Options{Rows: 2000, Seed: 11, BadShare: 0.02}); err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(buf.String(), "\n")
	first = []byte(strings.Join(lines[:601], ""))
	second = append([]byte(nil), buf.Bytes()...)
	for i := 1; i <= 40; i++ {
		second = append(second, lines[i*37]...)
	}
	return first, second
}

// importThrough imports both files into db through s and returns the
// record (every row with the file of its batch) and each import's counts,
// as lines of text in key order.
func importThrough(t *testing.T, db *sqldb.DB, s *gormstore.Store, files ...[]byte) []string {
	t.Helper()
	ctx := context.Background()
	pz, err := marketplace.NewPseudonymizer([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	div, err := kernel.LoadDivisions()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	im := &record.PaymentImporter{Store: s, Pseudonymizer: pz, Divisions: div,
		Now:     func() time.Time { return time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC) },
		NewID:   func() string { n++; return fmt.Sprintf("batch%d", n) },
		Log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		TempDir: t.TempDir(),
		Parts:   8, ChunkRows: 256,
	}
	var out []string
	for i, f := range files {
		res, err := im.Import(ctx, bytes.NewReader(f), record.ImportOptions{FileName: fmt.Sprintf("f%d.csv", i), CreatedBy: "test", Size: int64(len(f))})
		if err != nil {
			t.Fatalf("import %d: %v", i, err)
		}
		b := res.Batch
		if b.Accepted == 0 || b.Rejected == 0 || (i > 0 && b.Duplicates == 0) {
			t.Fatalf("import %d: accepted %d, duplicates %d, rejected %d: the files do not exercise the writers", i, b.Accepted, b.Duplicates, b.Rejected)
		}
		out = append(out, fmt.Sprintf("import %d: %s accepted %d duplicates %d rejected %d staged %d", i, b.Status, b.Accepted, b.Duplicates, b.Rejected, b.Staged))
	}
	out = append(out, recordRows(t, db)...)
	if len(out) < 1000 {
		t.Fatalf("%d rows on record", len(out)-len(files))
	}
	return out
}

// recordRows returns the statutory record of db (every row with the file
// name of its batch) as lines of text in key order.
func recordRows(t *testing.T, db *sqldb.DB) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	rows, err := db.SQL().QueryContext(ctx, `SELECT p.pseudonym, p.programme, p.period_from, p.period_to, p.amount_fen, p.region_code, b.file_name
		FROM statutory_payments p JOIN payment_import_batches b ON b.id = p.batch_id
		ORDER BY p.pseudonym, p.programme, p.period_from, p.period_to, p.amount_fen, p.region_code`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var pseudonym, prog, region, file string
		var from, to any
		var amount int64
		if err := rows.Scan(&pseudonym, &prog, &from, &to, &amount, &region, &file); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %s %s %s %d %s %s", pseudonym, prog, dateString(t, from), dateString(t, to), amount, region, file))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// dateString is a DATE column's value as YYYY-MM-DD, whichever type the
// driver returned it as.
func dateString(t *testing.T, v any) string {
	t.Helper()
	switch x := v.(type) {
	case time.Time:
		return x.Format(time.DateOnly)
	case string:
		return x
	case []byte:
		return string(x)
	}
	t.Fatalf("date column holds %T", v)
	return ""
}
