package web

import "github.com/labstack/echo/v4"

// registerMatchingRoutes adds the matching routes under /api/v1.
func (s *Server) registerMatchingRoutes(g *echo.Group) {}
