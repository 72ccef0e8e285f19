package web

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/golang-jwt/jwt/v5"
)

func TestLogin(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		_, p := env.user(kernel.RoleFederationStaff, nil)
		email, pw := p.User.Email, "password-federation_staff"
		cases := []struct {
			name     string
			body     any
			want     int
			wantCode string
		}{
			{"right password gives a token", map[string]string{"email": email, "password": pw}, 200, ""},
			{"e-mail is case-insensitive", map[string]string{"email": strings.ToUpper(email), "password": pw}, 200, ""},
			{"wrong password is 401", map[string]string{"email": email, "password": pw + "x"}, 401, "unauthorized"},
			{"unknown user is 401", map[string]string{"email": "nobody@test.example", "password": pw}, 401, "unauthorized"},
			{"empty body is 400", "", 400, "invalid"},
			{"unknown field is 400", map[string]string{"email": email, "password": pw, "role": "admin"}, 400, "invalid"},
			{"wrong type is 400", map[string]any{"email": 12, "password": pw}, 400, "invalid"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := env.do(http.MethodPost, "/api/v1/auth/login", "", tc.body, "Content-Type", "application/json")
				if r.Status != tc.want {
					t.Fatalf("status %d, want %d: %s", r.Status, tc.want, r.Body)
				}
				if tc.wantCode != "" && r.ErrorCode() != tc.wantCode {
					t.Errorf("error code %q, want %q", r.ErrorCode(), tc.wantCode)
				}
				if tc.want != 200 {
					return
				}
				m := r.JSON(t)
				tok, _ := m["token"].(string)
				if tok == "" || m["expires_at"] == nil {
					t.Fatalf("no token or expiry: %s", r.Body)
				}
				// The token works for the API, and the cookie is HttpOnly and SameSite.
				if me := env.do(http.MethodGet, "/api/v1/auth/me", tok, nil); me.Status != 200 || !strings.Contains(string(me.Body), email) {
					t.Fatalf("/auth/me with the new token: %d %s", me.Status, me.Body)
				}
				ck := r.Header.Get("Set-Cookie")
				if !strings.Contains(ck, SessionCookie+"=") || !strings.Contains(ck, "HttpOnly") || !strings.Contains(ck, "SameSite=Lax") {
					t.Errorf("session cookie %q", ck)
				}
			})
		}
	})
}

// loginFrom signs in from a given client address.
func (env *testEnv) loginFrom(addr, email, password string) response {
	env.t.Helper()
	b, _ := json.Marshal(map[string]string{"email": email, "password": password})
	req := httptest.NewRequest(http.MethodPost, "/api/v1/auth/login", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = addr + ":40000"
	rec := httptest.NewRecorder()
	env.srv.Echo.ServeHTTP(rec, req)
	return response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
}

func TestLoginFailuresSlowTheGuesserWithoutLockingOutTheOwner(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		_, p := env.user(kernel.RoleDonor, nil)
		const attacker, owner = "198.51.100.7", "203.0.113.9"
		free := env.accounts.Throttle.Free
		// The same sequence for a registered and an unknown e-mail: the
		// answers must not tell them apart.
		answers := map[string][]string{}
		for _, email := range []string{p.User.Email, "nobody-here@test.example"} {
			var seen []string
			for i := 1; i <= free+1; i++ {
				r := env.loginFrom(attacker, email, "wrong-password-1")
				seen = append(seen, fmt.Sprintf("%d %s %s", r.Status, r.ErrorCode(), r.Header.Get("Retry-After")))
			}
			// Waiting before the next try is enforced, even with the right password.
			r := env.loginFrom(attacker, email, "password-donor")
			seen = append(seen, fmt.Sprintf("%d %s %s", r.Status, r.ErrorCode(), r.Header.Get("Retry-After")))
			answers[email] = seen
		}
		known, unknown := answers[p.User.Email], answers["nobody-here@test.example"]
		if strings.Join(known, "|") != strings.Join(unknown, "|") {
			t.Errorf("a registered e-mail is answered differently:\n known   %v\n unknown %v", known, unknown)
		}
		for i, a := range known[:free] {
			if !strings.HasPrefix(a, "401 ") {
				t.Errorf("failure %d: %q, want 401", i+1, a)
			}
		}
		for _, a := range known[free:] {
			if !strings.HasPrefix(a, "429 ") || strings.HasSuffix(a, " ") {
				t.Errorf("after %d failures: %q, want 429 with Retry-After", free, a)
			}
		}
		// The owner, from their own address, signs in at once.
		if r := env.loginFrom(owner, p.User.Email, "password-donor"); r.Status != 200 {
			t.Fatalf("owner from another address: %d %s", r.Status, r.Body)
		}
		// The guesser's waits grow.
		wait := func() time.Duration {
			r := env.loginFrom(attacker, p.User.Email, "wrong-password-2")
			s, err := strconv.Atoi(r.Header.Get("Retry-After"))
			if r.Status != 429 || err != nil {
				t.Fatalf("status %d, Retry-After %q", r.Status, r.Header.Get("Retry-After"))
			}
			return time.Duration(s) * time.Second
		}
		env.advance(2 * time.Second)
		first := wait()
		env.advance(first)
		second := wait()
		if second <= first {
			t.Errorf("the wait did not grow: %v then %v", first, second)
		}
		// Once the wait has passed, the right password works from there too.
		env.advance(second)
		if r := env.loginFrom(attacker, p.User.Email, "password-donor"); r.Status != 200 {
			t.Fatalf("after the wait: %d %s", r.Status, r.Body)
		}
	})
}

func TestRegisterOnlyAsDonorOrVolunteer(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		for _, tc := range []struct {
			role string
			want int
		}{{"donor", 201}, {"volunteer", 201}, {"admin", 400}, {"verifier", 400}, {"federation_staff", 400}, {"social_worker", 400}, {"", 400}} {
			t.Run(tc.role, func(t *testing.T) {
				r := env.do(http.MethodPost, "/api/v1/auth/register", "", map[string]string{
					"email": "new-" + tc.role + "@test.example", "password": "a-long-password", "display_name": "新用户", "role": tc.role})
				if r.Status != tc.want {
					t.Fatalf("status %d, want %d: %s", r.Status, tc.want, r.Body)
				}
				if tc.want == 400 {
					if f := r.JSON(t)["error"].(map[string]any)["fields"].(map[string]any); f["role"] == nil {
						t.Errorf("error does not name the role field: %s", r.Body)
					}
				}
			})
		}
		r := env.do(http.MethodPost, "/api/v1/auth/register", "", map[string]string{
			"email": "new-donor@test.example", "password": "a-long-password", "display_name": "x", "role": "donor"})
		if r.Status != 409 {
			t.Errorf("same e-mail twice: %d, want 409", r.Status)
		}
		r = env.do(http.MethodPost, "/api/v1/auth/register", "", map[string]string{
			"email": "not-an-email", "password": "short", "display_name": "", "role": "donor"})
		f, _ := r.JSON(t)["error"].(map[string]any)["fields"].(map[string]any)
		if r.Status != 400 || f["email"] == nil || f["password"] == nil || f["display_name"] == nil {
			t.Errorf("bad fields: %d %s", r.Status, r.Body)
		}
	})
}

// signRaw signs claims with an arbitrary method and key, for forged tokens.
func signRaw(t *testing.T, method jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestForgedAndExpiredTokensAreRefused(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		valid, p := env.user(kernel.RoleDonor, nil)
		now := *env.now.Load()
		claims := func(mut func(jwt.MapClaims)) jwt.MapClaims {
			c := jwt.MapClaims{"iss": "jiujinan", "aud": "jiujinan", "sub": p.User.PublicID, "roles": []string{"donor"},
				"exp": now.Add(time.Hour).Unix(), "nbf": now.Unix(), "iat": now.Unix()}
			if mut != nil {
				mut(c)
			}
			return c
		}
		_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
		parts := strings.Split(valid, ".")
		payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
		var pc map[string]any
		_ = json.Unmarshal(payload, &pc)
		pc["roles"] = []string{"admin"}
		tampered, _ := json.Marshal(pc)
		noneHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT","kid":"test-key"}`))
		jkuHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"EdDSA","typ":"JWT","kid":"test-key","jku":"http://evil.example/keys"}`))

		cases := []struct{ name, token string }{
			{"alg none", noneHeader + "." + parts[1] + "."},
			{"signed with another key", signRaw(t, jwt.SigningMethodEdDSA, otherKey, "test-key", claims(nil))},
			{"HS256 with the public key as secret", signRaw(t, jwt.SigningMethodHS256, []byte(env.key.Private.Public().(ed25519.PublicKey)), "test-key", claims(nil))},
			{"unknown key id", signRaw(t, jwt.SigningMethodEdDSA, env.key.Private, "other-kid", claims(nil))},
			{"expired", signRaw(t, jwt.SigningMethodEdDSA, env.key.Private, "test-key", claims(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Minute).Unix() }))},
			{"no expiry", signRaw(t, jwt.SigningMethodEdDSA, env.key.Private, "test-key", claims(func(c jwt.MapClaims) { delete(c, "exp") }))},
			{"not yet valid", signRaw(t, jwt.SigningMethodEdDSA, env.key.Private, "test-key", claims(func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Hour).Unix() }))},
			{"wrong issuer", signRaw(t, jwt.SigningMethodEdDSA, env.key.Private, "test-key", claims(func(c jwt.MapClaims) { c["iss"] = "someone-else" }))},
			{"wrong audience", signRaw(t, jwt.SigningMethodEdDSA, env.key.Private, "test-key", claims(func(c jwt.MapClaims) { c["aud"] = "other-app" }))},
			{"unknown user", signRaw(t, jwt.SigningMethodEdDSA, env.key.Private, "test-key", claims(func(c jwt.MapClaims) { c["sub"] = "01nobody" }))},
			{"tampered role claim", parts[0] + "." + base64.RawURLEncoding.EncodeToString(tampered) + "." + parts[2]},
			{"jku header", jkuHeader + "." + parts[1] + "." + parts[2]},
			{"garbage", "not.a.token"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := env.do(http.MethodGet, "/api/v1/auth/me", tc.token, nil)
				if r.Status != http.StatusUnauthorized {
					t.Fatalf("status %d, want 401: %s", r.Status, r.Body)
				}
				// Nor can the forged token reach an admin route.
				if r := env.do(http.MethodGet, "/api/v1/orgs", tc.token, nil); r.Status != http.StatusUnauthorized {
					t.Fatalf("admin route: status %d, want 401", r.Status)
				}
			})
		}
		t.Run("valid token of the wrong role is 403", func(t *testing.T) {
			if r := env.do(http.MethodGet, "/api/v1/orgs", valid, nil); r.Status != http.StatusForbidden {
				t.Fatalf("status %d, want 403", r.Status)
			}
		})
		t.Run("the valid token itself works", func(t *testing.T) {
			if r := env.do(http.MethodGet, "/api/v1/auth/me", valid, nil); r.Status != 200 {
				t.Fatalf("status %d", r.Status)
			}
		})
		t.Run("a valid token expires", func(t *testing.T) {
			env.advance(2 * time.Hour)
			if r := env.do(http.MethodGet, "/api/v1/auth/me", valid, nil); r.Status != 401 {
				t.Fatalf("status %d, want 401", r.Status)
			}
		})
	})
}

func TestRotatedKeysKeepVerifyingUntilExpiry(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	_, k1, _ := ed25519.GenerateKey(rand.Reader)
	_, k2, _ := ed25519.GenerateKey(rand.Reader)
	old := SigningKey{ID: "k1", Private: k1, CreatedAt: now.Add(-48 * time.Hour)}
	before, err := NewTokens([]SigningKey{old}, "jiujinan", "jiujinan", time.Hour, clock)
	if err != nil {
		t.Fatal(err)
	}
	tok, _, _ := before.Issue("01user", nil, "j1")
	retired := now
	old.RetiredAt = &retired
	after, err := NewTokens([]SigningKey{old, {ID: "k2", Private: k2, CreatedAt: now}}, "jiujinan", "jiujinan", time.Hour, clock)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := after.Verify(tok); err != nil {
		t.Fatalf("token of the retired key no longer verifies: %v", err)
	}
	fresh, _, _ := after.Issue("01user", nil, "j2")
	if h := strings.Split(fresh, ".")[0]; !strings.Contains(mustB64(t, h), `"kid":"k2"`) {
		t.Errorf("new tokens are not signed with the new key: %s", mustB64(t, h))
	}
	now = now.Add(2 * time.Hour)
	later, _ := NewTokens([]SigningKey{old, {ID: "k2", Private: k2, CreatedAt: retired}}, "jiujinan", "jiujinan", time.Hour, clock)
	if _, ok := later.verify["k1"]; ok {
		t.Error("a key retired longer than the token lifetime still verifies")
	}
	if _, ok := later.verify["k2"]; !ok {
		t.Error("the active key does not verify")
	}
}

func mustB64(t *testing.T, s string) string {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLogoutEndsTheAccountsSessions(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		_, p := env.user(kernel.RoleDonor, nil)
		login := func() string {
			t.Helper()
			r := env.do(http.MethodPost, "/api/v1/auth/login", "", map[string]string{"email": p.User.Email, "password": "password-donor"})
			if r.Status != 200 {
				t.Fatalf("login: %d %s", r.Status, r.Body)
			}
			tok, _ := r.JSON(t)["token"].(string)
			return tok
		}
		tok := login()
		other := login() // the same account signed in elsewhere
		if r := env.do(http.MethodGet, "/api/v1/auth/me", tok, nil); r.Status != 200 {
			t.Fatalf("me before logout: %d", r.Status)
		}
		if r := env.do(http.MethodGet, "/my/giving", "", nil, "Cookie", SessionCookie+"="+other); r.Status != 200 {
			t.Fatalf("page with the cookie before logout: %d", r.Status)
		}
		if r := env.do(http.MethodPost, "/api/v1/auth/logout", tok, nil); r.Status != http.StatusNoContent {
			t.Fatalf("logout: %d %s", r.Status, r.Body)
		}
		for name, tk := range map[string]string{"the token logged out with": tok, "another session of the account": other} {
			if r := env.do(http.MethodGet, "/api/v1/auth/me", tk, nil); r.Status != 401 {
				t.Errorf("%s after logout: %d, want 401", name, r.Status)
			}
			// The same token as the page cookie is refused too.
			if r := env.do(http.MethodGet, "/my/giving", "", nil, "Cookie", SessionCookie+"="+tk); r.Status == 200 {
				t.Errorf("%s as a cookie after logout: %d", name, r.Status)
			}
		}
		// Signing in again works.
		again := login()
		if r := env.do(http.MethodGet, "/api/v1/auth/me", again, nil); r.Status != 200 {
			t.Errorf("me after signing in again: %d", r.Status)
		}
	})
}
