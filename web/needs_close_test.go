package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// TestNeedClose: the posting organization's social worker closes a need
// money was given to (结案), with a note; nobody else can, a need without
// money is withdrawn instead, a closed need takes no more money, and money
// allocated but not paid out goes back to its fund.
func TestNeedClose(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		worker, workerP := env.user(kernel.RoleSocialWorker, nil)
		verifier, verifierP := env.user(kernel.RoleVerifier, nil)

		paid := env.createNeed(worker, needBody())
		env.clearAndPublish(paid, worker, verifier)
		b := needBody()
		b["beneficiary"].(map[string]any)["id_number"] = idNumber("371725", "19700101", "135")
		partly := env.createNeed(worker, b)
		env.clearAndPublish(partly, worker, verifier)
		b = needBody()
		b["beneficiary"].(map[string]any)["id_number"] = idNumber("371725", "19800101", "246")
		nothing := env.createNeed(worker, b)
		env.clearAndPublish(nothing, worker, verifier)
		env.advance(121 * time.Hour) // the notice ends: all three are open
		worker, verifier = env.token(workerP), env.token(verifierP)
		staff, staffP := env.user(kernel.RoleFederationStaff, nil)
		donor, _ := env.user(kernel.RoleDonor, nil)
		other := env.newOrg(kernel.OrgSocialWorkAgency, "371725")
		otherWorker, _ := env.user(kernel.RoleSocialWorker, other)
		fund := env.fundWithBalance(staffP, kernel.Restrictions{}, 5_000_000)
		alloc := func(need string, fen int64) response {
			t.Helper()
			return env.do("POST", "/api/v1/funds/"+fund+"/allocations", staff, map[string]any{"need_id": need, "amount_fen": fen})
		}
		// paid: fully funded and paid out; partly: 1,000,000 allocated, not paid.
		r := alloc(paid, 3_000_000)
		if r.Status != 201 {
			t.Fatalf("allocation: %d %s", r.Status, r.Body)
		}
		if r := env.do("POST", "/api/v1/allocations/"+r.JSON(t)["id"].(string)+"/disburse", staff, map[string]any{"payee_type": "provider",
			"payee_name": "郓城县人民医院", "reference": "YC-2026-1"}); r.Status != 200 {
			t.Fatalf("disbursement: %d %s", r.Status, r.Body)
		}
		if r := alloc(partly, 1_000_000); r.Status != 201 {
			t.Fatalf("allocation: %d %s", r.Status, r.Body)
		}

		for _, tc := range []struct {
			name, need, token string
			body              any
			status            int
			contains          string
		}{
			{"no note", paid, worker, map[string]any{}, 400, "note"},
			{"blank note", paid, worker, map[string]any{"note": "   "}, 400, "note"},
			{"note too long", paid, worker, map[string]any{"note": strings.Repeat("字", 2001)}, 400, "note"},
			{"unknown field", paid, worker, `{"note":"x","status":"closed"}`, 400, "status"},
			{"a verifier", paid, verifier, map[string]any{"note": "结案"}, 403, ""},
			{"federation staff", paid, staff, map[string]any{"note": "结案"}, 403, ""},
			{"a donor", paid, donor, map[string]any{"note": "结案"}, 403, ""},
			{"anonymous", paid, "", map[string]any{"note": "结案"}, 401, ""},
			{"another organization's worker", paid, otherWorker, map[string]any{"note": "结案"}, 404, ""},
			{"no money given", nothing, worker, map[string]any{"note": "结案"}, 409, "withdraw"},
			{"no such need", "01nosuchneed0000000000000", worker, map[string]any{"note": "结案"}, 404, ""},
		} {
			r := env.do("POST", "/api/v1/needs/"+tc.need+"/close", tc.token, tc.body, "Accept-Language", "en")
			if r.Status != tc.status || !strings.Contains(string(r.Body), tc.contains) {
				t.Errorf("%s: %d %s; want %d with %q", tc.name, r.Status, r.Body, tc.status, tc.contains)
			}
		}
		if got := env.status(paid, worker); got != "disbursed" {
			t.Fatalf("refused closes changed the need: %s", got)
		}

		// The normal end: paid out, then closed.
		r = env.do("POST", "/api/v1/needs/"+paid+"/close", worker, map[string]any{"note": "透析疗程结束，费用已全部拨付医院"})
		if r.Status != 200 || r.JSON(t)["status"] != "closed" {
			t.Fatalf("close: %d %s", r.Status, r.Body)
		}
		if r := env.do("POST", "/api/v1/needs/"+paid+"/close", worker, map[string]any{"note": "再次结案"}); r.Status != http.StatusConflict {
			t.Errorf("closing twice: %d %s", r.Status, r.Body)
		}
		if r := env.do("POST", "/api/v1/needs/"+paid+"/withdraw", worker, map[string]any{}); r.Status != http.StatusConflict {
			t.Errorf("withdrawing a closed need: %d %s", r.Status, r.Body)
		}
		if _, err := env.indexer.Drain(t.Context()); err != nil {
			t.Fatal(err)
		}
		pub := env.do("GET", "/api/v1/needs/"+paid, "", nil)
		if pub.Status != 200 || pub.JSON(t)["status"] != "closed" || strings.Contains(string(pub.Body), "透析疗程结束") {
			t.Errorf("public page of the closed need: %d %s", pub.Status, pub.Body)
		}
		priv := env.do("GET", "/api/v1/needs/"+paid+"/private", worker, nil)
		if !strings.Contains(string(priv.Body), "need.close") {
			t.Errorf("the private record has no close event: %s", priv.Body)
		}

		// Closed early with money allocated and not paid out: no more money
		// goes to it, and the allocation goes back to the fund.
		// This one from the need's page.
		wb := newBrowser(env)
		wb.login(workerP)
		form := `action="/staff/needs/` + partly + `/close"`
		if page := wb.do(http.MethodGet, "/staff/needs/"+partly, nil).Body.String(); !strings.Contains(page, form) || !strings.Contains(page, "退回原基金") {
			t.Errorf("the worker's page of a need with money allocated offers no close form with its consequence")
		}
		if page := wb.do(http.MethodGet, "/staff/needs/"+nothing, nil).Body.String(); strings.Contains(page, "/close\"") {
			t.Errorf("the page of a need without money offers to close it")
		}
		if r := wb.form("/staff/needs/"+partly+"/close", url.Values{"note": {""}}); r.Code != http.StatusBadRequest || env.status(partly, worker) != "open" {
			t.Errorf("closing from the page without a note: %d, need %s", r.Code, env.status(partly, worker))
		}
		if r := wb.form("/staff/needs/"+partly+"/close", url.Values{"note": {"患者已转院，由对方医院救助"}}); r.Code != http.StatusSeeOther {
			t.Fatalf("close from the page: %d %s", r.Code, r.Body)
		}
		if got := env.status(partly, worker); got != "closed" {
			t.Fatalf("closed from the page, the need is %s", got)
		}
		if r := alloc(partly, 1_000); r.Status < 400 {
			t.Errorf("allocation to a closed need: %d %s", r.Status, r.Body)
		}
		if n, err := env.funds.ReturnAllocations(t.Context()); err != nil || n != 1 {
			t.Fatalf("returned %d allocations, %v", n, err)
		}
		f := env.do("GET", "/api/v1/funds/"+fund, "", nil).JSON(t)
		if f["balance_fen"].(float64) != 2_000_000 {
			t.Errorf("fund balance after the return: %v, want 2,000,000 (5,000,000 less the 3,000,000 paid out)", f["balance_fen"])
		}
		var funded int64
		env.db.Gorm.Raw("SELECT funded_fen FROM needs WHERE public_id = ?", partly).Scan(&funded)
		if funded != 0 {
			t.Errorf("the closed need still counts %d fen funded", funded)
		}
	})
}
