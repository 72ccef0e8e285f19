package web

import (
	"net/http"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo/v4"
)

// registerPaymentRoutes adds the payments routes under /api/v1: imports of
// the statutory payment record, for verifiers.
func (s *Server) registerPaymentRoutes(g *echo.Group) {
	s.only(g, http.MethodPost, "/statutory-payments/imports", s.handlePaymentImportCreate, kernel.RoleVerifier)
	s.only(g, http.MethodGet, "/statutory-payments/imports", s.handlePaymentImportList, kernel.RoleVerifier)
	s.only(g, http.MethodGet, "/statutory-payments/imports/:id", s.handlePaymentImportGet, kernel.RoleVerifier)
	s.only(g, http.MethodPost, "/statutory-payments/imports/:id/resume", s.handlePaymentImportResume, kernel.RoleVerifier)
}
