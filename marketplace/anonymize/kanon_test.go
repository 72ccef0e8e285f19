package anonymize

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
)

// cellCounts counts the needs of a cell by their county or town code, the
// way a store would: a region's count is the sum of the needs whose code
// starts with its prefix.
func cellCounts(d *kernel.Divisions, needs map[string]int) func(string) int {
	return func(region string) int {
		p := d.Prefix(region)
		if p == "" {
			panic("count called with unknown region " + region)
		}
		total := 0
		for code, n := range needs {
			if strings.HasPrefix(code, p) {
				total += n
			}
		}
		return total
	}
}

func TestCoarsenRegion(t *testing.T) {
	d := mustDivisions(t)
	tests := []struct {
		name  string
		fine  string
		k     int
		needs map[string]int // county or town → published needs in the cell (this one included)
		want  string
	}{
		{"k=1 keeps the county", "371725", 1, map[string]int{"371725": 1}, "371725"},
		{"k=1 turns a town into its county", "371725004", 1, map[string]int{"371725004": 1}, "371725"},
		{"county big enough", "371725", 5, map[string]int{"371725": 5}, "371725"},
		{"town counted at its county", "371725004", 5, map[string]int{"371725004": 2, "371725001": 3}, "371725"},
		{"small county goes to the city", "371725", 5, map[string]int{"371725": 2, "371702": 3}, "371700"},
		{"small city goes to the province", "371725", 5, map[string]int{"371725": 2, "370102": 3}, "370000"},
		{"small province goes national", "371725", 5, map[string]int{"371725": 2, "110105": 10}, kernel.NationalRegion},
		{"k larger than everything", "371725", 1000, map[string]int{"371725": 50, "370102": 50}, kernel.NationalRegion},
		{"municipality district big enough", "110105", 5, map[string]int{"110105": 6}, "110105"},
		{"municipality district goes to the municipality", "110105", 5, map[string]int{"110105": 1, "110101": 4}, "110000"},
		{"chongqing county goes to chongqing", "500229", 3, map[string]int{"500229": 1, "500101": 2}, "500000"},
		{"small municipality goes national", "310115", 5, map[string]int{"310115": 4}, kernel.NationalRegion},
		{"county under a province goes to the province", "429004", 5, map[string]int{"429004": 2, "420102": 3}, "420000"},
		{"town of a city without counties stays at the city", "441900003", 3, map[string]int{"441900003": 1, "441900101": 2}, "441900"},
		{"unknown code is national", "999999", 1, map[string]int{}, kernel.NationalRegion},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := CoarsenRegion(tc.fine, tc.k, cellCounts(d, tc.needs), d)
			if got != tc.want {
				t.Errorf("CoarsenRegion(%s, k=%d) = %q, want %q", tc.fine, tc.k, got, tc.want)
			}
			if got != kernel.NationalRegion && d.Level(got) == kernel.LevelTown {
				t.Errorf("a town code %s was published", got)
			}
		})
	}
}

func TestCoarsenRegionSkipsRepeatedLevels(t *testing.T) {
	d := mustDivisions(t)
	var asked []string
	count := func(r string) int { asked = append(asked, r); return 0 }
	CoarsenRegion("110105", 5, count, d)
	if want := []string{"110105", "110000"}; !slices.Equal(asked, want) {
		t.Errorf("counted %v, want %v (the municipality once)", asked, want)
	}
}

func TestKeepHouseholdTypes(t *testing.T) {
	counts := map[kernel.HouseholdType]int{kernel.HHDibao: 12, kernel.HHOrphan: 1, kernel.HHSevereDisability: 5, kernel.HHElderlyAlone: 4}
	countWith := func(h kernel.HouseholdType) int { return counts[h] }
	tests := []struct {
		name  string
		types []kernel.HouseholdType
		k     int
		want  []kernel.HouseholdType
	}{
		{"k=1 keeps all", []kernel.HouseholdType{kernel.HHOrphan, kernel.HHDibao}, 1, []kernel.HouseholdType{kernel.HHOrphan, kernel.HHDibao}},
		{"rare types dropped", []kernel.HouseholdType{kernel.HHDibao, kernel.HHOrphan, kernel.HHSevereDisability, kernel.HHElderlyAlone}, 5, []kernel.HouseholdType{kernel.HHDibao, kernel.HHSevereDisability}},
		{"exactly k kept", []kernel.HouseholdType{kernel.HHSevereDisability}, 5, []kernel.HouseholdType{kernel.HHSevereDisability}},
		{"k larger than everything drops all", []kernel.HouseholdType{kernel.HHDibao, kernel.HHSevereDisability}, 100, []kernel.HouseholdType{}},
		{"repeats removed", []kernel.HouseholdType{kernel.HHDibao, kernel.HHDibao}, 5, []kernel.HouseholdType{kernel.HHDibao}},
		{"none", nil, 5, []kernel.HouseholdType{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := KeepHouseholdTypes(tc.types, tc.k, countWith)
			if got == nil || !slices.Equal(got, tc.want) {
				t.Errorf("KeepHouseholdTypes(%v, k=%d) = %#v, want %v", tc.types, tc.k, got, tc.want)
			}
		})
	}
}

func BenchmarkCoarsenRegion(b *testing.B) {
	d := mustDivisions(b)
	count := func(r string) int { return len(r) - 3 } // county 3, city 3, province 3: national
	for b.Loop() {
		CoarsenRegion("371725004", 5, count, d)
	}
}

// TestReprojectNeverFinerThanK grows cells at random and checks after each
// step that every need is shown at a region at least k needs of its cell
// share (or nationwide), with household types at least k needs of its
// county carry, and that a need's region only ever gets finer.
func TestReprojectNeverFinerThanK(t *testing.T) {
	d := mustDivisions(t)
	regions := []string{"371725", "371725004", "371702", "370102", "110105", "110101", "429004"}
	types := []kernel.HouseholdType{kernel.HHDibao, kernel.HHOrphan, kernel.HHSevereDisability}
	r := rand.New(rand.NewPCG(3, 7))
	for _, k := range []int{2, 5} {
		var groups []CellNeeds
		for step := 0; step < 60; step++ {
			g := CellNeeds{RegionCode: regions[r.IntN(len(regions))], HouseholdTypes: []kernel.HouseholdType{types[r.IntN(len(types))]},
				PublicRegionCode: kernel.NationalRegion, PublicHouseholdTypes: []kernel.HouseholdType{}, Count: 1}
			groups = append(groups, g)
			for _, c := range Reproject(groups, k, d) {
				g := &groups[c.Group]
				if c.RegionCode != kernel.NationalRegion && d.Level(g.PublicRegionCode) != kernel.LevelCounty && g.PublicRegionCode != kernel.NationalRegion &&
					!strings.HasPrefix(d.Prefix(c.RegionCode), d.Prefix(g.PublicRegionCode)) {
					t.Fatalf("k=%d step %d: %s moved from %s to %s, not finer", k, step, g.RegionCode, g.PublicRegionCode, c.RegionCode)
				}
				if c.RegionCode == kernel.NationalRegion && g.PublicRegionCode != kernel.NationalRegion {
					t.Fatalf("k=%d step %d: %s coarsened from %s back to the whole country", k, step, g.RegionCode, g.PublicRegionCode)
				}
				g.PublicRegionCode, g.PublicHouseholdTypes = c.RegionCode, c.HouseholdTypes
			}
			for _, g := range groups {
				if g.PublicRegionCode != kernel.NationalRegion {
					if n := cellCounts(d, countsOf(groups, ""))(g.PublicRegionCode); n < k {
						t.Fatalf("k=%d step %d: %s shown at %s, which %d needs share", k, step, g.RegionCode, g.PublicRegionCode, n)
					}
				}
				county := d.Coarsen(g.RegionCode, kernel.LevelCounty)
				for _, ty := range g.PublicHouseholdTypes {
					if n := cellCounts(d, countsOf(groups, ty))(county); n < k {
						t.Fatalf("k=%d step %d: %s shows %s, which %d needs of its county carry", k, step, g.RegionCode, ty, n)
					}
				}
			}
		}
		if again := Reproject(groups, k, d); len(again) != 0 {
			t.Errorf("k=%d: a second pass changes %d groups", k, len(again))
		}
	}
}

// countsOf counts groups by region code, only those carrying ty when set.
func countsOf(groups []CellNeeds, ty kernel.HouseholdType) map[string]int {
	m := map[string]int{}
	for _, g := range groups {
		if ty == "" || slices.Contains(g.HouseholdTypes, ty) {
			m[g.RegionCode] += g.Count
		}
	}
	return m
}

// A group shown finer asks for its text again; one shown coarser loses the
// hidden places; one whose household types alone change asks for neither.
func TestReprojectMarksRetextWhenFiner(t *testing.T) {
	d := mustDivisions(t)
	five := func(region, shown string, types []kernel.HouseholdType) CellNeeds {
		return CellNeeds{RegionCode: region, HouseholdTypes: []kernel.HouseholdType{kernel.HHDibao}, PublicRegionCode: shown, PublicHouseholdTypes: types, Count: 5}
	}
	tests := []struct {
		name       string
		group      CellNeeds
		k          int
		wantRetext bool
		wantHide   bool
	}{
		{"nationwide to county", five("371725", kernel.NationalRegion, []kernel.HouseholdType{}), 5, true, false},
		{"province to county", five("371725", "370000", []kernel.HouseholdType{}), 5, true, false},
		{"county to nationwide", five("371725", "371725", []kernel.HouseholdType{kernel.HHDibao}), 6, false, true},
		{"household types only", five("371725", "371725", []kernel.HouseholdType{}), 5, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := Reproject([]CellNeeds{tc.group}, tc.k, d)
			if len(out) != 1 {
				t.Fatalf("changes: %v", out)
			}
			if out[0].Retext != tc.wantRetext || (len(out[0].HidePlaces) > 0) != tc.wantHide {
				t.Errorf("Retext %v HidePlaces %v; want %v, hide %v", out[0].Retext, out[0].HidePlaces, tc.wantRetext, tc.wantHide)
			}
		})
	}
}

func mustDivisions(tb testing.TB) *kernel.Divisions {
	tb.Helper()
	d, err := kernel.LoadDivisions()
	if err != nil {
		tb.Fatal(err)
	}
	return d
}
