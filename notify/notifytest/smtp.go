// Package notifytest holds stand-ins for the services notifications go
// to, for tests: a minimal SMTP server and Aliyun's SMS endpoint, both on
// the loopback interface, recording what they received.
package notifytest

import (
	"bufio"
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
)

// SMTP is a minimal SMTP server (RFC 5321): EHLO with AUTH PLAIN, and
// STARTTLS when TLS is set; MAIL, RCPT, DATA, RSET, NOOP, QUIT. It keeps
// what it received and answers every RCPT with RcptReply when that is set.
type SMTP struct {
	// User and Password are the credentials AUTH PLAIN accepts.
	User, Password string
	// TLS, when set, is offered by STARTTLS.
	TLS *tls.Config
	// RcptReply, when set, answers RCPT (e.g. "550 5.1.1 no such user").
	RcptReply string

	ln      net.Listener
	mu      sync.Mutex
	mails   []Mail
	authed  []string
	tlsUsed bool
	conns   []net.Conn
	wg      sync.WaitGroup
}

// Mail is a message as the server received it.
type Mail struct {
	From string
	To   []string
	Data string
}

// StartSMTP starts a server on 127.0.0.1, stopped when t ends.
func StartSMTP(t testing.TB, user, password string) *SMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &SMTP{User: user, Password: password, ln: ln}
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

// Port is the server's port.
func (s *SMTP) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// Mails returns what arrived so far.
func (s *SMTP) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

// Authed returns the users who signed in.
func (s *SMTP) Authed() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.authed...)
}

// TLSUsed reports whether a client started TLS.
func (s *SMTP) TLSUsed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tlsUsed
}

func (s *SMTP) serve(c net.Conn) {
	defer func() { c.Close() }()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	say := func(line string) { _, _ = io.WriteString(c, line+"\r\n") }
	say("220 localhost ESMTP notifytest")
	var cur Mail
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		switch strings.ToUpper(strings.SplitN(line, " ", 2)[0]) {
		case "EHLO", "HELO":
			say("250-localhost greets you")
			if _, isTLS := c.(*tls.Conn); s.TLS != nil && !isTLS {
				say("250-STARTTLS")
			}
			say("250-AUTH PLAIN")
			say("250 8BITMIME")
		case "STARTTLS":
			if s.TLS == nil {
				say("502 5.5.2 not implemented")
				continue
			}
			say("220 2.0.0 ready to start TLS")
			tc := tls.Server(c, s.TLS)
			if err := tc.Handshake(); err != nil {
				return
			}
			s.mu.Lock()
			s.tlsUsed = true
			s.mu.Unlock()
			c, r, cur = tc, bufio.NewReader(tc), Mail{}
		case "AUTH":
			f := strings.Fields(line)
			if len(f) != 3 || strings.ToUpper(f[1]) != "PLAIN" {
				say("504 5.5.4 unrecognised authentication type")
				continue
			}
			raw, _ := base64.StdEncoding.DecodeString(f[2])
			parts := strings.Split(string(raw), "\x00")
			if len(parts) != 3 || parts[1] != s.User || parts[2] != s.Password {
				say("535 5.7.8 authentication failed")
				continue
			}
			s.mu.Lock()
			s.authed = append(s.authed, parts[1])
			s.mu.Unlock()
			say("235 2.7.0 authenticated")
		case "MAIL":
			cur = Mail{From: addrOf(line)}
			say("250 2.1.0 ok")
		case "RCPT":
			if s.RcptReply != "" {
				say(s.RcptReply)
				continue
			}
			cur.To = append(cur.To, addrOf(line))
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
			cur.Data = b.String()
			s.mu.Lock()
			s.mails = append(s.mails, cur)
			s.mu.Unlock()
			say("250 2.0.0 queued")
		case "RSET":
			cur = Mail{}
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

func addrOf(line string) string {
	i, j := strings.Index(line, "<"), strings.Index(line, ">")
	if i < 0 || j < i {
		return ""
	}
	return line[i+1 : j]
}

// SelfSigned returns a server TLS configuration with a certificate for
// 127.0.0.1, and a pool of roots that trusts it.
func SelfSigned(t testing.TB) (*tls.Config, *x509.CertPool) {
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

// Parsed is a received message read: its headers, subject decoded, and
// the text of each part by media type.
type Parsed struct {
	Header  mail.Header
	Subject string
	Parts   map[string]string
}

// Parse reads a received message (multipart or single part, quoted-
// printable or base64).
func Parse(t testing.TB, data string) Parsed {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	out := Parsed{Header: msg.Header, Subject: subject, Parts: map[string]string{}}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(mt, "multipart/") {
		out.Parts[mt] = decode(t, msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
		return out
	}
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
		out.Parts[ct] = decode(t, p.Header.Get("Content-Transfer-Encoding"), p)
	}
	return out
}

func decode(t testing.TB, enc string, r io.Reader) string {
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
