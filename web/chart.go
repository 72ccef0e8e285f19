package web

import (
	"html"
	"html/template"
	"strconv"
	"strings"
)

// barChart is a horizontal bar chart drawn on the server as inline SVG: a
// group of bars per row (a month, a place, a category), one bar per
// series, each bar with its value written after it. It needs no script
// and no style attribute (the page's policy allows neither inline): the
// series are coloured by classes of app.css. It is an image with a title
// and a description for screen readers; the same numbers are in the table
// beside it.
type barChart struct {
	// ID names the title and description elements (aria-labelledby).
	ID          string
	Title, Desc string
	Labels      []string
	Series      []chartSeries
	// Format writes a value as the bar's label (a count, an amount in 元).
	Format func(int64) string
}

type chartSeries struct {
	Name   string
	Values []int64
}

// Geometry of the chart, in the units of its viewBox; the SVG scales to
// the width of the page (a phone included), so text is sized for that.
const (
	chartWidth  = 440
	chartLabelW = 112
	chartValueW = 96
	chartBarH   = 12
	chartRowGap = 10
	chartLegend = 26
	chartFont   = 12
	// chartLabelRunes is how long a row's label may be before the chart
	// squeezes it into the label column; chartLabelMax how much of a
	// longer one it writes (the table beside has it whole).
	chartLabelRunes = 8
	chartLabelMax   = 16
)

// SVG draws the chart; an empty template.HTML when it has no rows. Rows
// whose values are all zero are left out (the table beside lists them).
func (c barChart) SVG() template.HTML {
	c = c.withoutZeroRows()
	if len(c.Labels) == 0 || len(c.Series) == 0 {
		return ""
	}
	var max int64
	for _, s := range c.Series {
		for _, v := range s.Values {
			if v > max {
				max = v
			}
		}
	}
	groupH := len(c.Series)*(chartBarH+2) + chartRowGap
	height := chartLegend + len(c.Labels)*groupH + 4
	span := float64(chartWidth - chartLabelW - chartValueW)
	itoa := strconv.Itoa
	var b strings.Builder
	id := html.EscapeString(c.ID)
	b.WriteString(`<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ` + itoa(chartWidth) + ` ` + itoa(height) +
		`" role="img" aria-labelledby="` + id + `-t ` + id + `-d" font-size="` + itoa(chartFont) + `">`)
	b.WriteString(`<title id="` + id + `-t">` + html.EscapeString(c.Title) + `</title>`)
	b.WriteString(`<desc id="` + id + `-d">` + html.EscapeString(c.Desc) + `</desc>`)
	// Legend.
	x := 0
	for i, s := range c.Series {
		b.WriteString(`<rect class="s` + itoa(i+1) + `" x="` + itoa(x) + `" y="6" width="12" height="12"/>`)
		b.WriteString(`<text x="` + itoa(x+16) + `" y="16">` + html.EscapeString(s.Name) + `</text>`)
		x += 16 + len([]rune(s.Name))*chartFont + 14
	}
	for r, label := range c.Labels {
		y0 := chartLegend + r*groupH
		short, squeeze := label, ""
		if rs := []rune(label); len(rs) > chartLabelRunes {
			if len(rs) > chartLabelMax {
				short = string(rs[:chartLabelMax-1]) + "…"
			}
			squeeze = ` textLength="` + itoa(chartLabelW-8) + `" lengthAdjust="spacingAndGlyphs"`
		}
		mid := y0 + (len(c.Series)*(chartBarH+2))/2 + chartFont/2 - 2
		b.WriteString(`<text class="label" x="` + itoa(chartLabelW-6) + `" y="` + itoa(mid) + `" text-anchor="end"` + squeeze + `>` + html.EscapeString(short) + `</text>`)
		for i, s := range c.Series {
			var v int64
			if r < len(s.Values) {
				v = s.Values[r]
			}
			w := 0.0
			if max > 0 {
				w = float64(v) / float64(max) * span
			}
			if v > 0 && w < 1 {
				w = 1
			}
			y := y0 + i*(chartBarH+2)
			ws := strconv.FormatFloat(w, 'f', 1, 64)
			b.WriteString(`<rect class="s` + itoa(i+1) + `" x="` + itoa(chartLabelW) + `" y="` + itoa(y) + `" width="` + ws + `" height="` + itoa(chartBarH) + `">`)
			b.WriteString(`<title>` + html.EscapeString(label+" · "+s.Name+": "+c.Format(v)) + `</title></rect>`)
			b.WriteString(`<text class="value" x="` + strconv.FormatFloat(float64(chartLabelW)+w+4, 'f', 1, 64) + `" y="` + itoa(y+chartBarH-2) + `">` +
				html.EscapeString(c.Format(v)) + `</text>`)
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// withoutZeroRows is c without the rows whose every value is zero.
func (c barChart) withoutZeroRows() barChart {
	out := c
	out.Labels = nil
	out.Series = make([]chartSeries, len(c.Series))
	for i, s := range c.Series {
		out.Series[i].Name = s.Name
	}
	for r, label := range c.Labels {
		zero := true
		for _, s := range c.Series {
			if r < len(s.Values) && s.Values[r] != 0 {
				zero = false
			}
		}
		if zero {
			continue
		}
		out.Labels = append(out.Labels, label)
		for i, s := range c.Series {
			var v int64
			if r < len(s.Values) {
				v = s.Values[r]
			}
			out.Series[i].Values = append(out.Series[i].Values, v)
		}
	}
	return out
}
