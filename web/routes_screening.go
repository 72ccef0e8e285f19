package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/marketplace"
)

// registerScreeningRoutes adds the screening routes under /api/v1: a need's
// screenings, the verifiers' review queue and the referrals (转介).
func (s *Server) registerScreeningRoutes(g *echo.Group) {
	s.only(g, http.MethodGet, "/needs/:id/screening", s.handleNeedScreening,
		marketplace.RoleVerifier, marketplace.RoleFederationStaff, marketplace.RoleSocialWorker)
	s.only(g, http.MethodPost, "/needs/:id/screening/run", s.handleNeedScreeningRun, marketplace.RoleVerifier)
	s.only(g, http.MethodGet, "/review-queue", s.handleReviewQueue, marketplace.RoleVerifier)
	s.only(g, http.MethodPost, "/review-queue/:id/decisions", s.handleReviewDecision, marketplace.RoleVerifier)
	s.only(g, http.MethodGet, "/referrals", s.handleReferralList, marketplace.RoleVerifier)
	s.only(g, http.MethodPost, "/referrals/:id", s.handleReferralUpdate, marketplace.RoleVerifier)
}
