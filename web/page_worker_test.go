package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// login signs the browser in through the form.
func (b *browser) login(p *kernel.Principal) {
	b.t.Helper()
	home := b.do(http.MethodGet, "/login", nil)
	r := b.do(http.MethodPost, "/login", url.Values{"_csrf": {b.csrf(home.Body.String())}, "email": {p.User.Email}, "password": {"password-" + string(p.Memberships[0].Role)}})
	if r.Code != http.StatusSeeOther {
		b.t.Fatalf("login %s: %d", p.User.Email, r.Code)
	}
}

// form posts a page form with the page's CSRF token.
func (b *browser) form(path string, v url.Values) *httptest.ResponseRecorder {
	b.t.Helper()
	tok := b.csrf(b.do(http.MethodGet, "/", nil).Body.String())
	v.Set("_csrf", tok)
	return b.do(http.MethodPost, path, v)
}

// needFormValues is a complete posting form for a household in 郓城县.
func needFormValues() url.Values {
	return url.Values{
		"name": {"张建华"}, "id_number": {idNumber("371725", "19800315", "123")}, "phone": {"13812345678"},
		"address": {"山东省菏泽市郓城县唐庙镇李庄村3组15号"}, "region_code": {"371725"}, "members": {"王秀英，张小明"},
		"household_types": {"dibao", "expenditure_hardship"}, "category": {"medical"},
		"title": {"张建华尿毒症透析费用"}, "story": {"张建华今年四十五岁，患尿毒症需每周透析三次，妻子王秀英照顾全家，电话13812345678。"},
		"verified_cost": {"50,000"}, "statutory_relief": {"20000.00"}, "cost_from": {"2026-11-01"}, "cost_to": {"2027-04-30"},
		"urgency": {"urgent"}, "deadline": {"2027-01-31"}, "service_needs": {"hospital_escort"},
		"consent": {"1"}, "consent_by": {"张建华"}, "consent_relation": {"self"}, "consent_method": {"written"}, "consent_at": {"2026-11-20"},
	}
}

func TestWorkerAndVerifierPages(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		_, worker := env.user(kernel.RoleSocialWorker, nil)
		_, verifier := env.user(kernel.RoleVerifier, nil)
		w := newBrowser(env)
		w.login(worker)

		t.Run("the preview shows the scrubbed text as the worker types", func(t *testing.T) {
			r := w.form("/worker/needs/preview", needFormValues())
			body := r.Body.String()
			if r.Code != 200 || strings.Contains(body, "<html") {
				t.Fatalf("preview: %d %.200s", r.Code, body)
			}
			for _, leak := range []string{"张建华", "王秀英", "13812345678"} {
				if strings.Contains(body, leak) {
					t.Errorf("preview shows %q", leak)
				}
			}
			if !strings.Contains(body, "尿毒症") || !strings.Contains(body, "18–59岁") {
				t.Errorf("preview lacks the story or region: %s", body)
			}
			// An incomplete form still previews the text.
			r = w.form("/worker/needs/preview", url.Values{"name": {"张建华"}, "story": {"张建华住院了"}})
			if b := r.Body.String(); r.Code != 200 || strings.Contains(b, "张建华") || !strings.Contains(b, "住院") {
				t.Errorf("partial preview: %d %s", r.Code, b)
			}
		})
		t.Run("a form with mistakes comes back with what to correct and what was typed", func(t *testing.T) {
			v := needFormValues()
			v.Set("verified_cost", "-5")
			v.Set("phone", "12345")
			r := w.form("/worker/needs", v)
			body := r.Body.String()
			if r.Code != 400 || !strings.Contains(body, "表单有需要修改的地方") || !strings.Contains(body, `value="张建华"`) {
				t.Fatalf("status %d", r.Code)
			}
		})
		var needID string
		t.Run("posting goes to the need's private page", func(t *testing.T) {
			r := w.form("/worker/needs", needFormValues())
			if r.Code != http.StatusSeeOther {
				t.Fatalf("post: %d %.500s", r.Code, r.Body.String())
			}
			loc := r.Header().Get("Location")
			needID = strings.TrimSuffix(strings.TrimPrefix(loc, "/staff/needs/"), "?posted=1")
			body := w.do(http.MethodGet, loc, nil).Body.String()
			if !strings.Contains(body, "求助已提交") || !strings.Contains(body, "张建华") || !strings.Contains(body, "待核实") {
				t.Errorf("private page after posting: %.300s", body)
			}
			if list := w.do(http.MethodGet, "/worker/needs?status=submitted", nil).Body.String(); !strings.Contains(list, needID) {
				t.Error("the organization's list lacks the need")
			}
		})
		v := newBrowser(env)
		v.login(verifier)
		t.Run("the verifier sees it in the queue with the time left and clears it", func(t *testing.T) {
			q := v.do(http.MethodGet, "/verify", nil).Body.String()
			if !strings.Contains(q, needID) || !strings.Contains(q, "剩余") {
				t.Fatalf("queue lacks the need or its time left")
			}
			env.advance(7 * 24 * time.Hour)
			// Sessions last an hour: sign in again a week later.
			v.login(verifier)
			w.login(worker)
			if q := v.do(http.MethodGet, "/verify?overdue=1", nil).Body.String(); !strings.Contains(q, needID) || !strings.Contains(q, "已超时") {
				t.Error("a week later the need is not listed overdue")
			}
			r := v.form("/staff/needs/"+needID+"/clearance", url.Values{"decision": {"cleared"}, "reference": {"郓民救〔2026〕12号"}})
			if r.Code != http.StatusSeeOther {
				t.Fatalf("clear: %d %.500s", r.Code, r.Body.String())
			}
		})
		t.Run("the worker publishes it for notice", func(t *testing.T) {
			r := w.form("/staff/needs/"+needID+"/publish", url.Values{})
			if r.Code != http.StatusSeeOther {
				t.Fatalf("publish: %d %.500s", r.Code, r.Body.String())
			}
			body := w.do(http.MethodGet, "/staff/needs/"+needID, nil).Body.String()
			if !strings.Contains(body, "公示中") {
				t.Error("not in notice after publishing")
			}
			if !strings.Contains(body, "求助已发布，进入公示期") {
				t.Error("no success message after publishing")
			}
		})
		t.Run("no one else sees the identity", func(t *testing.T) {
			_, otherWorker := env.user(kernel.RoleSocialWorker, env.orgs[kernel.OrgCharity])
			for name, b := range map[string]*browser{"anonymous": newBrowser(env), "donor": signedIn(env, kernel.RoleDonor), "volunteer": signedIn(env, kernel.RoleVolunteer), "other organization's worker": func() *browser { b := newBrowser(env); b.login(otherWorker); return b }()} {
				r := b.do(http.MethodGet, "/staff/needs/"+needID, nil)
				if r.Code == 200 || strings.Contains(r.Body.String(), "张建华") || strings.Contains(r.Body.String(), "13812345678") {
					t.Errorf("%s: %d, identity shown", name, r.Code)
				}
			}
			if body := newBrowser(env).do(http.MethodGet, "/needs/"+needID, nil).Body.String(); strings.Contains(body, "张建华") || strings.Contains(body, "王秀英") {
				t.Error("the public page shows a name")
			}
		})
	})
}

// signedIn is a browser signed in as a new user of role.
func signedIn(env *testEnv, role kernel.Role) *browser {
	_, p := env.user(role, nil)
	b := newBrowser(env)
	b.login(p)
	return b
}
