package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
)

// Federation staff pages for paying a need's money out: the need's money by
// origin (donors' gifts, matching gifts, allocations), its payments and
// what is left, with the form to pay; and the list of the needs their
// organization receives donations for with money left to pay out.

// originSum is what a need holds of one origin of money.
type originSum struct {
	Kind      funds.LotKind
	AmountFen int64
	PaidFen   int64
}

// UnpaidFen is what of it is left to pay out.
func (o originSum) UnpaidFen() int64 { return o.AmountFen - o.PaidFen }

// originOrder is the order origins are shown in.
var originOrder = []funds.LotKind{funds.LotGift, funds.LotMatch, funds.LotAllocation}

// lotView is a lot with the fund or project it came from (none for a gift).
type lotView struct {
	funds.Lot
	Source funds.SourceRef
}

// paymentView is a disbursement as staff see it: the payee's name part
// (masked as stored) and what each origin paid of it.
type paymentView struct {
	funds.Disbursement
	Payee   string
	Origins []originSum
}

// disburseForm is the payment form as sent, with its field problems.
type disburseForm struct {
	Key                                                                    string
	Amount, PayeeType, ProviderKind, PayeeName, Reference, Account, Reason string
	Errors                                                                 map[string]string
}

// needMoneyPage is a need's money for the staff who pay it out.
type needMoneyPage struct {
	Money    *funds.NeedMoney
	Status   kernel.NeedStatus
	Public   *marketplace.PublicNeed // nil when the need has no public page
	Origins  []originSum
	Total    originSum
	Lots     []lotView
	Payments []paymentView
	Form     *disburseForm
	Error    string
}

// V is what the form held for field (formData).
func (p needMoneyPage) V(field string) string {
	f := p.Form
	return map[string]string{"amount": f.Amount, "payee_name": f.PayeeName, "reference": f.Reference, "account": f.Account, "reason": f.Reason}[field]
}

// Err is the problem of field (formData).
func (p needMoneyPage) Err(field string) string { return p.Form.Errors[field] }

// CanPay reports whether the form is shown: money is left and the need's
// status lets it leave.
func (p needMoneyPage) CanPay() bool {
	switch p.Status {
	case kernel.NeedOpen, kernel.NeedFunded, kernel.NeedDisbursed:
		return p.Money.UnpaidFen > 0
	}
	return false
}

// handleNeedMoneyPage shows federation staff of the receiving organization
// a need's money and the form to pay it out.
func (s *Server) handleNeedMoneyPage(c echo.Context) error {
	return s.renderNeedMoney(c, http.StatusOK, nil, "")
}

func (s *Server) renderNeedMoney(c echo.Context, status int, form *disburseForm, msg string) error {
	m, names, st, err := s.needMoneyOf(c, c.Param("id"))
	if err != nil {
		return s.refusalPage(c, err)
	}
	d := needMoneyPage{Money: m, Status: st, Form: form, Error: msg}
	if d.Form == nil {
		d.Form = &disburseForm{Key: newFormKey(), Amount: yuanPlain(m.UnpaidFen), PayeeType: string(funds.PayeeProvider), ProviderKind: string(funds.ProviderHospital)}
	}
	if s.pages.needs != nil {
		if pub, err := s.pages.needs.Need(c.Request().Context(), m.Need.PublicID); err == nil {
			d.Public = pub
		} else if !errors.Is(err, kernel.ErrNotFound) {
			return err
		}
	}
	byKind := map[funds.LotKind]*originSum{}
	for _, k := range originOrder {
		d.Origins = append(d.Origins, originSum{Kind: k})
	}
	for i := range d.Origins {
		byKind[d.Origins[i].Kind] = &d.Origins[i]
	}
	kindOf := map[int64]funds.LotKind{}
	for _, l := range m.Lots {
		kindOf[l.ID] = l.Kind
		if o := byKind[l.Kind]; o != nil {
			o.AmountFen += l.AmountFen
			o.PaidFen += l.PaidFen
		}
		d.Total.AmountFen += l.AmountFen
		d.Total.PaidFen += l.PaidFen
		d.Lots = append(d.Lots, lotView{Lot: l, Source: names[l.SourceID]})
	}
	for i := len(m.Disbursements) - 1; i >= 0; i-- { // newest first
		ds := m.Disbursements[i]
		pv := paymentView{Disbursement: ds, Payee: funds.PayeeShown(ds.PayeeMasked)}
		for _, k := range originOrder {
			o := originSum{Kind: k}
			for _, p := range ds.Parts {
				if p.Kind == k {
					o.AmountFen += p.AmountFen
				}
			}
			if o.AmountFen > 0 {
				pv.Origins = append(pv.Origins, o)
			}
		}
		d.Payments = append(d.Payments, pv)
	}
	return s.render(c, status, "staff_need_money", d)
}

// refusalPage answers a request about a need's money refused by the funds
// service: another federation's staff read why (whose staff pay it out),
// in their language; anything else goes to the error handler.
func (s *Server) refusalPage(c echo.Context, err error) error {
	if errors.Is(err, kernel.ErrForbidden) {
		s.log.Info("page refused", "route", c.Path(), "error", err.Error())
		return s.render(c, http.StatusForbidden, "error", map[string]string{"Message": s.userMessage(c, err, s.pageT(c, "error_forbidden"))})
	}
	return err
}

// handleNeedDisburseForm pays out money of a need from the form on its
// money page: to a provider against its invoice or receipt, or to the
// household with a reason. A refusal shows the page again with the reason
// and what was typed.
func (s *Server) handleNeedDisburseForm(c echo.Context) error {
	f := &disburseForm{Key: c.FormValue("idempotency_key"), Amount: strings.TrimSpace(c.FormValue("amount")), PayeeType: c.FormValue("payee_type"),
		ProviderKind: c.FormValue("provider_kind"), PayeeName: c.FormValue("payee_name"), Reference: c.FormValue("reference"),
		Account: c.FormValue("account"), Reason: c.FormValue("reason"), Errors: map[string]string{}}
	if f.Key == "" {
		f.Key = newFormKey()
	}
	if f.PayeeType == string(funds.PayeeHousehold) {
		f.ProviderKind = ""
	}
	fen, perr := ParseYuan(f.Amount)
	if perr != nil || fen <= 0 {
		f.Errors["amount"] = s.pageT(c, "disburse_err_amount_fen")
		return s.renderNeedMoney(c, http.StatusBadRequest, f, s.pageT(c, "form_has_errors"))
	}
	content := strings.Join([]string{itoa(fen), f.PayeeType, f.ProviderKind, f.PayeeName, f.Reference, f.Account, f.Reason}, "\n")
	_, err := s.onceByForm(c, content, func(idem *funds.Idem) (string, error) {
		d, err := s.Funds.DisburseNeed(c.Request().Context(), PrincipalOf(c), c.Param("id"), funds.NewDisbursement{AmountFen: fen,
			ProviderKind: funds.ProviderKind(f.ProviderKind), Payee: funds.Payee{Type: funds.PayeeType(f.PayeeType), Name: f.PayeeName,
				Reference: f.Reference, Account: f.Account, Reason: f.Reason}}, idem)
		if err != nil {
			return "", err
		}
		return d.PublicID, nil
	})
	var ve *kernel.ValidationError
	var ie *funds.IneligibleError
	switch {
	case err == nil:
		s.setFlash(c, "flash_disbursed")
		return c.Redirect(http.StatusSeeOther, "/staff/needs/"+c.Param("id")+"/money#payments")
	case errors.As(err, &ve):
		// The form's own words where the catalogue has them, the
		// service's reason otherwise.
		for field := range ve.Fields {
			name := map[string]string{"amount_fen": "amount"}[field]
			if name == "" {
				name = field
			}
			if msg, ok := s.pages.msg(pageLang(c), "disburse_err_"+field); ok {
				f.Errors[name] = msg
			}
		}
		s.fieldErrors(c, ve, map[string]string{"amount_fen": "amount"}, f.Errors)
		return s.renderNeedMoney(c, http.StatusBadRequest, f, s.pageT(c, "form_has_errors"))
	case errors.As(err, &ie):
		return s.renderNeedMoney(c, http.StatusConflict, f, s.pageT(c, "action_refused")+" "+s.ineligibleReason(c, ie))
	case refusedWithDetails(err), errors.Is(err, kernel.ErrConflict):
		// A screening block (422), a key reused for another payment (422),
		// the same payment still running (409): the API's status.
		status, _ := toAPIError(err)
		return s.renderNeedMoney(c, status, f, s.pageT(c, "action_refused")+" "+s.userMessage(c, err, ""))
	}
	return s.refusalPage(c, err)
}

// payoutRow is a need on the list of those with money to pay out.
type payoutRow struct {
	funds.NeedState
	Status    kernel.NeedStatus
	UnpaidFen int64
}

// payoutsPage lists the needs the staff's organization pays out.
type payoutsPage struct {
	Rows     []payoutRow
	TotalFen int64
}

// handlePayoutsPage lists the needs whose donations the staff's federation
// receives with money received and not yet paid out, oldest first.
func (s *Server) handlePayoutsPage(c echo.Context) error {
	ns, err := s.Funds.NeedsToPay(c.Request().Context(), PrincipalOf(c), funds.MaxNeedsToPay)
	if err != nil {
		return err
	}
	d := payoutsPage{}
	now := s.now()
	for _, n := range ns {
		r := payoutRow{NeedState: n, Status: marketplace.EffectiveStatus(n.Status, n.NoticeEndsAt, now), UnpaidFen: n.FundedFen - n.DisbursedFen}
		d.Rows = append(d.Rows, r)
		d.TotalFen += r.UnpaidFen
	}
	return s.render(c, http.StatusOK, "staff_payouts", d)
}

// PayeeKind names who a payment went to: the kind of provider, or the
// household.
func (p *page) PayeeKind(payeeType funds.PayeeType, kind funds.ProviderKind) string {
	if payeeType == funds.PayeeHousehold {
		return p.T("payee_kind_household")
	}
	if kind == "" {
		kind = funds.ProviderOther
	}
	return p.T("payee_kind_" + string(kind))
}

// ProviderKinds are the kinds of provider a payment may go to, in the order
// the form offers them.
func (p *page) ProviderKinds() []funds.ProviderKind {
	return []funds.ProviderKind{funds.ProviderHospital, funds.ProviderSchool, funds.ProviderLandlord, funds.ProviderShop, funds.ProviderOther}
}

// County names the county of a region code (郓城县).
func (p *page) County(code string) string {
	if len(code) > 6 {
		code = code[:6]
	}
	return p.ShortRegion(code)
}

// yuanPlain formats fen for an input field: "12345.50".
func yuanPlain(fen int64) string { return (&page{}).YuanPlain(fen) }
