package email_test

import (
	"context"
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/notify"
	"github.com/jiujinan/jiujinan/notify/email"
	"github.com/jiujinan/jiujinan/notify/notifytest"
)

func message() notify.Message {
	return notify.Message{ID: "01jdelivery0000000000000001", Kind: notify.KindPledgeConfirmed,
		To: notify.Recipient{DisplayName: "李捐赠", Email: "donor@example.org"},
		Rendered: notify.Rendered{Subject: "您的捐赠已确认到账", Text: "您捐给郓城县慈善总会的 ¥100.00 已到账。\n查看：https://jjn.example.org/my/giving",
			HTML: "<p>您捐给郓城县慈善总会的 <strong>¥100.00</strong> 已到账。</p>"}}
}

// The message reaches a local SMTP server over STARTTLS (the default
// mode), signed in with the operator's user and password: to the
// recipient, from the sender, with the subject in Chinese, the plain text
// and the HTML alternative, and the delivery's Message-ID.
func TestEmailArrives(t *testing.T) {
	srv := notifytest.StartSMTP(t, "notice@jjn.example.org", "smtp-secret")
	serverTLS, roots := notifytest.SelfSigned(t)
	srv.TLS = serverTLS
	s, err := email.New(email.Config{Host: "127.0.0.1", Port: srv.Port(), User: "notice@jjn.example.org",
		Password: "smtp-secret", From: "救急难 <notice@jjn.example.org>", Timeout: 5 * time.Second,
		TLSConfig: &tls.Config{RootCAs: roots, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), message()); err != nil {
		t.Fatal(err)
	}
	got := srv.Mails()
	if len(got) != 1 {
		t.Fatalf("%d messages arrived", len(got))
	}
	m := got[0]
	if m.From != "notice@jjn.example.org" || len(m.To) != 1 || m.To[0] != "donor@example.org" {
		t.Fatalf("envelope: from %q to %v", m.From, m.To)
	}
	if len(srv.Authed()) != 1 || !srv.TLSUsed() {
		t.Fatalf("signed in %v, over TLS %v", srv.Authed(), srv.TLSUsed())
	}
	p := notifytest.Parse(t, m.Data)
	if p.Subject != "您的捐赠已确认到账" {
		t.Fatalf("subject %q", p.Subject)
	}
	to, err := p.Header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Address != "donor@example.org" || to[0].Name != "李捐赠" {
		t.Fatalf("To: %v %v", to, err)
	}
	if id := p.Header.Get("Message-Id"); id != "<01jdelivery0000000000000001@jjn.example.org>" {
		t.Fatalf("Message-ID %q", id)
	}
	if !strings.Contains(p.Parts["text/plain"], "¥100.00 已到账") || !strings.Contains(p.Parts["text/plain"], "https://jjn.example.org/my/giving") {
		t.Fatalf("plain text: %q", p.Parts["text/plain"])
	}
	if !strings.Contains(p.Parts["text/html"], "<strong>¥100.00</strong>") {
		t.Fatalf("html: %q", p.Parts["text/html"])
	}
}

// A recipient the server refuses for good (5xx) is a permanent failure; a
// passing refusal (4xx) and a server that is not there are not.
func TestEmailFailures(t *testing.T) {
	for _, tc := range []struct {
		name      string
		reply     string
		permanent bool
	}{
		{"mailbox unknown", "550 5.1.1 no such user", true},
		{"try later", "451 4.3.0 try again later", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := notifytest.StartSMTP(t, "", "")
			srv.RcptReply = tc.reply
			s, err := email.New(email.Config{Host: "127.0.0.1", Port: srv.Port(), TLS: email.TLSNone, From: "notice@jjn.example.org", Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			err = s.Send(context.Background(), message())
			if err == nil || notify.IsPermanent(err) != tc.permanent {
				t.Fatalf("error %v, permanent %v; want permanent %v", err, notify.IsPermanent(err), tc.permanent)
			}
		})
	}
	t.Run("no server", func(t *testing.T) {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		s, err := email.New(email.Config{Host: "127.0.0.1", Port: port, TLS: email.TLSNone, From: "notice@jjn.example.org", Timeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Send(context.Background(), message()); err == nil || notify.IsPermanent(err) {
			t.Fatalf("error %v: want one to retry", err)
		}
	})
}

// A bad setting is refused at start, naming the variable.
func TestEmailConfig(t *testing.T) {
	for _, tc := range []struct {
		cfg  email.Config
		want string
	}{
		{email.Config{From: "a@b.cn"}, "SMTP_HOST"},
		{email.Config{Host: "h", From: "not an address"}, "SMTP_FROM"},
		{email.Config{Host: "h", From: "a@b.cn", TLS: "ssl3"}, "SMTP_TLS"},
		{email.Config{Host: "h", From: "a@b.cn", Port: 70000}, "SMTP_PORT"},
	} {
		if _, err := email.New(tc.cfg); err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want an error naming %s", tc.cfg, err, tc.want)
		}
	}
	if _, err := email.New(email.Config{Host: "smtp.example.org", From: "救急难 <notice@example.org>"}); err != nil {
		t.Errorf("defaults: %v", err)
	}
}

// Without TLS, the password is never sent: the server offers only PLAIN,
// which the client will not send in the clear.
func TestEmailNeverSendsAPasswordInTheClear(t *testing.T) {
	srv := notifytest.StartSMTP(t, "u", "p")
	s, err := email.New(email.Config{Host: "127.0.0.1", Port: srv.Port(), TLS: email.TLSNone, User: "u", Password: "p",
		From: "notice@jjn.example.org", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), message()); err == nil || len(srv.Authed()) != 0 || len(srv.Mails()) != 0 {
		t.Fatalf("error %v, signed in %v", err, srv.Authed())
	}
}
