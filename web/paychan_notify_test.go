package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/funds/paychan"
	"github.com/jiujinan/jiujinan/funds/paychan/alipay"
	"github.com/jiujinan/jiujinan/funds/paychan/paytest"
	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
)

// WeChat Pay's notifications in WeChat Pay's own format and security, as a
// donor's payment goes: what verifies confirms the pledge once, whatever
// is told again or out of order; what does not verify changes nothing;
// what verifies but does not fit the pledge is kept for reconciliation.
// On SQLite and MariaDB.
func TestWeChatPayNotifications(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		pe := newPayEnv(t, env)
		fund := pe.fund()
		wx := pe.wx

		// Refused: nothing is recorded, the pledge waits; WeChat Pay is
		// answered {code: FAIL} so that it sends the notification again.
		p := pe.pledge(fund, 20_000)
		good := pe.paid(p, "4200000001202611230001", 20_000)
		tampered := pe.paid(p, "4200000001202611230001", 20_000)
		tampered.Body = []byte(strings.Replace(string(tampered.Body), `"resource_type":"encrypt-resource"`, `"resource_type":"encrypt-resource" `, 1))
		refused := []struct {
			name   string
			n      paytest.Signed
			status int
		}{
			{"tampered body", tampered, 401},
			{"signed with another key", wx.PaidNotification(wx.Paid(p.Reference, "4200000001202611230001", 20_000, pe.at()),
				paytest.NotificationOpts{At: pe.at(), Key: paytest.OtherKey(), Serial: wx.PlatformSerial}), 401},
			{"a serial of no key", wx.PaidNotification(wx.Paid(p.Reference, "4200000001202611230001", 20_000, pe.at()),
				paytest.NotificationOpts{At: pe.at(), Key: wx.PlatformKey, Serial: "7A1B2C3D4E5F"}), 401},
			{"stale: signed 6 minutes ago", wx.PaidNotification(wx.Paid(p.Reference, "4200000001202611230001", 20_000, pe.at()),
				paytest.NotificationOpts{At: pe.at().Add(-6 * time.Minute)}), 401},
			{"encrypted with another APIv3 key", wx.PaidNotification(wx.Paid(p.Reference, "4200000001202611230001", 20_000, pe.at()),
				paytest.NotificationOpts{At: pe.at(), APIv3Key: "ZZZZc3D4e5F6g7H8i9J0k1L2m3N4o5P6"}), 500},
		}
		for _, tc := range refused {
			r := pe.wechat(tc.n)
			if r.Status != tc.status || !strings.Contains(string(r.Body), `"code":"FAIL"`) {
				t.Errorf("%s: %d %s, want %d FAIL", tc.name, r.Status, r.Body, tc.status)
			}
			if st, _ := pe.status(p.PublicID); st != "pending" {
				t.Fatalf("%s: the pledge is %s", tc.name, st)
			}
		}
		// A notification to an organization without WeChat Pay, or to none.
		if r := env.do(http.MethodPost, "/api/v1/payments/wechat/notify/"+env.orgs[kernel.OrgCharity].PublicID, "", good.Body, headersOf(good)...); r.Status != 404 {
			t.Errorf("another organization: %d %s", r.Status, r.Body)
		}

		// Verified: confirmed through WeChat Pay, 204, once.
		if r := pe.wechat(good); r.Status != http.StatusNoContent || len(r.Body) != 0 {
			t.Fatalf("valid: %d %s", r.Status, r.Body)
		}
		if st, via := pe.status(p.PublicID); st != "confirmed" || via != "wechat_pay" {
			t.Fatalf("after the payment: %s via %s", st, via)
		}
		if b := pe.balance(fund); b != 20_000 {
			t.Fatalf("fund balance %d", b)
		}
		// Replayed, also re-signed later (WeChat Pay retries): 204, nothing twice.
		for range 2 {
			if r := pe.wechat(good); r.Status != http.StatusNoContent {
				t.Fatalf("replay: %d %s", r.Status, r.Body)
			}
		}
		env.advance(2 * time.Minute)
		if r := pe.wechat(pe.paid(p, "4200000001202611230001", 20_000)); r.Status != http.StatusNoContent {
			t.Fatalf("resent: %d %s", r.Status, r.Body)
		}
		if b := pe.balance(fund); b != 20_000 {
			t.Fatalf("after replays the fund holds %d", b)
		}
		// The public key mode verifies too (a merchant moved to it).
		p2 := pe.pledge(fund, 500)
		if r := pe.wechat(wx.PaidNotification(wx.Paid(p2.Reference, "4200000001202611230002", 500, pe.at()),
			paytest.NotificationOpts{At: pe.at(), Key: wx.PayKey, Serial: wx.PayKeyID})); r.Status != 401 {
			t.Fatalf("a public key not configured: %d", r.Status)
		}
		if r := env.do(http.MethodPut, "/api/v1/orgs/"+pe.org+"/payment-channels/wechat-pay", pe.staffTok, wx.PublicKeyInput()); r.Status != 200 {
			t.Fatalf("public key mode: %d %s", r.Status, r.Body)
		}
		if r := pe.wechat(wx.PaidNotification(wx.Paid(p2.Reference, "4200000001202611230002", 500, pe.at()),
			paytest.NotificationOpts{At: pe.at(), Key: wx.PayKey, Serial: wx.PayKeyID})); r.Status != 204 {
			t.Fatalf("public key mode: %d %s", r.Status, r.Body)
		}
		// The platform certificate saved before stays.
		if r := pe.wechat(pe.paid(p2, "4200000001202611230002", 500)); r.Status != 204 {
			t.Fatalf("certificate kept: %d %s", r.Status, r.Body)
		}

		// Verified but not for the pledge: kept, answered 204, the pledge
		// untouched.
		wrongAmount := pe.pledge(fund, 10_000)
		if r := pe.wechat(pe.paid(wrongAmount, "4200000001202611230010", 1_000)); r.Status != 204 {
			t.Fatalf("wrong amount: %d %s", r.Status, r.Body)
		}
		usd := pe.pledge(fund, 10_000)
		tx := wx.Paid(usd.Reference, "4200000001202611230011", 10_000, pe.at())
		tx.Amount.Currency = "USD"
		pe.wechat(wx.PaidNotification(tx, paytest.NotificationOpts{At: pe.at()}))
		pe.wechat(wx.PaidNotification(wx.Paid("JJ0000000000", "4200000001202611230012", 10_000, pe.at()), paytest.NotificationOpts{At: pe.at()}))
		// A pledge to another federation's fund, under this one's merchant.
		fedB, err := env.accounts.CreateOrg(context.Background(), env.admin, orgNamed("隆回县慈善总会", kernel.OrgCharityFederation, "430524"))
		if err != nil {
			t.Fatal(err)
		}
		_, staffB := env.user(kernel.RoleFederationStaff, fedB)
		fb, err := env.funds.CreateSource(context.Background(), staffB, funds.NewSource{Kind: funds.KindFund, Name: "隆回助学", Namer: "王", Purpose: "助学"})
		if err != nil {
			t.Fatal(err)
		}
		other := pe.pledge(fb.PublicID, 10_000)
		pe.wechat(pe.paid(other, "4200000001202611230013", 10_000))
		// Another merchant's notification: kept and refused, so that it
		// comes again once the ids are corrected.
		mis := pe.pledge(fund, 10_000)
		mtx := wx.Paid(mis.Reference, "4200000001202611230014", 10_000, pe.at())
		mtx.MchID = "1900000109"
		if r := pe.wechat(wx.PaidNotification(mtx, paytest.NotificationOpts{At: pe.at()})); r.Status != 400 {
			t.Fatalf("another merchant: %d %s", r.Status, r.Body)
		}
		// Paid twice: a second transaction for a confirmed pledge.
		pe.wechat(pe.paid(p, "4200000001202611230015", 20_000))
		for _, id := range []string{wrongAmount.PublicID, usd.PublicID, mis.PublicID} {
			if st, _ := pe.status(id); st != "pending" {
				t.Errorf("pledge %s is %s", id, st)
			}
		}
		if st, _ := pe.status(other.PublicID); st != "pending" {
			t.Errorf("the other federation's pledge is %s", st)
		}
		exc := pe.exceptions()
		for key, txn := range map[string]string{
			"amount_differs " + wrongAmount.Reference: "4200000001202611230010",
			"currency_differs " + usd.Reference:       "4200000001202611230011",
			"unknown_order JJ0000000000":              "4200000001202611230012",
			"other_org " + other.Reference:            "4200000001202611230013",
			"merchant_differs " + mis.Reference:       "4200000001202611230014",
			"paid_twice " + p.Reference:               "4200000001202611230015",
		} {
			e, ok := exc[key]
			if !ok || e.TransactionID != txn || e.Channel != "wechat_pay" || !strings.Contains(e.Notification, txn) {
				t.Errorf("%s: not kept as it came: %+v", key, e)
			}
		}
		if e := exc["other_org "+other.Reference]; e.PledgeID != "" {
			t.Errorf("the exception names another organization's pledge: %+v", e)
		}
		if e := exc["paid_twice "+p.Reference]; e.PledgeID != p.PublicID || e.AmountFen != 20_000 {
			t.Errorf("paid twice: %+v", e)
		}
		// Told again: still one, counted.
		pe.wechat(pe.paid(wrongAmount, "4200000001202611230010", 1_000))
		if e := pe.exceptions()["amount_differs "+wrongAmount.Reference]; e.Times != 2 {
			t.Errorf("told twice, counted %d", e.Times)
		}
		// The other federation sees none of them.
		tokB := env.token(staffB)
		if es := decodeInto[exceptionsJSON](t, env.do(http.MethodGet, "/api/v1/payment-exceptions?status=all", tokB, nil)).Exceptions; len(es) != 0 {
			t.Errorf("another federation sees %d exceptions", len(es))
		}
		// Expired before the money came.
		late := pe.pledge(fund, 10_000)
		env.advance(8 * 24 * time.Hour)
		if _, err := env.funds.ExpirePledges(context.Background()); err != nil {
			t.Fatal(err)
		}
		pe.signIn()
		pe.wechat(pe.paid(late, "4200000001202611230016", 10_000))
		if _, ok := pe.exceptions()["pledge_expired "+late.Reference]; !ok {
			t.Error("a payment after the pledge expired is not kept")
		}
		// Resolving one: staff's note, then it is no longer open.
		e := pe.exceptions()["unknown_order JJ0000000000"]
		if r := env.do(http.MethodPost, "/api/v1/payment-exceptions/"+e.ID+"/resolve", pe.staffTok, map[string]any{"note": "已在商户平台原路退款"}); r.Status != 200 {
			t.Fatalf("resolve: %d %s", r.Status, r.Body)
		}
		if r := env.do(http.MethodPost, "/api/v1/payment-exceptions/"+e.ID+"/resolve", pe.staffTok, map[string]any{"note": "再次"}); r.Status != 409 {
			t.Errorf("resolved twice: %d", r.Status)
		}
		for _, open := range decodeInto[exceptionsJSON](t, env.do(http.MethodGet, "/api/v1/payment-exceptions", pe.staffTok, nil)).Exceptions {
			if open.ID == e.ID {
				t.Error("a resolved exception is listed as open")
			}
		}
		pe.verify()
	})
}

func headersOf(n paytest.Signed) []string {
	var h []string
	for k := range n.Header {
		h = append(h, k, n.Header.Get(k))
	}
	return h
}

// Refunds through WeChat Pay, and its refund notifications in either
// order: a refund the provider is still processing succeeds on its
// notification (told twice, or after a later ABNORMAL, it stays so); a
// refund notification before the payment's, for a refund the service
// never asked for, is kept, and the payment still confirms; a payment
// after the pledge was refunded is kept; the first payment told again is
// harmless.
func TestWeChatPayRefundsAndReorderedNotifications(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		pe := newPayEnv(t, env)
		fund := pe.fund()
		p := pe.pledge(fund, 30_000)
		const txn = "4200000001202611230100"

		// Before the payment: a refund notification nobody asked for.
		if r := pe.wechat(pe.refundNotice(p.Reference, txn, p.Reference+"RZZZZZZ", "50300000001", "SUCCESS", 30_000, 30_000)); r.Status != 204 {
			t.Fatalf("refund before payment: %d %s", r.Status, r.Body)
		}
		if _, ok := pe.exceptions()["unknown_refund "+p.Reference]; !ok {
			t.Fatal("an unknown refund is not kept")
		}
		if r := pe.wechat(pe.paid(p, txn, 30_000)); r.Status != 204 {
			t.Fatalf("payment: %d %s", r.Status, r.Body)
		}

		// A part refunded: WeChat Pay is still processing it.
		pe.prov.RefundStatus = "PROCESSING"
		r := env.do(http.MethodPost, "/api/v1/pledges/"+p.PublicID+"/refunds", pe.staffTok, map[string]any{"amount_fen": 10_000, "reason": "捐赠人要求部分退款"},
			"Idempotency-Key", "refund-1")
		if r.Status != http.StatusCreated {
			t.Fatalf("refund: %d %s", r.Status, r.Body)
		}
		// With an Idempotency-Key the answer is the refund as recorded,
		// the same for every retry; its progress is on the list.
		rf := decodeInto[refundJSON](t, r)
		if rf.Status != "pending" || rf.Channel != "wechat_pay" || rf.AmountFen != 10_000 {
			t.Fatalf("refund: %+v", rf)
		}
		if got := decodeInto[refundsJSON](t, env.do(http.MethodGet, "/api/v1/pledges/"+p.PublicID+"/refunds", pe.staffTok, nil)).Refunds; len(got) != 1 || got[0].Status != "processing" {
			t.Fatalf("after WeChat Pay's answer: %+v", got)
		}
		// The same request again is the same refund.
		if again := env.do(http.MethodPost, "/api/v1/pledges/"+p.PublicID+"/refunds", pe.staffTok, map[string]any{"amount_fen": 10_000, "reason": "捐赠人要求部分退款"},
			"Idempotency-Key", "refund-1"); again.Status != http.StatusCreated || decodeInto[refundJSON](t, again).ID != rf.ID {
			t.Fatalf("retried request: %d %s", again.Status, again.Body)
		}
		sent := pe.prov.Refunds()
		if len(sent) != 1 || sent[0].TransactionID != txn || sent[0].AmountFen != 10_000 || sent[0].TotalFen != 30_000 || sent[0].Reason != "捐赠人要求部分退款" ||
			sent[0].OutRefundNo != rf.OutRefundNo || !strings.HasSuffix(sent[0].NotifyURL, "/api/v1/payments/wechat/notify/"+pe.org) {
			t.Fatalf("asked of WeChat Pay: %+v", sent)
		}
		// Recorded in the ledger at once: the fund holds what is left.
		if b := pe.balance(fund); b != 20_000 {
			t.Fatalf("fund balance %d after the refund", b)
		}
		if st, _ := pe.status(p.PublicID); st != "confirmed" {
			t.Fatalf("a part refunded: the pledge is %s", st)
		}
		// WeChat Pay's notification: succeeded; told twice, and an
		// ABNORMAL coming after, change nothing.
		ok := pe.refundNotice(p.Reference, txn, rf.OutRefundNo, sent[0].RefundID, "SUCCESS", 10_000, 30_000)
		for range 2 {
			if r := pe.wechat(ok); r.Status != 204 {
				t.Fatalf("refund notification: %d %s", r.Status, r.Body)
			}
		}
		pe.wechat(pe.refundNotice(p.Reference, txn, rf.OutRefundNo, sent[0].RefundID, "ABNORMAL", 10_000, 30_000))
		refunds := decodeInto[refundsJSON](t, env.do(http.MethodGet, "/api/v1/pledges/"+p.PublicID+"/refunds", pe.donorTok, nil)).Refunds
		if len(refunds) != 1 || refunds[0].Status != "succeeded" || refunds[0].ProviderRefundID != sent[0].RefundID {
			t.Fatalf("refunds: %+v", refunds)
		}
		// A notification of another amount under the refund's number is kept.
		pe.wechat(pe.refundNotice(p.Reference, txn, rf.OutRefundNo, "50300000009", "SUCCESS", 9_999, 30_000))
		if _, ok := pe.exceptions()["refund_differs "+p.Reference]; !ok {
			t.Error("a refund notification of another amount is not kept")
		}

		// More than is left is refused; the rest refunds the pledge.
		if r := env.do(http.MethodPost, "/api/v1/pledges/"+p.PublicID+"/refunds", pe.staffTok, map[string]any{"amount_fen": 20_001, "reason": "多退"}); r.Status != 409 {
			t.Fatalf("over-refund: %d %s", r.Status, r.Body)
		}
		pe.prov.RefundStatus = "SUCCESS"
		if r := env.do(http.MethodPost, "/api/v1/pledges/"+p.PublicID+"/refunds", pe.staffTok, map[string]any{"reason": "全部退回"}); r.Status != 201 ||
			decodeInto[refundJSON](t, r).Status != "succeeded" || decodeInto[refundJSON](t, r).AmountFen != 20_000 {
			t.Fatalf("the rest: %d %s", r.Status, r.Body)
		}
		if st, _ := pe.status(p.PublicID); st != "refunded" {
			t.Fatalf("all refunded: the pledge is %s", st)
		}
		if b := pe.balance(fund); b != 0 {
			t.Fatalf("fund balance %d", b)
		}
		// After the refund: the first payment told again is harmless; a new
		// payment for the refunded pledge is kept.
		if r := pe.wechat(pe.paid(p, txn, 30_000)); r.Status != 204 {
			t.Fatalf("old payment again: %d", r.Status)
		}
		pe.wechat(pe.paid(p, "4200000001202611230101", 30_000))
		if _, ok := pe.exceptions()["pledge_refunded "+p.Reference]; !ok {
			t.Error("a payment after the refund is not kept")
		}
		if b := pe.balance(fund); b != 0 {
			t.Fatalf("fund balance %d after the late payments", b)
		}
		pe.verify()
	})
}

// Alipay's asynchronous notifications in Alipay's format and security:
// success only once recorded; TRADE_FINISHED before or after TRADE_SUCCESS
// confirms once; what does not verify, or names another app or seller, is
// fail; a refund's notification records it.
func TestAlipayNotifications(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		pe := newPayEnv(t, env)
		fund := pe.fund()
		ali := pe.ali
		p := pe.pledge(fund, 8_888)
		const trade = "2026112322001400000001"
		paid := func(status string) map[string]string { return ali.Paid(p.Reference, trade, 8_888, status, pe.at()) }

		for _, tc := range []struct {
			name   string
			form   func() string
			status int
		}{
			{"tampered amount", func() string {
				f := ali.Notify(paid(alipay.TradeSuccess), nil)
				f.Set("total_amount", "8.88")
				return f.Encode()
			}, 401},
			{"signed with the app's own key", func() string { return ali.Notify(paid(alipay.TradeSuccess), ali.AppKey).Encode() }, 401},
			{"signed with another key", func() string { return ali.Notify(paid(alipay.TradeSuccess), paytest.OtherKey()).Encode() }, 401},
			{"another app", func() string {
				m := paid(alipay.TradeSuccess)
				m["app_id"] = "2021000999999999"
				return ali.Notify(m, nil).Encode()
			}, 400},
			{"another seller", func() string {
				m := paid(alipay.TradeSuccess)
				m["seller_id"] = "2088000000009999"
				return ali.Notify(m, nil).Encode()
			}, 400},
		} {
			r := env.do(http.MethodPost, "/api/v1/payments/alipay/notify/"+pe.org, "", tc.form(), "Content-Type", "application/x-www-form-urlencoded")
			if r.Status != tc.status || string(r.Body) != "fail" {
				t.Errorf("%s: %d %q, want %d fail", tc.name, r.Status, r.Body, tc.status)
			}
			if st, _ := pe.status(p.PublicID); st != "pending" {
				t.Fatalf("%s: the pledge is %s", tc.name, st)
			}
		}
		if _, ok := pe.exceptions()["merchant_differs "+p.Reference]; !ok {
			t.Error("a notification of another app is not kept")
		}
		// Waiting for the buyer: nothing to record.
		if r := pe.alipay(ali.Notify(paid(alipay.TradeWaitBuyerPay), nil)); string(r.Body) != "success" {
			t.Fatalf("wait buyer pay: %d %q", r.Status, r.Body)
		}
		if st, _ := pe.status(p.PublicID); st != "pending" {
			t.Fatalf("WAIT_BUYER_PAY confirmed the pledge: %s", st)
		}
		// Out of order: TRADE_FINISHED first confirms, TRADE_SUCCESS after changes nothing.
		for _, status := range []string{alipay.TradeFinished, alipay.TradeSuccess, alipay.TradeSuccess} {
			if r := pe.alipay(ali.Notify(paid(status), nil)); r.Status != 200 || string(r.Body) != "success" {
				t.Fatalf("%s: %d %q", status, r.Status, r.Body)
			}
		}
		if st, via := pe.status(p.PublicID); st != "confirmed" || via != "alipay" {
			t.Fatalf("after paying: %s via %s", st, via)
		}
		if b := pe.balance(fund); b != 8_888 {
			t.Fatalf("fund balance %d", b)
		}
		// Kept, answered success: another amount, another currency, an unknown order.
		q := pe.pledge(fund, 10_000)
		pe.alipay(ali.Notify(ali.Paid(q.Reference, "2026112322001400000002", 1_000, alipay.TradeSuccess, pe.at()), nil))
		usd := ali.Paid(q.Reference, "2026112322001400000003", 10_000, alipay.TradeSuccess, pe.at())
		usd["trans_currency"] = "USD"
		pe.alipay(ali.Notify(usd, nil))
		if r := pe.alipay(ali.Notify(ali.Paid("JJ1111111111", "2026112322001400000004", 10_000, alipay.TradeSuccess, pe.at()), nil)); string(r.Body) != "success" {
			t.Fatalf("unknown order: %q", r.Body)
		}
		exc := pe.exceptions()
		for _, k := range []string{"amount_differs " + q.Reference, "currency_differs " + q.Reference, "unknown_order JJ1111111111"} {
			if e, ok := exc[k]; !ok || e.Channel != "alipay" {
				t.Errorf("%s not kept: %+v", k, e)
			}
		}
		if st, _ := pe.status(q.PublicID); st != "pending" {
			t.Errorf("a wrong payment confirmed the pledge: %s", st)
		}

		// A refund through Alipay: at once, with the trade's number.
		r := env.do(http.MethodPost, "/api/v1/pledges/"+p.PublicID+"/refunds", pe.staffTok, map[string]any{"amount_fen": 888, "reason": "多捐了"})
		rf := decodeInto[refundJSON](t, r)
		if r.Status != 201 || rf.Status != "succeeded" || rf.Channel != "alipay" {
			t.Fatalf("refund: %d %s", r.Status, r.Body)
		}
		if sent := pe.prov.Refunds(); len(sent) != 1 || sent[0].TransactionID != trade || sent[0].AmountFen != 888 || sent[0].OutRefundNo != rf.OutRefundNo {
			t.Fatalf("asked of Alipay: %+v", sent)
		}
		// Alipay's notification of the refund (out_biz_no): success, nothing twice.
		refundNote := paid(alipay.TradeSuccess)
		refundNote["out_biz_no"], refundNote["refund_fee"], refundNote["gmt_refund"] = rf.OutRefundNo, "8.88", alipay.Time(pe.at())
		for range 2 {
			if r := pe.alipay(ali.Notify(refundNote, nil)); string(r.Body) != "success" {
				t.Fatalf("refund notification: %q", r.Body)
			}
		}
		if b := pe.balance(fund); b != 8_000 {
			t.Fatalf("fund balance %d after the refund", b)
		}
		// A refund nobody here asked for.
		refundNote["out_biz_no"] = "MANUAL-REFUND-1"
		pe.alipay(ali.Notify(refundNote, nil))
		if _, ok := pe.exceptions()["unknown_refund "+p.Reference]; !ok {
			t.Error("an unknown Alipay refund is not kept")
		}
		pe.verify()
	})
}

// A refund the provider refuses fails, and staff send it again or record a
// transfer made by hand; trouble that may pass leaves it pending, and the
// job sends it again. A bank pledge's refund waits for staff to record the
// transfer. Whatever happens at the provider, the ledger recorded the
// refund once.
func TestRefundFailuresRetriesAndBankTransfers(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		pe := newPayEnv(t, env)
		fund := pe.fund()
		p := pe.pledge(fund, 5_000)
		pe.wechat(pe.paid(p, "4200000001202611230200", 5_000))

		pe.prov.FailRefunds = "NOT_ENOUGH"
		r := env.do(http.MethodPost, "/api/v1/pledges/"+p.PublicID+"/refunds", pe.staffTok, map[string]any{"reason": "捐赠人要求"})
		rf := decodeInto[refundJSON](t, r)
		if r.Status != 201 || rf.Status != "failed" || !strings.Contains(rf.Error, "NOT_ENOUGH") {
			t.Fatalf("refused refund: %d %s", r.Status, r.Body)
		}
		if b := pe.balance(fund); b != 0 {
			t.Fatalf("the ledger did not record the refund: %d", b)
		}
		pe.prov.FailRefunds = ""
		rr := env.do(http.MethodPost, "/api/v1/refunds/"+rf.ID+"/retry", pe.staffTok, nil)
		again := decodeInto[refundJSON](t, rr)
		if rr.Status != 200 || again.Status != "succeeded" || again.OutRefundNo == rf.OutRefundNo {
			t.Fatalf("retry: %d %s", rr.Status, rr.Body)
		}
		if r := env.do(http.MethodPost, "/api/v1/refunds/"+rf.ID+"/retry", pe.staffTok, nil); r.Status != 409 {
			t.Errorf("a refund done sent again: %d", r.Status)
		}

		// The provider busy: pending, then sent by the job.
		q := pe.pledge(fund, 6_000)
		pe.wechat(pe.paid(q, "4200000001202611230201", 6_000))
		pe.prov.FailRefunds = "SYSTEM_ERROR"
		rq := decodeInto[refundJSON](t, env.do(http.MethodPost, "/api/v1/pledges/"+q.PublicID+"/refunds", pe.staffTok, map[string]any{"reason": "重复捐赠"}))
		if rq.Status != "pending" {
			t.Fatalf("busy provider: %+v", rq)
		}
		pe.prov.FailRefunds = ""
		if n, err := env.paychan.RunRefunds(context.Background()); err != nil || n != 0 {
			t.Fatalf("sent before its time: %d %v", n, err)
		}
		env.advance(61 * time.Second)
		if n, err := env.paychan.RunRefunds(context.Background()); err != nil || n != 1 {
			t.Fatalf("job: %d %v", n, err)
		}
		if got := decodeInto[refundsJSON](t, env.do(http.MethodGet, "/api/v1/pledges/"+q.PublicID+"/refunds", pe.staffTok, nil)).Refunds; got[0].Status != "succeeded" {
			t.Fatalf("after the job: %+v", got)
		}

		// A processing refund the notification never reached: the job asks.
		pe.prov.RefundStatus = "PROCESSING"
		w := pe.pledge(fund, 7_000)
		pe.wechat(pe.paid(w, "4200000001202611230202", 7_000))
		rw := decodeInto[refundJSON](t, env.do(http.MethodPost, "/api/v1/pledges/"+w.PublicID+"/refunds", pe.staffTok, map[string]any{"reason": "退回"}))
		if rw.Status != "processing" {
			t.Fatalf("processing: %+v", rw)
		}
		pe.prov.RefundStatus = "SUCCESS"
		env.advance(11 * time.Minute)
		if _, err := env.paychan.RunRefunds(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := decodeInto[refundsJSON](t, env.do(http.MethodGet, "/api/v1/pledges/"+w.PublicID+"/refunds", pe.staffTok, nil)).Refunds; got[0].Status != "succeeded" {
			t.Fatalf("after asking: %+v", got)
		}

		// A bank pledge: the refund is owed until the transfer is recorded.
		b := pe.pledge(fund, 4_000)
		if _, err := env.funds.ConfirmPledge(context.Background(), pe.staff, b.PublicID); err != nil {
			t.Fatal(err)
		}
		if r := env.do(http.MethodPost, "/api/v1/pledges/"+b.PublicID+"/refunds", pe.staffTok, map[string]any{"amount_fen": 1_000, "reason": "退回", "bank_reference": "a b"}); r.Status != 400 {
			t.Fatalf("a bad reference: %d %s", r.Status, r.Body)
		}
		rb := decodeInto[refundJSON](t, env.do(http.MethodPost, "/api/v1/pledges/"+b.PublicID+"/refunds", pe.staffTok, map[string]any{"amount_fen": 1_000, "reason": "退回"}))
		if rb.Status != "pending" || rb.Channel != "bank" {
			t.Fatalf("bank refund: %+v", rb)
		}
		if r := env.do(http.MethodPost, "/api/v1/refunds/"+rb.ID+"/retry", pe.staffTok, nil); r.Status != 409 {
			t.Errorf("a bank refund sent to a provider: %d", r.Status)
		}
		if r := env.do(http.MethodPost, "/api/v1/refunds/"+rb.ID+"/paid", pe.staffTok, map[string]any{"bank_reference": "ICBC20261123001"}); r.Status != 200 ||
			decodeInto[refundJSON](t, r).Status != "succeeded" {
			t.Fatalf("paid: %d %s", r.Status, r.Body)
		}
		rb2 := decodeInto[refundJSON](t, env.do(http.MethodPost, "/api/v1/pledges/"+b.PublicID+"/refunds", pe.staffTok,
			map[string]any{"reason": "余款退回", "bank_reference": "ICBC20261123002"}))
		if rb2.Status != "succeeded" || rb2.AmountFen != 3_000 {
			t.Fatalf("the rest, transferred: %+v", rb2)
		}
		if st, _ := pe.status(b.PublicID); st != "refunded" {
			t.Fatalf("bank pledge %s", st)
		}
		// A pledge paid through a channel since removed is refused before
		// anything is recorded.
		c := pe.pledge(fund, 2_000)
		pe.wechat(pe.paid(c, "4200000001202611230203", 2_000))
		if r := env.do(http.MethodDelete, "/api/v1/orgs/"+pe.org+"/payment-channels/wechat-pay", pe.staffTok, nil); r.Status != 204 {
			t.Fatalf("remove: %d %s", r.Status, r.Body)
		}
		if r := env.do(http.MethodPost, "/api/v1/pledges/"+c.PublicID+"/refunds", pe.staffTok, map[string]any{"reason": "退回"}); r.Status != 409 {
			t.Fatalf("refund without the channel: %d %s", r.Status, r.Body)
		}
		if st, _ := pe.status(c.PublicID); st != "confirmed" {
			t.Fatalf("refused refund changed the pledge: %s", st)
		}
		// The donor never refunds.
		if r := env.do(http.MethodPost, "/api/v1/pledges/"+c.PublicID+"/refunds", pe.donorTok, map[string]any{"reason": "退回"}); r.Status != 403 {
			t.Errorf("donor: %d", r.Status)
		}
		pe.verify()
	})
}

// Staff enter credentials that are checked field by field, with the keys
// parsed; saved keys are sealed, never returned, and kept when left empty.
func TestPaymentChannelCredentials(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		staffTok, _ := env.user(kernel.RoleFederationStaff, nil)
		org := env.orgs[kernel.OrgCharityFederation].PublicID
		wx, ali := paytest.WeChat(), paytest.Alipay()
		put := func(ch string, body any) response {
			return env.do(http.MethodPut, "/api/v1/orgs/"+org+"/payment-channels/"+ch, staffTok, body)
		}
		expired := paytest.Certificate(wx.PlatformKey, wx.MerchantKey.N, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
		ownCert := paytest.Certificate(wx.MerchantKey, wx.MerchantKey.N, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC))
		for _, tc := range []struct {
			name  string
			edit  func(*paychan.WeChatInput)
			field string
		}{
			{"mchid with letters", func(in *paychan.WeChatInput) { in.MchID = "19000a9191" }, "mchid"},
			{"appid not wx", func(in *paychan.WeChatInput) { in.AppID = "ab" + in.AppID[2:] }, "appid"},
			{"serial not hex", func(in *paychan.WeChatInput) { in.SerialNo = "XYZ12345" }, "serial_no"},
			{"APIv3 key of 31", func(in *paychan.WeChatInput) { in.APIv3Key = in.APIv3Key[:31] }, "api_v3_key"},
			{"a certificate as the private key", func(in *paychan.WeChatInput) { in.PrivateKey = wx.PlatformCert }, "private_key"},
			{"no verification key", func(in *paychan.WeChatInput) { in.PlatformCertificate = "" }, "platform_certificate"},
			{"expired certificate", func(in *paychan.WeChatInput) { in.PlatformCertificate = expired }, "platform_certificate"},
			{"the merchant's own certificate", func(in *paychan.WeChatInput) { in.PlatformCertificate = ownCert }, "platform_certificate"},
			{"a private key as the certificate", func(in *paychan.WeChatInput) { in.PlatformCertificate = paytest.PEM(wx.PlatformKey) }, "platform_certificate"},
			{"public key without its id", func(in *paychan.WeChatInput) { in.PublicKey = paytest.PublicPEM(&wx.PayKey.PublicKey) }, "public_key_id"},
		} {
			in := wx.Input()
			tc.edit(&in)
			r := put("wechat-pay", in)
			var e errorBody
			_ = json.Unmarshal(r.Body, &e)
			if r.Status != 400 || e.Error.Fields[tc.field] == "" {
				t.Errorf("%s: %d %s, want 400 naming %s", tc.name, r.Status, r.Body, tc.field)
			}
		}
		for _, tc := range []struct {
			name  string
			edit  func(*paychan.AlipayInput)
			field string
		}{
			{"app id of 15", func(in *paychan.AlipayInput) { in.AppID = in.AppID[:15] }, "app_id"},
			{"seller not 2088", func(in *paychan.AlipayInput) { in.SellerID = "1088102170000001" }, "seller_id"},
			{"the app's public key as Alipay's", func(in *paychan.AlipayInput) { in.AlipayPublicKey = paytest.PublicPEM(&ali.AppKey.PublicKey) }, "alipay_public_key"},
			{"garbage private key", func(in *paychan.AlipayInput) { in.PrivateKey = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" }, "app_private_key"},
		} {
			in := ali.Input()
			tc.edit(&in)
			r := put("alipay", in)
			var e errorBody
			_ = json.Unmarshal(r.Body, &e)
			if r.Status != 400 || e.Error.Fields[tc.field] == "" {
				t.Errorf("%s: %d %s, want 400 naming %s", tc.name, r.Status, r.Body, tc.field)
			}
		}
		// Nothing was saved by the refusals.
		for _, v := range decodeInto[payChannelsJSON](t, env.do(http.MethodGet, "/api/v1/orgs/"+org+"/payment-channels", staffTok, nil)).Channels {
			if v.Configured {
				t.Fatalf("a refused form saved %s", v.Channel)
			}
		}
		// The first save needs the keys.
		in := wx.Input()
		in.APIv3Key, in.PrivateKey = "", ""
		if r := put("wechat-pay", in); r.Status != 400 {
			t.Fatalf("first save without keys: %d", r.Status)
		}
		if r := put("wechat-pay", wx.Input()); r.Status != 200 {
			t.Fatalf("save: %d %s", r.Status, r.Body)
		}
		if r := put("alipay", ali.Input()); r.Status != 200 {
			t.Fatalf("save: %d %s", r.Status, r.Body)
		}
		// Changing the ids only keeps the keys.
		in = paychan.WeChatInput{MchID: wx.MchID, AppID: wx.AppID, SerialNo: strings.ToLower(wx.SerialNo)}
		if r := put("wechat-pay", in); r.Status != 200 {
			t.Fatalf("ids only: %d %s", r.Status, r.Body)
		}
		got := env.do(http.MethodGet, "/api/v1/orgs/"+org+"/payment-channels", staffTok, nil)
		for _, secret := range []string{wx.APIv3Key, "PRIVATE KEY", "CERTIFICATE", "PUBLIC KEY"} {
			if strings.Contains(string(got.Body), secret) {
				t.Errorf("the API returns %q", secret)
			}
		}
		views := decodeInto[payChannelsJSON](t, got).Channels
		if !views[0].Configured || views[0].Details.PlatformSerial != wx.PlatformSerial || views[0].Details.SerialNo != wx.SerialNo || !views[1].Configured || views[1].MerchantID != ali.SellerID {
			t.Fatalf("views: %+v", views)
		}
		// Sealed at rest: no key in the table.
		var rows []struct {
			SecretsCT []byte
			Details   string
		}
		env.db.Gorm.Raw("SELECT secrets_ct, details FROM payment_merchants").Scan(&rows)
		if len(rows) != 2 {
			t.Fatalf("%d rows", len(rows))
		}
		for _, r := range rows {
			if strings.Contains(string(r.SecretsCT), wx.APIv3Key) || strings.Contains(string(r.SecretsCT), "PRIVATE") || strings.Contains(r.Details, "PRIVATE") {
				t.Error("a key is stored in the clear")
			}
		}
		// Keys kept: a notification still verifies and decrypts.
		pe := &payEnv{t: t, env: env, wx: wx, org: org}
		pe.donorTok, pe.donor = env.user(kernel.RoleDonor, nil)
		_, pe.staff = env.user(kernel.RoleFederationStaff, nil)
		p := pe.pledge(pe.fund(), 100)
		if r := pe.wechat(pe.paid(p, "4200000001202611230300", 100)); r.Status != 204 {
			t.Fatalf("after saving ids only: %d %s", r.Status, r.Body)
		}
		// The audit log says who changed which, never a key.
		var details []string
		env.db.Gorm.Raw("SELECT detail FROM audit_log WHERE action = ?", "org.payment_channel.set").Scan(&details)
		if len(details) != 3 {
			t.Fatalf("%d audit entries", len(details))
		}
		for _, d := range details {
			if strings.Contains(d, "PRIVATE") || strings.Contains(d, wx.APIv3Key) {
				t.Errorf("the audit log holds a key: %s", d)
			}
		}
	})
}

func orgNamed(name string, kind kernel.OrgKind, region string) marketplace.NewOrg {
	return marketplace.NewOrg{Name: name, Kind: kind, RegionCode: region}
}
