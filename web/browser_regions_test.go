package web

import (
	"strconv"
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
)

// pickRegion chooses code in the level-th select (0 for the province) of
// the region picker of the field with this id, once its options are there.
func (b *tab) pickRegion(field string, level int, code string) {
	b.t.Helper()
	sel := `document.querySelectorAll('.region-picker[data-for="` + field + `"] select')[` + strconv.Itoa(level) + `]`
	b.waitJS(`(function(){var s=` + sel + `;return !!s && !s.hidden && !!s.querySelector('option[value="` + code + `"]')})()`)
	evalIn[bool](b, `(function(){var s=`+sel+`;s.value="`+code+`";s.dispatchEvent(new Event("change",{bubbles:true}));return true})()`)
}

// TestBrowserRegionPicker: the public report form in Chromium — the
// cascading pickers fill the region field, a typed name is taken, and an
// ambiguous one is asked about.
func TestBrowserRegionPicker(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	s := newSite(t, env)
	p := s.tab(t)
	p.open("/report")
	// A municipality's districts hang under it: 北京市 → 朝阳区.
	p.pickRegion("region_code", 0, "110000")
	p.pickRegion("region_code", 1, "110105")
	if got := evalIn[string](p, `document.getElementById("region_code").value`); got != "110105" {
		t.Errorf("北京市 → 朝阳区 fills %q", got)
	}
	if label := evalIn[string](p, `document.querySelectorAll('.region-picker select')[1].getAttribute("aria-label")`); label != "区县" {
		t.Errorf("the districts' select is labelled %q", label)
	}
	// Province → city → county → town.
	p.pickRegion("region_code", 0, "370000")
	p.pickRegion("region_code", 1, "371700")
	p.pickRegion("region_code", 2, "371725")
	p.pickRegion("region_code", 3, "371725001")
	if got := evalIn[string](p, `document.getElementById("region_code").value`); got != "371725001" {
		t.Errorf("the town picked fills %q", got)
	}
	p.screenshot("region-picker")

	// A form sent back with a code opens the picker at it.
	p.fill("#region_code", "371725")
	evalIn[bool](p, `(function(){document.getElementById("description").removeAttribute("required");return true})()`)
	p.click(`main form button[type="submit"]`)
	// The form comes back saying what is missing (the description, beside
	// its field): wait for that page, not the picker of the page sent,
	// which shows the same selects.
	p.waitText("main", "必填：请写明谁需要帮助")
	p.waitJS(`(function(){var s=document.querySelectorAll('.region-picker select');return s.length===4 && s[0].value==="370000" && s[1].value==="371700" && s[2].value==="371725" && !s[3].hidden})()`)

	// Typing an ambiguous name asks which one; a unique one is taken.
	p.fill("#region_code", "朝阳区")
	p.fill("#description", "村里一位老人独居，行动不便，需要帮助。")
	p.click(`main form button[type="submit"]`)
	msg := p.waitText("main", "不止一个地区")
	if !strings.Contains(msg, "北京市朝阳区（110105）") || !strings.Contains(msg, "吉林省长春市朝阳区（220104）") {
		t.Errorf("the ambiguous name's candidates: %s", msg)
	}
	p.fill("#region_code", "长春市朝阳区")
	p.click(`main form button[type="submit"]`)
	p.waitText("main", "报告已收到")

	// A volunteer adds areas to a list with the picker.
	_, vol := env.user(kernel.RoleVolunteer, nil)
	v := s.tab(t)
	v.login(vol.User.Email, "password-volunteer")
	v.open("/volunteer")
	v.pickRegion("regions", 0, "370000")
	v.pickRegion("regions", 1, "371700")
	v.pickRegion("regions", 2, "371725")
	v.click(".region-add")
	v.pickRegion("regions", 0, "110000")
	v.pickRegion("regions", 1, "110105")
	v.click(".region-add")
	if got := evalIn[string](v, `document.getElementById("regions").value`); got != "371725、110105" {
		t.Errorf("the areas added: %q", got)
	}
	v.click(`form[action="/volunteer/profile"] button[type="submit"]`)
	v.waitText("main", "已保存")
	if got := evalIn[string](v, `document.getElementById("regions").value`); got != "北京市朝阳区、山东省菏泽市郓城县" {
		t.Errorf("the areas saved are shown as %q", got)
	}
}
