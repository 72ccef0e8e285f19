package web

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/matching"
	mstore "github.com/jiujinan/jiujinan/matching/gormstore"
	"github.com/jiujinan/jiujinan/sqldb"
)

func init() {
	addRouteAccess(map[string][]string{
		"GET /api/v1/needs/:id/matches":     {"social_worker", "verifier", "federation_staff"},
		"GET /api/v1/funds/:id/matches":     {"federation_staff"},
		"GET /api/v1/projects/:id/matches":  {"federation_staff"},
		"GET /api/v1/volunteers/me/matches": {"volunteer"},
		"POST /api/v1/funds/:id/plans":      {"federation_staff"},
		"GET /api/v1/plans/:id":             {"federation_staff"},
		"POST /api/v1/plans/:id/execute":    {"federation_staff"},
	})
}

func newTestMatching(db *sqldb.DB, f *funds.Service, p *marketplace.PeopleService, now func() time.Time, d *kernel.Divisions) *matching.Service {
	st := mstore.NewMatches(db)
	return &matching.Service{Store: st, Sources: &matching.FundsSources{Funds: f, OrgRegion: st.OrgRegion, Now: now},
		Volunteers: &matching.PeopleVolunteers{People: p}, Divisions: d, Now: now, NewID: testID}
}

// fundWithBalance creates a fund held by staff's organization and gives it
// amount through a confirmed pledge.
func (env *testEnv) fundWithBalance(staff *kernel.Principal, r kernel.Restrictions, amount int64) string {
	env.t.Helper()
	ctx := context.Background()
	f, err := env.funds.CreateSource(ctx, staff, funds.NewSource{Kind: funds.KindFund, Name: "助医基金", Namer: "爱心企业", Purpose: "医疗救助", Restrictions: r})
	if err != nil {
		env.t.Fatal(err)
	}
	_, donor := env.user(kernel.RoleDonor, nil)
	p, err := env.funds.CreatePledge(ctx, donor, funds.NewPledge{TargetType: funds.TargetFund, TargetID: f.PublicID, AmountFen: amount}, nil)
	if err != nil {
		env.t.Fatal(err)
	}
	if _, err := env.funds.ConfirmPledge(ctx, staff, p.PublicID); err != nil {
		env.t.Fatal(err)
	}
	return f.PublicID
}

func TestMatchesAndPlansOverTheAPI(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		sw, swP := env.user(kernel.RoleSocialWorker, nil)
		ver, _ := env.user(kernel.RoleVerifier, nil)
		_, staff := env.user(kernel.RoleFederationStaff, nil)
		// Two open needs: an urgent one (remaining 3,000,000 fen) and an
		// emergency one (remaining 1,000,000 fen).
		urgent := env.createNeed(sw, needBody())
		b := needBody()
		b["beneficiary"].(map[string]any)["id_number"] = idNumber("371725", "19700101", "135")
		b["verified_cost_fen"], b["statutory_relief_fen"], b["urgency"] = 1_500_000, 500_000, "emergency"
		emergency := env.createNeed(sw, b)
		env.clearAndPublish(urgent, sw, ver)
		env.clearAndPublish(emergency, sw, ver)
		env.advance(121 * time.Hour) // the notice ends: both needs are open
		sw, staffTok := env.token(swP), env.token(staff)
		fund := env.fundWithBalance(staff, kernel.Restrictions{Categories: []kernel.Category{kernel.CatMedical}}, 3_500_000)

		r := env.do("GET", "/api/v1/needs/"+urgent+"/matches", sw, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("need matches: %d %s", r.Status, r.Body)
		}
		m := r.JSON(t)
		srcs := m["sources"].([]any)
		if m["sources_total"].(float64) != 1 || len(srcs) != 1 || srcs[0].(map[string]any)["id"] != fund || len(srcs[0].(map[string]any)["factors"].([]any)) < 5 {
			t.Fatalf("need matches %s", r.Body)
		}
		r = env.do("GET", "/api/v1/funds/"+fund+"/matches?limit=1", staffTok, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("fund matches: %d %s", r.Status, r.Body)
		}
		m = r.JSON(t)
		items := m["items"].([]any)
		if m["total"].(float64) != 2 || len(items) != 1 || items[0].(map[string]any)["need"].(map[string]any)["id"] != emergency {
			t.Fatalf("fund matches, most urgent first: %s", r.Body)
		}
		if n := items[0].(map[string]any)["need"].(map[string]any); n["region_code"] == "371725" && n["region_code"] != "" {
			// the exact region is private; the public one may coincide only
			// when the cell is big enough, which two needs are not.
			t.Fatalf("fund matches show the exact region: %s", r.Body)
		}

		r = env.do("POST", "/api/v1/funds/"+fund+"/plans", staffTok, map[string]any{})
		if r.Status != http.StatusCreated {
			t.Fatalf("plan: %d %s", r.Status, r.Body)
		}
		plan := r.JSON(t)
		pid := plan["id"].(string)
		tot := plan["totals"].(map[string]any)
		if tot["allocated_fen"].(float64) != 3_500_000 || tot["needs_fully_funded"].(float64) != 1 || tot["needs_partly_funded"].(float64) != 1 || tot["money_left_fen"].(float64) != 0 {
			t.Fatalf("plan totals %s", r.Body)
		}
		if r := env.do("GET", "/api/v1/plans/"+pid, staffTok, nil); r.Status != http.StatusOK {
			t.Fatalf("get plan: %d %s", r.Status, r.Body)
		}
		// The plan goes stale: the emergency need gets its money directly.
		if r := env.do("POST", "/api/v1/funds/"+fund+"/allocations", staffTok, map[string]any{"need_id": emergency, "amount_fen": 1_000_000}); r.Status != http.StatusCreated {
			t.Fatalf("direct allocation: %d %s", r.Status, r.Body)
		}
		r = env.do("POST", "/api/v1/plans/"+pid+"/execute", staffTok, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("execute: %d %s", r.Status, r.Body)
		}
		out := r.JSON(t)
		for _, l := range out["lines"].([]any) {
			l := l.(map[string]any)
			switch l["need_id"] {
			case emergency:
				if l["status"] != "refused" || len(l["refusal"].([]any)) == 0 {
					t.Fatalf("stale line applied: %v", l)
				}
			case urgent:
				if l["status"] != "applied" || l["allocation_id"] == "" {
					t.Fatalf("line refused: %v", l)
				}
			}
		}
		rep := out["execution"].(map[string]any)
		if rep["applied_lines"].(float64) != 1 || rep["refused_lines"].(float64) != 1 || rep["applied_fen"].(float64) != 2_500_000 {
			t.Fatalf("report %v", rep)
		}
		// Once only: a second execution changes nothing.
		r = env.do("POST", "/api/v1/plans/"+pid+"/execute", staffTok, nil)
		if r.Status != http.StatusOK || r.JSON(t)["execution"].(map[string]any)["applied_fen"].(float64) != 2_500_000 {
			t.Fatalf("second execute: %d %s", r.Status, r.Body)
		}
		f, err := env.funds.Source(context.Background(), funds.KindFund, fund)
		if err != nil || f.BalanceFen != 0 {
			t.Fatalf("fund balance %d, %v", f.BalanceFen, err)
		}
	})
}

func TestMatchingAccess(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		sw, _ := env.user(kernel.RoleSocialWorker, nil)
		need := env.createNeed(sw, needBody())
		staffTok, staff := env.user(kernel.RoleFederationStaff, nil)
		fund := env.fundWithBalance(staff, kernel.Restrictions{}, 100_000)
		ctx := context.Background()
		other, err := env.accounts.CreateOrg(ctx, env.admin, marketplace.NewOrg{Name: "另一慈善总会", Kind: kernel.OrgCharityFederation, RegionCode: "370100"})
		if err != nil {
			t.Fatal(err)
		}
		otherStaff, _ := env.user(kernel.RoleFederationStaff, other)
		otherAgency, err := env.accounts.CreateOrg(ctx, env.admin, marketplace.NewOrg{Name: "另一社工机构", Kind: kernel.OrgSocialWorkAgency, RegionCode: "370100"})
		if err != nil {
			t.Fatal(err)
		}
		otherSW, _ := env.user(kernel.RoleSocialWorker, otherAgency)
		donor, _ := env.user(kernel.RoleDonor, nil)
		vol, _ := env.user(kernel.RoleVolunteer, nil)
		plan := env.do("POST", "/api/v1/funds/"+fund+"/plans", staffTok, map[string]any{}).JSON(t)["id"].(string)
		cases := []struct {
			name, method, path, token string
			body                      any
			want                      int
		}{
			{"poster sees need matches", "GET", "/api/v1/needs/" + need + "/matches", sw, nil, 200},
			{"another agency's worker does not", "GET", "/api/v1/needs/" + need + "/matches", otherSW, nil, 404},
			{"donor may not", "GET", "/api/v1/needs/" + need + "/matches", donor, nil, 403},
			{"anonymous may not", "GET", "/api/v1/needs/" + need + "/matches", "", nil, 401},
			{"unknown need", "GET", "/api/v1/needs/nope/matches", sw, nil, 404},
			{"bad paging", "GET", "/api/v1/needs/" + need + "/matches?limit=0", sw, nil, 400},
			{"fund matches of a project path", "GET", "/api/v1/projects/" + fund + "/matches", staffTok, nil, 404},
			{"another federation plans our fund", "POST", "/api/v1/funds/" + fund + "/plans", otherStaff, map[string]any{}, 403},
			{"another federation reads our plan", "GET", "/api/v1/plans/" + plan, otherStaff, nil, 404},
			{"another federation executes our plan", "POST", "/api/v1/plans/" + plan + "/execute", otherStaff, nil, 404},
			{"null body", "POST", "/api/v1/funds/" + fund + "/plans", staffTok, "null", 400},
			{"bad max_needs", "POST", "/api/v1/funds/" + fund + "/plans", staffTok, map[string]any{"max_needs": -5}, 400},
			{"huge fund list", "POST", "/api/v1/funds/" + fund + "/plans", staffTok, map[string]any{"fund_ids": make([]string, 1001)}, 400},
			{"injection as fund id", "POST", "/api/v1/funds/" + fund + "/plans", staffTok, map[string]any{"fund_ids": []string{"x' OR '1'='1"}}, 400},
			{"volunteer without profile", "GET", "/api/v1/volunteers/me/matches", vol, nil, 400},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				if r := env.do(tc.method, tc.path, tc.token, tc.body); r.Status != tc.want {
					t.Fatalf("%s %s: %d %s, want %d", tc.method, tc.path, r.Status, r.Body, tc.want)
				}
			})
		}
	})
}

// Volunteers see the needs their skills and area fit; a home visit to a
// minor only with a cleared check, from both sides of the match.
func TestVolunteerMatchesKeepTheBackgroundRule(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		sw, swP := env.user(kernel.RoleSocialWorker, nil)
		ver, _ := env.user(kernel.RoleVerifier, nil)
		adult := env.createNeed(sw, needBody()) // hospital escort for an adult
		b := needBody()
		b["beneficiary"].(map[string]any)["id_number"] = idNumber("371725", "20140505", "246") // a child
		b["consent"].(map[string]any)["relation"] = "guardian"
		child := env.createNeed(sw, b)
		env.clearAndPublish(adult, sw, ver)
		env.clearAndPublish(child, sw, ver)
		volTok, _, volID := env.volunteerWith(t, "hospital_escort")
		ids := func(r response) map[string]bool {
			t.Helper()
			if r.Status != http.StatusOK {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			out := map[string]bool{}
			for _, it := range r.JSON(t)["items"].([]any) {
				out[it.(map[string]any)["need"].(map[string]any)["id"].(string)] = true
			}
			return out
		}
		got := ids(env.do("GET", "/api/v1/volunteers/me/matches", volTok, nil))
		if !got[adult] || got[child] {
			t.Fatalf("uncleared volunteer sees %v; want the adult's need only", got)
		}
		vols := func(need string) map[string]bool {
			r := env.do("GET", "/api/v1/needs/"+need+"/matches", env.token(swP), nil)
			if r.Status != http.StatusOK {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			out := map[string]bool{}
			for _, it := range r.JSON(t)["volunteers"].([]any) {
				out[it.(map[string]any)["id"].(string)] = true
			}
			return out
		}
		if v := vols(child); v[volID] {
			t.Fatalf("the child's need lists an uncleared volunteer")
		}
		if v := vols(adult); !v[volID] {
			t.Fatalf("the adult's need does not list the volunteer")
		}
		env.clear(t, volID)
		if got := ids(env.do("GET", "/api/v1/volunteers/me/matches", volTok, nil)); !got[child] {
			t.Fatalf("cleared volunteer does not see the child's need: %v", got)
		}
		if v := vols(child); !v[volID] {
			t.Fatalf("the child's need does not list the cleared volunteer")
		}
	})
}
