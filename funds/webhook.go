package funds

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// NotificationWindow is how far a notification's timestamp may be from now.
const NotificationWindow = 5 * time.Minute

// SignNotification returns the X-Jiujinan-Signature header value for body
// at t: "t=<unix>,v1=<hex HMAC-SHA256 of "<unix>.<body>">".
func SignNotification(secret, body []byte, t time.Time) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return m.Sum(nil)
}

// VerifySignature checks a notification's signature header against body:
// the HMAC must match (compared in constant time) and the timestamp must be
// within NotificationWindow of now. ErrUnauthorized otherwise.
func VerifySignature(secret []byte, header string, body []byte, now time.Time) error {
	if len(secret) == 0 {
		return kernel.ErrUnauthorizedf("payment notifications are not configured")
	}
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return kernel.ErrUnauthorizedf("missing or malformed X-Jiujinan-Signature")
	}
	want := mac(secret, ts, body)
	ok := false
	for _, sig := range sigs {
		if hmac.Equal(sig, want) {
			ok = true
		}
	}
	if !ok {
		return kernel.ErrUnauthorizedf("signature does not match")
	}
	at := time.Unix(sec, 0)
	if d := now.Sub(at); d > NotificationWindow || d < -NotificationWindow {
		return kernel.ErrUnauthorizedf("signature timestamp outside the %s window", NotificationWindow)
	}
	return nil
}

// Notification is the body of a payment notification.
type Notification struct {
	ID        string `json:"id"`
	PledgeID  string `json:"pledge_id"`
	Reference string `json:"reference"`
	AmountFen int64  `json:"amount_fen"`
	PaidAt    string `json:"paid_at"`
}

// HandleNotification verifies a signed payment notification and confirms
// the pledge it names (by id or reference) in one transaction with the
// notification id, so that a replay is refused (ErrReplayed).
func (s *Service) HandleNotification(ctx context.Context, signature string, body []byte) (*Pledge, error) {
	if err := VerifySignature(s.WebhookSecret, signature, body, s.now()); err != nil {
		return nil, err
	}
	var n Notification
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&n); err != nil {
		return nil, kernel.Invalid("body", "is not a payment notification: %v", err)
	}
	v := &kernel.ValidationError{}
	if n.ID == "" || len(n.ID) > 100 {
		v.Add("id", "is required (at most 100 characters)")
	}
	if n.PledgeID == "" && n.Reference == "" {
		v.Add("pledge_id", "pledge_id or reference is required")
	}
	checkAmount(v, "amount_fen", n.AmountFen)
	if err := v.Err(); err != nil {
		return nil, err
	}
	var p *Pledge
	var err error
	if n.PledgeID != "" {
		p, err = s.Store.Pledge(ctx, n.PledgeID)
	} else {
		p, err = s.Store.PledgeByReference(ctx, strings.ToUpper(n.Reference))
	}
	if err != nil {
		return nil, err
	}
	if n.PledgeID != "" && n.Reference != "" && !strings.EqualFold(p.Reference, n.Reference) {
		return nil, kernel.Invalid("reference", "does not belong to the pledge")
	}
	out, err := s.confirm(ctx, p.PublicID, ViaNotification, 0, n.ID, n.AmountFen)
	if err != nil {
		return nil, fmt.Errorf("funds: payment notification: %w", err)
	}
	return out, nil
}
