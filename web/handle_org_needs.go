package web

import (
	"net/http"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/marketplace"
)

// needSummaryJSON is a need in a private list: the staff view with its
// private title.
type needSummaryJSON struct {
	needJSON
	Title string `json:"title"`
	// Overdue and SecondsLeft describe the clearance time limit.
	Overdue     bool  `json:"overdue"`
	SecondsLeft int64 `json:"clearance_seconds_left"`
}

func (s *Server) toSummaries(items []marketplace.NeedSummary) []needSummaryJSON {
	now := s.Needs.Now()
	out := make([]needSummaryJSON, len(items))
	for i, it := range items {
		out[i] = needSummaryJSON{needJSON: s.toNeedJSON(it.Need), Title: it.Title}
		if due := it.Need.ClearanceDueAt; due != nil && it.Need.Status == kernel.NeedSubmitted {
			left := due.Sub(now)
			out[i].Overdue, out[i].SecondsLeft = left < 0, int64(left/time.Second)
		}
	}
	return out
}

// handleOrgNeeds lists the needs of the caller's organizations (private view).
func (s *Server) handleOrgNeeds(c echo.Context) error {
	limit, offset, err := needPaging(c)
	if err != nil {
		return err
	}
	items, total, err := s.Needs.OrgNeeds(c.Request().Context(), PrincipalOf(c), c.QueryParam("status"), limit, offset)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, map[string]any{"items": s.toSummaries(items), "total": total, "limit": limit, "offset": offset})
}
