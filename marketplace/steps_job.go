package marketplace

import (
	"context"
	"fmt"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// StepStore keeps the case steps for the time-limit job (StepService).
type StepStore interface {
	// DueSteps returns the open steps q selects, the earliest due first,
	// with SubjectStatus.
	DueSteps(ctx context.Context, q StepDueQuery) ([]CaseStep, error)
	// EscalateStep records, in one transaction, that the open step st
	// escalated at at to the offices of to (one row per step and level,
	// never twice), the need's event ev (nil for a report's step) and the
	// audit entry; for a need's approval step it also sets the need's
	// escalated level to to[0]'s (when there is one) and moves the need's version on. It
	// reports false, writing nothing, when the step has ended or escalated
	// meanwhile.
	EscalateStep(ctx context.Context, st CaseStep, to []StepEscalation, at time.Time, ev *NeedEvent, audit AuditEntry) (bool, error)
	// RemindStep marks the open step with row id stepID reminded at at; it
	// reports false when it was reminded already or has ended.
	RemindStep(ctx context.Context, stepID int64, at time.Time) (bool, error)
}

// StepDueQuery selects open steps by their due.
type StepDueQuery struct {
	// Before keeps the steps due before it; NotBefore, when set, those
	// due at or after it.
	Before, NotBefore time.Time
	// NotReminded keeps the steps not reminded yet; NotEscalated those
	// not escalated yet.
	NotReminded, NotEscalated bool
	Limit                     int
}

// StepNoticeKind says why people are told about a step.
type StepNoticeKind string

// Notices of StepService: a step due within a working day, a step that
// escalated past its limit.
const (
	NoticeStepDueSoon   StepNoticeKind = "step_due_soon"
	NoticeStepEscalated StepNoticeKind = "step_escalated"
)

// StepNotice is what a Notifier is told: the step (with the public id of
// its need or report, its region and due), the region code of the office
// whose step it is (Office: the division at the step's level containing
// its region; the social workers of the posting organization or of the
// report's routes work a case's and a report's steps too) and, when it
// escalated, the offices it escalated to. It holds no personal data.
type StepNotice struct {
	Kind   StepNoticeKind
	Step   CaseStep
	Office string
	To     []StepEscalation
}

// Notifier tells people about time limits: the office whose step is about
// to run out, the office a step escalated to. The notifications of issue
// 19 implement it; NopNotifier tells nobody. A notice is given once per
// step and kind (the job records it before telling), so an implementation
// that fails should keep the notice itself (an outbox) rather than count
// on being called again.
type Notifier interface {
	NotifyStep(ctx context.Context, n StepNotice) error
}

// NopNotifier is the Notifier that tells nobody and records nothing.
type NopNotifier struct{}

// NotifyStep implements Notifier.
func (NopNotifier) NotifyStep(context.Context, StepNotice) error { return nil }

// StepService is the time-limit job: it reminds the offices of steps due
// within a working day and escalates the steps past their limit to the
// next level up (StepKind.EscalatesTo), once per step and level however
// often and on however many instances it runs.
type StepService struct {
	Store     StepStore
	Divisions *kernel.Divisions
	Calendar  *kernel.Calendar
	Now       func() time.Time
	NewID     func() string
	// Notifier is told of reminders and escalations; nil tells nobody.
	Notifier Notifier
}

// StepRun is what one pass of the job did.
type StepRun struct {
	Reminded, Escalated int
	// Failed counts the steps the pass could not remind or escalate and
	// the notices it could not give.
	Failed int
}

// stepBatch is how many steps the job reads at once.
const stepBatch = 200

// Run makes one pass: reminders, then escalations. It goes on past a
// failing step and returns the first error with what it did.
func (s *StepService) Run(ctx context.Context) (StepRun, error) {
	var run StepRun
	var first error
	fail := func(err error) {
		run.Failed++
		if first == nil {
			first = err
		}
	}
	now := s.Now().UTC()
	notifier := s.Notifier
	if notifier == nil {
		notifier = NopNotifier{}
	}
	// Reminders: the steps due before the end of the next working day's
	// same time, not reminded or escalated yet.
	soon := s.Calendar.AddWorkingDays(now, 1)
	for done := false; !done; {
		steps, err := s.Store.DueSteps(ctx, StepDueQuery{Before: soon, NotBefore: now, NotReminded: true, NotEscalated: true, Limit: stepBatch})
		if err != nil {
			return run, fmt.Errorf("steps: due soon: %w", err)
		}
		progress := 0
		for _, st := range steps {
			ok, err := s.Store.RemindStep(ctx, st.ID, now)
			if err != nil {
				fail(fmt.Errorf("steps: remind %s: %w", st.PublicID, err))
				continue
			}
			progress++
			if !ok {
				continue
			}
			run.Reminded++
			if err := notifier.NotifyStep(ctx, StepNotice{Kind: NoticeStepDueSoon, Step: st, Office: s.office(st)}); err != nil {
				fail(fmt.Errorf("steps: notify due soon %s: %w", st.PublicID, err))
			}
		}
		done = len(steps) < stepBatch || progress == 0
	}
	for done := false; !done; {
		steps, err := s.Store.DueSteps(ctx, StepDueQuery{Before: now, NotEscalated: true, Limit: stepBatch})
		if err != nil {
			return run, fmt.Errorf("steps: overdue: %w", err)
		}
		progress := 0
		for _, st := range steps {
			to, ok, err := s.escalate(ctx, st, now)
			if err != nil {
				fail(fmt.Errorf("steps: escalate %s: %w", st.PublicID, err))
				continue
			}
			progress++
			if !ok {
				continue
			}
			run.Escalated++
			if err := notifier.NotifyStep(ctx, StepNotice{Kind: NoticeStepEscalated, Step: st, Office: s.office(st), To: to}); err != nil {
				fail(fmt.Errorf("steps: notify escalation %s: %w", st.PublicID, err))
			}
		}
		done = len(steps) < stepBatch || progress == 0
	}
	return run, first
}

// escalate escalates one overdue step: the escalation rows, the need's
// event (for a need's steps) and the audit entry, in one transaction.
func (s *StepService) escalate(ctx context.Context, st CaseStep, now time.Time) ([]StepEscalation, bool, error) {
	var to []StepEscalation
	for _, l := range st.Step.EscalatesTo(s.Divisions, st.RegionCode) {
		code := ""
		if s.Divisions != nil {
			code = s.Divisions.Coarsen(st.RegionCode, l)
		}
		if code == "" {
			continue
		}
		to = append(to, StepEscalation{Level: l, RegionCode: code, At: now})
	}
	// A region with no division above it (unknown) escalates to no
	// office: the step is still marked, so that the job does not try it
	// again every pass.
	levels, regions := make([]string, len(to)), make([]string, len(to))
	for i, e := range to {
		levels[i], regions[i] = string(e.Level), e.RegionCode
	}
	detail := map[string]any{"step": st.Step, "step_id": st.PublicID, "started_at": st.StartedAt, "due_at": st.DueAt,
		"limit_days": st.LimitDays, "to_levels": levels, "to_regions": regions}
	a := AuditEntry{At: now, Actor: ActorSystem, ObjectID: st.SubjectID}
	var ev *NeedEvent
	if st.ReportID != 0 {
		a.Stream, a.Action, a.ObjectType = "report:"+st.SubjectID, "report.escalated", "report"
	} else {
		status := kernel.NeedStatus(st.SubjectStatus)
		ev = &NeedEvent{PublicID: s.NewID(), At: now, Actor: ActorSystem, Action: "need.escalated", From: status, To: status}
		detail["from"], detail["to"], detail["event"] = status, status, ev.PublicID
		if st.ObjectionPublicID != "" {
			detail["objection"] = st.ObjectionPublicID
		}
		a.Stream, a.Action, a.ObjectType = "need:"+st.SubjectID, ev.Action, "need"
	}
	a.Detail = auditDetail(detail)
	ok, err := s.Store.EscalateStep(ctx, st, to, now, ev, a)
	if err != nil || !ok {
		return nil, false, err
	}
	return to, true, nil
}

// office is the region code of the office whose step st is.
func (s *StepService) office(st CaseStep) string {
	if s.Divisions == nil {
		return st.RegionCode
	}
	if c := s.Divisions.Coarsen(st.RegionCode, st.Level); c != "" {
		return c
	}
	return st.RegionCode
}
