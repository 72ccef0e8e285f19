package web

import (
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/marketplace"
)

// TestBrowserFindANeed: a visitor searches needs; typing updates the result
// list in place (htmx, no page load), the address follows the filters, and
// the need page opens from the list.
func TestBrowserFindANeed(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	s := newSite(t, env)
	med := samplePublicNeed(1, "独居老人住院手术费", "老人独自生活，近日因病住院，需要手术。<script>alert(1)</script>")
	edu := samplePublicNeed(2, "孩子上学的学费", "孩子考上高中，学费没有着落。")
	edu.Category, edu.Urgency, edu.RegionCode, edu.RegionName = kernel.CatEducation, kernel.UrgencyEmergency, "430524", "湖南省邵阳市隆回县"
	edu.ServiceNeeds = []kernel.Service{kernel.SvcTutoring}
	var more []marketplace.PublicNeed
	for i := 3; i < 9; i++ {
		n := samplePublicNeed(i, "家庭困难求助", "因病致贫，需要帮助。")
		n.Urgency = kernel.UrgencyNormal
		more = append(more, n)
	}
	env.withPublicNeeds(append([]marketplace.PublicNeed{med, edu}, more...)...)
	b := s.tab(t)

	b.open("/")
	b.screenshot("home")
	b.click(`a[href="/needs"]`)
	b.waitJS(`document.querySelector("#results") !== null`)
	if got := b.text(".total"); !strings.Contains(got, "共 8 条求助") {
		t.Fatalf("list total %q", got)
	}
	b.screenshot("needs")
	// A marker that a full page load would lose.
	evalIn[bool](b, `window.stayed = true`)
	b.fill("#q", "学费")
	b.waitText(".total", "共 1 条求助")
	b.settle()
	b.waitText(".total", "共 1 条求助")
	if !evalIn[bool](b, `window.stayed === true`) {
		t.Error("typing reloaded the whole page instead of the result list")
	}
	if loc := evalIn[string](b, `location.search`); !strings.Contains(loc, "q=") {
		t.Errorf("the address does not follow the search: %q", loc)
	}
	b.click(`.cards a[href="/needs/` + edu.ID + `"]`)
	b.waitJS(`location.pathname === "/needs/` + edu.ID + `"`)
	if got := b.text("h1"); got != "孩子上学的学费" {
		t.Errorf("need page heading %q", got)
	}
	if got := b.text(".money"); !strings.Contains(got, "¥30,000.00") {
		t.Errorf("need page amounts %q", got)
	}
	b.screenshot("need")

	// The story's markup is text in the page, not an element.
	b.open("/needs/" + med.ID)
	if got := b.text(".story"); !strings.Contains(got, "<script>alert(1)</script>") {
		t.Errorf("story %q does not show the markup as text", got)
	}
	if n := evalIn[int](b, `document.querySelectorAll("main script").length`); n != 0 {
		t.Errorf("%d script elements from user text", n)
	}

	// The same search on a phone, in care mode.
	p := s.tab(t)
	p.viewport(375, 812, true)
	p.open("/needs")
	p.click(`header form input[name="care"] ~ button`)
	p.waitJS(`document.body.classList.contains("care")`)
	if w := evalIn[float64](p, `document.documentElement.scrollWidth`); w > 375 {
		t.Errorf("needs page is %.0fpx wide on a 375px phone", w)
	}
	p.screenshot("needs-phone-care")
}
