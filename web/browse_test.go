package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/marketplace/gormstore/needfixture"
	"github.com/jiujinan/jiujinan/marketplace/search"
)

func init() {
	addRouteAccess(map[string][]string{
		"GET /api/v1/needs":     {"*"},
		"GET /api/v1/needs/:id": {"*"},
		"GET /api/v1/regions":   {"*"},
		"GET /api/v1/codes":     {"*"},
	})
}

// browseFixture is a small marketplace: six public needs and one hidden
// need of each kind, every one of them with words the searches look for.
type browseFixture struct {
	env    *testEnv
	base   needfixture.Base
	rowIDs map[string]int64
	ids    map[string]string // name → public id
	names  map[string]string // public id → name
}

func newBrowseFixture(t *testing.T, env *testEnv) *browseFixture {
	t.Helper()
	f := &browseFixture{env: env, base: needfixture.Setup(t, env.db, "阳光社工服务中心"),
		rowIDs: map[string]int64{}, ids: map[string]string{}, names: map[string]string{}}
	now := *env.now.Load()
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	const day = 24 * time.Hour
	needs := map[string]needfixture.Need{
		"leukemia": {Category: "medical", PublicRegionCode: "371725", PublicOrgShown: true, Urgency: "emergency", Emergency: true,
			PublicTitle: "白血病患儿急需医疗费", PublicStory: "孩子确诊急性白血病，需要骨髓移植。",
			VerifiedCostFen: 900000, FundedFen: 100000, Deadline: at(2 * day), PublishedAt: at(-10 * day)},
		"college": {Category: "education", PublicRegionCode: "371700", Urgency: "normal",
			PublicTitle: "大学新生助学", PublicStory: "家庭困难，学费无着落，申请助学金。",
			VerifiedCostFen: 600000, Deadline: at(30 * day), PublishedAt: at(-2 * day)},
		"dialysis": {Category: "medical", PublicRegionCode: "430524", Urgency: "urgent", Status: "notice", NoticeEndsAt: at(time.Hour),
			PublicTitle: "尿毒症透析费用", PublicStory: "需要长期透析，医疗费用沉重。",
			VerifiedCostFen: 300000, PublishedAt: at(-3 * day)},
		"house": {Category: "housing", PublicRegionCode: "371726", Urgency: "normal",
			PublicTitle: "危房改造", PublicStory: "房屋漏雨，墙体开裂。",
			VerifiedCostFen: 2000000, PublishedAt: at(-1 * day)},
		"funded": {Category: "education", PublicRegionCode: "371725", Status: "funded",
			PublicTitle: "留守儿童助学", PublicStory: "父母外出务工，学费困难。",
			VerifiedCostFen: 200000, FundedFen: 200000, PublishedAt: at(-20 * day)},
		"chemo": {Category: "medical", PublicRegionCode: "371725", Urgency: "urgent",
			PublicTitle: "化疗费用", PublicStory: "医生建议尽快化疗。",
			VerifiedCostFen: 400000, Deadline: at(5 * day), PublishedAt: at(-4 * day)},
		// Never public, whatever is searched.
		"draft":       {Status: "draft", Unpublished: true, PublicTitle: "医疗助学白血病", PublicStory: "医疗"},
		"submitted":   {Status: "submitted", Unpublished: true, PublicTitle: "医疗助学白血病", PublicStory: "医疗"},
		"rejected":    {Status: "rejected", PublicTitle: "医疗助学白血病", PublicStory: "医疗"},
		"withdrawn":   {Status: "withdrawn", PublicTitle: "医疗助学白血病", PublicStory: "医疗"},
		"suspended":   {Status: "suspended", PublicTitle: "医疗助学白血病", PublicStory: "医疗"},
		"referred":    {Status: "referred", PublicTitle: "医疗助学白血病", PublicStory: "医疗"},
		"unpublished": {Status: "open", Unpublished: true, PublicTitle: "医疗助学白血病", PublicStory: "医疗"},
		"no_consent":  {Status: "open", NoConsent: true, PublicTitle: "医疗助学白血病", PublicStory: "医疗"},
	}
	var names []string
	for name := range needs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		rows, ids := f.base.Insert(t, env.db, needs[name])
		f.rowIDs[name], f.ids[name], f.names[ids[0]] = rows[0], ids[0], name
	}
	f.drain(t)
	return f
}

func (f *browseFixture) drain(t *testing.T) {
	t.Helper()
	if _, err := f.env.indexer.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
}

var hiddenNeeds = []string{"draft", "submitted", "rejected", "withdrawn", "suspended", "referred", "unpublished", "no_consent"}

type needListBody struct {
	Items   []marketplace.PublicNeed `json:"items"`
	Total   int                      `json:"total"`
	Page    int                      `json:"page"`
	PerPage int                      `json:"per_page"`
	Facets  struct {
		Category map[string]int `json:"category"`
		Region   map[string]int `json:"region"`
	} `json:"facets"`
}

// list calls GET /needs?query and returns the body and the names of the
// needs listed, in order.
func (f *browseFixture) list(t *testing.T, query string) (needListBody, []string) {
	t.Helper()
	r := f.env.do(http.MethodGet, "/api/v1/needs?"+query, "", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /needs?%s: %d %s", query, r.Status, r.Body)
	}
	var b needListBody
	if err := json.Unmarshal(r.Body, &b); err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, n := range b.Items {
		name, ok := f.names[n.ID]
		if !ok {
			name = "?" + n.ID
		}
		names = append(names, name)
	}
	return b, names
}

func sortedNames(s []string) []string { c := slices.Clone(s); sort.Strings(c); return c }

func TestNeedSearchFiltersAndChineseText(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		f := newBrowseFixture(t, env)
		cases := []struct {
			name, query string
			want        []string // sorted
		}{
			{"default is open and notice", "", []string{"chemo", "college", "dialysis", "house", "leukemia"}},
			{"two-character word 医疗", "q=" + url.QueryEscape("医疗"), []string{"dialysis", "leukemia"}},
			{"two-character word 助学", "q=" + url.QueryEscape("助学"), []string{"college"}},
			{"助学 among funded needs", "q=" + url.QueryEscape("助学") + "&status=funded", []string{"funded"}},
			{"助学 open or funded, comma list", "q=" + url.QueryEscape("助学") + "&status=open,funded", []string{"college", "funded"}},
			{"three-character word 白血病", "q=" + url.QueryEscape("白血病"), []string{"leukemia"}},
			{"医生 is not 医疗", "q=" + url.QueryEscape("医生"), []string{"chemo"}},
			{"two words must both match", "q=" + url.QueryEscape("医疗 骨髓"), []string{"leukemia"}},
			{"医疗 in a province", "q=" + url.QueryEscape("医疗") + "&region=37", []string{"leukemia"}},
			{"医疗 with a category", "q=" + url.QueryEscape("医疗") + "&category=medical&region=43", []string{"dialysis"}},
			{"助学 in the city the need was coarsened to", "q=" + url.QueryEscape("助学") + "&region=3717", []string{"college"}},
			{"a coarsened need is not in a county", "q=" + url.QueryEscape("助学") + "&region=371725", nil},
			{"6-digit city code", "region=371700", []string{"chemo", "college", "house", "leukemia"}},
			{"repeated category", "category=medical&category=housing", []string{"chemo", "dialysis", "house", "leukemia"}},
			{"urgency", "urgency=urgent", []string{"chemo", "dialysis"}},
			{"notice only", "status=notice", []string{"dialysis"}},
			{"every public status", "status=notice,open,funded,disbursed,closed", []string{"chemo", "college", "dialysis", "funded", "house", "leukemia"}},
			{"query syntax is plain text", "q=" + url.QueryEscape(`医疗"*(~:`), []string{"dialysis", "leukemia"}},
			{"text without words matches nothing", "q=" + url.QueryEscape("!!!"), nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				b, got := f.list(t, tc.query)
				if !slices.Equal(sortedNames(got), sortedNames(tc.want)) && !(len(got) == 0 && len(tc.want) == 0) {
					t.Errorf("got %v, want %v", got, tc.want)
				}
				if b.Total != len(tc.want) {
					t.Errorf("total %d, want %d", b.Total, len(tc.want))
				}
			})
		}
		for _, name := range hiddenNeeds {
			if r := env.do(http.MethodGet, "/api/v1/needs/"+f.ids[name], "", nil); r.Status != http.StatusNotFound {
				t.Errorf("GET %s need: %d, want 404", name, r.Status)
			}
		}
		r := env.do(http.MethodGet, "/api/v1/needs/"+f.ids["leukemia"], "", nil)
		if r.Status != http.StatusOK {
			t.Fatalf("GET leukemia: %d %s", r.Status, r.Body)
		}
		m := r.JSON(t)
		for k, want := range map[string]any{"id": f.ids["leukemia"], "status": "open", "category": "medical", "region_code": "371725",
			"region_name": "山东省菏泽市郓城县", "title": "白血病患儿急需医疗费", "requested_fen": 900000.0, "funded_fen": 100000.0,
			"remaining_fen": 800000.0, "urgency": "emergency", "emergency": true, "org_name": "阳光社工服务中心", "org_id": f.base.OrgPublicID} {
			if m[k] != want {
				t.Errorf("GET leukemia: %s = %v, want %v", k, m[k], want)
			}
		}
		if r := env.do(http.MethodGet, "/api/v1/needs/no-such-need", "", nil); r.Status != http.StatusNotFound {
			t.Errorf("unknown need: %d", r.Status)
		}
	})
}

func TestNeedSearchFacetsSortAndPaging(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		f := newBrowseFixture(t, env)
		b, _ := f.list(t, "")
		if want := map[string]int{"medical": 3, "education": 1, "housing": 1}; !mapsEqual(b.Facets.Category, want) {
			t.Errorf("category facet %v, want %v", b.Facets.Category, want)
		}
		if want := map[string]int{"37": 4, "43": 1}; !mapsEqual(b.Facets.Region, want) {
			t.Errorf("region facet %v, want %v", b.Facets.Region, want)
		}
		b, _ = f.list(t, "region=37")
		if want := map[string]int{"3717": 4}; !mapsEqual(b.Facets.Region, want) {
			t.Errorf("region facet in 37: %v, want %v", b.Facets.Region, want)
		}
		// The coarsened need counts in the city, but in none of its counties.
		b, _ = f.list(t, "region=3717")
		if want := map[string]int{"371725": 2, "371726": 1}; !mapsEqual(b.Facets.Region, want) || b.Total != 4 {
			t.Errorf("region facet in 3717: %v (total %d), want %v", b.Facets.Region, b.Total, want)
		}
		b, _ = f.list(t, "q="+url.QueryEscape("医疗")+"&region=37")
		if want := map[string]int{"medical": 1}; !mapsEqual(b.Facets.Category, want) {
			t.Errorf("facets follow the query: %v, want %v", b.Facets.Category, want)
		}

		for _, tc := range []struct{ sort, want string }{
			{"", "leukemia chemo dialysis college house"},         // urgency, then nearest deadline
			{"urgency", "leukemia chemo dialysis college house"},  // dialysis has no deadline: last of the urgent
			{"deadline", "leukemia chemo college dialysis house"}, // no deadline last (by id among them)
			{"remaining", "dialysis chemo college leukemia house"},
			{"newest", "house college dialysis chemo leukemia"},
		} {
			_, got := f.list(t, "sort="+tc.sort)
			if tc.sort == "deadline" {
				// dialysis and house have no deadline: their order is by id.
				got = append(got[:3], sortedNames(got[3:])...)
				tc.want = strings.Join(append(strings.Fields(tc.want)[:3], sortedNames(strings.Fields(tc.want)[3:])...), " ")
			}
			if strings.Join(got, " ") != tc.want {
				t.Errorf("sort=%s: %v, want %s", tc.sort, got, tc.want)
			}
		}

		_, all := f.list(t, "sort=remaining")
		var paged []string
		for page := 1; page <= 3; page++ {
			b, got := f.list(t, fmt.Sprintf("sort=remaining&per_page=2&page=%d", page))
			if b.Total != 5 || b.Page != page || b.PerPage != 2 {
				t.Errorf("page %d: total %d page %d per_page %d", page, b.Total, b.Page, b.PerPage)
			}
			paged = append(paged, got...)
		}
		if !slices.Equal(paged, all) {
			t.Errorf("pages %v, want %v", paged, all)
		}
		if b, got := f.list(t, "per_page=2&page=4"); len(got) != 0 || b.Total != 5 {
			t.Errorf("past the end: %v, total %d", got, b.Total)
		}
	})
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestNeedSearchRefusesBadParameters(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	for _, tc := range []struct{ query, field string }{
		{"page=0", "page"}, {"page=abc", "page"}, {"page=-1", "page"}, {"page=99999999999999999999", "page"},
		{"per_page=0", "per_page"}, {"per_page=101", "per_page"}, {"per_page=2.5", "per_page"},
		{"page=200&per_page=100", "page"},
		{"sort=price", "sort"}, {"category=food", "category"}, {"category=medical&category=x", "category"},
		{"urgency=now", "urgency"}, {"status=suspended", "status"}, {"status=draft", "status"}, {"status=rejected", "status"},
		{"status=open,withdrawn", "status"}, {"region=99", "region"}, {"region=1101", "region"}, {"region=37x", "region"},
		{"region=371725001", "region"}, {"region=" + url.QueryEscape("' OR 1=1 --"), "region"},
		{"q=" + url.QueryEscape(strings.Repeat("医", 201)), "q"},
	} {
		r := env.do(http.MethodGet, "/api/v1/needs?"+tc.query, "", nil)
		var e errorBody
		_ = json.Unmarshal(r.Body, &e)
		if r.Status != http.StatusBadRequest || e.Error.Fields[tc.field] == "" {
			t.Errorf("%s: %d %s, want 400 naming %s", tc.query, r.Status, r.Body, tc.field)
		}
	}
}

// A need in notice is open as soon as its notice ends: the listing, its
// filters and the single need say so with no job and no reindex.
func TestNoticeEndsOpenWithoutReindex(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		f := newBrowseFixture(t, env)
		if _, got := f.list(t, "status=open"); slices.Contains(got, "dialysis") {
			t.Fatalf("dialysis open before its notice ends: %v", got)
		}
		env.advance(time.Hour)
		if _, got := f.list(t, "status=open"); !slices.Contains(got, "dialysis") {
			t.Errorf("dialysis not open when its notice has ended: %v", got)
		}
		if _, got := f.list(t, "status=notice"); len(got) != 0 {
			t.Errorf("still in notice: %v", got)
		}
		b, _ := f.list(t, "q="+url.QueryEscape("透析"))
		if len(b.Items) != 1 || b.Items[0].Status != kernel.NeedOpen {
			t.Errorf("listed as %+v, want open", b.Items)
		}
		if m := env.do(http.MethodGet, "/api/v1/needs/"+f.ids["dialysis"], "", nil).JSON(t); m["status"] != "open" {
			t.Errorf("GET: status %v, want open", m["status"])
		}
	})
}

// A need that is suspended after publication disappears from the listing
// once the outbox is drained, and from GET at once; it comes back when the
// suspension is lifted. A change of amounts is visible after the drain.
func TestSuspendedNeedDisappears(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		f := newBrowseFixture(t, env)
		needfixture.Update(t, env.db, f.rowIDs["leukemia"], map[string]any{"status": "suspended"})
		if r := env.do(http.MethodGet, "/api/v1/needs/"+f.ids["leukemia"], "", nil); r.Status != http.StatusNotFound {
			t.Errorf("GET suspended: %d, want 404", r.Status)
		}
		f.drain(t)
		if _, got := f.list(t, "status=notice,open,funded,disbursed,closed"); slices.Contains(got, "leukemia") {
			t.Errorf("suspended need listed: %v", got)
		}
		needfixture.Update(t, env.db, f.rowIDs["leukemia"], map[string]any{"status": "open", "funded_fen": 850000})
		f.drain(t)
		b, got := f.list(t, "q="+url.QueryEscape("白血病"))
		if !slices.Equal(got, []string{"leukemia"}) || b.Items[0].RemainingFen != 50000 {
			t.Errorf("after the suspension is lifted: %v %+v", got, b.Items)
		}
	})
}

// Nothing of a need's private columns reaches a public answer or the
// search index: the index holds exactly the projections.
func TestSearchIndexHoldsOnlyProjections(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		base := needfixture.Setup(t, env.db, "阳光社工服务中心")
		secrets := []string{"王小明", "370725199001011234", "13812345678", "郓城县张营镇王庄村3号", "住院号A12345",
			strings.Repeat("9f", 32), "orphan", "severe_disability", "371725"}
		_, ids := base.Insert(t, env.db,
			needfixture.Need{
				PrivateCT:            []byte(strings.Join(secrets[:5], "|")),
				Pseudonym:            secrets[5],
				HouseholdTypes:       "orphan,severe_disability",
				PublicHouseholdTypes: "",
				RegionCode:           "371725",
				PublicRegionCode:     "371700",
				PublicTitle:          "某某患病急需医疗费",
				PublicStory:          "患者某某，住院治疗，费用沉重。",
			},
			needfixture.Need{Status: "rejected", PrivateCT: []byte("王小明"), PublicTitle: "王小明 医疗", PublicRegionCode: "371725"},
		)
		if _, err := env.indexer.Drain(context.Background()); err != nil {
			t.Fatal(err)
		}
		want, err := env.store.PublicNeed(context.Background(), ids[0], *env.now.Load())
		if err != nil {
			t.Fatal(err)
		}
		res, err := env.index.Search(context.Background(), search.Query{Now: *env.now.Load(), PerPage: 100,
			Statuses: []kernel.NeedStatus{"notice", "open", "funded", "disbursed", "closed", "rejected", "draft", "suspended", "withdrawn"}})
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := env.index.Count(context.Background()); n != 1 || len(res.Needs) != 1 {
			t.Fatalf("index holds %d needs (%d found), want the 1 public one", n, len(res.Needs))
		}
		gotJSON, _ := json.Marshal(res.Needs[0])
		wantJSON, _ := json.Marshal(want)
		if !bytes.Equal(gotJSON, wantJSON) {
			t.Errorf("index document\n %s\nis not the projection\n %s", gotJSON, wantJSON)
		}
		var bodies [][]byte
		for _, p := range []string{"/api/v1/needs", "/api/v1/needs?q=" + url.QueryEscape("医疗"), "/api/v1/needs/" + ids[0], "/api/v1/needs/" + ids[1]} {
			bodies = append(bodies, env.do(http.MethodGet, p, "", nil).Body)
		}
		bodies = append(bodies, env.logs.Bytes())
		// Every file of the index folder, too.
		dir := indexDir(t, env)
		_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				b, _ := os.ReadFile(path)
				bodies = append(bodies, b)
			}
			return nil
		})
		for _, b := range bodies {
			for _, s := range secrets {
				if bytes.Contains(b, []byte(s)) {
					t.Errorf("private %q found in a public answer, log or index file", s)
				}
			}
		}
	})
}

// indexDir finds the test env's index folder (the only Bleve folder in its
// temp dirs).
func indexDir(t *testing.T, env *testEnv) string {
	t.Helper()
	return env.indexPath
}

func TestRegionsAndCodes(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	var out struct {
		Items []struct{ Code, Prefix, Name, Level string } `json:"items"`
	}
	decode := func(path string) {
		t.Helper()
		r := env.do(http.MethodGet, path, "", nil)
		if r.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", path, r.Status, r.Body)
		}
		out.Items = nil
		if err := json.Unmarshal(r.Body, &out); err != nil {
			t.Fatal(err)
		}
	}
	decode("/api/v1/regions")
	if len(out.Items) != 31 || out.Items[0].Code != "110000" || out.Items[0].Name != "北京市" || out.Items[0].Prefix != "11" {
		t.Errorf("provinces: %d, first %+v", len(out.Items), out.Items[0])
	}
	for _, parent := range []string{"3717", "371700"} {
		decode("/api/v1/regions?parent=" + parent)
		names := []string{}
		for _, it := range out.Items {
			names = append(names, it.Name)
		}
		if !slices.Contains(names, "郓城县") || out.Items[0].Level != "county" {
			t.Errorf("parent=%s: %v", parent, out.Items)
		}
	}
	for _, bad := range []string{"99", "abc", "1101"} {
		r := env.do(http.MethodGet, "/api/v1/regions?parent="+bad, "", nil)
		var e errorBody
		_ = json.Unmarshal(r.Body, &e)
		if r.Status != http.StatusBadRequest || e.Error.Fields["parent"] == "" {
			t.Errorf("parent=%s: %d %s", bad, r.Status, r.Body)
		}
	}
	// ?q= finds the divisions a typed code or name names (issue 17).
	for _, tc := range []struct {
		q     string
		codes []string
	}{
		{"郓城县", []string{"371725"}},
		{"山东省菏泽市郓城县", []string{"371725"}},
		{"371725", []string{"371725"}},
		{"朝阳区", []string{"110105", "220104"}},
		{"不存在县", []string{}},
	} {
		decode("/api/v1/regions?q=" + url.QueryEscape(tc.q))
		codes := []string{}
		for _, it := range out.Items {
			codes = append(codes, it.Code)
		}
		if !slices.Equal(codes, tc.codes) {
			t.Errorf("q=%s: %v, want %v", tc.q, codes, tc.codes)
		}
	}
	if r := env.do(http.MethodGet, "/api/v1/regions?q=37&parent=37", "", nil); r.Status != http.StatusBadRequest {
		t.Errorf("q with parent: %d", r.Status)
	}
	r := env.do(http.MethodGet, "/api/v1/codes", "", nil)
	if cc := r.Header.Get("Cache-Control"); cc != "public, max-age=3600" {
		t.Errorf("codes Cache-Control %q", cc)
	}
	var codes map[string][]struct{ Code, Zh, En string }
	if err := json.Unmarshal(r.Body, &codes); err != nil || r.Status != http.StatusOK {
		t.Fatalf("codes: %d %v", r.Status, err)
	}
	for list, n := range map[string]int{"categories": len(kernel.Categories), "household_types": len(kernel.HouseholdTypes),
		"services": len(kernel.Services), "urgencies": 3, "age_bands": 4} {
		if len(codes[list]) != n {
			t.Errorf("%s: %d codes, want %d", list, len(codes[list]), n)
		}
		for _, c := range codes[list] {
			if c.Code == "" || c.Zh == "" || c.En == "" {
				t.Errorf("%s: %+v lacks a label", list, c)
			}
		}
	}
	if codes["categories"][1].Code != "medical" || codes["categories"][1].Zh != "医疗" {
		t.Errorf("categories in display order with labels: %+v", codes["categories"][1])
	}
}
