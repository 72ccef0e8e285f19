package web

import (
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/marketplace/search"
)

// needListJSON is one page of public needs with facets over all matches.
type needListJSON struct {
	Items   []marketplace.PublicNeed `json:"items"`
	Total   int                      `json:"total"`
	Page    int                      `json:"page"`
	PerPage int                      `json:"per_page"`
	Facets  needFacetsJSON           `json:"facets"`
}

// needFacetsJSON counts the matching needs by category and by region one
// level below the region filter (provinces without one; a city's counties
// under a city). Region keys are prefixes ready for the region parameter.
type needFacetsJSON struct {
	Category map[kernel.Category]int `json:"category"`
	Region   map[string]int          `json:"region"`
}

// handleNeedList searches the published needs (anyone).
func (s *Server) handleNeedList(c echo.Context) error {
	q, err := s.parseNeedQuery(c)
	if err != nil {
		return err
	}
	if s.Browse == nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "search is not available")
	}
	res, err := s.Browse.Search(c.Request().Context(), q)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, needListJSON{
		Items: res.Needs, Total: res.Total, Page: res.Page, PerPage: res.PerPage,
		Facets: needFacetsJSON{Category: res.Facets.Categories, Region: s.regionFacet(res.Facets, q.RegionPrefix)},
	})
}

// handleNeedGet returns the public projection of one need (anyone); 404 for
// a need that is not public.
func (s *Server) handleNeedGet(c echo.Context) error {
	if s.Browse == nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "search is not available")
	}
	n, err := s.Browse.Need(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, n)
}

// multi returns the values of a repeatable parameter, each of which may
// also be a comma-separated list.
func multi(c echo.Context, name string) []string {
	var out []string
	for _, v := range c.QueryParams()[name] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func codes[T ~string](in []string) []T {
	out := make([]T, len(in))
	for i, s := range in {
		out[i] = T(s)
	}
	return out
}

// parseNeedQuery reads the search parameters, naming the first bad one of
// each kind in a *marketplace.ValidationError.
func (s *Server) parseNeedQuery(c echo.Context) (search.Query, error) {
	v := &kernel.ValidationError{}
	q := search.Query{
		Q:          strings.TrimSpace(c.QueryParam("q")),
		Categories: codes[kernel.Category](multi(c, "category")),
		Urgencies:  codes[kernel.Urgency](multi(c, "urgency")),
		Statuses:   codes[kernel.NeedStatus](multi(c, "status")),
		Sort:       search.Sort(strings.TrimSpace(c.QueryParam("sort"))),
	}
	if utf8.RuneCountInString(q.Q) > search.MaxQueryRunes {
		v.Add("q", "must be at most %d characters", search.MaxQueryRunes)
	}
	for _, cat := range q.Categories {
		if !cat.Valid() {
			v.Add("category", "unknown category %q", truncate(string(cat), 40))
		}
	}
	for _, u := range q.Urgencies {
		if !u.Valid() {
			v.Add("urgency", "unknown urgency %q; want emergency, urgent or normal", truncate(string(u), 40))
		}
	}
	for _, st := range q.Statuses {
		if !marketplace.IsPublicStatus(st) && st != kernel.NeedExpired {
			v.Add("status", "unknown status %q; want notice, open, expired, funded, disbursed or closed", truncate(string(st), 40))
		}
	}
	switch q.Sort {
	case "", search.SortUrgency, search.SortDeadline, search.SortRemaining, search.SortNewest:
	default:
		v.Add("sort", "must be one of urgency, deadline, remaining, newest")
	}
	if r := strings.TrimSpace(c.QueryParam("region")); r != "" {
		p, err := s.Divisions.ParseRegionFilter(r)
		switch {
		case err != nil:
			v.Add("region", "must be the code or prefix of a province, city or county (37, 3717, 371725)")
		case len(p) > 6:
			v.Add("region", "towns are not shown publicly; use the county")
		default:
			q.RegionPrefix = p
		}
	}
	for _, f := range []struct {
		name string
		dst  *int
		max  int
	}{{"page", &q.Page, search.MaxWindow}, {"per_page", &q.PerPage, search.MaxPerPage}} {
		raw := strings.TrimSpace(c.QueryParam(f.name))
		if raw == "" {
			continue
		}
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > f.max {
			v.Add(f.name, "must be a whole number from 1 to %d", f.max)
			continue
		}
		*f.dst = n
	}
	if err := v.Err(); err != nil {
		return q, err
	}
	return q, nil
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// regionFacet picks the level of region counts below the filter prefix.
func (s *Server) regionFacet(f search.Facets, prefix string) map[string]int {
	out := map[string]int{}
	add := func(k string, n int) {
		if n > 0 {
			out[k] = n
		}
	}
	switch len(prefix) {
	case 0:
		for k, n := range f.Provinces {
			add(k, n)
		}
	case 2, 4:
		code := prefix + strings.Repeat("0", 6-len(prefix))
		for _, child := range s.Divisions.Children(code) {
			p := s.Divisions.Prefix(child)
			switch len(p) {
			case 4:
				add(p, f.Cities[p])
			case 6:
				add(p, f.Counties[p])
			}
		}
	default:
		add(prefix, f.Counties[prefix])
	}
	return out
}
