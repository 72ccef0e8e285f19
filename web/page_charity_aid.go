package web

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/kernel"
)

// charityAidPage is the verifier's form that downloads the charity aid of
// a region and a period (慈善救助信息回传).
type charityAidPage struct {
	Regions        []charityAidRegion
	Region         string
	From, To       string
	Format         string
	Formats        []funds.AidFormat
	Error          string
	InvalidRegion  bool
	InvalidPeriod  bool
	InvalidFormats bool
}

type charityAidRegion struct{ Code, Name string }

// handleCharityAidPage shows the form, for the previous month by default.
func (s *Server) handleCharityAidPage(c echo.Context) error {
	now := time.Now()
	if s.pages.now != nil {
		now = s.pages.now()
	}
	now = now.In(kernel.ChinaTime)
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, kernel.ChinaTime)
	d := s.charityAidForm(c)
	d.From, d.To, d.Format = first.AddDate(0, -1, 0).Format(time.DateOnly), first.AddDate(0, 0, -1).Format(time.DateOnly), string(funds.AidCSV)
	if len(d.Regions) > 0 {
		d.Region = d.Regions[0].Code
	}
	return s.render(c, http.StatusOK, "verify_charity_aid", d)
}

// charityAidForm lists the regions of the caller's civil affairs offices:
// the regions the export lets them download (marketplace.CoveringVerifier).
func (s *Server) charityAidForm(c echo.Context) charityAidPage {
	d := charityAidPage{Formats: []funds.AidFormat{funds.AidCSV, funds.AidXLSX}}
	seen := map[string]bool{}
	if p := PrincipalOf(c); p != nil {
		for _, o := range p.OrgsWith(kernel.RoleVerifier) {
			if o.Kind != kernel.OrgCivilAffairs || seen[o.RegionCode] {
				continue
			}
			seen[o.RegionCode] = true
			d.Regions = append(d.Regions, charityAidRegion{Code: o.RegionCode, Name: s.pages.div.FullName(o.RegionCode)})
		}
	}
	return d
}

// handleCharityAidDownload sends the file the form asks for, as the API
// does (handleCharityAid): the same export, rule and refusal. A region
// outside the caller's offices is the API's 403 with its message, before
// any byte, on the form; a form with errors comes back with the reasons.
func (s *Server) handleCharityAidDownload(c echo.Context) error {
	f, err := funds.ParseAidFilter(c.QueryParam("region"), c.QueryParam("from"), c.QueryParam("to"), c.QueryParam("format"))
	var ve *kernel.ValidationError
	if errors.As(err, &ve) {
		d := s.charityAidForm(c)
		d.Region, d.From, d.To, d.Format = c.QueryParam("region"), c.QueryParam("from"), c.QueryParam("to"), c.QueryParam("format")
		d.Error = s.pageT(c, "form_has_errors")
		_, d.InvalidRegion = ve.Fields["region"]
		_, from := ve.Fields["from"]
		_, to := ve.Fields["to"]
		d.InvalidPeriod = from || to
		_, d.InvalidFormats = ve.Fields["format"]
		return s.render(c, http.StatusBadRequest, "verify_charity_aid", d)
	}
	if err != nil {
		return err
	}
	err = s.sendCharityAid(c, f)
	if errors.Is(err, kernel.ErrForbidden) {
		// The API's refusal, in the API's words, on the form: the verifier
		// picks one of their own regions.
		d := s.charityAidForm(c)
		d.Region, d.From, d.To, d.Format = f.Region, c.QueryParam("from"), c.QueryParam("to"), string(f.Format)
		d.Error = s.userMessage(c, err, s.pageT(c, "error_forbidden"))
		d.InvalidRegion = true
		return s.render(c, http.StatusForbidden, "verify_charity_aid", d)
	}
	return err
}
