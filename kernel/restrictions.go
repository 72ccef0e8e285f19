package kernel

import (
	"fmt"
	"slices"
	"strings"
)

// Restrictions say which needs the money of a fund or project may serve
// (专款专用). An empty list allows every value; PerNeedCapFen 0 means no cap.
type Restrictions struct {
	Categories     []Category      `json:"categories"`
	RegionPrefixes []string        `json:"region_prefixes"`
	HouseholdTypes []HouseholdType `json:"household_types"`
	PerNeedCapFen  int64           `json:"per_need_cap_fen"`
}

// Validate checks every list against the code lists and the division table
// (a region prefix is a known division code with its trailing zero pairs
// removed, or the code itself).
func (r Restrictions) Validate(d *Divisions, field string) error {
	v := &ValidationError{}
	for _, c := range r.Categories {
		if !c.Valid() {
			v.Add(field+".categories", "unknown category %q", c)
		}
	}
	for _, h := range r.HouseholdTypes {
		if !h.Valid() {
			v.Add(field+".household_types", "unknown household type %q", h)
		}
	}
	for _, p := range r.RegionPrefixes {
		if !RegionPrefixOK(d, p) {
			v.Add(field+".region_prefixes", "%q is not a division code or its prefix (2, 4, 6 or 9 digits of a known code)", p)
		}
	}
	if r.PerNeedCapFen < 0 {
		v.Add(field+".per_need_cap_fen", "must be zero (no cap) or positive")
	}
	return v.Err()
}

// RegionPrefixOK reports whether p is a usable region prefix: 2 (province),
// 4 (city), 6 (county) or 9 (town) digits of a known division.
func RegionPrefixOK(d *Divisions, p string) bool {
	switch len(p) {
	case 2, 4:
		return d != nil && d.Known(p+strings.Repeat("0", 6-len(p)))
	case 6:
		return d != nil && d.Known(p)
	case 9:
		return d != nil && d.Known(p)
	}
	return false
}

// NeedFacts is what eligibility looks at of a need: nothing private but the
// exact region code, which never leaves the server.
type NeedFacts struct {
	Status         NeedStatus // the effective status (see EffectiveStatus)
	Category       Category
	RegionCode     string
	HouseholdTypes []HouseholdType
	RequestedFen   int64
	FundedFen      int64
	// Screening is the need's latest screening result ("" when never screened).
	Screening ScreeningOutcome
}

// Ineligibility is one reason a need may not receive money from a source.
type Ineligibility struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Reasons why a need fails a source's restrictions or state.
const (
	FailCategory      = "category"
	FailRegion        = "region"
	FailHouseholdType = "household_type"
	FailStatus        = "status"
	FailFullyFunded   = "fully_funded"
	FailScreening     = "screening_block"
	FailCap           = "per_need_cap"
)

// Fails returns every reason the need may not receive money from a source
// with these restrictions, having already received givenFen from it; none
// means eligible. It is the one eligibility rule shared by listing,
// matching, allocation and plan execution.
func (r Restrictions) Fails(n NeedFacts, givenFen int64) []Ineligibility {
	var out []Ineligibility
	if len(r.Categories) > 0 && !slices.Contains(r.Categories, n.Category) {
		out = append(out, Ineligibility{FailCategory, fmt.Sprintf("category %s is not among %v", n.Category, r.Categories)})
	}
	if len(r.RegionPrefixes) > 0 {
		ok := false
		for _, p := range r.RegionPrefixes {
			if strings.HasPrefix(n.RegionCode, p) {
				ok = true
				break
			}
		}
		if !ok {
			out = append(out, Ineligibility{FailRegion, "the need's region is outside the source's regions"})
		}
	}
	if len(r.HouseholdTypes) > 0 {
		ok := false
		for _, h := range n.HouseholdTypes {
			if slices.Contains(r.HouseholdTypes, h) {
				ok = true
				break
			}
		}
		if !ok {
			out = append(out, Ineligibility{FailHouseholdType, fmt.Sprintf("the household is none of %v", r.HouseholdTypes)})
		}
	}
	if n.Status != NeedOpen {
		out = append(out, Ineligibility{FailStatus, fmt.Sprintf("the need is %s, not open", n.Status)})
	} else if n.FundedFen >= n.RequestedFen {
		out = append(out, Ineligibility{FailFullyFunded, "the need is fully funded"})
	}
	if n.Screening == ScreenBlock {
		out = append(out, Ineligibility{FailScreening, "the need's screening blocks it"})
	}
	if r.PerNeedCapFen > 0 && givenFen >= r.PerNeedCapFen {
		out = append(out, Ineligibility{FailCap, fmt.Sprintf("the source already gave its cap of %d fen to this need", r.PerNeedCapFen)})
	}
	return out
}

// MaxFen is the most the source may still give the need: its remaining
// amount, bounded by the per-need cap less what the source already gave.
func (r Restrictions) MaxFen(n NeedFacts, givenFen int64) int64 {
	m := max(n.RequestedFen-n.FundedFen, 0)
	if r.PerNeedCapFen > 0 {
		m = min(m, max(r.PerNeedCapFen-givenFen, 0))
	}
	return m
}

// Allows reports whether Fails(n, givenFen) would return no reason, without
// building the reasons: planners and rankers check millions of pairs. It
// must stay the same rule as Fails (a property test compares them).
func (r Restrictions) Allows(n NeedFacts, givenFen int64) bool {
	if n.Status != NeedOpen || n.FundedFen >= n.RequestedFen || n.Screening == ScreenBlock {
		return false
	}
	if r.PerNeedCapFen > 0 && givenFen >= r.PerNeedCapFen {
		return false
	}
	if len(r.Categories) > 0 && !slices.Contains(r.Categories, n.Category) {
		return false
	}
	if len(r.RegionPrefixes) > 0 {
		ok := false
		for _, p := range r.RegionPrefixes {
			if strings.HasPrefix(n.RegionCode, p) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if len(r.HouseholdTypes) > 0 {
		for _, h := range n.HouseholdTypes {
			if slices.Contains(r.HouseholdTypes, h) {
				return true
			}
		}
		return false
	}
	return true
}
