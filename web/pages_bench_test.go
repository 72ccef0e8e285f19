package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/marketplace/gormstore"
	"github.com/jiujinan/jiujinan/marketplace/gormstore/needfixture"
	"github.com/jiujinan/jiujinan/marketplace/search"
	"github.com/jiujinan/jiujinan/migrations"
	"github.com/jiujinan/jiujinan/sqldb"
)

// The page benchmarks render the need list and the need page through the
// whole server (middleware, search or database, template) with 100,000 open
// needs in SQLite and the embedded index. The data is built once into
// $TMPDIR/jiujinan-pages-bench-v2 (or $JIUJINAN_PAGES_BENCH_DIR) and reused.

const benchNeeds = 100_000

var benchCounties = []string{"371725", "371702", "371721", "430524", "430502", "610524", "610502", "520221", "110105", "440106", "510104", "420106", "320105", "330106", "410105", "130104"}

var benchTitles = []string{"白血病化疗费用", "孩子上学的学费", "独居老人住院手术费", "危房改造", "尿毒症透析费用", "冬季取暖费", "大学新生学费", "车祸后康复治疗", "火灾后基本生活", "低保家庭医疗费用"}

type pagesBench struct {
	srv *Server
	ids []string
}

var benchData struct {
	once sync.Once
	pb   *pagesBench
	err  error
}

func loadPagesBench(b *testing.B) *pagesBench {
	b.Helper()
	benchData.once.Do(func() { benchData.pb, benchData.err = buildPagesBench(b) })
	if benchData.err != nil {
		b.Fatal(benchData.err)
	}
	return benchData.pb
}

func buildPagesBench(b *testing.B) (*pagesBench, error) {
	ctx := context.Background()
	dir := os.Getenv("JIUJINAN_PAGES_BENCH_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "jiujinan-pages-bench-v2")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	db, err := sqldb.Open(ctx, "sqlite:"+filepath.Join(dir, "needs.db"))
	if err != nil {
		return nil, err
	}
	if _, err := migrations.Up(ctx, db); err != nil {
		// Built by an older schema: start again.
		db.Close()
		if err := os.RemoveAll(dir); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		if db, err = sqldb.Open(ctx, "sqlite:"+filepath.Join(dir, "needs.db")); err != nil {
			return nil, err
		}
		if _, err := migrations.Up(ctx, db); err != nil {
			return nil, err
		}
	}
	store := gormstore.New(db)
	now := func() time.Time { return time.Now().UTC() }
	n, err := store.CountPublicNeeds(ctx)
	if err != nil {
		return nil, err
	}
	if n < benchNeeds {
		start := time.Now()
		base := needfixture.Setup(b, db, "基准测试社会工作服务中心")
		r := rand.New(rand.NewPCG(1, 2))
		for done := n; done < benchNeeds; done += 5000 {
			batch := make([]needfixture.Need, 0, 5000)
			for i := 0; i < 5000 && done+i < benchNeeds; i++ {
				dl := time.Now().AddDate(0, 0, 10+r.IntN(200))
				cost := int64(100_000 + r.IntN(20_000_000))
				batch = append(batch, needfixture.Need{
					Category:         string(kernel.Categories[r.IntN(len(kernel.Categories))]),
					Urgency:          []string{"emergency", "urgent", "urgent", "normal", "normal", "normal"}[r.IntN(6)],
					PublicRegionCode: benchCounties[r.IntN(len(benchCounties))],
					AgeBand:          []string{"under_14", "14_17", "18_59", "60_plus"}[r.IntN(4)],
					PublicTitle:      benchTitles[r.IntN(len(benchTitles))],
					PublicStory:      "患者因病住院，家庭收入微薄，医疗费用在医保报销和医疗救助之后仍有较大缺口。孩子正在上学，家中还有老人需要照顾。",
					VerifiedCostFen:  cost, FundedFen: cost / int64(2+r.IntN(5)),
					ServiceNeeds: "hospital_escort,daily_help", Deadline: &dl,
				})
			}
			base.Insert(b, db, batch...)
		}
		b.Logf("inserted %d needs in %v", benchNeeds-n, time.Since(start))
	}
	idx, err := search.OpenBleve(filepath.Join(dir, "index"))
	if err != nil {
		return nil, err
	}
	ix := search.NewIndexer(idx, store, store, now, nil)
	if c, _ := idx.Count(ctx); c < benchNeeds {
		start := time.Now()
		if _, err := ix.Rebuild(ctx, nil); err != nil {
			return nil, err
		}
		b.Logf("indexed in %v", time.Since(start))
	}
	if _, err := ix.Drain(ctx); err != nil {
		return nil, err
	}
	div, err := kernel.LoadDivisions()
	if err != nil {
		return nil, err
	}
	srv := NewServer(Config{}, Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Browse: &search.Browse{Index: idx, Needs: store, Now: now}, Divisions: div})
	var ids []string
	if err := db.Gorm.Raw("SELECT public_id FROM needs ORDER BY id LIMIT 2000").Scan(&ids).Error; err != nil {
		return nil, err
	}
	return &pagesBench{srv: srv, ids: ids}, nil
}

// runPages serves paths in parallel and reports p50/p99 latency per page.
func runPages(b *testing.B, srv *Server, path func(r *rand.Rand) string) {
	var mu sync.Mutex
	var lat []time.Duration
	var seed uint64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		mu.Lock()
		seed++
		r := rand.New(rand.NewPCG(seed, 7))
		mu.Unlock()
		var mine []time.Duration
		for pb.Next() {
			req := httptest.NewRequest(http.MethodGet, path(r), nil)
			req.Header.Set("Accept", "text/html")
			rec := httptest.NewRecorder()
			t0 := time.Now()
			srv.Echo.ServeHTTP(rec, req)
			mine = append(mine, time.Since(t0))
			if rec.Code != http.StatusOK {
				b.Errorf("%s: %d", req.URL, rec.Code)
				return
			}
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	b.StopTimer()
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}
}

// BenchmarkNeedListPage: GET /needs with the filters people use (a word in
// half, a category or region in some, a page beyond the first in 1 of 10).
func BenchmarkNeedListPage(b *testing.B) {
	pb := loadPagesBench(b)
	words := []string{"医疗", "学费", "白血病", "透析", "取暖", "老人"}
	runPages(b, pb.srv, func(r *rand.Rand) string {
		p := "/needs?sort=urgency"
		if r.IntN(2) == 0 {
			p += "&q=" + words[r.IntN(len(words))]
		}
		if r.IntN(3) == 0 {
			p += "&category=" + string(kernel.Categories[r.IntN(len(kernel.Categories))])
		}
		if r.IntN(3) == 0 {
			p += "&region=" + benchCounties[r.IntN(len(benchCounties))][:2+2*r.IntN(3)]
		}
		if r.IntN(10) == 0 {
			p += fmt.Sprintf("&page=%d", 2+r.IntN(4))
		}
		return p
	})
}

// BenchmarkNeedPage: GET /needs/{id} of random needs.
func BenchmarkNeedPage(b *testing.B) {
	pb := loadPagesBench(b)
	runPages(b, pb.srv, func(r *rand.Rand) string { return "/needs/" + pb.ids[r.IntN(len(pb.ids))] })
}

// BenchmarkHomePage: GET / with the urgent needs.
func BenchmarkHomePage(b *testing.B) {
	pb := loadPagesBench(b)
	runPages(b, pb.srv, func(r *rand.Rand) string { return "/" })
}
