package web

import (
	"encoding/json"
	"maps"
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
)

// wantInvalid fails unless r is a 400 whose error.fields names field, with a
// reason in words (no Go type names).
func wantInvalid(t *testing.T, r response, field string) {
	t.Helper()
	var e errorBody
	if err := json.Unmarshal(r.Body, &e); err != nil || r.Status != 400 || e.Error.Fields[field] == "" {
		t.Fatalf("%d %s, want 400 naming %q", r.Status, r.Body, field)
	}
	for _, goName := range []string{"time.Time", "int64", "float64", "json:", "Unmarshal", "struct", "ptr"} {
		if strings.Contains(e.Error.Fields[field], goName) {
			t.Errorf("the reason for %s speaks Go: %q", field, e.Error.Fields[field])
		}
	}
}

// What docs/openapi.yaml forbids, the API refuses, naming the field or
// parameter, and writes nothing.
func TestAPIRefusesWhatItsDescriptionForbids(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		worker, _ := env.user(kernel.RoleSocialWorker, nil)
		staff, _ := env.user(kernel.RoleFederationStaff, nil)

		t.Run("a need without statutory relief", func(t *testing.T) {
			before := env.rowCounts()
			body := needBody()
			delete(body, "statutory_relief_fen")
			wantInvalid(t, env.do("POST", "/api/v1/needs", worker, body), "statutory_relief_fen")
			body = needBody()
			body["statutory_relief_fen"] = nil
			wantInvalid(t, env.do("POST", "/api/v1/needs", worker, body), "statutory_relief_fen")
			if after := env.rowCounts(); !maps.Equal(before, after) {
				t.Errorf("rows changed: %v → %v", before, after)
			}
		})

		for _, path := range []string{"/api/v1/volunteers", "/api/v1/reports", "/api/v1/funds", "/api/v1/projects", "/api/v1/disclosures"} {
			tok := staff
			if path == "/api/v1/reports" {
				tok = worker
			}
			for _, limit := range []string{"-1", "0", "abc", "1e20", "501", "99999999999999999999"} {
				t.Run(path+" limit="+limit, func(t *testing.T) {
					wantInvalid(t, env.do("GET", path+"?limit="+limit, tok, nil), "limit")
				})
			}
			if r := env.do("GET", path+"?limit=500", tok, nil); r.Status != 200 {
				t.Errorf("%s?limit=500: %d %s", path, r.Status, r.Body)
			}
		}

		t.Run("required numbers left out", func(t *testing.T) {
			donor, _ := env.user(kernel.RoleDonor, nil)
			volunteer, _ := env.user(kernel.RoleVolunteer, nil)
			const id = "01jjnotanid000000000000000"
			for _, tc := range []struct {
				path, token string
				body        map[string]any
				field       string
			}{
				{"/api/v1/pledges", donor, map[string]any{"target_type": "fund", "target_id": id}, "amount_fen"},
				{"/api/v1/recurring-pledges", donor, map[string]any{"target_type": "fund", "target_id": id, "amount_fen": 100}, "day_of_month"},
				{"/api/v1/funds/" + id + "/allocations", staff, map[string]any{"need_id": id}, "amount_fen"},
				{"/api/v1/needs/" + id + "/claims", volunteer, map[string]any{"service": "tutoring"}, "window_days"},
				{"/api/v1/service-pledges", volunteer, map[string]any{"need_id": id, "skill": "tutoring"}, "hours"},
			} {
				wantInvalid(t, env.do("POST", tc.path, tc.token, tc.body), tc.field)
			}
			r := env.do("PUT", "/api/v1/volunteers/me", volunteer, map[string]any{"regions": []string{"371725"},
				"availability": []map[string]any{{"from": "09:00", "to": "12:00"}}})
			wantInvalid(t, r, "availability[0].weekday")
		})

		t.Run("a project period of the wrong type", func(t *testing.T) {
			for _, from := range []any{20261201, true, "next week", []string{"2026-12-01"}} {
				r := env.do("POST", "/api/v1/projects", staff, map[string]any{"title": "助学", "description": "学费",
					"period": map[string]any{"from": from, "to": "2027-06-30T00:00:00+08:00"}})
				wantInvalid(t, r, "period.from")
			}
		})

		t.Run("a body that is null or not an object", func(t *testing.T) {
			for _, body := range []string{"null", "[]", `"x"`, "12"} {
				wantInvalid(t, env.do("POST", "/api/v1/projects", staff, body), "body")
			}
		})

		t.Run("control characters in text", func(t *testing.T) {
			body := needBody()
			body["title"] = "张建华\x00透析费用"
			wantInvalid(t, env.do("POST", "/api/v1/needs", worker, body), "title")
			body = needBody()
			body["beneficiary"].(map[string]any)["members"].([]map[string]any)[0]["name"] = "王秀\x1b英"
			wantInvalid(t, env.do("POST", "/api/v1/needs", worker, body), "beneficiary.members[0].name")
		})
	})
}
