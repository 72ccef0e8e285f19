package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/funds"
)

type redirectRequest struct {
	Action    string `json:"action"`
	TargetID  string `json:"target_id"`
	AmountFen *int64 `json:"amount_fen"`
}

type redirectJSON struct {
	ID              string     `json:"id"`
	PledgeID        string     `json:"pledge_id"`
	NeedID          string     `json:"need_id"`
	Reason          string     `json:"reason"`
	AmountFen       int64      `json:"amount_fen"`
	Deadline        time.Time  `json:"deadline"`
	Status          string     `json:"status"`
	DefaultAction   string     `json:"default_action,omitempty"`
	DefaultTargetID string     `json:"default_target_id,omitempty"`
	Action          string     `json:"action,omitempty"`
	TargetID        string     `json:"target_id,omitempty"`
	DecidedBy       string     `json:"decided_by,omitempty"`
	AppliedAt       *time.Time `json:"applied_at"`
}

func toRedirectJSON(r *funds.Redirect) redirectJSON {
	return redirectJSON{ID: r.PublicID, PledgeID: r.PledgePublicID, NeedID: r.NeedPublicID, Reason: r.Reason, AmountFen: r.AmountFen,
		Deadline: r.Deadline, Status: string(r.Status), DefaultAction: string(r.DefaultAction), DefaultTargetID: r.DefaultTargetID,
		Action: string(r.Action), TargetID: r.TargetPublicID, DecidedBy: r.DecidedBy, AppliedAt: r.AppliedAt}
}

// handlePledgeRedirect applies the donor's answer to the open choice of
// their pledge whose need ended: another need, a fund or project of the
// same organization, or a refund.
func (s *Server) handlePledgeRedirect(c echo.Context) error {
	var req redirectRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	r, err := s.Funds.RedirectPledge(c.Request().Context(), PrincipalOf(c), c.Param("id"), funds.RedirectChoice{
		Action: funds.RedirectAction(req.Action), TargetID: req.TargetID, AmountFen: req.AmountFen})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toRedirectJSON(r))
}
