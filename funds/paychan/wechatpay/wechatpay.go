// Package wechatpay speaks WeChat Pay API v3 (微信支付 APIv3) for one merchant,
// written against the published specification with the standard library
// (the official SDK cannot be fetched here): requests signed with the
// merchant's private key (WECHATPAY2-SHA256-RSA2048), answers and
// notifications verified with the platform certificate or the WeChat Pay
// public key, notification resources decrypted with the APIv3 key
// (AEAD_AES_256_GCM). It knows nothing of pledges: funds/paychan does.
//
// It imports only the standard library.
package wechatpay

import (
	"bytes"
	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// SignatureType is the only signature scheme of API v3.
const SignatureType = "WECHATPAY2-SHA256-RSA2048"

// MaxSkew is how far a signed timestamp may be from now: older
// notifications are refused as stale (a replay of a captured one).
const MaxSkew = 5 * time.Minute

// DefaultBaseURL is WeChat Pay's API host.
const DefaultBaseURL = "https://api.mch.weixin.qq.com"

// Merchant is what it takes to call WeChat Pay as one merchant and to check
// what WeChat Pay sends it.
type Merchant struct {
	MchID string
	AppID string
	// SerialNo is the serial number of the merchant's API certificate
	// (apiclient_cert.pem), sent with every request.
	SerialNo string
	// PrivateKey is the merchant's API private key (apiclient_key.pem).
	PrivateKey *rsa.PrivateKey
	// APIv3Key decrypts notification resources (32 bytes).
	APIv3Key []byte
	// Verifiers are the keys WeChat Pay signs with, by the id it names in
	// Wechatpay-Serial: a platform certificate's serial number (upper-case
	// hex) or a WeChat Pay public key's id (PUB_KEY_ID_…).
	Verifiers map[string]*rsa.PublicKey
}

// Errors of verification. Each says which check failed; callers answer
// all of them the same way (the notification is not trusted).
var (
	ErrUnknownSerial = errors.New("wechatpay: Wechatpay-Serial names no key of this merchant")
	ErrStale         = errors.New("wechatpay: the signed timestamp is more than 5 minutes from now")
	ErrSignature     = errors.New("wechatpay: the signature does not verify")
	ErrMalformed     = errors.New("wechatpay: missing or malformed signature headers")
)

// ParsePrivateKey reads an RSA private key in PEM, PKCS#8 (apiclient_key.pem)
// or PKCS#1, of at least 2048 bits.
func ParsePrivateKey(text string) (*rsa.PrivateKey, error) {
	b, _ := pem.Decode([]byte(strings.TrimSpace(text)))
	if b == nil {
		return nil, errors.New("not a PEM block")
	}
	var key *rsa.PrivateKey
	if k, err := x509.ParsePKCS8PrivateKey(b.Bytes); err == nil {
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, errors.New("not an RSA key")
		}
		key = rk
	} else if k, err := x509.ParsePKCS1PrivateKey(b.Bytes); err == nil {
		key = k
	} else {
		return nil, errors.New("not a PKCS#8 or PKCS#1 private key")
	}
	if key.N.BitLen() < 2048 {
		return nil, errors.New("shorter than 2048 bits")
	}
	return key, nil
}

// ParseCertificate reads a platform certificate (PEM X.509 with an RSA key)
// and returns its serial number as WeChat Pay writes it (upper-case hex),
// its key and the end of its validity.
func ParseCertificate(text string) (serial string, key *rsa.PublicKey, notAfter time.Time, err error) {
	b, _ := pem.Decode([]byte(strings.TrimSpace(text)))
	if b == nil || b.Type != "CERTIFICATE" {
		return "", nil, time.Time{}, errors.New("not a PEM certificate")
	}
	cert, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		return "", nil, time.Time{}, err
	}
	k, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok || k.N.BitLen() < 2048 {
		return "", nil, time.Time{}, errors.New("the certificate holds no RSA key of 2048 bits or more")
	}
	return SerialHex(cert.SerialNumber), k, cert.NotAfter, nil
}

// SerialHex writes a certificate serial number the way WeChat Pay names it.
func SerialHex(n *big.Int) string { return strings.ToUpper(n.Text(16)) }

// ParsePublicKey reads the WeChat Pay public key (PEM "PUBLIC KEY", PKIX).
func ParsePublicKey(text string) (*rsa.PublicKey, error) {
	b, _ := pem.Decode([]byte(strings.TrimSpace(text)))
	if b == nil {
		return nil, errors.New("not a PEM block")
	}
	k, err := x509.ParsePKIXPublicKey(b.Bytes)
	if err != nil {
		if rk, err1 := x509.ParsePKCS1PublicKey(b.Bytes); err1 == nil {
			k = rk
		} else {
			return nil, err
		}
	}
	rk, ok := k.(*rsa.PublicKey)
	if !ok || rk.N.BitLen() < 2048 {
		return nil, errors.New("not an RSA key of 2048 bits or more")
	}
	return rk, nil
}

// verifier finds the key a Wechatpay-Serial names.
func (m *Merchant) verifier(serial string) *rsa.PublicKey {
	if k, ok := m.Verifiers[serial]; ok {
		return k
	}
	// Serial numbers compare without case and leading zeros.
	want := strings.TrimLeft(strings.ToUpper(serial), "0")
	for id, k := range m.Verifiers {
		if strings.TrimLeft(strings.ToUpper(id), "0") == want {
			return k
		}
	}
	return nil
}

// Sign signs msg with key: base64 of RSA PKCS #1 v1.5 over SHA-256, the
// scheme of requests, answers and notifications alike.
func Sign(key *rsa.PrivateKey, msg string) (string, error) {
	h := sha256.Sum256([]byte(msg))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, h[:])
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

func verify(key *rsa.PublicKey, msg, sig64 string) error {
	sig, err := base64.StdEncoding.DecodeString(sig64)
	if err != nil {
		return ErrSignature
	}
	h := sha256.Sum256([]byte(msg))
	if rsa.VerifyPKCS1v15(key, crypto.SHA256, h[:], sig) != nil {
		return ErrSignature
	}
	return nil
}

// Verify checks what WeChat Pay signed (an answer or a notification):
// Wechatpay-Signature over "timestamp\nnonce\nbody\n" with the key
// Wechatpay-Serial names, the timestamp within MaxSkew of now.
func (m *Merchant) Verify(h http.Header, body []byte, now time.Time) error {
	ts, nonce, sig, serial := h.Get("Wechatpay-Timestamp"), h.Get("Wechatpay-Nonce"), h.Get("Wechatpay-Signature"), h.Get("Wechatpay-Serial")
	if st := h.Get("Wechatpay-Signature-Type"); st != "" && st != SignatureType {
		return ErrMalformed
	}
	if ts == "" || nonce == "" || sig == "" || serial == "" {
		return ErrMalformed
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrMalformed
	}
	key := m.verifier(serial)
	if key == nil {
		return ErrUnknownSerial
	}
	if err := verify(key, ts+"\n"+nonce+"\n"+string(body)+"\n", sig); err != nil {
		return err
	}
	if d := now.Sub(time.Unix(sec, 0)); d > MaxSkew || d < -MaxSkew {
		return ErrStale
	}
	return nil
}

// Notification is the envelope of a notification (回调通知).
type Notification struct {
	ID           string   `json:"id"`
	CreateTime   string   `json:"create_time"`
	EventType    string   `json:"event_type"`
	ResourceType string   `json:"resource_type"`
	Summary      string   `json:"summary"`
	Resource     Resource `json:"resource"`
}

// Resource is a notification's encrypted payload.
type Resource struct {
	OriginalType   string `json:"original_type"`
	Algorithm      string `json:"algorithm"`
	Ciphertext     string `json:"ciphertext"`
	AssociatedData string `json:"associated_data"`
	Nonce          string `json:"nonce"`
}

// Event types of the notifications the service handles.
const (
	EventTransactionSuccess = "TRANSACTION.SUCCESS"
	EventRefundSuccess      = "REFUND.SUCCESS"
	EventRefundAbnormal     = "REFUND.ABNORMAL"
	EventRefundClosed       = "REFUND.CLOSED"
)

// ErrDecrypt: the resource does not open with the APIv3 key (a wrong key,
// or altered data).
var ErrDecrypt = errors.New("wechatpay: the resource does not decrypt with the APIv3 key")

// Decrypt opens a resource: AEAD_AES_256_GCM with the APIv3 key, the
// resource's nonce and associated data; the ciphertext is base64 with the
// 16-byte tag at its end.
func Decrypt(apiV3Key []byte, r Resource) ([]byte, error) {
	if r.Algorithm != "AEAD_AES_256_GCM" {
		return nil, fmt.Errorf("wechatpay: algorithm %q: %w", r.Algorithm, ErrDecrypt)
	}
	ct, err := base64.StdEncoding.DecodeString(r.Ciphertext)
	if err != nil || len(apiV3Key) != 32 || len(r.Nonce) != 12 {
		return nil, ErrDecrypt
	}
	block, err := aes.NewCipher(apiV3Key)
	if err != nil {
		return nil, ErrDecrypt
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, ErrDecrypt
	}
	pt, err := aead.Open(nil, []byte(r.Nonce), ct, []byte(r.AssociatedData))
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}

// Encrypt seals plaintext as a resource, as WeChat Pay does (for stand-ins
// and tests).
func Encrypt(apiV3Key []byte, originalType, associatedData string, plaintext []byte) (Resource, error) {
	block, err := aes.NewCipher(apiV3Key)
	if err != nil {
		return Resource{}, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return Resource{}, err
	}
	nonce := randomString(12)
	ct := aead.Seal(nil, []byte(nonce), plaintext, []byte(associatedData))
	return Resource{OriginalType: originalType, Algorithm: "AEAD_AES_256_GCM", Ciphertext: base64.StdEncoding.EncodeToString(ct),
		AssociatedData: associatedData, Nonce: nonce}, nil
}

// ParseNotification verifies a notification (Verify) and decrypts its
// resource. The envelope comes back with the plaintext.
func (m *Merchant) ParseNotification(h http.Header, body []byte, now time.Time) (*Notification, []byte, error) {
	if err := m.Verify(h, body, now); err != nil {
		return nil, nil, err
	}
	var n Notification
	if err := json.Unmarshal(body, &n); err != nil {
		return nil, nil, fmt.Errorf("wechatpay: notification: %w", err)
	}
	pt, err := Decrypt(m.APIv3Key, n.Resource)
	if err != nil {
		return &n, nil, err
	}
	return &n, pt, nil
}

// Amount is an order's or refund's money, in fen.
type Amount struct {
	Total         int64  `json:"total"`
	PayerTotal    int64  `json:"payer_total,omitempty"`
	Currency      string `json:"currency,omitempty"`
	PayerCurrency string `json:"payer_currency,omitempty"`
	Refund        int64  `json:"refund,omitempty"`
	PayerRefund   int64  `json:"payer_refund,omitempty"`
}

// Transaction is the decrypted resource of TRANSACTION.SUCCESS (and the
// answer of an order query).
type Transaction struct {
	MchID         string `json:"mchid"`
	AppID         string `json:"appid"`
	OutTradeNo    string `json:"out_trade_no"`
	TransactionID string `json:"transaction_id"`
	TradeType     string `json:"trade_type"`
	TradeState    string `json:"trade_state"`
	SuccessTime   string `json:"success_time"`
	Amount        Amount `json:"amount"`
}

// RefundResult is a refund as WeChat Pay reports it: the answer to a refund
// request or query, and the decrypted resource of REFUND.* notifications.
type RefundResult struct {
	MchID         string `json:"mchid,omitempty"`
	RefundID      string `json:"refund_id"`
	OutRefundNo   string `json:"out_refund_no"`
	TransactionID string `json:"transaction_id"`
	OutTradeNo    string `json:"out_trade_no"`
	// Status is SUCCESS, PROCESSING, CLOSED or ABNORMAL (answers); the
	// notifications call it refund_status.
	Status       string `json:"status,omitempty"`
	RefundStatus string `json:"refund_status,omitempty"`
	SuccessTime  string `json:"success_time,omitempty"`
	Amount       Amount `json:"amount"`
}

// State is the refund's status whichever field carried it.
func (r *RefundResult) State() string {
	if r.Status != "" {
		return r.Status
	}
	return r.RefundStatus
}

// Client calls WeChat Pay.
type Client struct {
	// BaseURL is the API host (DefaultBaseURL), or a stand-in's.
	BaseURL string
	HTTP    *http.Client
	Now     func() time.Time
}

// APIError is WeChat Pay's refusal: the status and its {code, message}.
type APIError struct {
	Status  int
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *APIError) Error() string {
	return fmt.Sprintf("wechatpay: %d %s: %s", e.Status, e.Code, e.Message)
}

// Temporary reports whether the same request may succeed later: a server
// error or a rate limit, never a refusal of its content.
func (e *APIError) Temporary() bool {
	return e.Status >= 500 || e.Status == http.StatusTooManyRequests || e.Code == "SYSTEM_ERROR" || e.Code == "FREQUENCY_LIMITED"
}

// Authorization returns the Authorization header of a request: the
// merchant's signature over "METHOD\nPATH?QUERY\ntimestamp\nnonce\nbody\n".
func (m *Merchant) Authorization(method, pathAndQuery string, body []byte, ts int64, nonce string) (string, error) {
	msg := method + "\n" + pathAndQuery + "\n" + strconv.FormatInt(ts, 10) + "\n" + nonce + "\n" + string(body) + "\n"
	sig, err := Sign(m.PrivateKey, msg)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf(`%s mchid="%s",nonce_str="%s",signature="%s",timestamp="%d",serial_no="%s"`,
		SignatureType, m.MchID, nonce, sig, ts, m.SerialNo), nil
}

// ParseAuthorization reads an Authorization header back (for stand-ins).
func ParseAuthorization(h string) (map[string]string, bool) {
	rest, ok := strings.CutPrefix(h, SignatureType+" ")
	if !ok {
		return nil, false
	}
	out := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, false
		}
		out[k] = strings.Trim(v, `"`)
	}
	return out, true
}

// VerifyAuthorization checks a request's Authorization against the
// merchant's public key (for stand-ins).
func VerifyAuthorization(pub *rsa.PublicKey, method, pathAndQuery string, body []byte, header string) (map[string]string, error) {
	a, ok := ParseAuthorization(header)
	if !ok {
		return nil, ErrMalformed
	}
	msg := method + "\n" + pathAndQuery + "\n" + a["timestamp"] + "\n" + a["nonce_str"] + "\n" + string(body) + "\n"
	return a, verify(pub, msg, a["signature"])
}

func randomString(n int) string {
	b := make([]byte, (n+1)/2)
	_, _ = rand.Read(b)
	return strings.ToUpper(hex.EncodeToString(b))[:n]
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Client) base() string {
	if c.BaseURL == "" {
		return DefaultBaseURL
	}
	return strings.TrimRight(c.BaseURL, "/")
}

// do sends a signed request and decodes a verified answer into out.
func (c *Client) do(ctx context.Context, m *Merchant, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	u, err := url.Parse(c.base() + path)
	if err != nil {
		return err
	}
	auth, err := m.Authorization(method, u.RequestURI(), body, c.now().Unix(), randomString(32))
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", auth)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "jiujinan-wechatpay/1")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 15 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("wechatpay: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("wechatpay: %s %s: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &APIError{Status: resp.StatusCode}
		_ = json.Unmarshal(raw, e)
		return e
	}
	// An answer that says the money moved must be WeChat Pay's own.
	if err := m.Verify(resp.Header, raw, c.now()); err != nil {
		return fmt.Errorf("wechatpay: %s %s: answer: %w", method, path, err)
	}
	if out == nil || len(raw) == 0 {
		return nil
	}
	return json.Unmarshal(raw, out)
}

// Order is what a payment order says: the merchant's order number (the
// pledge's reference), what the donor sees, the amount in fen, until when
// it may be paid and where WeChat Pay notifies.
type Order struct {
	OutTradeNo  string
	Description string
	AmountFen   int64
	Expires     time.Time
	NotifyURL   string
}

type prepay struct {
	AppID       string     `json:"appid"`
	MchID       string     `json:"mchid"`
	Description string     `json:"description"`
	OutTradeNo  string     `json:"out_trade_no"`
	TimeExpire  string     `json:"time_expire,omitempty"`
	NotifyURL   string     `json:"notify_url"`
	Amount      Amount     `json:"amount"`
	SceneInfo   *sceneInfo `json:"scene_info,omitempty"`
}

type sceneInfo struct {
	PayerClientIP string  `json:"payer_client_ip"`
	H5Info        *h5Info `json:"h5_info,omitempty"`
}

type h5Info struct {
	Type string `json:"type"`
}

// china is UTC+8, the zone WeChat Pay writes times in (RFC 3339).
var china = time.FixedZone("CST", 8*3600)

func (o Order) request(m *Merchant) prepay {
	p := prepay{AppID: m.AppID, MchID: m.MchID, Description: o.Description, OutTradeNo: o.OutTradeNo, NotifyURL: o.NotifyURL,
		Amount: Amount{Total: o.AmountFen, Currency: "CNY"}}
	if !o.Expires.IsZero() {
		p.TimeExpire = o.Expires.In(china).Format(time.RFC3339)
	}
	return p
}

// NativePrepay creates a Native order (扫码支付) and returns its code_url,
// which the donor scans with WeChat. POST /v3/pay/transactions/native.
func (c *Client) NativePrepay(ctx context.Context, m *Merchant, o Order) (string, error) {
	var out struct {
		CodeURL string `json:"code_url"`
	}
	if err := c.do(ctx, m, http.MethodPost, "/v3/pay/transactions/native", o.request(m), &out); err != nil {
		return "", err
	}
	if out.CodeURL == "" {
		return "", errors.New("wechatpay: native order: no code_url in the answer")
	}
	return out.CodeURL, nil
}

// H5Prepay creates an H5 order (a phone's browser) and returns its h5_url,
// where the donor's browser goes to pay. POST /v3/pay/transactions/h5.
func (c *Client) H5Prepay(ctx context.Context, m *Merchant, o Order, clientIP string) (string, error) {
	req := o.request(m)
	req.SceneInfo = &sceneInfo{PayerClientIP: clientIP, H5Info: &h5Info{Type: "Wap"}}
	var out struct {
		H5URL string `json:"h5_url"`
	}
	if err := c.do(ctx, m, http.MethodPost, "/v3/pay/transactions/h5", req, &out); err != nil {
		return "", err
	}
	if out.H5URL == "" {
		return "", errors.New("wechatpay: h5 order: no h5_url in the answer")
	}
	return out.H5URL, nil
}

// RefundRequest asks for money of an order back to the payer.
type RefundRequest struct {
	TransactionID string `json:"transaction_id,omitempty"`
	OutTradeNo    string `json:"out_trade_no,omitempty"`
	OutRefundNo   string `json:"out_refund_no"`
	Reason        string `json:"reason,omitempty"`
	NotifyURL     string `json:"notify_url,omitempty"`
	Amount        Amount `json:"amount"`
}

// Refund asks for a refund (申请退款). POST /v3/refund/domestic/refunds;
// out_refund_no makes a repeated request the same refund.
func (c *Client) Refund(ctx context.Context, m *Merchant, r RefundRequest) (*RefundResult, error) {
	r.Amount.Currency = "CNY"
	var out RefundResult
	if err := c.do(ctx, m, http.MethodPost, "/v3/refund/domestic/refunds", r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// QueryRefund reads a refund by its out_refund_no.
// GET /v3/refund/domestic/refunds/{out_refund_no}.
func (c *Client) QueryRefund(ctx context.Context, m *Merchant, outRefundNo string) (*RefundResult, error) {
	var out RefundResult
	if err := c.do(ctx, m, http.MethodGet, "/v3/refund/domestic/refunds/"+url.PathEscape(outRefundNo), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SignResponse sets the headers WeChat Pay signs an answer or a
// notification with (for stand-ins and tests): timestamp, nonce, serial
// and the signature with key.
func SignResponse(h http.Header, key *rsa.PrivateKey, serial string, body []byte, at time.Time) error {
	ts := strconv.FormatInt(at.Unix(), 10)
	nonce := randomString(32)
	sig, err := Sign(key, ts+"\n"+nonce+"\n"+string(body)+"\n")
	if err != nil {
		return err
	}
	h.Set("Wechatpay-Timestamp", ts)
	h.Set("Wechatpay-Nonce", nonce)
	h.Set("Wechatpay-Signature", sig)
	h.Set("Wechatpay-Serial", serial)
	h.Set("Wechatpay-Signature-Type", SignatureType)
	return nil
}
