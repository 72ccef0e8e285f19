package notifytest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/jiujinan/jiujinan/notify/sms"
)

// Aliyun is a stand-in for Alibaba Cloud's SMS endpoint: it checks each
// SendSms request's signature as the service does (signature method 1.0,
// HMAC-SHA1 with the AccessKey secret) and answers as the service does,
// recording what it accepted.
type Aliyun struct {
	URL    string
	Secret string
	mu     sync.Mutex
	sms    []SMS
}

// SMS is a message the stand-in accepted.
type SMS struct {
	Phone, Template, SignName, OutID string
	Vars                             map[string]string
}

// StartAliyun starts the stand-in, stopped when t ends.
func StartAliyun(t testing.TB, secret string) *Aliyun {
	t.Helper()
	a := &Aliyun{Secret: secret}
	srv := httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(srv.Close)
	a.URL = srv.URL + "/"
	return a
}

func (a *Aliyun) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	answer := func(status int, code, msg string) {
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"Code": code, "Message": msg, "RequestId": "notifytest-1", "BizId": "notifytest^0"})
	}
	body, _ := io.ReadAll(r.Body)
	form, err := url.ParseQuery(string(body))
	if r.Method != http.MethodPost || err != nil {
		answer(http.StatusBadRequest, "InvalidParameter", "want a form POST")
		return
	}
	p := map[string]string{}
	for k := range form {
		p[k] = form.Get(k)
	}
	sig := p["Signature"]
	delete(p, "Signature")
	if sig == "" || sig != sms.Sign(a.Secret, sms.StringToSign(http.MethodPost, sms.Canonicalize(p))) {
		answer(http.StatusBadRequest, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation.")
		return
	}
	if p["Action"] != "SendSms" || p["Version"] != "2017-05-25" {
		answer(http.StatusBadRequest, "InvalidAction.NotFound", "Specified api is not found")
		return
	}
	vars := map[string]string{}
	if err := json.Unmarshal([]byte(p["TemplateParam"]), &vars); err != nil {
		answer(http.StatusOK, "isv.INVALID_JSON_PARAM", "JSON参数不合法")
		return
	}
	a.mu.Lock()
	a.sms = append(a.sms, SMS{Phone: p["PhoneNumbers"], Template: p["TemplateCode"], SignName: p["SignName"], OutID: p["OutId"], Vars: vars})
	a.mu.Unlock()
	answer(http.StatusOK, "OK", "OK")
}

// Sent returns the messages accepted so far.
func (a *Aliyun) Sent() []SMS {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]SMS(nil), a.sms...)
}
