package paychan

import (
	"context"
	"errors"
	"log/slog"
	"net"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/funds/paychan/alipay"
	"github.com/jiujinan/jiujinan/funds/paychan/wechatpay"
	"github.com/jiujinan/jiujinan/kernel"
)

// maxRefundAttempts bounds how often a refund is sent again after failures
// that may pass (backing off to an hour, about a day in all) before it is
// failed for staff to look at.
const maxRefundAttempts = 30

// Refund refunds a confirmed pledge, whole or in part (staff of the
// receiving organization, funds.RecordRefund), and sends it at once
// through the channel the money came by; a bank transfer waits for staff
// to record it. A pledge paid through a channel no longer configured is
// refused before anything is recorded. When the provider cannot be reached
// the refund stays pending and RunRefunds sends it again.
func (s *Service) Refund(ctx context.Context, by *kernel.Principal, pledgeID string, n funds.NewRefund, idem *funds.Idem) (*funds.Refund, error) {
	p, err := s.Funds.Pledge(ctx, by, pledgeID)
	if err != nil {
		return nil, err
	}
	if ch := funds.RefundChannelOf(p); ch != funds.RefundBank && by.InOrg(kernel.RoleFederationStaff, p.OrgID) {
		_, err := s.Store.Merchant(ctx, p.OrgID, Channel(ch))
		if errors.Is(err, kernel.ErrNotFound) {
			return nil, kernel.Refuse(kernel.ErrConflict, "refusal_refund_channel_missing", nil, "the pledge was paid by %s, which is no longer configured", ch)
		}
		if err != nil {
			return nil, err
		}
	}
	r, err := s.Funds.RecordRefund(ctx, by, pledgeID, n, idem)
	if err != nil {
		return nil, err
	}
	if r.Channel == funds.RefundBank {
		return r, nil
	}
	sent, err := s.SendRefund(ctx, r)
	if err != nil {
		// Recorded and owed: the job sends it again.
		s.Log.Warn("refund not sent yet", slog.String("refund", r.PublicID), slog.String("error", err.Error()))
		return r, nil
	}
	return sent, nil
}

// SendRefund sends a pending channel refund to its provider, or asks about
// one the provider is still processing, and records the answer. A
// provider's definite refusal fails it (staff send it again or pay by
// hand); trouble that may pass leaves it pending for the next attempt.
func (s *Service) SendRefund(ctx context.Context, r *funds.Refund) (*funds.Refund, error) {
	var o funds.RefundOutcome
	switch r.Channel {
	case funds.RefundWeChatPay:
		o = s.sendWeChatRefund(ctx, r)
	case funds.RefundAlipay:
		o = s.sendAlipayRefund(ctx, r)
	default:
		return r, nil
	}
	if o.Retry && r.Attempts+1 >= maxRefundAttempts {
		o = funds.RefundOutcome{Status: funds.RefundFailed, Error: "gave up after repeated failures: " + o.Error}
	}
	return s.Funds.SetRefundOutcome(ctx, r.PublicID, o)
}

// retryable reports whether an error of a call may pass: the network, a
// timeout, the provider's own trouble.
func retryable(err error) bool {
	var we *wechatpay.APIError
	if errors.As(err, &we) {
		return we.Temporary()
	}
	var ae *alipay.APIError
	if errors.As(err, &ae) {
		return ae.Temporary()
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) || !errors.As(err, new(*kernel.Refusal))
}

func outcomeOf(err error) funds.RefundOutcome {
	if retryable(err) {
		return funds.RefundOutcome{Retry: true, Error: err.Error()}
	}
	return funds.RefundOutcome{Status: funds.RefundFailed, Error: err.Error()}
}

func (s *Service) sendWeChatRefund(ctx context.Context, r *funds.Refund) funds.RefundOutcome {
	wm, _, err := s.wechatMerchant(ctx, r.OrgID)
	if err != nil {
		return funds.RefundOutcome{Retry: true, Error: "WeChat Pay credentials: " + err.Error()}
	}
	var res *wechatpay.RefundResult
	if r.Status == funds.RefundProcessing {
		res, err = s.wechat().QueryRefund(ctx, wm, r.OutRefundNo)
	} else {
		txn, perr := s.Funds.PledgePayment(ctx, r.PledgeID, funds.ViaWeChatPay)
		if perr != nil {
			return funds.RefundOutcome{Retry: true, Error: perr.Error()}
		}
		req := wechatpay.RefundRequest{TransactionID: txn, OutRefundNo: r.OutRefundNo, Reason: r.Reason,
			NotifyURL: s.NotifyURL(WeChatPay, r.OrgPublicID), Amount: wechatpay.Amount{Refund: r.AmountFen, Total: r.PledgeFen}}
		if txn == "" {
			req.OutTradeNo = r.PledgeReference
		}
		res, err = s.wechat().Refund(ctx, wm, req)
	}
	if err != nil {
		return outcomeOf(err)
	}
	switch res.State() {
	case "SUCCESS":
		return funds.RefundOutcome{Status: funds.RefundSucceeded, ProviderRefundID: res.RefundID}
	case "PROCESSING":
		return funds.RefundOutcome{Status: funds.RefundProcessing, ProviderRefundID: res.RefundID}
	}
	return funds.RefundOutcome{Status: funds.RefundFailed, ProviderRefundID: res.RefundID, Error: "WeChat Pay: " + res.State()}
}

func (s *Service) sendAlipayRefund(ctx context.Context, r *funds.Refund) funds.RefundOutcome {
	am, _, err := s.alipayMerchant(ctx, r.OrgID)
	if err != nil {
		return funds.RefundOutcome{Retry: true, Error: "Alipay credentials: " + err.Error()}
	}
	trade, err := s.Funds.PledgePayment(ctx, r.PledgeID, funds.ViaAlipay)
	if err != nil {
		return funds.RefundOutcome{Retry: true, Error: err.Error()}
	}
	res, err := s.alipay().Refund(ctx, am, alipay.RefundRequest{OutTradeNo: r.PledgeReference, TradeNo: trade, AmountFen: r.AmountFen,
		Reason: r.Reason, OutRequestNo: r.OutRefundNo})
	if err != nil {
		return outcomeOf(err)
	}
	// Alipay refunds at once: code 10000 is done (fund_change N for the
	// same out_request_no asked again).
	return funds.RefundOutcome{Status: funds.RefundSucceeded, ProviderRefundID: res.TradeNo}
}

// RunRefunds sends the refunds that are due (pending, their next attempt
// come) and asks about those the provider has been processing for a while;
// it returns how many it looked at. Each refund's own failure is recorded
// on it; the error is the database's.
func (s *Service) RunRefunds(ctx context.Context) (int, error) {
	due, err := s.Funds.DueRefunds(ctx, 50)
	if err != nil {
		return 0, err
	}
	for i := range due {
		if ctx.Err() != nil {
			return i, ctx.Err()
		}
		if _, err := s.SendRefund(ctx, &due[i]); err != nil {
			return i, err
		}
	}
	return len(due), nil
}
