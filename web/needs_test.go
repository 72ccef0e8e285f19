package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

func init() {
	addRouteAccess(map[string][]string{
		"POST /api/v1/needs":                             {"social_worker"},
		"POST /api/v1/needs/preview":                     {"social_worker"},
		"GET /api/v1/needs/:id/preview":                  {"social_worker", "verifier"},
		"GET /api/v1/needs/:id/private":                  {"social_worker", "verifier", "federation_staff", "auditor"},
		"POST /api/v1/needs/:id/clearance":               {"verifier"},
		"POST /api/v1/needs/:id/publish":                 {"social_worker", "verifier"},
		"POST /api/v1/needs/:id/withdraw":                {"social_worker"},
		"POST /api/v1/needs/:id/close":                   {"social_worker"},
		"POST /api/v1/needs/:id/confirm-still-needed":    {"social_worker"},
		"POST /api/v1/needs/:id/objections":              {"*"},
		"GET /api/v1/needs/:id/objections":               {"social_worker", "verifier", "federation_staff", "auditor"},
		"POST /api/v1/needs/:id/objections/:oid/resolve": {"verifier"},
		"GET /api/v1/objection-queue":                    {"verifier"},
		"POST /api/v1/objections/:id/outcome":            {"*"},
		"POST /api/v1/needs/:id/updates":                 {"social_worker"},
		"GET /api/v1/needs/:id/updates":                  {"social_worker", "verifier", "federation_staff", "auditor", "donor", "volunteer"},
		"GET /api/v1/orgs/me/needs":                      {"social_worker"},
		"GET /api/v1/clearance-queue":                    {"verifier"},
	})
}

// idNumber makes a valid resident ID number: region, birth date
// (YYYYMMDD), a three-digit sequence, and its check character.
func idNumber(region, birth, seq string) string {
	s := region + birth + seq
	return s + string(kernel.IDCheckChar(s))
}

// needBody is a valid POST /needs body for a household in 371725 (郓城县).
func needBody() map[string]any {
	return map[string]any{
		"beneficiary": map[string]any{
			"id_number": idNumber("371725", "19800315", "123"), "name": "张建华", "phone": "13812345678",
			"address": "山东省菏泽市郓城县唐庙镇李庄村3组15号", "region_code": "371725",
			"household_types": []string{"dibao", "expenditure_hardship"},
			"members":         []map[string]any{{"name": "王秀英", "relation": "spouse"}, {"name": "张小明", "relation": "child", "id_number": idNumber("371725", "20150601", "234")}},
		},
		"category": "medical", "title": "张建华尿毒症透析费用", "story": "张建华今年四十五岁，患尿毒症需每周透析三次，妻子王秀英照顾全家。",
		"verified_cost_fen": 5_000_000, "statutory_relief_fen": 2_000_000,
		"cost_period":   map[string]any{"from": "2026-11-01", "to": "2027-04-30"},
		"service_needs": []string{"hospital_escort"}, "urgency": "urgent", "deadline": "2027-01-31",
		"consent": map[string]any{"given": true, "given_by": "张建华", "relation": "self", "method": "written", "at": "2026-11-20"},
	}
}

// createNeed posts body as token and returns the new need's id.
func (env *testEnv) createNeed(token string, body map[string]any) string {
	env.t.Helper()
	r := env.do("POST", "/api/v1/needs", token, body)
	if r.Status != http.StatusCreated {
		env.t.Fatalf("create need: %d %s", r.Status, r.Body)
	}
	return r.JSON(env.t)["id"].(string)
}

// clearAndPublish clears a need as verifier and publishes it as worker.
func (env *testEnv) clearAndPublish(id, worker, verifier string) map[string]any {
	env.t.Helper()
	if r := env.do("POST", "/api/v1/needs/"+id+"/clearance", verifier, map[string]any{"decision": "cleared", "reference": "郓民救〔2026〕12号"}); r.Status != 200 {
		env.t.Fatalf("clear: %d %s", r.Status, r.Body)
	}
	r := env.do("POST", "/api/v1/needs/"+id+"/publish", worker, nil)
	if r.Status != 200 {
		env.t.Fatalf("publish: %d %s", r.Status, r.Body)
	}
	return r.JSON(env.t)
}

func TestNeedLifecycleThroughNotice(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		worker, wp := env.user(kernel.RoleSocialWorker, nil)
		verifier, _ := env.user(kernel.RoleVerifier, nil)
		r := env.do("POST", "/api/v1/needs", worker, needBody())
		if r.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		created := r.JSON(t)
		id := created["id"].(string)
		if created["status"] != "submitted" || created["requested_fen"] != float64(3_000_000) {
			t.Fatalf("created: status %v requested %v", created["status"], created["requested_fen"])
		}
		// Monday 2026-11-23 09:00 UTC + 2 working days = Wednesday.
		if created["clearance_due_at"] != "2026-11-25T09:00:00Z" {
			t.Errorf("clearance_due_at = %v", created["clearance_due_at"])
		}
		// Publishing before clearance is an invalid transition.
		if r := env.do("POST", "/api/v1/needs/"+id+"/publish", worker, nil); r.Status != http.StatusConflict {
			t.Errorf("publish before clearance: %d %s", r.Status, r.Body)
		}
		pub := env.clearAndPublish(id, worker, verifier)
		if pub["status"] != "notice" || pub["published_at"] == nil || pub["consent_public"] != true {
			t.Fatalf("published: %v", pub)
		}
		proj := pub["projection"].(map[string]any)
		if strings.Contains(proj["title"].(string), "张建华") || strings.Contains(proj["story"].(string), "王秀英") {
			t.Errorf("projection not scrubbed: %v", proj)
		}
		// The outbox got a row in the publishing transaction.
		var outbox int64
		env.db.Gorm.Raw("SELECT COUNT(*) FROM search_outbox").Scan(&outbox)
		if outbox == 0 {
			t.Error("no search_outbox row after publishing")
		}
		// Notice ends after 120h: open without any job.
		env.advance(121 * time.Hour)
		worker = env.token(wp)
		priv := env.do("GET", "/api/v1/needs/"+id+"/private", worker, nil)
		if priv.Status != 200 {
			t.Fatalf("private: %d %s", priv.Status, priv.Body)
		}
		p := priv.JSON(t)
		if p["status"] != "open" {
			t.Errorf("after notice: status %v", p["status"])
		}
		ben := p["beneficiary"].(map[string]any)
		if ben["name"] != "张建华" || ben["id_number"] != idNumber("371725", "19800315", "123") {
			t.Errorf("private beneficiary: %v", ben)
		}
		if evs := p["events"].([]any); len(evs) != 3 {
			t.Errorf("events: %d, want 3 (submit, clearance, publish)", len(evs))
		}
		// The audit chain of the need has the three entries.
		entries, err := env.store.AuditEntries(context.Background(), "need:"+id)
		if err != nil || len(entries) != 3 {
			t.Fatalf("audit entries: %d, %v", len(entries), err)
		}
		for _, e := range entries {
			if strings.Contains(e.Detail, "张") || strings.Contains(e.Detail, "郓民救") {
				t.Errorf("audit detail carries private text: %s", e.Detail)
			}
		}
	})
}

// token issues a fresh token for p (after the clock moved past the old one's expiry).
func (env *testEnv) token(p *kernel.Principal) string {
	env.t.Helper()
	tok, _, err := env.srv.Tokens.Issue(p.User.PublicID, p.RoleNames(), testID())
	if err != nil {
		env.t.Fatal(err)
	}
	return tok
}
