package web

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/marketplace"
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
	id, err := s.onceByForm(c, tt+"\n"+tid+"\n"+itoa(fen), func(idem *funds.Idem) (string, error) {
		p, err := s.Funds.CreatePledge(c.Request().Context(), PrincipalOf(c), funds.NewPledge{TargetType: funds.TargetType(tt), TargetID: tid, AmountFen: fen}, idem)
		if err != nil {
			return "", err
		}
		return p.PublicID, nil
	})
	var ie *funds.IneligibleError
	var ve *marketplace.ValidationError
	switch {
	case err == nil:
		return c.Redirect(http.StatusSeeOther, "/my/pledges/"+id)
	case errors.As(err, &ie):
		return s.pledgeFormError(c, tt, tid, amount, s.pageT(c, "pledge_ineligible")+" "+ie.Error())
	case errors.As(err, &ve), errors.As(err, new(funds.IdempotencyMismatchError)):
		return s.pledgeFormError(c, tt, tid, amount, s.pageT(c, "pledge_bad_amount"))
	case errors.Is(err, funds.ErrIdempotencyInFlight):
		return s.pledgeFormError(c, tt, tid, amount, s.pageT(c, "pledge_in_flight"))
	}
	return err
}

// pledgeFormError shows the need's page again with the form's problem.
func (s *Server) pledgeFormError(c echo.Context, tt, tid, amount, msg string) error {
	form := &pledgeForm{TargetType: tt, TargetID: tid, Key: newFormKey(), Amount: amount, Error: msg}
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
	return s.render(c, http.StatusOK, "my_pledge", p)
}

// handleMyGivingPage shows the donor's pledges, each traced to the needs its
// money reached, with year totals and receipts.
func (s *Server) handleMyGivingPage(c echo.Context) error {
	g, err := s.Funds.MyGiving(c.Request().Context(), PrincipalOf(c))
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "my_giving", g)
}

// handleMyReceiptPage shows a donation receipt to its donor (or the issuing
// organization's staff).
func (s *Server) handleMyReceiptPage(c echo.Context) error {
	r, err := s.Funds.Receipt(c.Request().Context(), PrincipalOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "my_receipt", r)
}
