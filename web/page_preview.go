package web

import (
	"html/template"
	"sort"
	"strconv"
	"strings"

	"github.com/jiujinan/jiujinan/marketplace/anonymize"
)

// What the social worker and the verifier see of a need's public version
// before it is published: the scrubbed text with every removal marked
// where its placeholder stands, and what kinds of detail were removed, so
// that a wrong removal or a detail left in can be corrected before the
// text goes out.

// Marked is text (scrubbed) with each redaction's placeholder in a <mark>
// that names its kind; everything else escaped.
func (p *page) Marked(text string, reds []anonymize.Redaction) template.HTML {
	rs := []rune(text)
	sorted := append([]anonymize.Redaction(nil), reds...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Start < sorted[j].Start })
	var b strings.Builder
	at := 0
	for _, r := range sorted {
		if r.Start < at || r.End > len(rs) || r.Start > r.End {
			continue // overlapping or out of range: shown unmarked
		}
		b.WriteString(template.HTMLEscapeString(string(rs[at:r.Start])))
		kind := p.redactionKind(string(r.Kind))
		b.WriteString(`<mark class="redacted" title="` + template.HTMLEscapeString(kind) + `">`)
		b.WriteString(template.HTMLEscapeString(string(rs[r.Start:r.End])))
		b.WriteString(`<span class="visually-hidden">（` + template.HTMLEscapeString(kind) + `）</span></mark>`)
		at = r.End
	}
	b.WriteString(template.HTMLEscapeString(string(rs[at:])))
	return template.HTML(b.String())
}

// RedactionSummary says what kinds of detail were removed and how often:
// 姓名 2 处、电话 1 处.
func (p *page) RedactionSummary(lists ...[]anonymize.Redaction) string {
	counts := map[string]int{}
	var order []string
	for _, l := range lists {
		for _, r := range l {
			k := string(r.Kind)
			if counts[k] == 0 {
				order = append(order, k)
			}
			counts[k]++
		}
	}
	if len(order) == 0 {
		return p.T("preview_nothing_removed")
	}
	parts := make([]string, len(order))
	for i, k := range order {
		parts[i] = p.Tf("preview_removed_kind", "Kind", p.redactionKind(k), "N", strconv.Itoa(counts[k]))
	}
	return p.Tf("preview_removed", "List", strings.Join(parts, p.T("list_sep")))
}

// redactionKind names a kind of removed detail; a kind the catalogue does
// not know yet is 个人信息.
func (p *page) redactionKind(kind string) string {
	if s := p.T("redact_" + kind); s != "redact_"+kind {
		return s
	}
	return p.T("redact_other")
}
