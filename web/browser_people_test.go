package web

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
)

// TestBrowserClaimsAndAdministration: on a 375 px phone in Chromium, a
// social worker goes from the menu to the volunteers' claims and approves
// one; an administrator signs in to their own page, creates an
// organization with its region picked step by step, and adds a social
// worker to it. Nothing is wider than the phone.
func TestBrowserClaimsAndAdministration(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	s := newSite(t, env)
	ctx := context.Background()
	need := env.titledNeed(t, "王大爷需要法律咨询", testNeed{services: "legal_aid"})
	volTok, _, _ := env.namedVolunteer(t, "李志愿", "legal_aid")
	claim := env.claimOn(t, volTok, need, "legal_aid")
	_, sw := env.user(kernel.RoleSocialWorker, nil)

	fits := func(b *tab, page string) {
		t.Helper()
		if w := evalIn[float64](b, `document.documentElement.scrollWidth`); w > 375 {
			t.Errorf("%s is %.0fpx wide on a 375px phone", page, w)
		}
	}

	w := s.tab(t)
	w.viewport(375, 812, true)
	w.login(sw.User.Email, "password-social_worker")
	w.click(`header nav a[href="/worker/claims"]`)
	w.waitJS(`location.pathname === "/worker/claims"`)
	w.waitText("#claim-"+claim, "李志愿")
	w.waitText("#claim-"+claim, "王大爷需要法律咨询")
	fits(w, "the claims queue")
	w.screenshot("worker-claims-375")
	w.click(`#claim-` + claim + ` input[value="approve"] ~ button`)
	w.waitText(".flash", "已批准认领")
	if c, err := env.store.ClaimByPublicID(ctx, claim); err != nil || c.Status != marketplace.ClaimApproved {
		t.Fatalf("the claim after approving on the page: %+v %v", c, err)
	}
	w.open("/worker/claims?status=approved")
	w.waitText("#claim-"+claim, "已批准，服务中")
	fits(w, "the approved claims")

	_, admin := env.user(kernel.RoleAdmin, nil)
	a := s.tab(t)
	a.viewport(375, 812, true)
	a.login(admin.User.Email, "password-admin")
	a.waitJS(`location.pathname === "/admin"`)
	fits(a, "the administrator's page")
	a.fill("#name", "郓城县阳光社会工作服务中心")
	a.do(chromedp.SetValue(chromedp.CSS("#kind"), "social_work_agency"))
	a.pickRegion("region_code", 0, "370000")
	a.pickRegion("region_code", 1, "371700")
	a.pickRegion("region_code", 2, "371725")
	fits(a, "the new organization's form")
	a.screenshot("admin-375")
	a.click(`form[action="/admin/orgs"] button[type="submit"]`)
	a.waitJS(`location.pathname.startsWith("/admin/orgs/")`)
	a.waitText(".flash", "机构已创建")
	a.waitText("main", "山东省菏泽市郓城县")
	a.fill("#display_name", "孙社工")
	a.fill("#email", "sun@yangguang.example")
	a.fill("#password", "chushi-mima-2026")
	a.click(`form[action$="/members"] button[type="submit"]`)
	a.waitText(".flash", "工作人员账户已开设")
	a.waitText("main table", "sun@yangguang.example")
	fits(a, "the organization's page")
	a.screenshot("admin-org-375")

	p, err := env.accounts.Authenticate(ctx, "sun@yangguang.example", "chushi-mima-2026", "192.0.2.7")
	if err != nil {
		t.Fatalf("the new social worker signs in: %v", err)
	}
	orgs := p.OrgsWith(kernel.RoleSocialWorker)
	if len(orgs) != 1 || orgs[0].Name != "郓城县阳光社会工作服务中心" || orgs[0].RegionCode != "371725" {
		t.Errorf("the new member's organization: %+v", orgs)
	}
}
