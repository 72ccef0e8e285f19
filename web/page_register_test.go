package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
)

func TestRegisterPage(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	b := newBrowser(env)
	page := b.do(http.MethodGet, "/register?next=/needs/abc", nil)
	if page.Code != 200 || !strings.Contains(page.Body.String(), `name="next" value="/needs/abc"`) {
		t.Fatalf("register page: %d", page.Code)
	}
	if !strings.Contains(b.do(http.MethodGet, "/login?next=/needs/abc", nil).Body.String(), `href="/register?next=%2fneeds%2fabc"`) {
		t.Errorf("the login page does not link to sign-up with the way back")
	}
	tok := b.csrf(page.Body.String())

	t.Run("invalid fields are explained beside each field in Chinese", func(t *testing.T) {
		r := b.do(http.MethodPost, "/register", url.Values{"_csrf": {tok}, "email": {"not-an-address"}, "password": {"short"},
			"display_name": {""}, "role": {"admin"}, "next": {"/needs/abc"}})
		body := r.Body.String()
		if r.Code != http.StatusBadRequest {
			t.Fatalf("status %d", r.Code)
		}
		for _, want := range []string{`id="email-error"`, "请填写正确的电子邮箱地址", `id="password-error"`, "密码至少需要 10 个字符",
			`id="display_name-error"`, "请填写称呼", "请选择捐款或提供服务", `value="not-an-address"`, `name="next" value="/needs/abc"`} {
			if !strings.Contains(body, want) {
				t.Errorf("the form lacks %q", want)
			}
		}
		if _, ok := b.cookies[SessionCookie]; ok {
			t.Error("signed in after a refused sign-up")
		}
	})
	t.Run("a donor signs up, is signed in and returns with a message", func(t *testing.T) {
		r := b.do(http.MethodPost, "/register", url.Values{"_csrf": {tok}, "email": {"neu@example.org"}, "password": {"ein-langes-passwort"},
			"display_name": {"王女士"}, "role": {"donor"}, "next": {"/my/giving"}})
		if r.Code != http.StatusSeeOther || r.Header().Get("Location") != "/my/giving" {
			t.Fatalf("sign-up: %d %q %s", r.Code, r.Header().Get("Location"), r.Body)
		}
		g := b.do(http.MethodGet, "/my/giving", nil)
		if g.Code != 200 || !strings.Contains(g.Body.String(), "注册成功，您已登录") {
			t.Fatalf("my giving after sign-up: %d", g.Code)
		}
		if strings.Contains(b.do(http.MethodGet, "/my/giving", nil).Body.String(), "注册成功") {
			t.Error("the message is shown twice")
		}
	})
	t.Run("a volunteer who came from nowhere starts with their profile", func(t *testing.T) {
		c := newBrowser(env)
		tok := c.csrf(c.do(http.MethodGet, "/register?role=volunteer", nil).Body.String())
		r := c.do(http.MethodPost, "/register", url.Values{"_csrf": {tok}, "email": {"vol@example.org"}, "password": {"ein-langes-passwort"},
			"display_name": {"小李"}, "role": {"volunteer"}, "next": {"//evil.com"}})
		if r.Code != http.StatusSeeOther || r.Header().Get("Location") != "/volunteer" {
			t.Fatalf("volunteer sign-up: %d %q", r.Code, r.Header().Get("Location"))
		}
	})
	t.Run("an e-mail that has an account is refused beside the field", func(t *testing.T) {
		c := newBrowser(env)
		tok := c.csrf(c.do(http.MethodGet, "/register", nil).Body.String())
		r := c.do(http.MethodPost, "/register", url.Values{"_csrf": {tok}, "email": {"neu@example.org"}, "password": {"ein-langes-passwort"},
			"display_name": {"李先生"}, "role": {"volunteer"}})
		if r.Code != http.StatusConflict || !strings.Contains(r.Body.String(), "这个电子邮箱已经注册") {
			t.Fatalf("duplicate: %d", r.Code)
		}
	})
}

func TestLoginReturnsToLocalPagesOnly(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	_, p := env.user(kernel.RoleDonor, nil)
	anon := newBrowser(env)
	r := anon.do(http.MethodGet, "/my/giving?tab=1", nil)
	if r.Code != http.StatusSeeOther || r.Header().Get("Location") != "/login?next="+url.QueryEscape("/my/giving?tab=1") {
		t.Fatalf("a signed-out visitor is sent to %d %q", r.Code, r.Header().Get("Location"))
	}
	for next, want := range map[string]string{
		"/needs/abc": "/needs/abc", "/my/giving?tab=1": "/my/giving?tab=1", "": "/",
		"//evil.com": "/", "https://evil.com": "/", `/\evil`: "/", "/\t/evil.com": "/", "javascript:alert(1)": "/",
	} {
		b := newBrowser(env)
		tok := b.csrf(b.do(http.MethodGet, "/login", nil).Body.String())
		r := b.do(http.MethodPost, "/login", url.Values{"_csrf": {tok}, "email": {p.User.Email}, "password": {"password-donor"}, "next": {next}})
		if r.Code != http.StatusSeeOther || r.Header().Get("Location") != want {
			t.Errorf("next %q: %d %q, want %q", next, r.Code, r.Header().Get("Location"), want)
		}
	}
}
