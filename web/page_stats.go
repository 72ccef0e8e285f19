package web

import (
	"bytes"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/stats"
)

// The statistics (统计, 月报) for a month or a year by region, month,
// category, organization and programme: the API (GET /api/v1/statistics,
// JSON or a CSV/.xlsx download), the page (GET /stats) and its download
// (GET /stats/file). Who reads what is stats.Areas' rule: verifiers for
// their office's region, federation staff and auditors for their
// organization's region (only their own organization's money unless it is
// a charity federation or a civil affairs office).

// statsReaders are the roles that read statistics (and their scope, the
// area, is stats.Areas').
var statsReaders = []kernel.Role{kernel.RoleVerifier, kernel.RoleFederationStaff, kernel.RoleAuditor}

func (s *Server) registerStatsRoutes(g *echo.Group) {
	if s.Stats == nil {
		return
	}
	s.only(g, http.MethodGet, "/statistics", s.handleStatistics, statsReaders...)
}

// statsQuery reads period (default: the current month in China) and region.
func (s *Server) statsQuery(c echo.Context) (stats.Query, error) {
	q := stats.Query{Region: c.QueryParam("region"), Period: stats.MonthOf(s.Stats.Now())}
	if p := c.QueryParam("period"); p != "" {
		period, err := stats.ParsePeriod(p)
		if err != nil {
			return q, err
		}
		q.Period = period
	}
	return q, nil
}

// statsJSON is the API's report.
type statsJSON struct {
	Period         string        `json:"period"`
	From           time.Time     `json:"from"`
	To             time.Time     `json:"to"`
	AsOf           time.Time     `json:"as_of"`
	Region         string        `json:"region"`
	RegionName     string        `json:"region_name"`
	MoneyOf        *orgRefJSON   `json:"money_of,omitempty"`
	Total          stats.Figures `json:"total"`
	ByRegion       []stats.Row   `json:"by_region"`
	ByMonth        []stats.Row   `json:"by_month"`
	ByCategory     []stats.Row   `json:"by_category"`
	ByOrganization []stats.Row   `json:"by_organization"`
	ByProgramme    []stats.Row   `json:"by_programme"`
	ByStep         []stats.Row   `json:"by_step"`
}

type orgRefJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func toStatsJSON(r *stats.Report) statsJSON {
	rows := func(rs []stats.Row) []stats.Row {
		if rs == nil {
			return []stats.Row{}
		}
		return rs
	}
	out := statsJSON{Period: r.Period.String(), From: r.From.UTC(), To: r.To.UTC(), AsOf: r.AsOf.UTC(), Region: r.Region, RegionName: r.RegionName,
		Total: r.Total, ByRegion: rows(r.Regions), ByMonth: rows(r.Months), ByCategory: rows(r.Categories), ByOrganization: rows(r.Orgs),
		ByProgramme: rows(r.Programmes), ByStep: rows(r.Steps)}
	if r.MoneyOf != nil {
		out.MoneyOf = &orgRefJSON{ID: r.MoneyOf.PublicID, Name: r.MoneyOf.Name}
	}
	return out
}

// handleStatistics answers GET /api/v1/statistics?period=2026-11&region=371725
// [&format=json|csv|xlsx].
func (s *Server) handleStatistics(c echo.Context) error {
	format := c.QueryParam("format")
	if format != "" && format != "json" && format != string(stats.CSV) && format != string(stats.XLSX) {
		return kernel.Invalid("format", "must be json, csv or xlsx")
	}
	q, err := s.statsQuery(c)
	if err != nil {
		return err
	}
	r, err := s.Stats.Report(c.Request().Context(), PrincipalOf(c), q)
	if err != nil {
		return err
	}
	if format == "" || format == "json" {
		return c.JSON(http.StatusOK, toStatsJSON(r))
	}
	return s.sendStats(c, r, stats.Format(format))
}

// sendStats writes a report as a download: whole, since a report is small,
// so that a failure is still an error answer.
func (s *Server) sendStats(c echo.Context, r *stats.Report, f stats.Format) error {
	w := &attachment{c: c, name: stats.FileName(r, f), contentType: f.ContentType()}
	var buf bytes.Buffer
	if err := s.Stats.Export(&buf, r, f); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// statsTabs are the breakdowns of the page, in its order.
var statsTabs = []string{"region", "month", "category", "org", "programme", "step"}

// statsPage is the page's view.
type statsPage struct {
	Report *stats.Report
	// Kind is month or year; Month (2026-11) and Year (2026) fill the form.
	Kind, Month, Year string
	Period            string
	Regions           []statsPlace
	Region            string
	// By is the breakdown shown (statsTabs), Tabs the links to each.
	By         string
	Tabs       []statsTab
	Rows       []statsRow
	NeedsChart template.HTML
	MoneyChart template.HTML
	Prev, Next string
	CSV, XLSX  string
	Error      string
	// InvalidPeriod and InvalidRegion mark the field a refusal is about.
	InvalidPeriod, InvalidRegion bool
}

type statsPlace struct{ Code, Name string }

type statsTab struct {
	By, Link string
	On       bool
}

// statsRow is a line of the breakdown shown, with its link to the
// statistics of a place under the region.
type statsRow struct {
	stats.Row
	Link string
}

// statsLink is the page of the statistics of period, region and breakdown.
func statsLink(path, period, region, by string, extra ...string) string {
	v := url.Values{"period": {period}}
	if region != "" {
		v.Set("region", region)
	}
	if by != "" {
		v.Set("by", by)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return path + "?" + v.Encode()
}

// statsPeriodOf reads the page's period: period=, or the form's kind,
// month (2026-11) and year fields.
func (s *Server) statsPeriodOf(c echo.Context) string {
	if p := c.QueryParam("period"); p != "" {
		return p
	}
	switch c.QueryParam("kind") {
	case "year":
		if y := c.QueryParam("year"); y != "" {
			return y
		}
	case "month":
		if m := c.QueryParam("month"); m != "" {
			return m
		}
	}
	return stats.MonthOf(s.Stats.Now()).String()
}

// handleStatsPage is GET /stats.
func (s *Server) handleStatsPage(c echo.Context) error {
	by := PrincipalOf(c)
	d := statsPage{By: c.QueryParam("by"), Region: c.QueryParam("region"), Period: s.statsPeriodOf(c)}
	for _, a := range stats.Areas(s.pages.div, by) {
		d.Regions = append(d.Regions, statsPlace{Code: a.Region, Name: s.pages.div.FullName(a.Region)})
	}
	if !contains(statsTabs, d.By) {
		d.By = "region"
	}
	period, err := stats.ParsePeriod(d.Period)
	if err == nil {
		d.Kind, d.Year = "month", strconv.Itoa(period.Year)
		d.Month = period.String()
		if period.IsYear() {
			d.Kind, d.Month = "year", stats.MonthOf(s.Stats.Now()).String()
		}
		d.Report, err = s.Stats.Report(c.Request().Context(), by, stats.Query{Period: period, Region: d.Region})
	}
	var ve *kernel.ValidationError
	switch {
	case errors.As(err, &ve):
		d.Error = s.pageT(c, "form_has_errors")
		_, d.InvalidPeriod = ve.Fields["period"]
		_, d.InvalidRegion = ve.Fields["region"]
		if d.Kind == "" {
			d.Kind = "month"
		}
		return s.render(c, http.StatusBadRequest, "stats", d)
	case errors.Is(err, kernel.ErrForbidden):
		d.Error = s.userMessage(c, err, s.pageT(c, "error_forbidden"))
		d.InvalidRegion = true
		return s.render(c, http.StatusForbidden, "stats", d)
	case err != nil:
		return err
	}
	r := d.Report
	d.Region = r.Region
	known := false
	for _, p := range d.Regions {
		known = known || p.Code == r.Region
	}
	if !known {
		d.Regions = append(d.Regions, statsPlace{Code: r.Region, Name: s.pages.div.FullName(r.Region)})
	}
	if !period.IsYear() && d.By == "month" {
		d.By = "region"
	}
	for _, t := range statsTabs {
		if t == "month" && !period.IsYear() || t == "region" && len(r.Regions) == 0 {
			continue
		}
		d.Tabs = append(d.Tabs, statsTab{By: t, Link: statsLink("/stats", d.Period, r.Region, t), On: t == d.By})
	}
	if d.By == "region" && len(r.Regions) == 0 {
		d.By = "category"
		for i := range d.Tabs {
			d.Tabs[i].On = d.Tabs[i].By == d.By
		}
	}
	var rows []stats.Row
	switch d.By {
	case "region":
		rows = r.Regions
	case "month":
		rows = r.Months
	case "category":
		rows = r.Categories
	case "org":
		rows = r.Orgs
	case "programme":
		rows = r.Programmes
	case "step":
		rows = r.Steps
	}
	p := s.pageFor(c)
	for _, row := range rows {
		sr := statsRow{Row: row}
		if d.By == "region" && !row.Self {
			sr.Link = statsLink("/stats", d.Period, row.Key, "region")
		}
		d.Rows = append(d.Rows, sr)
	}
	if d.By != "programme" && d.By != "step" && len(rows) > 0 {
		labels := make([]string, len(rows))
		for i, row := range rows {
			labels[i] = p.StatsLabel(d.By, row)
		}
		count := func(f func(stats.Figures) int64) []int64 {
			out := make([]int64, len(rows))
			for i, row := range rows {
				out[i] = f(row.Figures)
			}
			return out
		}
		dim := p.T("stats_by_" + d.By)
		d.NeedsChart = barChart{ID: "chart-needs", Title: p.Tf("stats_chart_needs_title", "By", dim), Desc: p.T("stats_chart_needs_desc"),
			Labels: labels, Format: func(v int64) string { return strconv.FormatInt(v, 10) },
			Series: []chartSeries{
				{p.T("stats_received"), count(func(f stats.Figures) int64 { return f.Received })},
				{p.T("stats_cleared"), count(func(f stats.Figures) int64 { return f.Cleared })},
				{p.T("stats_closed"), count(func(f stats.Figures) int64 { return f.Closed })},
			}}.SVG()
		money := []chartSeries{
			{p.T("stats_allocated"), count(func(f stats.Figures) int64 { return f.AllocatedFen })},
			{p.T("stats_paid"), count(func(f stats.Figures) int64 { return f.PaidFen })},
		}
		if d.By != "category" {
			money = append([]chartSeries{{p.T("stats_raised"), count(func(f stats.Figures) int64 { return f.RaisedFen })}}, money...)
		}
		d.MoneyChart = barChart{ID: "chart-money", Title: p.Tf("stats_chart_money_title", "By", dim), Desc: p.T("stats_chart_money_desc"),
			Labels: labels, Format: FormatYuan, Series: money}.SVG()
	}
	d.Prev = statsLink("/stats", period.Prev().String(), r.Region, d.By)
	d.Next = statsLink("/stats", period.Next().String(), r.Region, d.By)
	d.CSV = statsLink("/stats/file", d.Period, r.Region, "", "format", "csv")
	d.XLSX = statsLink("/stats/file", d.Period, r.Region, "", "format", "xlsx")
	return s.render(c, http.StatusOK, "stats", d)
}

// handleStatsFile is GET /stats/file: the page's download, as the API's.
func (s *Server) handleStatsFile(c echo.Context) error {
	f, err := stats.ParseFormat(c.QueryParam("format"))
	if err != nil {
		return err
	}
	q, err := s.statsQuery(c)
	if err != nil {
		return err
	}
	r, err := s.Stats.Report(c.Request().Context(), PrincipalOf(c), q)
	if err != nil {
		return err
	}
	return s.sendStats(c, r, f)
}

// StatsLabel names a row of a breakdown: a place, a month, a category in
// the reader's language, an organization, a programme.
func (p *page) StatsLabel(by string, r stats.Row) string {
	switch by {
	case "category":
		return p.Cat(kernel.Category(r.Key))
	case "programme":
		return p.Prog(kernel.Programme(r.Key))
	case "step":
		return p.T("step_" + r.Key)
	case "region":
		if r.Self {
			return p.Tf("stats_self", "Name", r.Name)
		}
	case "month":
		if t, err := time.Parse("2006-01", r.Key); err == nil && p.Lang == "en" {
			return t.Format("Jan 2006")
		}
	}
	return r.Name
}

// Permille writes a share in tenths of a percent (98.5%), or a dash when
// there was nothing to share.
func (p *page) Permille(v int64) string {
	if v < 0 {
		return "—"
	}
	return stats.FormatPermille(v)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// registerStatsPages adds the statistics page, the federations' views of
// their counties and the printed notices.
func (s *Server) registerStatsPages() {
	if s.Stats == nil {
		return
	}
	e := s.Echo
	readers := []echo.MiddlewareFunc{requireAuth, requireRole(statsReaders...)}
	e.GET("/stats", s.handleStatsPage, readers...)
	e.GET("/stats/file", s.handleStatsFile, readers...)
	fed := []echo.MiddlewareFunc{requireAuth, requireRole(kernel.RoleFederationStaff)}
	e.GET("/staff/counties", s.handleCountiesPage, fed...)
	e.GET("/staff/counties/:id", s.handleCountyPage, fed...)
	if s.Needs != nil && s.Browse != nil {
		ver := []echo.MiddlewareFunc{requireAuth, requireRole(kernel.RoleVerifier)}
		e.GET("/verify/notices", s.handleNoticesPage, ver...)
		e.GET("/verify/notices/print", s.handleNoticeBatchPrint, ver...)
		e.GET("/verify/notices/:id", s.handleNoticePrint, ver...)
	}
}

// StatsPeriod names a period: 2026年11月 or Nov 2026, 2026年 or 2026.
func (p *page) StatsPeriod(q stats.Period) string {
	if q.IsYear() {
		return p.Tf("stats_period_year", "Year", q.Year)
	}
	if p.Lang == "en" {
		return q.Start().Format("Jan 2006")
	}
	return p.Tf("stats_period_month", "Year", q.Year, "Month", q.Month)
}
