package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/marketplace"
)

// fakeMeili is a recorded HTTP contract of Meilisearch v1: it checks the
// key on every request, records each request and answers with a response
// shaped as the Meilisearch API reference documents it.
type fakeMeili struct {
	t    *testing.T
	key  string
	mu   sync.Mutex
	reqs []recorded
	// answers by "METHOD path": status and body; a body may be a func of
	// the request body.
	answers map[string]func(body []byte) (int, string)
}

type recorded struct {
	method, path, query string
	body                []byte
}

func (f *fakeMeili) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.reqs = append(f.reqs, recorded{r.Method, r.URL.Path, r.URL.RawQuery, body})
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if r.Header.Get("Authorization") != "Bearer "+f.key {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"message":"The provided API key is invalid.","code":"invalid_api_key","type":"auth","link":"https://docs.meilisearch.com/errors#invalid_api_key"}`)
		return
	}
	a, ok := f.answers[r.Method+" "+r.URL.Path]
	if !ok {
		f.t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"message":"not found","code":"not_found","type":"invalid_request","link":""}`)
		return
	}
	status, out := a(body)
	w.WriteHeader(status)
	io.WriteString(w, out)
}

// last returns the body of the last request to METHOD path, decoded.
func (f *fakeMeili) last(t *testing.T, method, path string, v any) recorded {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.reqs) - 1; i >= 0; i-- {
		if r := f.reqs[i]; r.method == method && r.path == path {
			if v != nil {
				if err := json.Unmarshal(r.body, v); err != nil {
					t.Fatalf("%s %s body %s: %v", method, path, r.body, err)
				}
			}
			return r
		}
	}
	t.Fatalf("no request %s %s", method, path)
	return recorded{}
}

func (f *fakeMeili) count(method, path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.reqs {
		if r.method == method && r.path == path {
			n++
		}
	}
	return n
}

func enqueued(uid int, typ string) func([]byte) (int, string) {
	return func([]byte) (int, string) {
		return http.StatusAccepted, fmt.Sprintf(`{"taskUid":%d,"indexUid":"needs","status":"enqueued","type":%q,"enqueuedAt":"2026-11-20T12:00:00.000000Z"}`, uid, typ)
	}
}

func task(uid int, typ, status, errJSON string) func([]byte) (int, string) {
	return func([]byte) (int, string) {
		e := "null"
		if errJSON != "" {
			e = errJSON
		}
		return http.StatusOK, fmt.Sprintf(`{"uid":%d,"batchUid":%d,"indexUid":"needs","status":%q,"type":%q,"canceledBy":null,"details":{},"error":%s,"duration":"PT0.01S","enqueuedAt":"2026-11-20T12:00:00.000000Z","startedAt":"2026-11-20T12:00:00.001000Z","finishedAt":"2026-11-20T12:00:00.011000Z"}`, uid, uid, status, typ, e)
	}
}

func newFakeMeili(t *testing.T) (*fakeMeili, *httptest.Server) {
	f := &fakeMeili{t: t, key: "masterKey-test", answers: map[string]func([]byte) (int, string){
		"POST /indexes": enqueued(1, "indexCreation"),
		// The index exists already: NewMeili must go on.
		"GET /tasks/1": task(1, "indexCreation", "failed",
			`{"message":"Index `+"`needs`"+` already exists.","code":"index_already_exists","type":"invalid_request","link":"https://docs.meilisearch.com/errors#index_already_exists"}`),
		"PATCH /indexes/needs/settings":              enqueued(2, "settingsUpdate"),
		"GET /tasks/2":                               task(2, "settingsUpdate", "succeeded", ""),
		"POST /indexes/needs/documents":              enqueued(3, "documentAdditionOrUpdate"),
		"GET /tasks/3":                               task(3, "documentAdditionOrUpdate", "succeeded", ""),
		"POST /indexes/needs/documents/delete-batch": enqueued(4, "documentDeletion"),
		"GET /tasks/4":                               task(4, "documentDeletion", "succeeded", ""),
		"GET /indexes/needs/stats": func([]byte) (int, string) {
			return http.StatusOK, `{"numberOfDocuments":8,"rawDocumentDbSize":32768,"avgDocumentSize":1024,"isIndexing":false,"numberOfEmbeddings":0,"numberOfEmbeddedDocuments":0,"fieldDistribution":{"id":8,"title":8,"story":8,"need":8}}`
		},
	}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func TestMeiliContract(t *testing.T) {
	f, srv := newFakeMeili(t)
	ctx := context.Background()
	m, err := newMeili(srv.URL, f.key, "needs", time.Millisecond)
	if err != nil {
		t.Fatalf("NewMeili: %v", err)
	}

	t.Run("creates the index with primary key id", func(t *testing.T) {
		var body map[string]any
		f.last(t, "POST", "/indexes", &body)
		if body["uid"] != "needs" || body["primaryKey"] != "id" {
			t.Errorf("create index body %v", body)
		}
	})

	t.Run("configures the attributes in code", func(t *testing.T) {
		var s struct {
			Searchable []string `json:"searchableAttributes"`
			Filterable []string `json:"filterableAttributes"`
			Sortable   []string `json:"sortableAttributes"`
			Displayed  []string `json:"displayedAttributes"`
			Localized  []struct {
				Locales  []string `json:"locales"`
				Patterns []string `json:"attributePatterns"`
			} `json:"localizedAttributes"`
			Faceting   struct{ MaxValuesPerFacet int } `json:"faceting"`
			Pagination struct{ MaxTotalHits int }      `json:"pagination"`
		}
		f.last(t, "PATCH", "/indexes/needs/settings", &s)
		if !reflect.DeepEqual(s.Searchable, []string{"title", "story"}) {
			t.Errorf("searchable %v", s.Searchable)
		}
		for _, a := range []string{"category", "status", "urgency", "region", "region_canon", "notice_ends_ms", "deadline_ms", "remaining_fen"} {
			if !contains(s.Filterable, a) {
				t.Errorf("%s not filterable: %v", a, s.Filterable)
			}
		}
		for _, a := range []string{"urgency_rank", "deadline_ms", "remaining_fen", "published_ms", "id"} {
			if !contains(s.Sortable, a) {
				t.Errorf("%s not sortable: %v", a, s.Sortable)
			}
		}
		if len(s.Localized) != 1 || !reflect.DeepEqual(s.Localized[0].Locales, []string{"cmn"}) || !contains(s.Localized[0].Patterns, "story") {
			t.Errorf("localized attributes %+v", s.Localized)
		}
		if !reflect.DeepEqual(s.Displayed, []string{"need"}) || s.Faceting.MaxValuesPerFacet < 3400 || s.Pagination.MaxTotalHits < 100000 {
			t.Errorf("displayed %v faceting %+v pagination %+v", s.Displayed, s.Faceting, s.Pagination)
		}
	})

	t.Run("upsert sends the projection with filter and sort fields, and waits", func(t *testing.T) {
		needs := suiteNeeds()
		if err := m.Upsert(ctx, needs); err != nil {
			t.Fatal(err)
		}
		var docs []map[string]json.RawMessage
		r := f.last(t, "POST", "/indexes/needs/documents", &docs)
		if r.query != "primaryKey=id" {
			t.Errorf("query %q, want primaryKey=id", r.query)
		}
		if len(docs) != len(needs) {
			t.Fatalf("%d documents sent", len(docs))
		}
		var got struct {
			ID          string                  `json:"id"`
			Region      []string                `json:"region"`
			RegionCanon string                  `json:"region_canon"`
			Deadline    int64                   `json:"deadline_ms"`
			NoticeEnds  int64                   `json:"notice_ends_ms"`
			Rank        int                     `json:"urgency_rank"`
			Need        *marketplace.PublicNeed `json:"need"`
		}
		b, _ := json.Marshal(docs[1]) // n02, shown at city level
		json.Unmarshal(b, &got)
		if got.ID != "n02" || !reflect.DeepEqual(got.Region, []string{"37", "3717"}) || got.RegionCanon != "3717" || got.Rank != 1 ||
			got.Deadline != needs[1].Deadline.UnixMilli() || got.NoticeEnds != farFuture || got.Need == nil || got.Need.Title != needs[1].Title {
			t.Errorf("document %s", b)
		}
		if f.count("GET", "/tasks/3") == 0 {
			t.Error("upsert did not wait for its task")
		}
	})

	t.Run("search sends words as phrases, a quoted filter, sort, page and facets", func(t *testing.T) {
		n01, n05 := suiteNeeds()[0], suiteNeeds()[4]
		hit := func(n marketplace.PublicNeed) string {
			b, _ := json.Marshal(map[string]any{"need": n})
			return string(b)
		}
		f.answers["POST /indexes/needs/search"] = func([]byte) (int, string) {
			return http.StatusOK, `{"hits":[` + hit(n05) + `,` + hit(n01) + `],"query":"\"医疗\"","processingTimeMs":1,"hitsPerPage":2,"page":1,"totalPages":1,"totalHits":2,` +
				`"facetDistribution":{"category":{"medical":2},"region_canon":{"371725":1,"610524":1}},"facetStats":{}}`
		}
		r, err := m.Search(ctx, Query{Q: `医疗"`, Categories: []kernel.Category{kernel.CatMedical}, RegionPrefix: "37",
			Statuses: []kernel.NeedStatus{kernel.NeedOpen, kernel.NeedFunded}, Sort: SortDeadline, PerPage: 2, Now: suiteNow})
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		f.last(t, "POST", "/indexes/needs/search", &body)
		now := fmt.Sprint(suiteNow.UnixMilli())
		want := map[string]any{
			"q": `"医疗"`,
			"filter": `category IN ["medical"] AND region = "37" AND (((status = "open" OR (status = "notice" AND notice_ends_ms <= ` + now +
				`)) AND NOT (status = "expired" OR (status IN ["open", "notice"] AND deadline_ms < ` + now + ` AND remaining_fen > 0))) OR status = "funded")`,
			"sort": []any{"deadline_ms:asc", "id:asc"},
			"page": 1.0, "hitsPerPage": 2.0,
			"facets": []any{"category", "region_canon"}, "attributesToRetrieve": []any{"need"},
			"matchingStrategy": "all", "locales": []any{"cmn"},
		}
		for k, v := range want {
			if !reflect.DeepEqual(body[k], v) {
				t.Errorf("search %s = %#v, want %#v", k, body[k], v)
			}
		}
		if got := ids(r); !reflect.DeepEqual(got, []string{"n05", "n01"}) || r.Total != 2 {
			t.Errorf("result %v total %d", got, r.Total)
		}
		wantFacets := Facets{Categories: map[kernel.Category]int{"medical": 2}, Provinces: map[string]int{"37": 1, "61": 1},
			Cities: map[string]int{"3717": 1, "6105": 1}, Counties: map[string]int{"371725": 1, "610524": 1}}
		if !reflect.DeepEqual(r.Facets, wantFacets) {
			t.Errorf("facets %+v", r.Facets)
		}
	})

	t.Run("documents show the effective status", func(t *testing.T) {
		n03 := suiteNeeds()[2] // stored as notice, notice ended an hour before suiteNow
		f.answers["POST /indexes/needs/search"] = func([]byte) (int, string) {
			b, _ := json.Marshal(map[string]any{"hits": []any{map[string]any{"need": n03}}, "query": "", "processingTimeMs": 0,
				"hitsPerPage": 20, "page": 1, "totalPages": 1, "totalHits": 1, "facetDistribution": map[string]any{}})
			return http.StatusOK, string(b)
		}
		r, err := m.Search(ctx, Query{Statuses: []kernel.NeedStatus{kernel.NeedOpen}, Now: suiteNow})
		if err != nil || len(r.Needs) != 1 || r.Needs[0].Status != kernel.NeedOpen {
			t.Fatalf("%+v %v", r, err)
		}
		var body map[string]any
		f.last(t, "POST", "/indexes/needs/search", &body)
		if _, ok := body["q"]; !ok || body["q"] != "" {
			t.Errorf("empty query sent as %v", body["q"])
		}
	})

	t.Run("injection never reaches the filter", func(t *testing.T) {
		before := f.count("POST", "/indexes/needs/search")
		for _, q := range []Query{
			{Statuses: []kernel.NeedStatus{`open" OR status = "draft`}},
			{Categories: []kernel.Category{`medical" OR status = "draft`}},
			{Urgencies: []kernel.Urgency{`normal") OR (status = "draft`}},
			{RegionPrefix: `37" OR status = "draft`},
		} {
			var v *kernel.ValidationError
			if _, err := m.Search(ctx, q); !errors.As(err, &v) {
				t.Errorf("query %+v: %v, want a validation error", q, err)
			}
		}
		if f.count("POST", "/indexes/needs/search") != before {
			t.Error("a refused query was sent")
		}
		// Free text is words only, each a phrase: no quote gets through.
		f.answers["POST /indexes/needs/search"] = func([]byte) (int, string) {
			return http.StatusOK, `{"hits":[],"query":"","processingTimeMs":0,"hitsPerPage":20,"page":1,"totalPages":0,"totalHits":0,"facetDistribution":{}}`
		}
		if _, err := m.Search(ctx, Query{Q: `" OR status = "draft`}); err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		f.last(t, "POST", "/indexes/needs/search", &body)
		if body["q"] != `"or" "status" "draft"` || body["filter"] != nil {
			t.Errorf("q %v filter %v", body["q"], body["filter"])
		}
		// And the quoting itself escapes, should a value ever bypass validation.
		p := &plan{Query: Query{Statuses: []kernel.NeedStatus{`x" OR status = "draft`}, Categories: []kernel.Category{`a\" OR 1`}}}
		got := meiliFilter(p)
		want := `category IN ["a\\\" OR 1"] AND (status = "x\" OR status = \"draft")`
		if got != want {
			t.Errorf("filter\n got %s\nwant %s", got, want)
		}
	})

	t.Run("text without a word asks nothing and finds nothing", func(t *testing.T) {
		before := f.count("POST", "/indexes/needs/search")
		r, err := m.Search(ctx, Query{Q: `*:~(\`})
		if err != nil || r.Total != 0 || len(r.Needs) != 0 || f.count("POST", "/indexes/needs/search") != before {
			t.Errorf("%+v %v", r, err)
		}
	})

	t.Run("delete and count", func(t *testing.T) {
		if err := m.Delete(ctx, []string{"n07"}); err != nil {
			t.Fatal(err)
		}
		var body []string
		f.last(t, "POST", "/indexes/needs/documents/delete-batch", &body)
		if !reflect.DeepEqual(body, []string{"n07"}) {
			t.Errorf("delete body %v", body)
		}
		if n, err := m.Count(ctx); err != nil || n != 8 {
			t.Errorf("count %d %v", n, err)
		}
	})

	t.Run("a failed task is an error", func(t *testing.T) {
		f.answers["GET /tasks/3"] = task(3, "documentAdditionOrUpdate", "failed",
			`{"message":"Document identifier `+"`bad id`"+` is invalid.","code":"invalid_document_id","type":"invalid_request","link":"https://docs.meilisearch.com/errors#invalid_document_id"}`)
		err := m.Upsert(ctx, suiteNeeds()[:1])
		if err == nil || !strings.Contains(err.Error(), "invalid_document_id") {
			t.Errorf("error %v", err)
		}
	})

	t.Run("a wrong key is refused", func(t *testing.T) {
		if _, err := newMeili(srv.URL, "wrong", "needs", time.Millisecond); err == nil {
			t.Error("NewMeili with a wrong key succeeded")
		}
	})
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestMeiliLive runs the behavioural suite on a real Meilisearch server
// when MEILI_URL (and MEILI_API_KEY) are set.
func TestMeiliLive(t *testing.T) {
	url := os.Getenv("MEILI_URL")
	if url == "" {
		t.Skip("MEILI_URL not set: no Meilisearch server to test against (the contract test above runs instead)")
	}
	name := fmt.Sprintf("jiujinan_test_%d", time.Now().UnixNano())
	m, err := NewMeili(url, os.Getenv("MEILI_API_KEY"), name)
	if err != nil {
		t.Fatal(err)
	}
	testIndex(t, m)
}
