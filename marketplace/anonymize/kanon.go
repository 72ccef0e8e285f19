package anonymize

import (
	"slices"

	"github.com/jiujinan/jiujinan/kernel"
)

// k-anonymity of the public projection (DESIGN.md "Privacy"): a need is
// published under a region and with household types that at least k
// published needs share, so that no published need stands out in its cell
// (region × category × age band).

// CoarsenRegion returns the region code a need is published under: the
// finest of its county, city and province whose cell holds at least k
// published needs, or NationalRegion ("000000", the whole country) when
// even the province's does not. fine is the need's own division code
// (county or town); a town is never published, so the search starts at the
// county. Levels a division lacks are skipped: a municipality's district
// (110105) goes straight to the municipality (110000), a county directly
// under a province (429004) to the province, a town of a city without
// counties (东莞) to the city.
//
// count(region) must return the number of published needs in the cell
// whose division lies within region (by Divisions.Prefix), including this
// one; the caller's func closes over the category and age band. With k <= 1
// count is not called and the county is returned. An unknown fine code
// gives NationalRegion.
func CoarsenRegion(fine string, k int, count func(regionCode string) int, d *kernel.Divisions) string {
	county := d.Coarsen(fine, kernel.LevelCounty)
	if county == "" {
		return kernel.NationalRegion
	}
	if k <= 1 {
		return county
	}
	prev := ""
	for _, level := range []kernel.DivisionLevel{kernel.LevelCounty, kernel.LevelCity, kernel.LevelProvince} {
		code := d.Coarsen(fine, level)
		if code == prev {
			continue // the level is skipped for this division
		}
		prev = code
		if count(code) >= k {
			return code
		}
	}
	return kernel.NationalRegion
}

// KeepHouseholdTypes returns the household types of a need that at least k
// published needs of its cell carry (countWith(t) counts them, including
// this one), in their original order and without repeats; the others are
// dropped, since a rare type (an orphan in a small county) would single the
// household out. It never returns nil. With k <= 1 every type is kept.
func KeepHouseholdTypes(types []kernel.HouseholdType, k int, countWith func(kernel.HouseholdType) int) []kernel.HouseholdType {
	out := make([]kernel.HouseholdType, 0, len(types))
	seen := make(map[kernel.HouseholdType]bool, len(types))
	for _, t := range types {
		if seen[t] {
			continue
		}
		seen[t] = true
		if k <= 1 || countWith(t) >= k {
			out = append(out, t)
		}
	}
	return out
}

// Re-projection. The counts a need's projection depends on grow as more
// needs of its cell are published, so a projection computed once at
// publication would leave the first needs of every county coarsened to the
// whole country for good. Re-projection recomputes the projections of the
// published needs of a cell from the cell's current counts.
//
// Which needs count: every need ever published with consent to publication
// (published_at set, consent_public), whatever its status now: notice,
// open, funded, disbursed, closed, and also suspended and withdrawn. A
// projection once shown cannot be taken back (pages are archived, indexes
// crawled), so the anonymity set a household hides in is everything ever
// published in its cell, not what is listed today. Counting them all makes
// counts never shrink: a level that reached k stays at k, a need's shown
// region only ever gets finer and its shown household types only ever
// grow, and no withdrawal or objection can make other needs flip back and
// forth (which would let snapshots be differenced).
//
// Household types are counted in the need's county cell, whatever level the
// region is shown at: a type is shown only when at least k needs of the
// county cell carry it. Counting them at the shown level instead would let
// an earlier projection (province, orphan) be joined with a later one
// (county, orphan dropped) into a combination fewer than k share.

// ProjectionCell is the unit of re-projection: the published needs of one
// category and age band in one province, the coarsest level counted.
type ProjectionCell struct {
	Category kernel.Category
	AgeBand  kernel.AgeBand
	// Province is the province's division code ("370000").
	Province string
}

// CellNeeds are Count published needs of a cell that share their exact
// region, household types and current public projection: re-projection
// gives them the same new projection.
type CellNeeds struct {
	RegionCode           string
	HouseholdTypes       []kernel.HouseholdType
	PublicRegionCode     string
	PublicHouseholdTypes []kernel.HouseholdType
	Count                int
}

// ProjectionChange is the new public region and household types of the
// needs of a CellNeeds group (Group is its index).
type ProjectionChange struct {
	Group          int
	RegionCode     string
	HouseholdTypes []kernel.HouseholdType
	// HidePlaces, set when the region becomes coarser than it was shown (a
	// larger k), are the place names the stored public title and story must
	// lose now (HiddenPlaceNames; ScrubHiding on the public text).
	HidePlaces []string
	// Retext, set when the region becomes finer than it was shown, asks for
	// the public title and story to be derived again from the sealed
	// original, so that they name what the finer region allows (Retexter).
	Retext bool
}

// CellOf returns the re-projection cell of a need of category and age band
// in region (any level down to town), or false for an unknown region.
func CellOf(category kernel.Category, ageBand kernel.AgeBand, region string, d *kernel.Divisions) (ProjectionCell, bool) {
	p := d.Coarsen(region, kernel.LevelProvince)
	if p == "" {
		return ProjectionCell{}, false
	}
	return ProjectionCell{Category: category, AgeBand: ageBand, Province: p}, true
}

// Reproject computes the projection every group of a cell's published needs
// should have now (see CoarsenRegion, with household types counted in the
// county cell) and returns the groups whose stored projection differs.
func Reproject(groups []CellNeeds, k int, d *kernel.Divisions) []ProjectionChange {
	counts := map[string]int{}                              // division code → needs within it
	typeCounts := map[string]map[kernel.HouseholdType]int{} // county code → type → needs carrying it
	levels := func(code string) []string {
		var out []string
		for _, l := range []kernel.DivisionLevel{kernel.LevelCounty, kernel.LevelCity, kernel.LevelProvince} {
			if c := d.Coarsen(code, l); c != "" && (len(out) == 0 || out[len(out)-1] != c) {
				out = append(out, c)
			}
		}
		return out
	}
	for _, g := range groups {
		ls := levels(g.RegionCode)
		for _, c := range ls {
			counts[c] += g.Count
		}
		if len(ls) == 0 {
			continue
		}
		tc := typeCounts[ls[0]]
		if tc == nil {
			tc = map[kernel.HouseholdType]int{}
			typeCounts[ls[0]] = tc
		}
		seen := map[kernel.HouseholdType]bool{}
		for _, t := range g.HouseholdTypes {
			if !seen[t] {
				seen[t] = true
				tc[t] += g.Count
			}
		}
	}
	var out []ProjectionChange
	for i, g := range groups {
		region := CoarsenRegion(g.RegionCode, k, func(code string) int { return counts[code] }, d)
		county := d.Coarsen(g.RegionCode, kernel.LevelCounty)
		types := KeepHouseholdTypes(g.HouseholdTypes, k, func(t kernel.HouseholdType) int { return typeCounts[county][t] })
		if region != g.PublicRegionCode || !slices.Equal(types, g.PublicHouseholdTypes) {
			c := ProjectionChange{Group: i, RegionCode: region, HouseholdTypes: types}
			switch {
			case coarser(region, g.PublicRegionCode, d):
				c.HidePlaces = HiddenPlaceNames(d, g.RegionCode, region)
			case g.PublicRegionCode != "" && region != g.PublicRegionCode:
				c.Retext = true
			}
			out = append(out, c)
		}
	}
	return out
}

// coarser reports whether region shows less than the previously shown one
// (a need shown at its county now shown at its province or nationwide).
func coarser(region, was string, d *kernel.Divisions) bool {
	if was == "" || region == was {
		return false
	}
	if region == kernel.NationalRegion {
		return true
	}
	return was != kernel.NationalRegion && d.Level(region).Rank() < d.Level(was).Rank()
}
