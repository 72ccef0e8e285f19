package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
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

// Two organizations posted one person (issue 14): a plan of a fund with a
// per-need cap funds one of the postings, within the cap, and says in the
// staff's language why the other is left out; once executed, the fund's
// matches and the other posting's own matches count the cap as the
// person's, used.
func TestAPlanFundsOnePostingOfAPersonPostedTwice(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		sw, swP := env.user(kernel.RoleSocialWorker, nil)
		ver, _ := env.user(kernel.RoleVerifier, nil)
		_, staff := env.user(kernel.RoleFederationStaff, nil)
		agency, err := env.accounts.CreateOrg(ctx, env.admin, marketplace.NewOrg{Name: "郓城县另一社会工作服务中心", Kind: kernel.OrgSocialWorkAgency, RegionCode: "371725"})
		if err != nil {
			t.Fatal(err)
		}
		sw2, sw2P := env.user(kernel.RoleSocialWorker, agency)
		medical := env.createNeed(sw, needBody())
		b := needBody() // the same person, for another hardship, by another agency
		b["category"], b["title"], b["story"] = "education", "张小明学费", "张建华的儿子张小明上学需要学费。"
		b["verified_cost_fen"], b["statutory_relief_fen"] = 2_000_000, 0
		education := env.createNeed(sw2, b)
		env.clearAndPublish(medical, sw, ver)
		env.clearAndPublish(education, sw2, ver)
		env.advance(121 * time.Hour)
		staffTok := env.token(staff)
		fund := env.fundWithBalance(staff, kernel.Restrictions{PerNeedCapFen: 1_000_000}, 5_000_000)

		r := env.do("POST", "/api/v1/funds/"+fund+"/plans", staffTok, map[string]any{})
		if r.Status != http.StatusCreated {
			t.Fatalf("plan: %d %s", r.Status, r.Body)
		}
		plan := r.JSON(t)
		toPerson := map[string]float64{}
		for _, l := range plan["lines"].([]any) {
			l := l.(map[string]any)
			toPerson[l["need_id"].(string)] += l["amount_fen"].(float64)
		}
		if len(toPerson) != 1 || toPerson[medical]+toPerson[education] != 1_000_000 {
			t.Fatalf("the plan gives the person %v, want the cap of 1,000,000 fen through one posting", toPerson)
		}
		lo := plan["left_out"].([]any)
		if len(lo) != 1 || lo[0].(map[string]any)["reason"] != "same_person" || lo[0].(map[string]any)["count"].(float64) != 1 ||
			!strings.Contains(lo[0].(map[string]any)["text"].(string), "同一受助人") {
			t.Fatalf("plan left_out %v, want the other posting counted as the same person's, in Chinese", lo)
		}
		out := env.do("POST", "/api/v1/plans/"+plan["id"].(string)+"/execute", staffTok, nil).JSON(t)
		if rep := out["execution"].(map[string]any); rep["applied_lines"].(float64) != 1 {
			t.Fatalf("execution %v", rep)
		}

		m := env.do("GET", "/api/v1/funds/"+fund+"/matches", staffTok, nil, "Accept-Language", "en").JSON(t)
		lo = m["left_out"].([]any)
		if m["total"].(float64) != 0 || len(lo) != 1 || lo[0].(map[string]any)["reason"] != "per_need_cap" || lo[0].(map[string]any)["count"].(float64) != 2 ||
			!strings.Contains(lo[0].(map[string]any)["text"].(string), "person") {
			t.Fatalf("the fund's matches %v, want both postings left out at the person's cap", m)
		}
		other, worker := medical, swP
		if toPerson[medical] > 0 {
			other, worker = education, sw2P
		}
		nm := env.do("GET", "/api/v1/needs/"+other+"/matches", env.token(worker), nil).JSON(t)
		for _, s := range nm["sources"].([]any) {
			if s.(map[string]any)["id"] == fund {
				t.Fatalf("the other posting's matches offer the fund again: %v", s)
			}
		}
	})
}
