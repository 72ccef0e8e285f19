package web

import "github.com/labstack/echo/v4"

// registerScreeningRoutes adds the screening routes under /api/v1.
func (s *Server) registerScreeningRoutes(g *echo.Group) {}
