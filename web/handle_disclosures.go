package web

import (
	"bytes"
	"net/http"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/funds"
)

// handleDisclosureList returns the public register of allocations,
// disbursements and donations to needs; format=csv downloads it.
func (s *Server) handleDisclosureList(c echo.Context) error {
	f := funds.DisclosureFilter{RegionPrefix: c.QueryParam("region")}
	if id := c.QueryParam("fund"); id != "" {
		f.SourceID, f.SourceType = id, string(funds.KindFund)
	}
	if id := c.QueryParam("project"); id != "" {
		if f.SourceID != "" {
			return kernel.Invalid("project", "filter by a fund or a project, not both")
		}
		f.SourceID, f.SourceType = id, string(funds.KindProject)
	}
	if f.RegionPrefix != "" {
		for _, r := range f.RegionPrefix {
			if r < '0' || r > '9' {
				return kernel.Invalid("region", "must be digits of a region code")
			}
		}
		if len(f.RegionPrefix) > 12 {
			return kernel.Invalid("region", "must be at most 12 digits")
		}
	}
	var err error
	if f.From, err = queryTime(c, "from"); err != nil {
		return err
	}
	if f.To, err = queryTime(c, "to"); err != nil {
		return err
	}
	if f.Limit, err = queryInt(c, "limit"); err != nil {
		return err
	}
	if f.Offset, err = queryInt(c, "offset"); err != nil {
		return err
	}
	ds, err := s.Funds.Disclosures(c.Request().Context(), f)
	if err != nil {
		return err
	}
	switch c.QueryParam("format") {
	case "", "json":
		if ds == nil {
			ds = []funds.Disclosure{}
		}
		return c.JSON(http.StatusOK, map[string]any{"items": ds})
	case "csv":
		var b bytes.Buffer
		if err := funds.WriteDisclosuresCSV(&b, ds); err != nil {
			return err
		}
		c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="disclosures.csv"`)
		return c.Blob(http.StatusOK, "text/csv; charset=utf-8", b.Bytes())
	}
	return kernel.Invalid("format", "must be json or csv")
}
