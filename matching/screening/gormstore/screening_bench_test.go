package gormstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	rstore "github.com/jiujinan/jiujinan/matching/record/gormstore"
	"github.com/jiujinan/jiujinan/matching/screening"

	"github.com/jiujinan/jiujinan/matching/record"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/marketplace/gormstore/needfixture"
	"github.com/jiujinan/jiujinan/matching/screening/gormstore"
	"github.com/jiujinan/jiujinan/migrations"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// benchIDNumber is the made-up ID number of the i-th person of the
// benchmark's payment record.
func benchIDNumber(i int) string { return fmt.Sprintf("9%016d", i) + "X" }

// benchRows is JIUJINAN_BENCH_PAYMENTS (default 10,000,000).
func benchRows(b *testing.B) int {
	n := 10_000_000
	if s := os.Getenv("JIUJINAN_BENCH_PAYMENTS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 1000 {
			b.Fatalf("JIUJINAN_BENCH_PAYMENTS: %q", s)
		}
	}
	return n
}

// fillPayments writes rows payments of a completed import into db: ten a
// person (monthly programmes over 2025–2026), persons in pseudonym order so
// that the primary key grows at its end, 1,000 rows per INSERT.
func fillPayments(b *testing.B, db *sqldb.DB, pseudo *marketplace.Pseudonymizer, rows int) {
	ctx := context.Background()
	conn, err := db.SQL().Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	if db.Dialect == sqldb.SQLite {
		for _, p := range []string{"PRAGMA synchronous = OFF", "PRAGMA cache_size = -262144"} {
			if _, err := conn.ExecContext(ctx, p); err != nil {
				b.Fatal(err)
			}
		}
	}
	now := time.Now().UTC()
	if _, err := conn.ExecContext(ctx, `INSERT INTO payment_import_batches (public_id, file_sha256, status, created_at, updated_at) VALUES ('bench', 'bench', 'done', ?, ?)`, now, now); err != nil {
		b.Fatal(err)
	}
	var batch int64
	if err := conn.QueryRowContext(ctx, `SELECT id FROM payment_import_batches WHERE public_id = 'bench'`).Scan(&batch); err != nil {
		b.Fatal(err)
	}
	persons := rows / 10
	ps := make([]string, persons)
	for i := range ps {
		ps[i] = pseudo.Of(benchIDNumber(i))
	}
	sort.Strings(ps)
	const per = 1000
	var sb strings.Builder
	args := make([]any, 0, per*7)
	var tx *sql.Tx
	flush := func() {
		if len(args) == 0 {
			return
		}
		n := len(args) / 7
		sb.Reset()
		sb.WriteString("INSERT INTO statutory_payments (pseudonym, programme, period_from, period_to, amount_fen, region_code, batch_id) VALUES ")
		for i := 0; i < n; i++ {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString("(?,?,?,?,?,?,?)")
		}
		if _, err := tx.ExecContext(ctx, sb.String(), args...); err != nil {
			b.Fatal(err)
		}
		args = args[:0]
	}
	start := time.Now()
	written := 0
	for pi, p := range ps {
		if pi%100_000 == 0 {
			if tx != nil {
				flush()
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
			}
			if tx, err = conn.BeginTx(ctx, nil); err != nil {
				b.Fatal(err)
			}
		}
		for j := 0; j < 10; j++ {
			prog := kernel.Programmes[(pi+j)%len(kernel.Programmes)]
			from := time.Date(2025, time.Month(1+j*2), 1, 0, 0, 0, 0, time.UTC)
			to := from.AddDate(0, 1, -1)
			args = append(args, p, string(prog), from.Format(time.DateOnly), to.Format(time.DateOnly), int64(10_000+(pi*7+j)%90_000), "371725", batch)
			written++
			if len(args) == per*7 {
				flush()
			}
		}
	}
	flush()
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	b.Logf("wrote %d payments in %s (%.0f rows/s)", written, time.Since(start).Round(time.Second), float64(written)/time.Since(start).Seconds())
}

// templateDB returns a migrated SQLite file holding the payment record,
// made once and kept in JIUJINAN_BENCH_DIR (default: the system temp
// folder) for later runs.
func templateDB(b *testing.B, pseudo *marketplace.Pseudonymizer, rows int) string {
	dir := os.Getenv("JIUJINAN_BENCH_DIR")
	if dir == "" {
		dir = os.TempDir()
	}
	path := filepath.Join(dir, fmt.Sprintf("jiujinan-screening-bench-%d.db", rows))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	tmp := path + ".partial"
	_ = os.Remove(tmp)
	ctx := context.Background()
	db, err := sqldb.Open(ctx, "sqlite:"+tmp)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := migrations.Up(ctx, db); err != nil {
		b.Fatal(err)
	}
	fillPayments(b, db, pseudo, rows)
	if err := db.Gorm.Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error; err != nil {
		b.Fatal(err)
	}
	db.Close()
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	return path
}

func copyFile(b *testing.B, from, to string) {
	in, err := os.Open(from)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		b.Fatal(err)
	}
	if err := out.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkScreen screens needs against a payment record of
// JIUJINAN_BENCH_PAYMENTS rows (default 10,000,000) on SQLite: one Screen
// call per op at the allocate stage — load the need, the person's other
// needs and payments, run the rules, look up overrides, store the
// screening and update the need — rotating over 200 needs of 200 persons
// of the record, each person with a second need at another charity. It
// reports the p50 and p99 latency of one call.
//
//	go test -run '^$' -bench BenchmarkScreen -benchtime 20000x ./matching/gormstore/
func BenchmarkScreen(b *testing.B) {
	rows := benchRows(b)
	pseudo, _ := marketplace.NewPseudonymizer([]byte(strings.Repeat("k", 32)))
	tpl := templateDB(b, pseudo, rows)
	path := filepath.Join(b.TempDir(), "bench.db")
	copyFile(b, tpl, path)
	ctx := context.Background()
	db, err := sqldb.Open(ctx, "sqlite:"+path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	// The template may predate later migrations.
	if _, err := migrations.Up(ctx, db); err != nil {
		b.Fatal(err)
	}
	f := newFixture(b, db)
	f.svc.Payments = f.svc.Store.(*gormstore.Screenings)
	f.svc.Now = time.Now
	var needs []string
	for i := 0; i < 200; i++ {
		id := benchIDNumber(i * (rows / 10 / 200))
		needs = append(needs, f.post(needSpec{idNumber: id, category: kernel.CatMedical, from: "2025-01-01", to: "2026-12-31",
			cost: 2_000_000, stat: 0, req: 1_500_000, households: "dibao"}))
		f.post(needSpec{org: f.orgB, idNumber: id, status: kernel.NeedOpen, category: kernel.CatMedical, from: "2025-05-01", to: "2025-05-31",
			cost: 500_000, req: 500_000, fund: 200_000})
	}
	// One screening to check the set-up: the record is read.
	s, err := f.svc.Screen(ctx, needs[0], kernel.StageAllocate, 100_000)
	if err != nil {
		b.Fatal(err)
	}
	if len(s.Checks[0].Evidence) == 0 {
		b.Fatalf("no payment found for the bench person: %+v", s.Checks)
	}
	lat := make([]time.Duration, 0, b.N)
	cpu0 := processCPU()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, err := f.svc.Screen(ctx, needs[i%len(needs)], kernel.StageAllocate, 100_000); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
	reportLatency(b, lat)
}

// BenchmarkPaymentsFor is the payment record read alone: one person's
// payments over a year among JIUJINAN_BENCH_PAYMENTS rows.
//
//	go test -run '^$' -bench BenchmarkPaymentsFor -benchtime 100000x ./matching/gormstore/
func BenchmarkPaymentsFor(b *testing.B) {
	rows := benchRows(b)
	pseudo, _ := marketplace.NewPseudonymizer([]byte(strings.Repeat("k", 32)))
	tpl := templateDB(b, pseudo, rows)
	ctx := context.Background()
	db, err := sqldb.Open(ctx, "sqlite:"+tpl)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	store := gormstore.NewScreenings(db)
	var ps []string
	for i := 0; i < 1000; i++ {
		ps = append(ps, pseudo.Of(benchIDNumber(i*(rows/10/1000))))
	}
	from, to := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)
	if got, _ := store.PaymentsFor(ctx, ps[0], from, to); len(got) == 0 {
		b.Fatal("no payments for the first person")
	}
	lat := make([]time.Duration, 0, b.N)
	cpu0 := processCPU()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, err := store.PaymentsFor(ctx, ps[i%len(ps)], from, to); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
	reportLatency(b, lat)
}

// processCPU is the CPU time the process used so far (all threads, GC
// included): unlike wall time, it does not grow when other processes take
// the machine's two cores.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(p float64) float64 { return float64(lat[int(float64(len(lat)-1)*p)].Microseconds()) }
	b.ReportMetric(q(0.50), "p50-µs")
	b.ReportMetric(q(0.99), "p99-µs")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds()), "max-µs")
	over := sort.Search(len(lat), func(i int) bool { return lat[i] > 2*time.Millisecond })
	b.ReportMetric(100*float64(len(lat)-over)/float64(len(lat)), "%>2ms")
}

var (
	_ screening.Source = (*rstore.Store)(nil)
	_ screening.Source = (*gormstore.Screenings)(nil)
)

// TestScreenReadsTheStatutoryRecord screens against the real payment store
// (completed imports only) on both databases.
func TestScreenReadsTheStatutoryRecord(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		f.svc.Payments = f.svc.Store.(*gormstore.Screenings)
		ctx := context.Background()
		now := f.now
		g := db.Gorm
		for _, st := range []string{"done", "running"} {
			if err := g.Exec(`INSERT INTO payment_import_batches (public_id, file_sha256, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`, st, st, st, now, now).Error; err != nil {
				t.Fatal(err)
			}
		}
		var done, running struct{ ID int64 }
		g.Raw(`SELECT id FROM payment_import_batches WHERE public_id = 'done'`).Scan(&done)
		g.Raw(`SELECT id FROM payment_import_batches WHERE public_id = 'running'`).Scan(&running)
		p := f.pseudo.Of(strings.ToLower(idX))
		for _, r := range []struct {
			prog     string
			from, to string
			fen      int64
			batch    int64
		}{
			{"medical", "2026-01-31", "2026-01-31", 300_000, done.ID},     // last day of the cost period: counts
			{"medical", "2026-02-01", "2026-02-01", 900_000, done.ID},     // the day after: does not
			{"temporary", "2026-01-10", "2026-01-10", 50_000, running.ID}, // unfinished import: invisible
		} {
			if err := g.Exec(`INSERT INTO statutory_payments (pseudonym, programme, period_from, period_to, amount_fen, region_code, batch_id) VALUES (?, ?, ?, ?, ?, '371725', ?)`,
				p, r.prog, r.from, r.to, r.fen, r.batch).Error; err != nil {
				t.Fatal(err)
			}
		}
		a := f.post(needSpec{idNumber: idX, from: "2026-01-01", to: "2026-01-31", cost: 1_000_000, stat: 0, req: 700_000})
		s, err := f.svc.Screen(ctx, a, kernel.StageSubmit, 0)
		if err != nil {
			t.Fatal(err)
		}
		c := s.Checks[0]
		if c.Result != kernel.ScreenWarn || len(c.Evidence) != 1 || c.Evidence[0].AmountFen != 300_000 {
			t.Fatalf("statutory overlap: %+v", c)
		}
		want := record.PaymentID(p, kernel.ProgMedical, time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC), 300_000, "371725")
		if c.Evidence[0].ID != want {
			t.Errorf("payment id %s, want %s", c.Evidence[0].ID, want)
		}
		// Screening reads the record through the record's own store: both
		// payments of the person, the evidence among them.
		from, to := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
		mine, err := f.svc.Store.(*gormstore.Screenings).PaymentsFor(ctx, p, from, to)
		if err != nil || len(mine) != 2 || !slices.ContainsFunc(mine, func(p record.Payment) bool { return p.ID == want }) {
			t.Errorf("payments read for screening: %v %v", err, mine)
		}
		// Requesting one fen more than cost − paid blocks.
		if err := needfixture.Set(ctx, g, a, map[string]any{"requested_fen": 700001}); err != nil {
			t.Fatal(err)
		}
		if s, _ := f.svc.Screen(ctx, a, kernel.StageSubmit, 0); s.Result != kernel.ScreenBlock {
			t.Errorf("one fen over the limit: %s", s.Result)
		}
	})
}
