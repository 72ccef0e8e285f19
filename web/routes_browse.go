package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// registerBrowseRoutes adds public browsing and search under /api/v1: the
// published needs (their public projections only), the division names for
// region pickers and the code lists with their labels.
func (s *Server) registerBrowseRoutes(g *echo.Group) {
	s.public(g, http.MethodGet, "/needs", s.handleNeedList)
	s.public(g, http.MethodGet, "/needs/:id", s.handleNeedGet)
	s.public(g, http.MethodGet, "/regions", s.handleRegionList)
	s.public(g, http.MethodGet, "/codes", s.handleCodeList)
}
