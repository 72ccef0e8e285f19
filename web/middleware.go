package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

const (
	principalKey = "jj.principal"
	// sessionKey holds the signed-in session's token id (jti).
	sessionKey = "jj.session"
	// SessionCookie carries the token for the HTML pages.
	SessionCookie = "jj_session"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func newRequestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// requestIDRe is what an incoming X-Request-Id must look like to be kept:
// anything else (a forged id made to confuse the logs, control characters,
// a kilobyte of text) is dropped and replaced with one of ours.
var requestIDRe = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

// dropForeignRequestID removes an incoming X-Request-Id that does not look
// like a request id, before echo's RequestID middleware keeps it.
func dropForeignRequestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header
		if id := h.Get(echo.HeaderXRequestID); id != "" && !requestIDRe.MatchString(id) {
			h.Del(echo.HeaderXRequestID)
		}
		return next(c)
	}
}

// answerErrors writes the answer to an error (errorHandler) where it
// happens, so that the request logger and the metrics above it see the
// status the client got: a domain error that errorHandler maps to 404 or
// 422 must not be logged as 200 or counted as 500.
func (s *Server) answerErrors(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := next(c); err != nil {
			c.Error(err)
		}
		return nil
	}
}

// recoverer turns a panic into a logged 500 without the stack reaching the client.
func (s *Server) recoverer() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) (err error) {
			defer func() {
				if r := recover(); r != nil {
					if r == http.ErrAbortHandler {
						panic(r)
					}
					buf := make([]byte, 8<<10)
					buf = buf[:runtime.Stack(buf, false)]
					s.log.Error("panic", slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)),
						slog.String("route", c.Path()), slog.String("panic", fmt.Sprint(r)), slog.String("stack", string(buf)))
					err = echo.NewHTTPError(http.StatusInternalServerError)
				}
			}()
			return next(c)
		}
	}
}

// requestLogger logs one line per request: the route pattern (never the raw
// path or query, which may carry search words or ids), status, latency,
// request id and the caller's public id. Bodies and headers are never logged.
func (s *Server) requestLogger() echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogLatency: true, LogMethod: true, LogRoutePath: true, LogRequestID: true, LogError: true,
		Skipper: func(c echo.Context) bool {
			p := c.Path()
			return p == "/healthz" || p == "/readyz" || p == "/metrics"
		},
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			attrs := []slog.Attr{
				slog.String("request_id", v.RequestID), slog.String("method", v.Method), slog.String("route", v.RoutePath),
				slog.Int("status", v.Status), slog.Duration("latency", v.Latency),
			}
			if p := PrincipalOf(c); p != nil {
				attrs = append(attrs, slog.String("user", p.User.PublicID))
			}
			level := slog.LevelInfo
			if v.Status >= 500 {
				level = slog.LevelError
			}
			s.log.LogAttrs(context.Background(), level, "request", attrs...)
			return nil
		},
	})
}

// authenticate reads a token (Bearer for the API; the session cookie for
// pages) and, when it is valid, loads the caller's current roles. A request
// without a token goes on anonymous; one with a bad token is refused when
// the route needs a signed-in user, by requireAuth.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		raw := ""
		if h := c.Request().Header.Get(echo.HeaderAuthorization); h != "" {
			scheme, tok, ok := strings.Cut(h, " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") {
				c.Set("jj.authError", "Authorization must be a Bearer token")
				return next(c)
			}
			raw = strings.TrimSpace(tok)
		} else if !strings.HasPrefix(c.Request().URL.Path, "/api/") {
			// Cookies only authenticate pages; the API takes Bearer tokens,
			// so that a cross-site form can never call it with a cookie.
			if ck, err := c.Cookie(SessionCookie); err == nil {
				raw = ck.Value
			}
		}
		if raw == "" {
			return next(c)
		}
		claims, err := s.Tokens.Verify(raw)
		if err != nil {
			c.Set("jj.authError", "invalid or expired token")
			return next(c)
		}
		p, err := s.Accounts.Principal(c.Request().Context(), claims.Subject)
		if errors.Is(err, kernel.ErrUnauthorized) {
			c.Set("jj.authError", "the account no longer exists or is disabled")
			return next(c)
		}
		if err != nil {
			return err
		}
		if claims.SessionVersion != p.User.SessionVersion {
			c.Set("jj.authError", "the session has ended; sign in again")
			return next(c)
		}
		c.Set(principalKey, p)
		c.Set(sessionKey, claims.ID)
		return next(c)
	}
}

// noStoreForCallers keeps every answer that may hold something of one caller
// out of browser and proxy caches: answers to a signed-in caller or to any
// request with credentials (a token, a reporter's phone, certificate
// numbers, receipts, private records), and answers to anything but GET or
// HEAD (a login's token). A handler may still set its own header for public
// reference data.
func noStoreForCallers(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		_, ckErr := r.Cookie(SessionCookie)
		if PrincipalOf(c) != nil || r.Header.Get(echo.HeaderAuthorization) != "" || ckErr == nil ||
			(r.Method != http.MethodGet && r.Method != http.MethodHead) {
			c.Response().Header().Set("Cache-Control", "no-store")
		}
		return next(c)
	}
}

// PrincipalOf returns the signed-in caller, or nil.
func PrincipalOf(c echo.Context) *kernel.Principal {
	p, _ := c.Get(principalKey).(*kernel.Principal)
	return p
}

func requireAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if PrincipalOf(c) == nil {
			msg, _ := c.Get("jj.authError").(string)
			if msg == "" {
				msg = "sign in first"
			}
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="jiujinan"`)
			return fmt.Errorf("%w: %s", kernel.ErrUnauthorized, msg)
		}
		return next(c)
	}
}

func requireRole(roles ...kernel.Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if !PrincipalOf(c).HasAny(roles...) {
				return fmt.Errorf("%w: this needs the role %s", kernel.ErrForbidden, joinRoles(roles))
			}
			return next(c)
		}
	}
}

func joinRoles(roles []kernel.Role) string {
	s := make([]string, len(roles))
	for i, r := range roles {
		s[i] = string(r)
	}
	return strings.Join(s, " or ")
}

// sessionCookie builds the HttpOnly, SameSite cookie that carries the token
// for pages; an empty token with a past expiry clears it.
func (s *Server) sessionCookie(token string, exp time.Time) *http.Cookie {
	ck := &http.Cookie{Name: SessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: s.cfg.CookieSecure,
		SameSite: http.SameSiteLaxMode, Expires: exp}
	if token == "" {
		ck.MaxAge = -1
	}
	return ck
}
