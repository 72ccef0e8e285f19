package web

import (
	"net/http"
	"sort"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/funds"
)

type givingLineJSON struct {
	pledgeJSON
	// Traces say where the money went: allocations a fund's donations
	// paid for, the gift in its need and the matching gifts it drew, each
	// with the payments out of it (masked).
	Traces     []funds.Trace `json:"traces"`
	UnspentFen int64         `json:"unspent_fen"`
	MatchedFen int64         `json:"matched_fen"`
}

type yearTotalJSON struct {
	Year     int   `json:"year"`
	TotalFen int64 `json:"total_fen"`
}

// handleMyGiving returns the donor's pledges, each traced to the needs its
// money reached and the payments out of it, with yearly totals, choices
// and monthly pledges.
func (s *Server) handleMyGiving(c echo.Context) error {
	g, err := s.Funds.MyGiving(c.Request().Context(), PrincipalOf(c))
	if err != nil {
		return err
	}
	lines := make([]givingLineJSON, len(g.Lines))
	for i, l := range g.Lines {
		lines[i] = givingLineJSON{pledgeJSON: toPledgeJSON(&l.Pledge), Traces: l.Traces, UnspentFen: l.UnspentFen, MatchedFen: l.MatchedFen}
	}
	years := []yearTotalJSON{}
	for y, t := range g.YearTotals {
		years = append(years, yearTotalJSON{y, t})
	}
	sort.Slice(years, func(i, j int) bool { return years[i].Year > years[j].Year })
	rs := make([]receiptJSON, len(g.Receipts))
	for i := range g.Receipts {
		rs[i] = toReceiptJSON(&g.Receipts[i])
	}
	choices := make([]redirectJSON, len(g.Choices))
	for i := range g.Choices {
		choices[i] = toRedirectJSON(&g.Choices[i])
	}
	rec := make([]recurringJSON, len(g.Recurring))
	for i := range g.Recurring {
		rec[i] = toRecurringJSON(&g.Recurring[i])
	}
	return c.JSON(http.StatusOK, map[string]any{"pledges": lines, "years": years, "receipts": rs, "choices": choices, "recurring_pledges": rec})
}
