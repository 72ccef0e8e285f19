package stats

import (
	"strings"

	"github.com/jiujinan/jiujinan/kernel"
)

// Area is a place whose statistics a user may read: the region of one of
// their organizations, and whose money in it.
//
// The rule, one for the page, the export and the API:
//   - a verifier of a civil affairs office reads its region: every need
//     there and all money raised by organizations there or given and paid
//     to needs there (marketplace.CoveringVerifier's region);
//   - federation staff and auditors of a charity federation read the
//     federation's region in the same way: a county federation its county,
//     a city or provincial federation every county under it;
//   - federation staff and auditors of any other organization (a charity,
//     a social work agency) read the needs of their organization's region,
//     and of the money only their own organization's (Org);
//   - an auditor of a civil affairs office reads as its verifiers do.
//
// Everyone else has no area.
type Area struct {
	// Region is the organization's region code (6 digits, or 9 for a
	// town), Prefix the prefix every code inside it starts with.
	Region, Prefix string
	// Org, when set, is the one organization whose money the area shows.
	Org *kernel.Org
}

// Contains reports whether the area covers the region with this prefix
// (as kernel.Divisions.ParseRegionFilter returns it).
func (a Area) Contains(prefix string) bool { return strings.HasPrefix(prefix, a.Prefix) }

// MoneyOf reports whether the area shows the money of organization orgID.
func (a Area) MoneyOf(orgID int64) bool { return a.Org == nil || a.Org.ID == orgID }

// Areas returns the areas of p: one per organization in which p holds a
// role that reads statistics (see Area), an unrestricted area first where
// one region has both.
func Areas(d *kernel.Divisions, p *kernel.Principal) []Area {
	if p == nil || d == nil {
		return nil
	}
	var out []Area
	add := func(o *kernel.Org, limited bool) {
		prefix := regionPrefix(d, o.RegionCode)
		if prefix == "" {
			return
		}
		a := Area{Region: o.RegionCode, Prefix: prefix}
		if limited {
			a.Org = o
		}
		for i := range out {
			if out[i].Region != a.Region {
				continue
			}
			if out[i].Org != nil && a.Org == nil {
				out[i] = a
			}
			if out[i].Org == nil || a.Org == nil || out[i].Org.ID == a.Org.ID {
				return
			}
		}
		out = append(out, a)
	}
	for _, m := range p.Memberships {
		if m.Org == nil {
			continue
		}
		switch m.Role {
		case kernel.RoleVerifier:
			if m.Org.Kind == kernel.OrgCivilAffairs {
				add(m.Org, false)
			}
		case kernel.RoleFederationStaff, kernel.RoleAuditor:
			add(m.Org, m.Org.Kind != kernel.OrgCharityFederation && m.Org.Kind != kernel.OrgCivilAffairs)
		}
	}
	// Unrestricted areas first, so that a region both grant reads whole.
	var free, limited []Area
	for _, a := range out {
		if a.Org == nil {
			free = append(free, a)
		} else {
			limited = append(limited, a)
		}
	}
	return append(free, limited...)
}

// FederationAreas returns the regions of the charity federations in which
// p is staff: the places whose counties p sees together (CountyView).
func FederationAreas(d *kernel.Divisions, p *kernel.Principal) []Area {
	var out []Area
	seen := map[string]bool{}
	for _, o := range p.OrgsWith(kernel.RoleFederationStaff) {
		prefix := regionPrefix(d, o.RegionCode)
		if o.Kind != kernel.OrgCharityFederation || prefix == "" || seen[o.RegionCode] {
			continue
		}
		seen[o.RegionCode] = true
		out = append(out, Area{Region: o.RegionCode, Prefix: prefix})
	}
	return out
}

// areaFor returns the area of areas that covers prefix, preferring one
// without an organization limit; false when none does.
func areaFor(areas []Area, prefix string) (Area, bool) {
	for _, a := range areas { // unrestricted first (Areas)
		if a.Contains(prefix) {
			return a, true
		}
	}
	return Area{}, false
}

// codeOf is the division code of a region prefix: 37 → 370000, 3717 →
// 371700, a county or town code itself.
func codeOf(prefix string) string {
	switch len(prefix) {
	case 2:
		return prefix + "0000"
	case 4:
		return prefix + "00"
	}
	return prefix
}

// regionPrefix is the prefix of an organization's region: the division's
// (marketplace.VerifierRegions does the same), or the code itself for one
// the table does not know.
func regionPrefix(d *kernel.Divisions, code string) string {
	if p := d.Prefix(code); p != "" {
		return p
	}
	return code
}
