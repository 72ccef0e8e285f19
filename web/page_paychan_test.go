package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/funds/paychan/paytest"
	"github.com/jiujinan/jiujinan/kernel"
)

// beside reports whether body says want after the field with id and
// before the next label: the message is beside its field.
func beside(body, id, want string) bool {
	i := strings.Index(body, `id="`+id+`"`)
	if i < 0 {
		return false
	}
	rest := body[i:]
	if next := strings.Index(rest[1:], "<label"); next >= 0 {
		rest = rest[:next+1]
	}
	return strings.Contains(rest, want)
}

// Staff enter their charity's merchant credentials on /staff/org: what is
// wrong is said beside its field in Chinese, nothing is saved, and the
// keys are never sent back; once saved the page says 已配置 with the ids
// and the addresses to enter at the providers, and no key.
func TestStaffOrgPaymentChannelForms(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	_, staff := env.user(kernel.RoleFederationStaff, nil)
	org := env.orgs[kernel.OrgCharityFederation].PublicID
	b := newBrowser(env)
	b.login(staff)
	wx, ali := paytest.WeChat(), paytest.Alipay()

	page := b.do(http.MethodGet, "/staff/org", nil).Body.String()
	for _, want := range []string{"微信支付和支付宝", "尚未配置", "https://jiujinan.test/api/v1/payments/wechat/notify/" + org, "https://jiujinan.test/api/v1/payments/alipay/notify/" + org} {
		if !strings.Contains(page, want) {
			t.Errorf("/staff/org does not say %q", want)
		}
	}
	in := wx.Input()
	r := b.form("/staff/org/wechat-pay", url.Values{"org": {org}, "mchid": {"19000a9191"}, "appid": {in.AppID}, "serial_no": {in.SerialNo},
		"api_v3_key": {"short"}, "private_key": {wx.PlatformCert}, "platform_certificate": {paytest.PEM(wx.PlatformKey)}})
	body := r.Body.String()
	if r.Code != http.StatusBadRequest {
		t.Fatalf("bad form: %d", r.Code)
	}
	for id, want := range map[string]string{"wx-mchid": "商户号应为8到12位数字", "wx-v3": "APIv3 密钥应为32位字母或数字",
		"wx-key": "不是商户API私钥", "wx-cert": "不是微信支付平台证书"} {
		if !beside(body, id, want) {
			t.Errorf("beside %s the form does not say %q", id, want)
		}
	}
	if strings.Contains(body, "PRIVATE KEY") || strings.Contains(body, "BEGIN CERTIFICATE") {
		t.Error("the form sends a key back")
	}
	if !strings.Contains(body, `value="19000a9191"`) {
		t.Error("the ids entered are not kept in the form")
	}
	r = b.form("/staff/org/alipay", url.Values{"org": {org}, "app_id": {ali.AppID}, "seller_id": {ali.SellerID},
		"app_private_key": {ali.Input().PrivateKey}, "alipay_public_key": {paytest.PublicPEM(&ali.AppKey.PublicKey)}})
	if r.Code != http.StatusBadRequest || !beside(r.Body.String(), "ali-pub", "这是应用自己的公钥") {
		t.Errorf("Alipay with the app's own key: %d", r.Code)
	}
	views, err := env.paychan.ChannelViews(context.Background(), staff, org)
	if err != nil || views[0].Configured || views[1].Configured {
		t.Fatalf("a refused form saved: %+v %v", views, err)
	}

	r = b.form("/staff/org/wechat-pay", url.Values{"org": {org}, "mchid": {in.MchID}, "appid": {in.AppID}, "serial_no": {in.SerialNo},
		"api_v3_key": {in.APIv3Key}, "private_key": {in.PrivateKey}, "platform_certificate": {in.PlatformCertificate}})
	if r.Code != http.StatusSeeOther {
		t.Fatalf("save: %d %s", r.Code, visibleText(r.Body.String()))
	}
	ain := ali.Input()
	if r := b.form("/staff/org/alipay", url.Values{"org": {org}, "app_id": {ain.AppID}, "seller_id": {ain.SellerID},
		"app_private_key": {ain.PrivateKey}, "alipay_public_key": {ain.AlipayPublicKey}}); r.Code != http.StatusSeeOther {
		t.Fatalf("save alipay: %d", r.Code)
	}
	page = b.do(http.MethodGet, "/staff/org", nil).Body.String()
	for _, want := range []string{"已配置", wx.MchID, wx.AppID, wx.PlatformSerial, ali.AppID, ali.SellerID, "留空则保持不变"} {
		if !strings.Contains(page, want) {
			t.Errorf("after saving, /staff/org does not show %q", want)
		}
	}
	for _, secret := range []string{wx.APIv3Key, "PRIVATE KEY", "BEGIN CERTIFICATE", "PUBLIC KEY", ain.PrivateKey[:40]} {
		if strings.Contains(page, secret) {
			t.Errorf("the page shows a key (%q)", secret[:min(len(secret), 20)])
		}
	}
	// Another federation's staff cannot open or change it.
	fedB, err := env.accounts.CreateOrg(context.Background(), env.admin, orgNamed("隆回县慈善总会", kernel.OrgCharityFederation, "430524"))
	if err != nil {
		t.Fatal(err)
	}
	_, staffB := env.user(kernel.RoleFederationStaff, fedB)
	other := newBrowser(env)
	other.login(staffB)
	if r := other.form("/staff/org/wechat-pay", url.Values{"org": {org}, "mchid": {"1900000001"}}); r.Code != http.StatusNotFound {
		t.Errorf("another federation's staff: %d", r.Code)
	}
	if r := other.form("/staff/org/payment-channels/remove", url.Values{"org": {org}, "channel": {"wechat_pay"}}); r.Code != http.StatusNotFound {
		t.Errorf("another federation's staff removes: %d", r.Code)
	}
	// Removing a channel takes it off.
	if r := b.form("/staff/org/payment-channels/remove", url.Values{"org": {org}, "channel": {"alipay"}}); r.Code != http.StatusSeeOther {
		t.Fatalf("remove: %d", r.Code)
	}
	if views, _ := env.paychan.ChannelViews(context.Background(), staff, org); views[1].Configured || !views[0].Configured {
		t.Errorf("after removing Alipay: %+v", views)
	}
}

// Staff refund from the pledge page: a part with a reason, through the
// channel the money came by; the form says what is wrong beside its
// field; the refund and its status show to staff and to the donor, and
// the money still owed on /staff/payments, with the notifications kept.
func TestRefundFromThePledgePage(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	pe := newPayEnv(t, env)
	fund := pe.fund()
	p := pe.pledge(fund, 20_000)
	if r := pe.wechat(pe.paid(p, "4200000001202611230400", 20_000)); r.Status != 204 {
		t.Fatalf("pay: %d", r.Status)
	}
	staff := newBrowser(env)
	staff.login(pe.staff)
	page := staff.do(http.MethodGet, "/my/pledges/"+p.PublicID, nil).Body.String()
	if !strings.Contains(page, "原路退回捐赠人的微信") || !strings.Contains(page, `action="/staff/pledges/`+p.PublicID+`/refunds"`) {
		t.Fatalf("no refund form for staff: %s", visibleText(page))
	}
	r := staff.form("/staff/pledges/"+p.PublicID+"/refunds", url.Values{"amount": {"一百"}, "reason": {""}, "idempotency_key": {testID()}})
	if r.Code != http.StatusBadRequest || !beside(r.Body.String(), "refund-amount", "请填写以元计的金额") || !beside(r.Body.String(), "refund-reason", "必填") {
		t.Fatalf("bad form: %d %s", r.Code, visibleText(r.Body.String()))
	}
	r = staff.form("/staff/pledges/"+p.PublicID+"/refunds", url.Values{"amount": {"300"}, "reason": {"多捐"}, "idempotency_key": {testID()}})
	if r.Code != http.StatusConflict || !strings.Contains(visibleText(r.Body.String()), "最多还能退 ¥200.00") {
		t.Fatalf("over: %d %s", r.Code, visibleText(r.Body.String()))
	}
	key := testID()
	for range 2 { // a double submit refunds once
		r = staff.form("/staff/pledges/"+p.PublicID+"/refunds", url.Values{"amount": {"50"}, "reason": {"捐赠人要求部分退款"}, "idempotency_key": {key}})
		if r.Code != http.StatusSeeOther {
			t.Fatalf("refund: %d %s", r.Code, visibleText(r.Body.String()))
		}
	}
	if sent := pe.prov.Refunds(); len(sent) != 1 || sent[0].AmountFen != 5_000 {
		t.Fatalf("sent to WeChat Pay: %+v", sent)
	}
	page = staff.do(http.MethodGet, "/my/pledges/"+p.PublicID, nil).Body.String()
	for _, want := range []string{"已退款", "¥50.00", "捐赠人要求部分退款", "最多可退 ¥150.00"} {
		if !strings.Contains(visibleText(page), want) {
			t.Errorf("staff's pledge page does not say %q", want)
		}
	}
	donor := newBrowser(env)
	donor.login(pe.donor)
	page = donor.do(http.MethodGet, "/my/pledges/"+p.PublicID, nil).Body.String()
	if !strings.Contains(visibleText(page), "已退款") || strings.Contains(page, "/refunds\"") {
		t.Errorf("the donor's page: %s", visibleText(page))
	}
	// A bank pledge's refund is owed until staff record the transfer.
	bp := pe.pledge(fund, 3_000)
	if _, err := env.funds.ConfirmPledge(context.Background(), pe.staff, bp.PublicID); err != nil {
		t.Fatal(err)
	}
	if r := staff.form("/staff/pledges/"+bp.PublicID+"/refunds", url.Values{"reason": {"退回"}, "idempotency_key": {testID()}}); r.Code != http.StatusSeeOther {
		t.Fatalf("bank refund: %d", r.Code)
	}
	owed := staff.do(http.MethodGet, "/staff/payments", nil).Body.String()
	if !strings.Contains(owed, bp.Reference) || !strings.Contains(visibleText(owed), "待退款") {
		t.Fatalf("/staff/payments does not list the refund owed: %s", visibleText(owed))
	}
	rs, err := env.funds.Refunds(context.Background(), pe.staff, bp.PublicID)
	if err != nil || len(rs) != 1 {
		t.Fatal(rs, err)
	}
	if r := staff.form("/staff/refunds/"+rs[0].PublicID+"/paid", url.Values{"bank_reference": {"x"}}); r.Code != http.StatusBadRequest {
		t.Errorf("a bad reference: %d", r.Code)
	}
	if r := staff.form("/staff/refunds/"+rs[0].PublicID+"/paid", url.Values{"bank_reference": {"ICBC20261123001"}}); r.Code != http.StatusSeeOther {
		t.Fatalf("paid: %d", r.Code)
	}
	if owed := staff.do(http.MethodGet, "/staff/payments", nil).Body.String(); strings.Contains(owed, bp.Reference) {
		t.Error("a refund paid is still listed as owed")
	}
	// A notification kept for reconciliation, resolved from the page.
	pe.wechat(pe.wx.PaidNotification(pe.wx.Paid("JJ2222222222", "4200000001202611230401", 100, pe.at()), paytest.NotificationOpts{At: pe.at()}))
	list := staff.do(http.MethodGet, "/staff/payments", nil).Body.String()
	if !strings.Contains(visibleText(list), "找不到这个订单号对应的认捐") || !strings.Contains(list, "JJ2222222222") {
		t.Fatalf("the exception is not listed: %s", visibleText(list))
	}
	e := pe.exceptions()["unknown_order JJ2222222222"]
	if r := staff.form("/staff/payments/"+e.ID+"/resolve", url.Values{"note": {""}}); r.Code != http.StatusBadRequest {
		t.Errorf("resolve without a note: %d", r.Code)
	}
	if r := staff.form("/staff/payments/"+e.ID+"/resolve", url.Values{"note": {"已在商户平台退回"}}); r.Code != http.StatusSeeOther {
		t.Fatalf("resolve: %d", r.Code)
	}
	if list := staff.do(http.MethodGet, "/staff/payments", nil).Body.String(); strings.Contains(list, "JJ2222222222") {
		t.Error("a resolved exception is still open")
	}
	if all := staff.do(http.MethodGet, "/staff/payments?all=1", nil).Body.String(); !strings.Contains(all, "已在商户平台退回") {
		t.Error("the resolution note is not shown")
	}
	// Finding a donation by the reference a donor quotes.
	if r := staff.do(http.MethodGet, "/staff/pledge-lookup?ref="+strings.ToLower(p.Reference), nil); r.Code != http.StatusSeeOther || r.Header().Get("Location") != "/my/pledges/"+p.PublicID {
		t.Errorf("lookup: %d %s", r.Code, r.Header().Get("Location"))
	}
	if r := staff.do(http.MethodGet, "/staff/pledge-lookup?ref=JJ0000000000", nil); r.Code != http.StatusNotFound || !strings.Contains(visibleText(r.Body.String()), "没有参考号为 JJ0000000000") {
		t.Errorf("unknown reference: %d", r.Code)
	}
	pe.verify()
}

// The donor's pay forms: a computer's QR code comes back on the pledge
// page; Alipay's page and a phone's WeChat Pay give the way on to the
// provider (a form may not leave the site itself); a provider that does
// not answer is said in Chinese, with the bank transfer still there; a
// pledge no longer pending, or someone else's, is not paid.
func TestDonorPayForms(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	pe := newPayEnv(t, env)
	fund := pe.fund()
	p := pe.pledge(fund, 12_300)
	d := newBrowser(env)
	d.login(pe.donor)
	page := d.do(http.MethodGet, "/my/pledges/"+p.PublicID, nil).Body.String()
	for _, want := range []string{`id="pay-wechat_native"`, `id="pay-alipay_page"`, `href="/my/pledges/` + p.PublicID + `?device=phone#pay-online"`} {
		if !strings.Contains(page, want) {
			t.Errorf("a computer's pledge page lacks %s", want)
		}
	}
	phone := d.do(http.MethodGet, "/my/pledges/"+p.PublicID+"?device=phone", nil).Body.String()
	if !strings.Contains(phone, `id="pay-wechat_h5"`) || !strings.Contains(phone, `id="pay-alipay_wap"`) || strings.Contains(phone, `id="pay-wechat_native"`) {
		t.Errorf("a phone's pledge page: %s", visibleText(phone))
	}
	r := d.form("/my/pledges/"+p.PublicID+"/pay", url.Values{"method": {"wechat_native"}, "device": {"pc"}})
	if r.Code != http.StatusSeeOther {
		t.Fatalf("native: %d %s", r.Code, visibleText(r.Body.String()))
	}
	page = d.do(http.MethodGet, r.Header().Get("Location"), nil).Body.String()
	if !strings.Contains(page, `src="data:image/png;base64,`) || !strings.Contains(page, `hx-get="/my/pledges/`+p.PublicID+`?poll=1"`) {
		t.Fatalf("no QR code: %s", visibleText(page))
	}
	r = d.form("/my/pledges/"+p.PublicID+"/pay", url.Values{"method": {"alipay_page"}, "device": {"pc"}})
	if r.Code != http.StatusOK || !strings.Contains(r.Body.String(), `id="pay-go" href="`+pe.prov.GatewayURL()+`?`) {
		t.Fatalf("alipay: %d", r.Code)
	}
	if o := pe.prov.Order("alipay", p.Reference); o != nil {
		t.Errorf("Alipay has an order before the donor went there: %+v", o)
	}
	r = d.form("/my/pledges/"+p.PublicID+"/pay", url.Values{"method": {"wechat_h5"}, "device": {"phone"}})
	if r.Code != http.StatusOK || !strings.Contains(r.Body.String(), `id="pay-go" href="`+pe.prov.URL+`/h5pay?`) {
		t.Fatalf("h5: %d", r.Code)
	}
	// The poll answers the status part; once paid, the whole page again.
	poll := httptestRequest(d, "/my/pledges/"+p.PublicID+"?poll=1")
	if poll.Code != 200 || poll.Header().Get("HX-Refresh") != "" || !strings.Contains(poll.Body.String(), `id="pay-status"`) || strings.Contains(poll.Body.String(), "<html") {
		t.Fatalf("poll while waiting: %d %v", poll.Code, poll.Header())
	}
	pe.wechat(pe.paid(p, "4200000001202611230500", 12_300))
	if poll := httptestRequest(d, "/my/pledges/"+p.PublicID+"?poll=1"); poll.Header().Get("HX-Refresh") != "true" {
		t.Fatalf("poll once paid: %v", poll.Header())
	}
	if r := d.form("/my/pledges/"+p.PublicID+"/pay", url.Values{"method": {"wechat_native"}}); r.Code != http.StatusConflict {
		t.Errorf("paying a confirmed pledge: %d", r.Code)
	}
	// The provider does not answer.
	q := pe.pledge(fund, 500)
	env.paychan.Config.WeChatBaseURL = "http://127.0.0.1:9"
	r = d.form("/my/pledges/"+q.PublicID+"/pay", url.Values{"method": {"wechat_native"}})
	if r.Code != http.StatusBadGateway || !strings.Contains(visibleText(r.Body.String()), "支付平台暂时没有受理") || !strings.Contains(r.Body.String(), `id="pay-h"`) {
		t.Fatalf("provider down: %d %s", r.Code, visibleText(r.Body.String()))
	}
	// API: the same order, 502 in the API's shape.
	if r := env.do(http.MethodPost, "/api/v1/pledges/"+q.PublicID+"/payments", pe.donorTok, map[string]any{"method": "wechat_native"}); r.Status != 502 || r.ErrorCode() != "provider_error" {
		t.Errorf("API, provider down: %d %s", r.Status, r.Body)
	}
	env.paychan.Config.WeChatBaseURL = pe.prov.URL
	r2 := env.do(http.MethodPost, "/api/v1/pledges/"+q.PublicID+"/payments", pe.donorTok, map[string]any{"method": "wechat_native"})
	if r2.Status != 201 || !strings.HasPrefix(r2.JSON(t)["code_url"].(string), "weixin://wxpay/bizpayurl") {
		t.Errorf("API: %d %s", r2.Status, r2.Body)
	}
	// Staff see the pledge but never pay it; another donor does not see it.
	staff := newBrowser(env)
	staff.login(pe.staff)
	if page := staff.do(http.MethodGet, "/my/pledges/"+q.PublicID, nil).Body.String(); strings.Contains(page, `id="pay-online"`) {
		t.Error("staff are offered to pay a donor's pledge")
	}
	_, other := env.user(kernel.RoleDonor, nil)
	o := newBrowser(env)
	o.login(other)
	if r := o.form("/my/pledges/"+q.PublicID+"/pay", url.Values{"method": {"wechat_native"}}); r.Code != http.StatusNotFound {
		t.Errorf("another donor: %d", r.Code)
	}
}

// httptestRequest is an htmx request of the browser b.
func httptestRequest(b *browser, path string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("HX-Request", "true")
	for _, c := range b.cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	b.env.srv.Echo.ServeHTTP(rec, req)
	return rec
}
