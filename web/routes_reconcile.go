package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/kernel"
)

// registerReconcileRoutes adds reconciliation with the bills under
// /api/v1, for federation staff of the receiving organization.
func (s *Server) registerReconcileRoutes(g *echo.Group) {
	staff := kernel.RoleFederationStaff
	s.only(g, http.MethodPost, "/reconciliations", s.handleReconciliationCreate, staff)
	s.only(g, http.MethodGet, "/reconciliations", s.handleReconciliationList, staff)
	s.only(g, http.MethodGet, "/reconciliations/:id", s.handleReconciliationGet, staff)
}
