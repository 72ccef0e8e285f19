package notify

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jiujinan/jiujinan/kernel"
)

// Rule says who is told of an event of a kind: by role and scope, the
// same rules by which those people work on the object (a verifier of the
// civil affairs office covering the need's region clears it and resolves
// its objections; the posting organization's social workers own it; a
// donor their gifts).
type Rule struct {
	// Staff: the holders of a role in organizations of the listed kinds
	// whose region is the event's Region or contains it.
	Staff []StaffRule
	// PostingOrg: the holders of these roles in the event's Org.
	PostingOrg []kernel.Role
	// User: the event's User (or UserRow).
	User bool
	// PledgeDonor: the donor of the event's PledgeRow.
	PledgeDonor bool
	// Roles are the roles of those told, for the preferences page.
	Roles []kernel.Role
}

// StaffRule is a role in organizations of some kinds.
type StaffRule struct {
	Role  kernel.Role
	Kinds []kernel.OrgKind
}

// reportOrgs are the organizations whose social workers receive reports
// (marketplace.ReportRoutedKinds: the report is routed to them).
var reportOrgs = []kernel.OrgKind{kernel.OrgSocialWorkAgency, kernel.OrgCharity, kernel.OrgCharityFederation}

// coveringVerifier: a verifier of the civil affairs office whose region
// contains the need's (marketplace.CoveringVerifier).
var coveringVerifier = StaffRule{Role: kernel.RoleVerifier, Kinds: []kernel.OrgKind{kernel.OrgCivilAffairs}}

var donor = []kernel.Role{kernel.RoleDonor}

var rules = map[Kind]Rule{
	// Social workers of the organizations the report is routed to, and
	// the civil affairs office of the region.
	KindReportNew: {Staff: []StaffRule{{Role: kernel.RoleSocialWorker, Kinds: reportOrgs}, coveringVerifier},
		Roles: []kernel.Role{kernel.RoleSocialWorker, kernel.RoleVerifier}},
	KindClearanceDue:     {Staff: []StaffRule{coveringVerifier}, Roles: []kernel.Role{kernel.RoleVerifier}},
	KindClearanceOverdue: {Staff: []StaffRule{coveringVerifier}, Roles: []kernel.Role{kernel.RoleVerifier}},
	// The verifier who resolves it and the organization that posted the need.
	KindObjectionReceived: {Staff: []StaffRule{coveringVerifier}, PostingOrg: []kernel.Role{kernel.RoleSocialWorker},
		Roles: []kernel.Role{kernel.RoleVerifier, kernel.RoleSocialWorker}},
	KindObjectionResolved: {Staff: []StaffRule{coveringVerifier}, PostingOrg: []kernel.Role{kernel.RoleSocialWorker},
		Roles: []kernel.Role{kernel.RoleVerifier, kernel.RoleSocialWorker}},
	// A referral is worked by the verifiers whose office covers the need
	// (screening.Service.Referrals lists it to them).
	KindReferralOpened:          {Staff: []StaffRule{coveringVerifier}, Roles: []kernel.Role{kernel.RoleVerifier}},
	KindPledgeConfirmed:         {User: true, Roles: donor},
	KindGiftDisbursed:           {PledgeDonor: true, Roles: donor},
	KindMonthlyGiftTaken:        {User: true, Roles: donor},
	KindMonthlyGiftFailed:       {User: true, Roles: donor},
	KindMonthlyGiftDue:          {User: true, Roles: donor},
	KindMonthlyGiftChargeFailed: {User: true, Roles: donor},
	KindClaimApproved:           {User: true, Roles: []kernel.Role{kernel.RoleVolunteer}},
	KindImportFinished:          {User: true, Roles: []kernel.Role{kernel.RoleVerifier}},
}

// RuleOf returns the rule of kind k.
func RuleOf(k Kind) Rule { return rules[k] }

// KindsFor lists the kinds that may reach a holder of any of roles, in
// the order of Kinds.
func KindsFor(roles []kernel.Role) []Kind {
	var out []Kind
	for _, k := range Kinds {
		if slices.ContainsFunc(rules[k].Roles, func(r kernel.Role) bool { return slices.Contains(roles, r) }) {
			out = append(out, k)
		}
	}
	return out
}

// Recipient is a user an event may reach.
type Recipient struct {
	UserID      int64
	PublicID    string
	DisplayName string
	Email       string
	Disabled    bool
}

// Member is a recipient holding a role in an organization of a region.
type Member struct {
	Recipient
	OrgRegion string
}

// Directory finds the people a rule names. It reads the accounts as they
// are when the event is dispatched, so that staff who joined or left
// since it happened are told or not accordingly.
type Directory interface {
	// StaffIn returns the holders of role in organizations of one of kinds
	// whose region code is one of regions, with that region.
	StaffIn(ctx context.Context, role kernel.Role, kinds []kernel.OrgKind, regions []string) ([]Member, error)
	// StaffOf returns the holders of role in the organization orgPublicID.
	StaffOf(ctx context.Context, orgPublicID string, role kernel.Role) ([]Recipient, error)
	// User returns a user by public id or, when it is "", by row id;
	// ErrNotFound.
	User(ctx context.Context, publicID string, row int64) (*Recipient, error)
	// PledgeDonor returns the donor of the pledge with row id pledgeRow;
	// ErrNotFound.
	PledgeDonor(ctx context.Context, pledgeRow int64) (*Recipient, error)
}

// Covering returns the region codes whose organizations cover region: the
// region itself, every division above it and the whole country
// (kernel.Divisions.Contains).
func Covering(d *kernel.Divisions, region string) []string {
	out := []string{region}
	if d != nil {
		out = append(out, d.Ancestors(region)...)
	}
	if region != kernel.NationalRegion {
		out = append(out, kernel.NationalRegion)
	}
	return out
}

// Recipients returns the users e reaches by its kind's rule, each once,
// leaving out disabled accounts.
func Recipients(ctx context.Context, dir Directory, d *kernel.Divisions, e Event) ([]Recipient, error) {
	r, ok := rules[e.Kind]
	if !ok {
		return nil, fmt.Errorf("notify: unknown kind %q", e.Kind)
	}
	var out []Recipient
	seen := map[int64]bool{}
	add := func(rs ...Recipient) {
		for _, x := range rs {
			if !seen[x.UserID] && !x.Disabled {
				seen[x.UserID] = true
				out = append(out, x)
			}
		}
	}
	if len(r.Staff) > 0 {
		regions := Covering(d, e.Region)
		for _, sr := range r.Staff {
			ms, err := dir.StaffIn(ctx, sr.Role, sr.Kinds, regions)
			if err != nil {
				return nil, err
			}
			for _, m := range ms {
				if d == nil || d.Contains(m.OrgRegion, e.Region) {
					add(m.Recipient)
				}
			}
		}
	}
	for _, role := range r.PostingOrg {
		rs, err := dir.StaffOf(ctx, e.Org, role)
		if err != nil && !errors.Is(err, kernel.ErrNotFound) {
			return nil, err
		}
		add(rs...)
	}
	one := func(u *Recipient, err error) error {
		switch {
		case err == nil:
			add(*u)
		case !errors.Is(err, kernel.ErrNotFound):
			return err
		}
		return nil
	}
	if r.User {
		if err := one(dir.User(ctx, e.User, e.UserRow)); err != nil {
			return nil, err
		}
	}
	if r.PledgeDonor {
		if err := one(dir.PledgeDonor(ctx, e.PledgeRow)); err != nil {
			return nil, err
		}
	}
	return out, nil
}
