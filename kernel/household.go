package kernel

// HouseholdRole is what a member of a need's household is to the
// beneficiary, as screening names it: a fixed set mapped from the free
// text the worker entered (marketplace.RoleOfRelation), never the member's
// name or ID number. Screening evidence names a payment to another member
// by it (户主名下的低保金).
type HouseholdRole string

// The household roles.
const (
	// RoleBeneficiary is the person the need is for.
	RoleBeneficiary HouseholdRole = "beneficiary"
	// RoleHead is the head of the household (户主), under whom statutory
	// programmes paid per household (低保, 特困) are usually recorded.
	RoleHead        HouseholdRole = "head"
	RoleSpouse      HouseholdRole = "spouse"
	RoleChild       HouseholdRole = "child"
	RoleParent      HouseholdRole = "parent"
	RoleSibling     HouseholdRole = "sibling"
	RoleGrandparent HouseholdRole = "grandparent"
	RoleGrandchild  HouseholdRole = "grandchild"
	// RoleMember is any other member (in-laws, nephews, cousins, a
	// relation the mapping does not know).
	RoleMember HouseholdRole = "member"
)

// HouseholdRoles lists the roles in the order pages list them.
var HouseholdRoles = []HouseholdRole{RoleBeneficiary, RoleHead, RoleSpouse, RoleChild, RoleParent, RoleSibling,
	RoleGrandparent, RoleGrandchild, RoleMember}

// Valid reports whether r is a known role.
func (r HouseholdRole) Valid() bool {
	for _, x := range HouseholdRoles {
		if r == x {
			return true
		}
	}
	return false
}
