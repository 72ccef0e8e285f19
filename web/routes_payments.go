package web

import "github.com/labstack/echo/v4"

// registerPaymentRoutes adds the payments routes under /api/v1.
func (s *Server) registerPaymentRoutes(g *echo.Group) {}
