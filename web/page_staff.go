package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/matching"
)

// Federation staff pages: their organization's funds and projects with a
// batch plan for each (plan, review, execute). Reconciliation with the
// bills is page_reconcile.go.

type staffPage struct {
	Sources []funds.Source
	Plans   []matching.StoredPlan
	Names   map[string]string // source public id → name
	Error   string
}

// handleStaffPage lists the staff's own funds and projects.
func (s *Server) handleStaffPage(c echo.Context) error {
	return s.renderStaffPage(c, http.StatusOK, "")
}

func (s *Server) renderStaffPage(c echo.Context, status int, msg string) error {
	ctx, p := c.Request().Context(), PrincipalOf(c)
	d := staffPage{Error: msg, Names: map[string]string{}}
	for _, k := range []funds.SourceKind{funds.KindFund, funds.KindProject} {
		ss, err := s.Funds.Sources(ctx, k, 500, 0)
		if err != nil {
			return err
		}
		for _, src := range ss {
			if p.InOrg(kernel.RoleFederationStaff, src.OrgID) {
				d.Sources = append(d.Sources, src)
				d.Names[src.PublicID] = src.Name
			}
		}
	}
	plans, err := s.Matching.Plans(ctx, p, 20)
	if err != nil {
		return err
	}
	d.Plans = plans
	return s.render(c, status, "staff", d)
}

// handlePlanCreateForm plans the spending of a fund's balance over the
// open needs, for review.
func (s *Server) handlePlanCreateForm(c echo.Context) error {
	fund := c.FormValue("fund")
	// How many needs the plan considers: a whole number from 1 to 1000;
	// "abc", 0 or -3 is a mistake to say, not "no limit".
	max, convErr := strconv.Atoi(strings.TrimSpace(c.FormValue("max_needs")))
	if convErr != nil || max < 1 || max > 1000 {
		return s.renderStaffPage(c, http.StatusBadRequest, s.pageT(c, "plan_max_needs_invalid"))
	}
	plan, err := s.Matching.CreatePlan(c.Request().Context(), PrincipalOf(c), fund, matching.PlanInput{FundIDs: []string{fund}, MaxNeeds: max})
	var ve *kernel.ValidationError
	switch {
	case err == nil:
		s.setFlash(c, "flash_plan_created")
		return c.Redirect(http.StatusSeeOther, "/staff/plans/"+plan.PublicID)
	case errors.As(err, &ve):
		return s.renderStaffPage(c, http.StatusBadRequest, s.pageT(c, "form_has_errors")+" "+s.fieldsText(c, ve))
	}
	return err
}

// handlePlanPage shows a plan's lines with their reasons, and its result
// once executed.
func (s *Server) handlePlanPage(c echo.Context) error {
	plan, err := s.Matching.Plan(c.Request().Context(), PrincipalOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	ids := make([]string, len(plan.Lines))
	for i, l := range plan.Lines {
		ids[i] = l.NeedID
	}
	titles, err := s.needTitles(c.Request().Context(), ids)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "staff_plan", planPage{StoredPlan: plan, Titles: titles})
}

// planPage is a stored plan with its needs' titles.
type planPage struct {
	*matching.StoredPlan
	Titles needTitles
}

// handlePlanExecuteForm executes a reviewed plan: each line is allocated
// with every check of a single allocation; refused lines are reported.
func (s *Server) handlePlanExecuteForm(c echo.Context) error {
	if _, err := s.Matching.ExecutePlan(c.Request().Context(), PrincipalOf(c), c.Param("id")); err != nil && !errors.Is(err, kernel.ErrConflict) {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/staff/plans/"+c.Param("id"))
}
