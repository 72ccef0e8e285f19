package marketplace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/notify"
)

// ClaimStatus is where a volunteer's claim of a service need is. An approved
// claim whose window has ended is reported as ClaimEnded (computed from the
// clock; nothing needs to run for it).
type ClaimStatus string

// Claim statuses.
const (
	ClaimPending  ClaimStatus = "pending"
	ClaimApproved ClaimStatus = "approved"
	ClaimRejected ClaimStatus = "rejected"
	ClaimReleased ClaimStatus = "released"
	ClaimEnded    ClaimStatus = "ended" // computed, never stored
)

// MaxClaimWindowDays bounds a claim's window.
const MaxClaimWindowDays = 30

// Claim is a volunteer's claim to give a service to a need for a window of
// days that starts when the posting organization approves it.
type Claim struct {
	ID                int64
	PublicID          string
	NeedID            int64
	NeedPublicID      string // filled when read
	VolunteerID       int64
	VolunteerPublicID string // filled when read
	VolunteerName     string // filled when read
	Service           kernel.Service
	WindowDays        int
	Status            ClaimStatus
	DecidedBy         string
	DecidedAt         *time.Time
	StartsAt          *time.Time
	EndsAt            *time.Time
	ReleasedAt        *time.Time
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// EffectiveStatus is the claim's status at now: approved turns ended when
// the window is over.
func (c *Claim) EffectiveStatus(now time.Time) ClaimStatus {
	if c.Status == ClaimApproved && c.EndsAt != nil && !now.Before(*c.EndsAt) {
		return ClaimEnded
	}
	return c.Status
}

// ClaimRejectReason says why the posting organization turns a claim down.
// It is a code rather than free text so that the audit log, which holds
// public facts only, can keep it with the decision.
type ClaimRejectReason string

// Reasons for turning a claim down.
const (
	RejectAlreadyCovered    ClaimRejectReason = "already_covered"    // another volunteer gives this service
	RejectNoLongerNeeded    ClaimRejectReason = "no_longer_needed"   // the household no longer needs it
	RejectNotSuitable       ClaimRejectReason = "not_suitable"       // the volunteer's skills do not fit the household's situation
	RejectSchedule          ClaimRejectReason = "schedule"           // the window does not suit the household
	RejectHouseholdDeclined ClaimRejectReason = "household_declined" // the household does not want a visit
	RejectOther             ClaimRejectReason = "other"
)

// ClaimRejectReasons lists every reason, in the order forms offer them.
var ClaimRejectReasons = []ClaimRejectReason{RejectAlreadyCovered, RejectNoLongerNeeded, RejectNotSuitable, RejectSchedule,
	RejectHouseholdDeclined, RejectOther}

// Valid reports whether r is a known reason.
func (r ClaimRejectReason) Valid() bool { return slices.Contains(ClaimRejectReasons, r) }

// ClaimInput is a volunteer's claim.
type ClaimInput struct {
	Service    string
	WindowDays int
}

// ErrBackgroundCheckRequired refuses a home-visit service to a household with
// a minor, an elderly or a disabled person by a volunteer without a cleared
// background check (see NeedsBackgroundCheck). It wraps ErrForbidden.
var ErrBackgroundCheckRequired error = kernel.Refuse(kernel.ErrForbidden, "refusal_background_check", nil, "a cleared background check is required to visit a household with a minor, an elderly or a disabled person at home")

// serviceable reports whether a need accepts volunteers now.
func serviceable(n *NeedRef, now time.Time) bool {
	switch n.EffectiveStatus(now) {
	case kernel.NeedOpen, kernel.NeedFunded:
		return true
	}
	return false
}

// myVolunteer loads the caller's profile; ErrForbidden for non-volunteers,
// a validation error when they have none yet.
func (s *PeopleService) myVolunteer(ctx context.Context, by *kernel.Principal, now time.Time) (*Volunteer, error) {
	if !by.Has(kernel.RoleVolunteer) {
		return nil, kernel.ErrForbidden
	}
	v, err := s.Store.VolunteerByUser(ctx, by.User.ID, now)
	if err != nil {
		if isNotFound(err) {
			return nil, kernel.Invalid("volunteer", "write your volunteer profile first (PUT /volunteers/me)")
		}
		return nil, err
	}
	return v, nil
}

func isNotFound(err error) bool { return errors.Is(err, kernel.ErrNotFound) }

// checkServe applies the rules a volunteer must meet to serve a need with
// service: the need open (or funded) and asking for it, the skill, the
// region, and the background check rule.
func (s *PeopleService) checkServe(v *Volunteer, n *NeedRef, svc kernel.Service, field string, now time.Time) error {
	if !serviceable(n, now) {
		return kernel.Refuse(kernel.ErrConflict, "refusal_need_not_open_volunteers", nil, "the need is not open for volunteers")
	}
	if !n.AsksFor(svc) {
		return kernel.Invalid(field, "the need does not ask for %s", svc)
	}
	if _, ok := v.HasSkill(svc); !ok {
		return kernel.Invalid(field, "your profile does not offer %s", svc)
	}
	if !v.Serves(s.Divisions, n.RegionCode) {
		return kernel.Invalid("need_id", "the need is outside the regions you serve")
	}
	if !MayServe(v.Background.Status, svc, n.AgeBand, n.HouseholdTypes) {
		return ErrBackgroundCheckRequired
	}
	return nil
}

// ClaimNeed lets a volunteer claim a service of an open need for up to
// MaxClaimWindowDays. *ValidationError, ErrNotFound for a need that is not
// public, ErrBackgroundCheckRequired, ErrConflict when the need is not open,
// the volunteer is at their load limit or already claims it.
func (s *PeopleService) ClaimNeed(ctx context.Context, by *kernel.Principal, needPublicID string, in ClaimInput) (*Claim, error) {
	now := s.Now().UTC()
	v, err := s.myVolunteer(ctx, by, now)
	if err != nil {
		return nil, err
	}
	n, err := s.Store.NeedRef(ctx, needPublicID)
	if err != nil {
		return nil, err
	}
	if !n.Public(now) {
		return nil, kernel.ErrNotFound
	}
	val := &kernel.ValidationError{}
	svc := kernel.Service(strings.TrimSpace(in.Service))
	if !svc.Valid() {
		val.Add("service", "unknown service %q", in.Service)
	}
	if in.WindowDays < 1 || in.WindowDays > MaxClaimWindowDays {
		val.Add("window_days", "must be 1 to %d days", MaxClaimWindowDays)
	}
	if err := val.Err(); err != nil {
		return nil, err
	}
	if err := s.checkServe(v, n, svc, "service", now); err != nil {
		return nil, err
	}
	c := &Claim{PublicID: s.NewID(), NeedID: n.ID, NeedPublicID: n.PublicID, VolunteerID: v.ID, VolunteerPublicID: v.PublicID,
		VolunteerName: by.User.DisplayName, Service: svc, WindowDays: in.WindowDays, Status: ClaimPending, CreatedAt: now, UpdatedAt: now}
	a := AuditEntry{Stream: "claim:" + c.PublicID, At: now, Actor: by.User.PublicID, Action: "claim.create", ObjectType: "claim", ObjectID: c.PublicID,
		Detail: auditDetail(map[string]any{"need": n.PublicID, "volunteer": v.PublicID, "service": svc, "window_days": in.WindowDays})}
	if err := s.Store.CreateClaim(ctx, c, v.LoadLimit, now, a); err != nil {
		return nil, fmt.Errorf("people: claim: %w", err)
	}
	return c, nil
}

// claimAndNeed loads a claim and its need.
func (s *PeopleService) claimAndNeed(ctx context.Context, claimPublicID string) (*Claim, *NeedRef, error) {
	c, err := s.Store.ClaimByPublicID(ctx, claimPublicID)
	if err != nil {
		return nil, nil, err
	}
	n, err := s.Store.NeedRef(ctx, c.NeedPublicID)
	if err != nil {
		return nil, nil, err
	}
	return c, n, nil
}

// DecideClaim approves or rejects a pending claim: social workers of the
// posting organization only (ErrNotFound for others). Approval starts the
// window and checks the rules again (the volunteer's background check may
// have lapsed). ErrConflict when the claim is no longer pending. A
// rejection here records no reason; RejectClaim records one.
func (s *PeopleService) DecideClaim(ctx context.Context, by *kernel.Principal, claimPublicID string, approve bool) (*Claim, error) {
	return s.decideClaim(ctx, by, claimPublicID, approve, "", false)
}

// RejectClaim turns a pending claim down for reason, one of
// ClaimRejectReasons, which the audit log keeps with the decision: social
// workers of the posting organization only (ErrNotFound for others),
// ErrConflict when the claim is no longer pending, *ValidationError (field
// "reason") for a missing or unknown reason.
func (s *PeopleService) RejectClaim(ctx context.Context, by *kernel.Principal, claimPublicID, reason string) (*Claim, error) {
	return s.decideClaim(ctx, by, claimPublicID, false, ClaimRejectReason(strings.TrimSpace(reason)), true)
}

func (s *PeopleService) decideClaim(ctx context.Context, by *kernel.Principal, claimPublicID string, approve bool, reason ClaimRejectReason, needReason bool) (*Claim, error) {
	c, n, err := s.claimAndNeed(ctx, claimPublicID)
	if err != nil {
		return nil, err
	}
	if !by.InOrg(kernel.RoleSocialWorker, n.OrgID) {
		return nil, kernel.ErrNotFound
	}
	if needReason && !reason.Valid() {
		if reason == "" {
			return nil, kernel.Invalid("reason", "is required: say why the claim is turned down")
		}
		return nil, kernel.Invalid("reason", "must be one of %v", ClaimRejectReasons)
	}
	if c.Status != ClaimPending {
		return nil, kernel.Refuse(kernel.ErrConflict, "refusal_claim_status", map[string]any{"Status": string(c.Status)}, "the claim is %s", c.Status)
	}
	now := s.Now().UTC()
	action, volunteerUser := "claim.reject", ""
	c.Status = ClaimRejected
	if approve {
		v, err := s.Store.VolunteerByPublicID(ctx, c.VolunteerPublicID, now)
		if err != nil {
			return nil, err
		}
		if err := s.checkServe(v, n, c.Service, "service", now); err != nil {
			return nil, err
		}
		volunteerUser = v.UserPublicID
		action = "claim.approve"
		c.Status = ClaimApproved
		end := now.Add(time.Duration(c.WindowDays) * 24 * time.Hour)
		c.StartsAt, c.EndsAt = &now, &end
	}
	c.DecidedBy, c.DecidedAt, c.UpdatedAt = by.User.PublicID, &now, now
	detail := map[string]any{"need": n.PublicID}
	if reason != "" {
		detail["reason"] = string(reason)
	}
	if c.EndsAt != nil {
		detail["ends_at"] = c.EndsAt.Format(time.RFC3339)
	}
	a := AuditEntry{Stream: "claim:" + c.PublicID, At: now, Actor: by.User.PublicID, Action: action, ObjectType: "claim", ObjectID: c.PublicID,
		Detail: auditDetail(detail)}
	if approve {
		a.Notices = []notify.Event{notify.ClaimApproved(c.PublicID, volunteerUser, c.Service, *c.EndsAt, noticeRefOf(n), now)}
	}
	if err := s.Store.UpdateClaim(ctx, c, ClaimPending, a); err != nil {
		return nil, fmt.Errorf("people: decide claim: %w", err)
	}
	return c, nil
}

// ReleaseClaim lets the volunteer give a pending or running claim up. The
// claim's volunteer only (ErrNotFound for others); ErrConflict otherwise.
func (s *PeopleService) ReleaseClaim(ctx context.Context, by *kernel.Principal, claimPublicID string) (*Claim, error) {
	now := s.Now().UTC()
	c, err := s.ownClaim(ctx, by, claimPublicID, now)
	if err != nil {
		return nil, err
	}
	from := c.Status
	if st := c.EffectiveStatus(now); st != ClaimPending && st != ClaimApproved {
		return nil, kernel.Refuse(kernel.ErrConflict, "refusal_claim_status", map[string]any{"Status": string(st)}, "the claim is %s", st)
	}
	c.Status, c.ReleasedAt, c.UpdatedAt = ClaimReleased, &now, now
	a := AuditEntry{Stream: "claim:" + c.PublicID, At: now, Actor: by.User.PublicID, Action: "claim.release", ObjectType: "claim", ObjectID: c.PublicID,
		Detail: auditDetail(map[string]any{"from": from})}
	if err := s.Store.UpdateClaim(ctx, c, from, a); err != nil {
		return nil, fmt.Errorf("people: release claim: %w", err)
	}
	return c, nil
}

func (s *PeopleService) ownClaim(ctx context.Context, by *kernel.Principal, claimPublicID string, now time.Time) (*Claim, error) {
	if !by.Has(kernel.RoleVolunteer) {
		return nil, kernel.ErrForbidden
	}
	c, err := s.Store.ClaimByPublicID(ctx, claimPublicID)
	if err != nil {
		return nil, err
	}
	v, err := s.Store.VolunteerByUser(ctx, by.User.ID, now)
	if err != nil || v.ID != c.VolunteerID {
		return nil, kernel.ErrNotFound
	}
	return c, nil
}

// HouseholdContact is what an approved volunteer sees of the household, for
// the window of the claim only.
type HouseholdContact struct {
	ClaimID    string
	NeedID     string
	Name       string
	Phone      string
	Address    string
	RegionCode string
	RegionName string
	Until      time.Time
}

// ClaimContact reveals the household's contact and address to the claim's
// volunteer while the claim is approved and its window runs, and the
// background check rule still holds; every reveal is audited. ErrNotFound for
// anyone else, ErrForbidden before approval or after the window.
func (s *PeopleService) ClaimContact(ctx context.Context, by *kernel.Principal, claimPublicID string) (*HouseholdContact, error) {
	now := s.Now().UTC()
	c, err := s.ownClaim(ctx, by, claimPublicID, now)
	if err != nil {
		return nil, err
	}
	if st := c.EffectiveStatus(now); st != ClaimApproved {
		return nil, kernel.Refuse(kernel.ErrForbidden, "refusal_contact_hidden", map[string]any{"Status": string(st)}, "the contact is shown only while an approved claim runs (the claim is %s)", st)
	}
	n, err := s.Store.NeedRef(ctx, c.NeedPublicID)
	if err != nil {
		return nil, err
	}
	v, err := s.Store.VolunteerByPublicID(ctx, c.VolunteerPublicID, now)
	if err != nil {
		return nil, err
	}
	if !MayServe(v.Background.Status, c.Service, n.AgeBand, n.HouseholdTypes) {
		return nil, ErrBackgroundCheckRequired
	}
	pt, err := s.Cipher.Open(n.IdentityCT, n.IdentityKID, []byte(n.BeneficiaryPublicID))
	if err != nil {
		return nil, fmt.Errorf("people: open household identity: %w", err)
	}
	var id struct {
		Name    string `json:"name"`
		Phone   string `json:"phone"`
		Address string `json:"address"`
	}
	if err := json.Unmarshal(pt, &id); err != nil {
		return nil, fmt.Errorf("people: household identity: %w", err)
	}
	a := AuditEntry{Stream: "claim:" + c.PublicID, At: now, Actor: by.User.PublicID, Action: "claim.contact.reveal", ObjectType: "claim",
		ObjectID: c.PublicID, Detail: auditDetail(map[string]any{"need": n.PublicID, "volunteer": v.PublicID})}
	if err := s.Store.AppendAudit(ctx, a); err != nil {
		return nil, err
	}
	return &HouseholdContact{ClaimID: c.PublicID, NeedID: n.PublicID, Name: id.Name, Phone: id.Phone, Address: id.Address,
		RegionCode: n.RegionCode, RegionName: s.Divisions.FullName(n.RegionCode), Until: *c.EndsAt}, nil
}

// NeedClaims lists a need's claims for the social workers of its posting
// organization (ErrNotFound for others).
func (s *PeopleService) NeedClaims(ctx context.Context, by *kernel.Principal, needPublicID string) ([]Claim, error) {
	n, err := s.Store.NeedRef(ctx, needPublicID)
	if err != nil {
		return nil, err
	}
	if !by.InOrg(kernel.RoleSocialWorker, n.OrgID) {
		return nil, kernel.ErrNotFound
	}
	return s.Store.ClaimsForNeed(ctx, n.ID)
}

// OrgClaims lists the claims on the needs of the caller's organizations,
// for their social workers (ErrForbidden for anyone else): those with
// status when it is set (pending, approved, rejected or released; an
// approved claim whose window is over is still approved here, see
// EffectiveStatus), newest first, at most limit (default 200, at most 500).
// *ValidationError for another status.
func (s *PeopleService) OrgClaims(ctx context.Context, by *kernel.Principal, status ClaimStatus, limit int) ([]Claim, error) {
	orgs := by.OrgsWith(kernel.RoleSocialWorker)
	if len(orgs) == 0 {
		return nil, kernel.ErrForbidden
	}
	switch status {
	case "", ClaimPending, ClaimApproved, ClaimRejected, ClaimReleased:
	default:
		return nil, kernel.Invalid("status", "must be pending, approved, rejected or released")
	}
	if limit <= 0 || limit > 500 {
		limit = 200
	}
	ids := make([]int64, len(orgs))
	for i, o := range orgs {
		ids[i] = o.ID
	}
	return s.Store.ClaimsForOrgs(ctx, ids, status, limit)
}

// MyClaims lists the caller's claims (volunteers).
func (s *PeopleService) MyClaims(ctx context.Context, by *kernel.Principal) ([]Claim, error) {
	now := s.Now().UTC()
	if !by.Has(kernel.RoleVolunteer) {
		return nil, kernel.ErrForbidden
	}
	v, err := s.Store.VolunteerByUser(ctx, by.User.ID, now)
	if isNotFound(err) {
		return []Claim{}, nil
	}
	if err != nil {
		return nil, err
	}
	return s.Store.ClaimsForVolunteer(ctx, v.ID)
}
