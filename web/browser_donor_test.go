package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// TestBrowserDonorSignsUpAndGives: a new person opens a need and clicks to
// give; sent to sign in, they sign up instead and come back to the need;
// they pledge, see the receiving charity's account with the reference to
// write, and find the pledge in 我的捐赠. On a desktop and a 375 px phone.
func TestBrowserDonorSignsUpAndGives(t *testing.T) {
	for _, tc := range []struct {
		name  string
		width int64
	}{{"desktop", 1280}, {"phone", 375}} {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t, mustSQLite(t))
			s := newSite(t, env)
			wtok, _ := env.user(kernel.RoleSocialWorker, nil)
			vtok, _ := env.user(kernel.RoleVerifier, nil)
			needID := env.createNeed(wtok, needBody())
			env.clearAndPublish(needID, wtok, vtok)
			env.advance(121 * time.Hour)
			fed := env.orgs[kernel.OrgCharityFederation]
			if _, err := env.accounts.SetCollection(context.Background(), env.admin, fed.PublicID, kernel.CollectionAccount{
				AccountName: "郓城县慈善总会", Bank: "中国工商银行郓城支行", AccountNo: "1609001209024567890", PayLink: "https://example.org/give"}); err != nil {
				t.Fatal(err)
			}

			p := s.tab(t)
			if tc.width < 400 {
				p.viewport(tc.width, 812, true)
			}
			fits := func(page string) {
				t.Helper()
				if tc.width >= 400 {
					return
				}
				if w := evalIn[float64](p, `document.documentElement.scrollWidth`); w > float64(tc.width) {
					t.Errorf("%s is %.0fpx wide on a %dpx phone", page, w, tc.width)
				}
			}
			p.open("/needs/" + needID)
			if r := p.text("#pledge-receiver"); strings.Contains(r, env.orgs[kernel.OrgSocialWorkAgency].Name) {
				t.Errorf("the need page names the agency as receiver: %s", r)
			}
			p.click("#pledge-login")
			p.waitJS(`location.pathname === "/login"`)
			p.click("#to-register")
			p.waitJS(`location.pathname === "/register"`)
			fits("the sign-up page")

			// A too short password is explained beside the field.
			p.fill("#display_name", "王女士")
			p.fill("#email", "wang."+tc.name+"@example.org")
			p.fill("#password", "short")
			p.click(`main form button[type="submit"]`)
			p.waitText("#password-error", "密码至少需要 10 个字符")
			p.fill("#password", "ein-langes-passwort")
			p.click(`main form button[type="submit"]`)
			p.waitJS(`location.pathname === "/needs/` + needID + `" && document.querySelector('form[action="/logout"]') !== null`)
			p.waitText(".flash", "注册成功")

			p.fill("#amount", "200")
			p.click(`.pledge-form button[type="submit"]`)
			p.waitJS(`location.pathname.indexOf("/my/pledges/") === 0`)
			p.waitText(".flash", "捐助意向已登记")
			p.waitText("#pay-no", "1609001209024567890")
			p.waitText("#pay-name", "郓城县慈善总会")
			ref := strings.TrimSpace(p.text("#pay-ref"))
			if ref == "" {
				t.Fatal("no reference beside the account")
			}
			fits("the pledge page")
			pledgePath := evalIn[string](p, `location.pathname`)

			// Back on the need: the pledge is there, not made again unawares.
			p.open("/needs/" + needID)
			p.waitText("#pledge-pending", ref)

			p.open(pledgePath)
			p.click(`main a[href="/my/giving"]`)
			p.waitJS(`location.pathname === "/my/giving"`)
			p.waitText("main", "¥200.00")
			if !evalIn[bool](p, `document.querySelector('main a[href="`+pledgePath+`"]') !== null`) {
				t.Error("my giving does not list the pledge")
			}
			fits("my giving")
		})
	}
}
