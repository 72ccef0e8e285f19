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
// money is withdrawn instead, a need holding money not paid out is closed
// only with the reason it will not be paid out (refused with the amount
// otherwise, in the API and on the page), a closed need takes no more
// money, and money allocated but not paid out goes back to its fund.
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
		b = needBody()
		b["beneficiary"].(map[string]any)["id_number"] = idNumber("371725", "19900101", "357")
		early := env.createNeed(worker, b)
		env.clearAndPublish(early, worker, verifier)
		env.advance(121 * time.Hour) // the notice ends: all four are open
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
		// paid: fully funded and paid out; partly: 1,000,000 allocated, not
		// paid; early: 500,000 allocated, not paid.
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
		if r := alloc(early, 500_000); r.Status != 201 {
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
			{"money not paid out, no reason", partly, worker, map[string]any{"note": "结案"}, 409, "¥10,000.00 of this need's money has not been paid out"},
			{"money not paid out, a blank reason", partly, worker, map[string]any{"note": "结案", "unpaid_reason": " \n "}, 409, "¥10,000.00"},
			{"unpaid reason too long", partly, worker, map[string]any{"note": "结案", "unpaid_reason": strings.Repeat("字", 2001)}, 400, "unpaid_reason"},
			{"unpaid reason not text", partly, worker, map[string]any{"note": "结案", "unpaid_reason": 1}, 400, "unpaid_reason"},
		} {
			r := env.do("POST", "/api/v1/needs/"+tc.need+"/close", tc.token, tc.body, "Accept-Language", "en")
			if r.Status != tc.status || !strings.Contains(string(r.Body), tc.contains) {
				t.Errorf("%s: %d %s; want %d with %q", tc.name, r.Status, r.Body, tc.status, tc.contains)
			}
		}
		if got := env.status(paid, worker); got != "disbursed" {
			t.Fatalf("refused closes changed the need: %s", got)
		}
		if got := env.status(partly, worker); got != "open" {
			t.Fatalf("refused closes changed the need with money not paid out: %s", got)
		}
		// In Chinese, with the amount in yuan.
		r = env.do("POST", "/api/v1/needs/"+partly+"/close", worker, map[string]any{"note": "结案"})
		if e, _ := r.JSON(t)["error"].(map[string]any); r.Status != http.StatusConflict || e["message"] != "本需求还有 ¥10,000.00 未拨付。请先拨付给服务提供方，或说明不再拨付的原因。" {
			t.Errorf("closing with money not paid out, in Chinese: %d %s", r.Status, r.Body)
		}
		// With the reason it closes, and the reason is on the private record.
		r = env.do("POST", "/api/v1/needs/"+early+"/close", worker, map[string]any{"note": "治疗终止", "unpaid_reason": "患者家属决定终止治疗"})
		if r.Status != 200 || r.JSON(t)["status"] != "closed" {
			t.Fatalf("close with an unpaid reason: %d %s", r.Status, r.Body)
		}
		if priv := env.do("GET", "/api/v1/needs/"+early+"/private", worker, nil); !strings.Contains(string(priv.Body), `"unpaid_reason":"患者家属决定终止治疗"`) {
			t.Errorf("the private record has no unpaid reason: %s", priv.Body)
		}

		// The page of a need whose money was all paid out asks no reason.
		wb := newBrowser(env)
		wb.login(workerP)
		if page := wb.do(http.MethodGet, "/staff/needs/"+paid, nil).Body.String(); !strings.Contains(page, "尚未拨付：¥0.00") || strings.Contains(page, `name="unpaid_reason"`) {
			t.Errorf("the close form of a need paid out: want ¥0.00 not paid out and no unpaid_reason field")
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
		form := `action="/staff/needs/` + partly + `/close"`
		page := wb.do(http.MethodGet, "/staff/needs/"+partly, nil).Body.String()
		if !strings.Contains(page, form) || !strings.Contains(page, "退回原基金") || !strings.Contains(page, "尚未拨付：¥10,000.00") ||
			!strings.Contains(page, `name="unpaid_reason"`) || !strings.Contains(page, "最好先将这笔钱拨付给服务提供方") {
			t.Errorf("the worker's page of a need with money allocated offers no close form with the money not paid out, its consequence and the unpaid reason")
		}
		if page := wb.do(http.MethodGet, "/staff/needs/"+nothing, nil).Body.String(); strings.Contains(page, "/close\"") {
			t.Errorf("the page of a need without money offers to close it")
		}
		if r := wb.form("/staff/needs/"+partly+"/close", url.Values{"note": {""}}); r.Code != http.StatusBadRequest || env.status(partly, worker) != "open" {
			t.Errorf("closing from the page without a note: %d, need %s", r.Code, env.status(partly, worker))
		}
		r2 := wb.form("/staff/needs/"+partly+"/close", url.Values{"note": {"患者已转院"}})
		if page := r2.Body.String(); r2.Code != http.StatusConflict || !strings.Contains(page, "本需求还有 ¥10,000.00 未拨付。请先拨付给服务提供方，或说明不再拨付的原因。") ||
			!strings.Contains(page, form) || strings.Contains(page, "fen") || strings.Contains(page, "marketplace") {
			t.Errorf("closing from the page without an unpaid reason: %d %.600s", r2.Code, page)
		}
		if got := env.status(partly, worker); got != "open" {
			t.Fatalf("a refused close from the page changed the need: %s", got)
		}
		if r := wb.form("/staff/needs/"+partly+"/close", url.Values{"note": {"患者已转院"}, "unpaid_reason": {"患者转院，由对方医院救助"}}); r.Code != http.StatusSeeOther {
			t.Fatalf("close from the page: %d %s", r.Code, r.Body)
		}
		if got := env.status(partly, worker); got != "closed" {
			t.Fatalf("closed from the page, the need is %s", got)
		}
		if page := wb.do(http.MethodGet, "/staff/needs/"+partly, nil).Body.String(); !strings.Contains(page, "不再拨付的原因：患者转院，由对方医院救助") {
			t.Errorf("the need's record on its page does not show the unpaid reason")
		}
		if r := alloc(partly, 1_000); r.Status < 400 {
			t.Errorf("allocation to a closed need: %d %s", r.Status, r.Body)
		}
		if n, err := env.funds.ReturnAllocations(t.Context()); err != nil || n != 2 {
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
