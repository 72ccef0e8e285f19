package email_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/notify"
	"github.com/jiujinan/jiujinan/notify/email"
)

// smtpServer is a minimal SMTP server for the tests (RFC 5321 without
// TLS): EHLO with AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT. It keeps
// what it received and answers RCPT with rcptReply when it is set.
type smtpServer struct {
	ln net.Listener
	// tls, when set, is offered by STARTTLS.
	tls       *tls.Config
	tlsUsed   bool
	user, pw  string
	rcptReply string
	mu        sync.Mutex
	mails     []received
	authed    []string
	conns     []net.Conn
	wg        sync.WaitGroup
}

type received struct {
	from string
	to   []string
	data string
}

func startSMTP(t *testing.T, user, pw string) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln, user: user, pw: pw}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
			s.wg.Add(1)
			go func() { defer s.wg.Done(); s.serve(c) }()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		// A client that gave up without QUIT leaves its connection open.
		s.mu.Lock()
		for _, c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

func (s *smtpServer) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

func (s *smtpServer) serve(c net.Conn) {
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	say := func(line string) { _, _ = io.WriteString(c, line+"\r\n") }
	defer func() { c.Close() }()
	say("220 localhost ESMTP test")
	var cur received
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		switch verb {
		case "EHLO", "HELO":
			say("250-localhost greets you")
			if s.tls != nil && !isTLS(c) {
				say("250-STARTTLS")
			}
			say("250-AUTH PLAIN")
			say("250 8BITMIME")
		case "STARTTLS":
			if s.tls == nil {
				say("502 5.5.2 not implemented")
				continue
			}
			say("220 2.0.0 ready to start TLS")
			tc := tls.Server(c, s.tls)
			if err := tc.Handshake(); err != nil {
				return
			}
			s.mu.Lock()
			s.tlsUsed = true
			s.mu.Unlock()
			c, r, cur = tc, bufio.NewReader(tc), received{}
		case "AUTH":
			f := strings.Fields(line)
			if len(f) != 3 || strings.ToUpper(f[1]) != "PLAIN" {
				say("504 5.5.4 unrecognised authentication type")
				continue
			}
			raw, _ := base64.StdEncoding.DecodeString(f[2])
			parts := strings.Split(string(raw), "\x00")
			if len(parts) != 3 || parts[1] != s.user || parts[2] != s.pw {
				say("535 5.7.8 authentication failed")
				continue
			}
			s.mu.Lock()
			s.authed = append(s.authed, parts[1])
			s.mu.Unlock()
			say("235 2.7.0 authenticated")
		case "MAIL":
			cur = received{from: addrOf(line)}
			say("250 2.1.0 ok")
		case "RCPT":
			if s.rcptReply != "" {
				say(s.rcptReply)
				continue
			}
			cur.to = append(cur.to, addrOf(line))
			say("250 2.1.5 ok")
		case "DATA":
			say("354 end with <CRLF>.<CRLF>")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(strings.TrimPrefix(l, "."))
			}
			cur.data = b.String()
			s.mu.Lock()
			s.mails = append(s.mails, cur)
			s.mu.Unlock()
			say("250 2.0.0 queued")
		case "RSET":
			cur = received{}
			say("250 2.0.0 ok")
		case "NOOP":
			say("250 2.0.0 ok")
		case "QUIT":
			say("221 2.0.0 bye")
			return
		default:
			say("502 5.5.2 not implemented")
		}
	}
}

func isTLS(c net.Conn) bool { _, ok := c.(*tls.Conn); return ok }

// selfSigned returns a server certificate for 127.0.0.1 and a pool that
// trusts it.
func selfSigned(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, pool
}

func addrOf(line string) string {
	i, j := strings.Index(line, "<"), strings.Index(line, ">")
	if i < 0 || j < i {
		return ""
	}
	return line[i+1 : j]
}

func (s *smtpServer) received() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.mails...)
}

func message() notify.Message {
	return notify.Message{ID: "01jdelivery0000000000000001", Kind: notify.KindPledgeConfirmed,
		To: notify.Recipient{DisplayName: "李捐赠", Email: "donor@example.org"},
		Rendered: notify.Rendered{Subject: "您的捐赠已确认到账", Text: "您捐给郓城县慈善总会的 ¥100.00 已到账。\n查看：https://jjn.example.org/my/giving",
			HTML: "<p>您捐给郓城县慈善总会的 <strong>¥100.00</strong> 已到账。</p>"}}
}

// decodeBody returns the text of a part by its transfer encoding.
func decodeBody(t *testing.T, enc string, r io.Reader) string {
	t.Helper()
	switch strings.ToLower(enc) {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The message reaches a local SMTP server over STARTTLS (the default
// mode), signed in with the operator's user and password: to the
// recipient, from the sender, with the subject in Chinese, the plain text
// and the HTML alternative, and the delivery's Message-ID.
func TestEmailArrives(t *testing.T) {
	srv := startSMTP(t, "notice@jjn.example.org", "smtp-secret")
	serverTLS, roots := selfSigned(t)
	srv.tls = serverTLS
	s, err := email.New(email.Config{Host: "127.0.0.1", Port: srv.port(), User: "notice@jjn.example.org",
		Password: "smtp-secret", From: "救急难 <notice@jjn.example.org>", Timeout: 5 * time.Second,
		TLSConfig: &tls.Config{RootCAs: roots, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), message()); err != nil {
		t.Fatal(err)
	}
	got := srv.received()
	if len(got) != 1 {
		t.Fatalf("%d messages arrived", len(got))
	}
	m := got[0]
	if m.from != "notice@jjn.example.org" || len(m.to) != 1 || m.to[0] != "donor@example.org" {
		t.Fatalf("envelope: from %q to %v", m.from, m.to)
	}
	if len(srv.authed) != 1 || !srv.tlsUsed {
		t.Fatalf("signed in %v, over TLS %v", srv.authed, srv.tlsUsed)
	}
	msg, err := mail.ReadMessage(strings.NewReader(m.data))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subject != "您的捐赠已确认到账" {
		t.Fatalf("subject %q %v", subject, err)
	}
	to, err := msg.Header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Address != "donor@example.org" || to[0].Name != "李捐赠" {
		t.Fatalf("To: %v %v", to, err)
	}
	if id := msg.Header.Get("Message-Id"); id != "<01jdelivery0000000000000001@jjn.example.org>" {
		t.Fatalf("Message-ID %q", id)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("content type %q %v", mt, err)
	}
	parts := map[string]string{}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		parts[ct] = decodeBody(t, p.Header.Get("Content-Transfer-Encoding"), p)
	}
	if !strings.Contains(parts["text/plain"], "¥100.00 已到账") || !strings.Contains(parts["text/plain"], "https://jjn.example.org/my/giving") {
		t.Fatalf("plain text: %q", parts["text/plain"])
	}
	if !strings.Contains(parts["text/html"], "<strong>¥100.00</strong>") {
		t.Fatalf("html: %q", parts["text/html"])
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
			srv := startSMTP(t, "", "")
			srv.rcptReply = tc.reply
			s, err := email.New(email.Config{Host: "127.0.0.1", Port: srv.port(), TLS: email.TLSNone, From: "notice@jjn.example.org", Timeout: 5 * time.Second})
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
	srv := startSMTP(t, "u", "p")
	s, err := email.New(email.Config{Host: "127.0.0.1", Port: srv.port(), TLS: email.TLSNone, User: "u", Password: "p",
		From: "notice@jjn.example.org", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), message()); err == nil || len(srv.authed) != 0 || len(srv.received()) != 0 {
		t.Fatalf("error %v, signed in %v", err, srv.authed)
	}
}
