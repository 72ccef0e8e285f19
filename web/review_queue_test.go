package web

import (
	"net/http"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
)

type queuePageBody struct {
	queueBody
	Total      int  `json:"total"`
	Limit      int  `json:"limit"`
	Offset     int  `json:"offset"`
	NextOffset *int `json:"next_offset"`
}

// TestClearanceTakesItsWarningsOffTheQueue: a worker declares 20,000 yuan
// of statutory relief where the record holds 15,000 (a warning). Cleared
// with the figure corrected, or cleared as declared by a verifier who saw
// the warning, the case leaves the review queue; a block stays.
func TestClearanceTakesItsWarningsOffTheQueue(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		env.needs.Screener = env.screening
		env.funds.Screener = env.screening
		worker, _ := env.user(kernel.RoleSocialWorker, nil)
		verifier, _ := env.user(kernel.RoleVerifier, nil)
		post := func(seq string, recordFen int64) string {
			b := needBody()
			ben := b["beneficiary"].(map[string]any)
			ben["id_number"] = idNumber("371725", "19800315", seq)
			ben["household_types"] = []string{"expenditure_hardship"}
			n := env.createNeed(worker, b)
			env.statutoryPaymentOf(n, kernel.ProgMedical, recordFen, "2026-12-01", "2026-12-01")
			// The payment reached the record after the need was posted: a
			// verifier's re-check finds it.
			if r := env.do(http.MethodPost, "/api/v1/needs/"+n+"/screening/run", verifier, nil); r.Status != http.StatusCreated {
				t.Fatalf("re-check: %d %s", r.Status, r.Body)
			}
			return n
		}
		corrected := post("311", 1_500_000)
		seen := post("313", 1_500_000)
		// 25,000 on record: at most 25,000 may be asked, and 30,000 is.
		blocked := post("315", 2_500_000)
		q := decodeInto[queuePageBody](t, env.do(http.MethodGet, "/api/v1/review-queue", verifier, nil))
		if q.Total != 3 || len(q.Items) != 3 || q.Items[0].Need.ID != blocked {
			t.Fatalf("queue before clearance: total %d, %+v", q.Total, q.Items)
		}
		if r := env.do(http.MethodPost, "/api/v1/needs/"+corrected+"/clearance", verifier, map[string]any{"decision": "cleared", "statutory_relief_fen": 1_500_000, "reference": "民救2026-1"}); r.Status != http.StatusOK {
			t.Fatalf("clear with the corrected figure: %d %s", r.Status, r.Body)
		}
		if r := env.do(http.MethodPost, "/api/v1/needs/"+seen+"/clearance", verifier, map[string]any{"decision": "cleared", "reference": "民救2026-2"}); r.Status != http.StatusOK {
			t.Fatalf("clear as declared: %d %s", r.Status, r.Body)
		}
		if r := env.do(http.MethodPost, "/api/v1/needs/"+blocked+"/clearance", verifier, map[string]any{"decision": "cleared", "reference": "民救2026-3"}); r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("clear a blocked need: %d %s", r.Status, r.Body)
		}
		q = decodeInto[queuePageBody](t, env.do(http.MethodGet, "/api/v1/review-queue", verifier, nil))
		if q.Total != 1 || len(q.Items) != 1 || q.Items[0].Need.ID != blocked || q.NextOffset != nil {
			t.Fatalf("queue after clearance: total %d, items %+v", q.Total, q.Items)
		}
		if q.Items[0].Need.RegionCode != "371725" || q.Items[0].Need.RegionName == "" {
			t.Errorf("the case has no region: %+v", q.Items[0].Need)
		}
		var acts []struct{ Actor, Action string }
		env.db.Gorm.Raw(`SELECT actor, action FROM audit_log WHERE stream = ? AND action LIKE 'screening.%' ORDER BY seq`, "need:"+seen).Scan(&acts)
		if len(acts) != 1 || acts[0].Action != "screening.acknowledge" {
			t.Errorf("audit of the need cleared with its warning: %+v", acts)
		}
		for _, tc := range []struct {
			name, query string
			want        int
		}{
			{"an unknown rule", "?rule=fraud", 400},
			{"a negative offset", "?offset=-1", 400},
			{"a region that is no code", "?region=37%25", 400},
			{"a rule and a region", "?rule=statutory_overlap&region=3717&limit=1", 200},
		} {
			if r := env.do(http.MethodGet, "/api/v1/review-queue"+tc.query, verifier, nil); r.Status != tc.want {
				t.Errorf("%s: %d, want %d: %s", tc.name, r.Status, tc.want, r.Body)
			}
		}
		q = decodeInto[queuePageBody](t, env.do(http.MethodGet, "/api/v1/review-queue?rule=over_allocation", verifier, nil))
		if q.Total != 0 || len(q.Items) != 0 {
			t.Errorf("over-allocation cases: %d", q.Total)
		}
	})
}
