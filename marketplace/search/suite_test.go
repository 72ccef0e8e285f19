package search

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/marketplace"
)

// suiteNow is the Query.Now of the behavioural suite.
var suiteNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

func tp(d time.Duration) *time.Time { t := suiteNow.Add(d); return &t }

const day = 24 * time.Hour

// suiteNeeds are eight needs chosen so that every filter, sort key and
// notice rule of the suite has a need on each side of it.
func suiteNeeds() []marketplace.PublicNeed {
	n := func(id string, cat kernel.Category, region string, st kernel.NeedStatus, urg kernel.Urgency,
		deadline *time.Time, remaining int64, published time.Duration, title, story string) marketplace.PublicNeed {
		return marketplace.PublicNeed{
			ID: id, Status: st, Category: cat, RegionCode: region, RegionName: "某地",
			AgeBand: "18_59", HouseholdTypes: []kernel.HouseholdType{kernel.HHDibao},
			Title: title, Story: story, VerifiedCostFen: remaining + 1000, RequestedFen: remaining + 500,
			FundedFen: 500, RemainingFen: remaining, Urgency: urg, Deadline: deadline,
			ServiceNeeds: []kernel.Service{kernel.SvcHospitalEscort},
			PublishedAt:  tp(-published), OrgID: "org1", OrgName: "某某社工站",
		}
	}
	needs := []marketplace.PublicNeed{
		n("n01", kernel.CatMedical, "371725", kernel.NeedOpen, kernel.UrgencyEmergency, tp(2*day), 5000, 10*day,
			"白血病患儿急需医疗费", "孩子确诊急性白血病，需要骨髓移植。"),
		n("n02", kernel.CatEducation, "371700", kernel.NeedOpen, kernel.UrgencyNormal, tp(30*day), 100, 2*day,
			"大学新生助学", "家庭困难，学费无着落，申请助学金。"),
		n("n03", kernel.CatMedical, "370000", kernel.NeedNotice, kernel.UrgencyUrgent, nil, 20000, 3*day,
			"尿毒症透析费用", "需要长期透析，医生建议尽快手术。"),
		n("n04", kernel.CatHousing, "430524", kernel.NeedNotice, kernel.UrgencyNormal, tp(10*day), 300000, day,
			"危房改造", "房屋漏雨，墙体开裂，需要修缮。"),
		n("n05", kernel.CatMedical, "610524", kernel.NeedFunded, kernel.UrgencyEmergency, tp(day), 0, 5*day,
			"车祸重伤", "父亲车祸后住院，医疗费用巨大。"),
		n("n06", kernel.CatBasicLiving, "371725", kernel.NeedOpen, kernel.UrgencyUrgent, tp(5*day), 8000, 4*day,
			"低保户生活困难", "化验显示白血球偏低，另有血病史。"),
		n("n07", kernel.CatEducation, "371726", kernel.NeedClosed, kernel.UrgencyNormal, nil, 0, 30*day,
			"贫困学生助学 scholarship", "English words: tuition help for a student."),
		n("n08", kernel.CatCare, "371725", kernel.NeedNotice, kernel.UrgencyNormal, nil, 50000, 6*time.Hour,
			"独居老人照料", "老人独居，需要上门照料。"),
	}
	needs[0].Emergency = true
	needs[2].NoticeEndsAt = tp(-time.Hour) // notice over: open at suiteNow
	needs[3].NoticeEndsAt = tp(2 * day)    // still in notice
	// n08 is in notice with no end recorded: it stays in notice.
	return needs
}

func ids(r *Result) []string {
	out := make([]string, len(r.Needs))
	for i, n := range r.Needs {
		out[i] = n.ID
	}
	return out
}

func sorted(s []string) []string { s = slices.Clone(s); sort.Strings(s); return s }

// testIndex is the behavioural suite every Index implementation must pass.
// idx must be empty.
func testIndex(t *testing.T, idx Index) {
	ctx := context.Background()
	if err := idx.Upsert(ctx, suiteNeeds()); err != nil {
		t.Fatalf("upsert: %v", err)
	}
	search := func(t *testing.T, q Query) *Result {
		t.Helper()
		if q.Now.IsZero() {
			q.Now = suiteNow
		}
		if q.PerPage == 0 {
			q.PerPage = 50
		}
		r, err := idx.Search(ctx, q)
		if err != nil {
			t.Fatalf("search %+v: %v", q, err)
		}
		return r
	}
	// matches checks the set of needs found (order ignored) and Total.
	matches := func(t *testing.T, q Query, want ...string) {
		t.Helper()
		r := search(t, q)
		if got := sorted(ids(r)); !slices.Equal(got, sorted(want)) {
			t.Errorf("query %+v found %v, want %v", q, got, sorted(want))
		}
		if r.Total != len(want) {
			t.Errorf("query %+v: total %d, want %d", q, r.Total, len(want))
		}
	}
	open, notice := kernel.NeedOpen, kernel.NeedNotice

	t.Run("count after upsert", func(t *testing.T) {
		if n, err := idx.Count(ctx); err != nil || n != 8 {
			t.Fatalf("count = %d, %v; want 8", n, err)
		}
	})

	t.Run("Chinese and English words", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			q    string
			want []string
		}{
			{"two-character word in title and story", "医疗", []string{"n01", "n05"}},
			{"two-character word 助学", "助学", []string{"n02", "n07"}},
			{"three-character word as a whole, not its bigrams apart", "白血病", []string{"n01"}},
			{"word in the story only", "透析", []string{"n03"}},
			{"two words must both occur", "医疗 孩子", []string{"n01"}},
			{"words separated by a full-width comma", "医疗，车祸", []string{"n05"}},
			{"word found nowhere", "地震", nil},
			{"English word, any case", "TUITION", []string{"n07"}},
			{"English and Chinese together", "scholarship 助学", []string{"n07"}},
			{"single character matches no two-character word", "医", nil},
		} {
			t.Run(tc.name, func(t *testing.T) { matches(t, Query{Q: tc.q}, tc.want...) })
		}
	})

	t.Run("words with each filter", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			q    Query
			want []string
		}{
			{"category", Query{Q: "医疗", Categories: []kernel.Category{kernel.CatMedical}}, []string{"n01", "n05"}},
			{"other category", Query{Q: "医疗", Categories: []kernel.Category{kernel.CatEducation}}, nil},
			{"two categories", Query{Q: "助学", Categories: []kernel.Category{kernel.CatEducation, kernel.CatMedical}}, []string{"n02", "n07"}},
			{"region", Query{Q: "医疗", RegionPrefix: "37"}, []string{"n01"}},
			{"urgency", Query{Q: "医疗", Urgencies: []kernel.Urgency{kernel.UrgencyEmergency}}, []string{"n01", "n05"}},
			{"urgency excluding", Query{Q: "医疗", Urgencies: []kernel.Urgency{kernel.UrgencyNormal}}, nil},
			{"status", Query{Q: "医疗", Statuses: []kernel.NeedStatus{open}}, []string{"n01"}},
			{"all filters", Query{Q: "助学", Categories: []kernel.Category{kernel.CatEducation}, RegionPrefix: "3717",
				Urgencies: []kernel.Urgency{kernel.UrgencyNormal}, Statuses: []kernel.NeedStatus{open}}, []string{"n02"}},
		} {
			t.Run(tc.name, func(t *testing.T) { matches(t, tc.q, tc.want...) })
		}
	})

	t.Run("region prefix at every level", func(t *testing.T) {
		for _, tc := range []struct {
			prefix string
			want   []string
		}{
			{"37", []string{"n01", "n02", "n03", "n06", "n07", "n08"}}, // province: county, city and province-level needs
			{"3717", []string{"n01", "n02", "n06", "n07", "n08"}},      // city: not the need shown at province level
			{"371725", []string{"n01", "n06", "n08"}},                  // county: not the need shown at city level
			{"371726", []string{"n07"}},
			{"43", []string{"n04"}}, {"4305", []string{"n04"}}, {"430524", []string{"n04"}},
			{"61", []string{"n05"}},
			{"11", nil}, {"3718", nil}, {"371700", nil}, // "371700" is a county-length prefix: no county 00
		} {
			t.Run(tc.prefix, func(t *testing.T) { matches(t, Query{RegionPrefix: tc.prefix}, tc.want...) })
		}
	})

	t.Run("notice ends into open at query time", func(t *testing.T) {
		matches(t, Query{Statuses: []kernel.NeedStatus{open}}, "n01", "n02", "n03", "n06")
		matches(t, Query{Statuses: []kernel.NeedStatus{notice}}, "n04", "n08")
		matches(t, Query{Statuses: []kernel.NeedStatus{open, notice}}, "n01", "n02", "n03", "n04", "n06", "n08")
		earlier := suiteNow.Add(-2 * time.Hour)
		matches(t, Query{Statuses: []kernel.NeedStatus{open}, Now: earlier}, "n01", "n02", "n06")
		matches(t, Query{Statuses: []kernel.NeedStatus{notice}, Now: earlier}, "n03", "n04", "n08")
		// Exactly at the end of notice the need is open (marketplace.EffectiveStatus).
		matches(t, Query{Statuses: []kernel.NeedStatus{open}, Now: *suiteNeeds()[2].NoticeEndsAt}, "n01", "n02", "n03", "n06")
		later := suiteNow.Add(3 * day)
		matches(t, Query{Statuses: []kernel.NeedStatus{notice}, Now: later}, "n08")
		// n01's deadline (2 days) passed with money lacking: expired, not open
		// (marketplace.PublicStatusAt); n05's passed too but it is funded.
		matches(t, Query{Statuses: []kernel.NeedStatus{open, kernel.NeedFunded}, Now: later}, "n02", "n03", "n04", "n05", "n06")
		matches(t, Query{Statuses: []kernel.NeedStatus{kernel.NeedExpired}, Now: later}, "n01")
		matches(t, Query{Statuses: []kernel.NeedStatus{kernel.NeedExpired}}) // none yet

		status := func(now time.Time, id string) kernel.NeedStatus {
			for _, n := range search(t, Query{Now: now}).Needs {
				if n.ID == id {
					return n.Status
				}
			}
			t.Fatalf("%s not found", id)
			return ""
		}
		if r := search(t, Query{Statuses: []kernel.NeedStatus{kernel.NeedExpired}, Now: later}); len(r.Needs) != 1 || r.Needs[0].Status != kernel.NeedExpired {
			t.Errorf("expired needs shown as %+v, want n01 expired", r.Needs)
		}
		if got := status(suiteNow, "n03"); got != open {
			t.Errorf("n03 shown as %q after its notice ended, want open", got)
		}
		if got := status(earlier, "n03"); got != notice {
			t.Errorf("n03 shown as %q during its notice, want notice", got)
		}
		if got := status(suiteNow, "n08"); got != notice {
			t.Errorf("n08 (no notice end) shown as %q, want notice", got)
		}
	})

	t.Run("sort by each key", func(t *testing.T) {
		for _, tc := range []struct {
			sort Sort
			want []string
		}{
			{"", []string{"n05", "n01", "n06", "n03", "n04", "n02", "n07", "n08"}},
			{SortUrgency, []string{"n05", "n01", "n06", "n03", "n04", "n02", "n07", "n08"}},
			{SortDeadline, []string{"n05", "n01", "n06", "n04", "n02", "n03", "n07", "n08"}},
			{SortRemaining, []string{"n05", "n07", "n02", "n01", "n06", "n03", "n08", "n04"}},
			{SortNewest, []string{"n08", "n04", "n02", "n03", "n06", "n05", "n01", "n07"}},
		} {
			t.Run(string(tc.sort), func(t *testing.T) {
				if got := ids(search(t, Query{Sort: tc.sort})); !slices.Equal(got, tc.want) {
					t.Errorf("order %v, want %v", got, tc.want)
				}
			})
		}
		if got := ids(search(t, Query{Q: "医疗", Sort: SortDeadline})); !slices.Equal(got, []string{"n05", "n01"}) {
			t.Errorf("医疗 by deadline: %v", got)
		}
	})

	t.Run("paging", func(t *testing.T) {
		want := [][]string{{"n05", "n01", "n06"}, {"n03", "n04", "n02"}, {"n07", "n08"}, {}}
		for i, w := range want {
			r := search(t, Query{Page: i + 1, PerPage: 3})
			if got := ids(r); !slices.Equal(got, w) {
				t.Errorf("page %d: %v, want %v", i+1, got, w)
			}
			if r.Total != 8 || r.Page != i+1 || r.PerPage != 3 {
				t.Errorf("page %d: total %d page %d per_page %d", i+1, r.Total, r.Page, r.PerPage)
			}
		}
		r, err := idx.Search(ctx, Query{Now: suiteNow})
		if err != nil || r.Page != 1 || r.PerPage != DefaultPerPage {
			t.Errorf("defaults: page %d per_page %d err %v", r.Page, r.PerPage, err)
		}
	})

	t.Run("queries out of bounds are refused", func(t *testing.T) {
		for _, tc := range []struct {
			name  string
			q     Query
			field string
		}{
			{"per page above the maximum", Query{PerPage: MaxPerPage + 1}, "per_page"},
			{"negative per page", Query{PerPage: -1}, "per_page"},
			{"negative page", Query{Page: -1}, "page"},
			{"paging too deep", Query{Page: MaxWindow/20 + 1, PerPage: 20}, "page"},
			{"unknown sort", Query{Sort: "price"}, "sort"},
			{"odd-length region", Query{RegionPrefix: "371"}, "region"},
			{"region not digits", Query{RegionPrefix: "37 OR 1"}, "region"},
			{"unknown category", Query{Categories: []kernel.Category{"x"}}, "category"},
			{"unknown urgency", Query{Urgencies: []kernel.Urgency{"soon"}}, "urgency"},
			{"unknown status", Query{Statuses: []kernel.NeedStatus{`open" OR status = "draft`}}, "status"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := idx.Search(ctx, tc.q)
				var v *kernel.ValidationError
				if !errors.As(err, &v) || v.Fields[tc.field] == "" {
					t.Errorf("error %v, want a validation error on %s", err, tc.field)
				}
			})
		}
		if _, err := idx.Search(ctx, Query{Page: MaxWindow / 20, PerPage: 20, Now: suiteNow}); err != nil {
			t.Errorf("last allowed page refused: %v", err)
		}
	})

	t.Run("facets over the whole result set", func(t *testing.T) {
		r := search(t, Query{PerPage: 1})
		want := Facets{
			Categories: map[kernel.Category]int{"medical": 3, "education": 2, "housing": 1, "basic_living": 1, "care": 1},
			Provinces:  map[string]int{"37": 6, "43": 1, "61": 1},
			Cities:     map[string]int{"3717": 5, "4305": 1, "6105": 1},
			Counties:   map[string]int{"371725": 3, "371726": 1, "430524": 1, "610524": 1},
		}
		if !reflect.DeepEqual(r.Facets, want) {
			t.Errorf("facets\n got %+v\nwant %+v", r.Facets, want)
		}
		r = search(t, Query{Q: "医疗", PerPage: 1})
		want = Facets{
			Categories: map[kernel.Category]int{"medical": 2},
			Provinces:  map[string]int{"37": 1, "61": 1},
			Cities:     map[string]int{"3717": 1, "6105": 1},
			Counties:   map[string]int{"371725": 1, "610524": 1},
		}
		if !reflect.DeepEqual(r.Facets, want) {
			t.Errorf("facets of 医疗\n got %+v\nwant %+v", r.Facets, want)
		}
		r = search(t, Query{RegionPrefix: "3717", Statuses: []kernel.NeedStatus{open}})
		if r.Facets.Provinces["37"] != 3 || r.Facets.Cities["3717"] != 3 || r.Facets.Counties["371725"] != 2 || len(r.Facets.Counties) != 1 {
			t.Errorf("facets of open needs in 3717: %+v", r.Facets)
		}
	})

	t.Run("documents are the stored projection", func(t *testing.T) {
		r := search(t, Query{Q: "白血病"})
		if len(r.Needs) != 1 {
			t.Fatalf("found %v", ids(r))
		}
		if got, want := asJSON(t, r.Needs[0]), asJSON(t, suiteNeeds()[0]); got != want {
			t.Errorf("document\n got %s\nwant %s", got, want)
		}
	})

	t.Run("special characters neither fail nor match wrongly", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			q    string
			want []string
		}{
			{"double quote", `"`, nil},
			{"star", `*`, nil},
			{"colon", `:`, nil},
			{"tilde", `~`, nil},
			{"parenthesis", `(`, nil},
			{"backslash", `\`, nil},
			{"field syntax", `*:*`, nil},
			{"field syntax with a word", `title:医疗`, nil},
			{"word with a quote", `医疗"`, []string{"n01", "n05"}},
			{"word with a wildcard", `医*`, nil},
			{"fuzzy syntax", `助学~`, []string{"n02", "n07"}},
			{"filter injection", `" OR status = "draft`, nil},
			{"only spaces", "   ", []string{"n01", "n02", "n03", "n04", "n05", "n06", "n07", "n08"}},
			{"control characters", "\x00\x1b[0m", nil},
			{"very long text", strings.Repeat("医疗", 5000), nil},
			{"very many words", strings.Repeat("医疗 ", 3000), []string{"n01", "n05"}},
		} {
			t.Run(tc.name, func(t *testing.T) { matches(t, Query{Q: tc.q}, tc.want...) })
		}
	})

	t.Run("upsert replaces the older version", func(t *testing.T) {
		n := suiteNeeds()[1]
		n.Title, n.Story, n.Category = "大学新生学费", "学费无着落。", kernel.CatBasicLiving
		if err := idx.Upsert(ctx, []marketplace.PublicNeed{n}); err != nil {
			t.Fatal(err)
		}
		if err := idx.Upsert(ctx, []marketplace.PublicNeed{n}); err != nil {
			t.Fatalf("second upsert of the same version: %v", err)
		}
		matches(t, Query{Q: "助学"}, "n07")
		matches(t, Query{Q: "学费", Categories: []kernel.Category{kernel.CatBasicLiving}}, "n02")
		matches(t, Query{Categories: []kernel.Category{kernel.CatEducation}}, "n07")
		if c, err := idx.Count(ctx); err != nil || c != 8 {
			t.Errorf("count %d, %v after replacing; want 8", c, err)
		}
	})

	t.Run("upsert refuses needs without id or region", func(t *testing.T) {
		for _, n := range []marketplace.PublicNeed{{ID: "", RegionCode: "371725"}, {ID: "bad", RegionCode: "3717"}} {
			var v *kernel.ValidationError
			if err := idx.Upsert(ctx, []marketplace.PublicNeed{n}); !errors.As(err, &v) {
				t.Errorf("upsert %+v: %v, want a validation error", n, err)
			}
		}
		if c, _ := idx.Count(ctx); c != 8 {
			t.Errorf("count %d after refused upserts, want 8", c)
		}
	})

	t.Run("delete", func(t *testing.T) {
		if err := idx.Delete(ctx, []string{"n07", "no-such-need"}); err != nil {
			t.Fatal(err)
		}
		matches(t, Query{Q: "助学"})
		matches(t, Query{RegionPrefix: "3717"}, "n01", "n02", "n06", "n08")
		if c, err := idx.Count(ctx); err != nil || c != 7 {
			t.Errorf("count %d, %v after delete; want 7", c, err)
		}
	})
}

func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
