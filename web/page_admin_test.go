package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
)

// An administrator signs in to their own page, creates an organization
// with its region typed by name (an ambiguous name and missing fields are
// shown beside their fields, nothing created), opens it, and adds a social
// worker with an initial password that works; a role the organization
// cannot give and a taken e-mail are refused beside their fields. Other
// roles get 403, an unknown organization 404.
func TestAdminCreatesOrgsAndMembersOnThePages(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		_, admin := env.user(kernel.RoleAdmin, nil)
		b := newBrowser(env)
		login := b.do(http.MethodGet, "/login", nil)
		r := b.do(http.MethodPost, "/login", url.Values{"_csrf": {b.csrf(login.Body.String())}, "email": {admin.User.Email}, "password": {"password-admin"}})
		if r.Code != http.StatusSeeOther || r.Header().Get("Location") != "/admin" {
			t.Fatalf("an administrator signs in to %d %q, want /admin", r.Code, r.Header().Get("Location"))
		}
		home := b.do(http.MethodGet, "/admin", nil).Body.String()
		for _, want := range []string{`href="/admin"`, testOrgName(kernel.OrgCharityFederation), "慈善总会", "民政部门", "山东省菏泽市郓城县", `id="region_code"`, `data-for="region_code"`} {
			if !strings.Contains(home, want) {
				t.Errorf("the administrator's page does not show %q", want)
			}
		}
		orgCount := func() int {
			t.Helper()
			os, err := env.store.ListOrgs(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return len(os)
		}
		before := orgCount()

		bad := b.form("/admin/orgs", url.Values{"name": {" "}, "kind": {""}, "region_code": {"朝阳区"}})
		body := bad.Body.String()
		if bad.Code != http.StatusBadRequest || strings.Count(body, "field-error") != 3 || !strings.Contains(body, "北京市朝阳区（110105）") ||
			!strings.Contains(body, `value="朝阳区"`) {
			t.Fatalf("a bad organization: %d %.3000s", bad.Code, body[strings.Index(body, "<main"):])
		}
		if n := orgCount(); n != before {
			t.Fatalf("a refused form created an organization: %d, was %d", n, before)
		}
		ok := b.form("/admin/orgs", url.Values{"name": {"郓城县阳光社会工作服务中心"}, "kind": {"social_work_agency"}, "region_code": {"郓城县"}})
		loc := ok.Header().Get("Location")
		if ok.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/orgs/") {
			t.Fatalf("create: %d %q %.500s", ok.Code, loc, ok.Body.String())
		}
		orgID := strings.TrimPrefix(loc, "/admin/orgs/")
		org, err := env.store.OrgByPublicID(ctx, orgID)
		if err != nil || org.Name != "郓城县阳光社会工作服务中心" || org.Kind != kernel.OrgSocialWorkAgency || org.RegionCode != "371725" {
			t.Fatalf("the stored organization: %+v %v", org, err)
		}
		page := b.do(http.MethodGet, loc, nil).Body.String()
		for _, want := range []string{"机构已创建", "郓城县阳光社会工作服务中心", "社会工作服务机构", "山东省菏泽市郓城县", "这个机构还没有工作人员", `<option value="social_worker"`} {
			if !strings.Contains(page, want) {
				t.Errorf("the new organization's page does not show %q", want)
			}
		}
		if strings.Contains(page, `<option value="verifier"`) {
			t.Error("a social work agency is offered the verifier role")
		}

		members := loc + "/members"
		r = b.form(members, url.Values{"display_name": {"孙社工"}, "email": {"not-an-email"}, "role": {"verifier"}, "password": {"short"}})
		body = r.Body.String()
		if r.Code != http.StatusBadRequest || strings.Count(body, "field-error") != 3 || !strings.Contains(body, `value="孙社工"`) || strings.Contains(body, `value="short"`) {
			t.Fatalf("a bad member: %d %.3000s", r.Code, body[strings.Index(body, "<main"):])
		}
		r = b.form(members, url.Values{"display_name": {"孙社工"}, "email": {"sun@yangguang.example"}, "role": {"social_worker"}, "password": {"chushi-mima-2026"}})
		if r.Code != http.StatusSeeOther || r.Header().Get("Location") != loc {
			t.Fatalf("add a member: %d %q %.500s", r.Code, r.Header().Get("Location"), r.Body.String())
		}
		page = b.do(http.MethodGet, loc, nil).Body.String()
		for _, want := range []string{"工作人员账户已开设", "孙社工", "sun@yangguang.example", "社工"} {
			if !strings.Contains(page, want) {
				t.Errorf("after adding the member, the page does not show %q", want)
			}
		}
		p, err := env.accounts.Authenticate(ctx, "sun@yangguang.example", "chushi-mima-2026", "192.0.2.1")
		if err != nil || !p.InOrg(kernel.RoleSocialWorker, org.ID) {
			t.Fatalf("the new member signs in: %v %+v", err, p)
		}
		if home := b.do(http.MethodGet, "/admin", nil).Body.String(); !strings.Contains(home, `<td class="num" data-label="人员">1</td>`) {
			t.Errorf("the list does not count the member: %.3000s", home[strings.Index(home, "<main"):])
		}
		r = b.form(members, url.Values{"display_name": {"孙二"}, "email": {"sun@yangguang.example"}, "role": {"social_worker"}, "password": {"another-pass-2026"}})
		if body := r.Body.String(); r.Code != http.StatusBadRequest || !strings.Contains(body, "这个电子邮箱已经注册") {
			t.Errorf("a taken e-mail: %d %.2000s", r.Code, body)
		}

		if r := b.do(http.MethodGet, "/admin/orgs/01jjnotanorg00000000000000", nil); r.Code != http.StatusNotFound {
			t.Errorf("an unknown organization: %d, want 404", r.Code)
		}
		if r := b.form("/admin/orgs/01jjnotanorg00000000000000/members", url.Values{"display_name": {"某人"}, "email": {"x@y.example"},
			"role": {"social_worker"}, "password": {"chushi-mima-2026"}}); r.Code != http.StatusNotFound {
			t.Errorf("a member of an unknown organization: %d, want 404", r.Code)
		}

		// Other roles.
		for _, role := range []kernel.Role{kernel.RoleFederationStaff, kernel.RoleSocialWorker, kernel.RoleVolunteer} {
			_, p := env.user(role, nil)
			x := newBrowser(env)
			x.login(p)
			for _, path := range []string{"/admin", loc} {
				if r := x.do(http.MethodGet, path, nil); r.Code != http.StatusForbidden {
					t.Errorf("%s opens %s: %d", role, path, r.Code)
				}
			}
			if r := x.form("/admin/orgs", url.Values{"name": {"冒名机构"}, "kind": {"charity"}, "region_code": {"371725"}}); r.Code != http.StatusForbidden {
				t.Errorf("%s creates an organization: %d", role, r.Code)
			}
			if r := x.form(members, url.Values{"display_name": {"冒名"}, "email": {string(role) + "@fake.example"}, "role": {"social_worker"},
				"password": {"chushi-mima-2026"}}); r.Code != http.StatusForbidden {
				t.Errorf("%s adds a member: %d", role, r.Code)
			}
		}
		if n := orgCount(); n != before+1 {
			t.Errorf("organizations: %d, want %d", n, before+1)
		}
		if ms, err := env.store.OrgMembers(ctx, org.ID); err != nil || len(ms) != 1 {
			t.Errorf("members: %v %+v", err, ms)
		}
	})
}
