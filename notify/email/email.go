// Package email sends notifications by e-mail over SMTP
// (github.com/wneessen/go-mail): one message per delivery, in plain text
// with an HTML alternative, its Message-ID the delivery's, so that a
// resend after a crash is recognisably the same message.
package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/jiujinan/jiujinan/notify"
)

// TLSMode is how the connection to the SMTP server is secured.
type TLSMode string

// The TLS modes.
const (
	// TLSStartTLS requires STARTTLS (submission, port 587): the default.
	TLSStartTLS TLSMode = "starttls"
	// TLSImplicit speaks TLS from the start (SMTPS, port 465).
	TLSImplicit TLSMode = "tls"
	// TLSOpportunistic uses STARTTLS when the server offers it.
	TLSOpportunistic TLSMode = "opportunistic"
	// TLSNone never encrypts: only for a relay on the same host or network.
	TLSNone TLSMode = "none"
)

// Config is the operator's SMTP settings.
type Config struct {
	Host string
	Port int
	TLS  TLSMode
	// User and Password, when User is set, authenticate (SMTP AUTH,
	// the best mechanism the server offers).
	User     string
	Password string
	// From is the sender, e.g. "救急难 <notice@example.org>".
	From    string
	Timeout time.Duration
	// TLSConfig, when set, replaces the default (the system's roots,
	// the server's certificate checked against Host).
	TLSConfig *tls.Config
}

// Sender is the e-mail channel.
type Sender struct {
	cfg  Config
	from *mail.Address
	opts []gomail.Option
}

var _ notify.Sender = (*Sender)(nil)

// New checks cfg and returns the channel; the error names the setting.
func New(cfg Config) (*Sender, error) {
	if cfg.Host == "" {
		return nil, errors.New("SMTP_HOST: is required")
	}
	if cfg.TLS == "" {
		cfg.TLS = TLSStartTLS
	}
	if cfg.Port == 0 {
		cfg.Port = map[TLSMode]int{TLSImplicit: 465, TLSNone: 25}[cfg.TLS]
		if cfg.Port == 0 {
			cfg.Port = 587
		}
	}
	if cfg.Port < 1 || cfg.Port > 65535 {
		return nil, errors.New("SMTP_PORT: must be between 1 and 65535")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("SMTP_FROM: not an address: %v", err)
	}
	opts := []gomail.Option{gomail.WithPort(cfg.Port), gomail.WithTimeout(cfg.Timeout)}
	switch cfg.TLS {
	case TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	case TLSOpportunistic:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		return nil, fmt.Errorf("SMTP_TLS: must be starttls, tls, opportunistic or none, not %q", cfg.TLS)
	}
	if cfg.TLSConfig != nil {
		opts = append(opts, gomail.WithTLSConfig(cfg.TLSConfig))
	}
	if cfg.User != "" {
		// The strongest mechanism the server offers; PLAIN and LOGIN only
		// over TLS.
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(cfg.User), gomail.WithPassword(cfg.Password))
	}
	return &Sender{cfg: cfg, from: from, opts: opts}, nil
}

// Send implements notify.Sender: one connection per message (notices are
// few). A refusal of the recipient for good (a 5xx answer) is permanent.
func (s *Sender) Send(ctx context.Context, m notify.Message) error {
	msg := gomail.NewMsg()
	msg.FromMailAddress(s.from)
	if err := msg.AddToFormat(m.To.DisplayName, m.To.Email); err != nil {
		return notify.Fail(notify.ReasonRecipient, true, fmt.Errorf("the recipient's address: %w", err))
	}
	msg.Subject(m.Subject)
	domain := s.from.Address[strings.LastIndex(s.from.Address, "@")+1:]
	msg.SetMessageIDWithValue(m.ID + "@" + domain)
	msg.SetDate()
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	c, err := gomail.NewClient(s.cfg.Host, s.opts...)
	if err != nil {
		return notify.Fail(notify.ReasonSetup, true, err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		var se *gomail.SendError
		if errors.As(err, &se) && !se.IsTemp() && se.ErrorCode() >= 500 {
			return notify.Permanent(err)
		}
		return err
	}
	return nil
}
