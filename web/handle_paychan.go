package web

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/funds/paychan"
	"github.com/jiujinan/jiujinan/kernel"
)

// payChannels returns the channels service, or ErrNotFound when the
// server has none (the routes exist but serve nothing).
func (s *Server) payChannels() (*paychan.Service, error) {
	if s.PayChannels == nil {
		return nil, kernel.ErrNotFound
	}
	return s.PayChannels, nil
}

// providerFailed answers a request the payment provider did not take:
// 502 with the catalogue's words (the cause is in the log).
func (s *Server) providerFailed(c echo.Context, err error) error {
	s.log.Warn("payment provider", slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)), slog.String("error", err.Error()))
	return c.JSON(http.StatusBadGateway, errorBody{Error: apiError{Code: "provider_error", Message: s.userMessage(c, err, "")}})
}

type payChannelsJSON struct {
	Channels []paychan.ChannelView `json:"channels"`
}

// handlePayChannelsGet shows what is configured of each channel: ids,
// never a key.
func (s *Server) handlePayChannelsGet(c echo.Context) error {
	pc, err := s.payChannels()
	if err != nil {
		return err
	}
	vs, err := pc.ChannelViews(c.Request().Context(), PrincipalOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, payChannelsJSON{Channels: vs})
}

// handleWeChatPayPut saves the organization's WeChat Pay credentials.
func (s *Server) handleWeChatPayPut(c echo.Context) error {
	pc, err := s.payChannels()
	if err != nil {
		return err
	}
	var in paychan.WeChatInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	v, err := pc.SetWeChat(c.Request().Context(), PrincipalOf(c), c.Param("id"), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// handleAlipayPut saves the organization's Alipay credentials.
func (s *Server) handleAlipayPut(c echo.Context) error {
	pc, err := s.payChannels()
	if err != nil {
		return err
	}
	var in paychan.AlipayInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	v, err := pc.SetAlipay(c.Request().Context(), PrincipalOf(c), c.Param("id"), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// handlePayChannelDelete removes a channel's credentials.
func (s *Server) handlePayChannelDelete(c echo.Context) error {
	pc, err := s.payChannels()
	if err != nil {
		return err
	}
	ch := map[string]paychan.Channel{"wechat-pay": paychan.WeChatPay, "alipay": paychan.Alipay}[c.Param("channel")]
	if ch == "" {
		return kernel.ErrNotFound
	}
	if err := pc.RemoveChannel(c.Request().Context(), PrincipalOf(c), c.Param("id"), ch); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

type paymentRequest struct {
	Method string `json:"method" required:"true"`
}

type paymentJSON struct {
	Method    string    `json:"method"`
	CodeURL   string    `json:"code_url,omitempty"`
	PayURL    string    `json:"pay_url,omitempty"`
	ExpiresAt time.Time `json:"expires_at"`
}

// handlePledgePaymentCreate makes the provider's order for the donor's
// pending pledge and says how to pay it.
func (s *Server) handlePledgePaymentCreate(c echo.Context) error {
	pc, err := s.payChannels()
	if err != nil {
		return err
	}
	var req paymentRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	p, err := s.Funds.Pledge(c.Request().Context(), PrincipalOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	pay, err := pc.StartPayment(c.Request().Context(), PrincipalOf(c), p.PublicID, paychan.Method(req.Method), s.orderSubject(c, p), c.RealIP())
	if errors.Is(err, paychan.ErrProvider) {
		return s.providerFailed(c, err)
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, paymentJSON{Method: string(pay.Method), CodeURL: pay.CodeURL, PayURL: pay.PayURL, ExpiresAt: pay.ExpiresAt})
}

// orderSubject is what the donor sees of the order at the provider.
func (s *Server) orderSubject(c echo.Context, p *funds.Pledge) string {
	return s.pageTf(c, "pay_order_subject", map[string]any{"Org": p.OrgName, "Ref": p.Reference})
}

// wechatAnswer is WeChat Pay's failure answer to a notification.
type wechatAnswer struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// handleWeChatNotify takes a WeChat Pay notification: 204 once the ledger
// recorded it (or kept it for reconciliation), else a 4xx/5xx with
// {"code":"FAIL","message":…}, and WeChat Pay sends it again.
func (s *Server) handleWeChatNotify(c echo.Context) error {
	fail := func(status int, msg string) error {
		return c.JSON(status, wechatAnswer{Code: "FAIL", Message: msg})
	}
	if s.PayChannels == nil {
		return fail(http.StatusNotFound, "payment channels are not served here")
	}
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return fail(http.StatusBadRequest, "unreadable body")
	}
	err = s.PayChannels.HandleWeChat(c.Request().Context(), c.Param("org"), c.Request().Header, body)
	if err == nil {
		return c.NoContent(http.StatusNoContent)
	}
	return fail(s.notifyStatus(c, err))
}

// notifyStatus logs a refused notification and says its answer.
func (s *Server) notifyStatus(c echo.Context, err error) (int, string) {
	var ne *paychan.NotifyError
	if errors.As(err, &ne) {
		s.log.Info("payment notification refused", slog.String("route", c.Path()), slog.Int("status", ne.Status), slog.String("error", err.Error()))
		msg := map[int]string{http.StatusUnauthorized: "signature verification failed", http.StatusNotFound: "no such merchant",
			http.StatusInternalServerError: "cannot decrypt the resource; send again"}[ne.Status]
		if msg == "" {
			msg = "notification not taken"
		}
		return ne.Status, msg
	}
	s.log.Error("payment notification failed", slog.String("route", c.Path()), slog.String("error", err.Error()))
	return http.StatusInternalServerError, "internal error; send again"
}

// handleAlipayNotify takes an Alipay asynchronous notification: the plain
// text success once the ledger recorded it (or kept it for
// reconciliation), else fail, and Alipay sends it again.
func (s *Server) handleAlipayNotify(c echo.Context) error {
	if s.PayChannels == nil {
		return c.String(http.StatusNotFound, "fail")
	}
	if err := c.Request().ParseForm(); err != nil {
		return c.String(http.StatusBadRequest, "fail")
	}
	err := s.PayChannels.HandleAlipay(c.Request().Context(), c.Param("org"), c.Request().PostForm)
	if err == nil {
		return c.String(http.StatusOK, "success")
	}
	status, _ := s.notifyStatus(c, err)
	return c.String(status, "fail")
}

type refundRequest struct {
	AmountFen     int64  `json:"amount_fen"`
	Reason        string `json:"reason" required:"true"`
	BankReference string `json:"bank_reference"`
}

type refundJSON struct {
	ID               string     `json:"id"`
	PledgeID         string     `json:"pledge_id"`
	Channel          string     `json:"channel"`
	AmountFen        int64      `json:"amount_fen"`
	Reason           string     `json:"reason"`
	Status           string     `json:"status"`
	OutRefundNo      string     `json:"out_refund_no"`
	ProviderRefundID string     `json:"provider_refund_id,omitempty"`
	BankReference    string     `json:"bank_reference,omitempty"`
	Error            string     `json:"error,omitempty"`
	CreatedAt        time.Time  `json:"created_at"`
	SucceededAt      *time.Time `json:"succeeded_at"`
}

func toRefundJSON(r *funds.Refund) refundJSON {
	return refundJSON{ID: r.PublicID, PledgeID: r.PledgePublicID, Channel: string(r.Channel), AmountFen: r.AmountFen, Reason: r.Reason,
		Status: string(r.Status), OutRefundNo: r.OutRefundNo, ProviderRefundID: r.ProviderRefundID, BankReference: r.BankReference,
		Error: r.Error, CreatedAt: r.CreatedAt, SucceededAt: r.SucceededAt}
}

// handlePledgeRefundCreate refunds a confirmed pledge, whole or in part,
// through the channel its money came by, once per Idempotency-Key.
func (s *Server) handlePledgeRefundCreate(c echo.Context) error {
	pc, err := s.payChannels()
	if err != nil {
		return err
	}
	return s.idempotent(c, http.StatusCreated, func(v any) any { return toRefundJSON(v.(*funds.Refund)) },
		func(idem *funds.Idem) (any, error) {
			var req refundRequest
			if err := decodeJSON(c, &req); err != nil {
				return nil, err
			}
			if req.Reason == "" {
				return nil, kernel.Invalid("reason", "is required")
			}
			if req.AmountFen < 0 {
				return nil, kernel.Invalid("amount_fen", "must be a positive whole number of fen")
			}
			return pc.Refund(c.Request().Context(), PrincipalOf(c), c.Param("id"), funds.NewRefund{AmountFen: req.AmountFen,
				Reason: req.Reason, BankReference: req.BankReference}, idem)
		})
}

type refundsJSON struct {
	Refunds []refundJSON `json:"refunds"`
}

// handlePledgeRefundList lists a pledge's refunds to its donor and the
// receiving staff.
func (s *Server) handlePledgeRefundList(c echo.Context) error {
	rs, err := s.Funds.Refunds(c.Request().Context(), PrincipalOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	out := refundsJSON{Refunds: []refundJSON{}}
	for i := range rs {
		out.Refunds = append(out.Refunds, toRefundJSON(&rs[i]))
	}
	return c.JSON(http.StatusOK, out)
}

type refundPaidRequest struct {
	BankReference string `json:"bank_reference" required:"true"`
}

// handleRefundPaid records the transfer staff made by hand for a refund.
func (s *Server) handleRefundPaid(c echo.Context) error {
	var req refundPaidRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	r, err := s.Funds.MarkRefundPaid(c.Request().Context(), PrincipalOf(c), c.Param("id"), req.BankReference)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toRefundJSON(r))
}

// handleRefundRetry sends a failed channel refund again.
func (s *Server) handleRefundRetry(c echo.Context) error {
	pc, err := s.payChannels()
	if err != nil {
		return err
	}
	r, err := s.Funds.RetryRefund(c.Request().Context(), PrincipalOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	if sent, err := pc.SendRefund(c.Request().Context(), r); err == nil {
		r = sent
	}
	return c.JSON(http.StatusOK, toRefundJSON(r))
}

type exceptionJSON struct {
	ID            string     `json:"id"`
	Channel       string     `json:"channel"`
	Kind          string     `json:"kind"`
	Code          string     `json:"code"`
	TransactionID string     `json:"provider_transaction_id"`
	OutTradeNo    string     `json:"out_trade_no"`
	OutRefundNo   string     `json:"out_refund_no,omitempty"`
	AmountFen     int64      `json:"amount_fen"`
	Currency      string     `json:"currency"`
	PledgeID      string     `json:"pledge_id,omitempty"`
	Times         int        `json:"times"`
	FirstAt       time.Time  `json:"first_at"`
	LastAt        time.Time  `json:"last_at"`
	ResolvedAt    *time.Time `json:"resolved_at"`
	Note          string     `json:"note,omitempty"`
	Notification  string     `json:"notification,omitempty"`
}

func toExceptionJSON(e *paychan.Exception) exceptionJSON {
	return exceptionJSON{ID: e.PublicID, Channel: string(e.Channel), Kind: e.Kind, Code: e.Code, TransactionID: e.ProviderTxnID,
		OutTradeNo: e.OutTradeNo, OutRefundNo: e.OutRefundNo, AmountFen: e.AmountFen, Currency: e.Currency, PledgeID: e.PledgePublicID,
		Times: e.Times, FirstAt: e.FirstAt, LastAt: e.LastAt, ResolvedAt: e.ResolvedAt, Note: e.Note, Notification: e.Detail}
}

type exceptionsJSON struct {
	Exceptions []exceptionJSON `json:"exceptions"`
}

// handlePaymentExceptionList lists the notifications of the caller's
// organizations that the ledger did not take: open ones, or all.
func (s *Server) handlePaymentExceptionList(c echo.Context) error {
	pc, err := s.payChannels()
	if err != nil {
		return err
	}
	status := c.QueryParam("status")
	if status != "" && status != "open" && status != "all" {
		return kernel.Invalid("status", "must be open or all")
	}
	es, err := pc.Exceptions(c.Request().Context(), PrincipalOf(c), status != "all", 500)
	if err != nil {
		return err
	}
	out := exceptionsJSON{Exceptions: []exceptionJSON{}}
	for i := range es {
		out.Exceptions = append(out.Exceptions, toExceptionJSON(&es[i]))
	}
	return c.JSON(http.StatusOK, out)
}

type exceptionResolveRequest struct {
	Note string `json:"note" required:"true"`
}

// handlePaymentExceptionResolve closes an exception with staff's note.
func (s *Server) handlePaymentExceptionResolve(c echo.Context) error {
	pc, err := s.payChannels()
	if err != nil {
		return err
	}
	var req exceptionResolveRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	e, err := pc.ResolveException(c.Request().Context(), PrincipalOf(c), c.Param("id"), req.Note)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toExceptionJSON(e))
}
