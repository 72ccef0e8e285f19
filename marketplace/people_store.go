package marketplace

import (
	"context"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// PeopleStore keeps volunteers, active-discovery reports, volunteer claims
// and service pledges. Methods that change something take the audit entry to
// append in the same transaction. Lookups return ErrNotFound when nothing
// matches.
type PeopleStore interface {
	// SaveVolunteer creates or replaces the profile of v.UserID: the
	// volunteer row, skills, regions and availability, in one transaction.
	// It sets v.ID, and v.PublicID when the profile is new. The background
	// check is left as it is.
	SaveVolunteer(ctx context.Context, v *Volunteer, audit AuditEntry) error
	// VolunteerByUser loads a profile by the user's row id, CurrentLoad as at now.
	VolunteerByUser(ctx context.Context, userID int64, now time.Time) (*Volunteer, error)
	// VolunteerByPublicID loads a profile by its public id, CurrentLoad as at now.
	VolunteerByPublicID(ctx context.Context, publicID string, now time.Time) (*Volunteer, error)
	// ListVolunteers lists profiles, those with background status bg only
	// when bg is not empty, newest first, at most limit.
	ListVolunteers(ctx context.Context, bg BackgroundStatus, limit int, now time.Time) ([]Volunteer, error)
	// VolunteersServing returns the volunteers one of whose regions has a
	// prefix in regionPrefixes and who offer at least one of services,
	// CurrentLoad as at now, at most limit.
	VolunteersServing(ctx context.Context, regionPrefixes []string, services []kernel.Service, limit int, now time.Time) ([]Volunteer, error)
	// SetBackgroundCheck records a volunteer's background check.
	SetBackgroundCheck(ctx context.Context, volunteerID int64, bc BackgroundCheck, at time.Time, audit AuditEntry) error

	// OrgsCovering returns the organizations of the given kinds whose region
	// is one of codes.
	OrgsCovering(ctx context.Context, codes []string, kinds []kernel.OrgKind) ([]kernel.Org, error)
	// CreateReport stores r, where it is routed and its follow-up step
	// (r.FollowUp).
	CreateReport(ctx context.Context, r *Report, audit AuditEntry) error
	// ReportByPublicID loads a report with its routes.
	ReportByPublicID(ctx context.Context, publicID string) (*Report, error)
	// ReportsForOrgs lists the reports routed to any of orgIDs (status
	// filter when not empty), the new ones first by their follow-up due,
	// then the others newest first, at most limit, with their routes and
	// follow-up steps.
	ReportsForOrgs(ctx context.Context, orgIDs []int64, status ReportStatus, limit int) ([]Report, error)
	// UpdateReport writes r's status, owner, note and handler when the
	// stored status is still from; ErrConflict otherwise. Moving a report
	// out of new ends its follow-up step (outcome: the new status).
	UpdateReport(ctx context.Context, r *Report, from ReportStatus, audit AuditEntry) error

	// NeedRef loads what people's rules need of a need and its household.
	NeedRef(ctx context.Context, needPublicID string) (*NeedRef, error)

	// CreateClaim stores c after checking, under a lock on the volunteer,
	// that the volunteer has fewer than loadLimit active claims at now and
	// no active claim of the same need and service (ErrConflict).
	CreateClaim(ctx context.Context, c *Claim, loadLimit int, now time.Time, audit AuditEntry) error
	// ClaimByPublicID loads a claim.
	ClaimByPublicID(ctx context.Context, publicID string) (*Claim, error)
	// ClaimsForNeed lists a need's claims, newest first.
	ClaimsForNeed(ctx context.Context, needID int64) ([]Claim, error)
	// ClaimsForOrgs lists the claims on needs of any of orgIDs, with
	// status only when it is not empty, newest first, at most limit.
	ClaimsForOrgs(ctx context.Context, orgIDs []int64, status ClaimStatus, limit int) ([]Claim, error)
	// ClaimsForVolunteer lists a volunteer's claims, newest first.
	ClaimsForVolunteer(ctx context.Context, volunteerID int64) ([]Claim, error)
	// UpdateClaim writes c's status and dates when the stored status is
	// still from; ErrConflict otherwise.
	UpdateClaim(ctx context.Context, c *Claim, from ClaimStatus, audit AuditEntry) error
	// AppendAudit appends one entry on its own (a reveal of private data).
	AppendAudit(ctx context.Context, audit AuditEntry) error

	// CreateServicePledge stores p.
	CreateServicePledge(ctx context.Context, p *ServicePledge, audit AuditEntry) error
	// ServicePledgeByPublicID loads a pledge.
	ServicePledgeByPublicID(ctx context.Context, publicID string) (*ServicePledge, error)
	// UpdateServicePledge writes p's status when the stored status is still
	// from; ErrConflict otherwise.
	UpdateServicePledge(ctx context.Context, p *ServicePledge, from ServicePledgeStatus, audit AuditEntry) error
	// AddServiceLog stores l and adds its minutes to the pledge's logged
	// total, provided the pledge is still accepted (ErrConflict otherwise).
	AddServiceLog(ctx context.Context, l *ServiceLog, audit AuditEntry) error
	// ServicePledgesForNeed lists a need's pledges, oldest first.
	ServicePledgesForNeed(ctx context.Context, needID int64) ([]ServicePledge, error)
	// ServicePledgesForVolunteer lists a volunteer's pledges, newest first.
	ServicePledgesForVolunteer(ctx context.Context, volunteerID int64) ([]ServicePledge, error)
	// ServiceLogs lists the logs of the given pledges, by date.
	ServiceLogs(ctx context.Context, pledgeIDs []int64) ([]ServiceLog, error)
}

// NeedRef is what the people rules read of a need: never shown as such to
// anyone; the household's contact stays sealed in IdentityCT until a claim
// reveals it.
type NeedRef struct {
	ID             int64
	PublicID       string
	OrgID          int64
	OrgPublicID    string
	Status         kernel.NeedStatus
	NoticeEndsAt   *time.Time
	Deadline       *time.Time
	RequestedFen   int64
	FundedFen      int64
	PublishedAt    *time.Time
	ConsentPublic  bool
	RegionCode     string
	AgeBand        kernel.AgeBand
	HouseholdTypes []kernel.HouseholdType
	ServiceNeeds   []kernel.Service
	// The beneficiary's sealed identity (AD: BeneficiaryPublicID).
	BeneficiaryPublicID string
	IdentityCT          []byte
	IdentityKID         string
}

// EffectiveStatus is the need's status at now as its public page shows
// it: expired once its deadline passed unfunded (PublicStatusAt), so that
// volunteers are not sent to a need that can no longer be served.
func (n *NeedRef) EffectiveStatus(now time.Time) kernel.NeedStatus {
	return PublicStatusAt(n.Status, n.NoticeEndsAt, n.Deadline, n.RequestedFen, n.FundedFen, now)
}

// Public reports whether the need appears on public surfaces at now:
// published with the household's consent and past clearance.
func (n *NeedRef) Public(now time.Time) bool {
	if n.PublishedAt == nil || !n.ConsentPublic {
		return false
	}
	switch n.EffectiveStatus(now) {
	case kernel.NeedNotice, kernel.NeedOpen, kernel.NeedFunded, kernel.NeedDisbursed, kernel.NeedClosed, kernel.NeedExpired:
		return true
	}
	return false
}

// AsksFor reports whether the need lists service among its service needs.
func (n *NeedRef) AsksFor(s kernel.Service) bool {
	for _, x := range n.ServiceNeeds {
		if x == s {
			return true
		}
	}
	return false
}
