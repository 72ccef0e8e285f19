package web

import (
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/funds/paychan"
	"github.com/jiujinan/jiujinan/kernel"
)

// Pages of the payment channels (issue 18): on the donor's pledge page the
// charity's WeChat Pay and Alipay beside the bank transfer — a QR code
// (Native) on a computer, the provider's phone payment on a phone — and
// the pledge's refunds, with staff's refund form; on /staff/org each
// channel's credentials; /staff/payments lists the refunds still owed and
// the notifications kept for reconciliation.

// payView is the online payment part of a pending pledge's page.
type payView struct {
	// Methods are the ways this device may pay (the channels the charity
	// configured): Native and Alipay's page on a computer, H5 and Alipay's
	// phone payment on a phone.
	Methods []paychan.Method
	// Phone: the page is laid out for a phone (its User-Agent, or the
	// donor's switch); Switch is the device to switch to (pc or phone).
	Phone  bool
	Switch string
	// QR is the WeChat Pay Native code as a PNG data address, while it is
	// valid (QRExpires); Poll has the page ask whether the pledge is paid.
	QR        template.URL
	QRExpires time.Time
	// Go is the provider's address a donor continues to (H5, Alipay).
	Go       string
	GoMethod paychan.Method
	Error    string
}

// refundForm is staff's refund form on a confirmed pledge.
type refundForm struct {
	Amount, Reason, BankReference string
	Key                           string
	Errors                        map[string]string
	Error                         string
}

// refundsView is the refunds part of a pledge's page.
type refundsView struct {
	Refunds []funds.Refund
	// Staff: the reader is staff of the receiving organization.
	Staff bool
	// LeftFen is what is left of the pledge to refund.
	LeftFen int64
	// Channel is the way a refund goes back.
	Channel funds.RefundChannel
	Form    refundForm
	// Error is a problem of an action on one refund.
	Error string
}

// pledgeExtras are what a form sent from the pledge page brings back.
type pledgeExtras struct {
	status  int
	pay     *paychan.Payment
	payErr  string
	refund  *refundForm
	listErr string
}

// isPhone reports whether a User-Agent is a phone's (or a tablet's)
// browser, where a QR code cannot be scanned with the same device.
func isPhone(ua string) bool {
	for _, s := range []string{"iPhone", "iPad", "Android", "Mobile", "HarmonyOS", "MicroMessenger"} {
		if strings.Contains(ua, s) {
			return true
		}
	}
	return false
}

// phoneLayout is the device the page is for: the donor's switch (device
// phone or pc) over the User-Agent.
func phoneLayout(c echo.Context) bool {
	switch c.FormValue("device") {
	case "phone":
		return true
	case "pc":
		return false
	}
	return isPhone(c.Request().UserAgent())
}

// qrPNG renders content as a QR code PNG data address (the page's CSP
// allows data: images; nothing leaves the server).
func qrPNG(content string) (template.URL, error) {
	png, err := qrcode.Encode(content, qrcode.Medium, 256)
	if err != nil {
		return "", err
	}
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)), nil
}

// renderMyPledge shows a pledge with how to pay it (the collection
// account, the channels, a QR code) and its refunds.
func (s *Server) renderMyPledge(c echo.Context, p *funds.Pledge, x pledgeExtras) error {
	ctx := c.Request().Context()
	d := myPledgePage{Pledge: p}
	// The page is the donor's own: it names the receiving charity and its
	// account, which they need to pay.
	if org, err := s.Accounts.Store.OrgByPublicID(ctx, p.OrgPublicID); err == nil {
		d.Account = org.Collection
	} else if !errors.Is(err, kernel.ErrNotFound) {
		return err
	}
	by := PrincipalOf(c)
	if s.PayChannels != nil && p.Status == funds.PledgePending && p.DonorID == by.User.ID {
		pv := &payView{Phone: phoneLayout(c), Error: x.payErr}
		pv.Switch = map[bool]string{true: "pc", false: "phone"}[pv.Phone]
		chs, err := s.PayChannels.Offered(ctx, p.OrgID)
		if err != nil {
			return err
		}
		for _, ch := range chs {
			for _, m := range paychan.Methods {
				if m.Channel() == ch && m.Phone() == pv.Phone {
					pv.Methods = append(pv.Methods, m)
				}
			}
		}
		if x.pay != nil && x.pay.PayURL != "" {
			pv.Go, pv.GoMethod = x.pay.PayURL, x.pay.Method
		}
		if len(chs) > 0 {
			o, err := s.PayChannels.ShownOrder(ctx, p)
			if err != nil {
				return err
			}
			if o != nil && !pv.Phone {
				if pv.QR, err = qrPNG(o.PayURL); err != nil {
					return err
				}
				pv.QRExpires = o.ExpiresAt
			}
		}
		d.Pay = pv
	}
	if s.PayChannels != nil && (p.Status == funds.PledgeConfirmed || p.Status == funds.PledgeRefunded) {
		rs, err := s.Funds.Refunds(ctx, by, p.PublicID)
		if err != nil {
			return err
		}
		rv := &refundsView{Refunds: rs, Staff: by.InOrg(kernel.RoleFederationStaff, p.OrgID) && p.MatchedPledgeID == 0,
			Channel: funds.RefundChannelOf(p), Error: x.listErr}
		rv.LeftFen = p.AmountFen
		for _, r := range rs {
			rv.LeftFen -= r.AmountFen
		}
		if p.Status != funds.PledgeConfirmed {
			rv.LeftFen = 0
		}
		if x.refund != nil {
			rv.Form = *x.refund
		}
		rv.Form.Key = newFormKey()
		d.Refunds = rv
	}
	status := x.status
	if status == 0 {
		status = http.StatusOK
	}
	if c.Request().Header.Get("HX-Request") == "true" && c.QueryParam("poll") == "1" {
		// The QR code's page asks every few seconds: once the pledge is no
		// longer waiting, the whole page comes back with what happened.
		if p.Status != funds.PledgePending {
			c.Response().Header().Set("HX-Refresh", "true")
		}
		return s.renderBlock(c, status, "my_pledge", "paystatus", d)
	}
	return s.render(c, status, "my_pledge", d)
}

// handlePayForm makes the provider's order for the donor's pledge: a QR
// code to scan comes back on the pledge page; for the other ways the page
// gives the provider's address to continue to (a form may not redirect
// off the site: CSP form-action).
func (s *Server) handlePayForm(c echo.Context) error {
	if s.PayChannels == nil {
		return kernel.ErrNotFound
	}
	ctx := c.Request().Context()
	p, err := s.Funds.Pledge(ctx, PrincipalOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	m := paychan.Method(c.FormValue("method"))
	pay, err := s.PayChannels.StartPayment(ctx, PrincipalOf(c), p.PublicID, m, s.orderSubject(c, p), c.RealIP())
	switch {
	case err == nil && pay.CodeURL != "":
		return c.Redirect(http.StatusSeeOther, "/my/pledges/"+p.PublicID+"?device=pc#pay")
	case err == nil:
		return s.renderMyPledge(c, p, pledgeExtras{pay: pay})
	case errors.Is(err, paychan.ErrProvider):
		return s.renderMyPledge(c, p, pledgeExtras{status: http.StatusBadGateway, payErr: s.userMessage(c, err, "")})
	case errors.Is(err, kernel.ErrConflict), errors.As(err, new(*kernel.ValidationError)):
		status, _ := toAPIError(err)
		return s.renderMyPledge(c, p, pledgeExtras{status: status, payErr: s.userMessage(c, err, "")})
	}
	return err
}

// handleRefundForm refunds a confirmed pledge (staff of the receiving
// organization), whole or in part, with a reason, once per form.
func (s *Server) handleRefundForm(c echo.Context) error {
	if s.PayChannels == nil {
		return kernel.ErrNotFound
	}
	ctx := c.Request().Context()
	by := PrincipalOf(c)
	p, err := s.Funds.Pledge(ctx, by, c.Param("id"))
	if err != nil {
		return err
	}
	f := &refundForm{Amount: strings.TrimSpace(c.FormValue("amount")), Reason: strings.TrimSpace(c.FormValue("reason")),
		BankReference: strings.TrimSpace(c.FormValue("bank_reference")), Errors: map[string]string{}}
	var fen int64
	if f.Amount != "" {
		if fen, err = ParseYuan(f.Amount); err != nil || fen <= 0 {
			f.Errors["amount"] = s.pageT(c, "refund_err_amount")
		}
	}
	if f.Reason == "" {
		f.Errors["reason"] = s.reasonText(pageLang(c), kernel.Reason{Format: "is required"})
	}
	if len(f.Errors) == 0 {
		_, err = s.onceByForm(c, "refund\n"+p.PublicID+"\n"+itoa(fen)+"\n"+f.Reason+"\n"+f.BankReference, func(idem *funds.Idem) (string, error) {
			r, err := s.PayChannels.Refund(ctx, by, p.PublicID, funds.NewRefund{AmountFen: fen, Reason: f.Reason, BankReference: f.BankReference}, idem)
			if err != nil {
				return "", err
			}
			return r.PublicID, nil
		})
		var ve *kernel.ValidationError
		switch {
		case err == nil:
			s.setFlash(c, "flash_refund_recorded")
			return c.Redirect(http.StatusSeeOther, "/my/pledges/"+p.PublicID+"#refunds")
		case errors.As(err, &ve):
			s.fieldErrors(c, ve, map[string]string{"amount_fen": "amount"}, f.Errors)
		case errors.Is(err, kernel.ErrConflict), errors.Is(err, kernel.ErrForbidden):
			status, _ := toAPIError(err)
			f.Error = s.userMessage(c, err, "")
			if p, err = s.Funds.Pledge(ctx, by, p.PublicID); err != nil {
				return err
			}
			return s.renderMyPledge(c, p, pledgeExtras{status: status, refund: f})
		default:
			return err
		}
	}
	f.Error = s.pageT(c, "form_has_errors")
	return s.renderMyPledge(c, p, pledgeExtras{status: http.StatusBadRequest, refund: f})
}

// refundAction runs an action of staff on one refund and goes back to its
// pledge's page, or shows the refusal there.
func (s *Server) refundAction(c echo.Context, act func(r *funds.Refund) error) error {
	ctx := c.Request().Context()
	by := PrincipalOf(c)
	r, err := s.Funds.StaffRefund(ctx, by, c.Param("id"))
	if err != nil {
		return err
	}
	err = act(r)
	if err == nil {
		s.setFlash(c, "flash_refund_updated")
		if c.FormValue("from") == "payments" {
			return c.Redirect(http.StatusSeeOther, "/staff/payments")
		}
		return c.Redirect(http.StatusSeeOther, "/my/pledges/"+r.PledgePublicID+"#refunds")
	}
	var ve *kernel.ValidationError
	if !errors.As(err, &ve) && !errors.Is(err, kernel.ErrConflict) {
		return err
	}
	status, _ := toAPIError(err)
	msg := s.userMessage(c, err, "")
	if ve != nil {
		msg = s.pageT(c, "form_has_errors") + " " + s.fieldsText(c, ve)
	}
	p, err := s.Funds.Pledge(ctx, by, r.PledgePublicID)
	if err != nil {
		return err
	}
	return s.renderMyPledge(c, p, pledgeExtras{status: status, listErr: msg})
}

// handleRefundPaidForm records the transfer staff made by hand.
func (s *Server) handleRefundPaidForm(c echo.Context) error {
	return s.refundAction(c, func(r *funds.Refund) error {
		_, err := s.Funds.MarkRefundPaid(c.Request().Context(), PrincipalOf(c), r.PublicID, c.FormValue("bank_reference"))
		return err
	})
}

// handleRefundRetryForm sends a failed channel refund again.
func (s *Server) handleRefundRetryForm(c echo.Context) error {
	if s.PayChannels == nil {
		return kernel.ErrNotFound
	}
	return s.refundAction(c, func(r *funds.Refund) error {
		r, err := s.Funds.RetryRefund(c.Request().Context(), PrincipalOf(c), r.PublicID)
		if err != nil {
			return err
		}
		_, _ = s.PayChannels.SendRefund(c.Request().Context(), r)
		return nil
	})
}

// staffPaymentsPage lists the refunds still owed and the notifications
// kept for reconciliation of the staff's organizations.
type staffPaymentsPage struct {
	Refunds    []funds.Refund
	Exceptions []paychan.Exception
	All        bool
	Error      string
	// Failed is the exception whose resolve form failed.
	Failed string
}

func (s *Server) renderStaffPayments(c echo.Context, status int, d staffPaymentsPage) error {
	ctx := c.Request().Context()
	var err error
	if d.Refunds, err = s.Funds.OpenRefunds(ctx, PrincipalOf(c), 500); err != nil {
		return err
	}
	if d.Exceptions, err = s.PayChannels.Exceptions(ctx, PrincipalOf(c), !d.All, 500); err != nil {
		return err
	}
	return s.render(c, status, "staff_payments", d)
}

// handleStaffPaymentsPage shows the refunds owed and the exceptions.
func (s *Server) handleStaffPaymentsPage(c echo.Context) error {
	if s.PayChannels == nil {
		return kernel.ErrNotFound
	}
	return s.renderStaffPayments(c, http.StatusOK, staffPaymentsPage{All: c.QueryParam("all") == "1"})
}

// handleExceptionResolveForm closes an exception with staff's note.
func (s *Server) handleExceptionResolveForm(c echo.Context) error {
	if s.PayChannels == nil {
		return kernel.ErrNotFound
	}
	_, err := s.PayChannels.ResolveException(c.Request().Context(), PrincipalOf(c), c.Param("id"), c.FormValue("note"))
	var ve *kernel.ValidationError
	switch {
	case err == nil:
		s.setFlash(c, "flash_exception_resolved")
		return c.Redirect(http.StatusSeeOther, "/staff/payments")
	case errors.As(err, &ve):
		return s.renderStaffPayments(c, http.StatusBadRequest, staffPaymentsPage{Failed: c.Param("id"),
			Error: s.pageT(c, "form_has_errors") + " " + s.fieldsText(c, ve)})
	case errors.Is(err, kernel.ErrConflict):
		status, _ := toAPIError(err)
		return s.renderStaffPayments(c, status, staffPaymentsPage{Failed: c.Param("id"), Error: s.userMessage(c, err, "")})
	}
	return err
}

// handlePledgeLookup finds a pledge of the staff's organizations by the
// reference a donor quotes (a refund asked for by phone) and opens it.
func (s *Server) handlePledgeLookup(c echo.Context) error {
	ref := strings.ToUpper(strings.TrimSpace(c.FormValue("ref")))
	p, err := s.Funds.Store.PledgeByReference(c.Request().Context(), ref)
	if err == nil && funds.MaySeePledge(PrincipalOf(c), p) && PrincipalOf(c).InOrg(kernel.RoleFederationStaff, p.OrgID) {
		return c.Redirect(http.StatusSeeOther, "/my/pledges/"+p.PublicID)
	}
	if err != nil && !errors.Is(err, kernel.ErrNotFound) {
		return err
	}
	ps, err := s.Funds.PendingPledges(c.Request().Context(), PrincipalOf(c), 500)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusNotFound, "staff_pledges", pledgeQueuePage{Pledges: ps, NotFound: ref})
}

// payChannelsView is the channels part of /staff/org.
type payChannelsView struct {
	Org string
	// On: the operator set the public address (JIUJINAN_PAY_PUBLIC_URL).
	On      bool
	WeChat  paychan.ChannelView
	Alipay  paychan.ChannelView
	WxForm  channelForm
	AliForm channelForm
	// NotifyWeChat and NotifyAlipay are the addresses to enter at the
	// providers.
	NotifyWeChat, NotifyAlipay string
}

// channelForm is the values and errors of one channel's form (never a key).
type channelForm struct {
	Values map[string]string
	Errors map[string]string
	Error  string
}

// payChannelsOf builds the channels part of /staff/org for org.
func (s *Server) payChannelsOf(c echo.Context, org *kernel.Org) (*payChannelsView, error) {
	if s.PayChannels == nil || org == nil {
		return nil, nil
	}
	vs, err := s.PayChannels.ChannelViews(c.Request().Context(), PrincipalOf(c), org.PublicID)
	if errors.Is(err, kernel.ErrConflict) {
		return nil, nil // not an organization that takes donations
	}
	if err != nil {
		return nil, err
	}
	v := &payChannelsView{Org: org.PublicID, On: s.PayChannels.Config.PublicURL != "",
		NotifyWeChat: s.PayChannels.NotifyURL(paychan.WeChatPay, org.PublicID), NotifyAlipay: s.PayChannels.NotifyURL(paychan.Alipay, org.PublicID)}
	for _, cv := range vs {
		if cv.Channel == paychan.WeChatPay {
			v.WeChat = cv
		} else {
			v.Alipay = cv
		}
	}
	v.WxForm = channelForm{Values: map[string]string{"mchid": v.WeChat.MerchantID, "appid": v.WeChat.AppID, "serial_no": v.WeChat.Details.SerialNo,
		"public_key_id": v.WeChat.Details.PublicKeyID}, Errors: map[string]string{}}
	v.AliForm = channelForm{Values: map[string]string{"app_id": v.Alipay.AppID, "seller_id": v.Alipay.MerchantID}, Errors: map[string]string{}}
	return v, nil
}

// renderStaffOrg shows /staff/org for org with the channels part.
func (s *Server) renderStaffOrg(c echo.Context, status int, org *kernel.Org, pay *payChannelsView) error {
	d := orgAccountPage{Org: org, Account: org.Collection, Registration: org.Registration, Pay: pay}
	if PrincipalOf(c).Has(kernel.RoleAdmin) {
		var err error
		if d.Orgs, err = s.Accounts.Store.ListOrgs(c.Request().Context()); err != nil {
			return err
		}
	}
	return s.render(c, status, "staff_org", d)
}

// handleChannelForm saves a channel's credentials from /staff/org, or
// shows the form again with each problem beside its field (keys are never
// sent back: they are entered again).
func (s *Server) handleChannelForm(ch paychan.Channel) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.PayChannels == nil {
			return kernel.ErrNotFound
		}
		org, err := s.staffOrg(c)
		if err != nil {
			return err
		}
		if org == nil {
			return kernel.ErrNotFound
		}
		ctx, by := c.Request().Context(), PrincipalOf(c)
		fv := func(k string) string { return c.FormValue(k) }
		var shown map[string]string
		if ch == paychan.WeChatPay {
			_, err = s.PayChannels.SetWeChat(ctx, by, org.PublicID, paychan.WeChatInput{MchID: fv("mchid"), AppID: fv("appid"), SerialNo: fv("serial_no"),
				APIv3Key: fv("api_v3_key"), PrivateKey: fv("private_key"), PlatformCertificate: fv("platform_certificate"),
				PublicKey: fv("public_key"), PublicKeyID: fv("public_key_id")})
			shown = map[string]string{"mchid": fv("mchid"), "appid": fv("appid"), "serial_no": fv("serial_no"), "public_key_id": fv("public_key_id")}
		} else {
			_, err = s.PayChannels.SetAlipay(ctx, by, org.PublicID, paychan.AlipayInput{AppID: fv("app_id"), SellerID: fv("seller_id"),
				PrivateKey: fv("app_private_key"), AlipayPublicKey: fv("alipay_public_key")})
			shown = map[string]string{"app_id": fv("app_id"), "seller_id": fv("seller_id")}
		}
		var ve *kernel.ValidationError
		if errors.As(err, &ve) {
			pay, perr := s.payChannelsOf(c, org)
			if perr != nil {
				return perr
			}
			f := channelForm{Values: shown, Errors: map[string]string{}, Error: s.pageT(c, "form_has_errors")}
			s.fieldErrors(c, ve, nil, f.Errors)
			if ch == paychan.WeChatPay {
				pay.WxForm = f
			} else {
				pay.AliForm = f
			}
			return s.renderStaffOrg(c, http.StatusBadRequest, org, pay)
		}
		if err != nil {
			return err
		}
		s.setFlash(c, "flash_channel_saved")
		return c.Redirect(http.StatusSeeOther, "/staff/org?org="+url.QueryEscape(org.PublicID)+"#pay-"+string(ch))
	}
}

// handleChannelRemoveForm removes a channel's credentials from /staff/org.
func (s *Server) handleChannelRemoveForm(c echo.Context) error {
	if s.PayChannels == nil {
		return kernel.ErrNotFound
	}
	org, err := s.staffOrg(c)
	if err != nil {
		return err
	}
	if org == nil {
		return kernel.ErrNotFound
	}
	ch := paychan.Channel(c.FormValue("channel"))
	if err := s.PayChannels.RemoveChannel(c.Request().Context(), PrincipalOf(c), org.PublicID, ch); err != nil {
		return err
	}
	s.setFlash(c, "flash_channel_removed")
	return c.Redirect(http.StatusSeeOther, "/staff/org?org="+url.QueryEscape(org.PublicID))
}

// registerPaychanPages adds the pages of the payment channels.
func (s *Server) registerPaychanPages() {
	e := s.Echo
	donor := []echo.MiddlewareFunc{requireAuth, requireRole(kernel.RoleDonor)}
	fed := []echo.MiddlewareFunc{requireAuth, requireRole(kernel.RoleFederationStaff)}
	orgStaff := []echo.MiddlewareFunc{requireAuth, requireRole(kernel.RoleFederationStaff, kernel.RoleAdmin)}
	e.POST("/my/pledges/:id/pay", s.handlePayForm, donor...)
	e.POST("/staff/pledges/:id/refunds", s.handleRefundForm, fed...)
	e.POST("/staff/refunds/:id/paid", s.handleRefundPaidForm, fed...)
	e.POST("/staff/refunds/:id/retry", s.handleRefundRetryForm, fed...)
	e.GET("/staff/payments", s.handleStaffPaymentsPage, fed...)
	e.POST("/staff/payments/:id/resolve", s.handleExceptionResolveForm, fed...)
	e.GET("/staff/pledge-lookup", s.handlePledgeLookup, fed...)
	e.POST("/staff/org/wechat-pay", s.handleChannelForm(paychan.WeChatPay), orgStaff...)
	e.POST("/staff/org/alipay", s.handleChannelForm(paychan.Alipay), orgStaff...)
	e.POST("/staff/org/payment-channels/remove", s.handleChannelRemoveForm, orgStaff...)
}
