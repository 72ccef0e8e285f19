package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

const (
	// csrfKey holds the request's CSRF token for the page templates.
	csrfKey = "jj.csrf"
	// csrfCookie identifies a visitor who is not signed in, so that the
	// forms they may send (sign in, reports, objections) have a token too.
	csrfCookie = "jj_csrf"
)

// csrf protects every state-changing page form. The token is an HMAC of the
// session it belongs to (the signed-in token's id, or the anonymous
// visitor's cookie), so a token from another session, or a cookie and field
// pair planted by someone else, does not pass. Cross-site form posts are
// refused by their Origin or Sec-Fetch-Site header before the token is
// looked at. The API is exempt: it takes Bearer tokens only.
func (s *Server) csrf() echo.MiddlewareFunc {
	cop := http.NewCrossOriginProtection()
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			p := c.Request().URL.Path
			if strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/assets/") ||
				p == "/healthz" || p == "/readyz" || p == "/metrics" {
				return next(c)
			}
			want := s.csrfToken(c)
			c.Set(csrfKey, want)
			switch c.Request().Method {
			case http.MethodGet, http.MethodHead, http.MethodOptions:
				return next(c)
			}
			if err := cop.Check(c.Request()); err != nil {
				return echo.NewHTTPError(http.StatusForbidden, "cross-site form posts are refused")
			}
			got := c.Request().Header.Get("X-CSRF-Token")
			switch {
			case got != "":
			case isUpload(c.Request()) && streamedUploads[p]:
				// Streamed: FormValue would spool the file in plain text.
				got = uploadCSRFToken(c)
			default:
				got = c.FormValue("_csrf")
			}
			if got == "" || !hmac.Equal([]byte(got), []byte(want)) {
				return echo.NewHTTPError(http.StatusForbidden, "the form has expired; reload the page and try again")
			}
			return next(c)
		}
	}
}

// csrfToken returns the token of the request's session, giving an anonymous
// visitor a session cookie first when they have none.
func (s *Server) csrfToken(c echo.Context) string {
	if jti, _ := c.Get(sessionKey).(string); jti != "" {
		return s.csrfMAC("session:" + jti)
	}
	id := ""
	if ck, err := c.Cookie(csrfCookie); err == nil && len(ck.Value) >= 22 && len(ck.Value) <= 64 {
		id = ck.Value
	} else {
		b := make([]byte, 18)
		_, _ = rand.Read(b)
		id = base64.RawURLEncoding.EncodeToString(b)
		c.SetCookie(&http.Cookie{Name: csrfCookie, Value: id, Path: "/", HttpOnly: true, Secure: s.cfg.CookieSecure,
			SameSite: http.SameSiteStrictMode})
	}
	return s.csrfMAC("visitor:" + id)
}

func (s *Server) csrfMAC(session string) string {
	m := hmac.New(sha256.New, s.Tokens.csrfKey())
	m.Write([]byte(session))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
