package record_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/matching/record"
	"github.com/jiujinan/jiujinan/matching/record/gormstore"
	"github.com/jiujinan/jiujinan/matching/record/paymentgen"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// Valid ID numbers (check characters computed per GB 11643) used below.
const (
	idA = "371725198001011235" // 郓城县
	idB = "430524197512300024" // 隆回县
	idC = "610524201006150046" // 合阳县
	idD = "110101199003071233" // 东城区
	idX = "37172519820501004X" // ends in X
)

var testNow = time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type fixture struct {
	im    *record.PaymentImporter
	store *gormstore.Store
	pz    *marketplace.Pseudonymizer
	logs  *lockedBuf
}

func newFixture(t testing.TB, db *sqldb.DB) *fixture {
	t.Helper()
	pz, err := marketplace.NewPseudonymizer([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	div, err := kernel.LoadDivisions()
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuf{}
	n := 0
	var mu sync.Mutex
	st := gormstore.New(db)
	im := &record.PaymentImporter{Store: st, Pseudonymizer: pz, Divisions: div,
		Now: func() time.Time { return testNow },
		NewID: func() string {
			mu.Lock()
			defer mu.Unlock()
			n++
			return fmt.Sprintf("id%04d", n)
		},
		Log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		// The batch ids above repeat across tests and test processes; the
		// sorted runs live under the batch id, so each test keeps its own
		// folder (two tests once shared /tmp/jiujinan-payment-import-id0002).
		TempDir: t.TempDir(),
	}
	return &fixture{im: im, store: st, pz: pz, logs: logs}
}

func (f *fixture) importBytes(t *testing.T, data []byte) (record.ImportResult, error) {
	t.Helper()
	return f.im.Import(context.Background(), bytes.NewReader(data), record.ImportOptions{FileName: "t.csv", CreatedBy: "cli", Size: int64(len(data))})
}

func (f *fixture) payments(t *testing.T, id string) []record.Payment {
	t.Helper()
	ps, err := f.store.PaymentsFor(context.Background(), f.pz.Of(id), time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func gbk(t *testing.T, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestImportReadsTheFormatsOfRealExports(t *testing.T) {
	{
		cases := []struct {
			name     string
			data     func(t *testing.T) []byte
			accepted int64
			errLines map[int64]string // line → part of the reason
			check    func(t *testing.T, f *fixture)
		}{
			{
				name: "GBK with tabs and Chinese headers",
				data: func(t *testing.T) []byte {
					return gbk(t, "身份证号\t姓名\t救助类别\t发放金额（元）\t救助期间\t行政区划代码\n"+
						idA+"\t张三\t低保金\t850.00\t2026-01-01至2026-01-31\t371725\n"+
						idB+"\t李四\t特困人员救助供养金\t1200\t2026-02-01至2026-02-28\t430524\n")
				},
				accepted: 2,
				check: func(t *testing.T, f *fixture) {
					ps := f.payments(t, idB)
					if len(ps) != 1 || ps[0].Programme != kernel.ProgTekun || ps[0].AmountFen != 120000 {
						t.Fatalf("payments of B: %+v", ps)
					}
				},
			},
			{
				name: "UTF-8 with BOM and CRLF, quoted amounts with commas, 元, blank lines",
				data: func(t *testing.T) []byte {
					return []byte("\uFEFF身份证号,姓名,救助项目,金额,发放日期,行政区划代码\r\n" +
						idA + ",张三,医疗救助,\"1,234.50\",2026-03-05,371725\r\n" +
						"\r\n" +
						idC + ",\"王,五\",临时救助,1234.5元,2026/3/6,610524\r\n" +
						"\r\n\r\n" +
						strings.ToLower(idX) + ",赵六,低保,900,2026年3月,371725\r\n")
				},
				accepted: 3,
				check: func(t *testing.T, f *fixture) {
					if ps := f.payments(t, idA); len(ps) != 1 || ps[0].AmountFen != 123450 || ps[0].From != ps[0].To {
						t.Fatalf("payments of A: %+v", ps)
					}
					if ps := f.payments(t, idC); len(ps) != 1 || ps[0].AmountFen != 123450 || ps[0].From.Day() != 6 {
						t.Fatalf("payments of C: %+v", ps)
					}
					// The lowercase x is the same person as the capital X; the month is its whole period.
					ps := f.payments(t, idX)
					if len(ps) != 1 || ps[0].From.Day() != 1 || ps[0].To.Day() != 31 || ps[0].Programme != kernel.ProgDibao {
						t.Fatalf("payments of X: %+v", ps)
					}
				},
			},
			{
				name: "English headers with period columns, bad rows reported by line, truncated last line",
				data: func(t *testing.T) []byte {
					return []byte("id_number,name,programme,amount,period_from,period_to,region_code\n" +
						idA + ",a,dibao,850,2026-01-01,2026-01-31,371725\n" + // 2 ok
						idA[:17] + "0,b,dibao,850,2026-01-01,2026-01-31,371725\n" + // 3 check char
						idB + ",c,dibao,-5,2026-01-01,2026-01-31,430524\n" + // 4 negative
						idB + ",c,dibao,5.555,2026-01-01,2026-01-31,430524\n" + // 5 decimals
						idB + ",c,,5,2026-01-01,2026-01-31,430524\n" + // 6 programme empty
						idB + ",c,dibao,99999999,2026-01-01,2026-01-31,430524\n" + // 7 huge
						idB + ",c,dibao,5,2026-01-31,2026-01-01,430524\n" + // 8 backwards
						idB + ",c,dibao,5,2026-01-01,2026-01-31,990000\n" + // 9 region
						idD + ",d,education,3000,2026-09-01,2026-09-01,110101\n" + // 10 ok
						idC + ",\"e,f\",medical,100,2026-01-01,2026-01-31,239901\n" + // 11 old code, province exists: ok
						idC + ",g,medical,12") // 12 truncated
				},
				accepted: 3,
				errLines: map[int64]string{3: "check character", 4: "negative", 5: "two decimals", 6: "programme", 7: "too large",
					8: "ends before", 9: "region_code", 12: "truncated"},
			},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
					f := newFixture(t, db)
					res, err := f.importBytes(t, tc.data(t))
					if err != nil {
						t.Fatal(err)
					}
					if res.Batch.Status != record.ImportDone || res.Batch.Accepted != tc.accepted || res.Batch.Rejected != int64(len(tc.errLines)) {
						t.Fatalf("batch = %+v, errors %+v; want %d accepted, %d rejected", res.Batch, res.Errors, tc.accepted, len(tc.errLines))
					}
					for _, e := range res.Errors {
						want, ok := tc.errLines[e.Line]
						if !ok || !strings.Contains(e.Error, want) {
							t.Errorf("line %d: %q, want %q", e.Line, e.Error, want)
						}
					}
					if tc.check != nil {
						tc.check(t, f)
					}
				})
			})
		}
	}
}

func TestImportRefusesAFileWithoutAValidHeader(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		for name, data := range map[string]string{
			"no header":      idA + ",张三,低保金,850,2026-01,371725\n",
			"missing amount": "身份证号,救助类别,发放日期,行政区划代码\n" + idA + ",低保金,2026-01,371725\n",
			"empty":          "",
		} {
			_, err := f.importBytes(t, []byte(data))
			var ve *kernel.ValidationError
			if !errors.As(err, &ve) || ve.Fields["file"] == "" {
				t.Fatalf("%s: err = %v, want a validation error on file", name, err)
			}
			if strings.Contains(err.Error(), idA) {
				t.Fatalf("%s: the error quotes the ID number: %v", name, err)
			}
		}
		if bs, _ := f.store.ImportBatches(context.Background(), 10); len(bs) != 0 {
			t.Fatalf("a refused file made batches: %+v", bs)
		}
	})
}

func TestImportOfTheSameFileTwiceAddsNothing(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		var buf bytes.Buffer
		if err := paymentgen.Write(&buf, paymentgen.Options{Rows: 3000, Seed: 7, BadShare: 0.02}); err != nil {
			t.Fatal(err)
		}
		first, err := f.importBytes(t, buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		b1 := first.Batch
		if b1.Accepted+b1.Duplicates+b1.Rejected != 3000 || b1.Rejected == 0 || b1.Accepted < 2800 {
			t.Fatalf("first import: %+v", b1)
		}
		second, err := f.importBytes(t, buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		b2 := second.Batch
		if b2.ID == b1.ID || b2.Accepted != 0 || b2.Duplicates != b1.Accepted+b1.Duplicates || b2.Rejected != b1.Rejected {
			t.Fatalf("second import: %+v (first %+v)", b2, b1)
		}
		if n := countPayments(t, db); n != b1.Accepted {
			t.Fatalf("%d rows stored, %d accepted", n, b1.Accepted)
		}
	})
}

func countPayments(t *testing.T, db *sqldb.DB) int64 {
	t.Helper()
	var n int64
	if err := db.SQL().QueryRow("SELECT COUNT(*) FROM statutory_payments").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestImportCancelledHalfWayIsInvisibleAndARerunCompletesIt(t *testing.T) {
	var buf bytes.Buffer
	if err := paymentgen.Write(&buf, paymentgen.Options{Rows: 20000, Seed: 11, BadShare: 0.01}); err != nil {
		t.Fatal(err)
	}
	// What a clean import gives, on a database of its own.
	var clean record.ImportBatch
	{
		f := newFixture(t, sqldbtest.MustOpenSQLite(t))
		f.im.Parts = 8
		res, err := f.importBytes(t, buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		clean = res.Batch
	}
	for _, kill := range []struct {
		name string
		at   func(p record.ImportProgress) bool
	}{
		{"while reading", func(p record.ImportProgress) bool { return p.Staged >= 5000 }},
		{"while merging", func(p record.ImportProgress) bool { return p.PartsDone >= 3 }},
	} {
		t.Run(kill.name, func(t *testing.T) {
			sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
				f := newFixture(t, db)
				f.im.ChunkRows, f.im.Parts = 1000, 8
				ctx, cancel := context.WithCancel(context.Background())
				_, err := f.im.Import(ctx, bytes.NewReader(buf.Bytes()), record.ImportOptions{FileName: "t.csv", Progress: func(p record.ImportProgress) {
					if kill.at(p) {
						cancel() // the kill
					}
				}})
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("cancelled import: %v", err)
				}
				bs, _ := f.store.ImportBatches(context.Background(), 10)
				if len(bs) != 1 || bs[0].Status != record.ImportFailed || bs[0].LinesDone == 0 || bs[0].Staged == 0 {
					t.Fatalf("after the kill: %+v", bs)
				}
				// Nothing of the unfinished batch is visible.
				var visible int64
				if err := db.SQL().QueryRow(`SELECT COUNT(*) FROM statutory_payments p JOIN payment_import_batches b ON b.id = p.batch_id WHERE b.status = 'done'`).Scan(&visible); err != nil || visible != 0 {
					t.Fatalf("visible after the kill: %d %v", visible, err)
				}

				res, err := f.importBytes(t, buf.Bytes())
				if err != nil {
					t.Fatal(err)
				}
				b := res.Batch
				if !res.Resumed || b.ID != bs[0].ID || b.Status != record.ImportDone {
					t.Fatalf("rerun: resumed=%v %+v", res.Resumed, b)
				}
				if b.Accepted != clean.Accepted || b.Duplicates != clean.Duplicates || b.Rejected != clean.Rejected || b.LinesDone != clean.LinesDone || b.Staged != clean.Staged {
					t.Fatalf("rerun counts %+v, clean import %+v", b, clean)
				}
				if n := countPayments(t, db); n != clean.Accepted {
					t.Fatalf("%d rows stored after the rerun, want %d", n, clean.Accepted)
				}
				var staged int64
				if err := db.SQL().QueryRow("SELECT COUNT(*) FROM payment_import_rows").Scan(&staged); err != nil || staged != 0 {
					t.Fatalf("%d rows left in the stage (%v)", staged, err)
				}
				errs, _ := f.store.ImportErrors(context.Background(), b.Key, 0, 100000)
				if int64(len(errs)) != b.Rejected {
					t.Fatalf("%d errors stored, %d rejected", len(errs), b.Rejected)
				}
				for i := 1; i < len(errs); i++ {
					if errs[i].Line <= errs[i-1].Line {
						t.Fatalf("errors stored twice or out of order at %d: %+v", i, errs[i-1:i+1])
					}
				}
				if got := f.payments(t, idA); got != nil {
					t.Fatalf("unexpected payments: %+v", got)
				}
			})
		})
	}
}

func TestImportLeavesNoIDNumberInTheDatabaseFileOrTheLogs(t *testing.T) {
	db := sqldbtest.MustOpenSQLite(t)
	f := newFixture(t, db)
	var buf bytes.Buffer
	if err := paymentgen.Write(&buf, paymentgen.Options{Rows: 2000, Seed: 3, BadShare: 0.05}); err != nil {
		t.Fatal(err)
	}
	res, err := f.importBytes(t, buf.Bytes())
	if err != nil || res.Batch.Accepted < 1800 {
		t.Fatalf("import: %+v %v", res.Batch, err)
	}
	var ids []string
	for _, line := range strings.Split(buf.String(), "\n")[1:] {
		if len(line) >= 18 {
			ids = append(ids, line[:18])
		}
	}
	path := strings.TrimPrefix(db.Target, "sqlite:")
	if _, err := db.SQL().Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		t.Fatal(err)
	}
	var files []byte
	matches, _ := filepath.Glob(path + "*")
	for _, p := range matches {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, b...)
	}
	if len(files) < 100_000 {
		t.Fatalf("database files are only %d bytes: wrong path %s?", len(files), path)
	}
	logs := f.logs.String()
	if !strings.Contains(logs, "payment import done") {
		t.Fatalf("logs: %s", logs)
	}
	for _, id := range ids {
		for _, form := range []string{id, id[:17], strings.ToUpper(id)} {
			if bytes.Contains(files, []byte(form)) {
				t.Fatalf("an ID number is in the database file")
			}
			if strings.Contains(logs, form) {
				t.Fatalf("an ID number is in the logs")
			}
		}
	}
	for _, e := range res.Errors {
		for _, id := range ids {
			if strings.Contains(e.Error, id[:15]) {
				t.Fatalf("a row error quotes an ID number: %q", e.Error)
			}
		}
	}
}

func TestImportKilledWhileMergingWhoseSortedRunsAreGoneReadsTheFileAgain(t *testing.T) {
	var buf bytes.Buffer
	if err := paymentgen.Write(&buf, paymentgen.Options{Rows: 6000, Seed: 5, BadShare: 0.02}); err != nil {
		t.Fatal(err)
	}
	var clean record.ImportBatch
	{
		f := newFixture(t, sqldbtest.MustOpenSQLite(t))
		f.im.Parts, f.im.TempDir = 4, t.TempDir()
		res, err := f.importBytes(t, buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		clean = res.Batch
	}
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		tmp := t.TempDir()
		f.im.ChunkRows, f.im.Parts, f.im.TempDir = 1000, 4, tmp
		ctx, cancel := context.WithCancel(context.Background())
		_, err := f.im.Import(ctx, bytes.NewReader(buf.Bytes()), record.ImportOptions{FileName: "t.csv", Progress: func(p record.ImportProgress) {
			if p.PartsDone >= 2 {
				cancel()
			}
		}})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled import: %v", err)
		}
		ents, _ := os.ReadDir(tmp)
		if len(ents) != 1 {
			t.Fatalf("run folders after the kill: %v", ents)
		}
		if err := os.RemoveAll(filepath.Join(tmp, ents[0].Name())); err != nil { // as if on another machine
			t.Fatal(err)
		}
		res, err := f.importBytes(t, buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		b := res.Batch
		if !res.Resumed || b.Accepted != clean.Accepted || b.Duplicates != clean.Duplicates || b.Rejected != clean.Rejected || b.Staged != clean.Staged || b.LinesDone != clean.LinesDone {
			t.Fatalf("rerun %+v, clean %+v", b, clean)
		}
		if n := countPayments(t, db); n != clean.Accepted {
			t.Fatalf("%d rows stored, want %d", n, clean.Accepted)
		}
		errs, _ := f.store.ImportErrors(context.Background(), b.Key, 0, 100000)
		if int64(len(errs)) != b.Rejected {
			t.Fatalf("%d errors stored, %d rejected", len(errs), b.Rejected)
		}
		if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
			t.Fatalf("runs left after the import: %v", ents)
		}
	})
}
