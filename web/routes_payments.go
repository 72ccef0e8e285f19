package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/marketplace"
)

// registerPaymentRoutes adds the payments routes under /api/v1: imports of
// the statutory payment record, for verifiers.
func (s *Server) registerPaymentRoutes(g *echo.Group) {
	s.only(g, http.MethodPost, "/statutory-payments/imports", s.handlePaymentImportCreate, marketplace.RoleVerifier)
	s.only(g, http.MethodGet, "/statutory-payments/imports", s.handlePaymentImportList, marketplace.RoleVerifier)
	s.only(g, http.MethodGet, "/statutory-payments/imports/:id", s.handlePaymentImportGet, marketplace.RoleVerifier)
}
