package marketplace

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// The county's way of working (issue 19, docs/steps.md): every step of a
// case has a time limit in working days (kernel.Calendar), is recorded when
// it starts and when it ends (case_steps, for the pages and the
// statistics), and escalates to the office one level up when it runs past
// its limit (StepService.Run).
//
// Approval takes one step (clearance: any verifier of a civil affairs
// office covering the need's region decides, as before) or, when the
// deployment says so (NeedConfig.TwoStep), two: the town's office reviews
// (乡镇审核) and the county's approves (县级审批). 一事一议: a county decision
// on a need requesting more than NeedConfig.GroupDecisionAboveFen is a
// group's, whose members, date and reasoning are recorded with it.

// StepKind names a step of a case that has a time limit.
type StepKind string

// The steps. StepClearance is the one-step approval; StepTownReview and
// StepCountyApproval the two steps of NeedConfig.TwoStep.
const (
	// StepReportFollowUp: an active-discovery report (主动发现) is taken up
	// by a social worker or the town's civil affairs office
	// (及时报告属地乡镇), from its submission to its first handling.
	StepReportFollowUp StepKind = "report_followup"
	StepClearance      StepKind = "clearance"
	StepTownReview     StepKind = "town_review"
	StepCountyApproval StepKind = "county_approval"
	// StepCase is the whole case, from submission to its end (closed,
	// rejected, referred or withdrawn): 办结时限.
	StepCase StepKind = "case_completion"
	// StepObjection is an objection during public notice, until a
	// covering verifier resolves it.
	StepObjection StepKind = "objection"
)

// StepKinds lists every step, in the order of a case.
var StepKinds = []StepKind{StepReportFollowUp, StepClearance, StepTownReview, StepCountyApproval, StepObjection, StepCase}

// Valid reports whether k is a known step.
func (k StepKind) Valid() bool { return slices.Contains(StepKinds, k) }

// Approval reports whether k is a step of approval (the decision on a
// submitted need).
func (k StepKind) Approval() bool {
	return k == StepClearance || k == StepTownReview || k == StepCountyApproval
}

// Level is the level of the office whose step it is: the town's for a
// town review and a report's follow-up, the county's for the rest.
func (k StepKind) Level() kernel.DivisionLevel {
	switch k {
	case StepTownReview, StepReportFollowUp:
		return kernel.LevelTown
	}
	return kernel.LevelCounty
}

// EscalatesTo lists the levels a step past its limit escalates to, the
// next one up: a town review to the county's civil affairs, a county
// decision or an objection to the city's, a case not closed in time to
// the county's civil affairs (which oversees the social workers), a
// report not followed up to the town's office (when the report names a
// town or a place inside one) and the county's.
func (k StepKind) EscalatesTo(d *kernel.Divisions, region string) []kernel.DivisionLevel {
	switch k {
	case StepTownReview, StepCase:
		return []kernel.DivisionLevel{kernel.LevelCounty}
	case StepClearance, StepCountyApproval, StepObjection:
		return []kernel.DivisionLevel{kernel.LevelCity}
	case StepReportFollowUp:
		if d != nil && d.Level(region).Rank() >= kernel.LevelTown.Rank() {
			return []kernel.DivisionLevel{kernel.LevelTown, kernel.LevelCounty}
		}
		return []kernel.DivisionLevel{kernel.LevelCounty}
	}
	return nil
}

// CaseStep is one step of a case with its time limit: when it started,
// when it is due, when it ended and how, and where it escalated.
type CaseStep struct {
	ID       int64
	PublicID string
	Step     StepKind
	// SubjectID is the public id of the need (for an objection's step
	// too) or of the report.
	SubjectID string
	// NeedID, ReportID and ObjectionID are row ids, 0 when none. The
	// store sets ObjectionID of a step started with a new objection.
	NeedID, ReportID, ObjectionID int64
	// ObjectionPublicID is filled by the readers of objection steps.
	ObjectionPublicID string
	// RegionCode is the need's or the report's exact region.
	RegionCode string
	// Level is the level of the office whose step it is (StepKind.Level).
	Level kernel.DivisionLevel
	// LimitDays is the limit in working days the step started with.
	LimitDays int
	StartedAt time.Time
	DueAt     time.Time
	EndedAt   *time.Time
	// Outcome is what ended the step (StepEnd.Outcome), "" while open.
	Outcome string
	// EndedBy is a user's public id, or ActorSystem.
	EndedBy     string
	RemindedAt  *time.Time
	EscalatedAt *time.Time
	// Escalations are filled by the readers.
	Escalations []StepEscalation
	// SubjectStatus is the need's stored status or the report's status,
	// filled by the readers that list steps across subjects.
	SubjectStatus string
}

// Open reports whether the step has not ended.
func (c CaseStep) Open() bool { return c.EndedAt == nil }

// Overdue reports whether the step is open past its due at now.
func (c CaseStep) Overdue(now time.Time) bool { return c.EndedAt == nil && now.After(c.DueAt) }

// WithinLimit reports whether the step ended by its due: what the
// statistics count as handled within the limit.
func (c CaseStep) WithinLimit() bool { return c.EndedAt != nil && !c.EndedAt.After(c.DueAt) }

// StepEscalation is one level a step escalated to: the office of
// RegionCode (the division at Level containing the step's region).
type StepEscalation struct {
	Level      kernel.DivisionLevel
	RegionCode string
	At         time.Time
}

// StepEnd ends the open step Step of the need a NeedWrite saves (the
// objection's step for StepObjection, by the objection's public id). A
// step that is not open is left as it is.
type StepEnd struct {
	Step              StepKind
	ObjectionPublicID string
	At                time.Time
	Outcome           string
	By                string
}

// Step outcomes that are not a need's status, a decision or a report's
// status: the town review passed to the county.
const OutcomePassed = "passed"

// GroupDecision is the 一事一议 of a county decision: the civil affairs
// staff present (at least MinGroupMembers), the day they met, their
// decision and why. The reasoning is sealed (associated data
// "group:"+PublicID), as a verifier's note is.
type GroupDecision struct {
	ID           int64
	PublicID     string
	NeedID       int64
	Step         StepKind
	Decision     string
	DecidedOn    string // 2006-01-02
	Members      []GroupMember
	ReasoningCT  []byte
	ReasoningKID string
	// Reasoning is filled, opened, by NeedService.GroupDecisions.
	Reasoning    string
	RequestedFen int64
	RecordedBy   string
	RecordedAt   time.Time
}

// GroupMember is a member of the group of a 一事一议: a name and a role
// (局长, 社会救助科科长, 经办人).
type GroupMember struct {
	Name string `json:"name"`
	Role string `json:"role"`
}

// GroupDecisionInput is the 一事一议 as the verifier records it.
type GroupDecisionInput struct {
	Members   []GroupMember
	DecidedOn string
	Reasoning string
}

// Limits of a group decision.
const (
	MinGroupMembers = 3
	MaxGroupMembers = 15
)

// groupDecision validates a group decision taken for decision on need n at
// now (after the need was submitted, not in the future). The field names
// are the API's.
func groupDecisionOK(v *kernel.ValidationError, g *GroupDecisionInput, n *Need, now time.Time) {
	var members []GroupMember
	for i, m := range g.Members {
		m.Name, m.Role = strings.TrimSpace(m.Name), strings.TrimSpace(m.Role)
		if m.Name == "" && m.Role == "" {
			continue
		}
		f := "group_decision.members[" + strconv.Itoa(i) + "]"
		shortTextOK(v, f+".name", m.Name, 50, true)
		shortTextOK(v, f+".role", m.Role, 30, true)
		members = append(members, m)
	}
	switch {
	case len(members) < MinGroupMembers:
		v.Add("group_decision.members", "a group decision (一事一议) needs at least %d members present", MinGroupMembers)
	case len(members) > MaxGroupMembers:
		v.Add("group_decision.members", "at most %d members", MaxGroupMembers)
	}
	g.Members = members
	d, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(g.DecidedOn), kernel.ChinaTime)
	switch {
	case err != nil:
		v.Add("group_decision.date", "date must be YYYY-MM-DD")
	case d.After(kernel.ChinaDay(now)):
		v.Add("group_decision.date", "must not be in the future")
	case n.SubmittedAt != nil && d.Before(kernel.ChinaDay(*n.SubmittedAt)):
		v.Add("group_decision.date", "must not be before the need was submitted")
	default:
		g.DecidedOn = d.Format("2006-01-02")
	}
	textOK(v, "group_decision.reasoning", g.Reasoning, MaxNoteRunes, true)
}

// stepOrgs returns the civil affairs organizations in which p is a
// verifier and whose region contains region.
func stepOrgs(d *kernel.Divisions, p *kernel.Principal, region string) []*kernel.Org {
	var out []*kernel.Org
	for _, o := range p.OrgsWith(kernel.RoleVerifier) {
		if o.Kind == kernel.OrgCivilAffairs && strings.HasPrefix(region, regionPrefix(d, o.RegionCode)) {
			out = append(out, o)
		}
	}
	return out
}

// decisionHome is the level of the office whose decision action is on a
// need waiting at step, and whether an escalation of the step lets the
// offices above it decide too: a town review and a rejection at it are
// the town's; clearing and referring are the county's.
func decisionHome(step StepKind, action NeedAction) (kernel.DivisionLevel, bool) {
	if step == StepTownReview {
		if action == ActReview || action == ActReject {
			return kernel.LevelTown, true
		}
		return kernel.LevelCounty, false
	}
	return kernel.LevelCounty, true
}

// stepDecider reports whether p may take the approval decision action on n
// (NeedRules.Who): one step (or a need not waiting at a step), any
// verifier of a civil affairs office covering its region; two steps, a
// verifier of an office of the step's level covering it, or, once the
// step escalated, of an office between that level and the one it
// escalated to (the county's office takes over an overdue town review).
func stepDecider(d *kernel.Divisions, p *kernel.Principal, action NeedAction, n *Need) error {
	orgs := stepOrgs(d, p, n.RegionCode)
	if len(orgs) == 0 {
		return clearers.refuse()
	}
	step := n.ApprovalStep
	if step != StepTownReview && step != StepCountyApproval {
		return nil
	}
	home, escalates := decisionHome(step, action)
	var target string
	if escalates && n.EscalatedLevel != "" && d != nil {
		target = d.Coarsen(n.RegionCode, n.EscalatedLevel)
	}
	for _, o := range orgs {
		lvl := kernel.DivisionLevel("")
		if d != nil {
			lvl = d.Level(o.RegionCode)
		}
		switch {
		case lvl == home:
			return nil
		case target != "" && lvl.Rank() > 0 && lvl.Rank() < home.Rank() && d.Contains(target, o.RegionCode):
			return nil
		}
	}
	if home == kernel.LevelTown {
		return kernel.Refuse(kernel.ErrForbidden, "refusal_step_town_review", nil,
			"the town's civil affairs office reviews this need first (乡镇审核); the county's takes it over only once the review is overdue")
	}
	return kernel.Refuse(kernel.ErrForbidden, "refusal_step_county_approval", nil,
		"the county's civil affairs office approves this need (县级审批)")
}

// stepWhen is When for the approval decisions on a need waiting at a
// step: a town review only at the town review, clearing and referring not
// before it.
func stepWhen(action NeedAction, n *Need) error {
	switch {
	case action == ActReview && n.ApprovalStep != StepTownReview:
		return kernel.Refuse(kernel.ErrConflict, "refusal_step_not_town_review", nil, "this need is not waiting for a town review")
	case (action == ActClear || action == ActRefer) && n.ApprovalStep == StepTownReview:
		return kernel.Refuse(kernel.ErrConflict, "refusal_step_awaits_town_review", nil,
			"this need waits for the town's review (乡镇审核); the county approves it after")
	}
	return nil
}

// isDecision reports whether action is an approval decision.
func isDecision(a NeedAction) bool {
	return a == ActClear || a == ActReject || a == ActRefer || a == ActReview
}

// QueueScope selects the submitted needs of one office's approval queue:
// those whose region starts with Prefix and that wait at Step (with
// AnyStep, at StepClearance or at no step: one-step approval), escalated
// to the level Escalated when it is set.
type QueueScope struct {
	Prefix    string
	Step      StepKind
	Escalated kernel.DivisionLevel
}

// cityOffice reports whether an office of region code works at the city
// level: a city, or a municipality (a province whose counties hang under
// it directly, where escalations to the city go).
func cityOffice(d *kernel.Divisions, code string) bool {
	switch d.Level(code) {
	case kernel.LevelCity:
		return true
	case kernel.LevelProvince:
		for _, c := range d.Children(code) {
			if d.Level(c) == kernel.LevelCounty {
				return true
			}
		}
	}
	return false
}

// queueScopes are the approval queues of p's civil affairs offices: every
// office the one-step clearances in its region; a town's office its town
// reviews; a county's its county approvals and the town reviews escalated
// to it; a city's the county approvals escalated to it.
func queueScopes(d *kernel.Divisions, p *kernel.Principal) []QueueScope {
	var out []QueueScope
	for _, o := range p.OrgsWith(kernel.RoleVerifier) {
		if o.Kind != kernel.OrgCivilAffairs {
			continue
		}
		prefix := regionPrefix(d, o.RegionCode)
		out = append(out, QueueScope{Prefix: prefix, Step: StepClearance})
		switch {
		case d.Level(o.RegionCode) == kernel.LevelTown:
			out = append(out, QueueScope{Prefix: prefix, Step: StepTownReview})
		case d.Level(o.RegionCode) == kernel.LevelCounty:
			out = append(out, QueueScope{Prefix: prefix, Step: StepCountyApproval},
				QueueScope{Prefix: prefix, Step: StepTownReview, Escalated: kernel.LevelCounty})
		case cityOffice(d, o.RegionCode):
			out = append(out, QueueScope{Prefix: prefix, Step: StepCountyApproval, Escalated: kernel.LevelCity})
		}
	}
	return out
}
