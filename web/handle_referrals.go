package web

import (
	"net/http"
	"time"

	"github.com/jiujinan/jiujinan/matching/screening"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo/v4"
)

type referralNoteJSON struct {
	At   time.Time `json:"at"`
	By   string    `json:"by"`
	Text string    `json:"text"`
}

type referralJSON struct {
	ID        string                   `json:"id"`
	NeedID    string                   `json:"need_id"`
	Programme kernel.Programme         `json:"programme"`
	Reason    string                   `json:"reason"`
	Status    screening.ReferralStatus `json:"status"`
	TakenBy   string                   `json:"taken_by"`
	Notes     []referralNoteJSON       `json:"notes"`
	CreatedAt time.Time                `json:"created_at"`
	UpdatedAt time.Time                `json:"updated_at"`
	ClosedAt  *time.Time               `json:"closed_at"`
}

func toReferralJSON(r *screening.ReferralView) referralJSON {
	out := referralJSON{ID: r.ID, NeedID: r.NeedID, Programme: r.Programme, Reason: r.Reason, Status: r.Status, TakenBy: r.TakenBy,
		Notes: []referralNoteJSON{}, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, ClosedAt: r.ClosedAt}
	for _, n := range r.Notes {
		out.Notes = append(out.Notes, referralNoteJSON(n))
	}
	return out
}

// handleReferralList lists referrals to statutory programmes, filtered by
// ?status=open|accepted|closed (verifier).
func (s *Server) handleReferralList(c echo.Context) error {
	limit, err := queryLimit(c)
	if err != nil {
		return err
	}
	rs, err := s.Screening.Referrals(c.Request().Context(), PrincipalOf(c), screening.ReferralStatus(c.QueryParam("status")), limit)
	if err != nil {
		return err
	}
	out := make([]referralJSON, len(rs))
	for i := range rs {
		out[i] = toReferralJSON(&rs[i])
	}
	return c.JSON(http.StatusOK, map[string]any{"items": out})
}

type referralUpdateRequest struct {
	Status string `json:"status"`
	Note   string `json:"note"`
}

// handleReferralUpdate moves a referral on and adds a note (verifier;
// audited).
func (s *Server) handleReferralUpdate(c echo.Context) error {
	var req referralUpdateRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	r, err := s.Screening.UpdateReferral(c.Request().Context(), PrincipalOf(c), c.Param("id"), screening.ReferralStatus(req.Status), req.Note)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toReferralJSON(r))
}
