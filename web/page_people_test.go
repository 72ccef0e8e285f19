package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

func TestPeoplePages(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		t.Run("anyone reports a person in hardship and gets a number and a code", func(t *testing.T) {
			b := newBrowser(env)
			if r := b.do(http.MethodGet, "/report", nil); r.Code != 200 || !strings.Contains(r.Body.String(), `for="description"`) {
				t.Fatalf("report form: %d", r.Code)
			}
			r := b.form("/report", url.Values{"region_code": {"371725"}, "category": {"medical"}, "description": {"村里一位独居老人腿脚不便，冬天没有取暖。"}})
			if r.Code != 200 || !strings.Contains(r.Body.String(), "报告已收到") || !strings.Contains(r.Body.String(), "查询码") {
				t.Fatalf("report: %d %.300s", r.Code, r.Body.String())
			}
			if r := b.form("/report", url.Values{"region_code": {"999999"}, "description": {""}}); r.Code != http.StatusBadRequest {
				t.Errorf("bad report: %d", r.Code)
			}
		})
		t.Run("a volunteer sets a profile, pledges service, the worker accepts, the volunteer logs it", func(t *testing.T) {
			wtok, worker := env.user(kernel.RoleSocialWorker, nil)
			vtok, _ := env.user(kernel.RoleVerifier, nil)
			needID := env.createNeed(wtok, needBody())
			env.clearAndPublish(needID, wtok, vtok)
			env.advance(121 * time.Hour)
			vol := signedIn(env, kernel.RoleVolunteer)
			if body := vol.do(http.MethodGet, "/volunteer", nil).Body.String(); !strings.Contains(body, "请先填写") {
				t.Fatalf("new volunteer page: %.300s", body)
			}
			r := vol.form("/volunteer/profile", url.Values{"level_hospital_escort": {"2"}, "regions": {"371725"}, "from_6": {"09:00"}, "to_6": {"17:00"}})
			if r.Code != http.StatusSeeOther {
				t.Fatalf("profile: %d %.500s", r.Code, r.Body.String())
			}
			page := vol.do(http.MethodGet, "/volunteer", nil).Body.String()
			if !strings.Contains(page, `value="09:00"`) || !strings.Contains(page, `value="山东省菏泽市郓城县"`) {
				t.Errorf("the saved profile is not shown")
			}
			if need := vol.do(http.MethodGet, "/needs/"+needID, nil).Body.String(); !strings.Contains(need, "我能提供服务") {
				t.Fatal("no service pledge form on the need page")
			}
			if r := vol.form("/volunteer/service-pledges", url.Values{"need_id": {needID}, "skill": {"hospital_escort"}, "hours": {"4"}}); r.Code != http.StatusSeeOther {
				t.Fatalf("service pledge: %d %.300s", r.Code, r.Body.String())
			}
			if !strings.Contains(vol.do(http.MethodGet, "/volunteer", nil).Body.String(), "服务报名已提交") {
				t.Error("no success message after the offer")
			}
			w := newBrowser(env)
			w.login(worker)
			staffPage := w.do(http.MethodGet, "/staff/needs/"+needID, nil).Body.String()
			if !strings.Contains(staffPage, "可以提供服务的志愿者") {
				t.Error("the worker's need page has no matches")
			}
			m := regexp.MustCompile(`action="/staff/service-pledges/([^"]+)"`).FindStringSubmatch(staffPage)
			if m == nil {
				t.Fatal("the worker sees no service pledge to accept")
			}
			if r := w.form("/staff/service-pledges/"+m[1], url.Values{"need_id": {needID}, "accept": {"1"}}); r.Code != http.StatusSeeOther {
				t.Fatalf("accept: %d", r.Code)
			}
			day := env.now.Load().Format("2006-01-02")
			if r := vol.form("/volunteer/service-pledges/"+m[1]+"/log", url.Values{"hours": {"2"}, "date": {day}, "note": {"陪同复诊"}}); r.Code != http.StatusSeeOther {
				t.Fatalf("log: %d %.300s", r.Code, r.Body.String())
			}
			page = vol.do(http.MethodGet, "/volunteer", nil).Body.String()
			if !strings.Contains(page, "已服务 2.0 小时") {
				t.Errorf("the log of service is not shown")
			}
			// The record names the need by its public title (issue 17).
			if !strings.Contains(page, `<a href="/needs/`+needID+`">某某尿毒症透析费用</a>`) {
				t.Errorf("the service record does not name the need by its title")
			}
		})
		t.Run("a volunteer's areas are typed by name; an ambiguous one is asked about", func(t *testing.T) {
			vol := signedIn(env, kernel.RoleVolunteer)
			r := vol.form("/volunteer/profile", url.Values{"level_hospital_escort": {"1"}, "regions": {"郓城县、长春市朝阳区"}})
			if r.Code != http.StatusSeeOther {
				t.Fatalf("profile: %d %.500s", r.Code, r.Body.String())
			}
			if page := vol.do(http.MethodGet, "/volunteer", nil).Body.String(); !strings.Contains(page, `value="吉林省长春市朝阳区、山东省菏泽市郓城县"`) {
				t.Errorf("the areas are not shown by name: %s", regexp.MustCompile(`id="regions"[^>]*`).FindString(page))
			}
			r = vol.form("/volunteer/profile", url.Values{"level_hospital_escort": {"1"}, "regions": {"朝阳区"}})
			if b := r.Body.String(); r.Code != http.StatusBadRequest || !strings.Contains(b, "北京市朝阳区（110105）") {
				t.Errorf("an ambiguous area: %d", r.Code)
			}
		})
	})
}
