package paychan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/funds/paychan/alipay"
	"github.com/jiujinan/jiujinan/funds/paychan/wechatpay"
	"github.com/jiujinan/jiujinan/kernel"
)

// NotifyError says a notification was not taken and how to answer: with
// Status, so that the provider sends it again (it does for any answer but
// success) or, for one that is not the provider's, never trusts it.
type NotifyError struct {
	Status int
	Err    error
}

func (e *NotifyError) Error() string {
	return fmt.Sprintf("paychan: notification refused (%d): %v", e.Status, e.Err)
}

func (e *NotifyError) Unwrap() error { return e.Err }

func refuse(status int, err error) error { return &NotifyError{Status: status, Err: err} }

// notifyOrg resolves the organization a notification address names.
func (s *Service) notifyOrg(ctx context.Context, orgPublicID string) (int64, error) {
	id, _, _, err := s.Funds.Store.OrgByPublicID(ctx, orgPublicID)
	if errors.Is(err, kernel.ErrNotFound) {
		return 0, refuse(http.StatusNotFound, err)
	}
	return id, err
}

// payment is a provider's word that an order was paid.
type payment struct {
	ch         Channel
	orgID      int64
	txnID      string
	outTradeNo string
	amountFen  int64
	currency   string
	detail     []byte
}

// HandleWeChat takes a WeChat Pay notification to the organization
// orgPublicID: verified (the signature over timestamp, nonce and body with
// the key Wechatpay-Serial names, a timestamp within five minutes),
// decrypted with the APIv3 key, then a payment confirms its pledge
// (TRANSACTION.SUCCESS) and a refund's outcome is recorded (REFUND.*).
// nil means the ledger recorded it, or it is kept as an Exception, or it
// needs nothing: the answer is then success. A *NotifyError says how to
// refuse; any other error is the service's own trouble (500).
func (s *Service) HandleWeChat(ctx context.Context, orgPublicID string, h http.Header, body []byte) error {
	orgID, err := s.notifyOrg(ctx, orgPublicID)
	if err != nil {
		return err
	}
	wm, _, err := s.wechatMerchant(ctx, orgID)
	if errors.Is(err, kernel.ErrNotFound) {
		return refuse(http.StatusNotFound, errors.New("WeChat Pay is not configured for this organization"))
	}
	if err != nil {
		return err
	}
	n, pt, err := wm.ParseNotification(h, body, s.now())
	switch {
	case errors.Is(err, wechatpay.ErrDecrypt):
		// Signed by WeChat Pay but not for this APIv3 key: the key saved is
		// wrong. Refused so that WeChat Pay sends it again once it is right.
		s.Log.Error("wechat pay notification does not decrypt: check the APIv3 key", slog.String("org", orgPublicID))
		return refuse(http.StatusInternalServerError, err)
	case errors.Is(err, wechatpay.ErrSignature), errors.Is(err, wechatpay.ErrStale), errors.Is(err, wechatpay.ErrUnknownSerial),
		errors.Is(err, wechatpay.ErrMalformed):
		s.Log.Warn("wechat pay notification refused", slog.String("org", orgPublicID), slog.String("error", err.Error()))
		return refuse(http.StatusUnauthorized, err)
	case err != nil:
		return refuse(http.StatusBadRequest, err)
	}
	switch n.EventType {
	case wechatpay.EventTransactionSuccess:
		var t wechatpay.Transaction
		if err := json.Unmarshal(pt, &t); err != nil {
			return refuse(http.StatusBadRequest, err)
		}
		if t.TransactionID == "" || t.OutTradeNo == "" {
			return refuse(http.StatusBadRequest, errors.New("a transaction without transaction_id or out_trade_no"))
		}
		pm := payment{ch: WeChatPay, orgID: orgID, txnID: t.TransactionID, outTradeNo: t.OutTradeNo, amountFen: t.Amount.Total,
			currency: t.Amount.Currency, detail: pt}
		if t.MchID != wm.MchID || t.AppID != wm.AppID {
			return s.merchantDiffers(ctx, pm, "payment:"+t.TransactionID)
		}
		if t.TradeState != "SUCCESS" {
			return nil
		}
		return s.applyPayment(ctx, pm)
	case wechatpay.EventRefundSuccess, wechatpay.EventRefundAbnormal, wechatpay.EventRefundClosed:
		var r wechatpay.RefundResult
		if err := json.Unmarshal(pt, &r); err != nil {
			return refuse(http.StatusBadRequest, err)
		}
		rn := refundNotice{ch: WeChatPay, orgID: orgID, refundID: r.RefundID, outRefundNo: r.OutRefundNo, outTradeNo: r.OutTradeNo,
			txnID: r.TransactionID, amountFen: r.Amount.Refund, detail: pt}
		if r.MchID != "" && r.MchID != wm.MchID {
			return s.merchantDiffers(ctx, payment{ch: WeChatPay, orgID: orgID, txnID: r.TransactionID, outTradeNo: r.OutTradeNo,
				amountFen: r.Amount.Refund, currency: "CNY", detail: pt}, "refund:"+rn.key())
		}
		switch r.State() {
		case "SUCCESS":
			rn.outcome = funds.RefundOutcome{Status: funds.RefundSucceeded, ProviderRefundID: r.RefundID}
		case "PROCESSING":
			rn.outcome = funds.RefundOutcome{Status: funds.RefundProcessing, ProviderRefundID: r.RefundID}
		default:
			rn.outcome = funds.RefundOutcome{Status: funds.RefundFailed, ProviderRefundID: r.RefundID, Error: "WeChat Pay: " + r.State()}
		}
		return s.applyRefundNotice(ctx, rn)
	}
	s.Log.Info("wechat pay notification ignored", slog.String("org", orgPublicID), slog.String("event", n.EventType))
	return nil
}

// HandleAlipay takes an Alipay asynchronous notification to the
// organization orgPublicID: verified (RSA2 over the sorted parameters but
// sign and sign_type, with the Alipay public key), for the organization's
// app and seller, then a paid trade (TRADE_SUCCESS, TRADE_FINISHED)
// confirms its pledge and a refund (out_biz_no) records its outcome. nil
// means the answer is "success" (recorded, kept as an Exception, or
// nothing to do); else "fail", and Alipay sends it again.
func (s *Service) HandleAlipay(ctx context.Context, orgPublicID string, form url.Values) error {
	orgID, err := s.notifyOrg(ctx, orgPublicID)
	if err != nil {
		return err
	}
	am, _, err := s.alipayMerchant(ctx, orgID)
	if errors.Is(err, kernel.ErrNotFound) {
		return refuse(http.StatusNotFound, errors.New("Alipay is not configured for this organization"))
	}
	if err != nil {
		return err
	}
	if err := am.VerifyNotification(form); err != nil {
		s.Log.Warn("alipay notification refused", slog.String("org", orgPublicID), slog.String("error", err.Error()))
		return refuse(http.StatusUnauthorized, err)
	}
	kept := url.Values{}
	for k, v := range form {
		if k != "sign" {
			kept[k] = v
		}
	}
	detail, _ := json.Marshal(kept)
	tradeNo, outTradeNo := form.Get("trade_no"), form.Get("out_trade_no")
	if tradeNo == "" || outTradeNo == "" {
		return refuse(http.StatusBadRequest, errors.New("a notification without trade_no or out_trade_no"))
	}
	currency := form.Get("trans_currency")
	if currency == "" {
		currency = "CNY"
	}
	pm := payment{ch: Alipay, orgID: orgID, txnID: tradeNo, outTradeNo: outTradeNo, currency: currency, detail: detail}
	if form.Get("app_id") != am.AppID || form.Get("seller_id") != am.SellerID {
		return s.merchantDiffers(ctx, pm, "payment:"+tradeNo)
	}
	if outBiz := form.Get("out_biz_no"); outBiz != "" {
		// A refund of the trade: refund_fee is what it refunded in all.
		return s.applyRefundNotice(ctx, refundNotice{ch: Alipay, orgID: orgID, outRefundNo: outBiz, outTradeNo: outTradeNo, txnID: tradeNo,
			outcome: funds.RefundOutcome{Status: funds.RefundSucceeded}, detail: detail})
	}
	switch form.Get("trade_status") {
	case alipay.TradeSuccess, alipay.TradeFinished:
	default:
		return nil
	}
	if pm.amountFen, err = alipay.Fen(form.Get("total_amount")); err != nil {
		return refuse(http.StatusBadRequest, err)
	}
	return s.applyPayment(ctx, pm)
}

// merchantDiffers keeps a notification signed for the organization but
// naming another merchant or app, and refuses it: the saved ids may be
// wrong, and once they are corrected the provider's next try goes through.
func (s *Service) merchantDiffers(ctx context.Context, pm payment, event string) error {
	if err := s.except(ctx, &Exception{OrgID: pm.orgID, Channel: pm.ch, Kind: KindPayment, Code: CodeMerchantDiffers, EventKey: event,
		ProviderTxnID: pm.txnID, OutTradeNo: pm.outTradeNo, AmountFen: pm.amountFen, Currency: pm.currency}, pm.detail); err != nil {
		return err
	}
	return refuse(http.StatusBadRequest, errors.New("the notification names another merchant or app"))
}

func viaOf(ch Channel) funds.ConfirmVia {
	if ch == Alipay {
		return funds.ViaAlipay
	}
	return funds.ViaWeChatPay
}

// applyPayment confirms the pledge a provider says was paid, once per
// provider transaction, after checking the order, amount and currency
// against it. What the ledger cannot take is kept as an Exception.
func (s *Service) applyPayment(ctx context.Context, pm payment) error {
	exc := func(code string, p *funds.Pledge) error {
		e := &Exception{OrgID: pm.orgID, Channel: pm.ch, Kind: KindPayment, Code: code, EventKey: "payment:" + pm.txnID,
			ProviderTxnID: pm.txnID, OutTradeNo: pm.outTradeNo, AmountFen: pm.amountFen, Currency: pm.currency}
		if p != nil {
			e.PledgeID = p.ID
		}
		return s.except(ctx, e, pm.detail)
	}
	p, err := s.Funds.Store.PledgeByReference(ctx, strings.ToUpper(strings.TrimSpace(pm.outTradeNo)))
	switch {
	case errors.Is(err, kernel.ErrNotFound):
		return exc(CodeUnknownOrder, nil)
	case err != nil:
		return err
	case p.OrgID != pm.orgID:
		// Not shown with the pledge: it is another organization's.
		return exc(CodeOtherOrg, nil)
	case pm.currency != "CNY":
		return exc(CodeCurrencyDiffers, p)
	case pm.amountFen != p.AmountFen:
		return exc(CodeAmountDiffers, p)
	}
	_, err = s.Funds.ConfirmPaid(ctx, p.PublicID, viaOf(pm.ch), pm.txnID, pm.amountFen)
	switch {
	case err == nil, errors.Is(err, funds.ErrReplayed):
		return nil
	case errors.Is(err, kernel.ErrConflict):
		cur, rerr := s.Funds.Store.Pledge(ctx, p.PublicID)
		if rerr != nil {
			return rerr
		}
		code := CodeNotPending
		switch {
		case cur.Status == funds.PledgeRefunded:
			code = CodePledgeRefunded
		case cur.Status == funds.PledgeConfirmed:
			code = CodePaidTwice
		case cur.Status == funds.PledgeExpired || (cur.Status == funds.PledgePending && !s.now().Before(cur.ExpiresAt)):
			code = CodePledgeExpired
		}
		return exc(code, cur)
	}
	return err
}

// refundNotice is a provider's word on a refund.
type refundNotice struct {
	ch                                Channel
	orgID                             int64
	refundID, outRefundNo, outTradeNo string
	txnID                             string
	// amountFen is the refund's amount when the provider says it (WeChat Pay).
	amountFen int64
	outcome   funds.RefundOutcome
	detail    []byte
}

func (n refundNotice) key() string {
	if n.refundID != "" {
		return n.refundID
	}
	return n.txnID + ":" + n.outRefundNo
}

// applyRefundNotice records a provider's word on a refund the service
// asked for; a refund it never asked for (made in the merchant's own
// console, or before the payment was ever notified) or one that does not
// match is kept as an Exception.
func (s *Service) applyRefundNotice(ctx context.Context, n refundNotice) error {
	exc := func(code string, pledgeID int64) error {
		return s.except(ctx, &Exception{OrgID: n.orgID, Channel: n.ch, Kind: KindRefund, Code: code, EventKey: "refund:" + n.key(),
			ProviderTxnID: n.txnID, OutTradeNo: n.outTradeNo, OutRefundNo: n.outRefundNo, AmountFen: n.amountFen, Currency: "CNY",
			PledgeID: pledgeID}, n.detail)
	}
	r, err := s.Funds.RefundByOutNo(ctx, n.outRefundNo)
	switch {
	case errors.Is(err, kernel.ErrNotFound):
		return exc(CodeUnknownRefund, 0)
	case err != nil:
		return err
	case r.OrgID != n.orgID:
		return exc(CodeUnknownRefund, 0)
	case r.Channel != RefundChannel(n.ch) || !strings.EqualFold(r.PledgeReference, n.outTradeNo) || (n.amountFen != 0 && n.amountFen != r.AmountFen):
		return exc(CodeRefundDiffers, r.PledgeID)
	}
	_, err = s.Funds.SetRefundOutcome(ctx, r.PublicID, n.outcome)
	return err
}

// RefundChannel is the refund channel of a payment channel.
func RefundChannel(ch Channel) funds.RefundChannel {
	if ch == Alipay {
		return funds.RefundAlipay
	}
	return funds.RefundWeChatPay
}
