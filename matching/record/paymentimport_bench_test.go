package record_test

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/matching/record"
	"github.com/jiujinan/jiujinan/matching/record/paymentgen"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// BenchmarkImport imports a generated file of JIUJINAN_BENCH_ROWS rows
// (default 200,000; JIUJINAN_BENCH_FILE names an existing file instead)
// into a fresh database per iteration, on SQLite and, when
// JIUJINAN_TEST_MYSQL_DSN is set, MariaDB/MySQL. It reports rows/s and the
// process's peak heap.
//
//	go test -run '^$' -bench BenchmarkImport -benchtime 1x ./matching/
func BenchmarkImport(b *testing.B) {
	rows := int64(200_000)
	if s := os.Getenv("JIUJINAN_BENCH_ROWS"); s != "" {
		rows, _ = strconv.ParseInt(s, 10, 64)
	}
	path := os.Getenv("JIUJINAN_BENCH_FILE")
	if path == "" {
		path = filepath.Join(b.TempDir(), "payments.csv")
		out, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		w := bufio.NewWriter(out)
		if err := paymentgen.Write(w, paymentgen.Options{Rows: rows, Seed: 1, BadShare: 0.01}); err != nil {
			b.Fatal(err)
		}
		w.Flush()
		out.Close()
	}
	for _, dialect := range []string{"sqlite", "mysql"} {
		b.Run(dialect, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				var db *sqldb.DB
				if dialect == "sqlite" {
					db = sqldbtest.MustOpenSQLite(b)
				} else {
					db = sqldbtest.MustOpenMySQL(b)
				}
				f := newFixture(b, db)
				f.im.Now = time.Now
				in, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				runtime.GC()
				b.StartTimer()
				start := time.Now()
				res, err := f.im.Import(context.Background(), in, record.ImportOptions{FileName: "bench.csv"})
				el := time.Since(start)
				b.StopTimer()
				in.Close()
				if err != nil {
					b.Fatal(err)
				}
				n := res.Batch.Accepted + res.Batch.Duplicates + res.Batch.Rejected
				b.ReportMetric(float64(n)/el.Seconds(), "rows/s")
				b.ReportMetric(float64(res.Batch.Accepted), "accepted")
				b.ReportMetric(peakHeapMB(), "peak-heap-MB")
			}
		})
	}
}

func peakHeapMB() float64 {
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}}
	metrics.Read(s)
	return float64(s[0].Value.Uint64()) / (1 << 20)
}
