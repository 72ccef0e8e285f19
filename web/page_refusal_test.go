package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
)

// TestClearancePageShowsAScreeningBlock: a verifier who clears, on the
// page, a need whose screening blocks gets the need's page back with the
// API's status (422) and the reason in Chinese, not an error page or an
// English error chain, and the need is not cleared.
func TestClearancePageShowsAScreeningBlock(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		env.needs.Screener = env.screening
		id := idNumberWithX(t)
		worker, _ := env.user(kernel.RoleSocialWorker, nil)
		body := needBody()
		body["beneficiary"].(map[string]any)["id_number"] = id
		r := env.do(http.MethodPost, "/api/v1/needs", worker, body)
		if r.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		needID := r.JSON(t)["id"].(string)
		// The record shows 30,000 yuan of medical aid for the stay where
		// 20,000 was declared: the 30,000 asked is above 50,000 − 30,000.
		env.statutoryPaymentOf(needID, kernel.ProgMedical, 3_000_000, "2026-11-15", "2026-11-15")
		_, vp := env.user(kernel.RoleVerifier, nil)
		v := newBrowser(env)
		v.login(vp)
		res := v.form("/staff/needs/"+needID+"/clearance", url.Values{"decision": {"cleared"}, "reference": {"郓民救〔2026〕12号"}})
		page := res.Body.String()
		if res.Code != http.StatusUnprocessableEntity || !strings.Contains(page, "筛查结果阻止了这个操作") || !strings.Contains(page, "待核实") ||
			!strings.Contains(page, `action="/staff/needs/`+needID+`/clearance"`) {
			t.Fatalf("clearing a blocked need: %d %.600s", res.Code, page)
		}
		for _, internal := range []string{"screening blocks", "marketplace:", "kernel."} {
			if strings.Contains(page, internal) {
				t.Errorf("the page shows %q", internal)
			}
		}
		var status string
		if err := env.db.Gorm.Raw("SELECT status FROM needs WHERE public_id = ?", needID).Scan(&status).Error; err != nil || status != string(kernel.NeedSubmitted) {
			t.Errorf("the need is %q after a refused clearance (%v)", status, err)
		}
	})
}
