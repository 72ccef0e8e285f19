package web

import (
	"net/http"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"
)

// registerNeedRoutes adds the need lifecycle routes under /api/v1 (the
// public listing, GET /needs and GET /needs/{id}, is the browse area's).
func (s *Server) registerNeedRoutes(g *echo.Group) {
	const (
		sw  = kernel.RoleSocialWorker
		ver = kernel.RoleVerifier
		fed = kernel.RoleFederationStaff
		aud = kernel.RoleAuditor
	)
	// Objections are open to anyone: limited per client address like logins.
	objectionLimiter := middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		Store: middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
			Rate: rate.Limit(s.cfg.AuthRate), Burst: s.cfg.AuthBurst, ExpiresIn: 10 * time.Minute,
		}),
		IdentifierExtractor: func(c echo.Context) (string, error) { return c.RealIP(), nil },
		ErrorHandler: func(c echo.Context, err error) error {
			return echo.NewHTTPError(http.StatusForbidden, "could not identify the client")
		},
		DenyHandler: func(c echo.Context, id string, err error) error {
			c.Response().Header().Set("Retry-After", "1")
			return echo.NewHTTPError(http.StatusTooManyRequests, "too many requests; slow down")
		},
	})
	s.only(g, http.MethodPost, "/needs", s.handleNeedCreate, sw)
	s.only(g, http.MethodPost, "/needs/preview", s.handleNeedPreview, sw)
	s.only(g, http.MethodGet, "/needs/:id/preview", s.handleNeedPreviewStored, sw, ver)
	s.only(g, http.MethodGet, "/needs/:id/private", s.handleNeedPrivate, sw, ver, fed, aud)
	s.only(g, http.MethodPost, "/needs/:id/clearance", s.handleNeedClearance, ver)
	s.only(g, http.MethodPost, "/needs/:id/publish", s.handleNeedPublish, sw, ver)
	s.only(g, http.MethodPost, "/needs/:id/withdraw", s.handleNeedWithdraw, sw)
	s.only(g, http.MethodPost, "/needs/:id/close", s.handleNeedClose, sw)
	s.only(g, http.MethodPost, "/needs/:id/confirm-still-needed", s.handleNeedConfirm, sw)
	s.public(g, http.MethodPost, "/needs/:id/objections", s.handleObjectionCreate, objectionLimiter)
	s.only(g, http.MethodGet, "/needs/:id/objections", s.handleObjectionList, sw, ver, fed, aud)
	s.only(g, http.MethodPost, "/needs/:id/objections/:oid/resolve", s.handleObjectionResolve, ver)
	s.only(g, http.MethodGet, "/objection-queue", s.handleObjectionQueue, ver)
	// The receipt token is the objector's only credential: limited like
	// objections, so that tokens cannot be guessed at speed.
	s.public(g, http.MethodPost, "/objections/:id/outcome", s.handleObjectionOutcome, objectionLimiter)
	s.only(g, http.MethodPost, "/needs/:id/updates", s.handleNeedUpdateCreate, sw)
	// Role gate only: the service admits the need's own staff, covering
	// verifiers, its confirmed donors and its engaged volunteers.
	s.only(g, http.MethodGet, "/needs/:id/updates", s.handleNeedUpdateList, sw, ver, fed, aud, kernel.RoleDonor, kernel.RoleVolunteer)
	s.only(g, http.MethodGet, "/orgs/me/needs", s.handleOrgNeeds, sw)
	s.only(g, http.MethodGet, "/clearance-queue", s.handleClearanceQueue, ver)
	// The county's way of working: a need's steps and time limits, the
	// steps escalated to the caller's offices.
	s.only(g, http.MethodGet, "/needs/:id/steps", s.handleNeedSteps, sw, ver, fed, aud)
	s.only(g, http.MethodGet, "/escalations", s.handleEscalations, ver)
}
