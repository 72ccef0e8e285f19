package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/marketplace"
)

// registerMatchingRoutes adds the matching routes under /api/v1: ranked
// matches with reasons, and allocation plans.
func (s *Server) registerMatchingRoutes(g *echo.Group) {
	const (
		sw  = marketplace.RoleSocialWorker
		ver = marketplace.RoleVerifier
		fed = marketplace.RoleFederationStaff
		vol = marketplace.RoleVolunteer
	)
	s.only(g, http.MethodGet, "/needs/:id/matches", s.handleNeedMatches, sw, ver, fed)
	s.only(g, http.MethodGet, "/funds/:id/matches", s.handleFundMatches, fed)
	s.only(g, http.MethodGet, "/projects/:id/matches", s.handleProjectMatches, fed)
	s.only(g, http.MethodGet, "/volunteers/me/matches", s.handleVolunteerMatches, vol)
	s.only(g, http.MethodPost, "/funds/:id/plans", s.handlePlanCreate, fed)
	s.only(g, http.MethodGet, "/plans/:id", s.handlePlanGet, fed)
	s.only(g, http.MethodPost, "/plans/:id/execute", s.handlePlanExecute, fed)
}
