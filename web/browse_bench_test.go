package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/marketplace/gormstore"
	"github.com/jiujinan/jiujinan/marketplace/gormstore/needfixture"
	"github.com/jiujinan/jiujinan/marketplace/search"
	"github.com/jiujinan/jiujinan/migrations"
	"github.com/jiujinan/jiujinan/sqldb"
)

// End-to-end benchmarks of public browsing: HTTP request → echo with every
// middleware of the server (request id, logging, metrics, security headers,
// timeout, auth) → handler → Browse → the embedded index (search) or SQLite
// (one need) → JSON. 100,000 needs (issue 3), built once into
// $TMPDIR/jiujinan-browse-bench-v1 (or $JIUJINAN_BENCH_BROWSE) and reused.

const browseBenchNeeds = 100_000

var browseGenCounties = []string{
	"371725", "371721", "371722", "371723", "371724", "371726", "371727", "371728",
	"430521", "430522", "430523", "430524", "430525", "430527", "430528", "430529",
	"610522", "610523", "610524", "610525", "610526", "610527", "610528",
	"520221", "520222", "522301", "522322", "522323", "522324",
	"530621", "530622", "530623", "530624", "530625",
	"622421", "622424", "622425", "622426", "640323", "640324", "640381",
	"411523", "411524", "411525", "411526", "411527", "411528",
	"341221", "341222", "341225", "341226", "360730", "360731", "360732", "360733", "360734",
	"510722", "510723", "510725", "510726", "130731", "130732", "130733",
}

var browseGenCoarse = []string{"371700", "430500", "610500", "370000", "520000", "411500", "360700"}

var browseGenTitles = map[string][]string{
	"medical": {"白血病患儿急需医疗费", "尿毒症透析费用", "癌症化疗费用", "脑瘫儿童康复治疗", "先天性心脏病手术",
		"车祸重伤住院", "肾移植术后抗排异药费", "重度烧伤植皮手术", "骨折手术医疗费"},
	"education":    {"大学新生助学", "高中生学费困难", "留守儿童助学", "孤儿上学生活费", "职业学校学费", "考上大学无力缴费"},
	"housing":      {"危房改造", "房屋漏雨修缮", "火灾后重建住房", "土坯房改造"},
	"basic_living": {"低保户生活困难", "独居老人生活补助", "残疾人基本生活", "单亲家庭生活困难"},
	"employment":   {"失业家庭临时救助", "残疾人就业培训"},
	"disaster":     {"暴雨受灾救助", "地震受灾家庭"},
	"heating":      {"冬季取暖煤炭", "老人冬季取暖"},
	"care":         {"失能老人照料", "重度残疾人照护", "独居老人上门照料"},
}

var browseGenCats = []string{"medical", "medical", "medical", "education", "education", "basic_living", "housing", "employment", "disaster", "heating", "care"}

var browseGenSentences = []string{"孩子确诊急性白血病，需要骨髓移植。", "患者每周需要透析三次，费用沉重。", "医生建议尽快手术，家里已无力承担。",
	"住院期间医疗费用已花费十多万元。", "医保报销后自付部分仍然很高。", "化疗需要持续半年，药费昂贵。",
	"今年考上大学，学费和住宿费无着落。", "申请助学金以完成学业。", "房屋年久失修，雨季漏雨严重。", "墙体开裂，属于危房。",
	"家庭主要劳动力丧失，收入微薄。", "家中还有年迈的老人需要赡养。", "已经享受低保，仍然入不敷出。",
	"村委会和社工多次上门核实情况。", "亲友已经借遍，无力再借。", "孩子还在上小学，需要人照顾。", "当地民政部门已经给予临时救助。"}

var browseGenWords = []string{"医疗", "白血病", "助学", "透析", "学费", "危房", "手术", "老人", "化疗", "大学", "住院", "取暖", "低保", "孩子", "康复"}

var browseGenNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

func browseGenNeed(r *rand.Rand) needfixture.Need {
	cat := browseGenCats[r.IntN(len(browseGenCats))]
	region := browseGenCounties[r.IntN(len(browseGenCounties))]
	if r.IntN(20) == 0 {
		region = browseGenCoarse[r.IntN(len(browseGenCoarse))]
	}
	var sb strings.Builder
	for k := 0; k < 2+r.IntN(3); k++ {
		sb.WriteString(browseGenSentences[r.IntN(len(browseGenSentences))])
	}
	cost := int64(500_000 + r.IntN(30_000_000))
	relief := cost * int64(r.IntN(50)) / 100
	pub := browseGenNow.Add(-time.Duration(r.IntN(90*24)) * time.Hour)
	n := needfixture.Need{
		Status: "open", Category: cat, PublicRegionCode: region, RegionCode: region,
		AgeBand:              []string{"under_14", "14_17", "18_59", "60_plus"}[r.IntN(4)],
		PublicHouseholdTypes: string(kernel.HouseholdTypes[r.IntN(len(kernel.HouseholdTypes))]),
		PublicTitle:          browseGenTitles[cat][r.IntN(len(browseGenTitles[cat]))], PublicStory: sb.String(),
		VerifiedCostFen: cost, StatutoryReliefFen: relief, FundedFen: (cost - relief) * int64(r.IntN(90)) / 100,
		Urgency: "normal", ServiceNeeds: "hospital_escort", PublishedAt: &pub, NoOutbox: true,
	}
	switch u := r.IntN(10); {
	case u == 0:
		n.Urgency, n.Emergency = "emergency", true
	case u <= 3:
		n.Urgency = "urgent"
	}
	if r.IntN(4) != 0 {
		d := browseGenNow.Add(time.Duration(1+r.IntN(60*24)) * time.Hour)
		n.Deadline = &d
	}
	if r.IntN(10) == 0 {
		n.Status = "notice"
		end := browseGenNow.Add(time.Duration(r.IntN(240)-120) * time.Hour)
		n.NoticeEndsAt = &end
	}
	return n
}

// browseGenQuery is a GET /needs query like genQuery of the search benchmarks:
// a word in 4 of 5, always the open filter, a region prefix in 3 of 4, a
// category in 1 of 3, urgencies in 1 of 5, one of the four sorts, a deeper
// page in 1 of 10.
func browseGenQuery(r *rand.Rand) string {
	v := url.Values{"status": {"open"}}
	if r.IntN(5) != 0 {
		v.Set("q", browseGenWords[r.IntN(len(browseGenWords))])
	}
	c := browseGenKnownCounties()[r.IntN(len(browseGenKnownCounties()))]
	switch r.IntN(4) {
	case 0:
		v.Set("region", c)
	case 1:
		v.Set("region", c[:4])
	case 2:
		v.Set("region", c[:2])
	}
	if r.IntN(3) == 0 {
		v.Set("category", browseGenCats[r.IntN(len(browseGenCats))])
	}
	if r.IntN(5) == 0 {
		v["urgency"] = []string{"emergency", "urgent"}
	}
	v.Set("sort", []string{"urgency", "deadline", "remaining", "newest"}[r.IntN(4)])
	if r.IntN(10) == 0 {
		v.Set("page", fmt.Sprint(2+r.IntN(5)))
	}
	return "/api/v1/needs?" + v.Encode()
}

// browseGenKnownCounties are the generated counties that the division table
// knows (the region filter refuses the others, such as the old 6224xx of
// 定西): the ones queries filter by.
var browseGenKnownCounties = sync.OnceValue(func() []string {
	d, _ := kernel.LoadDivisions()
	var out []string
	for _, c := range browseGenCounties {
		if d.Known(c) && d.Known(c[:4]+"00") {
			out = append(out, c)
		}
	}
	return out
})

type browseBench struct {
	srv   *Server
	store *gormstore.Store
	index *search.Bleve
	db    *sqldb.DB
}

// openBrowseBench opens (building when needed) the 100,000-need database
// and index and a server over them.
func openBrowseBench(b *testing.B) *browseBench {
	b.Helper()
	ctx := context.Background()
	dir := os.Getenv("JIUJINAN_BENCH_BROWSE")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "jiujinan-browse-bench-v1")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	db, err := sqldb.Open(ctx, "sqlite:"+filepath.Join(dir, "jiujinan.db"))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := migrations.Up(ctx, db); err != nil {
		b.Fatal(err)
	}
	store := gormstore.New(db)
	if n, _ := store.CountPublicNeeds(ctx); n != browseBenchNeeds {
		t0 := time.Now()
		for _, tbl := range []string{"search_outbox", "needs", "beneficiaries", "users", "organizations"} {
			if err := db.Gorm.Exec("DELETE FROM " + tbl).Error; err != nil {
				b.Fatal(err)
			}
		}
		base := needfixture.Setup(b, db, "郓城县阳光社会工作服务中心")
		r := rand.New(rand.NewPCG(1, 7))
		for done := 0; done < browseBenchNeeds; done += 10_000 {
			needs := make([]needfixture.Need, 10_000)
			for i := range needs {
				needs[i] = browseGenNeed(r)
			}
			base.Insert(b, db, needs...)
		}
		b.Logf("inserted %d needs into SQLite in %v", browseBenchNeeds, time.Since(t0))
		os.RemoveAll(filepath.Join(dir, "search"))
	}
	t0 := time.Now()
	idx, err := search.OpenBleve(filepath.Join(dir, "search"))
	if err != nil {
		b.Fatal(err)
	}
	if n, _ := idx.Count(ctx); n != browseBenchNeeds {
		t1 := time.Now()
		st, err := search.NewIndexer(idx, store, store, func() time.Time { return browseGenNow }, nil).Rebuild(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("reindexed %d needs from the database (Indexer.Rebuild) in %v: %.0f needs/s",
			st.Indexed, time.Since(t1), float64(st.Indexed)/time.Since(t1).Seconds())
	} else {
		b.Logf("opened the index of %d needs in %v", n, time.Since(t0))
	}
	divisions, _ := kernel.LoadDivisions()
	now := func() time.Time { return browseGenNow }
	srv := NewServer(Config{}, Deps{
		Log:       slog.New(slog.NewTextHandler(io.Discard, nil)), // request lines are formatted, as in production
		Browse:    &search.Browse{Index: idx, Needs: store, Now: now},
		Divisions: divisions,
	})
	return &browseBench{srv: srv, store: store, index: idx, db: db}
}

func (bb *browseBench) close() { bb.index.Close(); bb.db.Close() }

// runParallelGETs runs GETs of next() in parallel and reports latency
// percentiles, queries per second and CPU per query.
func runParallelGETs(b *testing.B, srv *Server, next func(r *rand.Rand) string) {
	var (
		mu    sync.Mutex
		all   []time.Duration
		seed  atomic.Uint64
		bytes atomic.Int64
	)
	b.ResetTimer()
	cpu0 := browseGenCPU()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		r := rand.New(rand.NewPCG(seed.Add(1), 5))
		lat := make([]time.Duration, 0, 1024)
		for pb.Next() {
			req := httptest.NewRequest(http.MethodGet, next(r), nil)
			rec := httptest.NewRecorder()
			t0 := time.Now()
			srv.Echo.ServeHTTP(rec, req)
			lat = append(lat, time.Since(t0))
			if rec.Code != http.StatusOK {
				b.Errorf("%s: %d %s", req.URL, rec.Code, rec.Body)
				return
			}
			bytes.Add(int64(rec.Body.Len()))
		}
		mu.Lock()
		all = append(all, lat...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	cpu := browseGenCPU() - cpu0
	b.StopTimer()
	if len(all) == 0 {
		return
	}
	slices.Sort(all)
	pct := func(p float64) float64 { return float64(all[int(p*float64(len(all)-1))]) / float64(time.Millisecond) }
	b.ReportMetric(pct(0.50), "p50_ms")
	b.ReportMetric(pct(0.99), "p99_ms")
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "q/s")
	b.ReportMetric(float64(cpu)/float64(time.Millisecond)/float64(b.N), "cpu_ms/query")
	b.ReportMetric(float64(bytes.Load())/float64(b.N), "resp_bytes")
}

// BenchmarkBrowseSearchHTTP: GET /needs with filters through the whole
// HTTP stack, in parallel, on 100,000 needs.
func BenchmarkBrowseSearchHTTP(b *testing.B) {
	bb := openBrowseBench(b)
	defer bb.close()
	// Warm the word cache as a running server would be.
	wr := rand.New(rand.NewPCG(99, 1))
	for range 300 {
		rec := httptest.NewRecorder()
		bb.srv.Echo.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, browseGenQuery(wr), nil))
	}
	runParallelGETs(b, bb.srv, browseGenQuery)
}

// BenchmarkBrowseNeedHTTP: GET /needs/{id} (one projection read from
// SQLite, names joined) through the whole HTTP stack, in parallel.
func BenchmarkBrowseNeedHTTP(b *testing.B) {
	bb := openBrowseBench(b)
	defer bb.close()
	var ids []string
	if err := bb.db.Gorm.Raw("SELECT public_id FROM needs ORDER BY id LIMIT 20000").Scan(&ids).Error; err != nil || len(ids) == 0 {
		b.Fatal(err)
	}
	runParallelGETs(b, bb.srv, func(r *rand.Rand) string { return "/api/v1/needs/" + ids[r.IntN(len(ids))] })
}

func browseGenCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
