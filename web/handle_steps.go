package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
)

// The county's way of working in the API (docs/steps.md): a need's steps
// with their time limits and its 一事一议, and the steps escalated to the
// caller's civil affairs offices.

// groupDecisionRequest is the 一事一议 sent with a county decision
// (POST /needs/{id}/clearance).
type groupDecisionRequest struct {
	Members   []marketplace.GroupMember `json:"members"`
	Date      string                    `json:"date"`
	Reasoning string                    `json:"reasoning"`
}

func (g *groupDecisionRequest) input() *marketplace.GroupDecisionInput {
	if g == nil {
		return nil
	}
	return &marketplace.GroupDecisionInput{Members: g.Members, DecidedOn: g.Date, Reasoning: g.Reasoning}
}

// stepEscalationJSON is a level a step escalated to.
type stepEscalationJSON struct {
	Level      kernel.DivisionLevel `json:"level"`
	RegionCode string               `json:"region_code"`
	RegionName string               `json:"region_name"`
	At         time.Time            `json:"at"`
}

// caseStepJSON is a step of a case with its time limit.
type caseStepJSON struct {
	ID          string               `json:"id"`
	Step        marketplace.StepKind `json:"step"`
	SubjectID   string               `json:"subject_id"`
	ObjectionID string               `json:"objection_id,omitempty"`
	RegionCode  string               `json:"region_code"`
	Level       kernel.DivisionLevel `json:"level"`
	LimitDays   int                  `json:"limit_days"`
	StartedAt   time.Time            `json:"started_at"`
	DueAt       time.Time            `json:"due_at"`
	EndedAt     *time.Time           `json:"ended_at"`
	Outcome     string               `json:"outcome"`
	Overdue     bool                 `json:"overdue"`
	// WithinLimit is set once the step ended: whether it ended by its due.
	WithinLimit *bool `json:"within_limit"`
	// WorkingDays is how many working days the step took (so far, while
	// open).
	WorkingDays int                  `json:"working_days"`
	Escalations []stepEscalationJSON `json:"escalations"`
}

func (s *Server) toStepJSON(st marketplace.CaseStep, now time.Time) caseStepJSON {
	j := caseStepJSON{ID: st.PublicID, Step: st.Step, SubjectID: st.SubjectID, ObjectionID: st.ObjectionPublicID, RegionCode: st.RegionCode,
		Level: st.Level, LimitDays: st.LimitDays, StartedAt: st.StartedAt, DueAt: st.DueAt, EndedAt: st.EndedAt, Outcome: st.Outcome,
		Overdue: st.Overdue(now), Escalations: []stepEscalationJSON{}}
	end := now
	if st.EndedAt != nil {
		within := st.WithinLimit()
		j.WithinLimit, end = &within, *st.EndedAt
	}
	j.WorkingDays = s.Needs.Config.Calendar.WorkingDaysBetween(st.StartedAt, end)
	for _, e := range st.Escalations {
		j.Escalations = append(j.Escalations, stepEscalationJSON{Level: e.Level, RegionCode: e.RegionCode, RegionName: s.Needs.Divisions.FullName(e.RegionCode), At: e.At})
	}
	return j
}

// groupDecisionJSON is a recorded 一事一议.
type groupDecisionJSON struct {
	ID           string                    `json:"id"`
	Step         marketplace.StepKind      `json:"step"`
	Decision     string                    `json:"decision"`
	Date         string                    `json:"date"`
	Members      []marketplace.GroupMember `json:"members"`
	Reasoning    string                    `json:"reasoning"`
	RequestedFen int64                     `json:"requested_fen"`
	RecordedBy   string                    `json:"recorded_by"`
	RecordedAt   time.Time                 `json:"recorded_at"`
}

// handleNeedSteps returns a need's steps with their time limits and its
// group decisions, to those who see the need privately.
func (s *Server) handleNeedSteps(c echo.Context) error {
	ns, err := s.Needs.Steps(c.Request().Context(), PrincipalOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	now := s.Needs.Now()
	steps := make([]caseStepJSON, len(ns.Steps))
	for i, st := range ns.Steps {
		steps[i] = s.toStepJSON(st, now)
	}
	gds := make([]groupDecisionJSON, len(ns.GroupDecisions))
	for i, g := range ns.GroupDecisions {
		gds[i] = groupDecisionJSON{ID: g.PublicID, Step: g.Step, Decision: g.Decision, Date: g.DecidedOn, Members: g.Members,
			Reasoning: g.Reasoning, RequestedFen: g.RequestedFen, RecordedBy: g.RecordedBy, RecordedAt: g.RecordedAt}
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, map[string]any{"steps": steps, "group_decisions": gds})
}

// escalatedStepJSON is a step escalated to the caller's office: a need's
// (with its private title) or a report's.
type escalatedStepJSON struct {
	caseStepJSON
	Subject string `json:"subject"`
	Title   string `json:"title"`
}

// handleEscalations lists the open steps escalated to the caller's civil
// affairs offices, the earliest due first.
func (s *Server) handleEscalations(c echo.Context) error {
	list, err := s.Needs.Escalations(c.Request().Context(), PrincipalOf(c), 200)
	if err != nil {
		return err
	}
	now := s.Needs.Now()
	out := make([]escalatedStepJSON, len(list))
	for i, e := range list {
		out[i] = escalatedStepJSON{caseStepJSON: s.toStepJSON(e.Step, now), Subject: "need", Title: e.Title}
		if e.Step.ReportID != 0 {
			out[i].Subject = "report"
		}
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, map[string]any{"items": out})
}
