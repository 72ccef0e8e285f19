package web

import (
	"net/http"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"
)

// registerPeopleRoutes adds the people routes under /api/v1: volunteer
// profiles, active-discovery reports, volunteer claims and service pledges.
func (s *Server) registerPeopleRoutes(g *echo.Group) {
	const (
		vol   = kernel.RoleVolunteer
		sw    = kernel.RoleSocialWorker
		staff = kernel.RoleFederationStaff
		admin = kernel.RoleAdmin
	)
	s.only(g, http.MethodPut, "/volunteers/me", s.handleVolunteerSave, vol)
	s.only(g, http.MethodGet, "/volunteers/me", s.handleVolunteerMe, vol)
	s.only(g, http.MethodGet, "/volunteers/me/claims", s.handleVolunteerClaims, vol)
	s.only(g, http.MethodGet, "/volunteers/me/service", s.handleVolunteerService, vol)
	s.only(g, http.MethodGet, "/volunteers", s.handleVolunteerList, staff, admin)
	s.only(g, http.MethodPost, "/volunteers/:id/background-check", s.handleVolunteerBackgroundCheck, staff, admin)

	// Reports are open to anyone, so they are rate limited per client
	// address like sign-in.
	reportLimiter := middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
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
	s.public(g, http.MethodPost, "/reports", s.handleReportCreate, reportLimiter)
	s.public(g, http.MethodGet, "/reports/:id/status", s.handleReportStatus, reportLimiter)
	// Social workers, and verifiers of the civil affairs offices reports
	// are routed to (主动发现 → 及时报告属地乡镇).
	s.only(g, http.MethodGet, "/reports", s.handleReportList, sw, kernel.RoleVerifier)
	s.only(g, http.MethodGet, "/reports/:id", s.handleReportGet, sw, kernel.RoleVerifier)
	s.only(g, http.MethodPost, "/reports/:id", s.handleReportUpdate, sw, kernel.RoleVerifier)

	s.only(g, http.MethodPost, "/needs/:id/claims", s.handleClaimCreate, vol)
	s.only(g, http.MethodGet, "/needs/:id/claims", s.handleNeedClaims, sw)
	s.only(g, http.MethodPost, "/claims/:id/approve", s.handleClaimApprove, sw)
	s.only(g, http.MethodPost, "/claims/:id/reject", s.handleClaimReject, sw)
	s.only(g, http.MethodPost, "/claims/:id/release", s.handleClaimRelease, vol)
	s.only(g, http.MethodGet, "/claims/:id/contact", s.handleClaimContact, vol)

	s.only(g, http.MethodPost, "/service-pledges", s.handleServicePledgeCreate, vol)
	s.only(g, http.MethodPost, "/service-pledges/:id/accept", s.handleServicePledgeAccept, sw)
	s.only(g, http.MethodPost, "/service-pledges/:id/decline", s.handleServicePledgeDecline, sw)
	s.only(g, http.MethodPost, "/service-pledges/:id/log", s.handleServicePledgeLog, vol, sw)
	s.public(g, http.MethodGet, "/needs/:id/service-pledges", s.handleNeedServicePledges)
}
