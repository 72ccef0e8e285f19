package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/funds/paychan"
	pstore "github.com/jiujinan/jiujinan/funds/paychan/gormstore"
	"github.com/jiujinan/jiujinan/funds/paychan/paytest"
	"github.com/jiujinan/jiujinan/funds/paychan/wechatpay"
	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/sqldb"
)

func init() {
	addRouteAccess(map[string][]string{
		"GET /api/v1/orgs/:id/payment-channels":             {"admin", "federation_staff"},
		"PUT /api/v1/orgs/:id/payment-channels/wechat-pay":  {"admin", "federation_staff"},
		"PUT /api/v1/orgs/:id/payment-channels/alipay":      {"admin", "federation_staff"},
		"DELETE /api/v1/orgs/:id/payment-channels/:channel": {"admin", "federation_staff"},
		"POST /api/v1/pledges/:id/payments":                 {"donor"},
		"POST /api/v1/payments/wechat/notify/:org":          {"*"},
		"POST /api/v1/payments/alipay/notify/:org":          {"*"},
		"POST /api/v1/pledges/:id/refunds":                  {"federation_staff"},
		"GET /api/v1/pledges/:id/refunds":                   {"signed_in"},
		"POST /api/v1/refunds/:id/paid":                     {"federation_staff"},
		"POST /api/v1/refunds/:id/retry":                    {"federation_staff"},
		"GET /api/v1/payment-exceptions":                    {"federation_staff"},
		"POST /api/v1/payment-exceptions/:id/resolve":       {"federation_staff"},
	})
	for k, v := range map[string]string{
		// Staff set their own organization's channels; an administrator any's.
		"GET /api/v1/orgs/:id/payment-channels":             "own_org",
		"PUT /api/v1/orgs/:id/payment-channels/wechat-pay":  "own_org",
		"PUT /api/v1/orgs/:id/payment-channels/alipay":      "own_org",
		"DELETE /api/v1/orgs/:id/payment-channels/:channel": "own_org",
		"POST /api/v1/pledges/:id/payments":                 "own_record",
		// The provider's signature with the organization's keys is the scope.
		"POST /api/v1/payments/wechat/notify/:org":    "none",
		"POST /api/v1/payments/alipay/notify/:org":    "none",
		"POST /api/v1/pledges/:id/refunds":            "own_org",
		"GET /api/v1/pledges/:id/refunds":             "own_record|own_org",
		"POST /api/v1/refunds/:id/paid":               "own_org",
		"POST /api/v1/refunds/:id/retry":              "own_org",
		"GET /api/v1/payment-exceptions":              "own_org",
		"POST /api/v1/payment-exceptions/:id/resolve": "own_org",
	} {
		routeScope[k] = v
	}
	for k, f := range map[string]func(fx *scopeFixture) []scopeCall{
		"GET /api/v1/orgs/:id/payment-channels": func(fx *scopeFixture) []scopeCall {
			return []scopeCall{{who: fx.staffB, path: "/api/v1/orgs/" + fx.fedOrg + "/payment-channels", want: 404}}
		},
		"PUT /api/v1/orgs/:id/payment-channels/wechat-pay": func(fx *scopeFixture) []scopeCall {
			return []scopeCall{{who: fx.staffB, path: "/api/v1/orgs/" + fx.fedOrg + "/payment-channels/wechat-pay", body: paytest.WeChat().Input(), want: 404}}
		},
		"PUT /api/v1/orgs/:id/payment-channels/alipay": func(fx *scopeFixture) []scopeCall {
			return []scopeCall{{who: fx.staffB, path: "/api/v1/orgs/" + fx.fedOrg + "/payment-channels/alipay", body: paytest.Alipay().Input(), want: 404}}
		},
		"DELETE /api/v1/orgs/:id/payment-channels/:channel": func(fx *scopeFixture) []scopeCall {
			return []scopeCall{{who: fx.staffB, path: "/api/v1/orgs/" + fx.fedOrg + "/payment-channels/wechat-pay", want: 404}}
		},
		"POST /api/v1/pledges/:id/payments": func(fx *scopeFixture) []scopeCall {
			return []scopeCall{{who: fx.donorB, path: "/api/v1/pledges/" + fx.pay.pending + "/payments", body: map[string]any{"method": "wechat_native"}, want: 404}}
		},
		"POST /api/v1/pledges/:id/refunds": func(fx *scopeFixture) []scopeCall {
			return []scopeCall{{who: fx.staffB, path: "/api/v1/pledges/" + fx.pay.paid + "/refunds", body: map[string]any{"reason": "捐赠人要求"}, want: 404}}
		},
		"GET /api/v1/pledges/:id/refunds": func(fx *scopeFixture) []scopeCall {
			p := "/api/v1/pledges/" + fx.pay.refunded + "/refunds"
			return []scopeCall{{who: fx.staffB, path: p, want: 404}, {who: fx.donorB, path: p, want: 404}}
		},
		"POST /api/v1/refunds/:id/paid": func(fx *scopeFixture) []scopeCall {
			return []scopeCall{{who: fx.staffB, path: "/api/v1/refunds/" + fx.pay.refund + "/paid", body: map[string]any{"bank_reference": "TX20261123"}, want: 404}}
		},
		"POST /api/v1/refunds/:id/retry": func(fx *scopeFixture) []scopeCall {
			return []scopeCall{{who: fx.staffB, path: "/api/v1/refunds/" + fx.pay.refund + "/retry", want: 404}}
		},
		"GET /api/v1/payment-exceptions": func(fx *scopeFixture) []scopeCall {
			return []scopeCall{{who: fx.staffB, path: "/api/v1/payment-exceptions?status=all", want: 200, absent: fx.pay.exception}}
		},
		"POST /api/v1/payment-exceptions/:id/resolve": func(fx *scopeFixture) []scopeCall {
			return []scopeCall{{who: fx.staffB, path: "/api/v1/payment-exceptions/" + fx.pay.exception + "/resolve", body: map[string]any{"note": "已核对"}, want: 404}}
		},
	} {
		scopeProbes[k] = f
	}
	for k, f := range map[string]func(fx *scopeFixture) []scopeCall{
		"POST /my/pledges/:id/pay": func(fx *scopeFixture) []scopeCall {
			return []scopeCall{{who: fx.donorB, path: "/my/pledges/" + fx.pay.pending + "/pay", body: map[string]string{"method": "wechat_native"}, want: 404}}
		},
		"POST /staff/pledges/:id/refunds": func(fx *scopeFixture) []scopeCall {
			return []scopeCall{{who: fx.staffB, path: "/staff/pledges/" + fx.pay.paid + "/refunds", body: map[string]string{"reason": "捐赠人要求"}, want: 404}}
		},
		"POST /staff/refunds/:id/paid": func(fx *scopeFixture) []scopeCall {
			return []scopeCall{{who: fx.staffB, path: "/staff/refunds/" + fx.pay.refund + "/paid", body: map[string]string{"bank_reference": "TX20261123"}, want: 404}}
		},
		"POST /staff/refunds/:id/retry": func(fx *scopeFixture) []scopeCall {
			return []scopeCall{{who: fx.staffB, path: "/staff/refunds/" + fx.pay.refund + "/retry", body: map[string]string{}, want: 404}}
		},
		"POST /staff/payments/:id/resolve": func(fx *scopeFixture) []scopeCall {
			return []scopeCall{{who: fx.staffB, path: "/staff/payments/" + fx.pay.exception + "/resolve", body: map[string]string{"note": "已核对"}, want: 404}}
		},
		"GET /staff/payments": func(fx *scopeFixture) []scopeCall {
			return []scopeCall{{who: fx.staffB, path: "/staff/payments?all=1", want: 200, absent: fx.pay.exception}}
		},
		"GET /staff/pledge-lookup": func(fx *scopeFixture) []scopeCall {
			return []scopeCall{{who: fx.staffB, path: "/staff/pledge-lookup?ref=" + fx.pay.paidRef, want: 404, absent: fx.pay.paid}}
		},
	} {
		pageScopeProbes[k] = f
	}
}

// newTestPaychan is the payment channels of a test server: offered (a
// public address is set) against providers nobody answers at, until a test
// points them at a stand-in (payEnv).
func newTestPaychan(db *sqldb.DB, f *funds.Service, now func() time.Time, log *slog.Logger) *paychan.Service {
	return paychan.NewService(pstore.New(db), f, f.Cipher, paychan.Config{PublicURL: "https://jiujinan.test",
		WeChatBaseURL: "http://127.0.0.1:9", AlipayGateway: "http://127.0.0.1:9/gateway.do"}, now, testID, log)
}

// paychanScope are the scope fixture's objects of the payment channels,
// all of the charity federation of 郓城县 (fx.fedOrg): a pending pledge, one
// paid by WeChat Pay, a bank pledge refunded with its refund still to
// transfer, and a notification kept for reconciliation.
type paychanScope struct {
	pending, paid, paidRef, refunded, refund, exception string
}

func newPaychanScope(t *testing.T, env *testEnv, fx *scopeFixture) *paychanScope {
	t.Helper()
	pe := newPayEnv(t, env)
	ps := &paychanScope{}
	ps.pending = pe.pledge(fx.fund, 1_000).PublicID
	paid := pe.pledge(fx.fund, 2_000)
	ps.paid, ps.paidRef = paid.PublicID, paid.Reference
	if r := pe.wechat(pe.wx.PaidNotification(pe.wx.Paid(paid.Reference, "4200000000000001", 2_000, pe.at()), paytest.NotificationOpts{At: pe.at()})); r.Status != 204 {
		t.Fatalf("pay: %d %s", r.Status, r.Body)
	}
	bank := pe.pledge(fx.fund, 3_000)
	if _, err := env.funds.ConfirmPledge(context.Background(), pe.staff, bank.PublicID); err != nil {
		t.Fatal(err)
	}
	ps.refunded = bank.PublicID
	r := env.do(http.MethodPost, "/api/v1/pledges/"+bank.PublicID+"/refunds", pe.staffTok, map[string]any{"reason": "捐赠人要求退款"})
	if r.Status != http.StatusCreated {
		t.Fatalf("refund: %d %s", r.Status, r.Body)
	}
	ps.refund = r.JSON(t)["id"].(string)
	pe.wechat(pe.wx.PaidNotification(pe.wx.Paid("JJNOSUCHORDER", "4200000000000002", 100, pe.at()), paytest.NotificationOpts{At: pe.at()}))
	es := decodeInto[exceptionsJSON](t, env.do(http.MethodGet, "/api/v1/payment-exceptions", pe.staffTok, nil)).Exceptions
	if len(es) != 1 {
		t.Fatalf("exceptions: %+v", es)
	}
	ps.exception = es[0].ID
	return ps
}

// payEnv is a test server whose 郓城县 charity federation takes WeChat Pay
// and Alipay through a local stand-in of both providers.
type payEnv struct {
	t        *testing.T
	env      *testEnv
	prov     *paytest.Provider
	wx       *paytest.WeChatKeys
	ali      *paytest.AlipayKeys
	org      string
	staff    *kernel.Principal
	staffTok string
	donorTok string
	donor    *kernel.Principal
}

func newPayEnv(t *testing.T, env *testEnv) *payEnv {
	t.Helper()
	pe := &payEnv{t: t, env: env, prov: paytest.NewProvider(t), wx: paytest.WeChat(), ali: paytest.Alipay(),
		org: env.orgs[kernel.OrgCharityFederation].PublicID}
	pe.prov.Now = func() time.Time { return *env.now.Load() }
	env.paychan.Config.WeChatBaseURL, env.paychan.Config.AlipayGateway = pe.prov.URL, pe.prov.GatewayURL()
	pe.staffTok, pe.staff = env.user(kernel.RoleFederationStaff, nil)
	pe.donorTok, pe.donor = env.user(kernel.RoleDonor, nil)
	if r := env.do(http.MethodPut, "/api/v1/orgs/"+pe.org+"/payment-channels/wechat-pay", pe.staffTok, pe.wx.Input()); r.Status != 200 {
		t.Fatalf("wechat pay: %d %s", r.Status, r.Body)
	}
	if r := env.do(http.MethodPut, "/api/v1/orgs/"+pe.org+"/payment-channels/alipay", pe.staffTok, pe.ali.Input()); r.Status != 200 {
		t.Fatalf("alipay: %d %s", r.Status, r.Body)
	}
	return pe
}

func (pe *payEnv) at() time.Time { return *pe.env.now.Load() }

// signIn gives staff and donor new tokens (they live an hour) after the
// clock moved.
func (pe *payEnv) signIn() {
	pe.staffTok, pe.donorTok = pe.env.token(pe.staff), pe.env.token(pe.donor)
}

// fund is a fund of the federation, for pledges to go to.
func (pe *payEnv) fund() string {
	pe.t.Helper()
	f, err := pe.env.funds.CreateSource(context.Background(), pe.staff, funds.NewSource{Kind: funds.KindFund, Name: "助学基金", Namer: "爱心企业", Purpose: "助学"})
	if err != nil {
		pe.t.Fatal(err)
	}
	return f.PublicID
}

// pledge is the donor's pending pledge of fen to the fund.
func (pe *payEnv) pledge(fund string, fen int64) *funds.Pledge {
	pe.t.Helper()
	p, err := pe.env.funds.CreatePledge(context.Background(), pe.donor, funds.NewPledge{TargetType: funds.TargetFund, TargetID: fund, AmountFen: fen}, nil)
	if err != nil {
		pe.t.Fatal(err)
	}
	return p
}

// status reads a pledge as its donor.
func (pe *payEnv) status(id string) (string, string) {
	pe.t.Helper()
	m := pe.env.do(http.MethodGet, "/api/v1/pledges/"+id, pe.donorTok, nil).JSON(pe.t)
	via, _ := m["confirmed_via"].(string)
	return m["status"].(string), via
}

// wechat delivers a WeChat Pay notification to the federation.
func (pe *payEnv) wechat(n paytest.Signed) response {
	pe.t.Helper()
	var h []string
	for k := range n.Header {
		h = append(h, k, n.Header.Get(k))
	}
	return pe.env.do(http.MethodPost, "/api/v1/payments/wechat/notify/"+pe.org, "", n.Body, h...)
}

// alipay delivers an Alipay notification to the federation.
func (pe *payEnv) alipay(form url.Values) response {
	pe.t.Helper()
	return pe.env.do(http.MethodPost, "/api/v1/payments/alipay/notify/"+pe.org, "", form.Encode(), "Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
}

// exceptions lists the federation's kept notifications by code.
func (pe *payEnv) exceptions() map[string]exceptionJSON {
	pe.t.Helper()
	out := map[string]exceptionJSON{}
	for _, e := range decodeInto[exceptionsJSON](pe.t, pe.env.do(http.MethodGet, "/api/v1/payment-exceptions?status=all", pe.staffTok, nil)).Exceptions {
		out[e.Code+" "+e.OutTradeNo] = e
	}
	return out
}

// balance is a fund's balance.
func (pe *payEnv) balance(fund string) int64 {
	pe.t.Helper()
	return int64(pe.env.do(http.MethodGet, "/api/v1/funds/"+fund, "", nil).JSON(pe.t)["balance_fen"].(float64))
}

// verify fails the test unless the ledger is proven.
func (pe *payEnv) verify() {
	pe.t.Helper()
	problems, _, err := pe.env.funds.VerifyLedger(context.Background())
	if err != nil {
		pe.t.Fatal(err)
	}
	for _, p := range problems {
		pe.t.Errorf("ledger: %s", p)
	}
}

// paid is a WeChat Pay TRANSACTION.SUCCESS of a pledge signed now.
func (pe *payEnv) paid(p *funds.Pledge, txn string, fen int64) paytest.Signed {
	return pe.wx.PaidNotification(pe.wx.Paid(p.Reference, txn, fen, pe.at()), paytest.NotificationOpts{At: pe.at()})
}

// refundNotice is a WeChat Pay REFUND.<status> signed now.
func (pe *payEnv) refundNotice(ref, txn, outRefundNo, refundID, status string, refund, total int64) paytest.Signed {
	return pe.wx.RefundNotification(wechatpay.RefundResult{RefundID: refundID, OutRefundNo: outRefundNo, TransactionID: txn, OutTradeNo: ref,
		RefundStatus: status, Amount: wechatpay.Amount{Total: total, Refund: refund}}, paytest.NotificationOpts{At: pe.at()})
}
