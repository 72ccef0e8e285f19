package web

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/marketplace/search"
	"github.com/jiujinan/jiujinan/stats"
)

// Printed public notices (公示) for the boards of villages and towns (issue
// 19): one A4 page per need, a page per need for a whole place, or one A4
// list of a town's needs in notice. A notice holds the need's public
// projection exactly as the need page shows it (marketplace.PublicNeed, read
// from the needs store: never an identity, never private text), the notice's
// dates, how to object (the objection form's address, the receipt it
// gives) and a QR code of the need page. Only needs on the public pages are
// printed: a need without the household's consent to publication is on no
// public surface, a board included. The rule is the verifier's: a verifier
// of a civil affairs office covering the place (or the need's region).
//
// The needs of a town are chosen by the households' own region, which the
// public projection coarsens (to the county or above): a town's board says
// that the needs on it are of the town, which is what a notice in the
// village is for (seeds: 在救助对象所在的村(居)委会公示) and what only the
// verifiers printing it know.

// noticesPage is GET /verify/notices's view: the places the verifier may
// print for, and the needs in notice in the one chosen.
type noticesPage struct {
	Places []statsPlace
	Region string
	Name   string
	Needs  []marketplace.PublicNeed
	// Full: the place has more needs in notice than a batch prints.
	Full  bool
	Error string
}

// noticePlaces are the verifier's offices' regions, each with the places
// directly under it (the towns of a county).
func (s *Server) noticePlaces(by *kernel.Principal) []statsPlace {
	var out []statsPlace
	seen := map[string]bool{}
	d := s.pages.div
	add := func(code, name string) {
		if !seen[code] {
			seen[code] = true
			out = append(out, statsPlace{Code: code, Name: name})
		}
	}
	for _, o := range by.OrgsWith(kernel.RoleVerifier) {
		if o.Kind != kernel.OrgCivilAffairs || !d.Known(o.RegionCode) {
			continue
		}
		add(o.RegionCode, d.FullName(o.RegionCode))
		for _, c := range d.Children(o.RegionCode) {
			add(c, d.FullName(c))
		}
	}
	return out
}

// handleNoticesPage is GET /verify/notices[?region=371725001].
func (s *Server) handleNoticesPage(c echo.Context) error {
	by := PrincipalOf(c)
	d := noticesPage{Places: s.noticePlaces(by), Region: c.QueryParam("region")}
	if d.Region == "" && len(d.Places) > 0 {
		d.Region = d.Places[0].Code
	}
	if d.Region == "" {
		return s.render(c, http.StatusOK, "verify_notices", d)
	}
	d.Name = s.pages.div.FullName(divisionCode(d.Region))
	needs, full, err := s.noticeNeeds(c.Request().Context(), by, d.Region)
	var ve *kernel.ValidationError
	switch {
	case errors.As(err, &ve):
		d.Error = s.pageT(c, "form_has_errors")
		return s.render(c, http.StatusBadRequest, "verify_notices", d)
	case errors.Is(err, kernel.ErrForbidden):
		d.Error = s.userMessage(c, err, s.pageT(c, "error_forbidden"))
		return s.render(c, http.StatusForbidden, "verify_notices", d)
	case err != nil:
		return err
	}
	d.Needs, d.Full = needs, full
	return s.render(c, http.StatusOK, "verify_notices", d)
}

// noticeNeeds returns the projections of the public needs in notice in a
// place within by's offices, in the order they were published, and
// whether there are more than a batch holds.
func (s *Server) noticeNeeds(ctx context.Context, by *kernel.Principal, region string) ([]marketplace.PublicNeed, bool, error) {
	ids, err := s.Stats.NoticeNeeds(ctx, by, region)
	if err != nil {
		return nil, false, err
	}
	byID := map[string]marketplace.PublicNeed{}
	if many, ok := s.Browse.Needs.(search.NeedsReader); ok {
		list, err := many.PublicNeedsByPublicID(ctx, ids, s.now())
		if err != nil {
			return nil, false, err
		}
		for _, n := range list {
			byID[n.ID] = n
		}
	} else {
		for _, id := range ids {
			n, err := s.Browse.Need(ctx, id)
			if errors.Is(err, kernel.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, false, err
			}
			byID[id] = *n
		}
	}
	var out []marketplace.PublicNeed
	for _, id := range ids {
		// The store's rule again: only a public need in notice is printed.
		if n, ok := byID[id]; ok && n.Status == kernel.NeedNotice {
			out = append(out, n)
		}
	}
	return out, len(ids) >= stats.MaxNoticeNeeds, nil
}

// divisionCode is the division code of a region prefix as
// kernel.Divisions.ParseRegionFilter reads it (37 → 370000, 3717 → 371700).
func divisionCode(prefix string) string {
	switch len(prefix) {
	case 2:
		return prefix + "0000"
	case 4:
		return prefix + "00"
	}
	return prefix
}

// noticePrint is the printed notices' view (template notice_print, block
// "print": a document of its own, without the site's navigation).
type noticePrint struct {
	// Layout is one (a need), pages (a page per need) or list (one list).
	Layout string
	// Place names the place of a batch.
	Place  string
	Sheets []noticeSheet
	// Site is the site's address, Office the civil affairs office that
	// resolves objections ("" when the printer's office is not known).
	Site, Office string
	PrintedAt    time.Time
	// Back is the page to return to on screen.
	Back string
}

// noticeSheet is one need's notice.
type noticeSheet struct {
	Need marketplace.PublicNeed
	// Until is the notice's end; Held when an objection holds it open (the
	// notice ends when the objections are resolved, not before Until).
	Until *time.Time
	Held  bool
	URL   string
	QR    template.HTML
}

// siteURL is the address of the site as the public reaches it: the
// configured one, else the one the request came to.
func (s *Server) siteURL(c echo.Context) string {
	if s.cfg.PublicURL != "" {
		return strings.TrimRight(s.cfg.PublicURL, "/")
	}
	return c.Scheme() + "://" + c.Request().Host
}

// sheet builds the notice of a public need; n is the need's stored row
// (for a notice an objection holds, its planned end).
func (s *Server) sheet(c echo.Context, pn marketplace.PublicNeed, n *marketplace.Need) (noticeSheet, error) {
	sh := noticeSheet{Need: pn, Until: pn.NoticeEndsAt, URL: s.siteURL(c) + "/needs/" + pn.ID}
	if sh.Until == nil {
		sh.Held = true
		if n != nil {
			sh.Until = n.NoticePlannedEnd
		}
	}
	qr, err := qrSVG(sh.URL, sh.URL)
	if err != nil {
		return sh, err
	}
	sh.QR = qr
	return sh, nil
}

// office names the civil affairs office of by that covers region, the most
// local one.
func (s *Server) office(by *kernel.Principal, region string) string {
	best, name := "", ""
	for _, o := range by.OrgsWith(kernel.RoleVerifier) {
		p := s.pages.div.Prefix(o.RegionCode)
		if o.Kind == kernel.OrgCivilAffairs && p != "" && strings.HasPrefix(region, p) && len(p) > len(best) {
			best, name = p, o.Name
		}
	}
	return name
}

// handleNoticePrint is GET /verify/notices/:id: one need's notice. A need
// the verifier does not cover is 404; one not on the public pages, or no
// longer in notice, is said so (409).
func (s *Server) handleNoticePrint(c echo.Context) error {
	ctx, by := c.Request().Context(), PrincipalOf(c)
	n, err := s.Needs.Store.NeedByPublicID(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	if !marketplace.CoveringVerifier(s.pages.div, by, n.RegionCode) {
		return echo.ErrNotFound
	}
	pn, err := s.Browse.Need(ctx, n.PublicID)
	if errors.Is(err, kernel.ErrNotFound) {
		return s.render(c, http.StatusConflict, "message", message{Title: s.pageT(c, "notice_print_title"), Text: s.pageT(c, "notice_not_public")})
	}
	if err != nil {
		return err
	}
	if pn.Status != kernel.NeedNotice {
		return s.render(c, http.StatusConflict, "message", message{Title: s.pageT(c, "notice_print_title"), Text: s.pageT(c, "notice_not_in_notice")})
	}
	sh, err := s.sheet(c, *pn, n)
	if err != nil {
		return err
	}
	return s.renderBlock(c, http.StatusOK, "notice_print", "print", noticePrint{Layout: "one", Sheets: []noticeSheet{sh}, Site: s.siteURL(c),
		Office: s.office(by, n.RegionCode), PrintedAt: s.now(), Back: "/staff/needs/" + n.PublicID})
}

// handleNoticeBatchPrint is GET /verify/notices/print?region=…&layout=pages|list:
// every public need in notice in a place, a page each or one list.
func (s *Server) handleNoticeBatchPrint(c echo.Context) error {
	ctx, by := c.Request().Context(), PrincipalOf(c)
	region, layout := c.QueryParam("region"), c.QueryParam("layout")
	if layout != "list" {
		layout = "pages"
	}
	needs, _, err := s.noticeNeeds(ctx, by, region)
	if err != nil {
		return err
	}
	d := noticePrint{Layout: layout, Place: s.pages.div.FullName(divisionCode(region)), Site: s.siteURL(c), Office: s.office(by, region),
		PrintedAt: s.now(), Back: "/verify/notices?region=" + region}
	for _, pn := range needs {
		var n *marketplace.Need
		if pn.NoticeEndsAt == nil {
			if n, err = s.Needs.Store.NeedByPublicID(ctx, pn.ID); err != nil {
				return err
			}
		}
		sh, err := s.sheet(c, pn, n)
		if err != nil {
			return err
		}
		d.Sheets = append(d.Sheets, sh)
	}
	return s.renderBlock(c, http.StatusOK, "notice_print", "print", d)
}

// Nth is the 1-based number of the item at index i, for numbered lists.
func (p *page) Nth(i int) string { return strconv.Itoa(i + 1) }
