package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/marketplace/search"
)

// needBrowser is what the public need pages read: search for the list, the
// database for one need. Both give public projections only.
type needBrowser interface {
	Search(ctx context.Context, q search.Query) (*search.Result, error)
	Need(ctx context.Context, publicID string) (*marketplace.PublicNeed, error)
}

// With returns a copy of the page carrying data, for a partial template that
// needs the page's translations too: {{template "needcard" ($.With .)}}.
func (p *page) With(data any) *page {
	c := *p
	c.Data = data
	return &c
}

type facetLink struct {
	Cat  kernel.Category
	Code string
	N    int
	Link string
	On   bool
}

type needsPage struct {
	Q, Category, Region, Urgency, Status, Sort string
	// RegionExtra: the region filter is below province level and gets its
	// own option.
	RegionExtra  bool
	Categories   []kernel.Category
	Urgencies    []kernel.Urgency
	Statuses     []kernel.NeedStatus
	Sorts        []search.Sort
	Provinces    []string
	Total        int
	Needs        []marketplace.PublicNeed
	FacetCats    []facetLink
	FacetRegions []facetLink
	Pager        pager
	Error        string
}

// handleNeedsPage is the public list of needs with filters and facets. The
// form is a plain GET form (works without JavaScript); with htmx it updates
// only the result list.
func (s *Server) handleNeedsPage(c echo.Context) error {
	if s.pages.needs == nil {
		return echo.ErrNotFound
	}
	qv := c.QueryParams()
	d := needsPage{
		Q: qv.Get("q"), Category: qv.Get("category"), Region: qv.Get("region"), Urgency: qv.Get("urgency"),
		Status: qv.Get("status"), Sort: qv.Get("sort"),
		Categories: kernel.Categories,
		Urgencies:  []kernel.Urgency{kernel.UrgencyEmergency, kernel.UrgencyUrgent, kernel.UrgencyNormal},
		Statuses:   []kernel.NeedStatus{kernel.NeedOpen, kernel.NeedNotice, kernel.NeedFunded, kernel.NeedDisbursed, kernel.NeedClosed},
		Sorts:      []search.Sort{search.SortUrgency, search.SortDeadline, search.SortRemaining, search.SortNewest},
		Provinces:  s.pages.div.Provinces(),
	}
	q := search.Query{Q: d.Q, Sort: search.Sort(d.Sort), PerPage: 20}
	if d.Category != "" {
		q.Categories = []kernel.Category{kernel.Category(d.Category)}
	}
	if d.Urgency != "" {
		q.Urgencies = []kernel.Urgency{kernel.Urgency(d.Urgency)}
	}
	if d.Status != "" {
		q.Statuses = []kernel.NeedStatus{kernel.NeedStatus(d.Status)}
	}
	if d.Region != "" {
		q.RegionPrefix = search.CanonicalRegion(padRegion(d.Region))
		if q.RegionPrefix == "" {
			q.RegionPrefix = d.Region // let the search say what is wrong
		}
		d.Region = q.RegionPrefix
		d.RegionExtra = len(d.Region) > 2
	}
	if p := qv.Get("page"); p != "" {
		q.Page, _ = strconv.Atoi(p)
		if q.Page < 1 {
			q.Page = 1
		}
	}
	status := http.StatusOK
	res, err := s.pages.needs.Search(c.Request().Context(), q)
	var ve *kernel.ValidationError
	switch {
	case errors.As(err, &ve):
		status = http.StatusBadRequest
		d.Error = s.pageT(c, "needs_bad_filter")
		res = &search.Result{}
	case err != nil:
		return err
	}
	d.Total, d.Needs = res.Total, res.Needs
	d.Pager = newPager("/needs", qv, res.Page, res.PerPage, res.Total)
	link := func(k, v string) string {
		u := url.Values{}
		for key, vs := range qv {
			if key != "page" && key != k {
				u[key] = vs
			}
		}
		if v != "" {
			u.Set(k, v)
		}
		return "/needs?" + u.Encode()
	}
	for _, cat := range kernel.Categories {
		if n := res.Facets.Categories[cat]; n > 0 {
			on := string(cat) == d.Category
			l := link("category", string(cat))
			if on {
				l = link("category", "")
			}
			d.FacetCats = append(d.FacetCats, facetLink{Cat: cat, N: n, Link: l, On: on})
		}
	}
	// Drill down one level below the region filter.
	regions := res.Facets.Provinces
	switch len(d.Region) {
	case 2:
		regions = res.Facets.Cities
	case 4, 6:
		regions = res.Facets.Counties
	}
	for _, code := range sortedKeys(regions) {
		if code == d.Region || (len(d.Region) > 0 && len(code) <= len(d.Region)) {
			continue
		}
		d.FacetRegions = append(d.FacetRegions, facetLink{Code: code, N: regions[code], Link: link("region", code)})
	}
	if isPartial(c, "results") {
		return s.renderBlock(c, status, "needs", "results", d)
	}
	return s.render(c, status, "needs", d)
}

// isPartial reports whether htmx asked for the block with this id only (and
// not for a whole page to restore history).
func isPartial(c echo.Context, target string) bool {
	h := c.Request().Header
	c.Response().Header().Add("Vary", "HX-Request")
	return h.Get("HX-Request") == "true" && h.Get("HX-History-Restore-Request") != "true" && h.Get("HX-Target") == target
}

func padRegion(r string) string {
	for len(r) < 6 && len(r)%2 == 0 && len(r) > 0 {
		r += "00"
	}
	return r
}

// disclosureRow is one line of money that reached a need or left a fund.
type disclosureRow struct {
	At     time.Time
	Kind   string // allocation, disbursement
	Source string
	// SourceType words a withheld source (SourceLabel): fund or project.
	SourceType string
	AmountFen  int64
}

type needPage struct {
	Need           *marketplace.PublicNeed
	Disclosures    []disclosureRow
	CanObject      bool
	ObjectionError string
	// CanServe: volunteers may pledge service here.
	CanServe bool
	// Pledge is the donation form while the need is open (nil without a
	// funds service).
	Pledge *pledgeForm
	// Receiver names the charity federation that receives the need's
	// donations, or says generically what it is where its name would place
	// the need finer than its public region.
	Receiver string
	// ShowUpdates: the viewer reads the need's progress updates (its own
	// staff, covering verifiers, donors who gave to it, volunteers serving
	// it); Updates are they, newest first.
	ShowUpdates bool
	Updates     []marketplace.NeedUpdate
}

// handleNeedPage is the public page of one need.
func (s *Server) handleNeedPage(c echo.Context) error {
	if s.pages.needs == nil {
		return echo.ErrNotFound
	}
	return s.renderNeedPage(c, http.StatusOK, "")
}

func (s *Server) renderNeedPage(c echo.Context, status int, objectionErr string) error {
	return s.renderNeedPageWith(c, status, objectionErr, nil)
}

func (s *Server) renderNeedPageWith(c echo.Context, status int, objectionErr string, form *pledgeForm) error {
	ctx := c.Request().Context()
	n, err := s.pages.needs.Need(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	// The objection form shows while the need rules take an objection.
	canObject := s.Needs != nil && marketplace.PublicMay(marketplace.ActObject, n, s.now()) == nil
	d := needPage{Need: n, CanObject: canObject, ObjectionError: objectionErr, CanServe: s.People != nil}
	if s.Funds != nil {
		as, err := s.needAllocations(ctx, n.ID)
		if err != nil && !errors.Is(err, kernel.ErrNotFound) {
			return err
		}
		d.Disclosures = moneyRows(as)
		// A fund or project is named beside the need only where its
		// organization's region covers the need's public region.
		var names []string
		for _, r := range d.Disclosures {
			names = append(names, r.Source)
		}
		shown, err := s.Funds.SourcesShown(ctx, n.RegionCode, names...)
		if err != nil {
			return err
		}
		for i := range d.Disclosures {
			if !shown[d.Disclosures[i].Source] {
				d.Disclosures[i].Source = ""
			}
		}
		if form == nil {
			form = &pledgeForm{TargetType: "need", TargetID: n.ID, Key: newFormKey()}
		}
		if n.Status == kernel.NeedOpen && n.RemainingFen > 0 {
			d.Pledge = form
			if form.Pending, err = s.Funds.MyPendingPledges(ctx, PrincipalOf(c), funds.TargetNeed, n.ID); err != nil {
				return err
			}
			if d.Receiver, err = s.needReceiver(c, n); err != nil {
				return err
			}
		}
	}
	if p := PrincipalOf(c); p != nil && s.Needs != nil {
		us, err := s.Needs.Updates(ctx, p, n.ID)
		switch {
		case err == nil:
			d.ShowUpdates, d.Updates = true, us
		case !errors.Is(err, kernel.ErrNotFound):
			return err
		}
	}
	return s.render(c, status, "need", d)
}

// needReceiver names the receiving charity federation on the public need
// page: by name only when its region covers the need's public region
// (marketplace.ShownOrg, as for the posting organization).
func (s *Server) needReceiver(c echo.Context, n *marketplace.PublicNeed) (string, error) {
	ctx := c.Request().Context()
	generic := s.pageT(c, "org_generic_"+string(kernel.OrgCharityFederation))
	id, name, err := s.Funds.NeedReceiver(ctx, n.ID)
	if errors.Is(err, kernel.ErrNotFound) {
		return generic, nil
	}
	if err != nil {
		return "", err
	}
	org, err := s.Accounts.Store.OrgByPublicID(ctx, id)
	if err != nil {
		return "", err
	}
	if !marketplace.ShownOrg(s.pages.div, org.RegionCode, n.RegionCode) {
		return generic, nil
	}
	return name, nil
}

// message is a page that only says something.
type message struct{ Title, Text string }
