package matching

import (
	"slices"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

var rankNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func openFacts(cat kernel.Category, region string, req, funded int64, hh ...kernel.HouseholdType) kernel.NeedFacts {
	return kernel.NeedFacts{Status: kernel.NeedOpen, Category: cat, RegionCode: region, HouseholdTypes: hh, RequestedFen: req, FundedFen: funded, Screening: kernel.ScreenClear}
}

// The ranking of sources for a need keeps exactly the sources whose
// restrictions Fails finds nothing against.
func TestSourceEligibilityFollowsRestrictions(t *testing.T) {
	n := Need{ID: "n1", Facts: openFacts(kernel.CatMedical, "370102", 10000, 2000, kernel.HHDibao), Urgency: kernel.UrgencyUrgent}
	cases := []struct {
		name  string
		r     kernel.Restrictions
		given int64
		facts func(*kernel.NeedFacts)
		want  []string
	}{
		{"no restrictions", kernel.Restrictions{}, 0, nil, nil},
		{"category held", kernel.Restrictions{Categories: []kernel.Category{kernel.CatMedical}}, 0, nil, nil},
		{"category not held", kernel.Restrictions{Categories: []kernel.Category{kernel.CatEducation}}, 0, nil, []string{kernel.FailCategory}},
		{"city prefix", kernel.Restrictions{RegionPrefixes: []string{"3701"}}, 0, nil, nil},
		{"other province", kernel.Restrictions{RegionPrefixes: []string{"11"}}, 0, nil, []string{kernel.FailRegion}},
		{"household type", kernel.Restrictions{HouseholdTypes: []kernel.HouseholdType{kernel.HHTekun}}, 0, nil, []string{kernel.FailHouseholdType}},
		{"cap used up", kernel.Restrictions{PerNeedCapFen: 3000}, 3000, nil, []string{kernel.FailCap}},
		{"screening block", kernel.Restrictions{}, 0, func(f *kernel.NeedFacts) { f.Screening = kernel.ScreenBlock }, []string{kernel.FailScreening}},
		{"in notice", kernel.Restrictions{}, 0, func(f *kernel.NeedFacts) { f.Status = kernel.NeedNotice }, []string{kernel.FailStatus}},
		{"fully funded", kernel.Restrictions{}, 0, func(f *kernel.NeedFacts) { f.FundedFen = f.RequestedFen }, []string{kernel.FailFullyFunded}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			nn := n
			if tc.facts != nil {
				tc.facts(&nn.Facts)
			}
			got := codes(tc.r.Fails(nn.Facts, tc.given))
			if len(got) == 0 {
				got = nil
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("Fails: %v, want %v", got, tc.want)
			}
			src := []Source{{Kind: "fund", ID: "f1", Restrictions: tc.r, BalanceFen: 1 << 40}}
			ms, total := SourcesForNeed(&nn, src, map[string]int64{"f1": tc.given}, rankNow, 0, 10)
			if (total == 1) != (tc.want == nil) || len(ms) != total {
				t.Fatalf("ranking lists %d source(s), Fails says %v", total, tc.want)
			}
			back, btotal := NeedsForSource(&src[0], []Need{nn}, map[string]int64{"n1": tc.given}, rankNow, 0, 10)
			if btotal != total || len(back) != total {
				t.Fatalf("the need's side lists %d, the source's side %d", total, btotal)
			}
		})
	}
}

func factor(fs []Factor, name string) Factor {
	for _, f := range fs {
		if f.Factor == name {
			return f
		}
	}
	return Factor{Factor: "missing"}
}

func TestSourcesRankWithReasons(t *testing.T) {
	pub := rankNow.Add(-30 * 24 * time.Hour)
	dl := rankNow.Add(2 * 24 * time.Hour)
	n := Need{ID: "n1", Facts: openFacts(kernel.CatMedical, "370102", 10000, 0), Urgency: kernel.UrgencyEmergency, Deadline: &dl, PublishedAt: &pub}
	sources := []Source{
		{Kind: "fund", ID: "far", RegionCode: "110000", BalanceFen: 100000},
		{Kind: "fund", ID: "county", Restrictions: kernel.Restrictions{RegionPrefixes: []string{"370102"}}, BalanceFen: 100000},
		{Kind: "project", ID: "city-small", RegionCode: "370100", BalanceFen: 2500},
		{Kind: "fund", ID: "capped", RegionCode: "370102", Restrictions: kernel.Restrictions{PerNeedCapFen: 5000}, BalanceFen: 100000},
	}
	ms, total := SourcesForNeed(&n, sources, nil, rankNow, 0, 10)
	if total != 4 {
		t.Fatalf("total %d", total)
	}
	ids := []string{}
	for _, m := range ms {
		ids = append(ids, m.ID)
	}
	if want := []string{"county", "capped", "far", "city-small"}; !slices.Equal(ids, want) {
		t.Fatalf("order %v, want %v", ids, want)
	}
	if c := factor(ms[1].Factors, "coverage"); c.Value != 0.5 || ms[1].MaxFen != 5000 {
		t.Fatalf("capped fund coverage %+v max %d", c, ms[1].MaxFen)
	}
	if p := factor(ms[0].Factors, "proximity"); p.Value != 1 || p.Text != "in the same county" {
		t.Fatalf("proximity %+v", p)
	}
	if d := factor(ms[0].Factors, "deadline"); d.Value != 1 {
		t.Fatalf("deadline %+v", d)
	}
	if w := factor(ms[0].Factors, "waiting"); w.Value != 0.5 {
		t.Fatalf("waiting %+v", w)
	}
	// A screening warning lowers the rank and says so.
	n.Facts.Screening = kernel.ScreenWarn
	warned, _ := SourcesForNeed(&n, sources[:1], nil, rankNow, 0, 1)
	if f := factor(warned[0].Factors, "screening"); f.Weight >= 0 || warned[0].Score >= ms[2].Score {
		t.Fatalf("warning factor %+v, score %v vs %v", f, warned[0].Score, ms[2].Score)
	}
}

func TestNeedsForSourceMostUrgentFirst(t *testing.T) {
	mk := func(id string, u kernel.Urgency) Need {
		return Need{ID: id, Facts: openFacts(kernel.CatMedical, "370102", 1000, 0), Urgency: u}
	}
	needs := []Need{mk("a", kernel.UrgencyNormal), mk("b", kernel.UrgencyEmergency), mk("c", kernel.UrgencyUrgent), {ID: "x", Facts: openFacts(kernel.CatEducation, "370102", 1000, 0), Urgency: kernel.UrgencyEmergency}}
	src := Source{Kind: "fund", ID: "f", Restrictions: kernel.Restrictions{Categories: []kernel.Category{kernel.CatMedical}}, BalanceFen: 5000}
	ms, total := NeedsForSource(&src, needs, nil, rankNow, 0, 10)
	ids := []string{}
	for _, m := range ms {
		ids = append(ids, m.ID)
	}
	if total != 3 || !slices.Equal(ids, []string{"b", "c", "a"}) {
		t.Fatalf("got %v of %d", ids, total)
	}
}
