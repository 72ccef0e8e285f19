package web

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
)

// The county's way of working on the pages (docs/steps.md): which step a
// need is at and what is due, in working days; the town's review and the
// county's approval with its 一事一议; the steps escalated to a verifier's
// office; the reports routed to a civil affairs office (/verify/reports,
// the social workers' inbox at another address, same rule as the API:
// verifiers of a civil affairs office the report was routed to, 404 for
// anyone else).

// handleVerifyReportsPage lists the reports routed to the verifier's civil
// affairs offices, those waiting first, the earliest due first.
func (s *Server) handleVerifyReportsPage(c echo.Context) error {
	return s.reportsInbox(c, "/verify/reports")
}

// handleVerifyReportPage shows one routed report with its contact (the
// read is audited).
func (s *Server) handleVerifyReportPage(c echo.Context) error {
	return s.reportPage(c, "/verify/reports")
}

// handleVerifyReportForm records the office's handling of a report.
func (s *Server) handleVerifyReportForm(c echo.Context) error {
	return s.reportUpdate(c, "/verify/reports")
}

// needStepsView is what the staff need page shows of a need's steps.
type needStepsView struct {
	Need *marketplace.Need
	// CanReview: the caller may take the town's review now.
	CanReview bool
	// GroupRequired: the county's decision needs a group decision
	// (一事一议) above GroupAboveFen.
	GroupRequired bool
	GroupAboveFen int64
	Steps         []marketplace.CaseStep
	Groups        []marketplace.GroupDecision
	// CaseDue is the case's due while it is open.
	CaseDue *time.Time
	// Today is the default date of a group decision.
	Today string
	// MemberRows number the member rows of the group decision form.
	MemberRows []int
	Now        time.Time
}

// groupFormRows is how many members the page's group decision form takes
// (more through the API).
const groupFormRows = 6

// needSteps builds the steps view of need n for p.
func (s *Server) needSteps(ctx context.Context, p *kernel.Principal, n *marketplace.Need) (*needStepsView, error) {
	ns, err := s.Needs.Steps(ctx, p, n.PublicID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	v := &needStepsView{Need: n, Steps: ns.Steps, Groups: ns.GroupDecisions, Now: now,
		CanReview:     s.Needs.May(p, marketplace.ActReview, n) == nil,
		GroupRequired: s.Needs.GroupDecisionRequired(n), GroupAboveFen: s.Needs.Config.GroupDecisionAboveFen,
		Today: now.In(kernel.ChinaTime).Format("2006-01-02")}
	for i := 1; i <= groupFormRows; i++ {
		v.MemberRows = append(v.MemberRows, i)
	}
	for _, st := range ns.Steps {
		if st.Step == marketplace.StepCase && st.Open() {
			due := st.DueAt
			v.CaseDue = &due
		}
	}
	return v, nil
}

// Reviewable reports whether the page offers the town's review.
func (d staffNeedPage) Reviewable() bool { return d.Steps != nil && d.Steps.CanReview }

// GroupForm reports whether the decision form asks for a group decision.
func (d staffNeedPage) GroupForm() bool { return d.CanClear && d.Steps != nil && d.Steps.GroupRequired }

// groupFromForm reads the group decision of the clearance form: nil when
// the form had none.
func groupFromForm(c echo.Context) *marketplace.GroupDecisionInput {
	if c.FormValue("group") != "1" {
		return nil
	}
	g := &marketplace.GroupDecisionInput{DecidedOn: c.FormValue("group_date"), Reasoning: c.FormValue("group_reasoning")}
	for i := 1; i <= groupFormRows; i++ {
		n, r := strings.TrimSpace(c.FormValue("member_name_"+strconv.Itoa(i))), strings.TrimSpace(c.FormValue("member_role_"+strconv.Itoa(i)))
		if n != "" || r != "" {
			g.Members = append(g.Members, marketplace.GroupMember{Name: n, Role: r})
		}
	}
	return g
}

// DueLeft says when a step is due and how many working days are left, or
// how many it is overdue: 2026年10月9日到期，剩余 2 个工作日.
func (p *page) DueLeft(due *time.Time, now time.Time) string {
	if due == nil {
		return ""
	}
	return p.DueLeftAt(*due, now)
}

// DueLeftAt is DueLeft of a due that is set.
func (p *page) DueLeftAt(due, now time.Time) string {
	date := p.Date(due)
	switch {
	case now.After(due):
		if n := p.cal.WorkingDaysBetween(due, now); n > 0 {
			return p.Tf("step_overdue", "Date", date, "Days", n)
		}
		return p.Tf("step_overdue_today", "Date", date)
	case kernel.ChinaDay(now).Equal(kernel.ChinaDay(due)):
		return p.Tf("step_due_today", "Date", date)
	}
	return p.Tf("step_left", "Date", date, "Days", p.cal.WorkingDaysBetween(now, due))
}

// StepName names a step (乡镇审核, 县级审批…).
func (p *page) StepName(k marketplace.StepKind) string { return p.T("step_" + string(k)) }

// StepOutcome names what ended a step.
func (p *page) StepOutcome(o string) string { return p.T("step_outcome_" + o) }

// LevelName names an office's level (乡镇, 县级…).
func (p *page) LevelName(l kernel.DivisionLevel) string { return p.T("level_" + string(l)) }

// Escalated says where a step escalated to (已上报郓城县民政部门督办), "" when
// it did not.
func (p *page) Escalated(es []marketplace.StepEscalation) string {
	if len(es) == 0 {
		return ""
	}
	names := make([]string, 0, len(es))
	for _, e := range es {
		n := ""
		if p.div != nil {
			n = p.div.Name(e.RegionCode)
		}
		if n == "" {
			n = p.LevelName(e.Level)
		}
		names = append(names, n)
	}
	sep := "、"
	if p.Lang == "en" {
		sep = ", "
	}
	return p.Tf("step_escalated_to", "Offices", strings.Join(names, sep))
}

// Day formats a date kept as text (2006-01-02) the page's way.
func (p *page) Day(s string) string {
	t, err := time.ParseInLocation("2006-01-02", s, kernel.ChinaTime)
	if err != nil {
		return s
	}
	return p.Date(t)
}

// escalationsOf lists the steps escalated to p's offices for the verifier's
// queue page; none for one who is not a verifier of a civil affairs office.
func (s *Server) escalationsOf(c echo.Context, p *kernel.Principal) ([]marketplace.EscalatedStep, error) {
	list, err := s.Needs.Escalations(c.Request().Context(), p, 100)
	if err != nil && !errors.Is(err, kernel.ErrForbidden) {
		return nil, err
	}
	return list, nil
}
