package web

import (
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
)

// TestBrowserIDNumberIsCheckedAsTyped: on the posting form the social
// worker learns of a mistyped ID number (its check character, its birth
// date, its length) as they type, in Chinese, before sending the form.
func TestBrowserIDNumberIsCheckedAsTyped(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	s := newSite(t, env)
	_, worker := env.user(kernel.RoleSocialWorker, nil)
	w := s.tab(t)
	w.login(worker.User.Email, "password-social_worker")
	w.open("/worker/needs/new")
	good := idNumber("371725", "19800315", "123")
	bad := good[:17] + "0"
	if good[17] == '0' {
		bad = good[:17] + "1"
	}
	w.fill("#id_number", bad)
	w.waitText("#id_number-check", "校验码不对")
	w.screenshot("id-check-wrong")
	w.fill("#id_number", good[:6]+"19800230"+good[14:])
	w.waitText("#id_number-check", "不是真实的日期")
	w.fill("#id_number", good)
	w.waitText("#id_number-check", "出生日期 1980-03-15")
	if got := evalIn[bool](w, `document.getElementById("id_number").hasAttribute("aria-invalid")`); got {
		t.Error("a correct number stays marked invalid")
	}
}
