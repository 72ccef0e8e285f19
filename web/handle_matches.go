package web

import (
	"net/http"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/matching"
)

// handleNeedMatches ranks a need's funds, projects and volunteers with the
// reasons of each rank.
func (s *Server) handleNeedMatches(c echo.Context) error {
	if s.Matching == nil {
		return kernel.ErrNotFound
	}
	limit, offset, err := needPaging(c)
	if err != nil {
		return err
	}
	m, err := s.Matching.NeedMatches(c.Request().Context(), PrincipalOf(c), c.Param("id"), offset, limit)
	if err != nil {
		return err
	}
	out := map[string]any{"sources": m.Sources, "sources_total": m.SourcesTotal, "volunteers": m.Volunteers,
		"volunteers_total": m.VolunteersTotal, "limit": limit, "offset": offset}
	if m.LeftOut != "" {
		out["left_out"] = s.leftOutJSON(c, []matching.LeftOut{{Reason: m.LeftOut, Count: 1}})[0]
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) sourceMatches(c echo.Context, kind string) error {
	if s.Matching == nil {
		return kernel.ErrNotFound
	}
	limit, offset, err := needPaging(c)
	if err != nil {
		return err
	}
	m, err := s.Matching.SourceMatches(c.Request().Context(), PrincipalOf(c), kind, c.Param("id"), offset, limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": m.Items, "total": m.Total, "limit": limit, "offset": offset,
		"left_out": s.leftOutJSON(c, m.LeftOut)})
}

// leftOutEntry is one reason needs were left out of matches or a plan, with
// its text from the catalogue in the request's language.
type leftOutEntry struct {
	Reason string `json:"reason"`
	Count  int    `json:"count"`
	Text   string `json:"text"`
}

func (s *Server) leftOutJSON(c echo.Context, lo []matching.LeftOut) []leftOutEntry {
	out := make([]leftOutEntry, len(lo))
	for i, l := range lo {
		out[i] = leftOutEntry{Reason: l.Reason, Count: l.Count, Text: s.pageT(c, "left_out_"+l.Reason)}
	}
	return out
}

// handleFundMatches lists the open needs a fund may serve, most urgent first.
func (s *Server) handleFundMatches(c echo.Context) error { return s.sourceMatches(c, "fund") }

// handleProjectMatches lists the open needs a project may serve.
func (s *Server) handleProjectMatches(c echo.Context) error { return s.sourceMatches(c, "project") }

// handleVolunteerMatches lists the needs the signed-in volunteer may serve.
func (s *Server) handleVolunteerMatches(c echo.Context) error {
	if s.Matching == nil {
		return kernel.ErrNotFound
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
