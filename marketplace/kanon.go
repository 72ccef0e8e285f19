package marketplace

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
func CoarsenRegion(fine string, k int, count func(regionCode string) int, d *Divisions) string {
	county := d.Coarsen(fine, LevelCounty)
	if county == "" {
		return NationalRegion
	}
	if k <= 1 {
		return county
	}
	prev := ""
	for _, level := range []DivisionLevel{LevelCounty, LevelCity, LevelProvince} {
		code := d.Coarsen(fine, level)
		if code == prev {
			continue // the level is skipped for this division
		}
		prev = code
		if count(code) >= k {
			return code
		}
	}
	return NationalRegion
}

// KeepHouseholdTypes returns the household types of a need that at least k
// published needs of its cell carry (countWith(t) counts them, including
// this one), in their original order and without repeats; the others are
// dropped, since a rare type (an orphan in a small county) would single the
// household out. It never returns nil. With k <= 1 every type is kept.
func KeepHouseholdTypes(types []HouseholdType, k int, countWith func(HouseholdType) int) []HouseholdType {
	out := make([]HouseholdType, 0, len(types))
	seen := make(map[HouseholdType]bool, len(types))
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
