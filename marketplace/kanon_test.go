package marketplace

import (
	"slices"
	"strings"
	"testing"
)

// cellCounts counts the needs of a cell by their county or town code, the
// way a store would: a region's count is the sum of the needs whose code
// starts with its prefix.
func cellCounts(d *Divisions, needs map[string]int) func(string) int {
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
		{"small province goes national", "371725", 5, map[string]int{"371725": 2, "110105": 10}, NationalRegion},
		{"k larger than everything", "371725", 1000, map[string]int{"371725": 50, "370102": 50}, NationalRegion},
		{"municipality district big enough", "110105", 5, map[string]int{"110105": 6}, "110105"},
		{"municipality district goes to the municipality", "110105", 5, map[string]int{"110105": 1, "110101": 4}, "110000"},
		{"chongqing county goes to chongqing", "500229", 3, map[string]int{"500229": 1, "500101": 2}, "500000"},
		{"small municipality goes national", "310115", 5, map[string]int{"310115": 4}, NationalRegion},
		{"county under a province goes to the province", "429004", 5, map[string]int{"429004": 2, "420102": 3}, "420000"},
		{"town of a city without counties stays at the city", "441900003", 3, map[string]int{"441900003": 1, "441900101": 2}, "441900"},
		{"unknown code is national", "999999", 1, map[string]int{}, NationalRegion},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := CoarsenRegion(tc.fine, tc.k, cellCounts(d, tc.needs), d)
			if got != tc.want {
				t.Errorf("CoarsenRegion(%s, k=%d) = %q, want %q", tc.fine, tc.k, got, tc.want)
			}
			if got != NationalRegion && d.Level(got) == LevelTown {
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
	counts := map[HouseholdType]int{HHDibao: 12, HHOrphan: 1, HHSevereDisability: 5, HHElderlyAlone: 4}
	countWith := func(h HouseholdType) int { return counts[h] }
	tests := []struct {
		name  string
		types []HouseholdType
		k     int
		want  []HouseholdType
	}{
		{"k=1 keeps all", []HouseholdType{HHOrphan, HHDibao}, 1, []HouseholdType{HHOrphan, HHDibao}},
		{"rare types dropped", []HouseholdType{HHDibao, HHOrphan, HHSevereDisability, HHElderlyAlone}, 5, []HouseholdType{HHDibao, HHSevereDisability}},
		{"exactly k kept", []HouseholdType{HHSevereDisability}, 5, []HouseholdType{HHSevereDisability}},
		{"k larger than everything drops all", []HouseholdType{HHDibao, HHSevereDisability}, 100, []HouseholdType{}},
		{"repeats removed", []HouseholdType{HHDibao, HHDibao}, 5, []HouseholdType{HHDibao}},
		{"none", nil, 5, []HouseholdType{}},
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
