package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/jiujinan/jiujinan/matching/screening"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo/v4"
)

// Verifier pages over the screening service: the review queue of screenings
// that warn or block, with their evidence and the decision, and referrals
// to statutory programmes (转介).

type reviewPage struct {
	Items  []reviewCard
	Error  string
	Rule   string
	Region string
	Rules  []string
	Pager  pager
	Titles needTitles
}

// reviewCard is a case of the queue with its checks' messages rendered
// from their rule and evidence (screening.Explain).
type reviewCard struct {
	screening.QueueItem
	Explanations []screening.Explanation
}

// reviewPerPage is how many cases the review page shows at once.
const reviewPerPage = 20

// reviewRules are the rules the review page filters by.
var reviewRules = []string{kernel.RuleStatutoryOverlap, kernel.RuleCrossCharityDuplicate, kernel.RuleOverAllocation, kernel.RuleMissedRelief}

// handleReviewQueuePage lists the open screening cases, one per need,
// blocks first, 20 a page, filtered by ?rule= and ?region=.
func (s *Server) handleReviewQueuePage(c echo.Context) error {
	return s.renderReviewQueue(c, http.StatusOK, "")
}

func (s *Server) renderReviewQueue(c echo.Context, status int, msg string) error {
	q := c.Request().URL.Query()
	pageNo, err := strconv.Atoi(q.Get("page"))
	if q.Get("page") == "" {
		pageNo, err = 1, nil
	}
	if err != nil || pageNo < 1 || pageNo > 100_000 {
		return echo.NewHTTPError(http.StatusBadRequest, "bad page")
	}
	f := screening.QueueFilter{Rule: q.Get("rule"), Region: q.Get("region"), Limit: reviewPerPage, Offset: (pageNo - 1) * reviewPerPage}
	pg, err := s.Screening.ReviewQueuePage(c.Request().Context(), PrincipalOf(c), f)
	var ve *kernel.ValidationError
	if errors.As(err, &ve) {
		// A filter that is no rule or region: the whole queue, said so.
		status, msg, f.Rule, f.Region = http.StatusBadRequest, s.pageT(c, "form_has_errors"), "", ""
		q.Del("rule")
		q.Del("region")
		pg, err = s.Screening.ReviewQueuePage(c.Request().Context(), PrincipalOf(c), f)
	}
	if err != nil {
		return err
	}
	cards := make([]reviewCard, len(pg.Items))
	for i, it := range pg.Items {
		cards[i] = reviewCard{QueueItem: it, Explanations: screening.Explain(it.Screening.Screening, it.Need)}
	}
	ids := make([]string, len(cards))
	for i, cd := range cards {
		ids[i] = cd.Screening.NeedID
	}
	titles, err := s.needTitles(c.Request().Context(), ids)
	if err != nil {
		return err
	}
	return s.render(c, status, "verify_review", reviewPage{Items: cards, Error: msg, Rule: f.Rule, Region: f.Region, Rules: reviewRules,
		Pager: newPager("/verify/review", q, pageNo, reviewPerPage, pg.Total), Titles: titles})
}

// CheckMessage renders a check's message in the page's language from its
// explanation: amounts in yuan, programmes by their names.
func (p *page) CheckMessage(x screening.Explanation) string {
	kv := []any{"Count", x.Count}
	for k, v := range x.Fen {
		kv = append(kv, k, p.Yuan(v))
	}
	names := make([]string, len(x.Programmes))
	for i, g := range x.Programmes {
		names[i] = p.Prog(g)
	}
	kv = append(kv, "Programmes", strings.Join(names, p.T("list_separator")))
	// Payments to other members of the household, by role only.
	paid := make([]string, len(x.Household))
	for i, m := range x.Household {
		paid[i] = p.Tf("household_payment", "Member", p.Member(m.Member), "Programme", p.Prog(m.Programme), "Amount", p.Yuan(m.Fen))
	}
	kv = append(kv, "Household", strings.Join(paid, p.T("list_separator")))
	return p.Tf(x.Key, kv...)
}

// Member names a household role (户主, 配偶, …): evidence names a member of
// the household by it, never by who they are.
func (p *page) Member(r kernel.HouseholdRole) string {
	if !r.Valid() {
		r = kernel.RoleMember
	}
	return p.T("household_role_" + string(r))
}

// handleReviewDecisionForm records a verifier's decision on a screening.
func (s *Server) handleReviewDecisionForm(c echo.Context) error {
	_, err := s.Screening.Decide(c.Request().Context(), PrincipalOf(c), c.Param("id"), screening.Decision(c.FormValue("decision")), c.FormValue("reason"))
	var ve *kernel.ValidationError
	switch {
	case err == nil:
		s.setFlash(c, "flash_review_decided")
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
	Titles    needTitles
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
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.NeedID
	}
	titles, err := s.needTitles(c.Request().Context(), ids)
	if err != nil {
		return err
	}
	return s.render(c, status, "verify_referrals", referralsPage{Status: st, Referrals: rs, Error: msg, Titles: titles,
		Statuses: []screening.ReferralStatus{screening.ReferralOpen, screening.ReferralAccepted, screening.ReferralClosed}})
}

// handleReferralUpdateForm moves a referral on and adds a note.
func (s *Server) handleReferralUpdateForm(c echo.Context) error {
	_, err := s.Screening.UpdateReferral(c.Request().Context(), PrincipalOf(c), c.Param("id"), screening.ReferralStatus(c.FormValue("status")), c.FormValue("note"))
	var ve *kernel.ValidationError
	switch {
	case err == nil:
		s.setFlash(c, "flash_referral_updated")
		return c.Redirect(http.StatusSeeOther, "/verify/referrals")
	case errors.As(err, &ve):
		return s.renderReferrals(c, http.StatusBadRequest, s.pageT(c, "form_has_errors")+" "+s.fieldsText(c, ve))
	case errors.Is(err, kernel.ErrConflict):
		return s.renderReferrals(c, http.StatusConflict, s.pageT(c, "action_conflict"))
	}
	return err
}
