package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
)

// browser keeps cookies between requests, like a browser.
type browser struct {
	t       *testing.T
	env     *testEnv
	cookies map[string]*http.Cookie
}

func newBrowser(env *testEnv) *browser {
	return &browser{t: env.t, env: env, cookies: map[string]*http.Cookie{}}
}

func (b *browser) do(method, path string, form url.Values) *httptest.ResponseRecorder {
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	req.Header.Set("Accept", "text/html")
	for _, c := range b.cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	b.env.srv.Echo.ServeHTTP(rec, req)
	for _, c := range rec.Result().Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c
		}
	}
	checkChinesePage(b.t, path, rec)
	return rec
}

var csrfRe = regexp.MustCompile(`name="csrf-token" content="([^"]+)"`)

func (b *browser) csrf(body string) string {
	m := csrfRe.FindStringSubmatch(body)
	if m == nil {
		b.t.Fatalf("no CSRF token in page")
	}
	return m[1]
}

func TestPagesLoginLanguageAndCareMode(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	_, p := env.user(kernel.RoleDonor, nil)
	b := newBrowser(env)

	home := b.do(http.MethodGet, "/", nil)
	if home.Code != 200 || !strings.Contains(home.Body.String(), "让每一份爱心") || !strings.Contains(home.Body.String(), `lang="zh-CN"`) {
		t.Fatalf("home in Chinese by default: %d", home.Code)
	}
	if strings.Contains(home.Body.String(), "<script>") || strings.Contains(home.Body.String(), "cdn") {
		t.Errorf("inline or remote scripts in the page")
	}
	token := b.csrf(home.Body.String())

	t.Run("a form without the CSRF token is refused", func(t *testing.T) {
		r := b.do(http.MethodPost, "/login", url.Values{"email": {p.User.Email}, "password": {"password-donor"}})
		if r.Code != http.StatusForbidden && r.Code != http.StatusBadRequest {
			t.Fatalf("status %d, want 403 or 400", r.Code)
		}
		if _, ok := b.cookies[SessionCookie]; ok {
			t.Fatal("signed in without a CSRF token")
		}
	})
	t.Run("a wrong password shows the form again", func(t *testing.T) {
		r := b.do(http.MethodPost, "/login", url.Values{"_csrf": {token}, "email": {p.User.Email}, "password": {"nope-nope-nope"}})
		if r.Code != 401 || !strings.Contains(r.Body.String(), "邮箱或密码不正确") {
			t.Fatalf("status %d", r.Code)
		}
	})
	t.Run("signing in sets an HttpOnly session cookie and the page knows the user", func(t *testing.T) {
		r := b.do(http.MethodPost, "/login", url.Values{"_csrf": {token}, "email": {p.User.Email}, "password": {"password-donor"}})
		if r.Code != http.StatusSeeOther {
			t.Fatalf("status %d: %s", r.Code, r.Body)
		}
		ck := b.cookies[SessionCookie]
		if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode {
			t.Fatalf("session cookie %+v", ck)
		}
		home := b.do(http.MethodGet, "/", nil)
		if !strings.Contains(home.Body.String(), p.User.DisplayName) {
			t.Errorf("home page does not show the signed-in user")
		}
		// The forms' token belongs to the session: signing in gives a new one.
		fresh := b.csrf(home.Body.String())
		if fresh == token {
			t.Errorf("the CSRF token stayed the same across signing in")
		}
		token = fresh
	})
	t.Run("English and care mode are switched from any page", func(t *testing.T) {
		r := b.do(http.MethodPost, "/prefs", url.Values{"_csrf": {token}, "lang": {"en"}, "care": {"1"}, "back": {"/"}})
		if r.Code != http.StatusSeeOther || r.Header().Get("Location") != "/" {
			t.Fatalf("prefs: %d %q", r.Code, r.Header().Get("Location"))
		}
		home := b.do(http.MethodGet, "/", nil).Body.String()
		if !strings.Contains(home, "Help that reaches") || !strings.Contains(home, `<body class="care">`) || !strings.Contains(home, `lang="en"`) {
			t.Errorf("English care-mode page not rendered")
		}
	})
	t.Run("the way back after switching stays on this site", func(t *testing.T) {
		for _, back := range []string{"//evil.example/", "https://evil.example/", "/\\evil.example",
			"/\t/evil.example", "/\n/evil.example", "/ /evil.example", "\t//evil.example", "/\x00/evil.example", "/../\t/evil.example", "/..//evil.example"} {
			r := b.do(http.MethodPost, "/prefs", url.Values{"_csrf": {token}, "lang": {"zh"}, "back": {back}})
			// Browsers drop tabs and newlines and read "\\" as "/": the
			// answer must be a plain path on this site.
			loc := r.Header().Get("Location")
			if u, err := url.Parse(loc); err != nil || u.Host != "" || !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") ||
				strings.ContainsAny(loc, "\\ \t\r\n\x00") {
				t.Errorf("back %q redirected to %q", back, loc)
			}
		}
		r := b.do(http.MethodPost, "/prefs", url.Values{"_csrf": {token}, "lang": {"zh"}, "back": {"/needs?category=medical"}})
		if loc := r.Header().Get("Location"); loc != "/needs?category=medical" {
			t.Errorf("a local page with a query redirected to %q", loc)
		}
	})
	t.Run("unknown pages are an HTML 404", func(t *testing.T) {
		r := b.do(http.MethodGet, "/no-such-page", nil)
		if r.Code != 404 || !strings.Contains(r.Header().Get("Content-Type"), "text/html") {
			t.Errorf("%d %s", r.Code, r.Header().Get("Content-Type"))
		}
	})
	t.Run("assets are embedded", func(t *testing.T) {
		for _, a := range []string{"/assets/app.css", "/assets/app.js", "/assets/htmx-2.0.11.min.js"} {
			if r := b.do(http.MethodGet, a, nil); r.Code != 200 || r.Body.Len() == 0 {
				t.Errorf("%s: %d", a, r.Code)
			}
		}
	})
}

func TestFormatYuan(t *testing.T) {
	for fen, want := range map[int64]string{0: "¥0.00", 5: "¥0.05", 20000: "¥200.00", 123456: "¥1,234.56", 100000000: "¥1,000,000.00", -150: "-¥1.50"} {
		if got := FormatYuan(fen); got != want {
			t.Errorf("FormatYuan(%d) = %q, want %q", fen, got, want)
		}
	}
}

func TestPageFormsNeedTheirOwnSessionsTokenAndThisSite(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	_, p := env.user(kernel.RoleDonor, nil)
	signIn := func() (*browser, string) {
		b := newBrowser(env)
		r := b.do(http.MethodPost, "/login", url.Values{"_csrf": {b.csrf(b.do(http.MethodGet, "/login", nil).Body.String())},
			"email": {p.User.Email}, "password": {"password-donor"}})
		if r.Code != http.StatusSeeOther {
			t.Fatalf("sign in: %d", r.Code)
		}
		return b, b.csrf(b.do(http.MethodGet, "/", nil).Body.String())
	}
	victim, victimToken := signIn()
	_, otherToken := signIn() // the same account in another browser

	post := func(b *browser, form url.Values, headers ...string) int {
		req := httptest.NewRequest(http.MethodPost, "/logout", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		for _, c := range b.cookies {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		env.srv.Echo.ServeHTTP(rec, req)
		return rec.Code
	}
	cases := []struct {
		name    string
		form    url.Values
		headers []string
	}{
		{"another session's token", url.Values{"_csrf": {otherToken}}, nil},
		{"a cookie and field pair planted by someone else", url.Values{"_csrf": {"planted-planted-planted-1"}},
			[]string{"Cookie", "jj_csrf=planted-planted-planted-1"}},
		{"a cross-site form with the right token (Sec-Fetch-Site)", url.Values{"_csrf": {victimToken}},
			[]string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}},
		{"a cross-site form with the right token (Origin only)", url.Values{"_csrf": {victimToken}},
			[]string{"Origin", "https://evil.example"}},
	}
	for _, tc := range cases {
		t.Run(tc.name+" is refused", func(t *testing.T) {
			if code := post(victim, tc.form, tc.headers...); code != http.StatusForbidden {
				t.Errorf("status %d, want 403", code)
			}
			if r := victim.do(http.MethodGet, "/my/giving", nil); r.Code != 200 {
				t.Fatalf("the victim was signed out: %d", r.Code)
			}
		})
	}
	t.Run("the session's own token from this site is accepted", func(t *testing.T) {
		if code := post(victim, url.Values{"_csrf": {victimToken}}, "Sec-Fetch-Site", "same-origin", "Origin", "http://example.com"); code != http.StatusSeeOther {
			t.Fatalf("status %d, want 303", code)
		}
	})
}
