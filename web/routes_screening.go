package web

import (
	"net/http"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo/v4"
)

// registerScreeningRoutes adds the screening routes under /api/v1: a need's
// screenings, the verifiers' review queue and the referrals (转介).
func (s *Server) registerScreeningRoutes(g *echo.Group) {
	s.only(g, http.MethodGet, "/needs/:id/screening", s.handleNeedScreening,
		kernel.RoleVerifier, kernel.RoleFederationStaff, kernel.RoleSocialWorker)
	s.only(g, http.MethodPost, "/needs/:id/screening/run", s.handleNeedScreeningRun, kernel.RoleVerifier)
	s.only(g, http.MethodGet, "/review-queue", s.handleReviewQueue, kernel.RoleVerifier)
	s.only(g, http.MethodPost, "/review-queue/:id/decisions", s.handleReviewDecision, kernel.RoleVerifier)
	s.only(g, http.MethodGet, "/referrals", s.handleReferralList, kernel.RoleVerifier)
	s.only(g, http.MethodPost, "/referrals/:id", s.handleReferralUpdate, kernel.RoleVerifier)
	s.only(g, http.MethodGet, "/charity-aid", s.handleCharityAid, kernel.RoleVerifier)
}
