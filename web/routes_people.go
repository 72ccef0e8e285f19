package web

import "github.com/labstack/echo/v4"

// registerPeopleRoutes adds the people routes under /api/v1.
func (s *Server) registerPeopleRoutes(g *echo.Group) {}
