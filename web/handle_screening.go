package web

import (
	"net/http"
	"time"

	"github.com/jiujinan/jiujinan/matching/screening"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo/v4"
)

// screeningJSON is a stored screening: its checks and evidence hold public
// ids, programmes, categories, periods and amounts, never identities.
type screeningJSON struct {
	ID         string                  `json:"id"`
	NeedID     string                  `json:"need_id"`
	Stage      kernel.ScreeningStage   `json:"stage"`
	Result     kernel.ScreeningOutcome `json:"result"`
	Checks     []kernel.ScreeningCheck `json:"checks"`
	AmountFen  int64                   `json:"amount_fen"`
	At         time.Time               `json:"at"`
	Overridden bool                    `json:"overridden"`
	Decision   string                  `json:"decision"`
	DecidedBy  string                  `json:"decided_by,omitempty"`
	DecidedAt  *time.Time              `json:"decided_at,omitempty"`
}

func toScreeningJSON(r *screening.Record) screeningJSON {
	checks := r.Checks
	if checks == nil {
		checks = []kernel.ScreeningCheck{}
	}
	return screeningJSON{ID: r.ID, NeedID: r.NeedID, Stage: r.Stage, Result: r.Result, Checks: checks, AmountFen: r.AmountFen,
		At: r.At, Overridden: r.Overridden, Decision: string(r.Decision), DecidedBy: r.DecidedBy, DecidedAt: r.DecidedAt}
}

// handleNeedScreening returns a need's latest screening, with its history
// (the latest first, then the others newest first, refused requests
// included) when ?all=1 (verifier, federation staff, social workers of the
// posting organization).
func (s *Server) handleNeedScreening(c echo.Context) error {
	all, err := queryBool(c, "all")
	if err != nil {
		return err
	}
	recs, err := s.Screening.Screenings(c.Request().Context(), PrincipalOf(c), c.Param("id"), all)
	if err != nil {
		return err
	}
	out := struct {
		screeningJSON
		History []screeningJSON `json:"history,omitempty"`
	}{screeningJSON: toScreeningJSON(&recs[0])}
	if all {
		out.History = make([]screeningJSON, len(recs))
		for i := range recs {
			out.History[i] = toScreeningJSON(&recs[i])
		}
	}
	return c.JSON(http.StatusOK, out)
}

// handleNeedScreeningRun screens a need again now (verifier).
func (s *Server) handleNeedScreeningRun(c echo.Context) error {
	rec, err := s.Screening.Rerun(c.Request().Context(), PrincipalOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toScreeningJSON(rec))
}
