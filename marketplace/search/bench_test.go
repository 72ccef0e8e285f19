package search

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// benchNeeds is the size of the benchmark index (issue 3: 100,000 open needs).
const benchNeeds = 100_000

// benchIndex opens the benchmark index, built once and kept in the temp
// folder between runs (JIUJINAN_BENCH_INDEX names another folder). It is
// rebuilt when it does not hold exactly benchNeeds needs.
func benchIndex(b *testing.B) *Bleve {
	b.Helper()
	dir := os.Getenv("JIUJINAN_BENCH_INDEX")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "jiujinan-search-bench-"+mappingVersion)
	}
	t0 := time.Now()
	idx, err := OpenBleve(dir)
	if err == nil {
		if n, _ := idx.Count(context.Background()); n == benchNeeds {
			var ms runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms)
			b.Logf("opened %d needs (memory view loaded) in %v; Go heap %d MB", n, time.Since(t0), ms.HeapAlloc>>20)
			return idx
		}
		idx.Close()
	}
	os.RemoveAll(dir)
	if idx, err = OpenBleve(dir); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if err := idx.Upsert(context.Background(), genNeeds(benchNeeds, 1)); err != nil {
		b.Fatal(err)
	}
	b.Logf("indexed %d needs in %v into %s", benchNeeds, time.Since(start), dir)
	return idx
}

// BenchmarkBleveSearch runs mixed queries (a word in 4 of 5, always the
// status filter, often region, category or urgency, every sort key, some
// deep pages) in parallel on the 100,000-need index and reports latency
// percentiles and queries per second.
func BenchmarkBleveSearch(b *testing.B) {
	idx := benchIndex(b)
	defer idx.Close()
	ctx := context.Background()
	// Warm up the caches the first queries would otherwise pay for.
	wr := rand.New(rand.NewPCG(99, 1))
	for range 200 {
		if _, err := idx.Search(ctx, genQuery(wr)); err != nil {
			b.Fatal(err)
		}
	}
	var (
		mu      sync.Mutex
		all     []time.Duration
		seed    atomic.Uint64
		matched atomic.Int64
	)
	b.ResetTimer()
	cpu0 := cpuTime()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		r := rand.New(rand.NewPCG(seed.Add(1), 2))
		lat := make([]time.Duration, 0, 1024)
		for pb.Next() {
			q := genQuery(r)
			t0 := time.Now()
			res, err := idx.Search(ctx, q)
			lat = append(lat, time.Since(t0))
			if err != nil {
				b.Error(err)
				return
			}
			matched.Add(int64(res.Total))
		}
		mu.Lock()
		all = append(all, lat...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	cpu := cpuTime() - cpu0
	b.StopTimer()
	reportLatency(b, all, elapsed)
	b.ReportMetric(float64(matched.Load())/float64(b.N), "hits/query")
	// CPU per query does not depend on what else runs on the machine: two
	// idle cores serve about 2000/cpu_ms queries per second.
	b.ReportMetric(float64(cpu)/float64(time.Millisecond)/float64(b.N), "cpu_ms/query")
}

// BenchmarkBleveUpsertOne indexes one need at a time into the 100,000-need
// index (replacing an existing one, as a republish does): the index part of
// publishing a need.
func BenchmarkBleveUpsertOne(b *testing.B) {
	idx := benchIndex(b)
	defer idx.Close()
	ctx := context.Background()
	needs := genNeeds(1000, 2) // same ids as the first 1,000 indexed: replacements
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if err := idx.Upsert(ctx, needs[i%len(needs):i%len(needs)+1]); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	elapsed := time.Since(start)
	b.StopTimer()
	// Put the originals back so that the cached index stays as generated.
	if err := idx.Upsert(ctx, genNeeds(1000, 1)); err != nil {
		b.Fatal(err)
	}
	reportLatency(b, lat, elapsed)
}

// BenchmarkBleveBulkUpsert reindexes 10,000 needs in batches into a fresh
// index (the reindex path), reporting needs per second.
func BenchmarkBleveBulkUpsert(b *testing.B) {
	needs := genNeeds(10_000, 3)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		idx, err := OpenBleve(filepath.Join(b.TempDir(), "index"))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := idx.Upsert(ctx, needs); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		idx.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(len(needs)*b.N)/b.Elapsed().Seconds(), "needs/s")
}

func reportLatency(b *testing.B, lat []time.Duration, elapsed time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[int(p*float64(len(lat)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(pct(0.50), "p50_ms")
	b.ReportMetric(pct(0.99), "p99_ms")
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "q/s")
}

// BenchmarkBleveSearchColdWord runs the same queries one at a time with the
// word cache emptied before each: the cost of the first search for a word
// (its Bleve lookup) after a restart or an eviction.
func BenchmarkBleveSearchColdWord(b *testing.B) {
	idx := benchIndex(b)
	defer idx.Close()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(3, 3))
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		q := genQuery(r)
		if q.Q == "" {
			q.Q = genWords[i%len(genWords)]
		}
		idx.mem.dropWords()
		t0 := time.Now()
		if _, err := idx.Search(ctx, q); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	reportLatency(b, lat, time.Since(start))
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
