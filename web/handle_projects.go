package web

import (
	"net/http"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/funds"
)

type projectRequest struct {
	OrgID        string              `json:"org_id"`
	Title        string              `json:"title"`
	Description  string              `json:"description"`
	Restrictions kernel.Restrictions `json:"restrictions"`
	BudgetFen    int64               `json:"budget_fen"`
	Period       periodJSON          `json:"period"`
}

// handleProjectCreate creates a charity project held by the caller's organization.
func (s *Server) handleProjectCreate(c echo.Context) error {
	var req projectRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	p, err := s.Funds.CreateSource(c.Request().Context(), PrincipalOf(c), funds.NewSource{Kind: funds.KindProject, OrgID: req.OrgID,
		Name: req.Title, Purpose: req.Description, Restrictions: req.Restrictions, BudgetFen: req.BudgetFen,
		PeriodFrom: req.Period.From, PeriodTo: req.Period.To})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toProjectJSON(p))
}

// handleProjectList lists projects with their balances.
func (s *Server) handleProjectList(c echo.Context) error {
	limit, err := queryInt(c, "limit")
	if err != nil {
		return err
	}
	offset, err := queryInt(c, "offset")
	if err != nil {
		return err
	}
	ps, err := s.Funds.Sources(c.Request().Context(), funds.KindProject, limit, offset)
	if err != nil {
		return err
	}
	out := make([]projectJSON, len(ps))
	for i := range ps {
		out[i] = toProjectJSON(&ps[i])
	}
	return c.JSON(http.StatusOK, map[string]any{"items": out})
}

// handleProjectGet returns a project.
func (s *Server) handleProjectGet(c echo.Context) error {
	p, err := s.Funds.Source(c.Request().Context(), funds.KindProject, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toProjectJSON(p))
}

// handleProjectLedger returns a project's public books.
func (s *Server) handleProjectLedger(c echo.Context) error {
	return s.sourceLedger(c, funds.KindProject)
}

// handleProjectAllocationCreate allocates project money to a need.
func (s *Server) handleProjectAllocationCreate(c echo.Context) error {
	return s.allocate(c, funds.KindProject)
}

// handleProjectReport records that a project's progress was disclosed.
func (s *Server) handleProjectReport(c echo.Context) error {
	p, err := s.Funds.RecordProjectReport(c.Request().Context(), PrincipalOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toProjectJSON(p))
}

// handleDisclosureCalendar lists the disclosures the caller's projects owe.
func (s *Server) handleDisclosureCalendar(c echo.Context) error {
	es, err := s.Funds.DisclosureCalendar(c.Request().Context(), PrincipalOf(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": es})
}
