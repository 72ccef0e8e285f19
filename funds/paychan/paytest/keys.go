// Package paytest stands in for WeChat Pay and Alipay in tests: merchant
// and provider keys generated once per test process, notifications signed
// (and encrypted) as the providers do, and a local HTTP server that serves
// their order and refund APIs, checks the service's signatures, and
// notifies the service that an order was paid.
package paytest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/jiujinan/jiujinan/funds/paychan"
	"github.com/jiujinan/jiujinan/funds/paychan/alipay"
	"github.com/jiujinan/jiujinan/funds/paychan/wechatpay"
)

var (
	keysOnce sync.Once
	wx       *WeChatKeys
	ali      *AlipayKeys
	other    *rsa.PrivateKey
)

func mustKey() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}

func pemOf(typ string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

func privatePEM(k *rsa.PrivateKey) string {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		panic(err)
	}
	return pemOf("PRIVATE KEY", der)
}

func publicDER(k *rsa.PublicKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		panic(err)
	}
	return der
}

// Certificate issues a self-signed certificate for key with serial,
// valid from notBefore to notAfter, in PEM.
func Certificate(key *rsa.PrivateKey, serial *big.Int, notBefore, notAfter time.Time) string {
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: "Tenpay.com Root CA stand-in", Organization: []string{"Tenpay.com"}},
		NotBefore: notBefore, NotAfter: notAfter, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	return pemOf("CERTIFICATE", der)
}

func generate() {
	keysOnce.Do(func() {
		serial, _ := new(big.Int).SetString("5157F09EFDC096DE15EBE81A47057A7232F1B8E1", 16)
		platform := mustKey()
		wx = &WeChatKeys{MchID: "1900009191", AppID: "wxd678efh567hg6787", SerialNo: "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C",
			APIv3Key: "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6", MerchantKey: mustKey(), PlatformKey: platform,
			PlatformCert:   Certificate(platform, serial, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC)),
			PlatformSerial: wechatpay.SerialHex(serial), PayKey: mustKey(), PayKeyID: "PUB_KEY_ID_0119000091912025010100000000000000"}
		ali = &AlipayKeys{AppID: "2021000123456789", SellerID: "2088102170000001", AppKey: mustKey(), AlipayKey: mustKey()}
		other = mustKey()
	})
}

// OtherKey is a key of nobody's: a signature with it is a forgery.
func OtherKey() *rsa.PrivateKey { generate(); return other }

// PEM writes a private key as PKCS#8 PEM.
func PEM(k *rsa.PrivateKey) string { return privatePEM(k) }

// PublicPEM writes a public key as PKIX PEM.
func PublicPEM(k *rsa.PublicKey) string { return pemOf("PUBLIC KEY", publicDER(k)) }

// WeChatKeys are a WeChat Pay merchant's credentials and WeChat Pay's own
// keys: the platform certificate's and the public key's.
type WeChatKeys struct {
	MchID, AppID, SerialNo, APIv3Key string
	MerchantKey                      *rsa.PrivateKey
	PlatformKey                      *rsa.PrivateKey
	PlatformCert                     string
	PlatformSerial                   string
	// PayKey and PayKeyID are the WeChat Pay public key's (公钥模式).
	PayKey   *rsa.PrivateKey
	PayKeyID string
}

// WeChat returns the test process's WeChat Pay keys.
func WeChat() *WeChatKeys { generate(); return wx }

// Input is the staff form filled for the platform certificate mode.
func (k *WeChatKeys) Input() paychan.WeChatInput {
	return paychan.WeChatInput{MchID: k.MchID, AppID: k.AppID, SerialNo: k.SerialNo, APIv3Key: k.APIv3Key,
		PrivateKey: privatePEM(k.MerchantKey), PlatformCertificate: k.PlatformCert}
}

// PublicKeyInput is the staff form filled for the public key mode.
func (k *WeChatKeys) PublicKeyInput() paychan.WeChatInput {
	return paychan.WeChatInput{MchID: k.MchID, AppID: k.AppID, SerialNo: k.SerialNo, APIv3Key: k.APIv3Key,
		PrivateKey: privatePEM(k.MerchantKey), PublicKey: PublicPEM(&k.PayKey.PublicKey), PublicKeyID: k.PayKeyID}
}

// Signed is a notification as sent: its headers and body.
type Signed struct {
	Header http.Header
	Body   []byte
}

// NotificationOpts change how a notification is made, to test refusals.
type NotificationOpts struct {
	// At is the signed timestamp.
	At time.Time
	// Key and Serial sign it (default: the platform certificate's).
	Key    *rsa.PrivateKey
	Serial string
	// APIv3Key encrypts the resource (default: the merchant's).
	APIv3Key string
}

// Notification builds a notification of event with resource (encrypted
// with the APIv3 key, signed with WeChat Pay's key) as WeChat Pay sends it.
func (k *WeChatKeys) Notification(event, originalType string, resource any, o NotificationOpts) Signed {
	if o.Key == nil {
		o.Key, o.Serial = k.PlatformKey, k.PlatformSerial
	}
	if o.APIv3Key == "" {
		o.APIv3Key = k.APIv3Key
	}
	pt, err := json.Marshal(resource)
	if err != nil {
		panic(err)
	}
	res, err := wechatpay.Encrypt([]byte(o.APIv3Key), originalType, originalType, pt)
	if err != nil {
		panic(err)
	}
	body, err := json.Marshal(wechatpay.Notification{ID: "EV-" + randomDigits(18), CreateTime: o.At.In(china).Format(time.RFC3339),
		EventType: event, ResourceType: "encrypt-resource", Summary: event, Resource: res})
	if err != nil {
		panic(err)
	}
	h := http.Header{}
	if err := wechatpay.SignResponse(h, o.Key, o.Serial, body, o.At); err != nil {
		panic(err)
	}
	h.Set("Content-Type", "application/json")
	return Signed{Header: h, Body: body}
}

var china = time.FixedZone("CST", 8*3600)

// Paid is the resource of TRANSACTION.SUCCESS for an order paid in full.
func (k *WeChatKeys) Paid(outTradeNo, transactionID string, fen int64, at time.Time) wechatpay.Transaction {
	return wechatpay.Transaction{MchID: k.MchID, AppID: k.AppID, OutTradeNo: outTradeNo, TransactionID: transactionID, TradeType: "NATIVE",
		TradeState: "SUCCESS", SuccessTime: at.In(china).Format(time.RFC3339),
		Amount: wechatpay.Amount{Total: fen, PayerTotal: fen, Currency: "CNY", PayerCurrency: "CNY"}}
}

// PaidNotification is a signed TRANSACTION.SUCCESS for t.
func (k *WeChatKeys) PaidNotification(t wechatpay.Transaction, o NotificationOpts) Signed {
	return k.Notification(wechatpay.EventTransactionSuccess, "transaction", t, o)
}

// RefundNotification is a signed REFUND.<status> for a refund.
func (k *WeChatKeys) RefundNotification(r wechatpay.RefundResult, o NotificationOpts) Signed {
	r.MchID = k.MchID
	return k.Notification("REFUND."+r.RefundStatus, "refund", r, o)
}

// Merchant is the parsed merchant (certificate mode), as the service holds it.
func (k *WeChatKeys) Merchant() *wechatpay.Merchant {
	return &wechatpay.Merchant{MchID: k.MchID, AppID: k.AppID, SerialNo: k.SerialNo, PrivateKey: k.MerchantKey, APIv3Key: []byte(k.APIv3Key),
		Verifiers: map[string]*rsa.PublicKey{k.PlatformSerial: &k.PlatformKey.PublicKey, k.PayKeyID: &k.PayKey.PublicKey}}
}

// AlipayKeys are an Alipay app's credentials and Alipay's own key.
type AlipayKeys struct {
	AppID, SellerID string
	AppKey          *rsa.PrivateKey
	AlipayKey       *rsa.PrivateKey
}

// Alipay returns the test process's Alipay keys.
func Alipay() *AlipayKeys { generate(); return ali }

// Input is the staff form filled. The app key is given as Alipay's key
// tool writes it (bare base64 PKCS#8), the Alipay public key as PEM.
func (k *AlipayKeys) Input() paychan.AlipayInput {
	der, _ := x509.MarshalPKCS8PrivateKey(k.AppKey)
	return paychan.AlipayInput{AppID: k.AppID, SellerID: k.SellerID, PrivateKey: base64.StdEncoding.EncodeToString(der),
		AlipayPublicKey: PublicPEM(&k.AlipayKey.PublicKey)}
}

// Merchant is the parsed merchant, as the service holds it.
func (k *AlipayKeys) Merchant() *alipay.Merchant {
	return &alipay.Merchant{AppID: k.AppID, SellerID: k.SellerID, PrivateKey: k.AppKey, AlipayPublicKey: &k.AlipayKey.PublicKey}
}

// Notify signs an asynchronous notification's parameters with key
// (default: Alipay's), adding the common ones.
func (k *AlipayKeys) Notify(params map[string]string, key *rsa.PrivateKey) url.Values {
	if key == nil {
		key = k.AlipayKey
	}
	v := url.Values{"notify_type": {"trade_status_sync"}, "notify_id": {randomDigits(20)}, "charset": {"utf-8"}, "version": {"1.0"},
		"app_id": {k.AppID}, "seller_id": {k.SellerID}, "sign_type": {"RSA2"}}
	for p, x := range params {
		v.Set(p, x)
	}
	sig, err := alipay.Sign(key, alipay.SignContent(v, "sign", "sign_type"))
	if err != nil {
		panic(err)
	}
	v.Set("sign", sig)
	return v
}

// Paid is the notification that a trade of fen was paid (status
// TRADE_SUCCESS or TRADE_FINISHED) at at.
func (k *AlipayKeys) Paid(outTradeNo, tradeNo string, fen int64, status string, at time.Time) map[string]string {
	return map[string]string{"notify_time": alipay.Time(at), "trade_no": tradeNo, "out_trade_no": outTradeNo, "trade_status": status,
		"total_amount": alipay.Yuan(fen), "receipt_amount": alipay.Yuan(fen), "buyer_id": "2088002000000001",
		"gmt_create": alipay.Time(at.Add(-time.Minute)), "gmt_payment": alipay.Time(at), "subject": "捐赠"}
}

func randomDigits(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = '0' + b[i]%10
	}
	return string(b)
}
