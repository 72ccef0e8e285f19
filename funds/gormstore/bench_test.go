package gormstore_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/funds"
	fstore "github.com/jiujinan/jiujinan/funds/gormstore"
	"github.com/jiujinan/jiujinan/marketplace/gormstore/needfixture"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// insertNeeds writes n open needs of requested fen each, in batches, each
// for a person of its own (pseudonyms differ), as real needs mostly are.
func (f *fixture) insertNeeds(n int, requested int64) []string {
	f.t.Helper()
	g := f.db.Gorm
	now := *f.now.Load()
	past := now.Add(-time.Hour)
	bid := newID()
	if err := g.Exec(`INSERT INTO beneficiaries (public_id, org_id, pseudonym, identity_ct, identity_kid, region_code, age_band, sex, household_types, created_at)
		VALUES (?, ?, ?, ?, 'k1', '371725001', '18_59', 'F', '', ?)`, bid, f.swa.ID, strings.Repeat("a", 64), []byte{1}, now).Error; err != nil {
		f.t.Fatal(err)
	}
	var benID int64
	g.Raw("SELECT id FROM beneficiaries WHERE public_id = ?", bid).Scan(&benID)
	ids := make([]string, n)
	for start := 0; start < n; start += 200 {
		end := min(start+200, n)
		var rows []map[string]any
		for i := start; i < end; i++ {
			ids[i] = newID()
			rows = append(rows, map[string]any{"public_id": ids[i], "org_id": f.swa.ID, "created_by": f.workerID, "beneficiary_id": benID,
				"pseudonym": fmt.Sprintf("%064x", sha256.Sum256([]byte(ids[i]))), "status": "open", "category": "medical", "urgency": "urgent", "region_code": "371725001",
				"public_region_code": "371725", "age_band": "18_59", "household_types": "", "private_ct": []byte{1}, "private_kid": "k1",
				"public_story": "", "verified_cost_fen": requested, "statutory_relief_fen": 0, "requested_fen": requested, "cost_from": now,
				"cost_to": now.Add(720 * time.Hour), "emergency": 0, "consent_public": 1, "screening_result": "", "notice_ends_at": past,
				"published_at": now, "created_at": now, "updated_at": now})
		}
		if err := needfixture.Create(context.Background(), g, rows...); err != nil {
			f.t.Fatal(err)
		}
	}
	return ids
}

// benchAllocations allocates 100 fen per operation from sources[i % len]
// to needs[i % len] with parallelism goroutines per CPU, reports
// allocations per second and checks the invariants afterwards.
func benchAllocations(b *testing.B, db *sqldb.DB, nFunds, nNeeds, parallelism int) {
	f := newFixture(b, db)
	ctx := context.Background()
	srcs := make([]string, nFunds)
	for i := range srcs {
		s := f.fund(kernel.Restrictions{Categories: []kernel.Category{"medical"}, RegionPrefixes: []string{"3717"}})
		f.donate(funds.TargetFund, s.PublicID, 1_000_000_000)
		srcs[i] = s.PublicID
	}
	needs := f.insertNeeds(nNeeds, 1_000_000_000)
	var n, failed atomic.Int64
	b.SetParallelism(parallelism)
	cpu0, srv0 := processCPU(), serverCPU()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			if _, err := f.svc.Allocate(ctx, f.staff, funds.KindFund, srcs[int(i)%len(srcs)], needs[int(i*7919)%len(needs)], 100, nil); err != nil {
				failed.Add(1)
				b.Error(err)
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "allocations/s")
	// CPU of this process (the service and, on SQLite, the database) per
	// allocation: on a shared machine it says more than the wall time.
	b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
	if srv1 := serverCPU(); db.Dialect == sqldb.MySQL && srv0 >= 0 && srv1 >= 0 {
		b.ReportMetric(float64((srv1-srv0).Microseconds())/float64(b.N), "server-cpu-µs/op")
	}
	// Batches the database spoiled (their calls ran again alone): none is
	// expected here, and a broken batch path would show only as slowness.
	b.ReportMetric(float64(fstore.Spoiled(f.svc.Store.(*fstore.Store))), "spoiled-batches")
	problems, _, err := f.svc.VerifyLedger(ctx)
	if err != nil || len(problems) > 0 {
		b.Fatalf("invariants: %v %v", problems, err)
	}
	var total int64
	db.Gorm.Raw("SELECT COUNT(*) FROM allocations").Scan(&total)
	if total != int64(b.N)-failed.Load() {
		b.Fatalf("%d allocations stored, %d made", total, int64(b.N)-failed.Load())
	}
}

// processCPU is the user and system time this process used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchDBs(b *testing.B, fn func(b *testing.B, db *sqldb.DB)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, sqldbtest.MustOpenSQLite(b)) })
	b.Run("mariadb", func(b *testing.B) { fn(b, sqldbtest.MustOpenMySQL(b)) })
}

// BenchmarkAllocateDistinct: allocations from 64 funds to 4,000 needs, so
// that concurrent allocations rarely share a row.
func BenchmarkAllocateDistinct(b *testing.B) {
	benchDBs(b, func(b *testing.B, db *sqldb.DB) { benchAllocations(b, db, 64, 4000, 16) })
}

// BenchmarkAllocateOneFund: every allocation from the same fund (its
// balance row is the queue), to 4,000 needs.
func BenchmarkAllocateOneFund(b *testing.B) {
	benchDBs(b, func(b *testing.B, db *sqldb.DB) { benchAllocations(b, db, 1, 4000, 16) })
}

// serverCPU is the user and system time of the local MariaDB/MySQL server
// process so far (from /proc), or -1 when none is found: what the server
// spends per allocation, beside the client's processCPU. Other clients of
// the same server count too: on a shared machine it is an upper bound.
func serverCPU() time.Duration {
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		comm, err := os.ReadFile("/proc/" + d.Name() + "/comm")
		if err != nil {
			continue
		}
		if name := strings.TrimSpace(string(comm)); name != "mariadbd" && name != "mysqld" {
			continue
		}
		stat, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			return -1
		}
		// Fields after the command's closing parenthesis: utime and stime
		// are the 12th and 13th, in clock ticks (100 per second on Linux).
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(f) < 13 {
			return -1
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		s, _ := strconv.ParseInt(f[12], 10, 64)
		return time.Duration(u+s) * 10 * time.Millisecond
	}
	return -1
}
