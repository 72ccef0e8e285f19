package alipay_test

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/funds/paychan/alipay"
	"github.com/jiujinan/jiujinan/funds/paychan/paytest"
)

var at = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// The signed text is every parameter with a value, sorted by name, as
// k=v joined with &, values not encoded; a notification leaves out sign
// and sign_type, a request only sign.
func TestSignContent(t *testing.T) {
	p := url.Values{"total_amount": {"88.88"}, "app_id": {"2021000123456789"}, "sign": {"x"}, "sign_type": {"RSA2"},
		"subject": {"捐赠 & 助学"}, "empty": {""}, "buyer_id": {"2088"}}
	if got, want := alipay.SignContent(p, "sign", "sign_type"), "app_id=2021000123456789&buyer_id=2088&subject=捐赠 & 助学&total_amount=88.88"; got != want {
		t.Errorf("notification: %q, want %q", got, want)
	}
	if got := alipay.SignContent(p, "sign"); !strings.Contains(got, "&sign_type=RSA2&") {
		t.Errorf("request: %q", got)
	}
}

func TestVerifyNotification(t *testing.T) {
	k := paytest.Alipay()
	m := k.Merchant()
	paid := func() map[string]string {
		return k.Paid("JJABCDEFGHJK", "2026112322001400000001", 8888, alipay.TradeSuccess, at)
	}
	for _, tc := range []struct {
		name string
		form func() url.Values
		ok   bool
	}{
		{"valid", func() url.Values { return k.Notify(paid(), nil) }, true},
		{"tampered amount", func() url.Values { f := k.Notify(paid(), nil); f.Set("total_amount", "888.80"); return f }, false},
		{"a parameter added", func() url.Values { f := k.Notify(paid(), nil); f.Set("refund_fee", "88.88"); return f }, false},
		{"signed by the app's own key", func() url.Values { return k.Notify(paid(), k.AppKey) }, false},
		{"signed by another key", func() url.Values { return k.Notify(paid(), paytest.OtherKey()) }, false},
		{"sign_type RSA", func() url.Values { f := k.Notify(paid(), nil); f.Set("sign_type", "RSA"); return f }, false},
		{"no signature", func() url.Values { f := k.Notify(paid(), nil); f.Del("sign"); return f }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := m.VerifyNotification(tc.form())
			if tc.ok != (err == nil) {
				t.Fatalf("got %v", err)
			}
			if err != nil && !errors.Is(err, alipay.ErrSignature) {
				t.Fatalf("not ErrSignature: %v", err)
			}
		})
	}
}

func TestAmounts(t *testing.T) {
	for in, want := range map[string]int64{"88.88": 8888, "0.5": 50, "0.05": 5, "100": 10000, "10005.00": 1000500} {
		if got, err := alipay.Fen(in); err != nil || got != want {
			t.Errorf("Fen(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "1.234", "-1", "1e3", "１", ".5", "1.2.3", "abc"} {
		if _, err := alipay.Fen(bad); err == nil {
			t.Errorf("Fen(%q) accepted", bad)
		}
	}
	for fen, want := range map[int64]string{8888: "88.88", 50: "0.50", 5: "0.05", 10000: "100.00"} {
		if got := alipay.Yuan(fen); got != want {
			t.Errorf("Yuan(%d) = %q, want %q", fen, got, want)
		}
	}
}

func TestParseKeys(t *testing.T) {
	k := paytest.Alipay()
	der, _ := x509.MarshalPKCS8PrivateKey(k.AppKey)
	bare := base64.StdEncoding.EncodeToString(der)
	// As the key tool writes it, and wrapped at 64 columns.
	for name, text := range map[string]string{"bare base64": bare, "PEM": paytest.PEM(k.AppKey), "wrapped": bare[:64] + "\n" + bare[64:]} {
		if _, err := alipay.ParsePrivateKey(text); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	pub, _ := x509.MarshalPKIXPublicKey(&k.AlipayKey.PublicKey)
	if _, err := alipay.ParsePublicKey(base64.StdEncoding.EncodeToString(pub)); err != nil {
		t.Errorf("bare public key: %v", err)
	}
	if _, err := alipay.ParsePublicKey(bare); err == nil {
		t.Error("a private key read as a public key")
	}
}

// A page payment is an address on the gateway whose parameters the app
// signed; a refund's success is taken only signed by Alipay, and a refusal
// says whether it may pass.
func TestClient(t *testing.T) {
	k := paytest.Alipay()
	m := k.Merchant()
	p := paytest.NewProvider(t)
	p.Now = func() time.Time { return at }
	c := &alipay.Client{Gateway: p.GatewayURL(), Now: func() time.Time { return at }}
	u, err := c.PagePayURL(m, alipay.Order{OutTradeNo: "JJABCDEFGHJK", Subject: "捐赠", AmountFen: 8888, Expires: at.Add(time.Hour),
		NotifyURL: "https://x.example/n", ReturnURL: "https://x.example/r"})
	if err != nil {
		t.Fatal(err)
	}
	parsed, _ := url.Parse(u)
	q := parsed.Query()
	if err := alipay.VerifyRequest(&k.AppKey.PublicKey, q); err != nil || q.Get("method") != "alipay.trade.page.pay" || q.Get("timestamp") != "2026-11-23 17:00:00" ||
		!strings.Contains(q.Get("biz_content"), `"total_amount":"88.88"`) || !strings.Contains(q.Get("biz_content"), `"time_expire":"2026-11-23 18:00:00"`) {
		t.Fatalf("page pay %v: %v", q, err)
	}
	res, err := c.Refund(context.Background(), m, alipay.RefundRequest{OutTradeNo: "JJABCDEFGHJK", TradeNo: "2026", AmountFen: 100, OutRequestNo: "JJABCDEFGHJKR1"})
	if err != nil || res.RefundFee != "1.00" {
		t.Fatalf("refund: %+v %v", res, err)
	}
	p.FailRefunds = "SELLER_BALANCE_NOT_ENOUGH"
	_, err = c.Refund(context.Background(), m, alipay.RefundRequest{OutTradeNo: "JJABCDEFGHJK", AmountFen: 100, OutRequestNo: "JJABCDEFGHJKR2"})
	var ae *alipay.APIError
	if !errors.As(err, &ae) || ae.Temporary() || ae.SubCode != "ACQ.SELLER_BALANCE_NOT_ENOUGH" {
		t.Fatalf("refused refund: %v", err)
	}
	p.FailRefunds = "SYSTEM_ERROR"
	if _, err = c.Refund(context.Background(), m, alipay.RefundRequest{OutTradeNo: "JJABCDEFGHJK", AmountFen: 100, OutRequestNo: "JJABCDEFGHJKR3"}); !errors.As(err, &ae) || !ae.Temporary() {
		t.Fatalf("busy: %v", err)
	}
	// An answer of success signed by someone else is not believed.
	p.FailRefunds = ""
	forged := *m
	forged.AlipayPublicKey = &paytest.OtherKey().PublicKey
	if _, err := c.Refund(context.Background(), &forged, alipay.RefundRequest{OutTradeNo: "JJABCDEFGHJK", AmountFen: 100, OutRequestNo: "JJABCDEFGHJKR4"}); !errors.Is(err, alipay.ErrSignature) {
		t.Fatalf("answer not checked: %v", err)
	}
}
