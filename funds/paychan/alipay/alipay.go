// Package alipay speaks Alipay's OpenAPI (支付宝开放平台) for one app, written
// against the published specification with the standard library (the
// SDKs cannot be fetched here): requests signed RSA2 (SHA256withRSA over
// the sorted parameters), page and phone (wap) payment addresses,
// alipay.trade.refund, and the asynchronous notification (异步通知)
// verified with the Alipay public key. It knows nothing of pledges:
// funds/paychan does.
//
// It imports only the standard library.
package alipay

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// DefaultGateway is Alipay's OpenAPI gateway.
const DefaultGateway = "https://openapi.alipay.com/gateway.do"

// Merchant is what it takes to call Alipay as one app and to check what
// Alipay sends it (public key mode, 公钥模式).
type Merchant struct {
	AppID string
	// SellerID is the merchant's Alipay user id (2088…): notifications
	// must name it.
	SellerID   string
	PrivateKey *rsa.PrivateKey
	// AlipayPublicKey is Alipay's key (支付宝公钥), not the app's own.
	AlipayPublicKey *rsa.PublicKey
}

// ErrSignature: the notification or answer is not signed by Alipay.
var ErrSignature = errors.New("alipay: the signature does not verify")

// derOf reads a key given as PEM or, as Alipay's key tool writes it, as
// bare base64 without header lines.
func derOf(text string) ([]byte, error) {
	text = strings.TrimSpace(text)
	if b, _ := pem.Decode([]byte(text)); b != nil {
		return b.Bytes, nil
	}
	der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(text), ""))
	if err != nil {
		return nil, errors.New("neither PEM nor base64")
	}
	return der, nil
}

// ParsePrivateKey reads the app's private key (应用私钥): PKCS#8 or PKCS#1,
// PEM or bare base64, RSA of at least 2048 bits.
func ParsePrivateKey(text string) (*rsa.PrivateKey, error) {
	der, err := derOf(text)
	if err != nil {
		return nil, err
	}
	var key *rsa.PrivateKey
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, errors.New("not an RSA key")
		}
		key = rk
	} else if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		key = k
	} else {
		return nil, errors.New("not a PKCS#8 or PKCS#1 private key")
	}
	if key.N.BitLen() < 2048 {
		return nil, errors.New("shorter than 2048 bits (RSA2 needs 2048)")
	}
	return key, nil
}

// ParsePublicKey reads Alipay's public key (支付宝公钥): PKIX (or PKCS#1),
// PEM or bare base64.
func ParsePublicKey(text string) (*rsa.PublicKey, error) {
	der, err := derOf(text)
	if err != nil {
		return nil, err
	}
	var key any
	if key, err = x509.ParsePKIXPublicKey(der); err != nil {
		if rk, err1 := x509.ParsePKCS1PublicKey(der); err1 == nil {
			key = rk
		} else {
			return nil, errors.New("not a public key")
		}
	}
	rk, ok := key.(*rsa.PublicKey)
	if !ok || rk.N.BitLen() < 2048 {
		return nil, errors.New("not an RSA key of 2048 bits or more")
	}
	return rk, nil
}

// SignContent is the text Alipay signs: every parameter with a value
// except those in skip, sorted by name, as "k=v" joined with "&" (values
// as they are, not URL-encoded).
func SignContent(params url.Values, skip ...string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if params.Get(k) == "" || contains(skip, k) {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k + "=" + params.Get(k))
	}
	return b.String()
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// Sign is RSA2: base64 of SHA256withRSA (PKCS #1 v1.5) over content.
func Sign(key *rsa.PrivateKey, content string) (string, error) {
	h := sha256.Sum256([]byte(content))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, h[:])
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// Verify checks an RSA2 signature over content with key.
func Verify(key *rsa.PublicKey, content, sig64 string) error {
	sig, err := base64.StdEncoding.DecodeString(sig64)
	if err != nil {
		return ErrSignature
	}
	h := sha256.Sum256([]byte(content))
	if rsa.VerifyPKCS1v15(key, crypto.SHA256, h[:], sig) != nil {
		return ErrSignature
	}
	return nil
}

// VerifyNotification checks an asynchronous notification: sign_type RSA2
// and the signature over every other parameter but sign and sign_type.
func (m *Merchant) VerifyNotification(form url.Values) error {
	if st := form.Get("sign_type"); st != "RSA2" {
		return fmt.Errorf("alipay: sign_type %q: %w", st, ErrSignature)
	}
	return Verify(m.AlipayPublicKey, SignContent(form, "sign", "sign_type"), form.Get("sign"))
}

// Trade statuses of notifications.
const (
	TradeWaitBuyerPay = "WAIT_BUYER_PAY"
	TradeClosed       = "TRADE_CLOSED"
	TradeSuccess      = "TRADE_SUCCESS"
	TradeFinished     = "TRADE_FINISHED"
)

// china is UTC+8, the zone of Alipay's timestamps.
var china = time.FixedZone("CST", 8*3600)

// Time formats a time as Alipay writes it ("2006-01-02 15:04:05", UTC+8).
func Time(t time.Time) string { return t.In(china).Format("2006-01-02 15:04:05") }

// Yuan writes fen as Alipay's amount ("88.88").
func Yuan(fen int64) string {
	return strconv.FormatInt(fen/100, 10) + "." + fmt.Sprintf("%02d", fen%100)
}

// Fen reads an Alipay amount ("88.88", "88.8", "88") exactly.
func Fen(s string) (int64, error) {
	whole, frac, _ := strings.Cut(strings.TrimSpace(s), ".")
	if whole == "" || len(frac) > 2 || strings.Trim(whole, "0123456789") != "" || strings.Trim(frac, "0123456789") != "" || len(whole) > 12 {
		return 0, fmt.Errorf("alipay: %q is not an amount", s)
	}
	for len(frac) < 2 {
		frac += "0"
	}
	y, _ := strconv.ParseInt(whole, 10, 64)
	f, _ := strconv.ParseInt(frac, 10, 64)
	return y*100 + f, nil
}

// Client calls Alipay.
type Client struct {
	// Gateway is the OpenAPI gateway (DefaultGateway), or a stand-in's.
	Gateway string
	HTTP    *http.Client
	Now     func() time.Time
}

func (c *Client) gateway() string {
	if c.Gateway == "" {
		return DefaultGateway
	}
	return c.Gateway
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// signed returns the request parameters of method with biz signed by m.
func (c *Client) signed(m *Merchant, method string, biz any, extra map[string]string) (url.Values, error) {
	b, err := json.Marshal(biz)
	if err != nil {
		return nil, err
	}
	p := url.Values{"app_id": {m.AppID}, "method": {method}, "format": {"JSON"}, "charset": {"utf-8"}, "sign_type": {"RSA2"},
		"timestamp": {Time(c.now())}, "version": {"1.0"}, "biz_content": {string(b)}}
	for k, v := range extra {
		if v != "" {
			p.Set(k, v)
		}
	}
	sig, err := Sign(m.PrivateKey, SignContent(p, "sign"))
	if err != nil {
		return nil, err
	}
	p.Set("sign", sig)
	return p, nil
}

// VerifyRequest checks a signed request's parameters with the app's public
// key (for stand-ins).
func VerifyRequest(pub *rsa.PublicKey, p url.Values) error {
	return Verify(pub, SignContent(p, "sign"), p.Get("sign"))
}

// Order is what a payment says: the merchant's order number (the pledge's
// reference), the subject the donor sees, the amount in fen, until when it
// may be paid, where Alipay notifies and where the donor's browser returns.
type Order struct {
	OutTradeNo string
	Subject    string
	AmountFen  int64
	Expires    time.Time
	NotifyURL  string
	ReturnURL  string
}

type tradePay struct {
	OutTradeNo  string `json:"out_trade_no"`
	ProductCode string `json:"product_code"`
	TotalAmount string `json:"total_amount"`
	Subject     string `json:"subject"`
	TimeExpire  string `json:"time_expire,omitempty"`
	QuitURL     string `json:"quit_url,omitempty"`
}

func (c *Client) payURL(m *Merchant, method, product string, o Order) (string, error) {
	biz := tradePay{OutTradeNo: o.OutTradeNo, ProductCode: product, TotalAmount: Yuan(o.AmountFen), Subject: o.Subject}
	if !o.Expires.IsZero() {
		biz.TimeExpire = Time(o.Expires)
	}
	if product == "QUICK_WAP_WAY" {
		biz.QuitURL = o.ReturnURL
	}
	p, err := c.signed(m, method, biz, map[string]string{"notify_url": o.NotifyURL, "return_url": o.ReturnURL})
	if err != nil {
		return "", err
	}
	return c.gateway() + "?" + p.Encode(), nil
}

// PagePayURL is where a computer's browser goes to pay an order
// (alipay.trade.page.pay, 电脑网站支付): the donor signs in or scans there.
func (c *Client) PagePayURL(m *Merchant, o Order) (string, error) {
	return c.payURL(m, "alipay.trade.page.pay", "FAST_INSTANT_TRADE_PAY", o)
}

// WapPayURL is where a phone's browser goes to pay an order
// (alipay.trade.wap.pay, 手机网站支付): it opens the Alipay app.
func (c *Client) WapPayURL(m *Merchant, o Order) (string, error) {
	return c.payURL(m, "alipay.trade.wap.pay", "QUICK_WAP_WAY", o)
}

// RefundRequest asks for money of a trade back to the buyer.
// OutRequestNo makes a repeated request the same refund.
type RefundRequest struct {
	OutTradeNo   string
	TradeNo      string
	AmountFen    int64
	Reason       string
	OutRequestNo string
}

// RefundResult is Alipay's answer to a refund.
type RefundResult struct {
	Code       string `json:"code"`
	Msg        string `json:"msg"`
	SubCode    string `json:"sub_code"`
	SubMsg     string `json:"sub_msg"`
	TradeNo    string `json:"trade_no"`
	OutTradeNo string `json:"out_trade_no"`
	RefundFee  string `json:"refund_fee"`
	FundChange string `json:"fund_change"`
}

// APIError is Alipay's refusal (a code other than 10000).
type APIError struct {
	Code, Msg, SubCode, SubMsg string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("alipay: %s %s: %s %s", e.Code, e.Msg, e.SubCode, e.SubMsg)
}

// Temporary reports whether the same request may succeed later.
func (e *APIError) Temporary() bool {
	return e.Code == "20000" || e.SubCode == "ACQ.SYSTEM_ERROR" || strings.HasPrefix(e.SubCode, "isp.")
}

// Refund asks for a refund (alipay.trade.refund). A success is signed by
// Alipay and checked; a refusal comes back as *APIError.
func (c *Client) Refund(ctx context.Context, m *Merchant, r RefundRequest) (*RefundResult, error) {
	biz := map[string]string{"refund_amount": Yuan(r.AmountFen), "out_request_no": r.OutRequestNo}
	if r.TradeNo != "" {
		biz["trade_no"] = r.TradeNo
	} else {
		biz["out_trade_no"] = r.OutTradeNo
	}
	if r.Reason != "" {
		biz["refund_reason"] = r.Reason
	}
	p, err := c.signed(m, "alipay.trade.refund", biz, nil)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.gateway(), strings.NewReader(p.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=utf-8")
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 15 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("alipay: refund: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("alipay: refund: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &APIError{Code: "20000", Msg: fmt.Sprintf("HTTP %d", resp.StatusCode)}
	}
	var env map[string]json.RawMessage
	if err := json.Unmarshal(raw, &env); err != nil {
		return nil, fmt.Errorf("alipay: refund: answer: %w", err)
	}
	body := env["alipay_trade_refund_response"]
	var out RefundResult
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("alipay: refund: answer: %w", err)
	}
	if out.Code != "10000" {
		return nil, &APIError{Code: out.Code, Msg: out.Msg, SubCode: out.SubCode, SubMsg: out.SubMsg}
	}
	// A success must be Alipay's own: the signature is over the raw text
	// of the response object.
	var sig string
	if err := json.Unmarshal(env["sign"], &sig); err != nil {
		return nil, fmt.Errorf("alipay: refund: answer is not signed: %w", ErrSignature)
	}
	if err := Verify(m.AlipayPublicKey, string(body), sig); err != nil {
		return nil, fmt.Errorf("alipay: refund: answer: %w", err)
	}
	return &out, nil
}

// SignResponse builds an answer as Alipay writes it (for stand-ins):
// {"<method>_response": obj, "sign": RSA2 over obj's text}.
func SignResponse(key *rsa.PrivateKey, responseName string, obj any) ([]byte, error) {
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	sig, err := Sign(key, string(b))
	if err != nil {
		return nil, err
	}
	s, _ := json.Marshal(sig)
	return []byte(`{"` + responseName + `":` + string(b) + `,"sign":` + string(s) + `}`), nil
}
