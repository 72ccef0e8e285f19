package marketplace

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/notify"
)

// ReportStatus is where an active-discovery report (主动发现) is.
type ReportStatus string

// Report statuses: new until a social worker of a routed organization
// accepts it (首问负责: that organization then owns it), then need_posted
// or no_action.
const (
	ReportNew        ReportStatus = "new"
	ReportAccepted   ReportStatus = "accepted"
	ReportNeedPosted ReportStatus = "need_posted"
	ReportNoAction   ReportStatus = "no_action"
)

// ReportStatuses lists every status.
var ReportStatuses = []ReportStatus{ReportNew, ReportAccepted, ReportNeedPosted, ReportNoAction}

// Valid reports whether r is a known status.
func (r ReportStatus) Valid() bool { return slices.Contains(ReportStatuses, r) }

// MaxReportRunes bounds a report's description.
const MaxReportRunes = 2000

// ReportRoutedKinds are the kinds of organization that receive reports:
// the social workers of social work agencies, charities and federations,
// and the civil affairs offices (主动发现 → 及时报告属地乡镇), whose
// verifiers and social workers handle them.
var ReportRoutedKinds = []kernel.OrgKind{kernel.OrgSocialWorkAgency, kernel.OrgCharity, kernel.OrgCharityFederation, kernel.OrgCivilAffairs}

// Report is an active-discovery report of a person in hardship. The
// description, the reporter's contact and the handler's note are sealed.
type Report struct {
	ID             int64
	PublicID       string
	RegionCode     string
	Category       kernel.Category // "" when not given
	DescriptionCT  []byte
	DescriptionKID string
	ContactCT      []byte
	ContactKID     string
	// Reporter is the signed-in reporter's public id, "" when anonymous.
	Reporter   string
	TokenHash  string
	Status     ReportStatus
	OwnerOrgID *int64
	NoteCT     []byte
	NoteKID    string
	HandledBy  string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	Routes     []ReportRoute
	// FollowUpDueAt is when the report should have been taken up (nil for
	// reports made before it was recorded).
	FollowUpDueAt *time.Time
	// FollowUp is the report's follow-up step: CreateReport writes it
	// with the report, the readers fill it with its escalations (nil
	// when none was recorded).
	FollowUp *CaseStep
}

// ReportRoute is an organization a report was routed to; Distance 0 is an
// organization of the report's own division, 1 the division above, and so on.
type ReportRoute struct {
	OrgID       int64
	OrgPublicID string
	OrgName     string
	Distance    int
	// OrgKind is filled by the readers.
	OrgKind kernel.OrgKind
}

// ReportInput is a report as anyone may send it.
type ReportInput struct {
	RegionCode  string
	Category    string
	Description string
	Contact     string // the reporter's phone, optional
}

// ReportReceipt is what the reporter gets back: the id and a token to check
// the status with, shown once.
type ReportReceipt struct {
	ID     string
	Status ReportStatus
	Token  string
}

// ReportView is a report as a social worker of a routed organization sees it.
type ReportView struct {
	Report
	Description string
	Contact     string // filled only by Report (one report), which is audited
	Note        string
}

func reportAD(id, col string) string { return id + "/" + col }

func hashToken(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// SubmitReport takes a report from anyone (by may be nil). The region must be
// a known division; the report is routed to the organizations of
// ReportRoutedKinds whose region is the report's or contains it, nearest
// first, and is to be followed up within ReportFollowUpWorkingDays working
// days (its follow-up step). *ValidationError.
func (s *PeopleService) SubmitReport(ctx context.Context, by *kernel.Principal, in ReportInput) (*ReportReceipt, error) {
	v := &kernel.ValidationError{}
	region := strings.TrimSpace(in.RegionCode)
	if !kernel.RegionCodeFormatOK(region) || s.Divisions == nil || !s.Divisions.Known(region) {
		v.Add("region_code", "no such administrative division: %q", in.RegionCode)
	}
	cat := kernel.Category(strings.TrimSpace(in.Category))
	if cat != "" && !cat.Valid() {
		v.Add("category", "unknown category %q", in.Category)
	}
	desc := strings.TrimSpace(in.Description)
	switch n := utf8.RuneCountInString(desc); {
	case !utf8.ValidString(desc) || strings.ContainsRune(desc, 0):
		v.Add("description", "must be text")
	case n == 0:
		v.Add("description", "is required: say who needs help and why")
	case n > MaxReportRunes:
		v.Add("description", "must be at most %d characters", MaxReportRunes)
	}
	contact := ""
	if c := strings.TrimSpace(in.Contact); c != "" {
		if !kernel.ValidPhone(c) {
			v.Add("contact", "must be a mainland mobile number")
		} else {
			contact = kernel.NormalizePhone(c)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	// Route: the division itself and every one above it.
	codes := append(s.Divisions.Ancestors(region), region)
	orgs, err := s.Store.OrgsCovering(ctx, codes, ReportRoutedKinds)
	if err != nil {
		return nil, err
	}
	depth := map[string]int{}
	for i, c := range codes {
		depth[c] = len(codes) - 1 - i
	}
	days := s.followUpDays()
	due := s.Calendar.AddWorkingDays(now, days)
	r := &Report{PublicID: s.NewID(), RegionCode: region, Category: cat, Status: ReportNew, CreatedAt: now, UpdatedAt: now, FollowUpDueAt: &due}
	r.FollowUp = &CaseStep{PublicID: s.NewID(), Step: StepReportFollowUp, SubjectID: r.PublicID, RegionCode: region,
		Level: StepReportFollowUp.Level(), LimitDays: days, StartedAt: now, DueAt: due}
	if by != nil {
		r.Reporter = by.User.PublicID
	}
	for _, o := range orgs {
		r.Routes = append(r.Routes, ReportRoute{OrgID: o.ID, OrgPublicID: o.PublicID, OrgName: o.Name, Distance: depth[o.RegionCode]})
	}
	sort.SliceStable(r.Routes, func(i, j int) bool { return r.Routes[i].Distance < r.Routes[j].Distance })
	tb := make([]byte, 24)
	if _, err := rand.Read(tb); err != nil {
		return nil, err
	}
	tok := hex.EncodeToString(tb)
	r.TokenHash = hashToken(tok)
	if r.DescriptionCT, r.DescriptionKID, err = s.sealText(desc, reportAD(r.PublicID, "description")); err != nil {
		return nil, err
	}
	if r.ContactCT, r.ContactKID, err = s.sealText(contact, reportAD(r.PublicID, "contact")); err != nil {
		return nil, err
	}
	routed := make([]string, len(r.Routes))
	for i, x := range r.Routes {
		routed[i] = x.OrgPublicID
	}
	actor := r.Reporter
	if actor == "" {
		actor = "anonymous"
	}
	a := AuditEntry{Stream: "report:" + r.PublicID, At: now, Actor: actor, Action: "report.submit", ObjectType: "report", ObjectID: r.PublicID,
		Detail: auditDetail(map[string]any{"region_code": region, "category": cat, "routed_to": routed, "with_contact": contact != "",
			"followup_due_at": due}),
		Notices: []notify.Event{notify.ReportNew(r.PublicID, region, cat, now)}}
	if err := s.Store.CreateReport(ctx, r, a); err != nil {
		return nil, fmt.Errorf("people: submit report: %w", err)
	}
	return &ReportReceipt{ID: r.PublicID, Status: r.Status, Token: tok}, nil
}

// ReportStatusByToken returns a report's status to whoever holds its token;
// ErrNotFound for an unknown id or a wrong token alike.
func (s *PeopleService) ReportStatusByToken(ctx context.Context, publicID, token string) (*Report, error) {
	r, err := s.Store.ReportByPublicID(ctx, publicID)
	if err != nil {
		return nil, err
	}
	if token == "" || subtle.ConstantTimeCompare([]byte(hashToken(token)), []byte(r.TokenHash)) != 1 {
		return nil, kernel.ErrNotFound
	}
	return r, nil
}

// handlesReportsIn reports whether by handles the reports routed to the
// organization with row id orgID: as a social worker of it, or as a
// verifier of it when it is a civil affairs office.
func handlesReportsIn(by *kernel.Principal, orgID int64) bool {
	if by.InOrg(kernel.RoleSocialWorker, orgID) {
		return true
	}
	for _, o := range by.OrgsWith(kernel.RoleVerifier) {
		if o.ID == orgID && o.Kind == kernel.OrgCivilAffairs {
			return true
		}
	}
	return false
}

// reportOrgs are the organizations whose routed reports by handles.
func reportOrgs(by *kernel.Principal) []int64 {
	var ids []int64
	seen := map[int64]bool{}
	for _, m := range by.Memberships {
		if m.Org != nil && !seen[m.Org.ID] && handlesReportsIn(by, m.Org.ID) {
			seen[m.Org.ID] = true
			ids = append(ids, m.Org.ID)
		}
	}
	return ids
}

// routedOrgOf returns the org of by that r is routed to and whose reports
// by handles (handlesReportsIn), preferring the owner; 0 when none.
func routedOrgOf(by *kernel.Principal, r *Report) int64 {
	if r.OwnerOrgID != nil {
		if handlesReportsIn(by, *r.OwnerOrgID) {
			return *r.OwnerOrgID
		}
	}
	for _, rt := range r.Routes {
		if handlesReportsIn(by, rt.OrgID) {
			return rt.OrgID
		}
	}
	return 0
}

// followUpDays is the report follow-up limit (2 working days by default).
func (s *PeopleService) followUpDays() int {
	if s.ReportFollowUpWorkingDays > 0 {
		return s.ReportFollowUpWorkingDays
	}
	return 2
}

func (s *PeopleService) viewReport(r *Report, withContact bool) (*ReportView, error) {
	rv := &ReportView{Report: *r}
	var err error
	if rv.Description, err = s.openText(r.DescriptionCT, r.DescriptionKID, reportAD(r.PublicID, "description")); err != nil {
		return nil, err
	}
	if rv.Note, err = s.openText(r.NoteCT, r.NoteKID, reportAD(r.PublicID, "note")); err != nil {
		return nil, err
	}
	if withContact {
		if rv.Contact, err = s.openText(r.ContactCT, r.ContactKID, reportAD(r.PublicID, "contact")); err != nil {
			return nil, err
		}
	}
	return rv, nil
}

// Reports lists the reports routed to the caller's organizations (social
// workers; verifiers of civil affairs offices), optionally by status,
// without the reporters' contacts: those waiting to be taken up first,
// the earliest due first, then the others, newest first.
func (s *PeopleService) Reports(ctx context.Context, by *kernel.Principal, status ReportStatus, limit int) ([]ReportView, error) {
	ids := reportOrgs(by)
	if len(ids) == 0 {
		return nil, kernel.ErrForbidden
	}
	if status != "" && !status.Valid() {
		return nil, kernel.Invalid("status", "must be one of %v", ReportStatuses)
	}
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rs, err := s.Store.ReportsForOrgs(ctx, ids, status, limit)
	if err != nil {
		return nil, err
	}
	out := make([]ReportView, 0, len(rs))
	for i := range rs {
		rv, err := s.viewReport(&rs[i], false)
		if err != nil {
			return nil, err
		}
		out = append(out, *rv)
	}
	return out, nil
}

// Report returns one report, with the reporter's contact, to one who
// handles the reports of a routed organization (handlesReportsIn); the
// read is audited. ErrNotFound for anyone else.
func (s *PeopleService) Report(ctx context.Context, by *kernel.Principal, publicID string) (*ReportView, error) {
	r, err := s.Store.ReportByPublicID(ctx, publicID)
	if err != nil {
		return nil, err
	}
	if routedOrgOf(by, r) == 0 {
		return nil, kernel.ErrNotFound
	}
	if len(r.ContactCT) > 0 {
		a := AuditEntry{Stream: "report:" + r.PublicID, At: s.Now().UTC(), Actor: by.User.PublicID, Action: "report.contact.reveal",
			ObjectType: "report", ObjectID: r.PublicID}
		if err := s.Store.AppendAudit(ctx, a); err != nil {
			return nil, err
		}
	}
	return s.viewReport(r, true)
}

// ReportUpdate is a social worker's handling of a report.
type ReportUpdate struct {
	Status string
	Note   string
}

// reportNext lists the statuses each status may move to.
var reportNext = map[ReportStatus][]ReportStatus{
	ReportNew:      {ReportAccepted, ReportNeedPosted, ReportNoAction},
	ReportAccepted: {ReportNeedPosted, ReportNoAction},
}

// UpdateReport records a social worker's or a civil affairs verifier's
// handling: accepted, need_posted or no_action. Only those who handle the
// reports of a routed organization (ErrNotFound for others); once an
// organization has taken the report, only it may go on (ErrForbidden).
// The first handling ends the report's follow-up step. ErrConflict for a
// move the status does not allow.
func (s *PeopleService) UpdateReport(ctx context.Context, by *kernel.Principal, publicID string, in ReportUpdate) (*ReportView, error) {
	r, err := s.Store.ReportByPublicID(ctx, publicID)
	if err != nil {
		return nil, err
	}
	org := routedOrgOf(by, r)
	if org == 0 {
		return nil, kernel.ErrNotFound
	}
	if r.OwnerOrgID != nil && *r.OwnerOrgID != org {
		return nil, kernel.Refuse(kernel.ErrForbidden, "refusal_report_taken", nil, "another organization has taken this report")
	}
	v := &kernel.ValidationError{}
	to := ReportStatus(strings.TrimSpace(in.Status))
	if to != ReportAccepted && to != ReportNeedPosted && to != ReportNoAction {
		v.Add("status", "must be accepted, need_posted or no_action")
	}
	note := cleanText(v, "note", in.Note, 1000, false)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if !slices.Contains(reportNext[r.Status], to) {
		return nil, kernel.Refuse(kernel.ErrConflict, "refusal_report_transition", map[string]any{"Status": string(r.Status), "ToStatus": string(to)}, "a report that is %s cannot become %s", r.Status, to)
	}
	from := r.Status
	now := s.Now().UTC()
	r.Status, r.OwnerOrgID, r.HandledBy, r.UpdatedAt = to, &org, by.User.PublicID, now
	if note != "" {
		if r.NoteCT, r.NoteKID, err = s.sealText(note, reportAD(r.PublicID, "note")); err != nil {
			return nil, err
		}
	}
	var orgPub string
	for _, rt := range r.Routes {
		if rt.OrgID == org {
			orgPub = rt.OrgPublicID
		}
	}
	a := AuditEntry{Stream: "report:" + r.PublicID, At: now, Actor: by.User.PublicID, Action: "report." + string(to), ObjectType: "report",
		ObjectID: r.PublicID, Detail: auditDetail(map[string]any{"from": from, "to": to, "org": orgPub})}
	if err := s.Store.UpdateReport(ctx, r, from, a); err != nil {
		return nil, fmt.Errorf("people: update report: %w", err)
	}
	return s.viewReport(r, false)
}
