package funds

import (
	"context"
	"fmt"
)

// How a payment channel confirmed a pledge: its verified notification
// (funds/paychan). The channel is also the one its refunds go through
// (RefundChannelOf).
const (
	ViaWeChatPay ConfirmVia = "wechat_pay"
	ViaAlipay    ConfirmVia = "alipay"
)

// ConfirmPaid confirms a pledge from a payment channel's verified
// notification that paymentID (the provider's transaction id) paid
// amountFen, in one transaction with the record of that payment, so that
// the same payment told again is ErrReplayed and never confirms twice.
// A pledge that is not pending (confirmed by another payment, refunded,
// expired) is a refusal with kernel.ErrConflict; an amount other than the
// pledge's a *kernel.ValidationError. The caller has checked the
// notification's signature, merchant and currency.
func (s *Service) ConfirmPaid(ctx context.Context, pledgePublicID string, via ConfirmVia, paymentID string, amountFen int64) (*Pledge, error) {
	if via != ViaWeChatPay && via != ViaAlipay {
		return nil, fmt.Errorf("funds: confirm paid: %q is not a payment channel", via)
	}
	if paymentID == "" || len(paymentID) > 80 {
		return nil, fmt.Errorf("funds: confirm paid: payment id %q", paymentID)
	}
	if amountFen <= 0 {
		return nil, fmt.Errorf("funds: confirm paid: amount %d", amountFen)
	}
	return s.confirm(ctx, pledgePublicID, via, 0, PaymentNotificationID(via, paymentID), amountFen)
}

// PaymentNotificationID is the id under which a channel's payment is
// recorded with the pledge it confirmed: "<channel>:<transaction id>".
func PaymentNotificationID(via ConfirmVia, paymentID string) string {
	return string(via) + ":" + paymentID
}
