package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/matching/screening"
	"github.com/jiujinan/jiujinan/notify"

	"github.com/jiujinan/jiujinan/matching/record"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo-contrib/echoprometheus"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/time/rate"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/funds/paychan"
	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/marketplace/search"
	"github.com/jiujinan/jiujinan/matching"
	"github.com/jiujinan/jiujinan/recovery"
	"github.com/jiujinan/jiujinan/stats"
)

// Config is the part of the service's configuration the HTTP layer needs.
type Config struct {
	// MaxBodyBytes bounds every request body but uploads.
	MaxBodyBytes int64
	// MaxUploadBytes bounds an upload (a payment record CSV).
	MaxUploadBytes int64
	// RequestTimeout bounds the work of one API request.
	RequestTimeout time.Duration
	// CookieSecure marks the session cookie Secure (behind TLS).
	CookieSecure bool
	// AuthRate is the sustained rate of login and registration requests
	// allowed per client address, with AuthBurst at once.
	AuthRate  float64
	AuthBurst int
	// MetricsToken is the Bearer token an operator's scraper sends for
	// /metrics; empty serves no metrics at all.
	MetricsToken string
	// PublicURL is the site's address as the public reaches it
	// (https://jiujinan.example.cn), for the QR codes of printed notices;
	// empty takes the address the request came to.
	PublicURL string
}

// Deps are the services the handlers call.
type Deps struct {
	Accounts *marketplace.AccountService
	// Needs runs the need lifecycle.
	Needs  *marketplace.NeedService
	Tokens *Tokens
	// Funds runs funds, projects, pledges, allocations and disclosures.
	Funds *funds.Service
	// People runs volunteers, reports, claims and service pledges.
	People *marketplace.PeopleService
	// Ready reports whether the service can take traffic: the database
	// answers and no migration is pending.
	Ready func(ctx context.Context) error
	Log   *slog.Logger
	// Browse answers the public browsing of needs; Divisions names regions.
	Browse    *search.Browse
	Divisions *kernel.Divisions
	// Payments imports the statutory payment record (nil: not served).
	Payments *record.PaymentImporter
	// Imports runs the imports of uploaded files as background jobs over
	// Payments (nil with Payments nil).
	Imports *record.ImportJobs
	// Screening runs and shows screenings, the review queue and referrals.
	Screening *screening.Service
	// Matching ranks matches and plans allocations; nil serves 404s.
	Matching *matching.Service
	// CharityAid exports charity aid back to civil affairs; nil serves 404s.
	CharityAid *funds.CharityAidExport
	// PayChannels takes WeChat Pay and Alipay and refunds through them;
	// nil serves 404s and pages offer bank transfer only.
	PayChannels *paychan.Service
	// Workbooks opens uploaded .xlsx bills for reconciliation
	// (xlsxsheet.Open); nil refuses them.
	Workbooks record.OpenWorkbookFunc
	// Notify runs the inbox, the notification settings and the operator's
	// view of deliveries; nil serves 404s.
	Notify *notify.Service
	// Stats answers the statistics, the federations' views of their
	// counties and the needs in notice of a place; nil serves none.
	Stats *stats.Service
}

// Server is the HTTP server.
type Server struct {
	Echo *echo.Echo
	cfg  Config
	Deps
	log    *slog.Logger
	routes []Route
	pages  *pages
	// notices words notifications for the inbox and the API.
	notices *NoticeRenderer
}

// Route is one registered endpoint with who may call it. Roles nil means
// anyone, signed in or not; Auth without Roles means any signed-in user.
type Route struct {
	Method string
	Path   string
	Auth   bool
	Roles  []kernel.Role
}

// NewServer builds the echo server with its middleware and routes.
func NewServer(cfg Config, deps Deps) *Server {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.MaxUploadBytes <= 0 {
		cfg.MaxUploadBytes = 2 << 30
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 30 * time.Second
	}
	if cfg.AuthRate <= 0 {
		cfg.AuthRate, cfg.AuthBurst = 2, 20
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	pg, err := newPages()
	if err != nil {
		// The templates and catalogs are embedded: a failure is a build defect.
		panic(err)
	}
	s := &Server{Echo: e, cfg: cfg, Deps: deps, log: deps.Log, pages: pg, notices: &NoticeRenderer{pages: pg}}
	if deps.Browse != nil {
		s.notices.Titles = deps.Browse.Titles
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	e.HTTPErrorHandler = s.errorHandler
	e.IPExtractor = echo.ExtractIPDirect()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	e.Pre(dropForeignRequestID)
	e.Pre(middleware.RequestIDWithConfig(middleware.RequestIDConfig{
		// An id from outside is kept only when it looks like one of ours.
		Generator: newRequestID,
	}))
	e.Use(s.requestLogger())
	e.Use(echoprometheus.NewMiddlewareWithConfig(echoprometheus.MiddlewareConfig{
		Subsystem: "jiujinan", Registerer: reg,
		// Labels come from the route pattern and fixed sets only, so that
		// random hosts, paths or methods cannot grow the series without end.
		LabelFuncs: map[string]echoprometheus.LabelValueFunc{
			"host": func(c echo.Context, err error) string { return "" },
			"url":  func(c echo.Context, err error) string { return c.Path() },
			"method": func(c echo.Context, err error) string {
				switch m := c.Request().Method; m {
				case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
					return m
				}
				return "other"
			},
		},
		Skipper: func(c echo.Context) bool { return c.Path() == "/metrics" },
	}))
	// Below the logger and the metrics, so that both see the status the
	// client got (a panic included) and not the error before it is mapped.
	e.Use(s.answerErrors)
	e.Use(s.recoverer())
	e.Use(middleware.SecureWithConfig(middleware.SecureConfig{
		XSSProtection:         "0",
		ContentTypeNosniff:    "nosniff",
		XFrameOptions:         "DENY",
		HSTSMaxAge:            31536000,
		ReferrerPolicy:        "same-origin",
		ContentSecurityPolicy: "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
	}))
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{
		Limit:   byteSize(cfg.MaxBodyBytes),
		Skipper: func(c echo.Context) bool { return isUpload(c.Request()) },
	}))
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if isUpload(c.Request()) {
				c.Request().Body = http.MaxBytesReader(c.Response(), c.Request().Body, s.cfg.MaxUploadBytes)
			}
			return next(c)
		}
	})
	e.Use(middleware.ContextTimeoutWithConfig(middleware.ContextTimeoutConfig{
		Timeout: cfg.RequestTimeout,
		Skipper: func(c echo.Context) bool { return isUpload(c.Request()) },
	}))
	e.Use(s.authenticate)
	e.Use(noStoreForCallers)
	e.Use(s.csrf())

	e.GET("/healthz", s.handleHealthz)
	e.GET("/readyz", s.handleReadyz)
	e.GET("/metrics", s.operatorOnly(echoprometheus.NewHandlerWithConfig(echoprometheus.HandlerConfig{Gatherer: reg})))

	authLimiter := middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		Store: middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
			Rate: rate.Limit(cfg.AuthRate), Burst: cfg.AuthBurst, ExpiresIn: 10 * time.Minute,
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

	api := e.Group("/api/v1")
	s.public(api, http.MethodPost, "/auth/register", s.handleRegister, authLimiter)
	s.public(api, http.MethodPost, "/auth/login", s.handleLogin, authLimiter)
	s.public(api, http.MethodPost, "/auth/logout", s.handleLogout)
	s.signedIn(api, http.MethodGet, "/auth/me", s.handleMe)
	s.only(api, http.MethodPost, "/orgs", s.handleOrgCreate, kernel.RoleAdmin)
	s.only(api, http.MethodGet, "/orgs", s.handleOrgList, kernel.RoleAdmin)
	s.only(api, http.MethodPost, "/orgs/:id/members", s.handleOrgMemberCreate, kernel.RoleAdmin)
	s.only(api, http.MethodPut, "/orgs/:id/collection-account", s.handleOrgCollectionPut, kernel.RoleAdmin, kernel.RoleFederationStaff)

	// Each area registers its routes in its own file.
	s.registerNeedRoutes(api)
	s.registerPeopleRoutes(api)
	s.registerPaymentRoutes(api)
	s.registerFundRoutes(api)
	s.registerReconcileRoutes(api)
	s.registerScreeningRoutes(api)
	s.registerMatchingRoutes(api)
	s.registerBrowseRoutes(api)
	s.registerAuditRoutes(api)
	s.registerPaychanRoutes(api)
	s.registerReceiptRoutes(api)
	s.registerNotifyRoutes(api)
	s.registerStatsRoutes(api)

	s.registerPages()
	e.RouteNotFound("/*", func(c echo.Context) error { return echo.ErrNotFound })
	return s
}

// Routes lists every API route with who may call it, for the authorization
// test and the documentation.
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

func (s *Server) public(g *echo.Group, method, path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) {
	s.routes = append(s.routes, Route{Method: method, Path: "/api/v1" + path})
	g.Add(method, path, h, m...)
}

func (s *Server) signedIn(g *echo.Group, method, path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) {
	s.routes = append(s.routes, Route{Method: method, Path: "/api/v1" + path, Auth: true})
	g.Add(method, path, h, append([]echo.MiddlewareFunc{requireAuth}, m...)...)
}

func (s *Server) only(g *echo.Group, method, path string, h echo.HandlerFunc, roles ...kernel.Role) {
	s.routes = append(s.routes, Route{Method: method, Path: "/api/v1" + path, Auth: true, Roles: roles})
	g.Add(method, path, h, requireAuth, requireRole(roles...))
}

// isUpload reports whether r carries a file upload, which gets the upload
// size limit and no request timeout.
func isUpload(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get(echo.HeaderContentType), echo.MIMEMultipartForm)
}

func byteSize(n int64) string {
	switch {
	case n%(1<<20) == 0:
		return itoa(n>>20) + "M"
	case n%(1<<10) == 0:
		return itoa(n>>10) + "K"
	}
	return itoa(n) + "B"
}

// Serve answers on ln until ctx ends, then shuts down gracefully, letting
// requests in flight finish for up to grace.
func (s *Server) Serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	srv := &http.Server{
		Handler:           s.Echo,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- recovery.Run(s.log, "http server", func() error { return srv.Serve(ln) }) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if e := <-errc; e != nil && !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	return err
}

// operatorOnly serves h only to a caller with the metrics token: the metrics
// tell how the service is used and are not for the public. Without a
// configured token the route does not exist.
func (s *Server) operatorOnly(h echo.HandlerFunc) echo.HandlerFunc {
	want := []byte("Bearer " + s.cfg.MetricsToken)
	return func(c echo.Context) error {
		if s.cfg.MetricsToken == "" {
			return echo.ErrNotFound
		}
		if subtle.ConstantTimeCompare([]byte(c.Request().Header.Get(echo.HeaderAuthorization)), want) != 1 {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			return echo.ErrUnauthorized
		}
		return h(c)
	}
}
