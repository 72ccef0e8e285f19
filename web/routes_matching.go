package web

import (
	"net/http"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo/v4"
)

// registerMatchingRoutes adds the matching routes under /api/v1: ranked
// matches with reasons, and allocation plans.
func (s *Server) registerMatchingRoutes(g *echo.Group) {
	const (
		sw  = kernel.RoleSocialWorker
		ver = kernel.RoleVerifier
		fed = kernel.RoleFederationStaff
		vol = kernel.RoleVolunteer
	)
	s.only(g, http.MethodGet, "/needs/:id/matches", s.handleNeedMatches, sw, ver, fed)
	s.only(g, http.MethodGet, "/funds/:id/matches", s.handleFundMatches, fed)
	s.only(g, http.MethodGet, "/projects/:id/matches", s.handleProjectMatches, fed)
	s.only(g, http.MethodGet, "/volunteers/me/matches", s.handleVolunteerMatches, vol)
	s.only(g, http.MethodPost, "/funds/:id/plans", s.handlePlanCreate, fed)
	s.only(g, http.MethodGet, "/plans/:id", s.handlePlanGet, fed)
	s.only(g, http.MethodPost, "/plans/:id/execute", s.handlePlanExecute, fed)
}
