package web

import (
	"net/http"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/matching"
)

// handlePlanCreate plans the spending of one or more funds' balances over
// the open needs and stores the plan for review (201).
func (s *Server) handlePlanCreate(c echo.Context) error {
	if s.Matching == nil {
		return kernel.ErrNotFound
	}
	var in matching.PlanInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	p, err := s.Matching.CreatePlan(c.Request().Context(), PrincipalOf(c), c.Param("id"), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, struct {
		*matching.StoredPlan
		LeftOut []leftOutEntry `json:"left_out"`
	}{p, s.leftOutJSON(c, p.LeftOut)})
}

// handlePlanGet returns a stored plan with its lines and totals.
func (s *Server) handlePlanGet(c echo.Context) error {
	if s.Matching == nil {
		return kernel.ErrNotFound
	}
	p, err := s.Matching.Plan(c.Request().Context(), PrincipalOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

// handlePlanExecute applies a plan once, line by line, and returns it with
// each line's allocation or refusal reasons.
func (s *Server) handlePlanExecute(c echo.Context) error {
	if s.Matching == nil {
		return kernel.ErrNotFound
	}
	p, err := s.Matching.ExecutePlan(c.Request().Context(), PrincipalOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}
