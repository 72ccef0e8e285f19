package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
)

// The social worker's queue of volunteers' claims (志愿者认领), which
// existed only in the API (issue 17): the claims on the needs of the
// worker's organizations, waiting ones first, each named by the need's
// title and the volunteer's name, with approve and reject (with a reason).
// Same rule as POST /api/v1/claims/:id/approve and /reject: social
// workers of the posting organization; anyone else gets 404 for a claim.

// claimFilters are the tabs of the queue, in order; "all" lists every
// status.
var claimFilters = []string{string(marketplace.ClaimPending), string(marketplace.ClaimApproved), string(marketplace.ClaimRejected),
	string(marketplace.ClaimReleased), "all"}

// claimView is one claim as the queue shows it.
type claimView struct {
	marketplace.Claim
	// Title is the need's public title (claims are made on public needs).
	Title string
	// State is the claim's status now: an approved claim whose window is
	// over is ended.
	State marketplace.ClaimStatus
}

// workerClaimsPage is the queue of claims.
type workerClaimsPage struct {
	Filter  string
	Filters []string
	Claims  []claimView
	Reasons []marketplace.ClaimRejectReason
	// Failed is the claim whose approval or rejection was refused, with
	// the reason chosen, the page's message and the fields' errors.
	Failed string
	Reason string
	Error  string
	Errors map[string]string
}

// Pending reports whether the claim still waits for a decision.
func (v claimView) Pending() bool { return v.State == marketplace.ClaimPending }

// handleWorkerClaimsPage lists the claims on the worker's organizations'
// needs: the waiting ones unless another tab is asked for.
func (s *Server) handleWorkerClaimsPage(c echo.Context) error {
	return s.renderWorkerClaims(c, http.StatusOK, workerClaimsPage{})
}

func (s *Server) renderWorkerClaims(c echo.Context, status int, d workerClaimsPage) error {
	d.Filter = c.QueryParam("status")
	if d.Failed != "" {
		d.Filter = string(marketplace.ClaimPending)
	}
	st := marketplace.ClaimStatus(d.Filter)
	switch {
	case d.Filter == "all":
		st = ""
	case st != marketplace.ClaimApproved && st != marketplace.ClaimRejected && st != marketplace.ClaimReleased:
		st, d.Filter = marketplace.ClaimPending, string(marketplace.ClaimPending)
	}
	ctx := c.Request().Context()
	cs, err := s.People.OrgClaims(ctx, PrincipalOf(c), st, 200)
	if err != nil {
		return err
	}
	ids := make([]string, len(cs))
	for i := range cs {
		ids[i] = cs[i].NeedPublicID
	}
	titles, err := s.needTitles(ctx, ids)
	if err != nil {
		return err
	}
	now := s.now()
	d.Filters, d.Reasons = claimFilters, marketplace.ClaimRejectReasons
	for i := range cs {
		d.Claims = append(d.Claims, claimView{Claim: cs[i], Title: titles[cs[i].NeedPublicID], State: cs[i].EffectiveStatus(now)})
	}
	return s.render(c, status, "worker_claims", d)
}

// handleWorkerClaimForm approves a claim (action=approve) or turns it
// down for a reason (action=reject), then comes back to the queue.
func (s *Server) handleWorkerClaimForm(c echo.Context) error {
	ctx, p, id := c.Request().Context(), PrincipalOf(c), c.Param("id")
	var err error
	flash := ""
	switch c.FormValue("action") {
	case "approve":
		_, err = s.People.DecideClaim(ctx, p, id, true)
		flash = "flash_claim_approved"
	case "reject":
		_, err = s.People.RejectClaim(ctx, p, id, c.FormValue("reason"))
		flash = "flash_claim_rejected"
	default:
		err = kernel.Invalid("action", "must be approve or reject")
	}
	if err == nil {
		s.setFlash(c, flash)
		return c.Redirect(http.StatusSeeOther, "/worker/claims")
	}
	d := workerClaimsPage{Failed: id, Reason: c.FormValue("reason"), Errors: map[string]string{}}
	var ve *kernel.ValidationError
	switch {
	case errors.Is(err, kernel.ErrNotFound), errors.Is(err, kernel.ErrForbidden) && !errors.As(err, new(*kernel.Refusal)):
		// Not the worker's claim, or not a worker: as the API answers.
		return err
	case errors.As(err, &ve):
		d.Error = s.pageT(c, "form_has_errors")
		s.fieldErrors(c, ve, nil, d.Errors)
		return s.renderWorkerClaims(c, http.StatusBadRequest, d)
	case errors.As(err, new(*kernel.Refusal)), errors.Is(err, kernel.ErrConflict):
		// The volunteer may no longer serve the need (a lapsed
		// background check), or the claim was decided meanwhile.
		status, _ := toAPIError(err)
		d.Error = s.pageT(c, "action_refused") + " " + s.userMessage(c, err, s.pageT(c, "action_conflict"))
		return s.renderWorkerClaims(c, status, d)
	}
	return err
}

// ClaimWindow says how long a claim runs: its days while it waits, its
// dates once approved.
func (p *page) ClaimWindow(c claimView) string {
	if c.StartsAt != nil && c.EndsAt != nil {
		return p.Tf("claims_window_dates", "From", p.Date(*c.StartsAt), "To", p.Date(*c.EndsAt))
	}
	return p.Tf("claims_window_days", "Days", c.WindowDays)
}
