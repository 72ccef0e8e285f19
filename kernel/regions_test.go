package kernel

import (
	"slices"
	"strings"
	"testing"
)

func mustDivisions(tb testing.TB) *Divisions {
	tb.Helper()
	d, err := LoadDivisions()
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

func TestDivisionsCounts(t *testing.T) {
	d := mustDivisions(t)
	count := map[DivisionLevel]int{}
	for code := range d.byCode {
		count[d.Level(code)]++
	}
	// Source: 31 provinces, 342 cities (9 of them placeholders), 2,978
	// counties (3 of them repeating a city without counties), 41,352 towns.
	want := map[DivisionLevel]int{LevelProvince: 31, LevelCity: 333, LevelCounty: 2975, LevelTown: 41352}
	for l, n := range want {
		if count[l] != n {
			t.Errorf("%s: %d divisions, want %d", l, count[l], n)
		}
	}
	if got := len(d.Provinces()); got != 31 {
		t.Errorf("Provinces() has %d, want 31", got)
	}
}

func TestDivisionsResolveNames(t *testing.T) {
	d := mustDivisions(t)
	tests := []struct {
		name, code, short, full string
		level                   DivisionLevel
		parent                  string
	}{
		{"shandong county", "371725", "郓城县", "山东省菏泽市郓城县", LevelCounty, "371700"},
		{"shandong city", "371700", "菏泽市", "山东省菏泽市", LevelCity, "370000"},
		{"shandong province", "370000", "山东省", "山东省", LevelProvince, ""},
		{"beijing district under municipality", "110105", "朝阳区", "北京市朝阳区", LevelCounty, "110000"},
		{"shanghai district", "310115", "浦东新区", "上海市浦东新区", LevelCounty, "310000"},
		{"tianjin district", "120101", "和平区", "天津市和平区", LevelCounty, "120000"},
		{"chongqing county (县 placeholder dropped)", "500229", "城口县", "重庆市城口县", LevelCounty, "500000"},
		{"county directly under province", "429004", "仙桃市", "湖北省仙桃市", LevelCounty, "420000"},
		{"hainan county directly under province", "469001", "五指山市", "海南省五指山市", LevelCounty, "460000"},
		{"city without counties", "441900", "东莞市", "广东省东莞市", LevelCity, "440000"},
		{"repeated name not repeated", "620201", "嘉峪关市", "甘肃省嘉峪关市", LevelCounty, "620200"},
		{"guangdong district", "440106", "天河区", "广东省广州市天河区", LevelCounty, "440100"},
		{"sichuan autonomous prefecture county", "513221", "汶川县", "四川省阿坝藏族羌族自治州汶川县", LevelCounty, "513200"},
		{"xinjiang city", "650100", "乌鲁木齐市", "新疆维吾尔自治区乌鲁木齐市", LevelCity, "650000"},
		{"beijing town", "110101001", "东华门街道", "北京市东城区东华门街道", LevelTown, "110101"},
		{"town of a city without counties", "441900003", "东城街道", "广东省东莞市东城街道", LevelTown, "441900"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !d.Known(tc.code) {
				t.Fatalf("Known(%s) = false", tc.code)
			}
			if got := d.Name(tc.code); got != tc.short {
				t.Errorf("Name = %q, want %q", got, tc.short)
			}
			if got := d.FullName(tc.code); got != tc.full {
				t.Errorf("FullName = %q, want %q", got, tc.full)
			}
			if got := d.Level(tc.code); got != tc.level {
				t.Errorf("Level = %q, want %q", got, tc.level)
			}
			if got := d.Parent(tc.code); got != tc.parent {
				t.Errorf("Parent = %q, want %q", got, tc.parent)
			}
			if tc.parent != "" && !slices.Contains(d.Children(tc.parent), tc.code) {
				t.Errorf("%s is not among the children of %s", tc.code, tc.parent)
			}
		})
	}
}

func TestDivisionsUnknownCodes(t *testing.T) {
	d := mustDivisions(t)
	for _, code := range []string{
		"", "37", "3717", "371799", "999999", "110100", // 北京 市辖区 placeholder
		"429000", // 湖北 省直辖县级行政区划 placeholder
		"320811", // 淮安市清浦区, merged away in 2016: old ID cards still carry it
		"371725999", "37172500", "abcdef", "３７００００",
	} {
		if d.Known(code) {
			t.Errorf("Known(%q) = true, want false", code)
		}
		if d.Name(code) != "" || d.FullName(code) != "" || d.Level(code) != "" || d.Prefix(code) != "" || d.Coarsen(code, LevelProvince) != "" {
			t.Errorf("%q: an unknown code resolved to something", code)
		}
	}
}

func TestDivisionsNationalRegion(t *testing.T) {
	d := mustDivisions(t)
	if d.Name(NationalRegion) != "全国" || d.FullName(NationalRegion) != "全国" {
		t.Errorf("national region named %q / %q", d.Name(NationalRegion), d.FullName(NationalRegion))
	}
	if d.Known(NationalRegion) {
		t.Error("the national region is not a division")
	}
}

func TestDivisionsAncestorsAndPrefix(t *testing.T) {
	d := mustDivisions(t)
	tests := []struct {
		name, code, prefix string
		ancestors          []string
	}{
		{"province", "370000", "37", nil},
		{"city", "371700", "3717", []string{"370000"}},
		{"county", "371725", "371725", []string{"370000", "371700"}},
		{"town", "110101001", "110101001", []string{"110000", "110101"}},
		{"municipality district", "110105", "110105", []string{"110000"}},
		{"municipality", "110000", "11", nil},
		{"city without counties", "441900", "4419", []string{"440000"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := d.Prefix(tc.code); got != tc.prefix {
				t.Errorf("Prefix = %q, want %q", got, tc.prefix)
			}
			if got := d.Ancestors(tc.code); !slices.Equal(got, tc.ancestors) {
				t.Errorf("Ancestors = %v, want %v", got, tc.ancestors)
			}
			// Every division below starts with the prefix.
			for _, c := range d.Children(tc.code) {
				if !strings.HasPrefix(c, tc.prefix) {
					t.Errorf("child %s does not start with %s", c, tc.prefix)
				}
			}
		})
	}
}

func TestDivisionsCoarsen(t *testing.T) {
	d := mustDivisions(t)
	tests := []struct {
		name, code string
		level      DivisionLevel
		want       string
	}{
		{"town to county", "371725001", LevelCounty, "371725"},
		{"town to city", "371725001", LevelCity, "371700"},
		{"town to province", "371725001", LevelProvince, "370000"},
		{"county to city", "371725", LevelCity, "371700"},
		{"county to province", "371725", LevelProvince, "370000"},
		{"county to its own level", "371725", LevelCounty, "371725"},
		{"county to a finer level stays", "371725", LevelTown, "371725"},
		{"province to city stays", "370000", LevelCity, "370000"},
		{"municipality district to city is the municipality", "110105", LevelCity, "110000"},
		{"county under province to city is the province", "429004", LevelCity, "420000"},
		{"town of a city without counties to county is the city", "441900003", LevelCounty, "441900"},
		{"unknown level", "371725", DivisionLevel("village"), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := d.Coarsen(tc.code, tc.level); got != tc.want {
				t.Errorf("Coarsen(%s, %s) = %q, want %q", tc.code, tc.level, got, tc.want)
			}
		})
	}
}

func TestParseRegionFilter(t *testing.T) {
	d := mustDivisions(t)
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"province prefix", "37", "37", true},
		{"province code", "370000", "37", true},
		{"city prefix", "3717", "3717", true},
		{"city code", "371700", "3717", true},
		{"county", "371725", "371725", true},
		{"town", "371725001", "371725001", true},
		{"municipality", "110000", "11", true},
		{"municipality prefix", "11", "11", true},
		{"municipality district", "110105", "110105", true},
		{"county under province", "429004", "429004", true},
		{"city without counties", "441900", "4419", true},
		{"spaces trimmed", " 3717 ", "3717", true},
		{"placeholder 市辖区 refused", "1101", "", false},
		{"placeholder 省直辖 refused", "4290", "", false},
		{"province written as city refused", "3700", "", false},
		{"unknown province", "99", "", false},
		{"unknown county", "371799", "", false},
		{"old code refused", "320811", "", false},
		{"odd length", "371", "", false},
		{"letters", "37a", "", false},
		{"empty", "", "", false},
		{"full-width digits", "３７", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := d.ParseRegionFilter(tc.in)
			if tc.ok {
				if err != nil || got != tc.want {
					t.Fatalf("ParseRegionFilter(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("ParseRegionFilter(%q) = %q, want an error", tc.in, got)
			}
			ve, ok := err.(*ValidationError)
			if !ok || ve.Fields["region"] == "" {
				t.Fatalf("error %v is not a ValidationError on region", err)
			}
		})
	}
}

func BenchmarkLoadDivisions(b *testing.B) {
	for b.Loop() {
		if _, err := parseDivisions(); err != nil {
			b.Fatal(err)
		}
	}
}

func TestContains(t *testing.T) {
	d, err := LoadDivisions()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		area, code string
		want       bool
	}{
		{"371725", "371725", true}, // the county itself
		{"371700", "371725", true}, // its city
		{"370000", "371725", true}, // its province
		{NationalRegion, "371725", true},
		{"371725", "371700", false}, // a county does not cover its city
		{"371725", "370000", false},
		{"371725", NationalRegion, false},
		{"370000", NationalRegion, false},
		{"430524", "371725", false}, // another county
		{"371725", "371725001", true},
		{"371725001", "371725", false},
	} {
		if got := d.Contains(c.area, c.code); got != c.want {
			t.Errorf("Contains(%s, %s) = %v, want %v", c.area, c.code, got, c.want)
		}
	}
}

func TestDivisionsLookup(t *testing.T) {
	d, err := LoadDivisions()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, in, code string
		candidates     []string
	}{
		{"a code is itself", "371725", "371725", nil},
		{"a town code is itself", "371725001", "371725001", nil},
		{"an unknown code is nothing", "379999", "", nil},
		{"a unique short name is its code", "郓城县", "371725", nil},
		{"a full name is its code", "山东省菏泽市郓城县", "371725", nil},
		{"the tail of a full name is its code", "菏泽市郓城县", "371725", nil},
		{"spaces are ignored", " 山东省 菏泽市 郓城县 ", "371725", nil},
		{"a province by name", "山东省", "370000", nil},
		{"an ambiguous name asks which", "朝阳区", "", []string{"110105", "220104"}},
		{"an ambiguous name with its city is unique", "长春市朝阳区", "220104", nil},
		{"a name without its generic part", "郓城", "371725", nil},
		{"a province without 省", "山东", "370000", nil},
		{"an unknown name is nothing", "不存在县", "", nil},
		{"candidates come coarsest first", "北京", "", []string{"110000", "440104003"}},
		{"empty is nothing", "  ", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, cands := d.Lookup(tc.in)
			if code != tc.code || !slices.Equal(cands, tc.candidates) {
				t.Errorf("Lookup(%q) = %q, %v; want %q, %v", tc.in, code, cands, tc.code, tc.candidates)
			}
		})
	}
}
