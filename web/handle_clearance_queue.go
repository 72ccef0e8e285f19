package web

import (
	"net/http"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo/v4"
)

// handleClearanceQueue lists the submitted needs in the verifier's regions,
// the longest overdue first; ?overdue=true keeps only the overdue ones.
func (s *Server) handleClearanceQueue(c echo.Context) error {
	limit, offset, err := needPaging(c)
	if err != nil {
		return err
	}
	overdue := false
	switch c.QueryParam("overdue") {
	case "", "false":
	case "true":
		overdue = true
	default:
		return kernel.Invalid("overdue", "must be true or false")
	}
	items, total, err := s.Needs.ClearanceQueue(c.Request().Context(), PrincipalOf(c), overdue, limit, offset)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, map[string]any{"items": s.toSummaries(items), "total": total, "limit": limit, "offset": offset})
}
