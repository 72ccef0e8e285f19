package web

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/BurntSushi/toml"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
	"golang.org/x/time/rate"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/marketplace/search"
)

//go:embed templates/*.html templates/partials/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

//go:embed i18n/*.toml
var catalogFS embed.FS

// pages renders the HTML pages: html/template over embedded files, with
// messages from the zh-CN and en catalogs.
type pages struct {
	tmpl   map[string]*template.Template
	bundle *i18n.Bundle
	div    *kernel.Divisions
	// needs answers the public need pages; nil until a need service is
	// wired (the pages then answer 404).
	needs needBrowser
	// now is the clock pages show time against (the services' clock).
	now func() time.Time
	// cal counts the working days pages show time limits in.
	cal *kernel.Calendar
}

func newPages() (*pages, error) {
	b := i18n.NewBundle(language.Chinese)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	for _, f := range []string{"i18n/active.zh.toml", "i18n/active.en.toml"} {
		if _, err := b.LoadMessageFileFS(catalogFS, f); err != nil {
			return nil, fmt.Errorf("pages: catalog %s: %w", f, err)
		}
	}
	div, err := kernel.LoadDivisions()
	if err != nil {
		return nil, fmt.Errorf("pages: %w", err)
	}
	p := &pages{tmpl: map[string]*template.Template{}, bundle: b, div: div}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		if n == "templates/layout.html" {
			continue
		}
		t, err := template.ParseFS(templateFS, "templates/layout.html", "templates/partials/*.html", n)
		if err != nil {
			return nil, fmt.Errorf("pages: %s: %w", n, err)
		}
		p.tmpl[strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")] = t
	}
	return p, nil
}

// page is what every template receives.
type page struct {
	Lang string
	Care bool
	CSRF string
	Path string
	User *kernel.Principal
	Data any
	// Flash is the message of the action that redirected here ("" for none).
	Flash string
	// Unread is the signed-in user's unread notifications (navigation).
	Unread int
	loc    *i18n.Localizer
	div    *kernel.Divisions
	cal    *kernel.Calendar
}

// T translates a message id.
func (p *page) T(id string) string {
	s, err := p.loc.Localize(&i18n.LocalizeConfig{MessageID: id})
	if err != nil {
		return id
	}
	return s
}

// Tf translates a message id with key/value template data.
func (p *page) Tf(id string, kv ...any) string {
	data := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		data[fmt.Sprint(kv[i])] = kv[i+1]
	}
	s, err := p.loc.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data})
	if err != nil {
		return id
	}
	return s
}

// Yuan formats fen as yuan with two decimals and thousands separators.
func (p *page) Yuan(fen int64) string { return FormatYuan(fen) }

// FormatYuan formats fen as "¥1,234.50".
func FormatYuan(fen int64) string { return kernel.FormatYuan(fen) }

// Date formats a date the Chinese way (2026年11月23日) or, in English, 23 Nov 2026.
func (p *page) Date(t time.Time) string {
	t = t.In(kernel.ChinaTime)
	if p.Lang == "en" {
		return t.Format("2 Jan 2006")
	}
	return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day())
}

const (
	langCookie = "jj_lang"
	careCookie = "jj_care"
)

func pageLang(c echo.Context) string {
	if ck, err := c.Cookie(langCookie); err == nil && (ck.Value == "en" || ck.Value == "zh") {
		return ck.Value
	}
	if strings.HasPrefix(strings.ToLower(c.Request().Header.Get("Accept-Language")), "en") {
		return "en"
	}
	return "zh"
}

// render writes a page with status.
func (s *Server) render(c echo.Context, status int, name string, data any) error {
	return s.renderBlock(c, status, name, "layout", data)
}

// renderBlock writes one named block of a page's template: "layout" for the
// whole page, a smaller block for an htmx partial update.
func (s *Server) renderBlock(c echo.Context, status int, name, block string, data any) error {
	t, ok := s.pages.tmpl[name]
	if !ok {
		return fmt.Errorf("pages: no template %q", name)
	}
	lang := pageLang(c)
	care := false
	if ck, err := c.Cookie(careCookie); err == nil && ck.Value == "1" {
		care = true
	}
	csrf, _ := c.Get(csrfKey).(string)
	p := &page{Lang: lang, Care: care, CSRF: csrf, Path: c.Request().URL.Path, User: PrincipalOf(c), Data: data,
		loc: i18n.NewLocalizer(s.pages.bundle, map[string]string{"en": "en", "zh": "zh"}[lang]), div: s.pages.div, cal: s.pages.cal}
	if block == "layout" {
		p.Flash = s.takeFlash(c, p)
		p.Unread = s.unread(c)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, block, p); err != nil {
		return fmt.Errorf("pages: render %s: %w", name, err)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTMLBlob(status, buf.Bytes())
}

// pageT translates a message id in the request's language, for handlers.
func (s *Server) pageT(c echo.Context, id string) string {
	msg, err := i18n.NewLocalizer(s.pages.bundle, pageLang(c)).Localize(&i18n.LocalizeConfig{MessageID: id})
	if err != nil {
		return id
	}
	return msg
}

// pageTf translates a message id with template data, for handlers.
func (s *Server) pageTf(c echo.Context, id string, data map[string]any) string {
	msg, err := i18n.NewLocalizer(s.pages.bundle, pageLang(c)).Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data})
	if err != nil {
		return id
	}
	return msg
}

// flashCookie carries the message id of an action's success from its
// redirect (post/redirect/get) to the next page shown, once.
const flashCookie = "jj_flash"

// setFlash has the next page show the catalogue message id.
func (s *Server) setFlash(c echo.Context, id string) {
	c.SetCookie(&http.Cookie{Name: flashCookie, Value: id, Path: "/", MaxAge: 120, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.cfg.CookieSecure})
}

// takeFlash returns the flash message in the page's language and clears
// it. Only catalogue ids of flashes are shown: the cookie is the client's.
func (s *Server) takeFlash(c echo.Context, p *page) string {
	ck, err := c.Cookie(flashCookie)
	if err != nil || ck.Value == "" {
		return ""
	}
	c.SetCookie(&http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.cfg.CookieSecure})
	if !strings.HasPrefix(ck.Value, "flash_") {
		return ""
	}
	msg, err := p.loc.Localize(&i18n.LocalizeConfig{MessageID: ck.Value})
	if err != nil {
		return ""
	}
	return msg
}

// formLimiter limits forms anyone may send (objections, reports) per client
// address, like logins.
func (s *Server) formLimiter() echo.MiddlewareFunc {
	return middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		Store: middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
			Rate: rate.Limit(s.cfg.AuthRate), Burst: s.cfg.AuthBurst, ExpiresIn: 10 * time.Minute,
		}),
		IdentifierExtractor: func(c echo.Context) (string, error) { return c.RealIP(), nil },
		DenyHandler: func(c echo.Context, id string, err error) error {
			c.Response().Header().Set("Retry-After", "1")
			// ErrTooMany, so that the page says so in the reader's language.
			return fmt.Errorf("page form: %w", kernel.ErrTooMany)
		},
	})
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (s *Server) registerPages() {
	e := s.Echo
	if s.Browse != nil {
		s.pages.needs = s.Browse
	}
	if s.Needs != nil {
		s.pages.now = s.Needs.Now
		s.pages.cal = s.Needs.Config.Calendar
	}
	sub, _ := fs.Sub(assetFS, "assets")
	assets := http.StripPrefix("/assets/", http.FileServer(http.FS(sub)))
	e.GET("/assets/*", func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "public, max-age=86400")
		assets.ServeHTTP(c.Response(), c.Request())
		return nil
	})
	e.GET("/", s.handleHomePage)
	e.GET("/needs", s.handleNeedsPage)
	e.GET("/needs/:id", s.handleNeedPage)
	if s.Funds != nil {
		donor := []echo.MiddlewareFunc{requireAuth, requireRole(kernel.RoleDonor)}
		e.POST("/pledge", s.handlePledgeForm, donor...)
		e.GET("/my/giving", s.handleMyGivingPage, donor...)
		e.POST("/my/pledges/:id/redirect", s.handleRedirectForm, donor...)
		e.POST("/my/recurring/:id", s.handleRecurringForm, donor...)
		e.GET("/my/pay/:token", s.handleMyPayLink, donor...)
		e.GET("/my/pledges/:id", s.handleMyPledgePage, requireAuth)
		e.GET("/my/receipts/:id", s.handleMyReceiptPage, requireAuth)
		e.POST("/staff/pledges/:id/confirm", s.handlePledgeConfirmForm, requireAuth, requireRole(kernel.RoleFederationStaff))
		e.GET("/funds", s.handleSourcesPage)
		e.GET("/funds/:id", s.handleSourcePage(funds.KindFund))
		e.GET("/projects/:id", s.handleSourcePage(funds.KindProject))
		e.GET("/disclosures", s.handleDisclosuresPage)
		s.registerPaychanPages()
	}
	if s.People != nil {
		e.GET("/report", s.handleReportPage)
		e.POST("/report", s.handleReportForm, s.formLimiter())
		e.GET("/report/status", s.handleReportStatusPage)
		e.POST("/report/status", s.handleReportStatusForm, s.formLimiter())
		vol := []echo.MiddlewareFunc{requireAuth, requireRole(kernel.RoleVolunteer)}
		e.GET("/volunteer", s.handleVolunteerPage, vol...)
		e.POST("/volunteer/profile", s.handleVolunteerProfileForm, vol...)
		e.POST("/volunteer/service-pledges", s.handleServicePledgeForm, vol...)
		e.POST("/volunteer/service-pledges/:id/log", s.handleServiceLogForm, vol...)
		e.POST("/staff/service-pledges/:id", s.handleServicePledgeDecisionForm, requireAuth, requireRole(kernel.RoleSocialWorker))
		// The same rule as GET /api/v1/volunteers and POST
		// /api/v1/volunteers/:id/background-check.
		checkers := []echo.MiddlewareFunc{requireAuth, requireRole(kernel.RoleFederationStaff, kernel.RoleAdmin)}
		e.GET("/staff/volunteers", s.handleStaffVolunteersPage, checkers...)
		e.POST("/staff/volunteers/:id/background-check", s.handleBackgroundCheckForm, checkers...)
	}
	aud := []echo.MiddlewareFunc{requireAuth, requireRole(kernel.RoleAuditor)}
	e.GET("/audit", s.handleAuditPage, aud...)
	e.POST("/audit/check", s.handleAuditCheckForm, aud...)
	e.GET("/audit/log", s.handleAuditLogPage, aud...)
	if s.Funds != nil {
		e.GET("/audit/ledger", s.handleLedgerPage, aud...)
	}
	// The importer may be set after the server is built: the handlers
	// answer 404 while there is none.
	imp := []echo.MiddlewareFunc{requireAuth, requireRole(kernel.RoleVerifier), s.needsImporter}
	e.GET("/verify/imports", s.handleImportsPage, imp...)
	e.POST("/verify/imports", s.handleImportUpload, imp...)
	e.GET("/verify/imports/:id", s.handleImportJobPage, imp...)
	e.POST("/verify/imports/:id/resume", s.handleImportResume, imp...)
	if s.CharityAid != nil {
		// The same rule as GET /api/v1/charity-aid: role verifier here, the
		// region's scope in the export.
		ver := []echo.MiddlewareFunc{requireAuth, requireRole(kernel.RoleVerifier)}
		e.GET("/verify/charity-aid", s.handleCharityAidPage, ver...)
		e.GET("/verify/charity-aid/file", s.handleCharityAidDownload, ver...)
	}
	if s.Screening != nil {
		ver := []echo.MiddlewareFunc{requireAuth, requireRole(kernel.RoleVerifier)}
		e.GET("/verify/review", s.handleReviewQueuePage, ver...)
		e.POST("/verify/review/:id", s.handleReviewDecisionForm, ver...)
		e.GET("/verify/referrals", s.handleReferralsPage, ver...)
		e.POST("/verify/referrals/:id", s.handleReferralUpdateForm, ver...)
	}
	if s.Needs != nil {
		sw := []echo.MiddlewareFunc{requireAuth, requireRole(kernel.RoleSocialWorker)}
		e.GET("/worker/needs", s.handleWorkerNeeds, sw...)
		e.GET("/worker/needs/new", s.handleWorkerNeedForm, sw...)
		e.POST("/worker/needs/preview", s.handleWorkerNeedPreview, sw...)
		e.POST("/worker/needs", s.handleWorkerNeedCreate, sw...)
		if s.People != nil {
			e.GET("/worker/reports", s.handleWorkerReportsPage, sw...)
			e.GET("/worker/reports/:id", s.handleWorkerReportPage, sw...)
			e.POST("/worker/reports/:id", s.handleReportUpdateForm, sw...)
			e.GET("/worker/claims", s.handleWorkerClaimsPage, sw...)
			e.POST("/worker/claims/:id", s.handleWorkerClaimForm, sw...)
		}
		staff := []echo.MiddlewareFunc{requireAuth, requireRole(kernel.RoleSocialWorker, kernel.RoleVerifier, kernel.RoleFederationStaff, kernel.RoleAuditor)}
		e.GET("/staff/needs/:id", s.handleStaffNeed, staff...)
		e.POST("/staff/needs/:id/clearance", s.handleStaffNeedClear, requireAuth, requireRole(kernel.RoleVerifier))
		e.POST("/staff/needs/:id/publish", s.handleStaffNeedPublish, requireAuth, requireRole(kernel.RoleSocialWorker, kernel.RoleVerifier))
		e.POST("/staff/needs/:id/close", s.handleStaffNeedClose, sw...)
		e.POST("/needs/:id/objection", s.handleNeedObjectionForm, s.formLimiter())
		e.GET("/objections/:id", s.handleObjectionPage)
		e.POST("/objections/:id", s.handleObjectionLookupForm, s.formLimiter())
		ver := []echo.MiddlewareFunc{requireAuth, requireRole(kernel.RoleVerifier)}
		e.GET("/verify/objections", s.handleVerifyObjectionsPage, ver...)
		e.POST("/verify/objections/:id", s.handleVerifyObjectionForm, ver...)
		if s.Funds != nil {
			fed := []echo.MiddlewareFunc{requireAuth, requireRole(kernel.RoleFederationStaff)}
			e.GET("/staff", s.handleStaffPage, fed...)
			e.GET("/staff/reconcile", s.handleReconcilePage, fed...)
			e.POST("/staff/reconcile", s.handleReconcileForm, fed...)
			e.GET("/staff/reconcile/:id", s.handleReconcileRunPage, fed...)
			if s.Matching != nil {
				e.POST("/staff/plans", s.handlePlanCreateForm, fed...)
				e.GET("/staff/plans/:id", s.handlePlanPage, fed...)
				e.POST("/staff/plans/:id/execute", s.handlePlanExecuteForm, fed...)
			}
			e.GET("/staff/money/:id", s.handleStaffMoneyPage, fed...)
			e.POST("/staff/money/:id/allocations", s.handleAllocateForm, fed...)
			e.POST("/staff/money/:id/disbursements", s.handleDisburseForm, fed...)
			e.GET("/staff/payouts", s.handlePayoutsPage, fed...)
			e.GET("/staff/pledges", s.handlePledgeQueuePage, fed...)
			e.GET("/staff/sources/new", s.handleSourceNewPage, fed...)
			e.POST("/staff/sources", s.handleSourceCreateForm, fed...)
			e.GET("/staff/needs/:id/money", s.handleNeedMoneyPage, fed...)
			e.POST("/staff/needs/:id/disbursements", s.handleNeedDisburseForm, fed...)
		}
		e.GET("/verify", s.handleVerifyQueuePage, requireAuth, requireRole(kernel.RoleVerifier))
		if s.People != nil {
			// The reports routed to the verifier's civil affairs office
			// (page_steps.go).
			e.GET("/verify/reports", s.handleVerifyReportsPage, ver...)
			e.GET("/verify/reports/:id", s.handleVerifyReportPage, ver...)
			e.POST("/verify/reports/:id", s.handleVerifyReportForm, ver...)
		}
	}
	e.GET("/login", s.handleLoginPage)
	e.POST("/login", s.handleLoginForm)
	orgStaff := []echo.MiddlewareFunc{requireAuth, requireRole(kernel.RoleFederationStaff, kernel.RoleAdmin)}
	e.GET("/staff/org", s.handleOrgAccountPage, orgStaff...)
	e.POST("/staff/org", s.handleOrgAccountForm, orgStaff...)
	admin := []echo.MiddlewareFunc{requireAuth, requireRole(kernel.RoleAdmin)}
	e.GET("/admin", s.handleAdminPage, admin...)
	e.POST("/admin/orgs", s.handleAdminOrgCreateForm, admin...)
	e.GET("/admin/orgs/:id", s.handleAdminOrgPage, admin...)
	e.POST("/admin/orgs/:id/members", s.handleAdminMemberForm, admin...)
	s.registerStatsPages()
	e.GET("/register", s.handleRegisterPage)
	e.POST("/register", s.handleRegisterForm, s.formLimiter())
	e.POST("/logout", s.handleLogoutForm)
	e.POST("/prefs", s.handlePrefsForm)
	s.registerReceiptPages()
	s.registerNotifyPages()
}

type homePage struct {
	NeedsOn bool
	Needs   []marketplace.PublicNeed
}

// handleHomePage shows the most urgent open needs.
func (s *Server) handleHomePage(c echo.Context) error {
	var d homePage
	if s.pages.needs != nil {
		res, err := s.pages.needs.Search(c.Request().Context(), search.Query{Statuses: []kernel.NeedStatus{kernel.NeedOpen}, PerPage: 6})
		if err != nil {
			return err
		}
		d.NeedsOn, d.Needs = true, res.Needs
	}
	return s.render(c, http.StatusOK, "home", d)
}

type loginPage struct {
	Email string
	Error string
	// Next is the local page to return to after signing in ("" for home).
	Next string
}

// nextPath is the page to return to after signing in or up: the request's
// "next" when it is a page of this site (never another host: see
// localPath), else "".
func nextPath(c echo.Context) string {
	n := c.FormValue("next")
	if n == "" {
		return ""
	}
	if l := localPath(n); l != "/" {
		return l
	}
	return ""
}

func (s *Server) handleLoginPage(c echo.Context) error {
	return s.render(c, http.StatusOK, "login", loginPage{Next: nextPath(c)})
}

func (s *Server) handleLoginForm(c echo.Context) error {
	email := c.FormValue("email")
	p, err := s.Accounts.Authenticate(c.Request().Context(), email, c.FormValue("password"), c.RealIP())
	if err != nil {
		var locked *kernel.LockedError
		data := loginPage{Email: email, Next: nextPath(c)}
		loc := i18n.NewLocalizer(s.pages.bundle, pageLang(c))
		switch {
		case errors.As(err, &locked):
			setRetryAfter(c, locked)
			data.Error, _ = loc.Localize(&i18n.LocalizeConfig{MessageID: "login_locked"})
			return s.render(c, http.StatusTooManyRequests, "login", data)
		case errors.Is(err, kernel.ErrUnauthorized):
			data.Error, _ = loc.Localize(&i18n.LocalizeConfig{MessageID: "login_failed"})
			return s.render(c, http.StatusUnauthorized, "login", data)
		}
		return err
	}
	tok, exp, err := s.Tokens.IssueFor(p, newRequestID())
	if err != nil {
		return err
	}
	c.SetCookie(s.sessionCookie(tok, exp))
	s.setFlash(c, "flash_signed_in")
	return c.Redirect(http.StatusSeeOther, localPath(adminHome(p, nextPath(c))))
}

func (s *Server) handleLogoutForm(c echo.Context) error {
	if err := s.endSession(c); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/")
}

// handlePrefsForm switches language and care mode, then goes back to a local page.
func (s *Server) handlePrefsForm(c echo.Context) error {
	year := time.Now().Add(365 * 24 * time.Hour)
	if l := c.FormValue("lang"); l == "zh" || l == "en" {
		c.SetCookie(&http.Cookie{Name: langCookie, Value: l, Path: "/", Expires: year, SameSite: http.SameSiteLaxMode, Secure: s.cfg.CookieSecure, HttpOnly: true})
	}
	if v := c.FormValue("care"); v == "0" || v == "1" {
		c.SetCookie(&http.Cookie{Name: careCookie, Value: v, Path: "/", Expires: year, SameSite: http.SameSiteLaxMode, Secure: s.cfg.CookieSecure, HttpOnly: true})
	}
	return c.Redirect(http.StatusSeeOther, localPath(c.FormValue("back")))
}

// localPath returns back when it names a page of this site, else "/".
// Browsers drop tabs and newlines from a URL and read a backslash as a
// slash, so "/\t/evil.example" would leave the site: any control
// character, space or backslash is refused before the path is parsed, and
// the parsed path must still be one absolute path without a host.
func localPath(back string) string {
	if strings.ContainsFunc(back, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '\\' }) {
		return "/"
	}
	u, err := url.Parse(back)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		!strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") || strings.HasPrefix(back, "//") {
		return "/"
	}
	out := (&url.URL{Path: path.Clean(u.Path), RawQuery: u.RawQuery}).RequestURI()
	if strings.HasPrefix(out, "//") {
		return "/"
	}
	return out
}

// renderError shows an error as a page for browsers: the page's own
// message for a missing or forbidden page and a failure, otherwise the
// refusal's message (already in the user's language).
func (s *Server) renderError(c echo.Context, status int, refusal string) error {
	lang := pageLang(c)
	loc := i18n.NewLocalizer(s.pages.bundle, lang)
	id := map[int]string{http.StatusNotFound: "error_not_found", http.StatusForbidden: "error_forbidden", http.StatusUnauthorized: "error_forbidden"}[status]
	if id == "" && (status >= 500 || refusal == "") {
		id = "error_generic"
	}
	msg := refusal
	if id != "" {
		msg, _ = loc.Localize(&i18n.LocalizeConfig{MessageID: id})
	}
	if status == http.StatusUnauthorized {
		// A page asked for by a signed-out visitor comes back after login.
		to := "/login"
		if c.Request().Method == http.MethodGet {
			if back := localPath(c.Request().URL.RequestURI()); back != "/" {
				to += "?next=" + url.QueryEscape(back)
			}
		}
		return c.Redirect(http.StatusSeeOther, to)
	}
	return s.render(c, status, "error", map[string]string{"Message": msg})
}
