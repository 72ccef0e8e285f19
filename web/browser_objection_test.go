package web

import (
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
)

// TestBrowserObjection: a visitor objects to a need in notice with a phone
// number and keeps the receipt; the need stays on its page, in notice; the
// covering verifier reads the number on the objections page and dismisses
// the objection; the visitor looks the outcome up with the receipt.
func TestBrowserObjection(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	s := newSite(t, env)
	worker, _ := env.user(kernel.RoleSocialWorker, nil)
	verifier, vp := env.user(kernel.RoleVerifier, nil)
	id := env.createNeed(worker, needBody())
	env.clearAndPublish(id, worker, verifier)

	b := s.tab(t)
	b.open("/needs/" + id)
	b.fill("#objection", "该户家中有营运货车，收入不低")
	b.fill("#objection-contact", "13566667777")
	b.screenshot("objection-form")
	b.click(`form[action="/needs/` + id + `/objection"] button[type="submit"]`)
	b.waitText("h1", "异议回执")
	oid := b.text("dl.receipt dd:nth-of-type(1) code")
	token := b.text("dl.receipt dd:nth-of-type(2) code")
	if oid == "" || len(token) != 32 {
		t.Fatalf("receipt id %q token %q", oid, token)
	}
	b.screenshot("objection-receipt")
	b.open("/needs/" + id)
	if got := b.text("main"); !strings.Contains(got, "异议正在核查") || !strings.Contains(got, "公示中") {
		t.Errorf("need page during the objection: %q", got)
	}

	v := s.tab(t)
	v.login(vp.User.Email, "password-verifier")
	v.open("/verify/objections")
	if got := v.text("#objection-" + oid + " .contact"); got != "13566667777" {
		t.Errorf("contact on the verifier's page: %q", got)
	}
	v.screenshot("verify-objections")
	v.click(`#objection-` + oid + ` input[value="dismissed"]`)
	v.fill(`#on-`+oid, "已电话回访，货车为亲戚所有")
	v.click(`#objection-` + oid + ` button[type="submit"]`)
	v.waitText("main", "没有待处理的异议")

	b.open("/objections/" + oid)
	b.fill("#token", token)
	b.click(`main form button[type="submit"]`)
	b.waitText("main", "异议不成立")
	b.screenshot("objection-outcome")
}
