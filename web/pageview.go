package web

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// What templates call to show codes, regions, amounts and dates to people.
// Amounts stay int64 fen until this edge; codes stay codes until here.

func (p *page) label(l kernel.Label) string {
	if p.Lang == "en" {
		return l.En
	}
	return l.Zh
}

// Cat names a need category (a Category or its code as a string).
func (p *page) Cat(code any) string {
	c := kernel.Category(fmt.Sprint(code))
	if l, ok := kernel.CategoryLabels[c]; ok {
		return p.label(l)
	}
	return string(c)
}

// HH names a household type.
func (p *page) HH(h kernel.HouseholdType) string {
	if l, ok := kernel.HouseholdTypeLabels[h]; ok {
		return p.label(l)
	}
	return string(h)
}

// Svc names a service or skill.
func (p *page) Svc(s kernel.Service) string {
	if l, ok := kernel.ServiceLabels[s]; ok {
		return p.label(l)
	}
	return string(s)
}

// Urg names an urgency.
func (p *page) Urg(u kernel.Urgency) string {
	if l, ok := kernel.UrgencyLabels[u]; ok {
		return p.label(l)
	}
	return string(u)
}

// Age names an age band (under_14 only as "minor").
func (p *page) Age(a kernel.AgeBand) string {
	if l, ok := kernel.AgeBandLabels[a]; ok {
		return p.label(l)
	}
	return ""
}

// Prog names a statutory programme.
func (p *page) Prog(g kernel.Programme) string {
	if l, ok := kernel.ProgrammeLabels[g]; ok {
		return p.label(l)
	}
	return string(g)
}

// Status names a need status from the catalog (status_open, …).
func (p *page) Status(s kernel.NeedStatus) string { return p.T("status_" + string(s)) }

// Region names a region code or canonical prefix ("37", "3717", "371725")
// from the division table, from the province down.
func (p *page) Region(code string) string {
	if p.div == nil || code == "" {
		return code
	}
	if len(code) == 2 || len(code) == 4 {
		code += strings.Repeat("0", 6-len(code))
	}
	if n := p.div.FullName(code); n != "" {
		return n
	}
	return code
}

// ShortRegion is the division's own name (郓城县).
func (p *page) ShortRegion(code string) string {
	if p.div == nil || code == "" {
		return code
	}
	if len(code) == 2 || len(code) == 4 {
		code += strings.Repeat("0", 6-len(code))
	}
	if n := p.div.Name(code); n != "" {
		return n
	}
	return code
}

// Pct is part of whole in whole percent, 0..100.
func (p *page) Pct(part, whole int64) int64 {
	if whole <= 0 || part <= 0 {
		return 0
	}
	if part >= whole {
		return 100
	}
	return part * 100 / whole
}

// When formats an optional time as a date; "" when nil.
func (p *page) When(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return p.Date(*t)
}

// DateTime formats a time with hours and minutes, in China time.
func (p *page) DateTime(t time.Time) string {
	t = t.In(kernel.ChinaTime)
	if p.Lang == "en" {
		return t.Format("2006-01-02 15:04")
	}
	return p.Date(t) + " " + t.Format("15:04")
}

// ISO is the machine-readable date for <time datetime>.
func (p *page) ISO(t time.Time) string { return t.In(kernel.ChinaTime).Format("2006-01-02") }

// Is reports whether the signed-in user holds role.
func (p *page) Is(role string) bool { return p.User.Has(kernel.Role(role)) }

// Itoa formats an int for templates.
func (p *page) Itoa(n int) string { return strconv.Itoa(n) }

// pager is the paging of a list.
type pager struct {
	Page, Pages, Total int
	Prev, Next         string // URLs; "" when there is none
}

// newPager builds the links of page of total items, perPage each, from the
// list's base path and its query (page replaced).
func newPager(path string, q url.Values, page, perPage, total int) pager {
	pg := pager{Page: page, Total: total}
	if perPage > 0 {
		pg.Pages = (total + perPage - 1) / perPage
	}
	link := func(n int) string {
		v := url.Values{}
		for k, vs := range q {
			if k != "page" && k != "_csrf" {
				v[k] = vs
			}
		}
		if n > 1 {
			v.Set("page", strconv.Itoa(n))
		}
		if e := v.Encode(); e != "" {
			return path + "?" + e
		}
		return path
	}
	if page > 1 {
		pg.Prev = link(page - 1)
	}
	if page < pg.Pages {
		pg.Next = link(page + 1)
	}
	return pg
}

// formData is a form shown again with what was typed and what is wrong.
type formData interface {
	V(field string) string
	Err(field string) string
}

// fieldView is one labelled input of a form.
type fieldView struct {
	Name, Label, Type, Hint, Value, Error string
}

// Field describes an input of the page's form for the "input" partial:
// {{template "input" (.Field "title" "label_id" "text" "hint_id")}}.
func (p *page) Field(name, label, typ, hint string) *page {
	f := fieldView{Name: name, Label: label, Type: typ, Hint: hint}
	if fd, ok := p.Data.(formData); ok {
		f.Value, f.Error = fd.V(name), fd.Err(name)
	}
	return p.With(f)
}

// Err is the page's form error for field, for the "fielderr" partial.
func (p *page) Err(name string) *page {
	if fd, ok := p.Data.(formData); ok {
		if e := fd.Err(name); e != "" {
			return p.With(e)
		}
	}
	return p.With(nil)
}

// YuanPlain formats fen for an input field: "12345.50".
func (p *page) YuanPlain(fen int64) string {
	if fen < 0 {
		fen = 0
	}
	return strconv.FormatInt(fen/100, 10) + "." + fmt.Sprintf("%02d", fen%100)
}

// Minus is a - b, for templates.
func (p *page) Minus(a, b int64) int64 { return a - b }

// OrgLabel names an organization beside a published need: its name, or,
// when the name would place the need finer than its public region
// (marketplace.ShownOrg left it empty), what kind of organization it is.
func (p *page) OrgLabel(name string, kind kernel.OrgKind) string {
	if name != "" {
		return name
	}
	return p.T("org_generic_" + string(kind))
}

// SourceLabel names the fund, project or organization of a disclosure or
// ledger line, or says generically what it is when its name is withheld.
func (p *page) SourceLabel(name, sourceType string) string {
	if name != "" {
		return name
	}
	return p.T("source_generic_" + sourceType)
}
