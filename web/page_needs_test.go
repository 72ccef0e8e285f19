package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/marketplace/gormstore/needfixture"
	"github.com/jiujinan/jiujinan/marketplace/search"
)

// indexedNeeds serves public needs from a real embedded index, with the
// single-need lookup from a map (the database's role).
type indexedNeeds struct {
	idx   *search.Bleve
	needs map[string]marketplace.PublicNeed
	now   func() time.Time
}

func (x *indexedNeeds) Search(ctx context.Context, q search.Query) (*search.Result, error) {
	if len(q.Statuses) == 0 {
		q.Statuses = []kernel.NeedStatus{kernel.NeedOpen, kernel.NeedNotice}
	}
	q.Now = x.now()
	return x.idx.Search(ctx, q)
}

func (x *indexedNeeds) Need(ctx context.Context, id string) (*marketplace.PublicNeed, error) {
	n, ok := x.needs[id]
	if !ok {
		return nil, kernel.ErrNotFound
	}
	n.Status = marketplace.EffectiveStatus(n.Status, n.NoticeEndsAt, x.now())
	return &n, nil
}

// withPublicNeeds serves these needs on the public pages.
func (env *testEnv) withPublicNeeds(needs ...marketplace.PublicNeed) *indexedNeeds {
	env.t.Helper()
	idx, err := search.OpenBleve(env.t.TempDir())
	if err != nil {
		env.t.Fatal(err)
	}
	env.t.Cleanup(func() { idx.Close() })
	x := &indexedNeeds{idx: idx, needs: map[string]marketplace.PublicNeed{}, now: func() time.Time { return *env.now.Load() }}
	if err := idx.Upsert(context.Background(), needs); err != nil {
		env.t.Fatal(err)
	}
	for _, n := range needs {
		x.needs[n.ID] = n
	}
	env.srv.pages.needs = x
	return x
}

// samplePublicNeed is an open need in 郓城县.
func samplePublicNeed(i int, title, story string) marketplace.PublicNeed {
	pub := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
	deadline := time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)
	return marketplace.PublicNeed{
		ID: fmt.Sprintf("01jjneed%018d", i), Status: kernel.NeedOpen, Category: kernel.CatMedical,
		RegionCode: "371725", RegionName: "山东省菏泽市郓城县", AgeBand: kernel.Age60Plus,
		HouseholdTypes: []kernel.HouseholdType{kernel.HHDibao}, Title: title, Story: story,
		VerifiedCostFen: 5000000, StatutoryReliefFen: 2000000, RequestedFen: 3000000, FundedFen: 1234550, RemainingFen: 1765450,
		Urgency: kernel.UrgencyUrgent, Deadline: &deadline, ServiceNeeds: []kernel.Service{kernel.SvcHospitalEscort},
		PublishedAt: &pub, OrgID: "01jjorg", OrgName: "郓城县慈善总会",
	}
}

func TestNeedPages(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	evil := samplePublicNeed(1, `<script>alert("t")</script>老人住院`, `<img src=x onerror=alert(1)>某某因病住院，需要手术。`)
	edu := samplePublicNeed(2, "孩子上学的学费", "孩子考上高中，学费没有着落。")
	edu.Category, edu.Urgency, edu.RegionCode, edu.RegionName = kernel.CatEducation, kernel.UrgencyEmergency, "430524", "湖南省邵阳市隆回县"
	env.withPublicNeeds(evil, edu)
	b := newBrowser(env)

	t.Run("the list shows every open need, most urgent first, with amounts in yuan", func(t *testing.T) {
		r := b.do(http.MethodGet, "/needs", nil)
		body := r.Body.String()
		if r.Code != 200 {
			t.Fatalf("status %d", r.Code)
		}
		for _, want := range []string{"共 2 条求助", "孩子上学的学费", "已筹 ¥12,345.50 / 需 ¥30,000.00", "山东省菏泽市郓城县", "2026年12月31日"} {
			if !strings.Contains(body, want) {
				t.Errorf("list lacks %q", want)
			}
		}
		if strings.Index(body, "孩子上学的学费") > strings.Index(body, "老人住院") {
			t.Error("the emergency need is not listed first")
		}
	})
	t.Run("user text is shown as text, never as markup", func(t *testing.T) {
		for _, path := range []string{"/needs", "/needs/" + evil.ID} {
			body := b.do(http.MethodGet, path, nil).Body.String()
			if strings.Contains(body, `<script>alert`) || strings.Contains(body, `<img src=x`) {
				t.Errorf("%s renders the story's markup", path)
			}
			if !strings.Contains(body, `&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;`) {
				t.Errorf("%s does not show the title as text", path)
			}
		}
	})
	t.Run("filters narrow the list and facets count", func(t *testing.T) {
		body := b.do(http.MethodGet, "/needs?category=education", nil).Body.String()
		if !strings.Contains(body, "共 1 条求助") || strings.Contains(body, "老人住院") {
			t.Error("category filter")
		}
		body = b.do(http.MethodGet, "/needs?region=43", nil).Body.String()
		if !strings.Contains(body, "共 1 条求助") || !strings.Contains(body, "邵阳市") {
			t.Error("region filter with city facet")
		}
		body = b.do(http.MethodGet, "/needs?q="+url.QueryEscape("学费"), nil).Body.String()
		if !strings.Contains(body, "共 1 条求助") {
			t.Error("text search")
		}
	})
	t.Run("htmx gets only the result list", func(t *testing.T) {
		req := httpGet("/needs?urgency=emergency", "HX-Request", "true", "HX-Target", "results")
		rec := serve(env, req)
		body := rec.Body.String()
		if rec.Code != 200 || strings.Contains(body, "<html") || !strings.Contains(body, "共 1 条求助") {
			t.Fatalf("partial: %d %.200s", rec.Code, body)
		}
	})
	t.Run("an empty result says what to do", func(t *testing.T) {
		body := b.do(http.MethodGet, "/needs?q=nothingmatches", nil).Body.String()
		if !strings.Contains(body, "没有符合条件的求助") || !strings.Contains(body, "清除筛选条件") {
			t.Error("empty state")
		}
	})
	t.Run("a bad filter is a 400 page, not a 500", func(t *testing.T) {
		if r := b.do(http.MethodGet, "/needs?region=12345", nil); r.Code != 400 {
			t.Errorf("status %d", r.Code)
		}
	})
	t.Run("the need page shows the money and the story", func(t *testing.T) {
		r := b.do(http.MethodGet, "/needs/"+evil.ID, nil)
		body := r.Body.String()
		for _, want := range []string{"¥50,000.00", "¥20,000.00", "¥17,654.50", "陪诊陪护", "低保", "60岁以上", "郓城县慈善总会", "尚无拨付记录"} {
			if !strings.Contains(body, want) {
				t.Errorf("need page lacks %q", want)
			}
		}
	})
	t.Run("an unknown need is an HTML 404", func(t *testing.T) {
		if r := b.do(http.MethodGet, "/needs/01jjnosuchneed00000000000", nil); r.Code != 404 {
			t.Errorf("status %d", r.Code)
		}
	})
	t.Run("English", func(t *testing.T) {
		req := httpGet("/needs/"+edu.ID, "Accept-Language", "en-GB")
		body := serve(env, req).Body.String()
		for _, want := range []string{"Education", "Emergency", "¥12,345.50 of ¥30,000.00 raised", "31 Dec 2026"} {
			if !strings.Contains(body, want) {
				t.Errorf("English need page lacks %q", want)
			}
		}
	})
}

// httpGet builds a browser GET with header pairs.
func httpGet(path string, headers ...string) *http.Request {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Accept", "text/html")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return req
}

// serve answers req with env's server.
func serve(env *testEnv, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	env.srv.Echo.ServeHTTP(rec, req)
	return rec
}

// TestNeedPagesReadTheDatabaseAndIndex: the pages are wired to the real
// browsing service: a need written to the database and indexed from the
// search outbox is listed and shown; an unpublished one is not.
func TestNeedPagesReadTheDatabaseAndIndex(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		base := needfixture.Setup(t, env.db, "郓城县阳光社会工作服务中心")
		_, ids := base.Insert(t, env.db,
			needfixture.Need{PublicTitle: "白血病化疗费用", Urgency: "emergency", RequestedFen: 8_000_050},
			needfixture.Need{PublicTitle: "未发布的求助", Unpublished: true},
		)
		if _, err := env.indexer.Drain(context.Background()); err != nil {
			t.Fatal(err)
		}
		b := newBrowser(env)
		body := b.do(http.MethodGet, "/needs", nil).Body.String()
		if !strings.Contains(body, "白血病化疗费用") || strings.Contains(body, "未发布的求助") || !strings.Contains(body, "共 1 条求助") {
			t.Errorf("list: %.300s", body)
		}
		if r := b.do(http.MethodGet, "/needs/"+ids[0], nil); r.Code != 200 || !strings.Contains(r.Body.String(), "¥80,000.50") {
			t.Errorf("need page: %d", r.Code)
		}
		if r := b.do(http.MethodGet, "/needs/"+ids[1], nil); r.Code != 404 {
			t.Errorf("unpublished need page: %d, want 404", r.Code)
		}
		if home := b.do(http.MethodGet, "/", nil).Body.String(); !strings.Contains(home, "白血病化疗费用") {
			t.Error("home page lacks the urgent need")
		}
	})
}
