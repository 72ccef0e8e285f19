package web

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// A need whose deadline passed before it was fully funded can take no money
// (funds refuses it as need_ended, its public page says expired): a fund's
// matches and a plan leave it out, and say why, in the staff's language.
func TestFundMatchesAndPlansLeaveOutNeedsPastTheirDeadline(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		sw, swP := env.user(kernel.RoleSocialWorker, nil)
		ver, _ := env.user(kernel.RoleVerifier, nil)
		_, staff := env.user(kernel.RoleFederationStaff, nil)
		later := env.createNeed(sw, needBody()) // deadline 2027-01-31
		b := needBody()
		b["beneficiary"].(map[string]any)["id_number"] = idNumber("371725", "19700101", "135")
		b["deadline"] = "2026-12-02"
		soon := env.createNeed(sw, b)
		env.clearAndPublish(later, sw, ver)
		env.clearAndPublish(soon, sw, ver)
		env.advance(10 * 24 * time.Hour) // the notice ended (5 days) and soon's deadline passed
		staffTok := env.token(staff)
		if m := env.do("GET", "/api/v1/needs/"+soon, "", nil).JSON(t); m["status"] != "expired" {
			t.Fatalf("the public page shows %v, want expired", m["status"])
		}
		fund := env.fundWithBalance(staff, kernel.Restrictions{Categories: []kernel.Category{kernel.CatMedical}}, 5_000_000)

		r := env.do("GET", "/api/v1/funds/"+fund+"/matches", staffTok, nil, "Accept-Language", "en")
		if r.Status != http.StatusOK {
			t.Fatalf("fund matches: %d %s", r.Status, r.Body)
		}
		m := r.JSON(t)
		items := m["items"].([]any)
		if m["total"].(float64) != 1 || len(items) != 1 || items[0].(map[string]any)["need"].(map[string]any)["id"] != later {
			t.Fatalf("fund matches list a need past its deadline: %s", r.Body)
		}
		lo := m["left_out"].([]any)
		if len(lo) != 1 {
			t.Fatalf("left_out %v, want the expired need counted", lo)
		}
		e := lo[0].(map[string]any)
		if e["reason"] != "expired" || e["count"].(float64) != 1 || e["text"] != "Past its deadline before it was fully funded" {
			t.Fatalf("left_out %v", e)
		}

		// The need's own matches: no fund, and why.
		r = env.do("GET", "/api/v1/needs/"+soon+"/matches", env.token(swP), nil)
		m = r.JSON(t)
		why, _ := m["left_out"].(map[string]any)
		if r.Status != http.StatusOK || len(m["sources"].([]any)) != 0 || why["reason"] != "expired" {
			t.Fatalf("the expired need's matches: %d %s", r.Status, r.Body)
		}
		if m := env.do("GET", "/api/v1/needs/"+later+"/matches", env.token(swP), nil).JSON(t); m["left_out"] != nil || len(m["sources"].([]any)) != 1 {
			t.Fatalf("the open need's matches: %v", m)
		}
		worker := newBrowser(env)
		worker.login(swP)
		if page := worker.do(http.MethodGet, "/staff/needs/"+soon, nil).Body.String(); !strings.Contains(page, `id="matches-left-out">已过截止日期且未筹满`) {
			t.Fatalf("the staff page of the expired need does not say why it has no fund")
		}

		r = env.do("POST", "/api/v1/funds/"+fund+"/plans", staffTok, map[string]any{})
		if r.Status != http.StatusCreated {
			t.Fatalf("plan: %d %s", r.Status, r.Body)
		}
		plan := r.JSON(t)
		for _, l := range plan["lines"].([]any) {
			if l.(map[string]any)["need_id"] != later {
				t.Fatalf("the plan funds a need past its deadline: %s", r.Body)
			}
		}
		lo = plan["left_out"].([]any)
		if len(lo) != 1 || lo[0].(map[string]any)["reason"] != "expired" || !strings.Contains(lo[0].(map[string]any)["text"].(string), "截止") {
			t.Fatalf("plan left_out %v", lo)
		}
		out := env.do("POST", "/api/v1/plans/"+plan["id"].(string)+"/execute", staffTok, nil).JSON(t)
		if rep := out["execution"].(map[string]any); rep["refused_lines"].(float64) != 0 || rep["applied_lines"].(float64) != 1 {
			t.Fatalf("execution %v, want every line applied", rep)
		}
	})
}

// A volunteer's list holds only needs the volunteer can act on: published
// with the household's consent (a need without it is matched through its
// social worker only) and not past its deadline; every link on the list
// opens.
func TestVolunteerMatchesOnlyNeedsWithAPublicPage(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		sw, swP := env.user(kernel.RoleSocialWorker, nil)
		ver, _ := env.user(kernel.RoleVerifier, nil)
		consented := env.createNeed(sw, needBody())
		b := needBody()
		b["beneficiary"].(map[string]any)["id_number"] = idNumber("371725", "19700101", "135")
		b["consent"] = map[string]any{"given": false}
		private := env.createNeed(sw, b)
		b = needBody()
		b["beneficiary"].(map[string]any)["id_number"] = idNumber("371725", "19750101", "246")
		b["deadline"] = "2026-12-02"
		soon := env.createNeed(sw, b)
		for _, id := range []string{consented, private, soon} {
			env.clearAndPublish(id, sw, ver)
		}
		volTok, volP, volID := env.volunteerWith(t, "hospital_escort")
		listed := func() map[string]bool {
			t.Helper()
			r := env.do("GET", "/api/v1/volunteers/me/matches", volTok, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			out := map[string]bool{}
			for _, it := range r.JSON(t)["items"].([]any) {
				id := it.(map[string]any)["need"].(map[string]any)["id"].(string)
				out[id] = true
				if r := env.do("GET", "/api/v1/needs/"+id, volTok, nil); r.Status != http.StatusOK {
					t.Errorf("listed need %s: GET /needs/{id} %d", id, r.Status)
				}
			}
			return out
		}
		if got := listed(); !got[consented] || !got[soon] || got[private] {
			t.Fatalf("volunteer sees %v; want %s and %s, not the need without public consent %s", got, consented, soon, private)
		}
		page := newBrowser(env)
		page.login(volP)
		body := page.do(http.MethodGet, "/volunteer", nil).Body.String()
		if strings.Contains(body, private) || !strings.Contains(body, `href="/needs/`+consented+`"`) {
			t.Fatalf("the volunteer page links the private need, or not the consented one")
		}
		if r := page.do(http.MethodGet, "/needs/"+consented, nil); r.Code != http.StatusOK {
			t.Fatalf("the consented need's page: %d", r.Code)
		}
		// Its social worker still matches the private need to the volunteer.
		r := env.do("GET", "/api/v1/needs/"+private+"/matches", env.token(swP), nil)
		found := false
		for _, v := range r.JSON(t)["volunteers"].([]any) {
			found = found || v.(map[string]any)["id"] == volID
		}
		if !found {
			t.Fatalf("the social worker's matches of the private need lack the volunteer: %s", r.Body)
		}
		env.advance(10 * 24 * time.Hour) // soon's deadline passed
		volTok = env.token(volP)
		if got := listed(); !got[consented] || got[soon] || got[private] {
			t.Fatalf("after soon's deadline the volunteer sees %v; want %s only", got, consented)
		}
	})
}
