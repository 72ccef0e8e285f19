package web

import (
	"time"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/funds/paychan"
	"github.com/jiujinan/jiujinan/kernel"
)

// paychanPageStates are the states of the payment channels' pages and
// parts (page_paychan.go): a pending pledge with its QR code or the way on
// to a provider, on a computer and a phone; a confirmed one with refunds
// of each channel and status, for its donor and for staff with the form
// and its errors; the exceptions page; /staff/org with each channel.
func paychanPageStates() []pageState {
	var out []pageState
	add := func(tmpl, block, name string, data any) {
		out = append(out, pageState{name: tmpl + "/" + block + "/" + name, template: tmpl, block: block, data: data})
	}
	at := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	pending := &funds.Pledge{PublicID: "p1", Reference: "JJ0123456789", TargetType: funds.TargetNeed, TargetPublicID: "n1", AmountFen: 20_000,
		Status: funds.PledgePending, OrgName: "郓城县慈善总会", CreatedAt: at, ExpiresAt: at.Add(7 * 24 * time.Hour)}
	acct := kernel.CollectionAccount{AccountName: "郓城县慈善总会", Bank: "中国工商银行", AccountNo: "1609001209024567890"}
	pc := &payView{Methods: []paychan.Method{paychan.WeChatNative, paychan.AlipayPage}, Switch: "phone", QR: "data:image/png;base64,AAAA", QRExpires: at.Add(2 * time.Hour)}
	phone := &payView{Methods: []paychan.Method{paychan.WeChatH5, paychan.AlipayWap}, Phone: true, Switch: "pc", Go: "https://wx.tenpay.com/x", GoMethod: paychan.WeChatH5}
	failed := &payView{Error: "支付平台暂时没有受理这笔订单"}
	for name, pv := range map[string]*payView{"QR code": pc, "phone, on to the provider": phone, "provider failed": failed, "no channel": {Switch: "phone"}} {
		add("my_pledge", "layout", "pending, "+name, myPledgePage{Pledge: pending, Account: acct, Pay: pv})
		add("my_pledge", "paystatus", "pending, "+name, myPledgePage{Pledge: pending, Account: acct, Pay: pv})
	}
	confirmed := *pending
	confirmed.Status, confirmed.ConfirmedVia = funds.PledgeConfirmed, funds.ViaWeChatPay
	add("my_pledge", "paystatus", "paid", myPledgePage{Pledge: &confirmed})
	var refunds []funds.Refund
	for _, ch := range []funds.RefundChannel{funds.RefundWeChatPay, funds.RefundAlipay, funds.RefundBank} {
		for _, st := range []funds.RefundStatus{funds.RefundPending, funds.RefundProcessing, funds.RefundSucceeded, funds.RefundFailed} {
			refunds = append(refunds, funds.Refund{PublicID: "r" + string(ch) + string(st), Channel: ch, Status: st, AmountFen: 500, Reason: "捐赠人要求",
				Error: "WeChat Pay: ABNORMAL", BankReference: map[bool]string{true: "TX123456"}[st == funds.RefundSucceeded && ch == funds.RefundBank], CreatedAt: at})
		}
	}
	for _, ch := range []funds.RefundChannel{funds.RefundWeChatPay, funds.RefundAlipay, funds.RefundBank} {
		add("my_pledge", "layout", "confirmed, staff, "+string(ch), myPledgePage{Pledge: &confirmed, Refunds: &refundsView{Refunds: refunds, Staff: true, LeftFen: 5_000, Channel: ch}})
	}
	add("my_pledge", "layout", "confirmed, donor", myPledgePage{Pledge: &confirmed, Refunds: &refundsView{Refunds: refunds, LeftFen: 5_000, Channel: funds.RefundWeChatPay}})
	add("my_pledge", "layout", "confirmed, nothing refunded", myPledgePage{Pledge: &confirmed, Refunds: &refundsView{Staff: true, LeftFen: 20_000, Channel: funds.RefundBank}})
	add("my_pledge", "layout", "refund form errors", myPledgePage{Pledge: &confirmed, Refunds: &refundsView{Staff: true, LeftFen: 20_000, Channel: funds.RefundBank,
		Form: refundForm{Amount: "-1", Error: "x", Errors: map[string]string{"amount": "x", "reason": "x", "bank_reference": "x"}}, Error: "x"}})
	add("staff_payments", "layout", "filled", filled[staffPaymentsPage](fillMode{}))
	add("staff_payments", "layout", "empty", staffPaymentsPage{})
	exc := make([]paychan.Exception, 0, len(paychan.ExceptionCodes))
	for _, code := range paychan.ExceptionCodes {
		exc = append(exc, paychan.Exception{PublicID: "e" + code, Channel: paychan.WeChatPay, Code: code, OutTradeNo: "JJ0123456789", AmountFen: 100, Currency: "USD", Times: 3, LastAt: at})
	}
	exc[0].ResolvedAt, exc[0].ResolvedByName, exc[0].Note = &at, "王", "已在商户平台退款"
	add("staff_payments", "layout", "every reason, one failed to resolve", staffPaymentsPage{Refunds: refunds, Exceptions: exc, Failed: exc[1].PublicID, Error: "x"})
	org := &kernel.Org{PublicID: "o1", Name: "郓城县慈善总会"}
	nd := time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC)
	both := &payChannelsView{Org: "o1", On: true, NotifyWeChat: "https://x/n", NotifyAlipay: "https://x/a",
		WeChat: paychan.ChannelView{Channel: paychan.WeChatPay, Configured: true, MerchantID: "1900009191", AppID: "wxd678efh567hg6787",
			Details: paychan.Details{SerialNo: "1DDE", PlatformSerial: "5157", PlatformNotAfter: &nd, PublicKeyID: "PUB_KEY_ID_1"}, UpdatedAt: &at},
		Alipay: paychan.ChannelView{Channel: paychan.Alipay, Configured: true, MerchantID: "2088102170000001", AppID: "2021000123456789", UpdatedAt: &at},
		WxForm: channelForm{Values: map[string]string{"mchid": "1"}, Errors: map[string]string{"mchid": "x", "appid": "x", "serial_no": "x", "api_v3_key": "x",
			"private_key": "x", "platform_certificate": "x", "public_key": "x", "public_key_id": "x"}, Error: "x"},
		AliForm: channelForm{Errors: map[string]string{"app_id": "x", "seller_id": "x", "app_private_key": "x", "alipay_public_key": "x"}, Error: "x"}}
	add("staff_org", "layout", "both channels", orgAccountPage{Org: org, Pay: both})
	add("staff_org", "layout", "no channel, no public address", orgAccountPage{Org: org, Pay: &payChannelsView{Org: "o1"}})
	add("staff_pledges", "layout", "reference not found", pledgeQueuePage{NotFound: "JJ0123456789"})
	return out
}
