package web

import (
	"errors"
	"net/http"

	"github.com/jiujinan/jiujinan/matching/screening"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo/v4"
)

// Verifier pages over the screening service: the review queue of screenings
// that warn or block, with their evidence and the decision, and referrals
// to statutory programmes (转介).

type reviewPage struct {
	Items []screening.QueueItem
	Error string
}

// handleReviewQueuePage lists the open screening cases, blocks first.
func (s *Server) handleReviewQueuePage(c echo.Context) error {
	return s.renderReviewQueue(c, http.StatusOK, "")
}

func (s *Server) renderReviewQueue(c echo.Context, status int, msg string) error {
	items, err := s.Screening.ReviewQueue(c.Request().Context(), PrincipalOf(c), 100)
	if err != nil {
		return err
	}
	return s.render(c, status, "verify_review", reviewPage{Items: items, Error: msg})
}

// handleReviewDecisionForm records a verifier's decision on a screening.
func (s *Server) handleReviewDecisionForm(c echo.Context) error {
	_, err := s.Screening.Decide(c.Request().Context(), PrincipalOf(c), c.Param("id"), screening.Decision(c.FormValue("decision")), c.FormValue("reason"))
	var ve *kernel.ValidationError
	switch {
	case err == nil:
		return c.Redirect(http.StatusSeeOther, "/verify/review")
	case errors.As(err, &ve):
		return s.renderReviewQueue(c, http.StatusBadRequest, s.pageT(c, "review_reason_needed"))
	case errors.Is(err, kernel.ErrConflict):
		return s.renderReviewQueue(c, http.StatusConflict, s.pageT(c, "action_conflict"))
	}
	return err
}

type referralsPage struct {
	Status    string
	Statuses  []screening.ReferralStatus
	Referrals []screening.ReferralView
	Error     string
}

// handleReferralsPage lists referrals by status.
func (s *Server) handleReferralsPage(c echo.Context) error {
	return s.renderReferrals(c, http.StatusOK, "")
}

func (s *Server) renderReferrals(c echo.Context, status int, msg string) error {
	st := c.QueryParam("status")
	rs, err := s.Screening.Referrals(c.Request().Context(), PrincipalOf(c), screening.ReferralStatus(st), 200)
	var ve *kernel.ValidationError
	if errors.As(err, &ve) {
		return echo.NewHTTPError(http.StatusBadRequest, "bad status")
	}
	if err != nil {
		return err
	}
	return s.render(c, status, "verify_referrals", referralsPage{Status: st, Referrals: rs, Error: msg,
		Statuses: []screening.ReferralStatus{screening.ReferralOpen, screening.ReferralAccepted, screening.ReferralClosed}})
}

// handleReferralUpdateForm moves a referral on and adds a note.
func (s *Server) handleReferralUpdateForm(c echo.Context) error {
	_, err := s.Screening.UpdateReferral(c.Request().Context(), PrincipalOf(c), c.Param("id"), screening.ReferralStatus(c.FormValue("status")), c.FormValue("note"))
	var ve *kernel.ValidationError
	switch {
	case err == nil:
		return c.Redirect(http.StatusSeeOther, "/verify/referrals")
	case errors.As(err, &ve):
		return s.renderReferrals(c, http.StatusBadRequest, s.pageT(c, "form_has_errors"))
	case errors.Is(err, kernel.ErrConflict):
		return s.renderReferrals(c, http.StatusConflict, s.pageT(c, "action_conflict"))
	}
	return err
}
