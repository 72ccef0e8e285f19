package web

import "github.com/labstack/echo/v4"

// registerFundRoutes adds the funds routes under /api/v1.
func (s *Server) registerFundRoutes(g *echo.Group) {}
