package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/marketplace"
)

// handleNeedMatches ranks a need's funds, projects and volunteers with the
// reasons of each rank.
func (s *Server) handleNeedMatches(c echo.Context) error {
	if s.Matching == nil {
		return marketplace.ErrNotFound
	}
	limit, offset, err := needPaging(c)
	if err != nil {
		return err
	}
	m, err := s.Matching.NeedMatches(c.Request().Context(), PrincipalOf(c), c.Param("id"), offset, limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"sources": m.Sources, "sources_total": m.SourcesTotal, "volunteers": m.Volunteers,
		"volunteers_total": m.VolunteersTotal, "limit": limit, "offset": offset})
}

func (s *Server) sourceMatches(c echo.Context, kind string) error {
	if s.Matching == nil {
		return marketplace.ErrNotFound
	}
	limit, offset, err := needPaging(c)
	if err != nil {
		return err
	}
	items, total, err := s.Matching.SourceMatches(c.Request().Context(), PrincipalOf(c), kind, c.Param("id"), offset, limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items, "total": total, "limit": limit, "offset": offset})
}

// handleFundMatches lists the open needs a fund may serve, most urgent first.
func (s *Server) handleFundMatches(c echo.Context) error { return s.sourceMatches(c, "fund") }

// handleProjectMatches lists the open needs a project may serve.
func (s *Server) handleProjectMatches(c echo.Context) error { return s.sourceMatches(c, "project") }

// handleVolunteerMatches lists the needs the signed-in volunteer may serve.
func (s *Server) handleVolunteerMatches(c echo.Context) error {
	if s.Matching == nil {
		return marketplace.ErrNotFound
	}
	limit, offset, err := needPaging(c)
	if err != nil {
		return err
	}
	items, total, err := s.Matching.VolunteerMatches(c.Request().Context(), PrincipalOf(c), offset, limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items, "total": total, "limit": limit, "offset": offset})
}
