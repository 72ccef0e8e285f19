package web

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/jiujinan/jiujinan/kernel"
)

// Care mode (关怀版) is for people who see less well or tap less surely:
// users saw it enlarge amounts but not titles and body text. These tests
// measure in Chromium, on a 375 px phone, that it enlarges every kind of
// text, makes every tap target at least 48×48 px, raises the contrast and
// never makes the page scroll sideways.

// careSizes are the computed font sizes (px) of the first visible element of
// each kind on the page; 0 where the page has none.
type careSizes struct {
	H1     float64 `json:"h1"`
	P      float64 `json:"p"`
	Cell   float64 `json:"cell"`
	Button float64 `json:"button"`
	Input  float64 `json:"input"`
	Nav    float64 `json:"nav"`
}

const careSizesJS = `(function () {
	function size(css) {
		var els = document.querySelectorAll(css);
		for (var i = 0; i < els.length; i++) {
			var r = els[i].getBoundingClientRect();
			if (r.width > 0 && r.height > 0) { return parseFloat(getComputedStyle(els[i]).fontSize); }
		}
		return 0;
	}
	return JSON.stringify({h1: size("main h1"), p: size("main p"), cell: size("main td, main th"), button: size("main button, main .button"),
		input: size("main input:not([type=hidden]):not([type=checkbox]):not([type=radio]), main select, main textarea"), nav: size("header.site nav a")});
})()`

// smallTargetsJS lists the visible tap targets smaller than 48×48 px:
// buttons, button-links, the header's links, form controls, and the labels
// of checkboxes and radios (the label is the target: a tap on its text
// ticks the box).
const smallTargetsJS = `(function () {
	var out = [];
	var els = document.querySelectorAll("button, a.button, header.site nav a, header.site .brand, footer.site a, select, textarea, input:not([type=hidden])");
	for (var i = 0; i < els.length; i++) {
		var el = els[i];
		if (el.type === "checkbox" || el.type === "radio") { el = el.closest("label") || el; }
		var r = el.getBoundingClientRect();
		if (r.width === 0 || r.height === 0 || getComputedStyle(el).visibility === "hidden") { continue; }
		if (r.width < 47.5 || r.height < 47.5) {
			out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.name ? "[name=" + el.name + "]" : "") + " \"" +
				(el.textContent || "").trim().slice(0, 12) + "\" " + Math.round(r.width) + "×" + Math.round(r.height));
		}
	}
	return out;
})()`

// contrastJS is the lowest contrast ratio of the text of main's
// paragraphs, cells, labels and muted notes against their background.
const contrastJS = `(function () {
	function rgb(s) { var m = s.match(/[\d.]+/g).map(Number); return {r: m[0], g: m[1], b: m[2], a: m.length > 3 ? m[3] : 1}; }
	function lum(c) {
		function ch(v) { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }
		return 0.2126 * ch(c.r) + 0.7152 * ch(c.g) + 0.0722 * ch(c.b);
	}
	function bg(el) {
		for (; el; el = el.parentElement) { var c = rgb(getComputedStyle(el).backgroundColor); if (c.a > 0) { return c; } }
		return {r: 255, g: 255, b: 255, a: 1};
	}
	var low = 21;
	document.querySelectorAll("main p, main td, main th, main label, main .meta, main li, main dd, main dt").forEach(function (el) {
		if (!el.textContent.trim() || el.getBoundingClientRect().width === 0) { return; }
		var a = lum(rgb(getComputedStyle(el).color)), b = lum(bg(el));
		var ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
		if (ratio < low) { low = ratio; }
	});
	return low;
})()`

// setCare switches care mode from the page header, as a person does, and
// waits for the page to come back.
func (b *tab) setCare(on bool) {
	b.t.Helper()
	if evalIn[bool](b, `document.body.classList.contains("care")`) == on {
		return
	}
	b.click(`header form input[name="care"] ~ button`)
	if on {
		b.waitJS(`document.readyState === "complete" && document.body.classList.contains("care")`)
	} else {
		b.waitJS(`document.readyState === "complete" && !document.body.classList.contains("care")`)
	}
}

// TestBrowserCareModeEnlargesEverything: on a phone, care mode makes the
// heading, the body text, table cells, buttons, form fields and the header's
// links strictly larger on every page of the set; every tap target is at
// least 48×48 px; the lowest text contrast reaches 7:1 (WCAG AAA) and does
// not fall; and nothing is wider than the 375 px screen.
func TestBrowserCareModeEnlargesEverything(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	s := newSite(t, env)
	pages, users := tour(t, env)
	need := ""
	for _, pg := range pages {
		if strings.HasPrefix(pg.path, "/needs/") {
			need = pg.path
		}
	}
	// Which kinds of element each page must have (so that a page that
	// lost its table or form fails here instead of checking less).
	set := []struct {
		role kernel.Role
		path string
		shot string
		has  []string
	}{
		{"", "/", "care-home", []string{"h1", "p", "nav"}},
		{"", "/needs", "care-needs", []string{"h1", "p", "button", "input", "nav"}},
		{kernel.RoleDonor, need, "care-need", []string{"h1", "p", "button", "input", "nav"}},
		{"", "/login", "care-login", []string{"h1", "button", "input", "nav"}},
		{"", "/report", "care-report", []string{"h1", "p", "button", "input", "nav"}},
		{kernel.RoleDonor, "/my/giving", "care-my-giving", []string{"h1", "p", "nav"}},
		{kernel.RoleFederationStaff, "/staff", "care-staff", []string{"h1", "p", "cell", "button", "input", "nav"}},
		{kernel.RoleFederationStaff, "/staff/pledges", "care-staff-pledges", []string{"h1", "cell", "button", "nav"}},
	}
	tabs := map[kernel.Role]*tab{}
	for _, pg := range set {
		b := tabs[pg.role]
		if b == nil {
			b = s.tab(t)
			b.viewport(375, 812, true)
			if p := users[pg.role]; p != nil {
				b.login(p.User.Email, "password-"+string(pg.role))
			}
			tabs[pg.role] = b
		}
		name := string(pg.role) + " " + pg.path
		b.open(pg.path)
		b.setCare(false)
		var off, on careSizes
		if err := json.Unmarshal([]byte(evalIn[string](b, careSizesJS)), &off); err != nil {
			t.Fatal(err)
		}
		offContrast := evalIn[float64](b, contrastJS)
		if pg.path == need {
			// The pledge form's monthly checkbox sits beside its text.
			checkboxBesideLabel(t, b, `.pledge-form input[name="monthly"]`, 48)
		}
		b.setCare(true)
		if err := json.Unmarshal([]byte(evalIn[string](b, careSizesJS)), &on); err != nil {
			t.Fatal(err)
		}
		got := map[string][2]float64{"h1": {off.H1, on.H1}, "p": {off.P, on.P}, "cell": {off.Cell, on.Cell},
			"button": {off.Button, on.Button}, "input": {off.Input, on.Input}, "nav": {off.Nav, on.Nav}}
		for _, kind := range pg.has {
			sz := got[kind]
			if sz[0] == 0 || sz[1] == 0 {
				t.Errorf("%s: no visible %s to measure (off %.1fpx, on %.1fpx)", name, kind, sz[0], sz[1])
				continue
			}
			if sz[1] <= sz[0] {
				t.Errorf("%s: care mode does not enlarge %s: %.1fpx off, %.1fpx on", name, kind, sz[0], sz[1])
			}
		}
		if small := evalIn[[]string](b, smallTargetsJS); len(small) > 0 {
			t.Errorf("%s: tap targets under 48×48 px in care mode: %s", name, strings.Join(small, "; "))
		}
		if c := evalIn[float64](b, contrastJS); c < 7 || c < offContrast {
			t.Errorf("%s: lowest text contrast %.2f:1 in care mode (%.2f:1 without), want at least 7:1", name, c, offContrast)
		}
		if w := evalIn[float64](b, `document.documentElement.scrollWidth`); w > 375 {
			t.Errorf("%s: %.0fpx wide in care mode on a 375px phone", name, w)
		}
		b.screenshot(pg.shot)
		if pg.path == need {
			// And in care mode, with a 48 px target.
			checkboxBesideLabel(t, b, `.pledge-form input[name="monthly"]`, 48)
		}
		b.setCare(false)
		if w := evalIn[float64](b, `document.documentElement.scrollWidth`); w > 375 {
			t.Errorf("%s: %.0fpx wide on a 375px phone", name, w)
		}
	}
}

// checkboxBesideLabel asserts that the checkbox css sits on the line of its
// label's text, just before it, that the label (its tap target) is at least
// min px high and wide, and that a tap on the text ticks the box.
func checkboxBesideLabel(t *testing.T, b *tab, css string, min float64) {
	t.Helper()
	sel, _ := json.Marshal(css)
	var g struct {
		Box, Text, Label struct{ Left, Right, Top, Bottom, Width, Height float64 }
	}
	js := `(function () {
		var cb = document.querySelector(` + string(sel) + `), l = cb.closest("label");
		cb.scrollIntoView({block: "center"});
		var tn = Array.prototype.find.call(l.childNodes, function (n) { return n.nodeType === 3 && n.textContent.trim() !== ""; });
		var r = document.createRange(); r.selectNodeContents(tn);
		function box(x) { return {Left: x.left, Right: x.right, Top: x.top, Bottom: x.bottom, Width: x.width, Height: x.height}; }
		return JSON.stringify({Box: box(cb.getBoundingClientRect()), Text: box(r.getClientRects()[0]), Label: box(l.getBoundingClientRect())});
	})()`
	if err := json.Unmarshal([]byte(evalIn[string](b, js)), &g); err != nil {
		t.Fatal(err)
	}
	if gap := g.Text.Left - g.Box.Right; gap < 0 || gap > 16 {
		t.Errorf("%s: the checkbox (x %.0f–%.0f) is not just before its text (from x %.0f)", css, g.Box.Left, g.Box.Right, g.Text.Left)
	}
	if g.Box.Bottom <= g.Text.Top || g.Text.Bottom <= g.Box.Top {
		t.Errorf("%s: the checkbox (y %.0f–%.0f) is not on the line of its text (y %.0f–%.0f)", css, g.Box.Top, g.Box.Bottom, g.Text.Top, g.Text.Bottom)
	}
	if g.Box.Height < 16 {
		t.Errorf("%s: the checkbox is %.0fpx high", css, g.Box.Height)
	}
	if g.Label.Height < min-0.5 || g.Label.Width < min-0.5 {
		t.Errorf("%s: its label, the tap target, is %.0f×%.0fpx, want at least %.0f×%.0f", css, g.Label.Width, g.Label.Height, min, min)
	}
	// A tap on the label's text ticks the box, and a second one unticks it.
	for _, want := range []bool{true, false} {
		b.do(chromedp.MouseClickXY((g.Text.Left+g.Text.Right)/2, (g.Text.Top+g.Text.Bottom)/2))
		if got := evalIn[bool](b, `document.querySelector(`+string(sel)+`).checked`); got != want {
			t.Errorf("%s: after a tap on its text, checked = %v", css, got)
		}
	}
}
