package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/funds/paychan/paytest"
	"github.com/jiujinan/jiujinan/kernel"
)

// TestBrowserDonorPaysByWeChatQRCode: the charity federation takes WeChat
// Pay and Alipay (through a local stand-in of both providers). A donor
// pledges to its fund in Chromium; the pledge page offers WeChat Pay's QR
// code and Alipay beside the bank transfer; the donor asks for the QR code,
// which the page draws from the order the stand-in made (its number the
// pledge's reference, its amount the pledge's); the stand-in then sends
// its signed notification to the service, and the page, waiting, shows the
// pledge confirmed by itself, with its receipt. The ledger is proven after.
// On a phone the same page offers WeChat Pay's and Alipay's phone payment
// and the way on to the provider.
func TestBrowserDonorPaysByWeChatQRCode(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	s := newSite(t, env)
	prov := paytest.NewProvider(t)
	prov.Now = func() time.Time { return *env.now.Load() }
	env.paychan.Config.PublicURL, env.paychan.Config.WeChatBaseURL, env.paychan.Config.AlipayGateway = s.URL, prov.URL, prov.GatewayURL()
	staffTok, staff := env.user(kernel.RoleFederationStaff, nil)
	org := env.orgs[kernel.OrgCharityFederation].PublicID
	for ch, body := range map[string]any{"wechat-pay": paytest.WeChat().Input(), "alipay": paytest.Alipay().Input()} {
		if r := env.do(http.MethodPut, "/api/v1/orgs/"+org+"/payment-channels/"+ch, staffTok, body); r.Status != 200 {
			t.Fatalf("%s: %d %s", ch, r.Status, r.Body)
		}
	}
	if _, err := env.accounts.SetCollection(context.Background(), env.admin, org, kernel.CollectionAccount{
		AccountName: "郓城县慈善总会", Bank: "中国工商银行郓城支行", AccountNo: "1609001209024567890"}); err != nil {
		t.Fatal(err)
	}
	fund, err := env.funds.CreateSource(context.Background(), staff, funds.NewSource{Kind: funds.KindFund, Name: "助学基金", Namer: "爱心企业", Purpose: "资助困难学生"})
	if err != nil {
		t.Fatal(err)
	}
	_, donor := env.user(kernel.RoleDonor, nil)

	b := s.tab(t)
	b.login(donor.User.Email, "password-donor")
	b.open("/funds/" + fund.PublicID)
	b.fill("#amount", "200")
	b.click(`.pledge-form button[type="submit"]`)
	b.waitJS(`location.pathname.indexOf("/my/pledges/") === 0`)
	pledgePath := evalIn[string](b, `location.pathname`)
	ref := strings.TrimSpace(b.text("#pay-ref"))
	// Online beside the bank transfer.
	b.waitText("#pay-online", "在线支付")
	if got := b.text("#pay-online"); !strings.Contains(got, "微信支付（扫码）") || !strings.Contains(got, "支付宝") {
		t.Fatalf("the channels offered: %q", got)
	}
	b.waitText("#pay-no", "1609001209024567890")

	b.click("#pay-wechat_native")
	b.waitJS(`document.querySelector("#pay-qr img") !== null && document.querySelector("#pay-qr img").naturalWidth === 256`)
	b.waitText("#pay-qr", "扫一扫")
	o := prov.Order("wechat_pay", ref)
	if o == nil || o.AmountFen != 20_000 || o.Method != "native" || !strings.HasPrefix(o.NotifyURL, s.URL+"/api/v1/payments/wechat/notify/") ||
		!strings.Contains(o.Subject, ref) {
		t.Fatalf("the order WeChat Pay got: %+v", o)
	}
	b.waitText("#pay-status", "等待付款")
	b.screenshot("donor-pay-wechat-qr")
	// The page shows the same code again, without a new order.
	b.open(pledgePath)
	b.waitJS(`document.querySelector("#pay-qr img") !== null`)

	// The donor scans and pays: WeChat Pay notifies the service.
	status, body, err := prov.Pay("wechat_pay", ref)
	if err != nil || status != http.StatusNoContent {
		t.Fatalf("notification: %d %q %v", status, body, err)
	}
	// The page, waiting, turns to the confirmed pledge by itself.
	b.waitText("main .notice", "善款已到账")
	if evalIn[bool](b, `document.querySelector("#pay-qr") !== null || document.querySelector("#pay-online") !== null`) {
		t.Error("a confirmed pledge still offers to pay")
	}
	if !evalIn[bool](b, `document.querySelector('main a[href^="/my/receipts/"]') !== null`) {
		t.Error("no receipt on the confirmed pledge")
	}
	b.screenshot("donor-pay-wechat-confirmed")
	problems, _, err := env.funds.VerifyLedger(context.Background())
	if err != nil || len(problems) > 0 {
		t.Fatalf("ledger: %v %v", problems, err)
	}
	if r := env.do(http.MethodGet, "/api/v1/funds/"+fund.PublicID, "", nil).JSON(t); r["balance_fen"].(float64) != 20_000 {
		t.Fatalf("fund balance %v", r["balance_fen"])
	}

	// On a phone: the phone's payment, and the way on to WeChat Pay.
	p := s.tab(t)
	p.viewport(375, 812, true)
	p.login(donor.User.Email, "password-donor")
	p.open("/funds/" + fund.PublicID)
	p.fill("#amount", "50")
	p.click(`.pledge-form button[type="submit"]`)
	p.waitJS(`location.pathname.indexOf("/my/pledges/") === 0`)
	p.click("#pay-switch")
	p.waitJS(`document.querySelector("#pay-wechat_h5") !== null`)
	p.click("#pay-wechat_h5")
	p.waitJS(`document.querySelector("#pay-go") !== null`)
	if href := evalIn[string](p, `document.querySelector("#pay-go").href`); !strings.HasPrefix(href, prov.URL+"/h5pay?") || !strings.Contains(href, "redirect_url=") {
		t.Errorf("the way on to WeChat Pay: %s", href)
	}
	if w := evalIn[float64](p, `document.documentElement.scrollWidth`); w > 375 {
		t.Errorf("the pledge page is %.0fpx wide on a 375px phone", w)
	}
	p.screenshot("donor-pay-phone")
}
