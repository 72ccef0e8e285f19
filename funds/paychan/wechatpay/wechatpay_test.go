package wechatpay_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/funds/paychan/paytest"
	"github.com/jiujinan/jiujinan/funds/paychan/wechatpay"
)

var at = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// A notification is taken only as WeChat Pay signs it: the platform
// certificate's (or the public key's) signature over timestamp, nonce and
// the body as sent, within five minutes of now.
func TestVerifyNotification(t *testing.T) {
	k := paytest.WeChat()
	m := k.Merchant()
	paid := k.Paid("JJABCDEFGHJK", "4200000001", 10_000, at)
	for _, tc := range []struct {
		name  string
		make  func() paytest.Signed
		now   time.Time
		wantE error
	}{
		{"valid, platform certificate", func() paytest.Signed { return k.PaidNotification(paid, paytest.NotificationOpts{At: at}) }, at, nil},
		{"valid, public key", func() paytest.Signed {
			return k.PaidNotification(paid, paytest.NotificationOpts{At: at, Key: k.PayKey, Serial: k.PayKeyID})
		}, at, nil},
		{"serial in lower case", func() paytest.Signed {
			return k.PaidNotification(paid, paytest.NotificationOpts{At: at, Key: k.PlatformKey, Serial: strings.ToLower(k.PlatformSerial)})
		}, at, nil},
		{"4 minutes old", func() paytest.Signed { return k.PaidNotification(paid, paytest.NotificationOpts{At: at}) }, at.Add(4 * time.Minute), nil},
		{"tampered body", func() paytest.Signed {
			n := k.PaidNotification(paid, paytest.NotificationOpts{At: at})
			n.Body = []byte(strings.Replace(string(n.Body), `"TRANSACTION.SUCCESS"`, `"TRANSACTION.SUCCESS" `, 1))
			return n
		}, at, wechatpay.ErrSignature},
		{"signed by another key", func() paytest.Signed {
			return k.PaidNotification(paid, paytest.NotificationOpts{At: at, Key: paytest.OtherKey(), Serial: k.PlatformSerial})
		}, at, wechatpay.ErrSignature},
		{"unknown serial", func() paytest.Signed {
			return k.PaidNotification(paid, paytest.NotificationOpts{At: at, Key: k.PlatformKey, Serial: "0123456789ABCDEF"})
		}, at, wechatpay.ErrUnknownSerial},
		{"stale: 6 minutes old", func() paytest.Signed { return k.PaidNotification(paid, paytest.NotificationOpts{At: at}) }, at.Add(6 * time.Minute), wechatpay.ErrStale},
		{"from 6 minutes ahead", func() paytest.Signed {
			return k.PaidNotification(paid, paytest.NotificationOpts{At: at.Add(6 * time.Minute)})
		}, at, wechatpay.ErrStale},
		{"no signature header", func() paytest.Signed {
			n := k.PaidNotification(paid, paytest.NotificationOpts{At: at})
			n.Header.Del("Wechatpay-Signature")
			return n
		}, at, wechatpay.ErrMalformed},
		{"timestamp changed after signing", func() paytest.Signed {
			n := k.PaidNotification(paid, paytest.NotificationOpts{At: at})
			n.Header.Set("Wechatpay-Timestamp", "1700000000")
			return n
		}, at, wechatpay.ErrSignature},
		{"another signature type", func() paytest.Signed {
			n := k.PaidNotification(paid, paytest.NotificationOpts{At: at})
			n.Header.Set("Wechatpay-Signature-Type", "WECHATPAY2-SM2-WITH-SM3")
			return n
		}, at, wechatpay.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := tc.make()
			if err := m.Verify(n.Header, n.Body, tc.now); !errors.Is(err, tc.wantE) {
				t.Fatalf("got %v, want %v", err, tc.wantE)
			}
		})
	}
}

// The resource opens with the APIv3 key only, with its own nonce and
// associated data.
func TestDecryptResource(t *testing.T) {
	k := paytest.WeChat()
	m := k.Merchant()
	paid := k.Paid("JJABCDEFGHJK", "4200000001", 10_000, at)
	n := k.PaidNotification(paid, paytest.NotificationOpts{At: at})
	env, pt, err := m.ParseNotification(n.Header, n.Body, at)
	if err != nil {
		t.Fatal(err)
	}
	var got wechatpay.Transaction
	if err := json.Unmarshal(pt, &got); err != nil || got != paid || env.EventType != wechatpay.EventTransactionSuccess {
		t.Fatalf("decrypted %+v (%v), want %+v", got, err, paid)
	}
	wrong := k.PaidNotification(paid, paytest.NotificationOpts{At: at, APIv3Key: "ZZZZc3D4e5F6g7H8i9J0k1L2m3N4o5P6"})
	if _, _, err := m.ParseNotification(wrong.Header, wrong.Body, at); !errors.Is(err, wechatpay.ErrDecrypt) {
		t.Fatalf("another APIv3 key: %v", err)
	}
	res := env.Resource
	for name, r := range map[string]wechatpay.Resource{
		"associated data changed": {Algorithm: res.Algorithm, Ciphertext: res.Ciphertext, Nonce: res.Nonce, AssociatedData: "refund"},
		"nonce changed":           {Algorithm: res.Algorithm, Ciphertext: res.Ciphertext, Nonce: "000000000000", AssociatedData: res.AssociatedData},
		"ciphertext cut":          {Algorithm: res.Algorithm, Ciphertext: res.Ciphertext[:len(res.Ciphertext)-8] + "AAAAAAA=", Nonce: res.Nonce, AssociatedData: res.AssociatedData},
		"other algorithm":         {Algorithm: "AEAD_SM4_GCM", Ciphertext: res.Ciphertext, Nonce: res.Nonce, AssociatedData: res.AssociatedData},
	} {
		if _, err := wechatpay.Decrypt([]byte(k.APIv3Key), r); !errors.Is(err, wechatpay.ErrDecrypt) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// Requests carry WECHATPAY2-SHA256-RSA2048 with the merchant's signature
// over method, path, timestamp, nonce and body; answers are taken only
// when WeChat Pay signed them.
func TestClientSignsRequestsAndChecksAnswers(t *testing.T) {
	k := paytest.WeChat()
	m := k.Merchant()
	var got *http.Request
	var gotBody []byte
	signAnswer := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		gotBody = make([]byte, r.ContentLength)
		_, _ = r.Body.Read(gotBody)
		b := []byte(`{"code_url":"weixin://wxpay/bizpayurl?pr=abc"}`)
		key := k.PlatformKey
		if !signAnswer {
			key = paytest.OtherKey()
		}
		_ = wechatpay.SignResponse(w.Header(), key, k.PlatformSerial, b, at)
		_, _ = w.Write(b)
	}))
	defer srv.Close()
	c := &wechatpay.Client{BaseURL: srv.URL, Now: func() time.Time { return at }}
	o := wechatpay.Order{OutTradeNo: "JJABCDEFGHJK", Description: "捐赠", AmountFen: 100, Expires: at.Add(time.Hour), NotifyURL: "https://x.example/n"}
	code, err := c.NativePrepay(context.Background(), m, o)
	if err != nil || code != "weixin://wxpay/bizpayurl?pr=abc" {
		t.Fatalf("native: %q %v", code, err)
	}
	a, err := wechatpay.VerifyAuthorization(&k.MerchantKey.PublicKey, http.MethodPost, "/v3/pay/transactions/native", gotBody, got.Header.Get("Authorization"))
	if err != nil || a["mchid"] != k.MchID || a["serial_no"] != k.SerialNo || a["timestamp"] != "1795424400" || len(a["nonce_str"]) != 32 {
		t.Fatalf("authorization %v: %v", a, err)
	}
	var sent map[string]any
	_ = json.Unmarshal(gotBody, &sent)
	if sent["time_expire"] != "2026-11-23T18:00:00+08:00" || sent["out_trade_no"] != "JJABCDEFGHJK" || sent["appid"] != k.AppID {
		t.Errorf("order sent: %v", sent)
	}
	if _, err := wechatpay.VerifyAuthorization(&paytest.OtherKey().PublicKey, http.MethodPost, "/v3/pay/transactions/native", gotBody, got.Header.Get("Authorization")); err == nil {
		t.Error("the request verifies with another key")
	}
	signAnswer = false
	if _, err := c.NativePrepay(context.Background(), m, o); !errors.Is(err, wechatpay.ErrSignature) {
		t.Fatalf("an answer not signed by WeChat Pay: %v", err)
	}
}

func TestParseKeys(t *testing.T) {
	k := paytest.WeChat()
	if _, err := wechatpay.ParsePrivateKey(paytest.PEM(k.MerchantKey)); err != nil {
		t.Fatalf("PKCS#8: %v", err)
	}
	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k.MerchantKey)}))
	if _, err := wechatpay.ParsePrivateKey(pkcs1); err != nil {
		t.Fatalf("PKCS#1: %v", err)
	}
	for name, bad := range map[string]string{"empty": "", "certificate": k.PlatformCert, "garbage": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"} {
		if _, err := wechatpay.ParsePrivateKey(bad); err == nil {
			t.Errorf("%s parsed as a private key", name)
		}
	}
	serial, key, notAfter, err := wechatpay.ParseCertificate(k.PlatformCert)
	if err != nil || serial != "5157F09EFDC096DE15EBE81A47057A7232F1B8E1" || !key.Equal(&k.PlatformKey.PublicKey) || notAfter.Year() != 2036 {
		t.Fatalf("certificate: %s %v %v", serial, notAfter, err)
	}
	if _, err := wechatpay.ParsePublicKey(paytest.PublicPEM(&k.PayKey.PublicKey)); err != nil {
		t.Fatalf("public key: %v", err)
	}
}
