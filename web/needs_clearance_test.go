package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// TestClearanceScreensTheCorrectedFigures: a verifier who clears a need
// with a corrected statutory relief gets the screening answer for the
// corrected figures. The person's other need already holds 30,000 yuan of
// charity money; at the declared 20,000 yuan of relief the second need's
// limit is 30,000 yuan (nothing above it), at the corrected 25,000 it is
// 25,000, which the money already given exceeds: the clearance is blocked.
func TestClearanceScreensTheCorrectedFigures(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		env.needs.Screener = env.screening
		env.funds.Screener = env.screening
		worker, _ := env.user(kernel.RoleSocialWorker, nil)
		otherWorker, _ := env.user(kernel.RoleSocialWorker, env.orgs[kernel.OrgCharity])
		verifier, _ := env.user(kernel.RoleVerifier, nil)
		a := env.createNeed(worker, needBody())
		env.clearAndPublish(a, worker, verifier)
		env.advance(121 * time.Hour)
		otherWorker, _ = env.user(kernel.RoleSocialWorker, env.orgs[kernel.OrgCharity])
		verifier, _ = env.user(kernel.RoleVerifier, nil)
		staff, staffP := env.user(kernel.RoleFederationStaff, nil)
		fund := env.fundWithBalance(staffP, kernel.Restrictions{Categories: []kernel.Category{kernel.CatMedical}}, 10_000_000)
		if r := env.do(http.MethodPost, "/api/v1/funds/"+fund+"/allocations", staff, map[string]any{"need_id": a, "amount_fen": 3_000_000}, "Idempotency-Key", "alloc-a"); r.Status != http.StatusCreated {
			t.Fatalf("allocate to the first need: %d %s", r.Status, r.Body)
		}
		b := env.createNeed(otherWorker, needBody())

		r := env.do(http.MethodPost, "/api/v1/needs/"+b+"/clearance", verifier, map[string]any{"decision": "cleared", "statutory_relief_fen": 2_500_000, "reference": "民救2026-90"})
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("clearance with relief corrected to 25,000 yuan: %d %s, want 422", r.Status, r.Body)
		}
		var e struct {
			Error struct {
				Code    string           `json:"code"`
				Details kernel.Screening `json:"details"`
			} `json:"error"`
		}
		_ = json.Unmarshal(r.Body, &e)
		if e.Error.Code != "screening_block" || e.Error.Details.Stage != kernel.StageClear || len(e.Error.Details.Checks) < 3 ||
			e.Error.Details.Checks[2].Rule != kernel.RuleOverAllocation || e.Error.Details.Checks[2].Result != kernel.ScreenBlock ||
			!strings.Contains(e.Error.Details.Checks[2].Message, "25000.00") {
			t.Fatalf("the screening is not the corrected figures': %s", r.Body)
		}
		p := env.do(http.MethodGet, "/api/v1/needs/"+b+"/private", verifier, nil).JSON(t)
		if p["status"] != "submitted" || p["statutory_relief_fen"] != float64(2_500_000) || p["requested_fen"] != float64(2_500_000) {
			t.Errorf("after the blocked clearance: %v, relief %v, requested %v; want submitted with the corrected figures", p["status"], p["statutory_relief_fen"], p["requested_fen"])
		}
		// Back at 20,000 yuan of relief the money given stays within the limit.
		r = env.do(http.MethodPost, "/api/v1/needs/"+b+"/clearance", verifier, map[string]any{"decision": "cleared", "statutory_relief_fen": 2_000_000, "reference": "民救2026-91"})
		if r.Status != http.StatusOK || r.JSON(t)["status"] != "cleared" {
			t.Fatalf("clearance with relief 20,000 yuan: %d %s", r.Status, r.Body)
		}
	})
}
