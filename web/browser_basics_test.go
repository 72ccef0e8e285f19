package web

import (
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
)

// TestBrowserSignInCareModeEnglishPhone: a person signs in through the form,
// switches to care mode and to English from the page header, and the pages fit
// a phone's screen.
func TestBrowserSignInCareModeEnglishPhone(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	s := newSite(t, env)
	_, donor := env.user(kernel.RoleDonor, nil)
	b := s.tab(t)

	b.open("/")
	if got := b.text("h1"); !strings.Contains(got, "让每一份爱心") {
		t.Fatalf("home page heading %q, want the Chinese one", got)
	}
	if !evalIn[bool](b, `typeof htmx === "object"`) {
		t.Error("htmx did not load (blocked by the Content-Security-Policy?)")
	}
	b.open("/login")
	b.screenshot("login")

	b.login(donor.User.Email, "password-donor")
	if got := b.text("main"); !strings.Contains(got, donor.User.DisplayName) {
		t.Errorf("signed-in home page does not name the user: %q", got)
	}

	// Care mode from the header: larger type.
	before := evalIn[float64](b, `parseFloat(getComputedStyle(document.body).fontSize)`)
	b.click(`header form input[name="care"] ~ button`)
	b.waitJS(`document.body.classList.contains("care")`)
	after := evalIn[float64](b, `parseFloat(getComputedStyle(document.body).fontSize)`)
	if after < before*1.25 {
		t.Errorf("care mode font size %.0fpx, standard %.0fpx: want at least 25%% larger", after, before)
	}
	b.screenshot("home-care")

	// English from the header, on the same page.
	b.click(`header form input[name="lang"] ~ button`)
	b.waitJS(`document.documentElement.lang === "en"`)
	if got := b.text("h1"); !strings.Contains(got, "Help that reaches") {
		t.Errorf("English heading %q", got)
	}
	if !evalIn[bool](b, `document.body.classList.contains("care")`) {
		t.Error("care mode was lost when switching language")
	}

	// A phone: nothing wider than the screen.
	p := s.tab(t)
	p.viewport(375, 812, true)
	p.open("/")
	if w := evalIn[float64](p, `document.documentElement.scrollWidth`); w > 375 {
		t.Errorf("home page is %.0fpx wide on a 375px phone", w)
	}
	p.screenshot("home-phone")
}
