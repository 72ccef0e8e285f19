package web

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserStatisticsPage: in Chromium, the city's civil affairs
// verifier opens 统计 from the navigation; the year's charts are drawn
// (SVG, sized to the page) beside their tables; on a phone (375 px) nothing
// scrolls sideways and the charts fit; a county's line opens its towns.
func TestBrowserStatisticsPage(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	w := newStatsWorld(t, env, 2)
	s := newSite(t, env)
	b := s.tab(t)
	b.login(w.cityVer.User.Email, "password-verifier")
	b.open("/verify")
	b.click(`header a[href="/stats"]`)
	b.waitJS(`location.pathname === "/stats"`)
	b.open("/stats?period=2026&region=371700")
	if got := b.text("h1"); !strings.Contains(got, "统计") || !strings.Contains(got, "菏泽市") {
		t.Fatalf("heading %q", got)
	}
	if n := evalIn[int](b, `document.querySelectorAll("svg.chart[role=img] > title").length`); n != 2 {
		t.Errorf("%d charts with a title, want 2", n)
	}
	// The bars are drawn: the county with the most needs has the longest.
	widths := evalIn[[]float64](b, `Array.from(document.querySelectorAll("#chart-needs-t ~ rect.s1")).map(function(r){return r.getBBox().width})`)
	if len(widths) < 3 {
		t.Fatalf("needs chart bars %v", widths)
	}
	max := 0.0
	for _, v := range widths {
		max = maxf(max, v)
	}
	if max < 100 {
		t.Errorf("the longest bar is %v wide: nothing drawn", max)
	}
	b.screenshot("stats")
	axeClean(t, b)

	b.viewport(375, 812, true)
	b.open("/stats?period=2026&region=371700")
	if over := evalIn[bool](b, `document.documentElement.scrollWidth > window.innerWidth + 1`); over {
		t.Errorf("the page scrolls sideways on a phone: %v > %v", evalIn[float64](b, `document.documentElement.scrollWidth`), evalIn[float64](b, `window.innerWidth`))
	}
	if fits := evalIn[bool](b, `Array.from(document.querySelectorAll("svg.chart")).every(function(c){var r=c.getBoundingClientRect();return r.width>200&&r.right<=window.innerWidth})`); !fits {
		t.Error("a chart does not fit the phone's width")
	}
	evalIn[bool](b, `(function(){document.getElementById("st-by-h").scrollIntoView();return true})()`)
	screenshotViewport(b, "stats-phone")
	b.click(`#st-needs a[href*="region=371725"]`)
	b.waitJS(`location.search.indexOf("region=371725") >= 0`)
	if got := b.text("h1"); !strings.Contains(got, "郓城县") {
		t.Errorf("after the drill-down: %q", got)
	}
}

func maxf(a, b float64) float64 {
	if a > b {
		return a
	}
	return b
}

// pdfPages counts the pages of a PDF and returns the size of the first
// (its MediaBox, in points).
func pdfPages(t *testing.T, pdf []byte) (int, string) {
	t.Helper()
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || !bytes.Contains(pdf[max(len(pdf)-64, 0):], []byte("%%EOF")) {
		t.Fatalf("not a PDF: %q…", pdf[:min(len(pdf), 16)])
	}
	pages := regexp.MustCompile(`/Type\s*/Page[^s]`).FindAll(pdf, -1)
	box := regexp.MustCompile(`/MediaBox\s*\[\s*([0-9. ]+)\]`).FindSubmatch(pdf)
	if box == nil {
		t.Fatal("the PDF has no MediaBox")
	}
	return len(pages), strings.Join(strings.Fields(string(box[1])), " ")
}

// TestBrowserPrintedNotice: in Chromium, the verifier prints the notices
// of the county from 公示打印: laid out for print, the toolbar is gone and
// each need is a page of its own; printed to PDF, the file parses as A4
// pages, one per need; on a phone the notice reads without scrolling
// sideways.
func TestBrowserPrintedNotice(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	s := newSite(t, env)
	nw := newNoticeWorld(t, env)
	b := s.tab(t)
	b.login(nw.verP.User.Email, "password-verifier")
	b.open("/verify")
	b.click(`header a[href="/verify/notices"]`)
	b.waitJS(`location.pathname === "/verify/notices"`)
	if n := evalIn[int](b, `document.querySelectorAll('#notice-needs a[href^="/verify/notices/"]').length`); n != 2 {
		t.Fatalf("%d needs in notice listed, want 2", n)
	}
	b.screenshot("verify-notices")
	b.open("/verify/notices/print?region=371725&layout=pages")
	if !evalIn[bool](b, `getComputedStyle(document.querySelector(".toolbar")).display !== "none"`) {
		t.Error("the toolbar is hidden on screen")
	}
	b.do(printMedia("print"))
	if evalIn[bool](b, `getComputedStyle(document.querySelector(".toolbar")).display !== "none"`) {
		t.Error("the toolbar is printed")
	}
	if n := evalIn[int](b, `Array.from(document.querySelectorAll("article.sheet")).filter(function(a){var s=getComputedStyle(a);return s.breakAfter==="page"||s.pageBreakAfter==="always"}).length`); n != 1 {
		t.Errorf("%d sheets break the page after them, want 1 (all but the last)", n)
	}
	b.screenshot("notice-print")
	axeClean(t, b)
	pdf := run(b, printToPDF())
	pages, box := pdfPages(t, pdf)
	// A4 is 595.28 × 841.89 points; Chromium writes its MediaBox rounded.
	if pages != 2 || !regexp.MustCompile(`^0 0 59[45](\.\d+)? 84[12](\.\d+)?$`).MatchString(box) {
		t.Errorf("the printed PDF has %d pages of %s, want 2 A4 pages", pages, box)
	}
	b.do(printMedia(""))

	b.viewport(375, 812, true)
	b.open("/verify/notices/" + nw.public)
	if over := evalIn[bool](b, `document.documentElement.scrollWidth > window.innerWidth + 1`); over {
		t.Error("the notice scrolls sideways on a phone")
	}
	if !evalIn[bool](b, `(function(){var q=document.querySelector("svg.qr").getBoundingClientRect();return q.width>=100&&q.right<=window.innerWidth})()`) {
		t.Error("the QR code is not shown whole on a phone")
	}
	b.screenshot("notice-phone")
	axeClean(t, b)
	// The town's board list prints on one A4 page.
	b.viewport(1280, 900, false)
	b.open("/verify/notices/print?region=" + nw.towns[0] + "&layout=list")
	b.do(printMedia("print"))
	pages, _ = pdfPages(t, run(b, printToPDF()))
	if pages != 1 {
		t.Errorf("the board list prints on %d pages, want 1", pages)
	}
	b.screenshot("notice-board")
}

// axeClean fails t on a serious or critical axe-core violation of the
// page, when axe-core is there (JIUJINAN_AXE_JS, as .ci/run sets it).
func axeClean(t *testing.T, b *tab) {
	t.Helper()
	if os.Getenv("JIUJINAN_AXE_JS") == "" {
		return
	}
	for _, v := range b.axeRun(axeScript(t)) {
		t.Errorf("%s: axe %s (%s): %s at %v", evalIn[string](b, "location.pathname"), v.ID, v.Impact, v.Help, v.Targets)
	}
}

// screenshotViewport saves what the window shows (not the whole page, which
// on a phone is a long column of tables) as docs/screenshots/name.png when
// JIUJINAN_SCREENSHOTS=1.
func screenshotViewport(b *tab, name string) {
	b.t.Helper()
	if os.Getenv("JIUJINAN_SCREENSHOTS") != "1" {
		return
	}
	png := run(b, chromedp.CaptureScreenshot())
	if err := os.WriteFile(filepath.Join("..", "docs", "screenshots", name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}
