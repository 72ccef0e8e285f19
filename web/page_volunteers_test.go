package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
)

// Federation staff see the volunteers with the state of their background
// check and record a check on the page: a date is required for a cleared
// check and shown beside its field when missing; the check is stored and
// shown with its date and note. An administrator may too (as the API); a
// social worker may not (403), and an unknown volunteer is 404.
func TestStaffRecordBackgroundChecksOnThePages(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		_, _, zhou := env.namedVolunteer(t, "周志愿", "home_care")
		_, _, wu := env.namedVolunteer(t, "吴志愿", "tutoring")
		_, staff := env.user(kernel.RoleFederationStaff, nil)
		b := newBrowser(env)
		b.login(staff)
		if page := b.do(http.MethodGet, "/staff", nil).Body.String(); !strings.Contains(page, `href="/staff/volunteers"`) {
			t.Error("the staff page does not lead to the background checks")
		}
		list := b.do(http.MethodGet, "/staff/volunteers", nil).Body.String()
		for _, want := range []string{"周志愿", "吴志愿", "上门照料", "助学辅导", "山东省菏泽市郓城县", "未审查"} {
			if !strings.Contains(list, want) {
				t.Errorf("the list does not show %q", want)
			}
		}
		check := func(id string) marketplace.BackgroundCheck {
			t.Helper()
			v, err := env.store.VolunteerByPublicID(ctx, id, *env.now.Load())
			if err != nil {
				t.Fatal(err)
			}
			return v.Background
		}

		// Cleared without a date: the form comes back beside 周志愿.
		path := "/staff/volunteers/" + zhou + "/background-check"
		r := b.form(path, url.Values{"status": {"cleared"}, "note": {"派出所无犯罪记录证明"}})
		body := r.Body.String()
		if r.Code != http.StatusBadRequest || !strings.Contains(body, `id="ca-`+zhou+`-error"`) || !strings.Contains(body, "派出所无犯罪记录证明") ||
			!strings.Contains(body, `<details open>`) {
			t.Fatalf("cleared without a date: %d %.3000s", r.Code, body[strings.Index(body, "<main"):])
		}
		if bc := check(zhou); bc.Status != marketplace.BackgroundNone {
			t.Fatalf("a refused check was stored: %+v", bc)
		}
		r = b.form(path, url.Values{"status": {"cleared"}, "checked_at": {"2026-11-20"}, "note": {"派出所无犯罪记录证明"}})
		if r.Code != http.StatusSeeOther || r.Header().Get("Location") != "/staff/volunteers" {
			t.Fatalf("record: %d %s %.500s", r.Code, r.Header().Get("Location"), r.Body.String())
		}
		page := b.do(http.MethodGet, "/staff/volunteers?status=cleared", nil).Body.String()
		if !strings.Contains(page, "背景审查结果已保存") || !strings.Contains(page, "审查日期 2026年11月20日") || !strings.Contains(page, "派出所无犯罪记录证明") ||
			strings.Contains(page, "吴志愿") {
			t.Errorf("the cleared volunteers after recording: %.3000s", page[strings.Index(page, "<main"):])
		}
		if bc := check(zhou); bc.Status != marketplace.BackgroundCleared || bc.CheckedAt == nil || bc.CheckedAt.Format("2006-01-02") != "2026-11-20" {
			t.Errorf("the stored check: %+v", bc)
		}

		// An administrator records one too, from the same page.
		_, admin := env.user(kernel.RoleAdmin, nil)
		a := newBrowser(env)
		a.login(admin)
		if r := a.form("/staff/volunteers/"+wu+"/background-check", url.Values{"status": {"pending"}}); r.Code != http.StatusSeeOther {
			t.Errorf("an administrator records a check: %d", r.Code)
		}
		if bc := check(wu); bc.Status != marketplace.BackgroundPending {
			t.Errorf("the administrator's check: %+v", bc)
		}
		if r := a.form("/staff/volunteers/01jjnotavolunteer000000000/background-check", url.Values{"status": {"pending"}}); r.Code != http.StatusNotFound {
			t.Errorf("an unknown volunteer: %d, want 404", r.Code)
		}

		// Other roles.
		for _, role := range []kernel.Role{kernel.RoleSocialWorker, kernel.RoleVolunteer, kernel.RoleVerifier} {
			_, p := env.user(role, nil)
			x := newBrowser(env)
			x.login(p)
			if r := x.do(http.MethodGet, "/staff/volunteers", nil); r.Code != http.StatusForbidden {
				t.Errorf("%s opens the volunteers: %d", role, r.Code)
			}
			if r := x.form(path, url.Values{"status": {"expired"}, "checked_at": {"2026-11-21"}}); r.Code != http.StatusForbidden {
				t.Errorf("%s records a check: %d", role, r.Code)
			}
		}
		if bc := check(zhou); bc.Status != marketplace.BackgroundCleared {
			t.Errorf("after other roles: %+v", bc)
		}
	})
}
