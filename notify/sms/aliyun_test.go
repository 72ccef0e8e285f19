package sms_test

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/notify"
	"github.com/jiujinan/jiujinan/notify/sms"
)

var update = flag.Bool("update", false, "rewrite the recorded contract in testdata")

// The signature method's published example (Alibaba Cloud, "Signature
// method", signature version 1.0): the string to sign of a GET of
// DescribeRegions with AccessKey secret "testsecret" signs to
// CT9X0VtwR86fNWSnsc6v8YGOjuE=.
func TestAliyunSignatureMatchesThePublishedExample(t *testing.T) {
	p := map[string]string{"AccessKeyId": "testid", "Action": "DescribeRegions", "Format": "XML", "SignatureMethod": "HMAC-SHA1",
		"SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf", "SignatureVersion": "1.0", "TimeStamp": "2016-02-23T12:46:24Z", "Version": "2014-05-26"}
	sts := sms.StringToSign("GET", sms.Canonicalize(p))
	want := "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26TimeStamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
	if sts != want {
		t.Fatalf("string to sign\n got %s\nwant %s", sts, want)
	}
	if got := sms.Sign("testsecret", sts); got != "CT9X0VtwR86fNWSnsc6v8YGOjuE=" {
		t.Fatalf("signature %s", got)
	}
	// RFC 3986 with the method's exceptions.
	for in, out := range map[string]string{"a b": "a%20b", "*": "%2A", "~": "~", "救": "%E6%95%91", `{"a":"b"}`: "%7B%22a%22%3A%22b%22%7D"} {
		if got := sms.PercentEncode(in); got != out {
			t.Errorf("PercentEncode(%q) = %q, want %q", in, got, out)
		}
	}
}

func provider(endpoint string) *sms.Aliyun {
	return &sms.Aliyun{Endpoint: endpoint, AccessKeyID: "LTAI-test-id", AccessKeySecret: "test-secret", SignName: "救急难",
		Now: func() time.Time { return time.Date(2026, 12, 1, 1, 2, 3, 0, time.UTC) }, Nonce: func() string { return "nonce-0001" }}
}

var vars = map[string]string{"amount": "¥100.00", "org": "郓城县慈善总会"}

// The request SendSms makes is the recorded one (testdata): a form POST
// whose parameters, signature included, are byte for byte what the
// signature method gives for them; the stand-in checks the signature the
// way the service does, from the parameters it received.
func TestAliyunSendSmsContract(t *testing.T) {
	var body string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		body = string(b)
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			t.Errorf("%s %s", r.Method, r.Header.Get("Content-Type"))
		}
		form, err := url.ParseQuery(body)
		if err != nil {
			t.Fatal(err)
		}
		p := map[string]string{}
		for k := range form {
			p[k] = form.Get(k)
		}
		sig := p["Signature"]
		delete(p, "Signature")
		if want := sms.Sign("test-secret", sms.StringToSign("POST", sms.Canonicalize(p))); sig != want {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"Code":"SignatureDoesNotMatch","Message":"Specified signature is not matched with our calculation.","RequestId":"r0"}`)
			return
		}
		answer, err := os.ReadFile(filepath.Join("testdata", "aliyun_sendsms_ok.json"))
		if err != nil {
			t.Fatal(err)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(answer)
	}))
	defer srv.Close()
	if err := provider(srv.URL).SendSMS(context.Background(), "13800138000", "SMS_123456789", vars, "01jdelivery"); err != nil {
		t.Fatal(err)
	}
	form, _ := url.ParseQuery(body)
	for k, want := range map[string]string{"Action": "SendSms", "Version": "2017-05-25", "Format": "JSON", "SignatureMethod": "HMAC-SHA1",
		"SignatureVersion": "1.0", "SignatureNonce": "nonce-0001", "Timestamp": "2026-12-01T01:02:03Z", "AccessKeyId": "LTAI-test-id",
		"RegionId": "cn-hangzhou", "PhoneNumbers": "13800138000", "SignName": "救急难", "TemplateCode": "SMS_123456789", "OutId": "01jdelivery"} {
		if got := form.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	var tp map[string]string
	if err := json.Unmarshal([]byte(form.Get("TemplateParam")), &tp); err != nil || tp["amount"] != "¥100.00" || tp["org"] != "郓城县慈善总会" {
		t.Errorf("TemplateParam %q: %v", form.Get("TemplateParam"), err)
	}
	// The whole request as recorded: parameters sorted, signature last.
	p := map[string]string{}
	for k := range form {
		p[k] = form.Get(k)
	}
	sig := p["Signature"]
	delete(p, "Signature")
	recorded := sms.Canonicalize(p) + "&Signature=" + sms.PercentEncode(sig) + "\n"
	path := filepath.Join("testdata", "aliyun_sendsms_request.txt")
	if *update {
		if err := os.WriteFile(path, []byte(recorded), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if recorded != string(want) {
		t.Fatalf("the request differs from the recorded one\n got %s\nwant %s", recorded, want)
	}
}

// How the service's refusals are taken: flow control and its own faults
// are tried again, a bad number, template or key is not; no error names
// the number.
func TestAliyunRefusals(t *testing.T) {
	for _, tc := range []struct {
		name      string
		status    int
		answer    string
		permanent bool
		reason    notify.Reason
	}{
		{"flow control", 200, `{"Code":"isv.BUSINESS_LIMIT_CONTROL","Message":"触发分钟级流控Permits:1","RequestId":"r1"}`, false, notify.ReasonTemporary},
		{"bad number", 200, `{"Code":"isv.MOBILE_NUMBER_ILLEGAL","Message":"非法手机号","RequestId":"r2"}`, true, notify.ReasonRecipient},
		{"no template", 200, `{"Code":"isv.SMS_TEMPLATE_ILLEGAL","Message":"模板不合法","RequestId":"r3"}`, true, notify.ReasonSetup},
		{"wrong key", 404, `{"Code":"InvalidAccessKeyId.NotFound","Message":"Specified access key is not found.","RequestId":"r4"}`, true, notify.ReasonSetup},
		{"service fault", 500, `{"Code":"isp.SYSTEM_ERROR","Message":"系统错误","RequestId":"r5"}`, false, notify.ReasonTemporary},
		{"gateway", 502, `<html>bad gateway</html>`, false, notify.ReasonTemporary},
		{"not JSON", 200, `<html>oops</html>`, true, notify.ReasonRefused},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.answer)
			}))
			defer srv.Close()
			err := provider(srv.URL).SendSMS(context.Background(), "13800138000", "SMS_1", vars, "d1")
			if err == nil || notify.IsPermanent(err) != tc.permanent || notify.ReasonOf(err) != tc.reason {
				t.Fatalf("error %v permanent %v reason %s, want permanent %v reason %s", err, notify.IsPermanent(err), notify.ReasonOf(err), tc.permanent, tc.reason)
			}
			if strings.Contains(err.Error(), "13800138000") {
				t.Fatalf("the error names the number: %v", err)
			}
		})
	}
}

type fakeProvider struct {
	phone, template string
	vars            map[string]string
}

func (f *fakeProvider) SendSMS(_ context.Context, phone, template string, vars map[string]string, outID string) error {
	f.phone, f.template, f.vars = phone, template, vars
	return nil
}

// The channel sends each kind with its template and the message's
// variables, cut to the provider's length; a kind without a template is
// not supported and refused for good.
func TestChannelTemplates(t *testing.T) {
	tpl, err := sms.ParseTemplates("pledge_confirmed=SMS_1001; gift_disbursed = SMS_1002")
	if err != nil {
		t.Fatal(err)
	}
	p := &fakeProvider{}
	c := &sms.Channel{Provider: p, Templates: tpl}
	if !c.Supports(notify.KindGiftDisbursed) || c.Supports(notify.KindReportNew) {
		t.Fatal("supports")
	}
	long := strings.Repeat("很长的标题", 10)
	m := notify.Message{ID: "d1", Kind: notify.KindPledgeConfirmed, Phone: "13800138000", Rendered: notify.Rendered{Vars: map[string]string{"title": long, "amount": "¥1.00"}}}
	if err := c.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if p.template != "SMS_1001" || p.phone != "13800138000" || p.vars["amount"] != "¥1.00" || len([]rune(p.vars["title"])) != sms.MaxVarRunes {
		t.Fatalf("sent %+v", p)
	}
	m.Kind = notify.KindReportNew
	if err := c.Send(context.Background(), m); !notify.IsPermanent(err) {
		t.Fatalf("a kind without a template: %v", err)
	}
	for _, bad := range []string{"pledge_confirmed", "nonsense=SMS_1", "pledge_confirmed="} {
		if _, err := sms.ParseTemplates(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// A service that cannot be reached is a passing failure.
func TestAliyunUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	err := provider(url).SendSMS(context.Background(), "13800138000", "SMS_1", vars, "d1")
	if err == nil || notify.IsPermanent(err) || notify.ReasonOf(err) != notify.ReasonUnreachable {
		t.Fatalf("error %v, reason %s", err, notify.ReasonOf(err))
	}
}
