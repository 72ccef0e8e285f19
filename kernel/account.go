package kernel

import (
	"regexp"
	"time"
)

// Role is what a person may do. A user holds one or more roles, each within
// an organization except donor, volunteer and admin.
type Role string

const (
	RoleDonor           Role = "donor"
	RoleVolunteer       Role = "volunteer"
	RoleSocialWorker    Role = "social_worker"
	RoleVerifier        Role = "verifier"
	RoleFederationStaff Role = "federation_staff"
	RoleAuditor         Role = "auditor"
	RoleAdmin           Role = "admin"
)

// Roles lists every role.
var Roles = []Role{RoleDonor, RoleVolunteer, RoleSocialWorker, RoleVerifier, RoleFederationStaff, RoleAuditor, RoleAdmin}

// OrgKind is the kind of an organization.
type OrgKind string

const (
	OrgCharityFederation OrgKind = "charity_federation" // 慈善总会
	OrgCharity           OrgKind = "charity"            // 慈善组织
	OrgSocialWorkAgency  OrgKind = "social_work_agency" // 社工机构
	OrgCivilAffairs      OrgKind = "civil_affairs"      // 民政部门
)

// OrgKinds lists every organization kind.
var OrgKinds = []OrgKind{OrgCharityFederation, OrgCharity, OrgSocialWorkAgency, OrgCivilAffairs}

// orgRoles says which staff roles an organization of each kind may grant.
var orgRoles = map[OrgKind][]Role{
	OrgCharityFederation: {RoleFederationStaff, RoleSocialWorker, RoleAuditor},
	OrgCharity:           {RoleFederationStaff, RoleSocialWorker, RoleAuditor},
	OrgSocialWorkAgency:  {RoleSocialWorker, RoleAuditor},
	OrgCivilAffairs:      {RoleVerifier, RoleSocialWorker, RoleAuditor},
}

// CanGrant reports whether an organization of kind k may hold members with role r.
func (k OrgKind) CanGrant(r Role) bool {
	for _, x := range orgRoles[k] {
		if x == r {
			return true
		}
	}
	return false
}

// Valid reports whether k is a known kind.
func (k OrgKind) Valid() bool { _, ok := orgRoles[k]; return ok }

// Roles lists the staff roles an organization of kind k may grant.
func (k OrgKind) Roles() []Role { return orgRoles[k] }

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if x == r {
			return true
		}
	}
	return false
}

// Org is an organization: a charity federation, a charity, a social work
// agency or a civil affairs bureau, rooted in a region.
type Org struct {
	ID         int64
	PublicID   string
	Name       string
	Kind       OrgKind
	RegionCode string
	CreatedAt  time.Time
	// Collection is where donors transfer money given through the
	// organization; empty until its staff enter it.
	Collection CollectionAccount
	// Registration is the charity's credit code and registered name, for
	// its receipts; empty until its staff enter them.
	Registration OrgRegistration
}

// CollectionAccount is an organization's account for donations: a bank
// account and, optionally, a link to its own donation page.
type CollectionAccount struct {
	AccountName string
	Bank        string
	AccountNo   string
	// PayLink is an https address where donors can pay online.
	PayLink string
}

// Set reports whether donors have an account to transfer to.
func (a CollectionAccount) Set() bool {
	return a.AccountNo != "" && a.AccountName != "" && a.Bank != ""
}

// User is an account. PasswordHash never leaves the store and the service.
type User struct {
	ID           int64
	PublicID     string
	Email        string
	PasswordHash string
	DisplayName  string
	Disabled     bool
	// SessionVersion is the version every token of the user must carry;
	// moving it on ends all their sessions at once.
	SessionVersion int64
	FailedLogins   int
	LockedUntil    *time.Time
	CreatedAt      time.Time
}

// Membership grants a role, within an organization for staff roles.
type Membership struct {
	Role Role
	// Org is nil for donor, volunteer and admin.
	Org *Org
}

// Principal is an authenticated user with the roles the store holds for them
// now (not what a token once said).
type Principal struct {
	User        User
	Memberships []Membership
}

// Has reports whether p holds role r in any organization.
func (p *Principal) Has(r Role) bool {
	if p == nil {
		return false
	}
	for _, m := range p.Memberships {
		if m.Role == r {
			return true
		}
	}
	return false
}

// HasAny reports whether p holds any of roles.
func (p *Principal) HasAny(roles ...Role) bool {
	for _, r := range roles {
		if p.Has(r) {
			return true
		}
	}
	return false
}

// OrgsWith returns the organizations in which p holds role r.
func (p *Principal) OrgsWith(r Role) []*Org {
	if p == nil {
		return nil
	}
	var out []*Org
	for _, m := range p.Memberships {
		if m.Role == r && m.Org != nil {
			out = append(out, m.Org)
		}
	}
	return out
}

// InOrg reports whether p holds role r in the organization with internal id orgID.
func (p *Principal) InOrg(r Role, orgID int64) bool {
	for _, o := range p.OrgsWith(r) {
		if o.ID == orgID {
			return true
		}
	}
	return false
}

// RoleNames returns p's distinct role names.
func (p *Principal) RoleNames() []string {
	seen := map[Role]bool{}
	var out []string
	for _, m := range p.Memberships {
		if !seen[m.Role] {
			seen[m.Role] = true
			out = append(out, string(m.Role))
		}
	}
	return out
}

var regionCodeRe = regexp.MustCompile(`^\d{6}(\d{3}(\d{3})?)?$`)

// RegionCodeFormatOK reports whether code has the shape of a GB/T 2260 code
// (6 digits for a county, 9 for a town, 12 for a village). Whether the place
// exists is the division table's question.
func RegionCodeFormatOK(code string) bool { return regionCodeRe.MatchString(code) }
