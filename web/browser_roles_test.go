package web

import (
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/chromedp/chromedp"
	chromekb "github.com/chromedp/chromedp/kb"
)

// TestBrowserRolePages: each role's own pages open in Chromium, in Chinese
// and English, and the keyboard focus is visible.
func TestBrowserRolePages(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	withPayments(t, env)
	s := newSite(t, env)
	pages := map[kernel.Role][]struct{ path, shot, want string }{
		kernel.RoleVolunteer: {{"/volunteer", "volunteer", "我的志愿服务"}},
		kernel.RoleVerifier: {{"/verify/review", "verify-review", "筛查复核"}, {"/verify/imports", "verify-imports", "导入救助发放记录"},
			{"/verify/charity-aid", "verify-charity-aid-empty", "慈善救助信息回传"}},
		kernel.RoleFederationStaff: {{"/staff", "staff", "资金管理"}, {"/staff/reconcile", "staff-reconcile", "到账对账"}},
		kernel.RoleAuditor:         {{"/audit", "audit", "账目与审计"}},
	}
	for role, list := range pages {
		_, p := env.user(role, nil)
		b := s.tab(t)
		b.login(p.User.Email, "password-"+string(role))
		if role == kernel.RoleFederationStaff {
			// Staff with a fund that holds money, and a plan made for it
			// from the page: what the page is for, not its empty state.
			for range 3 {
				env.insertNeed(testNeed{public: true}) // open, care, ¥1,000 each
			}
			env.fundWithBalance(p, kernel.Restrictions{}, 250_000)
			b.open("/staff")
			b.click(`form[action="/staff/plans"] button`)
			b.waitJS(`location.pathname.startsWith("/staff/plans/")`)
		}
		for _, pg := range list {
			b.open(pg.path)
			if got := b.text("h1"); !strings.Contains(got, pg.want) {
				t.Errorf("%s %s: heading %q", role, pg.path, got)
			}
			if pg.path == "/staff" {
				for _, want := range []string{"助医基金", "¥2,500.00", "全额资助 2 户"} {
					if got := b.text("main"); !strings.Contains(got, want) {
						t.Errorf("/staff does not show %q: %q", want, got)
					}
				}
				if n := evalIn[int](b, `document.querySelectorAll('a[href^="/staff/plans/"]').length`); n != 1 {
					t.Errorf("/staff lists %d plans, want the one just made", n)
				}
			}
			b.screenshot(pg.shot)
		}
	}
	// Keyboard: the first Tab reaches the skip link, visibly.
	b := s.tab(t)
	b.open("/needs")
	b.do(chromedp.KeyEvent(chromekb.Tab))
	if got := evalIn[string](b, `document.activeElement.className + "|" + getComputedStyle(document.activeElement).outlineStyle`); got != "skip|solid" {
		t.Errorf("first Tab focuses %q, want the visible skip link", got)
	}
	// English, from the header.
	b.click(`header form input[name="lang"] ~ button`)
	b.waitJS(`document.documentElement.lang === "en"`)
	if got := b.text("h1"); got != "Needs" {
		t.Errorf("English heading %q", got)
	}
}
