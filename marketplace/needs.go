package marketplace

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jiujinan/jiujinan/marketplace/anonymize"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/notify"
)

// Limits of a need's fields.
const (
	MaxTitleRunes     = 100
	MaxStoryRunes     = 5000
	MaxNoteRunes      = 2000
	MaxObjectionRunes = 2000
	MaxUpdateRunes    = 2000
	MaxMembers        = 20
	// MaxAmountFen is the largest amount a need may carry: 100,000,000 yuan.
	MaxAmountFen int64 = 100_000_000 * 100
)

// NeedConfig is the part of the configuration the need lifecycle uses.
type NeedConfig struct {
	// NoticePeriod is the public notice (公示) before a published need opens.
	NoticePeriod time.Duration
	// K is the anonymity threshold of the public projection.
	K int
	// EmergencyMaxFen is the largest request that may take the emergency
	// path (先行救助): open at once, disclosed after.
	EmergencyMaxFen int64
	// ClearanceWorkingDays is the time limit of clearance (2 by default).
	ClearanceWorkingDays int
	// Calendar says which days are working days (nil: China's holiday
	// table without an operator's days).
	Calendar *kernel.Calendar
	// TwoStep: approval in two steps, the town's civil affairs office
	// reviews (乡镇审核) and the county's approves (县级审批); else one
	// covering verifier clears (see steps.go).
	TwoStep bool
	// TownReviewWorkingDays is the time limit of the town review (2 by
	// default); ClearanceWorkingDays is the one of the one-step clearance
	// and of the county approval.
	TownReviewWorkingDays int
	// CaseWorkingDays is the time limit of the whole case, from
	// submission to its end (办结时限; 15 by default).
	CaseWorkingDays int
	// ObjectionResolveWorkingDays is the time limit of an objection's
	// resolution (ObjectionWorkingDays by default).
	ObjectionResolveWorkingDays int
	// GroupDecisionAboveFen: the county's decision on a need requesting
	// more is a group's (一事一议), recorded with it; 0: never.
	GroupDecisionAboveFen int64
}

// NeedService runs the need lifecycle: posting, clearance, publication with
// the public projection, objections, withdrawal, progress updates.
type NeedService struct {
	Store         NeedStore
	Cipher        *Cipher
	Pseudonymizer *Pseudonymizer
	Divisions     *kernel.Divisions
	Now           func() time.Time
	NewID         func() string
	Config        NeedConfig
	// Screener screens a need when it is submitted and cleared; nil skips
	// screening (the need's stored result is still honoured).
	Screener Screener
	// Donors tells the donors of a need (funds implements it); nil: no
	// donor reads its progress updates.
	Donors NeedDonors
	// Offices finds the civil affairs offices of a town, for the first
	// step of two-step approval; nil: the store's, when it can.
	Offices OfficeFinder
}

// NewNeedService returns a service; zero config fields take their defaults
// (notice 120h, k 5, clearance 2 working days).
func NewNeedService(store NeedStore, c *Cipher, p *Pseudonymizer, d *kernel.Divisions, now func() time.Time, newID func() string, cfg NeedConfig) *NeedService {
	if cfg.K <= 0 {
		cfg.K = 5
	}
	if cfg.ClearanceWorkingDays <= 0 {
		cfg.ClearanceWorkingDays = 2
	}
	if cfg.TownReviewWorkingDays <= 0 {
		cfg.TownReviewWorkingDays = 2
	}
	if cfg.CaseWorkingDays <= 0 {
		cfg.CaseWorkingDays = 15
	}
	if cfg.ObjectionResolveWorkingDays <= 0 {
		cfg.ObjectionResolveWorkingDays = ObjectionWorkingDays
	}
	return &NeedService{Store: store, Cipher: c, Pseudonymizer: p, Divisions: d, Now: now, NewID: newID, Config: cfg}
}

// AddWorkingDays returns t plus n working days in China (weekends, public
// holidays and make-up working days by China's holiday table; see
// kernel.Calendar), keeping the time of day.
func AddWorkingDays(t time.Time, n int) time.Time {
	return (*kernel.Calendar)(nil).AddWorkingDays(t, n)
}

// NeedInput is what a social worker posts.
type NeedInput struct {
	// OrgID picks the posting organization when the worker is in several.
	OrgID              string
	Beneficiary        BeneficiaryInput
	Category           kernel.Category
	Title              string
	Story              string
	VerifiedCostFen    int64
	StatutoryReliefFen int64
	RequestedFen       *int64
	// CostFrom, CostTo and Deadline are dates (2026-01-31) or RFC 3339 times.
	CostFrom     string
	CostTo       string
	ServiceNeeds []kernel.Service
	Urgency      kernel.Urgency
	Deadline     string
	Consent      ConsentInput
	Emergency    bool
}

// BeneficiaryInput is the household as the worker enters it.
type BeneficiaryInput struct {
	IDNumber       string
	Name           string
	Phone          string
	Address        string
	RegionCode     string
	HouseholdTypes []kernel.HouseholdType
	Members        []Member
}

// ConsentInput is the consent to publication as entered.
type ConsentInput struct {
	Given    bool
	GivenBy  string
	Relation string
	Method   string
	At       string
}

// validNeed is a validated input with what was derived from it.
type validNeed struct {
	in        NeedInput
	org       *kernel.Org
	id        kernel.IDInfo
	members   []Member
	types     []kernel.HouseholdType
	services  []kernel.Service
	requested int64
	costFrom  time.Time
	costTo    time.Time
	deadline  *time.Time
	consent   Consent
	ageBand   kernel.AgeBand
}

// parseWhen reads a date (in China time) or an RFC 3339 time.
func parseWhen(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.ParseInLocation("2006-01-02", s, kernel.ChinaTime); err == nil {
		return t.UTC(), true
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), true
	}
	return time.Time{}, false
}

func textOK(v *kernel.ValidationError, field, s string, max int, required bool) {
	n := utf8.RuneCountInString(s)
	switch {
	case !utf8.ValidString(s):
		v.Add(field, "must be valid UTF-8")
	case required && strings.TrimSpace(s) == "":
		v.Add(field, "is required")
	case n > max:
		v.Add(field, "must be at most %d characters, has %d", max, n)
	case strings.ContainsRune(s, 0):
		v.Add(field, "must not contain NUL characters")
	}
}

func shortTextOK(v *kernel.ValidationError, field, s string, max int, required bool) {
	textOK(v, field, s, max, required)
	if strings.ContainsAny(s, "\r\n\t<>") {
		v.Add(field, "must be one line without angle brackets")
	}
}

func amountOK(v *kernel.ValidationError, field string, fen int64) {
	switch {
	case fen < 0:
		v.Add(field, "must not be negative")
	case fen > MaxAmountFen:
		v.Add(field, "must be at most %v", kernel.Fen(MaxAmountFen))
	}
}

// posterOrgs are the organization kinds whose social workers post needs.
var posterOrgs = []kernel.OrgKind{kernel.OrgSocialWorkAgency, kernel.OrgCharity, kernel.OrgCharityFederation}

func (s *NeedService) postingOrg(by *kernel.Principal, orgID string) (*kernel.Org, error) {
	for _, o := range by.OrgsWith(kernel.RoleSocialWorker) {
		if slices.Contains(posterOrgs, o.Kind) && (orgID == "" || o.PublicID == orgID) {
			return o, nil
		}
	}
	if orgID != "" && by.Has(kernel.RoleSocialWorker) {
		return nil, kernel.Invalid("org_id", "you are not a social worker of that organization")
	}
	return nil, kernel.Refuse(kernel.ErrForbidden, "refusal_post_need_role", nil, "only social workers of a social work agency, charity or charity federation post needs")
}

// validate checks the whole input and returns every problem at once.
func (s *NeedService) validate(by *kernel.Principal, in NeedInput) (*validNeed, error) {
	org, err := s.postingOrg(by, in.OrgID)
	if err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	v := &kernel.ValidationError{}
	out := &validNeed{in: in, org: org}
	b := in.Beneficiary

	if strings.TrimSpace(b.IDNumber) == "" {
		v.Add("beneficiary.id_number", "is required")
	} else if id, err := kernel.ParseIDNumber(b.IDNumber, now); err != nil {
		v.AddErr("beneficiary.id_number", err)
	} else {
		out.id = id
		out.ageBand = kernel.AgeBandAt(id.BirthDate, now)
	}
	shortTextOK(v, "beneficiary.name", strings.TrimSpace(b.Name), 50, true)
	if strings.TrimSpace(b.Phone) != "" && !kernel.ValidPhone(b.Phone) {
		v.Add("beneficiary.phone", "must be a mainland mobile number (11 digits starting 13-19)")
	}
	shortTextOK(v, "beneficiary.address", b.Address, 200, false)
	switch {
	case !kernel.RegionCodeFormatOK(b.RegionCode):
		v.Add("beneficiary.region_code", "must be a GB/T 2260 code of 6 or 9 digits")
	case !s.Divisions.Known(b.RegionCode):
		v.Add("beneficiary.region_code", "no such administrative division: %s", b.RegionCode)
	default:
		if l := s.Divisions.Level(b.RegionCode); l != kernel.LevelCounty && l != kernel.LevelTown {
			v.Add("beneficiary.region_code", "must be a county or town, not a %s", l)
		}
	}
	for _, h := range b.HouseholdTypes {
		if !h.Valid() {
			v.Add("beneficiary.household_types", "unknown household type %q", h)
		} else if !slices.Contains(out.types, h) {
			out.types = append(out.types, h)
		}
	}
	if len(b.Members) > MaxMembers {
		v.Add("beneficiary.members", "at most %d members", MaxMembers)
	}
	for i, m := range b.Members {
		f := fmt.Sprintf("beneficiary.members[%d]", i)
		m.Name = strings.TrimSpace(m.Name)
		m.Relation = strings.TrimSpace(m.Relation)
		shortTextOK(v, f+".name", m.Name, 50, true)
		shortTextOK(v, f+".relation", m.Relation, 20, true)
		if strings.TrimSpace(m.IDNumber) != "" {
			id, err := kernel.ParseIDNumber(m.IDNumber, now)
			if err != nil {
				v.AddErr(f+".id_number", err)
			} else {
				m.IDNumber = id.Number
			}
		}
		out.members = append(out.members, m)
	}
	if !in.Category.Valid() {
		v.Add("category", "must be one of %v", kernel.Categories)
	}
	if !in.Urgency.Valid() {
		v.Add("urgency", "must be emergency, urgent or normal")
	}
	for _, sv := range in.ServiceNeeds {
		if !sv.Valid() {
			v.Add("service_needs", "unknown service %q", sv)
		} else if !slices.Contains(out.services, sv) {
			out.services = append(out.services, sv)
		}
	}
	textOK(v, "title", strings.TrimSpace(in.Title), MaxTitleRunes, true)
	if strings.ContainsAny(in.Title, "\r\n") {
		v.Add("title", "must be one line")
	}
	textOK(v, "story", in.Story, MaxStoryRunes, true)

	amountOK(v, "verified_cost_fen", in.VerifiedCostFen)
	amountOK(v, "statutory_relief_fen", in.StatutoryReliefFen)
	if in.VerifiedCostFen == 0 {
		v.Add("verified_cost_fen", "must be above 0")
	}
	if in.StatutoryReliefFen > in.VerifiedCostFen {
		v.Add("statutory_relief_fen", "must not exceed the verified cost")
	}
	gap := in.VerifiedCostFen - in.StatutoryReliefFen
	out.requested = gap
	if in.RequestedFen != nil {
		out.requested = *in.RequestedFen
		amountOK(v, "requested_fen", out.requested)
		if out.requested > gap && gap >= 0 {
			v.Add("requested_fen", "must not exceed the verified cost less statutory relief (%v)", kernel.Fen(gap))
		}
	}
	if out.requested <= 0 {
		v.Add("requested_fen", "must be above 0: the verified cost less statutory relief leaves nothing to request")
	}

	from, okFrom := parseWhen(in.CostFrom)
	to, okTo := parseWhen(in.CostTo)
	if !okFrom {
		v.Add("cost_period.from", "must be a date (YYYY-MM-DD)")
	}
	if !okTo {
		v.Add("cost_period.to", "must be a date (YYYY-MM-DD)")
	}
	if okFrom && okTo && to.Before(from) {
		v.Add("cost_period.to", "must not be before cost_period.from")
	}
	if okFrom && (from.Year() < 2000 || from.After(now.AddDate(5, 0, 0))) {
		v.Add("cost_period.from", "is out of range")
	}
	out.costFrom, out.costTo = from, to
	if strings.TrimSpace(in.Deadline) != "" {
		d, ok := parseWhen(in.Deadline)
		today := kernel.ChinaDay(now)
		switch {
		case !ok:
			v.Add("deadline", "must be a date (YYYY-MM-DD)")
		case d.Before(today):
			v.Add("deadline", "must not be in the past")
		case d.After(now.AddDate(5, 0, 0)):
			v.Add("deadline", "must be within five years")
		default:
			out.deadline = &d
		}
	}

	c := in.Consent
	out.consent = Consent{Given: c.Given, GivenBy: strings.TrimSpace(c.GivenBy), Relation: c.Relation, Method: c.Method, ToOrg: org.PublicID}
	if c.Given {
		shortTextOK(v, "consent.given_by", out.consent.GivenBy, 50, true)
		if !slices.Contains(ConsentRelations, c.Relation) {
			v.Add("consent.relation", "must be one of %v", ConsentRelations)
		} else if out.ageBand == kernel.AgeUnder14 && c.Relation != "guardian" && c.Relation != "parent" {
			v.Add("consent.relation", "the beneficiary is under 14: a guardian or parent must consent (PIPL art. 31)")
		}
		if !slices.Contains(ConsentMethods, c.Method) {
			v.Add("consent.method", "must be one of %v", ConsentMethods)
		}
		at, ok := parseWhen(c.At)
		switch {
		case !ok:
			v.Add("consent.at", "must be a date or time")
		case at.After(now.Add(time.Minute)):
			v.Add("consent.at", "must not be in the future")
		default:
			out.consent.At = &at
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// householdNames lists every name entered for the household, for the scrubber.
func householdNames(id *Identity) []string {
	names := []string{id.Name}
	for _, m := range id.Members {
		names = append(names, m.Name)
	}
	return names
}

// NeedCreated is the answer to a new need: the need and its screening.
type NeedCreated struct {
	Need      *Need
	Screening *kernel.Screening
	// ScreeningErr is set when the screener failed; the need exists anyway
	// and is screened again at clearance.
	ScreeningErr error
}

func (s *NeedService) seal(v any, ad string) ([]byte, string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, "", err
	}
	return s.Cipher.Seal(b, []byte(ad))
}

func (s *NeedService) open(ct []byte, kid, ad string, v any) error {
	b, err := s.Cipher.Open(ct, kid, []byte(ad))
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// Create posts a need for a household: the whole input is validated first,
// the identity and private text are sealed, and the need is stored as
// submitted, waiting at its first approval step (one step: clearance, due
// in ClearanceWorkingDays working days; two steps: the town's review, due
// in TownReviewWorkingDays, or the county's approval when the need's
// region is a county or its town has no civil affairs office), with the
// whole case due in CaseWorkingDays. Then it is screened (StageSubmit).
// ErrForbidden, ValidationError.
func (s *NeedService) Create(ctx context.Context, by *kernel.Principal, in NeedInput) (*NeedCreated, error) {
	vn, err := s.validate(by, in)
	if err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	ident := Identity{IDNumber: vn.id.Number, Name: strings.TrimSpace(in.Beneficiary.Name), Phone: kernel.NormalizePhone(in.Beneficiary.Phone),
		Address: strings.TrimSpace(in.Beneficiary.Address), BirthDate: vn.id.BirthDate.Format("2006-01-02"), Members: vn.members}
	if in.Beneficiary.Phone == "" {
		ident.Phone = ""
	}
	if ident.Members == nil {
		ident.Members = []Member{}
	}
	b := &Beneficiary{PublicID: s.NewID(), OrgID: vn.org.ID, Pseudonym: s.Pseudonymizer.Of(vn.id.Number), RegionCode: in.Beneficiary.RegionCode,
		AgeBand: vn.ageBand, Sex: "f", HouseholdTypes: vn.types, CreatedAt: now}
	if vn.id.Male {
		b.Sex = "m"
	}
	if b.IdentityCT, b.IdentityKID, err = s.seal(ident, b.PublicID); err != nil {
		return nil, err
	}
	n := &Need{PublicID: s.NewID(), OrgID: vn.org.ID, OrgPublicID: vn.org.PublicID, OrgName: vn.org.Name, CreatedBy: by.User.ID,
		Pseudonym: b.Pseudonym, Status: kernel.NeedSubmitted, Category: in.Category, Urgency: in.Urgency, RegionCode: b.RegionCode,
		AgeBand: vn.ageBand, HouseholdTypes: vn.types, PublicHouseholdTypes: []kernel.HouseholdType{}, VerifiedCostFen: in.VerifiedCostFen,
		StatutoryReliefFen: in.StatutoryReliefFen, RequestedFen: vn.requested, CostFrom: vn.costFrom, CostTo: vn.costTo,
		ServiceNeeds: vn.services, Deadline: vn.deadline, Emergency: in.Emergency, ConsentPublic: vn.consent.Given,
		CreatedAt: now, UpdatedAt: now, Version: 1, Household: HouseholdOf(s.Pseudonymizer, &ident)}
	step, days, err := s.firstStep(ctx, b.RegionCode)
	if err != nil {
		return nil, fmt.Errorf("needs: create: %w", err)
	}
	due := s.Config.Calendar.AddWorkingDays(now, days)
	caseDue := s.Config.Calendar.AddWorkingDays(now, s.Config.CaseWorkingDays)
	n.SubmittedAt, n.ClearanceDueAt, n.ApprovalStep, n.CaseDueAt = &now, &due, step, &caseDue
	n.OpenSteps = []CaseStep{s.newStep(n, step, now, days, due), s.newStep(n, StepCase, now, s.Config.CaseWorkingDays, caseDue)}
	priv := needPrivate{Title: strings.TrimSpace(in.Title), Story: in.Story, Consent: vn.consent}
	if n.PrivateCT, n.PrivateKID, err = s.seal(priv, n.PublicID); err != nil {
		return nil, err
	}
	if n.Status, err = Next(kernel.NeedDraft, ActSubmit); err != nil {
		return nil, err
	}
	ev, err := s.event(n, by, "need.submit", kernel.NeedDraft, n.Status, nil)
	if err != nil {
		return nil, err
	}
	audit := s.audit(n, by, ev, map[string]any{"category": n.Category, "region_code": n.RegionCode, "requested_fen": n.RequestedFen,
		"verified_cost_fen": n.VerifiedCostFen, "statutory_relief_fen": n.StatutoryReliefFen, "emergency": n.Emergency,
		"consent_public": n.ConsentPublic, "clearance_due_at": due, "approval_step": step, "case_due_at": caseDue})
	if err := s.Store.CreateNeed(ctx, b, n, ev, audit); err != nil {
		return nil, fmt.Errorf("needs: create: %w", err)
	}
	out := &NeedCreated{Need: n}
	out.Screening, out.ScreeningErr = s.screen(ctx, n, kernel.StageSubmit)
	return out, nil
}

// screen runs the screener (if any) and records its outcome on the need.
func (s *NeedService) screen(ctx context.Context, n *Need, stage kernel.ScreeningStage) (*kernel.Screening, error) {
	if s.Screener == nil {
		return nil, nil
	}
	sc, err := s.Screener.Screen(ctx, n.PublicID, stage, 0)
	if err != nil {
		return nil, fmt.Errorf("needs: screening: %w", err)
	}
	if sc != nil {
		n.ScreeningResult = sc.Result
		if err := s.Store.SetScreeningResult(ctx, n.ID, sc.Result); err != nil {
			return sc, err
		}
	}
	return sc, nil
}

// eventNote is the sealed why of an event.
type eventNote struct {
	Note      string `json:"note,omitempty"`
	Reference string `json:"reference,omitempty"`
	// UnpaidReason is why a need was closed with money not paid out
	// (Close).
	UnpaidReason string `json:"unpaid_reason,omitempty"`
}

func (s *NeedService) event(n *Need, by *kernel.Principal, action string, from, to kernel.NeedStatus, note *eventNote) (*NeedEvent, error) {
	ev := &NeedEvent{PublicID: s.NewID(), At: s.Now().UTC(), Actor: actorOf(by), Action: action, From: from, To: to}
	if note != nil && (note.Note != "" || note.Reference != "" || note.UnpaidReason != "") {
		var err error
		if ev.NoteCT, ev.NoteKID, err = s.seal(note, "event:"+ev.PublicID); err != nil {
			return nil, err
		}
	}
	return ev, nil
}

func actorOf(by *kernel.Principal) string {
	if by == nil {
		return "anonymous"
	}
	return by.User.PublicID
}

// audit builds the audit entry of an event: public facts only.
func (s *NeedService) audit(n *Need, by *kernel.Principal, ev *NeedEvent, detail map[string]any) AuditEntry {
	if detail == nil {
		detail = map[string]any{}
	}
	detail["from"], detail["to"], detail["event"] = ev.From, ev.To, ev.PublicID
	if ev.NoteCT != nil {
		detail["note"] = "sealed"
	}
	return AuditEntry{Stream: "need:" + n.PublicID, At: ev.At, Actor: ev.Actor, Action: ev.Action, ObjectType: "need",
		ObjectID: n.PublicID, Detail: auditDetail(detail)}
}

// regionPrefix is the prefix every region code inside the region code
// starts with.
func regionPrefix(d *kernel.Divisions, code string) string {
	if d == nil {
		return code
	}
	if p := d.Prefix(code); p != "" {
		return p
	}
	return code
}

// VerifierRegions returns the region prefixes of the civil affairs
// organizations in which p is a verifier: the needs whose region code
// starts with one of them are the needs p clears, reviews and refers
// (see CoveringVerifier). None for anyone else.
func VerifierRegions(d *kernel.Divisions, p *kernel.Principal) []string {
	var out []string
	for _, o := range p.OrgsWith(kernel.RoleVerifier) {
		if o.Kind == kernel.OrgCivilAffairs {
			out = append(out, regionPrefix(d, o.RegionCode))
		}
	}
	return out
}

// CoveringVerifier reports whether p is a verifier of a civil affairs
// organization whose region contains region. It is the one rule for the
// verifier's work on a need: clearance, objections, the review queue and
// its decisions, screenings and referrals.
func CoveringVerifier(d *kernel.Divisions, p *kernel.Principal, region string) bool {
	for _, prefix := range VerifierRegions(d, p) {
		if strings.HasPrefix(region, prefix) {
			return true
		}
	}
	return false
}

// Rules are the need rules over the service's divisions.
func (s *NeedService) Rules() NeedRules { return NeedRules{Divisions: s.Divisions} }

// May reports whether by may do action on n now (NeedRules.May): nil, or
// the refusal the API answers with. Pages ask it which actions to offer.
func (s *NeedService) May(by *kernel.Principal, action NeedAction, n *Need) error {
	return s.Rules().May(by, action, n, s.Now().UTC())
}

// coveringVerifier is CoveringVerifier over the service's divisions.
func (s *NeedService) coveringVerifier(p *kernel.Principal, region string) bool {
	return CoveringVerifier(s.Divisions, p, region)
}

// poster reports whether p is a social worker of the posting organization.
func poster(p *kernel.Principal, n *Need) bool { return p.InOrg(kernel.RoleSocialWorker, n.OrgID) }

// canSeePrivate: staff of the posting organization and covering verifiers.
func (s *NeedService) canSeePrivate(p *kernel.Principal, n *Need) bool {
	if p == nil {
		return false
	}
	for _, m := range p.Memberships {
		if m.Org != nil && m.Org.ID == n.OrgID {
			return true
		}
	}
	return s.coveringVerifier(p, n.RegionCode)
}

// load returns a need the caller may see privately; others get ErrNotFound,
// so that they cannot learn which unpublished needs exist.
func (s *NeedService) load(ctx context.Context, by *kernel.Principal, publicID string) (*Need, error) {
	n, err := s.Store.NeedByPublicID(ctx, publicID)
	if err != nil {
		return nil, err
	}
	if !s.canSeePrivate(by, n) {
		return nil, kernel.ErrNotFound
	}
	return n, nil
}

func (s *NeedService) openNeed(ctx context.Context, n *Need) (*needPrivate, *Identity, error) {
	b, err := s.Store.BeneficiaryByID(ctx, n.BeneficiaryID)
	if err != nil {
		return nil, nil, err
	}
	return s.openSealed(n, b)
}

// openSealed opens the private record of n and the identity of its
// beneficiary b.
func (s *NeedService) openSealed(n *Need, b *Beneficiary) (*needPrivate, *Identity, error) {
	var priv needPrivate
	if err := s.open(n.PrivateCT, n.PrivateKID, n.PublicID, &priv); err != nil {
		return nil, nil, fmt.Errorf("needs: open private record: %w", err)
	}
	var id Identity
	if err := s.open(b.IdentityCT, b.IdentityKID, b.PublicID, &id); err != nil {
		return nil, nil, fmt.Errorf("needs: open identity: %w", err)
	}
	return &priv, &id, nil
}

// Identity opens the identity of the beneficiary of a need for one who
// may see the need privately (its posting organization's staff, covering
// verifiers): the same rule and the same opening as Private. ErrNotFound
// for anyone else.
func (s *NeedService) Identity(ctx context.Context, by *kernel.Principal, publicID string) (*Identity, error) {
	n, err := s.load(ctx, by, publicID)
	if err != nil {
		return nil, err
	}
	_, id, err := s.openNeed(ctx, n)
	if err != nil {
		return nil, err
	}
	return id, nil
}

// SystemIdentity opens the identity of the beneficiary of a need for the
// system itself, with no user: the operator's command line that sends
// charity aid back to civil affairs (funds.CharityAidExport.ExportAsSystem),
// whose authority is the host and its keys. No request reaches it.
// ErrNotFound.
func (s *NeedService) SystemIdentity(ctx context.Context, publicID string) (*Identity, error) {
	n, err := s.Store.NeedByPublicID(ctx, publicID)
	if err != nil {
		return nil, err
	}
	_, id, err := s.openNeed(ctx, n)
	if err != nil {
		return nil, err
	}
	return id, nil
}

// ClearanceInput is a verifier's decision.
type ClearanceInput struct {
	// Decision is cleared, rejected or referred; at a town review passed
	// (OutcomePassed: on to the county's approval) or rejected.
	Decision           string
	Reference          string
	StatutoryReliefFen *int64
	Note               string
	// Group is the 一事一议 of the county's decision: required above
	// NeedConfig.GroupDecisionAboveFen, recorded whenever given.
	Group *GroupDecisionInput
}

// decisionActions are the actions of the decisions of ClearanceInput.
var decisionActions = map[string]NeedAction{"cleared": ActClear, "rejected": ActReject, "referred": ActRefer, OutcomePassed: ActReview}

// Clear records a civil affairs verifier's decision on a submitted need:
// cleared, rejected, or referred to a statutory programme first; with two
// steps, at the town's review, passed on to the county's approval or
// rejected (which ends the case). Who decides follows the step
// (NeedRules.Who: ErrForbidden for an office of another level). A new
// statutory relief figure lowers the requested amount so that it never
// exceeds cost less relief; to clear, such corrected figures are stored
// first and screening at the clear stage judges them. Clearing is refused
// with a *kernel.ScreeningBlockedError when that screening blocks. The
// county's decision on a need requesting more than GroupDecisionAboveFen
// needs in.Group (一事一议). The step ends (and the next starts) in the
// decision's transaction. ErrNotFound, ErrForbidden, ErrConflict
// (*TransitionError), ValidationError.
func (s *NeedService) Clear(ctx context.Context, by *kernel.Principal, publicID string, in ClearanceInput) (*Need, error) {
	n, err := s.load(ctx, by, publicID)
	if err != nil {
		return nil, err
	}
	action := decisionActions[in.Decision]
	if action == "" {
		// An unknown decision: the caller must still be a decider.
		if err := s.Rules().Who(by, ActReject, n); err != nil {
			return nil, err
		}
	} else if err := s.Rules().Who(by, action, n); err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	v := &kernel.ValidationError{}
	switch {
	case action != "":
	case n.ApprovalStep == StepTownReview:
		v.Add("decision", "must be passed or rejected at a town review")
	default:
		v.Add("decision", "must be cleared, rejected or referred")
	}
	shortTextOK(v, "reference", in.Reference, 100, false)
	textOK(v, "note", in.Note, MaxNoteRunes, action == ActReject || action == ActRefer)
	statutory, requested := n.StatutoryReliefFen, n.RequestedFen
	if in.StatutoryReliefFen != nil {
		statutory = *in.StatutoryReliefFen
		amountOK(v, "statutory_relief_fen", statutory)
		if statutory > n.VerifiedCostFen {
			v.Add("statutory_relief_fen", "must not exceed the verified cost (%v)", kernel.Fen(n.VerifiedCostFen))
		}
		if gap := n.VerifiedCostFen - statutory; requested > gap {
			requested = gap
		}
		if requested <= 0 && (action == ActClear || action == ActReview) {
			v.Add("statutory_relief_fen", "leaves nothing to request: reject or refer the need instead")
		}
	}
	// The county's decision: clearing or referring, or a rejection other
	// than the town's (a one-step clearance, the county approval).
	county := action == ActClear || action == ActRefer || (action == ActReject && n.ApprovalStep != StepTownReview)
	switch {
	case in.Group != nil && !county:
		v.Add("group_decision", "is recorded with the county's decision, not at a town review")
	case in.Group != nil:
		groupDecisionOK(v, in.Group, n, now)
	case county && s.Config.GroupDecisionAboveFen > 0 && requested > s.Config.GroupDecisionAboveFen:
		v.Add("group_decision", "a decision on a need requesting more than %v is taken by a group (一事一议): record its members, date and reasoning",
			kernel.Fen(s.Config.GroupDecisionAboveFen))
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := s.Rules().When(action, n, now); err != nil {
		return nil, err
	}
	to, err := Next(n.Status, action)
	if err != nil {
		return nil, err
	}
	if action == ActReview {
		return s.review(ctx, by, n, in, statutory, requested, now)
	}
	var clearSc *kernel.Screening
	if action == ActClear {
		// Screening reads the stored need: the verifier's corrected figures
		// are stored first, so that it judges the figures the need is
		// cleared with. They stay stored when screening blocks: they are
		// what civil affairs verified, and the block is about them.
		if statutory != n.StatutoryReliefFen || requested != n.RequestedFen {
			if err := s.correctFigures(ctx, by, n, statutory, requested, in); err != nil {
				return nil, err
			}
		}
		sc, err := s.screen(ctx, n, kernel.StageClear)
		if err != nil {
			return nil, err
		}
		clearSc = sc
		if n.ScreeningResult == kernel.ScreenBlock && !n.BlockOverride {
			if sc == nil {
				sc = &kernel.Screening{NeedID: n.PublicID, Stage: kernel.StageClear, Result: kernel.ScreenBlock, Checks: []kernel.ScreeningCheck{}}
			}
			return nil, &kernel.ScreeningBlockedError{Stage: kernel.StageClear, Screening: sc}
		}
	}
	now = s.Now().UTC()
	from, step := n.Status, n.ApprovalStep
	if step == "" {
		step = StepClearance
	}
	n.Status, n.StatutoryReliefFen, n.RequestedFen, n.UpdatedAt = to, statutory, requested, now
	n.ApprovalStep, n.EscalatedLevel = "", ""
	switch to {
	case kernel.NeedCleared:
		n.ClearedAt = &now
	case kernel.NeedRejected:
		n.ClosedAt = &now
	}
	ev, err := s.event(n, by, "need.clearance", from, to, &eventNote{Note: in.Note, Reference: in.Reference})
	if err != nil {
		return nil, err
	}
	detail := map[string]any{"decision": in.Decision, "statutory_relief_fen": statutory, "requested_fen": requested,
		"overdue": n.ClearanceDueAt != nil && now.After(*n.ClearanceDueAt), "step": step}
	w := NeedWrite{Need: n, Event: ev, EndSteps: []StepEnd{{Step: step, At: now, Outcome: in.Decision, By: actorOf(by)}}}
	if to != kernel.NeedCleared {
		// A rejection or a referral ends the case.
		w.EndSteps = append(w.EndSteps, StepEnd{Step: StepCase, At: now, Outcome: string(to), By: actorOf(by)})
	}
	if in.Group != nil {
		if w.NewGroupDecision, err = s.groupDecision(n, by, step, in, now); err != nil {
			return nil, err
		}
		detail["group_decision"] = w.NewGroupDecision.PublicID
		detail["group_members"] = len(w.NewGroupDecision.Members)
		detail["group_decided_on"] = w.NewGroupDecision.DecidedOn
	}
	w.Audit = s.audit(n, by, ev, detail)
	if err := s.Store.SaveNeed(ctx, w); err != nil {
		return nil, fmt.Errorf("needs: clear: %w", err)
	}
	// The verifier cleared the need with its warnings in view: that is an
	// acknowledgement of them, and they leave the review queue.
	if ack, ok := s.Screener.(ClearanceAcknowledger); ok && to == kernel.NeedCleared && clearSc != nil && clearSc.Result == kernel.ScreenWarn {
		if err := ack.AcknowledgeAtClearance(ctx, by, n.PublicID, clearSc.ID); err != nil {
			return nil, fmt.Errorf("needs: clear: the need is cleared, but acknowledging its warnings failed: %w", err)
		}
	}
	return n, nil
}

// correctFigures stores the statutory relief and requested amount a
// verifier corrected at clearance, with its event and audit entry, while
// the need stays submitted.
func (s *NeedService) correctFigures(ctx context.Context, by *kernel.Principal, n *Need, statutory, requested int64, in ClearanceInput) error {
	n.StatutoryReliefFen, n.RequestedFen, n.UpdatedAt = statutory, requested, s.Now().UTC()
	ev, err := s.event(n, by, "need.correct", n.Status, n.Status, &eventNote{Note: in.Note, Reference: in.Reference})
	if err != nil {
		return err
	}
	a := s.audit(n, by, ev, map[string]any{"statutory_relief_fen": statutory, "requested_fen": requested})
	if err := s.Store.SaveNeed(ctx, NeedWrite{Need: n, Event: ev, Audit: a}); err != nil {
		return fmt.Errorf("needs: clear: correct figures: %w", err)
	}
	return nil
}

// Projection is the public projection of a need as publication computes
// it, with the redactions the worker sees in the preview.
type Projection struct {
	Title           string                 `json:"title"`
	Story           string                 `json:"story"`
	TitleRedactions []anonymize.Redaction  `json:"title_redactions"`
	StoryRedactions []anonymize.Redaction  `json:"story_redactions"`
	RegionCode      string                 `json:"region_code"`
	RegionName      string                 `json:"region_name"`
	AgeBand         kernel.AgeBand         `json:"age_band"`
	HouseholdTypes  []kernel.HouseholdType `json:"household_types"`
	// OrgShown: public surfaces may name the posting organization beside
	// the need (see project).
	OrgShown bool `json:"org_shown"`
	// reachedK: a count of the cell reached exactly K with this need, so
	// that needs published before it may now be shown finer.
	reachedK bool
}

// project is the one place the public projection of a need is computed:
// title and story scrubbed of everything identifying (with every name
// entered for the household), the region coarsened and rare household
// types dropped so that at least K published needs share the cell
// (region × category × age band; household types in the county's cell).
// The need itself counts as one of them. Re-projection (Reproject) keeps
// the stored projections of published needs to the same rule as their
// cells grow.
//
// The posting organization (orgID, of orgRegion) is a quasi-identifier
// too when a public surface names it: it is named (OrgShown) only when its
// region covers the region shown (ShownOrg) and at least K published needs
// of the cell at that region were posted by it, the need included.
func (s *NeedService) project(ctx context.Context, orgID int64, orgRegion string, category kernel.Category, ageBand kernel.AgeBand, region string, types []kernel.HouseholdType, title, story string, id *Identity) (Projection, error) {
	p := Projection{AgeBand: ageBand}
	var firstErr error
	count := func(prefix string, t kernel.HouseholdType) int {
		c, err := s.Store.CountPublishedCell(ctx, category, ageBand, prefix, t, 0)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		if c+1 == s.Config.K {
			p.reachedK = true
		}
		return c + 1
	}
	p.RegionCode = anonymize.CoarsenRegion(region, s.Config.K, func(code string) int { return count(s.Divisions.Prefix(code), "") }, s.Divisions)
	// Household types are counted in the county cell whatever level the
	// region is shown at (see Reproject).
	countyPrefix := s.Divisions.Prefix(s.Divisions.Coarsen(region, kernel.LevelCounty))
	p.HouseholdTypes = anonymize.KeepHouseholdTypes(types, s.Config.K, func(t kernel.HouseholdType) int {
		if countyPrefix == "" {
			return 1
		}
		return count(countyPrefix, t)
	})
	p.RegionName = s.Divisions.FullName(p.RegionCode)
	if ShownOrg(s.Divisions, orgRegion, p.RegionCode) {
		prefix := ""
		if p.RegionCode != kernel.NationalRegion {
			prefix = s.Divisions.Prefix(p.RegionCode)
		}
		c, err := s.Store.CountPublishedCell(ctx, category, ageBand, prefix, "", orgID)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		p.OrgShown = c+1 >= s.Config.K
	}
	// The text must not name what the coarsened region hides (隆回县 shown
	// as 全国); see HiddenPlaceNames.
	o := anonymize.ScrubOptions{Names: householdNames(id), Places: anonymize.HiddenPlaceNames(s.Divisions, region, p.RegionCode), AgeBand: ageBand}
	p.Title, p.TitleRedactions = anonymize.ScrubStoryPreview(title, o)
	p.Story, p.StoryRedactions = anonymize.ScrubStoryPreview(story, o)
	if p.TitleRedactions == nil {
		p.TitleRedactions = []anonymize.Redaction{}
	}
	if p.StoryRedactions == nil {
		p.StoryRedactions = []anonymize.Redaction{}
	}
	return p, firstErr
}

// Preview returns the public projection a new need would get, without
// saving anything: what the worker checks before posting. ErrForbidden,
// ValidationError.
func (s *NeedService) Preview(ctx context.Context, by *kernel.Principal, in NeedInput) (*Projection, error) {
	vn, err := s.validate(by, in)
	if err != nil {
		return nil, err
	}
	id := &Identity{Name: strings.TrimSpace(in.Beneficiary.Name), Members: vn.members}
	p, err := s.project(ctx, vn.org.ID, vn.org.RegionCode, in.Category, vn.ageBand, in.Beneficiary.RegionCode, vn.types, strings.TrimSpace(in.Title), in.Story, id)
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// PreviewStored returns the public projection a stored need would get if
// published now. ErrNotFound.
func (s *NeedService) PreviewStored(ctx context.Context, by *kernel.Principal, publicID string) (*Projection, error) {
	n, err := s.load(ctx, by, publicID)
	if err != nil {
		return nil, err
	}
	priv, id, err := s.openNeed(ctx, n)
	if err != nil {
		return nil, err
	}
	p, err := s.project(ctx, n.OrgID, n.OrgRegionCode, n.Category, n.AgeBand, n.RegionCode, n.HouseholdTypes, priv.Title, priv.Story, id)
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// Publish publishes a cleared need: it computes and stores the public
// projection and puts the need into public notice until now+NoticePeriod,
// or opens it at once on the emergency path (marked emergency and
// requesting at most EmergencyMaxFen). Without the household's consent to
// publication the need is published for staff matching and funding only
// (ConsentPublic false): no public surface shows it. The posting
// organization's social workers and covering verifiers may publish.
// ErrNotFound, ErrForbidden, ErrConflict.
func (s *NeedService) Publish(ctx context.Context, by *kernel.Principal, publicID string) (*Need, *Projection, error) {
	n, err := s.load(ctx, by, publicID)
	if err != nil {
		return nil, nil, err
	}
	now := s.Now().UTC()
	if err := s.Rules().May(by, ActPublish, n, now); err != nil {
		return nil, nil, err
	}
	priv, id, err := s.openNeed(ctx, n)
	if err != nil {
		return nil, nil, err
	}
	p, err := s.project(ctx, n.OrgID, n.OrgRegionCode, n.Category, n.AgeBand, n.RegionCode, n.HouseholdTypes, priv.Title, priv.Story, id)
	if err != nil {
		return nil, nil, err
	}
	n.PublicTitle, n.PublicStory, n.PublicRegionCode, n.PublicHouseholdTypes = p.Title, p.Story, p.RegionCode, p.HouseholdTypes
	n.PublicOrgShown = p.OrgShown
	n.PublishedAt, n.UpdatedAt = &now, now
	emergencyPath := n.Emergency && n.RequestedFen <= s.Config.EmergencyMaxFen
	from, action := n.Status, ActPublish
	if emergencyPath {
		action, n.NoticeEndsAt = ActPublishOpen, nil
	} else {
		ends := now.Add(s.Config.NoticePeriod)
		n.NoticeEndsAt = &ends
	}
	if n.Status, err = Next(from, action); err != nil {
		return nil, nil, err
	}
	ev, err := s.event(n, by, "need.publish", from, n.Status, nil)
	if err != nil {
		return nil, nil, err
	}
	a := s.audit(n, by, ev, map[string]any{"public_region_code": p.RegionCode, "emergency_path": emergencyPath,
		"consent_public": n.ConsentPublic, "notice_ends_at": n.NoticeEndsAt, "redactions": len(p.TitleRedactions) + len(p.StoryRedactions)})
	w := NeedWrite{Need: n, Event: ev, Audit: a, Outbox: true}
	if cell, ok := anonymize.CellOf(n.Category, n.AgeBand, n.RegionCode, s.Divisions); ok && n.ConsentPublic && p.reachedK {
		// A level of the cell (or a household type of the county's) reached
		// K with this need: the needs published before it may now be shown
		// finer. Counts that only grow past K change no projection, so the
		// common publication re-projects nothing; two publications
		// committing side by side may both miss the step to K, which the
		// periodic pass (ReprojectAll) catches, coarser meanwhile.
		w.Reproject, w.Reprojector, w.Retexter = &cell, s.reprojector(), s.retexter()
	}
	if err := s.Store.SaveNeed(ctx, w); err != nil {
		return nil, nil, fmt.Errorf("needs: publish: %w", err)
	}
	if n.PublicRegionCode != p.RegionCode || !slices.Equal(n.PublicHouseholdTypes, p.HouseholdTypes) {
		p.RegionCode, p.HouseholdTypes, p.RegionName = n.PublicRegionCode, n.PublicHouseholdTypes, s.Divisions.FullName(n.PublicRegionCode)
	}
	if n.PublicTitle != p.Title || n.PublicStory != p.Story {
		// Re-projected in the same transaction: the preview's redaction
		// lists no longer describe the text.
		p.Title, p.Story, p.TitleRedactions, p.StoryRedactions = n.PublicTitle, n.PublicStory, []anonymize.Redaction{}, []anonymize.Redaction{}
	}
	return n, &p, nil
}

// shownPlacesHidden returns the place names an update of n must not name:
// those its shown region hides (all of them while it has none), since the
// donors and volunteers who read updates are not entitled to more.
func (s *NeedService) shownPlacesHidden(n *Need) []string {
	shown := n.PublicRegionCode
	if shown == "" {
		shown = kernel.NationalRegion
	}
	return anonymize.HiddenPlaceNames(s.Divisions, n.RegionCode, shown)
}

func (s *NeedService) reprojector() func([]anonymize.CellNeeds) []anonymize.ProjectionChange {
	return func(groups []anonymize.CellNeeds) []anonymize.ProjectionChange {
		return anonymize.Reproject(groups, s.Config.K, s.Divisions)
	}
}

// retexter derives the public text of a need shown finer than before the
// way Publish does (see project): from the sealed title and story, scrubbed
// of every name entered for the household and of the places the shown
// region still hides, so that it shows what the new level allows and
// nothing more. Without a cipher (a service that only re-projects) there is
// nothing to open, and the stored text stays.
func (s *NeedService) retexter() Retexter {
	if s.Cipher == nil {
		return nil
	}
	return func(n *Need, b *Beneficiary, shown string) (string, string, bool) {
		priv, id, err := s.openSealed(n, b)
		if err != nil {
			return "", "", false
		}
		o := anonymize.ScrubOptions{Names: householdNames(id), Places: anonymize.HiddenPlaceNames(s.Divisions, n.RegionCode, shown), AgeBand: n.AgeBand}
		return anonymize.ScrubStory(priv.Title, o), anonymize.ScrubStory(priv.Story, o), true
	}
}

// ReprojectAll re-projects the published needs of every cell (see
// Reproject): the periodic pass of serve and the reproject command, which
// also apply a changed K. It returns how many cells it went through and
// how many needs changed.
func (s *NeedService) ReprojectAll(ctx context.Context) (cells, changed int, err error) {
	list, err := s.Store.ProjectionCells(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("needs: reproject: %w", err)
	}
	for _, c := range list {
		n, err := s.Store.ReprojectCell(ctx, c, s.Now().UTC(), s.reprojector(), s.retexter())
		if err != nil {
			return cells, changed, fmt.Errorf("needs: reproject %s/%s/%s: %w", c.Category, c.AgeBand, c.Province, err)
		}
		cells, changed = cells+1, changed+n
	}
	return cells, changed, nil
}

// NeedDonors tells whether a user gave to a need.
type NeedDonors interface {
	// ConfirmedDonor reports whether the user with row id userID has a
	// confirmed pledge of their own (not a matching gift) to the need with
	// row id needID.
	ConfirmedDonor(ctx context.Context, userID, needID int64) (bool, error)
}

// Objection limits and time limit (see docs/needs.md, 公示 and 异议).
const (
	// ObjectionWorkingDays: a covering verifier resolves an objection
	// within 5 working days (weekends skipped, public holidays not known).
	ObjectionWorkingDays = 5
	// MaxObjectionsPerAddrDay: objections one client address may raise in
	// 24 hours, across needs.
	MaxObjectionsPerAddrDay = 3
	// MaxAnonymousOpenPerNeed: open anonymous objections one need may
	// carry; more strangers add nothing the verifier is not already
	// checking, so they are refused until those are resolved.
	MaxAnonymousOpenPerNeed = 3
	// MaxOpenPerNeed: open objections of any kind one need may carry.
	MaxOpenPerNeed = 10
	// MaxContactRunes is the longest contact an objector may leave.
	MaxContactRunes = 100
)

// ObjectionInput is what an objector sends: the text, and a contact or
// Anonymous. ClientAddr is the client address the server saw (echo's
// RealIP), for the per-address limit; it is stored only as a keyed hash.
type ObjectionInput struct {
	Text       string
	Contact    string
	Anonymous  bool
	ClientAddr string
}

// ObjectionReceipt is what the objector keeps: the objection, and the
// token (shown once, stored only hashed) that looks its outcome up.
type ObjectionReceipt struct {
	Objection *Objection
	Token     string
}

// Object raises an objection during a need's public notice (anyone may;
// by is nil for an anonymous caller). The text is sealed, with a scrubbed
// copy for staff lists; the contact is sealed for the covering verifier.
// The need stays in notice and public, but its notice is held and it takes
// no money until every objection is resolved (Need.OpenObjections). The
// objection is due in ObjectionWorkingDays working days. A need that is
// not public is ErrNotFound; outside notice ErrConflict; too many
// objections from the address or on the need ErrTooMany; ValidationError.
func (s *NeedService) Object(ctx context.Context, by *kernel.Principal, publicID string, in ObjectionInput) (*ObjectionReceipt, error) {
	n, err := s.Store.NeedByPublicID(ctx, publicID)
	if err != nil {
		return nil, err
	}
	if n.PublishedAt == nil || !n.ConsentPublic {
		if !s.canSeePrivate(by, n) {
			return nil, kernel.ErrNotFound
		}
	}
	in.Contact = strings.TrimSpace(in.Contact)
	v := &kernel.ValidationError{}
	textOK(v, "text", in.Text, MaxObjectionRunes, true)
	switch {
	case in.Anonymous && in.Contact != "":
		v.Add("contact", "an anonymous objection carries no contact")
	case !in.Anonymous && in.Contact == "":
		v.Add("contact", "leave a contact for the verifier, or object anonymously")
	default:
		textOK(v, "contact", in.Contact, MaxContactRunes, false)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	if err := s.Rules().When(ActObject, n, now); err != nil {
		return nil, err
	}
	addrKey := s.addrKey(in.ClientAddr)
	if addrKey != "" {
		c, err := s.Store.CountObjectionsFrom(ctx, addrKey, now.Add(-24*time.Hour))
		if err != nil {
			return nil, fmt.Errorf("needs: object: count from address: %w", err)
		}
		if c >= MaxObjectionsPerAddrDay {
			return nil, kernel.Refuse(kernel.ErrTooMany, "refusal_objection_address_limit", map[string]any{"Max": MaxObjectionsPerAddrDay},
				"at most %d objections a day from one address", MaxObjectionsPerAddrDay)
		}
	}
	all, err := s.Store.Objections(ctx, n.ID)
	if err != nil {
		return nil, fmt.Errorf("needs: object: %w", err)
	}
	open, anon := 0, 0
	for _, o := range all {
		if o.Status == ObjectionOpen {
			open++
			if o.Anonymous {
				anon++
			}
		}
	}
	if open >= MaxOpenPerNeed || (in.Anonymous && anon >= MaxAnonymousOpenPerNeed) {
		return nil, kernel.Refuse(kernel.ErrTooMany, "refusal_objection_need_limit", nil,
			"this need already has open objections a verifier is checking")
	}
	_, id, err := s.openNeed(ctx, n)
	if err != nil {
		return nil, err
	}
	token, err := newToken()
	if err != nil {
		return nil, fmt.Errorf("needs: object: %w", err)
	}
	due := s.Config.Calendar.AddWorkingDays(now, s.Config.ObjectionResolveWorkingDays)
	o := &Objection{PublicID: s.NewID(), CreatedAt: now, PublicText: anonymize.ScrubStory(in.Text, anonymize.ScrubOptions{Names: householdNames(id), AgeBand: n.AgeBand}), Status: ObjectionOpen,
		Anonymous: in.Anonymous, AddrKey: addrKey, DueAt: &due, TokenHash: tokenHash(token)}
	if by != nil {
		o.CreatedBy = by.User.PublicID
	}
	if o.TextCT, o.TextKID, err = s.seal(in.Text, "objection:"+o.PublicID); err != nil {
		return nil, err
	}
	if !in.Anonymous {
		if o.ContactCT, o.ContactKID, err = s.seal(in.Contact, "objection-contact:"+o.PublicID); err != nil {
			return nil, err
		}
	}
	from := n.Status
	if n.Status, err = Next(from, ActObject); err != nil {
		return nil, err
	}
	held := false
	if n.Status == kernel.NeedNotice && n.NoticeEndsAt != nil {
		// Hold the notice: it now ends no earlier than the resolution.
		n.NoticePlannedEnd, n.NoticeEndsAt, held = n.NoticeEndsAt, nil, true
	}
	n.OpenObjections++
	n.UpdatedAt = now
	ev, err := s.event(n, by, "need.objection", from, n.Status, nil)
	if err != nil {
		return nil, err
	}
	a := s.audit(n, by, ev, map[string]any{"objection": o.PublicID, "anonymous": in.Anonymous, "due_at": due})
	st := s.newStep(n, StepObjection, now, s.Config.ObjectionResolveWorkingDays, due)
	a.Notices = []notify.Event{notify.ObjectionReceived(o.PublicID, noticeRef(n), now)}
	if err := s.Store.SaveNeed(ctx, NeedWrite{Need: n, Event: ev, Audit: a, Outbox: from != n.Status || held, NewObjection: o,
		StartSteps: []CaseStep{st}}); err != nil {
		return nil, fmt.Errorf("needs: object: %w", err)
	}
	return &ObjectionReceipt{Objection: o, Token: token}, nil
}

// addrKey is the keyed hash of a client address; "" (no per-address limit)
// without an address or a pseudonymizer.
func (s *NeedService) addrKey(addr string) string {
	if addr == "" || s.Pseudonymizer == nil {
		return ""
	}
	return string(s.Pseudonymizer.AppendOf(nil, []byte("objection-addr:"+addr)))
}

func newToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("receipt token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// ObjectionOutcome is what the objector may learn of their objection with
// its receipt: where it is, when it is due and when it was decided.
type ObjectionOutcome struct {
	ID         string          `json:"id"`
	NeedID     string          `json:"need_id"`
	Status     ObjectionStatus `json:"status"`
	CreatedAt  time.Time       `json:"created_at"`
	DueAt      *time.Time      `json:"due_at"`
	ResolvedAt *time.Time      `json:"resolved_at"`
}

// Outcome looks an objection up by its id and receipt token (no account
// needed). A wrong token is ErrNotFound, as an unknown id is.
func (s *NeedService) Outcome(ctx context.Context, objectionID, token string) (*ObjectionOutcome, error) {
	if objectionID == "" || token == "" {
		return nil, kernel.ErrNotFound
	}
	o, err := s.Store.ObjectionByPublicID(ctx, objectionID)
	if err != nil {
		return nil, err
	}
	if o.TokenHash == "" || subtle.ConstantTimeCompare([]byte(o.TokenHash), []byte(tokenHash(token))) != 1 {
		return nil, kernel.ErrNotFound
	}
	return &ObjectionOutcome{ID: o.PublicID, NeedID: o.NeedPublicID, Status: o.Status, CreatedAt: o.CreatedAt, DueAt: o.DueAt, ResolvedAt: o.ResolvedAt}, nil
}

// QueuedObjection is an open objection in a covering verifier's queue: its
// text and the objector's contact opened (never scrubbed: the verifier
// calls back).
type QueuedObjection struct {
	ID        string     `json:"id"`
	NeedID    string     `json:"need_id"`
	Region    string     `json:"region_code"`
	CreatedAt time.Time  `json:"created_at"`
	DueAt     *time.Time `json:"due_at"`
	Overdue   bool       `json:"overdue"`
	Anonymous bool       `json:"anonymous"`
	Contact   string     `json:"contact"`
	Text      string     `json:"text"`
}

// ObjectionQueue lists the open objections to needs in the regions of the
// civil affairs offices where by is a verifier, the earliest due first.
// ErrForbidden for anyone else.
func (s *NeedService) ObjectionQueue(ctx context.Context, by *kernel.Principal) ([]QueuedObjection, error) {
	prefixes := VerifierRegions(s.Divisions, by)
	if len(prefixes) == 0 {
		return nil, kernel.ErrForbidden
	}
	obs, err := s.Store.OpenObjectionsIn(ctx, prefixes, 200)
	if err != nil {
		return nil, fmt.Errorf("needs: objection queue: %w", err)
	}
	now := s.Now().UTC()
	out := make([]QueuedObjection, 0, len(obs))
	for _, o := range obs {
		q, err := s.openObjection(o, now)
		if err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, nil
}

func (s *NeedService) openObjection(o Objection, now time.Time) (QueuedObjection, error) {
	q := QueuedObjection{ID: o.PublicID, NeedID: o.NeedPublicID, Region: o.NeedRegionCode, CreatedAt: o.CreatedAt, DueAt: o.DueAt,
		Overdue: o.DueAt != nil && now.After(*o.DueAt), Anonymous: o.Anonymous}
	if err := s.open(o.TextCT, o.TextKID, "objection:"+o.PublicID, &q.Text); err != nil {
		return q, fmt.Errorf("needs: open objection: %w", err)
	}
	if len(o.ContactCT) > 0 {
		if err := s.open(o.ContactCT, o.ContactKID, "objection-contact:"+o.PublicID, &q.Contact); err != nil {
			return q, fmt.Errorf("needs: open objection contact: %w", err)
		}
	}
	return q, nil
}

// ResolveObjection records a covering verifier's decision on an open
// objection. Upheld: the need is rejected (and its other open objections
// are upheld with it). Dismissed: when no other objection is open, the
// notice ends at the end it was published with, or now when that has
// passed (a dismissal never restarts the notice). ErrNotFound,
// ErrForbidden, ErrConflict, ValidationError.
func (s *NeedService) ResolveObjection(ctx context.Context, by *kernel.Principal, publicID, objectionID, decision, note string) (*Need, error) {
	n, err := s.load(ctx, by, publicID)
	if err != nil {
		return nil, err
	}
	if err := s.Rules().Who(by, ActUphold, n); err != nil {
		return nil, err
	}
	v := &kernel.ValidationError{}
	if decision != string(ObjectionUpheld) && decision != string(ObjectionDismissed) {
		v.Add("decision", "must be upheld or dismissed")
	}
	textOK(v, "note", note, MaxNoteRunes, false)
	if err := v.Err(); err != nil {
		return nil, err
	}
	all, err := s.Store.Objections(ctx, n.ID)
	if err != nil {
		return nil, err
	}
	idx := slices.IndexFunc(all, func(o Objection) bool { return o.PublicID == objectionID })
	if idx < 0 {
		return nil, kernel.ErrNotFound
	}
	if all[idx].Status != ObjectionOpen {
		return nil, kernel.Refuse(kernel.ErrConflict, "refusal_objection_status", map[string]any{"Status": string(all[idx].Status)}, "the objection is already %s", all[idx].Status)
	}
	now := s.Now().UTC()
	var resolve []Objection
	otherOpen := 0
	for _, o := range all {
		if o.Status != ObjectionOpen {
			continue
		}
		switch {
		case o.PublicID == objectionID:
			o.Status = ObjectionStatus(decision)
		case decision == string(ObjectionUpheld):
			o.Status = ObjectionUpheld
		default:
			otherOpen++
			continue
		}
		o.ResolvedAt, o.ResolvedBy = &now, by.User.PublicID
		resolve = append(resolve, o)
	}
	n.OpenObjections = otherOpen
	from := n.Status
	var action NeedAction
	switch {
	case from != kernel.NeedNotice && from != kernel.NeedSuspended:
		// A withdrawn or closed need keeps its status; the decision is
		// still recorded and the objector told.
	case decision == string(ObjectionUpheld):
		action, n.ClosedAt = ActUphold, &now
	case otherOpen > 0:
	case from == kernel.NeedNotice:
		n.NoticeEndsAt = releaseNotice(n.NoticeEndsAt, n.NoticePlannedEnd, now)
	default: // suspended under the old rule: back to its original notice end
		ends := releaseNotice(nil, n.NoticeEndsAt, now)
		action, n.NoticeEndsAt = ActResume, ends
		if !now.Before(*ends) {
			action = ActResumeOpen
		}
	}
	if otherOpen == 0 {
		n.NoticePlannedEnd, n.SuspendedFrom, n.NoticeLeft = nil, "", 0
	}
	if action != "" {
		if n.Status, err = Next(from, action); err != nil {
			return nil, err
		}
	}
	n.UpdatedAt = now
	ev, err := s.event(n, by, "need.objection."+decision, from, n.Status, &eventNote{Note: note})
	if err != nil {
		return nil, err
	}
	a := s.audit(n, by, ev, map[string]any{"objection": objectionID, "decision": decision, "resolved": len(resolve), "open_left": otherOpen})
	var ends []StepEnd
	for _, o := range resolve {
		ends = append(ends, StepEnd{Step: StepObjection, ObjectionPublicID: o.PublicID, At: now, Outcome: string(o.Status), By: actorOf(by)})
		a.Notices = append(a.Notices, notify.ObjectionResolved(o.PublicID, string(o.Status), noticeRef(n), now))
	}
	if action == ActUphold {
		ends = append(ends, s.endCase(n, by, now, string(n.Status))...)
	}
	if err := s.Store.SaveNeed(ctx, NeedWrite{Need: n, Event: ev, Audit: a, Outbox: true, ResolveObjections: resolve, EndSteps: ends}); err != nil {
		return nil, fmt.Errorf("needs: resolve objection: %w", err)
	}
	return n, nil
}

// releaseNotice is when a held notice ends once its last objection is
// resolved at now: the end it was published with (planned), or now when
// that has passed. A notice that was not held (ends set) keeps its end.
func releaseNotice(ends, planned *time.Time, now time.Time) *time.Time {
	if ends != nil {
		return ends
	}
	t := now
	if planned != nil && planned.After(now) {
		t = *planned
	}
	return &t
}

// Withdraw withdraws a need before it is funded (posting organization's
// social workers). ErrNotFound, ErrForbidden, ErrConflict.
func (s *NeedService) Withdraw(ctx context.Context, by *kernel.Principal, publicID, note string) (*Need, error) {
	n, err := s.load(ctx, by, publicID)
	if err != nil {
		return nil, err
	}
	if err := s.Rules().Who(by, ActWithdraw, n); err != nil {
		return nil, err
	}
	v := &kernel.ValidationError{}
	if textOK(v, "note", note, MaxNoteRunes, false); v.Err() != nil {
		return nil, v.Err()
	}
	now := s.Now().UTC()
	if err := s.Rules().When(ActWithdraw, n, now); err != nil {
		return nil, err
	}
	from := n.Status
	if n.Status, err = Next(from, ActWithdraw); err != nil {
		return nil, err
	}
	n.ClosedAt, n.UpdatedAt = &now, now
	ends := s.endCase(n, by, now, string(n.Status))
	ev, err := s.event(n, by, "need.withdraw", from, n.Status, &eventNote{Note: note})
	if err != nil {
		return nil, err
	}
	a := s.audit(n, by, ev, nil)
	if err := s.Store.SaveNeed(ctx, NeedWrite{Need: n, Event: ev, Audit: a, Outbox: n.PublishedAt != nil, EndSteps: ends}); err != nil {
		return nil, fmt.Errorf("needs: withdraw: %w", err)
	}
	return n, nil
}

// CloseInput is what the posting social worker writes to close a need.
type CloseInput struct {
	// Note is the closing note (结案说明): what was done, why the case
	// ends. Required.
	Note string
	// UnpaidReason is why the money given to the need and not paid out
	// will not be paid out for it (患者转院、治疗终止). Required while the
	// need holds such money (NeedRules.CloseUnpaid); ignored, and not
	// stored, when everything given was paid out.
	UnpaidReason string
}

// Close ends a need that money was given to, for the posting organization's
// social workers, with a closing note (结案说明, required): after the money
// was paid out, or earlier when the need ended some other way (the
// treatment stopped, the household moved away). A need that still holds
// money not paid out is closed only with the reason it will not be
// (in.UnpaidReason; refused with ErrConflict without one, and nothing
// changes): that money then goes back to its fund or project, and donors
// who gave to the need directly choose where their money goes
// (funds.ReturnAllocations and funds.OpenRedirects, run by serve and
// fund-jobs). Both the note and the reason are sealed with the close event;
// the audit entry says they were given. A need no money was given to is
// withdrawn instead. ErrNotFound, ErrForbidden, ErrConflict,
// *TransitionError, *ValidationError.
func (s *NeedService) Close(ctx context.Context, by *kernel.Principal, publicID string, in CloseInput) (*Need, error) {
	n, err := s.load(ctx, by, publicID)
	if err != nil {
		return nil, err
	}
	if err := s.Rules().Who(by, ActClose, n); err != nil {
		return nil, err
	}
	v := &kernel.ValidationError{}
	textOK(v, "note", in.Note, MaxNoteRunes, true)
	textOK(v, "unpaid_reason", in.UnpaidReason, MaxNoteRunes, false)
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	if err := s.Rules().When(ActClose, n, now); err != nil {
		return nil, err
	}
	if err := s.Rules().CloseUnpaid(n, in.UnpaidReason); err != nil {
		return nil, err
	}
	unpaidReason := ""
	if n.UnpaidFen() > 0 {
		unpaidReason = in.UnpaidReason
	}
	from := n.Status
	if n.Status, err = Next(from, ActClose); err != nil {
		return nil, err
	}
	n.ClosedAt, n.UpdatedAt = &now, now
	ends := s.endCase(n, by, now, string(n.Status))
	ev, err := s.event(n, by, "need.close", from, n.Status, &eventNote{Note: in.Note, UnpaidReason: unpaidReason})
	if err != nil {
		return nil, err
	}
	detail := map[string]any{"funded_fen": n.FundedFen, "disbursed_fen": n.DisbursedFen}
	if unpaidReason != "" {
		detail["unpaid_reason"] = "sealed"
	}
	a := s.audit(n, by, ev, detail)
	if err := s.Store.SaveNeed(ctx, NeedWrite{Need: n, Event: ev, Audit: a, Outbox: n.PublishedAt != nil, EndSteps: ends}); err != nil {
		return nil, fmt.Errorf("needs: close: %w", err)
	}
	return n, nil
}

// AddUpdate posts a progress update on a published need (posting
// organization's social workers). The text is sealed and a scrubbed copy
// is what donors and volunteers see. ErrNotFound, ErrForbidden,
// ErrConflict, ValidationError.
func (s *NeedService) AddUpdate(ctx context.Context, by *kernel.Principal, publicID, text string) (*NeedUpdate, error) {
	n, err := s.load(ctx, by, publicID)
	if err != nil {
		return nil, err
	}
	if err := s.Rules().Who(by, ActUpdate, n); err != nil {
		return nil, err
	}
	v := &kernel.ValidationError{}
	textOK(v, "text", text, MaxUpdateRunes, true)
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	if err := s.Rules().When(ActUpdate, n, now); err != nil {
		return nil, err
	}
	_, id, err := s.openNeed(ctx, n)
	if err != nil {
		return nil, err
	}
	u := &NeedUpdate{PublicID: s.NewID(), CreatedAt: now, CreatedBy: by.User.PublicID, PublicText: anonymize.ScrubStory(text, anonymize.ScrubOptions{Names: householdNames(id), Places: s.shownPlacesHidden(n), AgeBand: n.AgeBand})}
	if u.TextCT, u.TextKID, err = s.seal(text, "update:"+u.PublicID); err != nil {
		return nil, err
	}
	n.UpdatedAt = now
	ev, err := s.event(n, by, "need.update", n.Status, n.Status, nil)
	if err != nil {
		return nil, err
	}
	a := s.audit(n, by, ev, map[string]any{"update": u.PublicID})
	if err := s.Store.SaveNeed(ctx, NeedWrite{Need: n, Event: ev, Audit: a, NewUpdate: u}); err != nil {
		return nil, fmt.Errorf("needs: add update: %w", err)
	}
	return u, nil
}

// Updates returns a need's progress updates, scrubbed, to those who back
// the need or look after it: its private readers (members of the posting
// organization, among them its federation staff and auditors, and the
// verifiers of the civil affairs offices covering its region), donors with
// a confirmed pledge to it (see NeedDonors; a gift to a fund or project
// that was allocated to it does not count: the donor chose the fund, and
// the allocation is in the public register) and volunteers with an
// approved claim or an accepted service pledge on it. Everyone else gets
// ErrNotFound, as for the need's other private records.
func (s *NeedService) Updates(ctx context.Context, by *kernel.Principal, publicID string) ([]NeedUpdate, error) {
	n, err := s.Store.NeedByPublicID(ctx, publicID)
	if err != nil {
		return nil, err
	}
	ok, err := s.readsUpdates(ctx, by, n)
	if err != nil {
		return nil, fmt.Errorf("needs: updates: %w", err)
	}
	if !ok {
		return nil, kernel.ErrNotFound
	}
	return s.Store.NeedUpdates(ctx, n.ID)
}

// readsUpdates reports whether by may read n's progress updates (see Updates).
func (s *NeedService) readsUpdates(ctx context.Context, by *kernel.Principal, n *Need) (bool, error) {
	if by == nil {
		return false, nil
	}
	if s.canSeePrivate(by, n) {
		return true, nil
	}
	if s.Donors != nil {
		if ok, err := s.Donors.ConfirmedDonor(ctx, by.User.ID, n.ID); err != nil || ok {
			return ok, err
		}
	}
	return s.Store.ServesNeed(ctx, by.User.ID, n.ID)
}

// ConfirmStillNeeded records that the posting organization confirmed the
// need is still there (required recently before a disbursement).
// ErrNotFound, ErrForbidden, ErrConflict.
func (s *NeedService) ConfirmStillNeeded(ctx context.Context, by *kernel.Principal, publicID string) (*Need, error) {
	n, err := s.load(ctx, by, publicID)
	if err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	if err := s.Rules().May(by, ActConfirm, n, now); err != nil {
		return nil, err
	}
	n.StillNeededAt, n.UpdatedAt = &now, now
	ev, err := s.event(n, by, "need.confirm_still_needed", n.Status, n.Status, nil)
	if err != nil {
		return nil, err
	}
	if err := s.Store.SaveNeed(ctx, NeedWrite{Need: n, Event: ev, Audit: s.audit(n, by, ev, nil)}); err != nil {
		return nil, fmt.Errorf("needs: confirm: %w", err)
	}
	return n, nil
}

// StillNeededConfirmedAt returns when the posting organization last
// confirmed that the need is still there (nil when never): funds check it
// before a disbursement. ErrNotFound.
func (s *NeedService) StillNeededConfirmedAt(ctx context.Context, needPublicID string) (*time.Time, error) {
	n, err := s.Store.NeedByPublicID(ctx, needPublicID)
	if err != nil {
		return nil, err
	}
	return n.StillNeededAt, nil
}

// PrivateNeed is the full record of a need, decrypted, for the posting
// organization and covering verifiers.
type PrivateNeed struct {
	Need       *Need
	Identity   Identity
	Sex        string
	Title      string
	Story      string
	Consent    Consent
	Events     []PrivateEvent
	Objections []PrivateObjection
}

// PrivateEvent is an event with its note opened.
type PrivateEvent struct {
	ID        string            `json:"id"`
	At        time.Time         `json:"at"`
	Actor     string            `json:"actor"`
	Action    string            `json:"action"`
	From      kernel.NeedStatus `json:"from"`
	To        kernel.NeedStatus `json:"to"`
	Note      string            `json:"note,omitempty"`
	Reference string            `json:"reference,omitempty"`
	// UnpaidReason is why a need closed with money not paid out will not
	// pay it out (the close event only).
	UnpaidReason string `json:"unpaid_reason,omitempty"`
}

// PrivateObjection is an objection with its text opened.
type PrivateObjection struct {
	ID         string          `json:"id"`
	CreatedAt  time.Time       `json:"created_at"`
	Text       string          `json:"text"`
	PublicText string          `json:"public_text"`
	Status     ObjectionStatus `json:"status"`
	ResolvedAt *time.Time      `json:"resolved_at"`
}

// Private returns the full decrypted record. ErrNotFound for anyone else.
func (s *NeedService) Private(ctx context.Context, by *kernel.Principal, publicID string) (*PrivateNeed, error) {
	n, err := s.load(ctx, by, publicID)
	if err != nil {
		return nil, err
	}
	priv, id, err := s.openNeed(ctx, n)
	if err != nil {
		return nil, err
	}
	b, err := s.Store.BeneficiaryByID(ctx, n.BeneficiaryID)
	if err != nil {
		return nil, err
	}
	out := &PrivateNeed{Need: n, Identity: *id, Sex: b.Sex, Title: priv.Title, Story: priv.Story, Consent: priv.Consent,
		Events: []PrivateEvent{}, Objections: []PrivateObjection{}}
	evs, err := s.Store.NeedEvents(ctx, n.ID)
	if err != nil {
		return nil, err
	}
	for _, e := range evs {
		pe := PrivateEvent{ID: e.PublicID, At: e.At, Actor: e.Actor, Action: e.Action, From: e.From, To: e.To}
		if e.NoteCT != nil {
			var note eventNote
			if err := s.open(e.NoteCT, e.NoteKID, "event:"+e.PublicID, &note); err != nil {
				return nil, err
			}
			pe.Note, pe.Reference, pe.UnpaidReason = note.Note, note.Reference, note.UnpaidReason
		}
		out.Events = append(out.Events, pe)
	}
	obs, err := s.Store.Objections(ctx, n.ID)
	if err != nil {
		return nil, err
	}
	for _, o := range obs {
		var text string
		if err := s.open(o.TextCT, o.TextKID, "objection:"+o.PublicID, &text); err != nil {
			return nil, err
		}
		out.Objections = append(out.Objections, PrivateObjection{ID: o.PublicID, CreatedAt: o.CreatedAt, Text: text,
			PublicText: o.PublicText, Status: o.Status, ResolvedAt: o.ResolvedAt})
	}
	return out, nil
}

// Objections returns a need's objections in their scrubbed form, for its
// private readers. ErrNotFound.
func (s *NeedService) Objections(ctx context.Context, by *kernel.Principal, publicID string) ([]Objection, error) {
	n, err := s.load(ctx, by, publicID)
	if err != nil {
		return nil, err
	}
	return s.Store.Objections(ctx, n.ID)
}

// NeedSummary is a need in a private list, with its private title opened.
type NeedSummary struct {
	Need  *Need
	Title string
}

func (s *NeedService) summaries(ns []Need) ([]NeedSummary, error) {
	out := make([]NeedSummary, len(ns))
	for i := range ns {
		var priv needPrivate
		if err := s.open(ns[i].PrivateCT, ns[i].PrivateKID, ns[i].PublicID, &priv); err != nil {
			return nil, fmt.Errorf("needs: open private record: %w", err)
		}
		out[i] = NeedSummary{Need: &ns[i], Title: priv.Title}
	}
	return out, nil
}

// OrgNeeds lists the needs of the organizations where by is a social
// worker, newest first, optionally of one status. ErrForbidden, ValidationError.
func (s *NeedService) OrgNeeds(ctx context.Context, by *kernel.Principal, status string, limit, offset int) ([]NeedSummary, int, error) {
	var ids []int64
	for _, o := range by.OrgsWith(kernel.RoleSocialWorker) {
		ids = append(ids, o.ID)
	}
	if len(ids) == 0 {
		return nil, 0, kernel.ErrForbidden
	}
	q := NeedQuery{OrgIDs: ids, Limit: limit, Offset: offset}
	if status != "" {
		st := kernel.NeedStatus(status)
		if !slices.Contains(AllNeedStatuses, st) {
			return nil, 0, kernel.Invalid("status", "unknown status %q", status)
		}
		q.Statuses = []kernel.NeedStatus{st}
	}
	ns, total, err := s.Store.ListNeeds(ctx, q)
	if err != nil {
		return nil, 0, err
	}
	out, err := s.summaries(ns)
	return out, total, err
}

// AllNeedStatuses lists every need status.
var AllNeedStatuses = []kernel.NeedStatus{kernel.NeedDraft, kernel.NeedSubmitted, kernel.NeedCleared, kernel.NeedNotice, kernel.NeedOpen, kernel.NeedFunded, kernel.NeedDisbursed, kernel.NeedClosed,
	kernel.NeedRejected, kernel.NeedWithdrawn, kernel.NeedSuspended, kernel.NeedReferred}

// ClearanceQueue lists the submitted needs in the regions of the civil
// affairs offices where by is a verifier that wait at a step of theirs
// (queueScopes: one-step clearances; a town's reviews; a county's
// approvals and the town reviews escalated to it; a city's the county
// approvals escalated to it), the longest overdue first; with overdue,
// only those past their step's time limit. ErrForbidden.
func (s *NeedService) ClearanceQueue(ctx context.Context, by *kernel.Principal, overdue bool, limit, offset int) ([]NeedSummary, int, error) {
	prefixes := VerifierRegions(s.Divisions, by)
	if len(prefixes) == 0 {
		return nil, 0, kernel.ErrForbidden
	}
	q := NeedQuery{RegionPrefixes: prefixes, Queue: queueScopes(s.Divisions, by), Statuses: []kernel.NeedStatus{kernel.NeedSubmitted}, ByDue: true,
		Limit: limit, Offset: offset}
	if overdue {
		now := s.Now().UTC()
		q.DueBefore = &now
	}
	ns, total, err := s.Store.ListNeeds(ctx, q)
	if err != nil {
		return nil, 0, err
	}
	out, err := s.summaries(ns)
	return out, total, err
}
