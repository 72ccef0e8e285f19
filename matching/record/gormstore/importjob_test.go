package gormstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
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

// jobFixture is one instance's import jobs over db: its upload folder, its
// run folder and a clock the test moves.
type jobFixture struct {
	db      *sqldb.DB
	clock   *atomic.Int64 // unix seconds
	keys    *marketplace.Cipher
	upDir   string
	runDir  string
	store   record.PaymentImportStore
	jobs    *record.ImportJobs
	newIDOf *atomic.Int64
}

func newJobFixture(t *testing.T, db *sqldb.DB, store record.PaymentImportStore, upDir string, clock, ids *atomic.Int64) *jobFixture {
	t.Helper()
	pz, err := marketplace.NewPseudonymizer([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	div, err := kernel.LoadDivisions()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := marketplace.NewCipher([]marketplace.DataKey{{ID: "k1", Key: bytes.Repeat([]byte("d"), 32)}})
	if err != nil {
		t.Fatal(err)
	}
	fx := &jobFixture{db: db, clock: clock, keys: keys, upDir: upDir, runDir: t.TempDir(), store: store, newIDOf: ids}
	im := &record.PaymentImporter{Store: store, Pseudonymizer: pz, Divisions: div,
		Now:     func() time.Time { return time.Unix(clock.Load(), 0).UTC() },
		NewID:   func() string { return fmt.Sprintf("batch%d", ids.Add(1)) },
		Log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		TempDir: fx.runDir, Parts: 8, ChunkRows: 256,
	}
	fx.jobs = &record.ImportJobs{Importer: im, Keys: keys, Dir: upDir, Log: im.Log}
	fx.jobs.Start(context.Background())
	t.Cleanup(fx.jobs.Stop)
	return fx
}

// uploadFile is a generated payment file with ID numbers and names.
func uploadFile(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := paymentgen.Write(&buf, paymentgen.Options{Rows: 3000, Seed: 5, BadShare: 0.02}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// assertNoPlaintext fails if any file under the folders holds an ID number
// or a name of data.
func assertNoPlaintext(t *testing.T, data []byte, dirs ...string) {
	t.Helper()
	lines := strings.Split(string(data), "\n")
	secrets := []string{}
	for _, l := range lines[1:4] {
		fields := strings.Split(l, ",")
		secrets = append(secrets, fields[0], fields[1])
	}
	for _, dir := range dirs {
		_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			b, rerr := os.ReadFile(path)
			if rerr != nil {
				return nil
			}
			for _, s := range secrets {
				if s != "" && bytes.Contains(b, []byte(s)) {
					t.Errorf("%s holds %q in plain text", path, s)
				}
			}
			return nil
		})
	}
}

func spools(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

// cliRecord imports data into a database of its own as the command line
// does and returns the record it leaves.
func cliRecord(t *testing.T, open func(testing.TB) *sqldb.DB, data []byte) []string {
	t.Helper()
	db := open(t)
	var clock, ids atomic.Int64
	clock.Store(time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC).Unix())
	fx := newJobFixture(t, db, gormstore.New(db), t.TempDir(), &clock, &ids)
	if _, err := fx.jobs.Importer.Import(context.Background(), bytes.NewReader(data), record.ImportOptions{FileName: "2026-11.csv", CreatedBy: "cli"}); err != nil {
		t.Fatal(err)
	}
	return recordRows(t, db)
}

// An upload is the same job as an import from the command line: the same
// record, and its batch says it came from the page; when it is done no
// copy of the file is left, sealed or not.
func TestAnUploadImportsLikeTheCommandLine(t *testing.T) {
	for _, open := range []func(testing.TB) *sqldb.DB{sqldbtest.MustOpenSQLite, sqldbtest.MustOpenMySQL} {
		db := open(t)
		data := uploadFile(t)
		var clock, ids atomic.Int64
		clock.Store(time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC).Unix())
		fx := newJobFixture(t, db, gormstore.New(db), t.TempDir(), &clock, &ids)
		b, done, err := fx.jobs.Upload(context.Background(), bytes.NewReader(data), "2026-11.csv", "u-verifier")
		if err != nil {
			t.Fatal(err)
		}
		if b.Source != record.SourceWeb || b.Upload.File == "" || b.Status != record.ImportRunning {
			t.Fatalf("claimed batch: %+v", b)
		}
		r := <-done
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		got, err := fx.store.ImportBatch(context.Background(), b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != record.ImportDone || got.Upload.File != "" || got.Attempts != 1 || got.CreatedBy != "u-verifier" || got.Source != record.SourceWeb {
			t.Fatalf("done batch: %+v", got)
		}
		if s := spools(t, fx.upDir); len(s) != 0 {
			t.Fatalf("the upload folder keeps %v after the import is done", s)
		}
		web := recordRows(t, db)
		cli := cliRecord(t, open, data)
		if !slices.Equal(web, cli) || len(web) < 2000 {
			t.Fatalf("the upload left %d rows, the command line %d (or they differ)", len(web), len(cli))
		}
	}
}

// failingStore is a store whose writer stops after some committed chunks
// and which cannot mark the batch failed: what a process killed in the
// middle of an import leaves (a running batch nobody renews).
type failingStore struct {
	record.PaymentImportStore
	after   int
	commits atomic.Int64
}

type failingWriter struct {
	record.PaymentWriter
	s *failingStore
}

var errKilled = errors.New("killed")

func (s *failingStore) OpenPaymentWriter(ctx context.Context, batchKey int64, lease string) (record.PaymentWriter, error) {
	w, err := s.PaymentImportStore.OpenPaymentWriter(ctx, batchKey, lease)
	return &failingWriter{w, s}, err
}

func (s *failingStore) FinishImport(ctx context.Context, batchKey int64, lease string, status record.ImportStatus, errText string, now time.Time) error {
	if status == record.ImportFailed {
		return errKilled
	}
	return s.PaymentImportStore.FinishImport(ctx, batchKey, lease, status, errText, now)
}

func (w *failingWriter) CommitRead(ctx context.Context, staged int64, errs []record.RowError, named []record.ProgrammeCount, rejected, linesDone int64, now time.Time) error {
	if w.s.commits.Add(1) > int64(w.s.after) {
		return errKilled
	}
	return w.PaymentWriter.CommitRead(ctx, staged, errs, named, rejected, linesDone, now)
}

// An upload whose process dies in the middle is stalled once its lease
// lapses, keeps its file only sealed, and is resumed by the next start of
// an instance that holds the spool (not by one that does not), to the
// same record as the command line gives; then nothing is left.
func TestAnInterruptedUploadIsResumedAfterARestart(t *testing.T) {
	for _, open := range []func(testing.TB) *sqldb.DB{sqldbtest.MustOpenSQLite, sqldbtest.MustOpenMySQL} {
		db := open(t)
		data := uploadFile(t)
		upDir := t.TempDir()
		var clock, ids atomic.Int64
		clock.Store(time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC).Unix())
		dying := newJobFixture(t, db, &failingStore{PaymentImportStore: gormstore.New(db), after: 1}, upDir, &clock, &ids)
		b, done, err := dying.jobs.Upload(context.Background(), bytes.NewReader(data), "2026-11.csv", "u-verifier")
		if err != nil {
			t.Fatal(err)
		}
		if r := <-done; !errors.Is(r.Err, errKilled) {
			t.Fatalf("the dying import ended with %v", r.Err)
		}
		st := gormstore.New(db)
		left, err := st.ImportBatch(context.Background(), b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if left.Status != record.ImportRunning || left.LinesDone == 0 || left.Upload.File == "" {
			t.Fatalf("after the crash: %+v", left)
		}
		if s := spools(t, upDir); len(s) != 1 || s[0] != left.Upload.File {
			t.Fatalf("upload folder after the crash: %v", s)
		}
		assertNoPlaintext(t, data, upDir, dying.runDir)

		// Another instance (its own upload folder) does not have the file:
		// the batch stays, and shows, stalled.
		clock.Add(31)
		other := newJobFixture(t, db, st, t.TempDir(), &clock, &ids)
		if !other.jobs.Importer.Stale(left) {
			t.Fatal("a running batch not heard of for its lease is not stale")
		}
		if n, err := other.jobs.ResumeStalled(context.Background(), time.Hour); err != nil || n != 0 {
			t.Fatalf("an instance without the spool resumed %d (%v)", n, err)
		}

		// The restarted instance has it.
		restarted := newJobFixture(t, db, st, upDir, &clock, &ids)
		restarted.runDir = dying.runDir
		if n, err := restarted.jobs.ResumeStalled(context.Background(), time.Hour); err != nil || n != 1 {
			t.Fatalf("resumed %d (%v)", n, err)
		}
		restarted.jobs.Drain()
		got, err := st.ImportBatch(context.Background(), b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != record.ImportDone || got.Attempts != 2 || got.Upload.File != "" {
			t.Fatalf("resumed batch: %+v", got)
		}
		if s := spools(t, upDir); len(s) != 0 {
			t.Fatalf("the upload folder keeps %v after the resumed import is done", s)
		}
		if web, cli := recordRows(t, db), cliRecord(t, open, data); !slices.Equal(web, cli) {
			t.Fatalf("the resumed upload left %d rows, the command line %d (or they differ)", len(web), len(cli))
		}
	}
}

// A spool no batch knows (an upload cut off before its import was
// claimed) is removed once it is older than the orphan age; a refused file
// leaves nothing at all.
func TestOrphanSpoolsAreSweptAndRefusedFilesLeaveNothing(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		var clock, ids atomic.Int64
		clock.Store(time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC).Unix())
		fx := newJobFixture(t, db, gormstore.New(db), t.TempDir(), &clock, &ids)
		if _, _, err := fx.jobs.Upload(context.Background(), strings.NewReader("no,header,here\n1,2,3\n"), "bad.csv", "u1"); err == nil {
			t.Fatal("a file without a header was accepted")
		}
		if s := spools(t, fx.upDir); len(s) != 0 {
			t.Fatalf("a refused file left %v", s)
		}
		sp, err := record.CreateSpool(fx.upDir)
		if err != nil {
			t.Fatal(err)
		}
		sp.Write([]byte("x"))
		sp.Finish()
		sp.Close()
		if _, err := fx.jobs.ResumeStalled(context.Background(), time.Hour); err != nil {
			t.Fatal(err)
		}
		if s := spools(t, fx.upDir); len(s) != 1 {
			t.Fatalf("a fresh spool was swept: %v", s)
		}
		old := time.Now().Add(-2 * time.Hour)
		if err := os.Chtimes(filepath.Join(fx.upDir, sp.Name()), old, old); err != nil {
			t.Fatal(err)
		}
		if _, err := fx.jobs.ResumeStalled(context.Background(), time.Hour); err != nil {
			t.Fatal(err)
		}
		if s := spools(t, fx.upDir); len(s) != 0 {
			t.Fatalf("an orphan spool was kept: %v", s)
		}
	})
}
