package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/stats"
)

// A charity federation's view of the counties under it (issue 19): a city
// or provincial federation sees the needs and the funds of its counties
// together, and each county's read-only; a county federation sees its own
// county. The rule is stats.FederationAreas': staff of a charity federation,
// for the federation's region.

// countiesPage is GET /staff/counties's view.
type countiesPage struct {
	View *stats.CountyView
	// Regions are the caller's federations' regions, when there are several.
	Regions []statsPlace
	// Selected is the region shown.
	Selected string
	// Period is the current month, for the links to the statistics.
	Period string
}

// handleCountiesPage is GET /staff/counties[?region=371700].
func (s *Server) handleCountiesPage(c echo.Context) error {
	by := PrincipalOf(c)
	d := countiesPage{Period: stats.MonthOf(s.Stats.Now()).String()}
	areas := stats.FederationAreas(s.pages.div, by)
	if len(areas) > 1 {
		for _, a := range areas {
			d.Regions = append(d.Regions, statsPlace{Code: a.Region, Name: s.pages.div.FullName(a.Region)})
		}
	}
	if len(areas) == 0 {
		return s.render(c, http.StatusOK, "staff_counties", d)
	}
	v, err := s.Stats.Counties(c.Request().Context(), by, c.QueryParam("region"))
	if err != nil {
		return err
	}
	d.View, d.Selected = v, v.Region
	return s.render(c, http.StatusOK, "staff_counties", d)
}

// countyPage is GET /staff/counties/:id's view.
type countyPage struct {
	County *stats.CountyDetail
	Period string
	// More is how many of the county's needs the page does not list.
	More int
}

// handleCountyPage is GET /staff/counties/:id (a county's code): 404 for a
// county outside the caller's federations.
func (s *Server) handleCountyPage(c echo.Context) error {
	d, err := s.Stats.County(c.Request().Context(), PrincipalOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "staff_county", countyPage{County: d, Period: stats.MonthOf(s.Stats.Now()).String(),
		More: d.NeedsTotal - len(d.Needs)})
}
