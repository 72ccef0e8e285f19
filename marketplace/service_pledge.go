package marketplace

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// ServicePledgeStatus is where a volunteer's pledge of service hours is.
type ServicePledgeStatus string

// Service pledge statuses: offered by the volunteer, then accepted or
// declined by a social worker of the posting organization.
const (
	PledgeOffered  ServicePledgeStatus = "offered"
	PledgeAccepted ServicePledgeStatus = "accepted"
	PledgeDeclined ServicePledgeStatus = "declined"
)

// Bounds of a pledge and of one log entry, in minutes.
const (
	MinPledgeMinutes = 30
	MaxPledgeMinutes = 200 * 60
	MinLogMinutes    = 30
	MaxLogMinutes    = 24 * 60
)

// ServicePledge is a volunteer's promise of hours of a skill to a need.
type ServicePledge struct {
	ID                int64
	PublicID          string
	NeedID            int64
	NeedPublicID      string // filled when read
	VolunteerID       int64
	VolunteerPublicID string // filled when read
	VolunteerName     string // filled when read
	Service           kernel.Service
	Minutes           int
	LoggedMinutes     int
	Status            ServicePledgeStatus
	DecidedBy         string
	DecidedAt         *time.Time
	CreatedAt         time.Time
	UpdatedAt         time.Time
	Logs              []ServiceLog // filled by the listings
}

// ServiceLog records service given on an accepted pledge. The note is sealed.
type ServiceLog struct {
	ID         int64
	PublicID   string
	PledgeID   int64
	Minutes    int
	Date       time.Time // a date, UTC midnight
	Note       string
	NoteCT     []byte
	NoteKID    string
	LoggedBy   string // user public id
	LoggedRole kernel.Role
	CreatedAt  time.Time
}

// ServicePledgeInput is a volunteer's pledge.
type ServicePledgeInput struct {
	NeedID string
	Skill  string
	Hours  float64
}

// ServiceLogInput is service given on a pledge; Date is YYYY-MM-DD.
type ServiceLogInput struct {
	Hours float64
	Date  string
	Note  string
}

// hoursToMinutes turns hours into whole minutes within [min, max]; ok false
// when out of range or not a whole number of minutes.
func hoursToMinutes(h float64, min, max int) (int, bool) {
	if math.IsNaN(h) || math.IsInf(h, 0) {
		return 0, false
	}
	m := math.Round(h * 60)
	if math.Abs(h*60-m) > 1e-6 || m < float64(min) || m > float64(max) {
		return 0, false
	}
	return int(m), true
}

func logAD(id string) string { return id + "/note" }

// PledgeService records a volunteer's pledge of hours (0.5 to 200) of a skill
// the need asks for. Volunteers only; the background check rule applies as
// for claims. *ValidationError, ErrNotFound, ErrConflict, ErrBackgroundCheckRequired.
func (s *PeopleService) PledgeService(ctx context.Context, by *kernel.Principal, in ServicePledgeInput) (*ServicePledge, error) {
	now := s.Now().UTC()
	v, err := s.myVolunteer(ctx, by, now)
	if err != nil {
		return nil, err
	}
	val := &kernel.ValidationError{}
	svc := kernel.Service(strings.TrimSpace(in.Skill))
	if !svc.Valid() {
		val.Add("skill", "unknown service %q", in.Skill)
	}
	mins, ok := hoursToMinutes(in.Hours, MinPledgeMinutes, MaxPledgeMinutes)
	if !ok {
		val.Add("hours", "must be 0.5 to 200 hours, in whole minutes")
	}
	if strings.TrimSpace(in.NeedID) == "" {
		val.Add("need_id", "is required")
	}
	if err := val.Err(); err != nil {
		return nil, err
	}
	n, err := s.Store.NeedRef(ctx, strings.TrimSpace(in.NeedID))
	if err != nil {
		return nil, err
	}
	if !n.Public(now) {
		return nil, kernel.ErrNotFound
	}
	if err := s.checkServe(v, n, svc, "skill", now); err != nil {
		return nil, err
	}
	p := &ServicePledge{PublicID: s.NewID(), NeedID: n.ID, NeedPublicID: n.PublicID, VolunteerID: v.ID, VolunteerPublicID: v.PublicID,
		VolunteerName: by.User.DisplayName, Service: svc, Minutes: mins, Status: PledgeOffered, CreatedAt: now, UpdatedAt: now}
	a := AuditEntry{Stream: "service_pledge:" + p.PublicID, At: now, Actor: by.User.PublicID, Action: "service_pledge.create",
		ObjectType: "service_pledge", ObjectID: p.PublicID,
		Detail: auditDetail(map[string]any{"need": n.PublicID, "volunteer": v.PublicID, "skill": svc, "minutes": mins})}
	if err := s.Store.CreateServicePledge(ctx, p, a); err != nil {
		return nil, fmt.Errorf("people: service pledge: %w", err)
	}
	return p, nil
}

func (s *PeopleService) pledgeAndNeed(ctx context.Context, publicID string) (*ServicePledge, *NeedRef, error) {
	p, err := s.Store.ServicePledgeByPublicID(ctx, publicID)
	if err != nil {
		return nil, nil, err
	}
	n, err := s.Store.NeedRef(ctx, p.NeedPublicID)
	if err != nil {
		return nil, nil, err
	}
	return p, n, nil
}

// DecideServicePledge accepts or declines an offered pledge: social workers
// of the posting organization only (ErrNotFound for others). Acceptance
// checks the background check rule again. ErrConflict when no longer offered.
func (s *PeopleService) DecideServicePledge(ctx context.Context, by *kernel.Principal, publicID string, accept bool) (*ServicePledge, error) {
	p, n, err := s.pledgeAndNeed(ctx, publicID)
	if err != nil {
		return nil, err
	}
	if !by.InOrg(kernel.RoleSocialWorker, n.OrgID) {
		return nil, kernel.ErrNotFound
	}
	if p.Status != PledgeOffered {
		return nil, kernel.Refuse(kernel.ErrConflict, "refusal_pledge_status", map[string]any{"Status": string(p.Status)}, "the pledge is %s", p.Status)
	}
	now := s.Now().UTC()
	p.Status = PledgeDeclined
	if accept {
		v, err := s.Store.VolunteerByPublicID(ctx, p.VolunteerPublicID, now)
		if err != nil {
			return nil, err
		}
		if !MayServe(v.Background.Status, p.Service, n.AgeBand, n.HouseholdTypes) {
			return nil, ErrBackgroundCheckRequired
		}
		p.Status = PledgeAccepted
	}
	p.DecidedBy, p.DecidedAt, p.UpdatedAt = by.User.PublicID, &now, now
	a := AuditEntry{Stream: "service_pledge:" + p.PublicID, At: now, Actor: by.User.PublicID, Action: "service_pledge." + string(p.Status),
		ObjectType: "service_pledge", ObjectID: p.PublicID, Detail: auditDetail(map[string]any{"need": n.PublicID})}
	if err := s.Store.UpdateServicePledge(ctx, p, PledgeOffered, a); err != nil {
		return nil, fmt.Errorf("people: decide service pledge: %w", err)
	}
	return p, nil
}

// LogService records service given on an accepted pledge, by the pledge's
// volunteer or a social worker of the posting organization (ErrNotFound for
// others). ErrConflict unless the pledge is accepted; *ValidationError for
// hours outside 0.5-24 or a date in the future or before the pledge.
func (s *PeopleService) LogService(ctx context.Context, by *kernel.Principal, publicID string, in ServiceLogInput) (*ServiceLog, error) {
	p, n, err := s.pledgeAndNeed(ctx, publicID)
	if err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	var role kernel.Role
	switch {
	case by.InOrg(kernel.RoleSocialWorker, n.OrgID):
		role = kernel.RoleSocialWorker
	case by.Has(kernel.RoleVolunteer):
		v, err := s.Store.VolunteerByUser(ctx, by.User.ID, now)
		if err != nil || v.ID != p.VolunteerID {
			return nil, kernel.ErrNotFound
		}
		role = kernel.RoleVolunteer
	default:
		return nil, kernel.ErrNotFound
	}
	val := &kernel.ValidationError{}
	mins, ok := hoursToMinutes(in.Hours, MinLogMinutes, MaxLogMinutes)
	if !ok {
		val.Add("hours", "must be 0.5 to 24 hours, in whole minutes")
	}
	d, err := time.Parse(time.DateOnly, strings.TrimSpace(in.Date))
	today, _ := time.Parse(time.DateOnly, now.In(kernel.ChinaTime).Format(time.DateOnly))
	created, _ := time.Parse(time.DateOnly, p.CreatedAt.In(kernel.ChinaTime).Format(time.DateOnly))
	switch {
	case err != nil:
		val.Add("date", "must be a date YYYY-MM-DD")
	case d.After(today):
		val.Add("date", "must not be in the future")
	case d.Before(created):
		val.Add("date", "must not be before the pledge was made")
	}
	note := cleanText(val, "note", in.Note, 500, false)
	if err := val.Err(); err != nil {
		return nil, err
	}
	if p.Status != PledgeAccepted {
		return nil, kernel.Refuse(kernel.ErrConflict, "refusal_service_log_accepted_only", map[string]any{"Status": string(p.Status)}, "service is logged only on an accepted pledge (this one is %s)", p.Status)
	}
	l := &ServiceLog{PublicID: s.NewID(), PledgeID: p.ID, Minutes: mins, Date: d, LoggedBy: by.User.PublicID, LoggedRole: role, CreatedAt: now}
	if l.NoteCT, l.NoteKID, err = s.sealText(note, logAD(l.PublicID)); err != nil {
		return nil, err
	}
	l.Note = note
	a := AuditEntry{Stream: "service_pledge:" + p.PublicID, At: now, Actor: by.User.PublicID, Action: "service_pledge.log",
		ObjectType: "service_pledge", ObjectID: p.PublicID,
		Detail: auditDetail(map[string]any{"log": l.PublicID, "minutes": mins, "date": d.Format(time.DateOnly), "role": role})}
	if err := s.Store.AddServiceLog(ctx, l, a); err != nil {
		return nil, fmt.Errorf("people: log service: %w", err)
	}
	return l, nil
}

// SkillTotal is the public aggregate of a need's accepted service pledges
// for one skill: no volunteer is named.
type SkillTotal struct {
	Skill         kernel.Service
	Pledges       int
	Minutes       int
	LoggedMinutes int
}

// NeedService is a need's service pledges: Totals for everyone; Pledges
// (with volunteers and logs) only for staff of the posting organization.
type NeedServicePledges struct {
	NeedID  string
	Totals  []SkillTotal
	Pledges []ServicePledge // nil unless the caller is of the posting organization
}

// NeedServicePledges returns a need's service pledges: the public aggregate
// by skill to anyone when the need is public, and the full list to the
// social workers and staff of the posting organization. ErrNotFound when the
// need is neither public nor the caller's.
func (s *PeopleService) NeedServicePledges(ctx context.Context, by *kernel.Principal, needPublicID string) (*NeedServicePledges, error) {
	n, err := s.Store.NeedRef(ctx, needPublicID)
	if err != nil {
		return nil, err
	}
	own := by != nil && (by.InOrg(kernel.RoleSocialWorker, n.OrgID) || by.InOrg(kernel.RoleFederationStaff, n.OrgID))
	if !own && !n.Public(s.Now().UTC()) {
		return nil, kernel.ErrNotFound
	}
	ps, err := s.Store.ServicePledgesForNeed(ctx, n.ID)
	if err != nil {
		return nil, err
	}
	out := &NeedServicePledges{NeedID: n.PublicID, Totals: []SkillTotal{}}
	idx := map[kernel.Service]int{}
	for _, p := range ps {
		if p.Status != PledgeAccepted {
			continue
		}
		i, ok := idx[p.Service]
		if !ok {
			i = len(out.Totals)
			idx[p.Service] = i
			out.Totals = append(out.Totals, SkillTotal{Skill: p.Service})
		}
		out.Totals[i].Pledges++
		out.Totals[i].Minutes += p.Minutes
		out.Totals[i].LoggedMinutes += p.LoggedMinutes
	}
	sort.Slice(out.Totals, func(i, j int) bool { return out.Totals[i].Skill < out.Totals[j].Skill })
	if own {
		if err := s.attachLogs(ctx, ps); err != nil {
			return nil, err
		}
		out.Pledges = ps
	}
	return out, nil
}

func (s *PeopleService) attachLogs(ctx context.Context, ps []ServicePledge) error {
	if len(ps) == 0 {
		return nil
	}
	ids := make([]int64, len(ps))
	at := map[int64]int{}
	for i, p := range ps {
		ids[i] = p.ID
		at[p.ID] = i
		ps[i].Logs = []ServiceLog{}
	}
	logs, err := s.Store.ServiceLogs(ctx, ids)
	if err != nil {
		return err
	}
	for _, l := range logs {
		if l.Note, err = s.openText(l.NoteCT, l.NoteKID, logAD(l.PublicID)); err != nil {
			return err
		}
		i := at[l.PledgeID]
		ps[i].Logs = append(ps[i].Logs, l)
	}
	return nil
}

// ServiceRecord is a volunteer's record of service.
type ServiceRecord struct {
	Pledges       []ServicePledge
	Minutes       int // pledged, accepted pledges only
	LoggedMinutes int
}

// MyService returns the caller's service pledges with their logs (volunteers).
func (s *PeopleService) MyService(ctx context.Context, by *kernel.Principal) (*ServiceRecord, error) {
	if !by.Has(kernel.RoleVolunteer) {
		return nil, kernel.ErrForbidden
	}
	out := &ServiceRecord{Pledges: []ServicePledge{}}
	v, err := s.Store.VolunteerByUser(ctx, by.User.ID, s.Now().UTC())
	if isNotFound(err) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	ps, err := s.Store.ServicePledgesForVolunteer(ctx, v.ID)
	if err != nil {
		return nil, err
	}
	if err := s.attachLogs(ctx, ps); err != nil {
		return nil, err
	}
	for _, p := range ps {
		if p.Status == PledgeAccepted {
			out.Minutes += p.Minutes
		}
		out.LoggedMinutes += p.LoggedMinutes
	}
	out.Pledges = ps
	return out, nil
}
