// Package sms sends notifications by SMS through a provider adapter: a
// Channel picks the provider's template of each kind of notice and fills
// its variables; Aliyun is the adapter for Alibaba Cloud's SMS service
// (短信服务 SendSms).
package sms

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/jiujinan/jiujinan/notify"
)

// Provider sends one templated SMS: the provider's template code and its
// variables, to a mainland mobile number. outID identifies the message to
// the provider (the delivery's id). An error marked notify.Permanent is
// one no retry mends.
type Provider interface {
	SendSMS(ctx context.Context, phone, template string, vars map[string]string, outID string) error
}

// MaxVarRunes bounds a template variable: providers refuse longer ones
// in notification templates (Aliyun: 35 characters).
const MaxVarRunes = 35

// Channel is the SMS channel over a provider.
type Channel struct {
	Provider Provider
	// Templates are the provider's template codes by kind; a kind without
	// one is not offered by SMS.
	Templates map[notify.Kind]string
}

var _ notify.Sender = (*Channel)(nil)

// Supports reports whether kind k has a template.
func (c *Channel) Supports(k notify.Kind) bool { return c.Templates[k] != "" }

// Send implements notify.Sender.
func (c *Channel) Send(ctx context.Context, m notify.Message) error {
	tpl := c.Templates[m.Kind]
	if tpl == "" {
		return notify.Fail(notify.ReasonSetup, true, fmt.Errorf("no SMS template for %s", m.Kind))
	}
	if m.Phone == "" {
		return notify.Fail(notify.ReasonRecipient, true, errors.New("no phone number"))
	}
	vars := make(map[string]string, len(m.Vars))
	for k, v := range m.Vars {
		if utf8.RuneCountInString(v) > MaxVarRunes {
			v = string([]rune(v)[:MaxVarRunes-1]) + "…"
		}
		vars[k] = v
	}
	return c.Provider.SendSMS(ctx, m.Phone, tpl, vars, m.ID)
}

// ParseTemplates reads SMS_TEMPLATES: "kind=CODE" pairs separated by
// commas or semicolons, e.g. "pledge_confirmed=SMS_1001,gift_disbursed=SMS_1002".
func ParseTemplates(s string) (map[notify.Kind]string, error) {
	out := map[notify.Kind]string{}
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' }) {
		k, code, ok := strings.Cut(strings.TrimSpace(part), "=")
		k, code = strings.TrimSpace(k), strings.TrimSpace(code)
		if !ok || code == "" {
			return nil, fmt.Errorf("%q: want kind=TEMPLATE_CODE", part)
		}
		if !notify.Kind(k).Valid() {
			var kinds []string
			for _, x := range notify.Kinds {
				kinds = append(kinds, string(x))
			}
			sort.Strings(kinds)
			return nil, fmt.Errorf("%q: unknown kind (one of %s)", k, strings.Join(kinds, ", "))
		}
		if len(code) > 64 || strings.ContainsAny(code, " \"'<>&") {
			return nil, fmt.Errorf("%q: not a template code", code)
		}
		out[notify.Kind(k)] = code
	}
	return out, nil
}
