package web

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo/v4"
)

func TestServerBehaviour(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	env.srv.Echo.GET("/test-panic", func(c echo.Context) error { panic("boom: secret detail") })
	_, p := env.user(kernel.RoleDonor, nil)

	t.Run("an oversized body is 413 in the error shape", func(t *testing.T) {
		big := `{"email":"` + strings.Repeat("a", 2<<20) + `","password":"x"}`
		r := env.do(http.MethodPost, "/api/v1/auth/login", "", big)
		if r.Status != http.StatusRequestEntityTooLarge || r.ErrorCode() == "" {
			t.Fatalf("%d %s", r.Status, r.Body[:min(len(r.Body), 200)])
		}
	})
	t.Run("a panic is a 500 that hides its cause and logs it with the request id", func(t *testing.T) {
		r := env.do(http.MethodGet, "/test-panic", "", nil)
		rid := r.Header.Get(echo.HeaderXRequestID)
		if r.Status != 500 || strings.Contains(string(r.Body), "boom") || r.ErrorCode() == "" || rid == "" {
			t.Fatalf("%d %s (request id %q)", r.Status, r.Body, rid)
		}
		if !strings.Contains(env.logs.String(), "boom") || !strings.Contains(env.logs.String(), rid) {
			t.Errorf("panic not logged with its request id")
		}
	})
	t.Run("unknown routes are 404 in the error shape", func(t *testing.T) {
		r := env.do(http.MethodGet, "/api/v1/nothing-here", "", nil)
		if r.Status != 404 || r.ErrorCode() != "not_found" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("a body that is not JSON is refused with 415 or 400", func(t *testing.T) {
		r := env.do(http.MethodPost, "/api/v1/auth/login", "", "email=a", "Content-Type", "application/x-www-form-urlencoded")
		if r.Status != http.StatusUnsupportedMediaType {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		r = env.do(http.MethodPost, "/api/v1/auth/login", "", `{"email": "a", `)
		if r.Status != 400 || r.ErrorCode() != "invalid" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("security headers are set", func(t *testing.T) {
		r := env.do(http.MethodGet, "/healthz", "", nil)
		for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Content-Security-Policy": "script-src 'self'"} {
			if !strings.Contains(r.Header.Get(h), want) {
				t.Errorf("%s = %q, want %q", h, r.Header.Get(h), want)
			}
		}
	})
	t.Run("request logs hold no bodies, passwords or query strings", func(t *testing.T) {
		env.do(http.MethodPost, "/api/v1/auth/login", "", map[string]string{"email": p.User.Email, "password": "password-donor"})
		env.do(http.MethodGet, "/api/v1/auth/me?q=张三", "", nil)
		logs := env.logs.String()
		for _, secret := range []string{"password-donor", p.User.Email, "张三"} {
			if strings.Contains(logs, secret) {
				t.Errorf("logs contain %q", secret)
			}
		}
		if !strings.Contains(logs, "/api/v1/auth/login") {
			t.Errorf("requests are not logged at all")
		}
	})
	t.Run("metrics are served to the operator's scraper only", func(t *testing.T) {
		admin, _ := env.user(kernel.RoleAdmin, nil)
		for name, auth := range map[string]string{"anyone": "", "a wrong token": "Bearer nope", "a signed-in admin": "Bearer " + admin} {
			r := env.do(http.MethodGet, "/metrics", "", nil, "Authorization", auth)
			if r.Status == 200 || strings.Contains(string(r.Body), "go_goroutines") {
				t.Errorf("%s got the metrics: %d", name, r.Status)
			}
		}
		r := env.do(http.MethodGet, "/metrics", "", nil, "Authorization", "Bearer "+testMetricsToken)
		if r.Status != 200 || !strings.Contains(string(r.Body), "go_goroutines") {
			t.Errorf("operator's scraper: %d", r.Status)
		}
		// Without a configured token there are no metrics at all.
		bare := NewServer(Config{}, Deps{Accounts: env.accounts, Tokens: env.srv.Tokens, Log: env.srv.log})
		rec := httptest.NewRecorder()
		bare.Echo.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		if rec.Code != http.StatusNotFound {
			t.Errorf("no token configured: %d, want 404", rec.Code)
		}
	})
	t.Run("cookies do not authenticate the API", func(t *testing.T) {
		tok, _ := env.user(kernel.RoleAdmin, nil)
		r := env.do(http.MethodGet, "/api/v1/auth/me", "", nil, "Cookie", SessionCookie+"="+tok)
		if r.Status != 401 {
			t.Fatalf("cookie on the API: %d, want 401", r.Status)
		}
	})
}

// TestLogsAndMetricsSayTheStatusTheClientGot runs a request of each kind of
// answer; the harness compares each one's logged status with the response
// and, at the end, jiujinan_requests_total with the log.
func TestLogsAndMetricsSayTheStatusTheClientGot(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	env.srv.Echo.GET("/test-panic", func(c echo.Context) error { panic("boom") })
	staffTok, staff := env.user(kernel.RoleFederationStaff, nil)
	donorTok, _ := env.user(kernel.RoleDonor, nil)
	fund := env.fundWithBalance(staff, kernel.Restrictions{}, 100_000)
	for _, tc := range []struct {
		name, method, path, token string
		body                      any
		status                    int
	}{
		{"ok", "GET", "/api/v1/funds/" + fund, "", nil, 200},
		{"bad input", "POST", "/api/v1/funds/" + fund + "/allocations", staffTok, map[string]any{"need_id": "x", "amount_fen": 0}, 400},
		{"not signed in", "POST", "/api/v1/funds/" + fund + "/allocations", "", map[string]any{"need_id": "x", "amount_fen": 1}, 401},
		{"wrong role", "POST", "/api/v1/funds/" + fund + "/allocations", donorTok, map[string]any{"need_id": "x", "amount_fen": 1}, 403},
		{"unknown need", "POST", "/api/v1/funds/" + fund + "/allocations", staffTok, map[string]any{"need_id": "01jz000000000000000000nope", "amount_fen": 1}, 404},
		{"unknown allocation", "POST", "/api/v1/allocations/01jz000000000000000000nope/disburse", staffTok, map[string]any{"payee_type": "household", "payee_name": "x", "reference": "r"}, 404},
		{"unknown route", "GET", "/api/v1/nothing-here", "", nil, 404},
		{"not JSON", "POST", "/api/v1/auth/login", "", "email=a", 415},
		{"panic", "GET", "/test-panic", "", nil, 500},
	} {
		var headers []string
		if s, ok := tc.body.(string); ok && s == "email=a" {
			headers = []string{"Content-Type", "application/x-www-form-urlencoded"}
		}
		if r := env.do(tc.method, tc.path, tc.token, tc.body, headers...); r.Status != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, r.Status, r.Body, tc.status)
		}
	}
}

func TestAnswersForOneCallerAreNotCached(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	_, p := env.user(kernel.RoleDonor, nil)
	staff, _ := env.user(kernel.RoleFederationStaff, nil)
	admin, _ := env.user(kernel.RoleAdmin, nil)

	login := env.do(http.MethodPost, "/api/v1/auth/login", "", map[string]string{"email": p.User.Email, "password": "password-donor"})
	if login.Status != 200 || login.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("login with its token: %d Cache-Control %q", login.Status, login.Header.Get("Cache-Control"))
	}
	if r := env.do(http.MethodGet, "/api/v1/volunteers", staff, nil); r.Status != 200 || r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("volunteer list: %d Cache-Control %q", r.Status, r.Header.Get("Cache-Control"))
	}
	// Every route for signed-in callers, whatever its answer.
	for _, rt := range env.srv.Routes() {
		if !rt.Auth || rt.Method != http.MethodGet {
			continue
		}
		path := strings.NewReplacer(":id", "01jzzzzzzzzzzzzzzzzzzzzzzz", ":need_id", "x", ":code", "110101").Replace(rt.Path)
		r := env.do(http.MethodGet, path, admin, nil)
		if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("GET %s (%d): Cache-Control %q", rt.Path, r.Status, cc)
		}
	}
}

// TestIncomingRequestIDsAreKeptOnlyWhenTheyLookLikeOne: a caller's
// X-Request-Id is kept for tracing across a proxy when it is a plain id;
// anything else is replaced by one of ours, so that nobody writes text of
// their choosing into the logs as a request id.
func TestIncomingRequestIDsAreKeptOnlyWhenTheyLookLikeOne(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	for _, tc := range []struct {
		name, in string
		kept     bool
	}{
		{"a plain id", "proxy-3f2a9c1b.77", true},
		{"too short", "abc", false},
		{"spaces and quotes", `x" status=200 user="admin`, false},
		{"too long", strings.Repeat("a", 65), false},
		{"non-ASCII", "请求编号12345678", false},
	} {
		r := env.do(http.MethodGet, "/healthz", "", nil, echo.HeaderXRequestID, tc.in)
		got := r.Header.Get(echo.HeaderXRequestID)
		if tc.kept && got != tc.in {
			t.Errorf("%s: X-Request-Id %q, want it kept", tc.name, got)
		}
		if !tc.kept && (got == tc.in || !regexp.MustCompile(`^[0-9a-f]{24}$`).MatchString(got)) {
			t.Errorf("%s: X-Request-Id %q, want a new id of ours", tc.name, got)
		}
	}
}
