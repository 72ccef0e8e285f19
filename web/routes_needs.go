package web

import "github.com/labstack/echo/v4"

// registerNeedRoutes adds the needs routes under /api/v1.
func (s *Server) registerNeedRoutes(g *echo.Group) {}
