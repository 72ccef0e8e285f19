package sms

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/notify"
)

// Aliyun sends SMS through Alibaba Cloud's SMS service: the SendSms action
// of API version 2017-05-25, an RPC-style call signed with signature
// version 1.0 (HMAC-SHA1 over the canonicalized, percent-encoded request,
// keyed with the AccessKey secret and "&"), as the service's "Signature
// method" document specifies. The request is a form POST.
type Aliyun struct {
	// Endpoint is the service's address (default https://dysmsapi.aliyuncs.com/).
	Endpoint        string
	AccessKeyID     string
	AccessKeySecret string
	// SignName is the approved signature (短信签名) shown in 【】.
	SignName string
	// RegionID is the region parameter (default cn-hangzhou).
	RegionID string
	HTTP     *http.Client
	// Now and Nonce are the clock and the nonce source (tests fix them).
	Now   func() time.Time
	Nonce func() string
}

var _ Provider = (*Aliyun)(nil)

// AliyunEndpoint is the service's public endpoint.
const AliyunEndpoint = "https://dysmsapi.aliyuncs.com/"

// PercentEncode encodes s as the signature method wants: RFC 3986, with
// only A-Z a-z 0-9 - _ . ~ left as they are, a space as %20.
func PercentEncode(s string) string {
	e := url.QueryEscape(s)
	e = strings.ReplaceAll(e, "+", "%20")
	e = strings.ReplaceAll(e, "*", "%2A")
	return strings.ReplaceAll(e, "%7E", "~")
}

// Canonicalize returns the canonicalized query string of params: sorted
// by name, names and values percent-encoded, joined by = and &.
func Canonicalize(params map[string]string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = PercentEncode(k) + "=" + PercentEncode(params[k])
	}
	return strings.Join(parts, "&")
}

// StringToSign is method & percentEncode("/") & percentEncode(canonicalized).
func StringToSign(method, canonicalized string) string {
	return method + "&" + PercentEncode("/") + "&" + PercentEncode(canonicalized)
}

// Sign returns the Base64 HMAC-SHA1 of stringToSign keyed with secret+"&".
func Sign(secret, stringToSign string) string {
	m := hmac.New(sha1.New, []byte(secret+"&"))
	m.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func (a *Aliyun) nonce() string {
	if a.Nonce != nil {
		return a.Nonce()
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Params returns the signed parameters of a SendSms request (Signature
// included).
func (a *Aliyun) Params(phone, template string, vars map[string]string, outID string) (map[string]string, error) {
	tp, err := json.Marshal(vars)
	if err != nil {
		return nil, err
	}
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	region := a.RegionID
	if region == "" {
		region = "cn-hangzhou"
	}
	p := map[string]string{
		"AccessKeyId": a.AccessKeyID, "Action": "SendSms", "Format": "JSON", "RegionId": region,
		"SignatureMethod": "HMAC-SHA1", "SignatureNonce": a.nonce(), "SignatureVersion": "1.0",
		"Timestamp": now().UTC().Format("2006-01-02T15:04:05Z"), "Version": "2017-05-25",
		"PhoneNumbers": phone, "SignName": a.SignName, "TemplateCode": template, "TemplateParam": string(tp),
	}
	if outID != "" {
		p["OutId"] = outID
	}
	p["Signature"] = Sign(a.AccessKeySecret, StringToSign(http.MethodPost, Canonicalize(p)))
	return p, nil
}

// aliyunAnswer is the service's JSON answer.
type aliyunAnswer struct {
	Code      string `json:"Code"`
	Message   string `json:"Message"`
	RequestID string `json:"RequestId"`
	BizID     string `json:"BizId"`
}

// retryable are the codes of refusals that pass: flow control, the
// service's own faults.
func retryable(code string) bool {
	return code == "isv.BUSINESS_LIMIT_CONTROL" || code == "isv.DAY_LIMIT_CONTROL" || strings.HasPrefix(code, "isp.") ||
		strings.HasPrefix(code, "Throttling") || code == "ServiceUnavailable" || code == "InternalError"
}

// SendSMS implements Provider. An answer with Code OK is success; a
// refusal the sender can mend by waiting (flow control, the service's
// faults, HTTP 5xx, a broken connection) is an error to retry; any other
// (a bad number, template or key) is notify.Permanent. Errors name the
// code and request id, never the number.
func (a *Aliyun) SendSMS(ctx context.Context, phone, template string, vars map[string]string, outID string) error {
	p, err := a.Params(phone, template, vars, outID)
	if err != nil {
		return notify.Fail(notify.ReasonSetup, true, err)
	}
	endpoint := a.Endpoint
	if endpoint == "" {
		endpoint = AliyunEndpoint
	}
	form := url.Values{}
	for k, v := range p {
		form.Set(k, v)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return notify.Fail(notify.ReasonSetup, true, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	hc := a.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		// The error names the endpoint; the number is in the body only.
		return fmt.Errorf("aliyun sms: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var ans aliyunAnswer
	jerr := json.Unmarshal(body, &ans)
	switch {
	case resp.StatusCode == http.StatusOK && jerr == nil && ans.Code == "OK":
		return nil
	case jerr != nil || ans.Code == "":
		err := fmt.Errorf("aliyun sms: HTTP %d without an answer", resp.StatusCode)
		if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
			return err
		}
		return notify.Permanent(err)
	}
	err = fmt.Errorf("aliyun sms: %s: %s (request %s)", ans.Code, ans.Message, ans.RequestID)
	switch {
	case retryable(ans.Code) || resp.StatusCode >= 500:
		return err
	case ans.Code == "isv.MOBILE_NUMBER_ILLEGAL" || ans.Code == "isv.BLACK_KEY_CONTROL_LIMIT":
		return notify.Fail(notify.ReasonRecipient, true, err)
	case strings.HasPrefix(ans.Code, "InvalidAccessKeyId") || ans.Code == "SignatureDoesNotMatch" || strings.Contains(ans.Code, "TEMPLATE") ||
		strings.Contains(ans.Code, "SIGNATURE") || ans.Code == "isv.ACCOUNT_NOT_EXISTS" || ans.Code == "isv.ACCOUNT_ABNORMAL":
		return notify.Fail(notify.ReasonSetup, true, err)
	}
	return notify.Permanent(err)
}
