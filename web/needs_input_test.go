package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
)

// rowCounts counts the rows the need lifecycle writes.
func (env *testEnv) rowCounts() map[string]int64 {
	env.t.Helper()
	out := map[string]int64{}
	for _, tbl := range []string{"needs", "beneficiaries", "need_events", "need_objections", "need_updates", "audit_log", "search_outbox"} {
		var n int64
		if err := env.db.Gorm.Raw("SELECT COUNT(*) FROM " + tbl).Scan(&n).Error; err != nil {
			env.t.Fatal(err)
		}
		out[tbl] = n
	}
	return out
}

func sameCounts(t *testing.T, before, after map[string]int64) {
	t.Helper()
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s: %d rows before, %d after: something was written", k, v, after[k])
		}
	}
}

// with returns a copy of needBody changed by fn.
func with(fn func(b map[string]any)) map[string]any {
	b := needBody()
	fn(b)
	return b
}

func ben(b map[string]any) map[string]any { return b["beneficiary"].(map[string]any) }

func TestNeedBadInputNamesTheFieldAndWritesNothing(t *testing.T) {
	good := idNumber("371725", "19800315", "123")
	wrongCheck := good[:17] + map[bool]string{true: "1", false: "2"}[good[17] != '1']
	cases := []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"wrong ID check character", with(func(b map[string]any) { ben(b)["id_number"] = wrongCheck }), "beneficiary.id_number"},
		{"impossible birth date", with(func(b map[string]any) { ben(b)["id_number"] = idNumber("371725", "19800230", "123") }), "beneficiary.id_number"},
		{"birth date in the future", with(func(b map[string]any) { ben(b)["id_number"] = idNumber("371725", "20300101", "123") }), "beneficiary.id_number"},
		{"short ID number", with(func(b map[string]any) { ben(b)["id_number"] = "37172519800315" }), "beneficiary.id_number"},
		{"member's ID number wrong", with(func(b map[string]any) {
			ben(b)["members"] = []map[string]any{{"name": "王秀英", "relation": "spouse", "id_number": wrongCheck}}
		}), "beneficiary.members[0].id_number"},
		{"unknown region", with(func(b map[string]any) { ben(b)["region_code"] = "379999" }), "beneficiary.region_code"},
		{"province is too coarse", with(func(b map[string]any) { ben(b)["region_code"] = "370000" }), "beneficiary.region_code"},
		{"injection in region", with(func(b map[string]any) { ben(b)["region_code"] = "371725' OR 1=1 --" }), "beneficiary.region_code"},
		{"bad phone", with(func(b map[string]any) { ben(b)["phone"] = "12345" }), "beneficiary.phone"},
		{"missing name", with(func(b map[string]any) { ben(b)["name"] = "  " }), "beneficiary.name"},
		{"unknown household type", with(func(b map[string]any) { ben(b)["household_types"] = []string{"rich"} }), "beneficiary.household_types"},
		{"unknown category", with(func(b map[string]any) { b["category"] = "luxury" }), "category"},
		{"unknown urgency", with(func(b map[string]any) { b["urgency"] = "now" }), "urgency"},
		{"unknown service", with(func(b map[string]any) { b["service_needs"] = []string{"flying"} }), "service_needs"},
		{"negative cost", with(func(b map[string]any) { b["verified_cost_fen"] = -100 }), "verified_cost_fen"},
		{"absurd cost", with(func(b map[string]any) { b["verified_cost_fen"] = int64(10_000_000_001) }), "verified_cost_fen"},
		{"negative statutory relief", with(func(b map[string]any) { b["statutory_relief_fen"] = -1 }), "statutory_relief_fen"},
		{"statutory relief above cost", with(func(b map[string]any) { b["statutory_relief_fen"] = 6_000_000 }), "statutory_relief_fen"},
		{"requested above cost less relief", with(func(b map[string]any) { b["requested_fen"] = 3_000_001 }), "requested_fen"},
		{"requested zero", with(func(b map[string]any) { b["requested_fen"] = 0 }), "requested_fen"},
		{"nothing left to request", with(func(b map[string]any) { b["statutory_relief_fen"] = 5_000_000 }), "requested_fen"},
		{"title too long", with(func(b map[string]any) { b["title"] = strings.Repeat("救", 101) }), "title"},
		{"story too long", with(func(b map[string]any) { b["story"] = strings.Repeat("难", 5001) }), "story"},
		{"empty story", with(func(b map[string]any) { b["story"] = "" }), "story"},
		{"cost period reversed", with(func(b map[string]any) { b["cost_period"] = map[string]any{"from": "2026-12-01", "to": "2026-11-01"} }), "cost_period.to"},
		{"cost period not a date", with(func(b map[string]any) { b["cost_period"] = map[string]any{"from": "yesterday", "to": "2026-11-01"} }), "cost_period.from"},
		{"deadline in the past", with(func(b map[string]any) { b["deadline"] = "2026-11-01" }), "deadline"},
		{"child consents for themselves", with(func(b map[string]any) {
			ben(b)["id_number"] = idNumber("371725", "20150601", "234")
			b["consent"] = map[string]any{"given": true, "given_by": "张小明", "relation": "self", "method": "written", "at": "2026-11-20"}
		}), "consent.relation"},
		{"consent without method", with(func(b map[string]any) {
			b["consent"] = map[string]any{"given": true, "given_by": "张建华", "relation": "self", "at": "2026-11-20"}
		}), "consent.method"},
		{"consent in the future", with(func(b map[string]any) {
			b["consent"] = map[string]any{"given": true, "given_by": "张建华", "relation": "self", "method": "written", "at": "2027-01-01"}
		}), "consent.at"},
		{"amount as a string", with(func(b map[string]any) { b["verified_cost_fen"] = "5000000" }), "verified_cost_fen"},
		{"unknown field", with(func(b map[string]any) { b["bank_account"] = "6222020200112233445" }), "bank_account"},
	}
	each(t, func(t *testing.T, env *testEnv) {
		worker, _ := env.user(kernel.RoleSocialWorker, nil)
		before := env.rowCounts()
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				for _, path := range []string{"/api/v1/needs", "/api/v1/needs/preview"} {
					r := env.do("POST", path, worker, tc.body)
					if r.Status != http.StatusBadRequest {
						t.Fatalf("%s: %d %s", path, r.Status, r.Body)
					}
					var e errorBody
					if err := jsonUnmarshal(r.Body, &e); err != nil || e.Error.Fields[tc.field] == "" {
						t.Errorf("%s: field %q not named: %s", path, tc.field, r.Body)
					}
					// The answer never echoes an ID number.
					if strings.Contains(string(r.Body), good[:14]) {
						t.Errorf("%s: error echoes the ID number: %s", path, r.Body)
					}
				}
			})
		}
		sameCounts(t, before, env.rowCounts())

		// Invalid transitions and decisions: nothing written either.
		verifier, _ := env.user(kernel.RoleVerifier, nil)
		id := env.createNeed(worker, needBody())
		before = env.rowCounts()
		bad := []struct {
			name, path, token string
			body              any
			status            int
		}{
			{"unknown decision", "/clearance", verifier, map[string]any{"decision": "maybe"}, 400},
			{"reject without note", "/clearance", verifier, map[string]any{"decision": "rejected"}, 400},
			{"statutory above cost at clearance", "/clearance", verifier, map[string]any{"decision": "cleared", "statutory_relief_fen": 6_000_000}, 400},
			{"negative statutory at clearance", "/clearance", verifier, map[string]any{"decision": "cleared", "statutory_relief_fen": -5}, 400},
			{"publish before clearance", "/publish", worker, nil, 409},
			{"objection before notice", "/objections", "", map[string]any{"text": "有异议", "anonymous": true}, 404},
			{"update before publication", "/updates", worker, map[string]any{"text": "进展"}, 409},
			{"confirm before publication", "/confirm-still-needed", worker, nil, 409},
			{"note too long", "/withdraw", worker, map[string]any{"note": strings.Repeat("字", 2001)}, 400},
		}
		for _, b := range bad {
			if r := env.do("POST", "/api/v1/needs/"+id+b.path, b.token, b.body); r.Status != b.status {
				t.Errorf("%s: %d %s, want %d", b.name, r.Status, r.Body, b.status)
			}
		}
		sameCounts(t, before, env.rowCounts())
		// Cleared once, it cannot be cleared again or withdrawn twice.
		if r := env.do("POST", "/api/v1/needs/"+id+"/clearance", verifier, map[string]any{"decision": "cleared"}); r.Status != 200 {
			t.Fatalf("clear: %d %s", r.Status, r.Body)
		}
		if r := env.do("POST", "/api/v1/needs/"+id+"/clearance", verifier, map[string]any{"decision": "rejected", "note": "x"}); r.Status != http.StatusConflict {
			t.Errorf("second clearance: %d", r.Status)
		}
		if r := env.do("POST", "/api/v1/needs/"+id+"/withdraw", worker, map[string]any{}); r.Status != 200 {
			t.Errorf("withdraw: %d %s", r.Status, r.Body)
		}
		for _, p := range []string{"/withdraw", "/publish"} {
			if r := env.do("POST", "/api/v1/needs/"+id+p, worker, map[string]any{}); r.Status != http.StatusConflict {
				t.Errorf("%s after withdrawal: %d", p, r.Status)
			}
		}
	})
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
