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

// handleReviewQueue lists the screenings waiting for a verifier: blocks
// first, then warnings, each with the need and the needs its evidence
// names side by side (verifier).
func (s *Server) handleReviewQueue(c echo.Context) error {
	limit, err := queryLimit(c)
	if err != nil {
		return err
	}
	items, err := s.Screening.ReviewQueue(c.Request().Context(), PrincipalOf(c), limit)
	if err != nil {
		return err
	}
	out := make([]queueItemJSON, len(items))
	for i := range items {
		out[i] = queueItemJSON{Screening: toScreeningJSON(&items[i].Screening), Need: items[i].Need, Related: items[i].Related}
	}
	return c.JSON(http.StatusOK, map[string]any{"items": out})
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
