package web

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/funds"
)

// Donor pages: the pledge form, a pledge with how to pay, "my giving" with
// each pledge traced to what it paid for, and receipts.

// newFormKey is an Idempotency-Key put into a money form when it is shown:
// a double click or a resubmission of the same form sends the same key, so
// the pledge is made once.
func newFormKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// pledgeForm is the pledge form on a need, project or fund page.
type pledgeForm struct {
	TargetType, TargetID string
	Key                  string
	Amount               string
	Error                string
	// Pending are the donor's pledges to the same target still waiting for
	// their money: shown above the form, so that going back to the page
	// does not lead to pledging twice unawares.
	Pending []funds.Pledge
	// Receipt is the form's choice for the pledge's receipt, sent back
	// with a problem (page_receipts.go).
	Receipt receiptAsValues
}

// onceByForm runs a money-moving page form once per its idempotency key
// (bound to the caller and the form's content): a replay answers with the
// id the first run returned. run returns the public id of what it made.
func (s *Server) onceByForm(c echo.Context, content string, run func(idem *funds.Idem) (string, error)) (string, error) {
	key := c.FormValue("idempotency_key")
	by := PrincipalOf(c)
	if key == "" {
		return run(nil)
	}
	h := sha256.Sum256([]byte(c.Request().URL.Path + "\n" + content))
	ctx := c.Request().Context()
	rec, replay, err := s.Funds.BeginIdempotent(ctx, by, key, hex.EncodeToString(h[:]))
	if err != nil {
		return "", err
	}
	if replay {
		var out struct{ ID string }
		if err := json.Unmarshal(rec.Body, &out); err != nil {
			return "", err
		}
		return out.ID, nil
	}
	idem := &funds.Idem{Key: key, Render: func(v any) (int, []byte, error) {
		var id string
		switch x := v.(type) {
		case *funds.Pledge:
			id = x.PublicID
		case *funds.Allocation:
			id = x.PublicID
		case *funds.Recurring:
			id = x.PublicID
		case *funds.Disbursement:
			id = x.PublicID
		}
		b, err := json.Marshal(struct{ ID string }{id})
		return http.StatusOK, b, err
	}}
	id, err := run(idem)
	if err != nil {
		s.Funds.AbortIdempotent(ctx, by, key)
	}
	return id, err
}

// handlePledgeForm makes a pledge from the form on a need, project or fund
// page and shows it, with how to pay.
func (s *Server) handlePledgeForm(c echo.Context) error {
	tt, tid, amount := c.FormValue("target_type"), c.FormValue("target_id"), c.FormValue("amount")
	back := map[string]string{"need": "/needs/", "project": "/projects/", "fund": "/funds/"}[tt]
	if back == "" {
		return echo.ErrBadRequest
	}
	fen, perr := ParseYuan(amount)
	if perr != nil || fen <= 0 {
		return s.pledgeFormError(c, tt, tid, amount, s.pageT(c, "pledge_bad_amount"))
	}
	if c.FormValue("monthly") != "" {
		return s.recurringForm(c, tt, tid, amount, fen)
	}
	id, err := s.onceByForm(c, tt+"\n"+tid+"\n"+itoa(fen)+receiptAsValuesOf(c).content(), func(idem *funds.Idem) (string, error) {
		p, err := s.Funds.CreatePledge(c.Request().Context(), PrincipalOf(c), funds.NewPledge{TargetType: funds.TargetType(tt), TargetID: tid, AmountFen: fen,
			ReceiptAs: receiptAsForm(c)}, idem)
		if err != nil {
			return "", err
		}
		return p.PublicID, nil
	})
	var ie *funds.IneligibleError
	var ve *kernel.ValidationError
	switch {
	case err == nil:
		s.setFlash(c, "flash_pledged")
		return c.Redirect(http.StatusSeeOther, "/my/pledges/"+id)
	case errors.As(err, &ie):
		return s.pledgeFormError(c, tt, tid, amount, s.pageT(c, "pledge_ineligible")+" "+s.ineligibleReason(c, ie))
	case errors.As(err, &ve) && receiptAsProblem(ve):
		return s.pledgeFormError(c, tt, tid, amount, s.fieldsText(c, ve))
	case errors.As(err, &ve), errors.As(err, new(funds.IdempotencyMismatchError)):
		return s.pledgeFormError(c, tt, tid, amount, s.pageT(c, "pledge_bad_amount"))
	case errors.Is(err, funds.ErrIdempotencyInFlight):
		return s.pledgeFormError(c, tt, tid, amount, s.pageT(c, "pledge_in_flight"))
	}
	return err
}

// recurringForm makes a monthly pledge from the pledge form's "every month"
// box and shows it on "my giving".
func (s *Server) recurringForm(c echo.Context, tt, tid, amount string, fen int64) error {
	day, derr := strconv.Atoi(strings.TrimSpace(c.FormValue("day")))
	if derr != nil || day < 1 || day > 28 {
		return s.pledgeFormError(c, tt, tid, amount, s.pageT(c, "monthly_bad_day"))
	}
	_, err := s.onceByForm(c, "monthly\n"+tt+"\n"+tid+"\n"+itoa(fen)+"\n"+strconv.Itoa(day), func(idem *funds.Idem) (string, error) {
		r, err := s.Funds.CreateRecurring(c.Request().Context(), PrincipalOf(c), funds.NewRecurring{TargetType: funds.TargetType(tt),
			TargetID: tid, AmountFen: fen, DayOfMonth: day}, idem)
		if err != nil {
			return "", err
		}
		return r.PublicID, nil
	})
	if err == nil {
		s.setFlash(c, "flash_monthly_saved")
		return c.Redirect(http.StatusSeeOther, "/my/giving#monthly")
	}
	if errors.Is(err, funds.ErrIdempotencyInFlight) {
		return s.pledgeFormError(c, tt, tid, amount, s.pageT(c, "pledge_in_flight"))
	}
	if msg, ok := s.formProblem(c, err); ok {
		return s.pledgeFormError(c, tt, tid, amount, msg)
	}
	return err
}

// pledgeFormError shows the need's page again with the form's problem.
func (s *Server) pledgeFormError(c echo.Context, tt, tid, amount, msg string) error {
	form := &pledgeForm{TargetType: tt, TargetID: tid, Key: newFormKey(), Amount: amount, Error: msg, Receipt: receiptAsValuesOf(c)}
	switch tt {
	case "need":
		c.SetParamNames("id")
		c.SetParamValues(tid)
		return s.renderNeedPageWith(c, http.StatusBadRequest, "", form)
	default:
		return s.renderSourcePage(c, http.StatusBadRequest, funds.SourceKind(tt), tid, form)
	}
}

// handleMyPledgePage shows one of the donor's pledges with how to pay it.
func (s *Server) handleMyPledgePage(c echo.Context) error {
	p, err := s.Funds.Pledge(c.Request().Context(), PrincipalOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	return s.renderMyPledge(c, p, pledgeExtras{})
}

// myPledgePage is a pledge with the receiving organization's collection
// account, its online payment and its refunds (page_paychan.go).
type myPledgePage struct {
	*funds.Pledge
	Account kernel.CollectionAccount
	// Pay is the online payment of a pending pledge to its donor (nil:
	// none); Refunds the refunds of a confirmed one.
	Pay     *payView
	Refunds *refundsView
}

// givingPage is "my giving" with the problem of a form sent from it.
type givingPage struct {
	*funds.Giving
	Error  string
	Titles needTitles
	// Sources names the funds and projects of the page by public id.
	Sources map[string]string
}

// handleMyGivingPage shows the donor's pledges, each traced to the needs its
// money reached, the open choices for money in needs that ended, the
// monthly pledges, year totals and receipts.
func (s *Server) handleMyGivingPage(c echo.Context) error {
	return s.renderGiving(c, http.StatusOK, "")
}

func (s *Server) renderGiving(c echo.Context, status int, msg string) error {
	g, err := s.Funds.MyGiving(c.Request().Context(), PrincipalOf(c))
	if err != nil {
		return err
	}
	var ids []string
	for _, l := range g.Lines {
		for _, t := range l.Traces {
			ids = append(ids, t.NeedID)
		}
	}
	for _, ch := range g.Choices {
		ids = append(ids, ch.NeedPublicID)
		if ch.Action == "need" {
			ids = append(ids, ch.TargetPublicID)
		}
	}
	for _, r := range g.Recurring {
		if r.TargetType == "need" {
			ids = append(ids, r.TargetPublicID)
		}
	}
	titles, err := s.needTitles(c.Request().Context(), ids)
	if err != nil {
		return err
	}
	var srcIDs []string
	for _, ch := range g.Choices {
		srcIDs = append(srcIDs, ch.DefaultTargetID)
		if ch.Action == "fund" || ch.Action == "project" {
			srcIDs = append(srcIDs, ch.TargetPublicID)
		}
	}
	for _, r := range g.Recurring {
		if r.TargetType != "need" {
			srcIDs = append(srcIDs, r.TargetPublicID)
		}
		srcIDs = append(srcIDs, r.FallbackPublicID)
	}
	sources, err := s.sourceNames(c.Request().Context(), srcIDs)
	if err != nil {
		return err
	}
	return s.render(c, status, "my_giving", givingPage{Giving: g, Error: msg, Titles: titles, Sources: sources})
}

// formProblem turns the errors a donor can fix into a message for the page.
func (s *Server) formProblem(c echo.Context, err error) (string, bool) {
	var ie *funds.IneligibleError
	var ve *kernel.ValidationError
	switch {
	case errors.As(err, &ie):
		return s.pageT(c, "pledge_ineligible") + " " + s.ineligibleReason(c, ie), true
	case errors.As(err, &ve):
		return s.fieldsText(c, ve), true
	case errors.Is(err, kernel.ErrConflict):
		return s.userMessage(c, err, ""), true
	}
	return "", false
}

// handleRedirectForm applies the donor's choice for the money of a pledge
// whose need ended (the form on "my giving").
func (s *Server) handleRedirectForm(c echo.Context) error {
	_, err := s.Funds.RedirectPledge(c.Request().Context(), PrincipalOf(c), c.Param("id"), funds.RedirectChoice{
		Action: funds.RedirectAction(c.FormValue("action")), TargetID: strings.TrimSpace(c.FormValue("target_id"))})
	if err == nil {
		s.setFlash(c, "flash_choice_saved")
		return c.Redirect(http.StatusSeeOther, "/my/giving#choices")
	}
	if msg, ok := s.formProblem(c, err); ok {
		return s.renderGiving(c, http.StatusBadRequest, msg)
	}
	return err
}

// handleRecurringForm pauses, resumes or stops (cancels) a monthly pledge.
func (s *Server) handleRecurringForm(c echo.Context) error {
	r, err := s.Funds.SetRecurringStatus(c.Request().Context(), PrincipalOf(c), c.Param("id"), funds.RecurringStatus(c.FormValue("status")))
	if err == nil {
		s.setFlash(c, "flash_recurring_"+string(r.Status))
		return c.Redirect(http.StatusSeeOther, "/my/giving#monthly-"+r.PublicID)
	}
	if msg, ok := s.formProblem(c, err); ok {
		return s.renderGiving(c, http.StatusBadRequest, msg)
	}
	return err
}

// handleMyReceiptPage shows a donation receipt to its donor (or the issuing
// organization's staff).
func (s *Server) handleMyReceiptPage(c echo.Context) error {
	r, err := s.Funds.Receipt(c.Request().Context(), PrincipalOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "my_receipt", receiptView{Receipt: r, Facts: s.receiptFacts(c, r)})
}
