package web

import (
	"net/http"
	"strconv"

	"github.com/jiujinan/jiujinan/matching/screening"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo/v4"
)

type queueItemJSON struct {
	Screening screeningJSON           `json:"screening"`
	Need      screening.NeedSummary   `json:"need"`
	Related   []screening.NeedSummary `json:"related"`
}

// queryLimit reads ?limit= (1..500, default 100).
func queryLimit(c echo.Context) (int, error) {
	v := c.QueryParam("limit")
	if v == "" {
		return 100, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 500 {
		return 0, kernel.Invalid("limit", "must be an integer from 1 to 500")
	}
	return n, nil
}

// queryOffset reads ?offset= (0 or more, default 0).
func queryOffset(c echo.Context) (int, error) {
	v := c.QueryParam("offset")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, kernel.Invalid("offset", "must be an integer of 0 or more")
	}
	return n, nil
}

// handleReviewQueue lists the screenings waiting for a verifier, one case
// per need: blocks first, then warnings, oldest first, each with the need
// and the needs its evidence names side by side; ?rule= and ?region=
// filter, ?limit= and ?offset= page, total counts the filtered cases
// (verifier).
func (s *Server) handleReviewQueue(c echo.Context) error {
	limit, err := queryLimit(c)
	if err != nil {
		return err
	}
	offset, err := queryOffset(c)
	if err != nil {
		return err
	}
	pg, err := s.Screening.ReviewQueuePage(c.Request().Context(), PrincipalOf(c), screening.QueueFilter{
		Rule: c.QueryParam("rule"), Region: c.QueryParam("region"), Limit: limit, Offset: offset})
	if err != nil {
		return err
	}
	out := make([]queueItemJSON, len(pg.Items))
	for i := range pg.Items {
		out[i] = queueItemJSON{Screening: toScreeningJSON(&pg.Items[i].Screening), Need: pg.Items[i].Need, Related: pg.Items[i].Related}
	}
	var next *int
	if n := pg.Offset + len(pg.Items); n < pg.Total && len(pg.Items) > 0 {
		next = &n
	}
	return c.JSON(http.StatusOK, map[string]any{"items": out, "total": pg.Total, "limit": pg.Limit, "offset": pg.Offset, "next_offset": next})
}

type decisionRequest struct {
	Decision string `json:"decision"`
	Reason   string `json:"reason"`
}

// handleReviewDecision records a verifier's decision on a screening:
// acknowledge a warning, override a block with a written reason, or uphold
// it (verifier; audited).
func (s *Server) handleReviewDecision(c echo.Context) error {
	var req decisionRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	rec, err := s.Screening.Decide(c.Request().Context(), PrincipalOf(c), c.Param("id"), screening.Decision(req.Decision), req.Reason)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toScreeningJSON(rec))
}
