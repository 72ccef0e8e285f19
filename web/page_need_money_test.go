package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// blockDisbursement is a screener whose answer blocks every payment out of
// a need (and clears everything else).
type blockDisbursement struct{}

func (blockDisbursement) Screen(_ context.Context, need string, stage kernel.ScreeningStage, amount int64) (*kernel.Screening, error) {
	res := kernel.ScreenClear
	if stage == kernel.StageDisburse {
		res = kernel.ScreenBlock
	}
	return &kernel.Screening{NeedID: need, Stage: stage, Result: res, AmountFen: amount}, nil
}

// internalWords are what a page must never show of an error chain.
var internalWords = regexp.MustCompile(`not eligible|funds: |kernel\.|\bfen\b|conflict: |forbidden`)

// TestNeedMoneyPages: the receiving federation's staff find the need on
// their list of needs to pay out, see its money by origin (定向捐赠, 配捐,
// 基金/项目拨款) and what is left, pay a hospital against its invoice (a
// double submit pays once), and read each refusal — a missing reason for
// the household, more than is left, a screening block — in Chinese on the
// page with what they typed; another federation's staff are told whose
// staff pay; the donor sees the payment on 我的捐赠.
func TestNeedMoneyPages(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		g := newGivenNeed(t, env)
		sb := newBrowser(env)
		sb.login(g.staffP)
		page := func() string {
			t.Helper()
			r := sb.do(http.MethodGet, "/staff/needs/"+g.id+"/money", nil)
			if r.Code != http.StatusOK {
				t.Fatalf("money page: %d %.300s", r.Code, r.Body)
			}
			return r.Body.String()
		}
		text := func(html string) string {
			return regexp.MustCompile(`\s+`).ReplaceAllString(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(html, " "), " ")
		}
		row := func(html, id string) string {
			t.Helper()
			m := regexp.MustCompile(`(?s)<table[^>]*id="` + id + `".*?</table>`).FindString(html)
			return text(m)
		}

		t.Run("the list of needs to pay out", func(t *testing.T) {
			r := sb.do(http.MethodGet, "/staff/payouts", nil)
			body := text(r.Body.String())
			if r.Code != http.StatusOK || !strings.Contains(r.Body.String(), `href="/staff/needs/`+g.id+`/money"`) ||
				!strings.Contains(body, "共 1 条求助，待拨付合计 ¥850.00") {
				t.Errorf("payouts: %d %s", r.Code, body)
			}
			if staff := sb.do(http.MethodGet, "/staff", nil).Body.String(); !strings.Contains(staff, `href="/staff/payouts"`) {
				t.Error("the staff page does not link the list")
			}
			if need := sb.do(http.MethodGet, "/needs/"+g.id, nil).Body.String(); !strings.Contains(need, `href="/staff/needs/`+g.id+`/money"`) {
				t.Error("the need's page does not link its money for staff")
			}
			if m := sb.do(http.MethodGet, "/staff/money/"+g.id, nil).Body.String(); !strings.Contains(m, `href="/staff/needs/`+g.id+`/money"`) {
				t.Error("the allocation page does not link the need's money")
			}
		})

		t.Run("the money by origin", func(t *testing.T) {
			p := page()
			origins := row(p, "origins")
			for _, want := range []string{"定向捐赠 ¥500.00 ¥0.00 ¥500.00", "配捐 ¥250.00 ¥0.00 ¥250.00", "基金/项目拨款 ¥100.00 ¥0.00 ¥100.00", "合计 ¥850.00 ¥0.00 ¥850.00"} {
				if !strings.Contains(origins, want) {
					t.Errorf("origins lack %q: %s", want, origins)
				}
			}
			if !strings.Contains(text(p), "待拨付：¥850.00") || !strings.Contains(p, `value="850.00"`) || !strings.Contains(row(p, "lots"), "春晖配捐基金") {
				t.Errorf("money page: %s", text(p))
			}
		})

		t.Run("a hospital paid against its invoice, once for a double submit", func(t *testing.T) {
			p := page()
			form := url.Values{"idempotency_key": {formKey(t, p)}, "amount": {"350"}, "payee_type": {"provider"}, "provider_kind": {"hospital"},
				"payee_name": {"郓城县人民医院"}, "reference": {"FP2026112300017"}, "account": {"6222020200112233445"}}
			first, again := sb.form("/staff/needs/"+g.id+"/disbursements", form), sb.form("/staff/needs/"+g.id+"/disbursements", form)
			if first.Code != http.StatusSeeOther || again.Code != http.StatusSeeOther || first.Header().Get("Location") != "/staff/needs/"+g.id+"/money#payments" {
				t.Fatalf("pay: %d %d %s", first.Code, again.Code, first.Header().Get("Location"))
			}
			p = page()
			payments := text(regexp.MustCompile(`(?s)<section[^>]*id="payments".*?</section>`).FindString(p))
			if strings.Count(payments, "郓城县人民医院") != 1 || !strings.Contains(payments, "医院") || !strings.Contains(payments, "****0017") ||
				!strings.Contains(payments, "¥350.00") || !strings.Contains(payments, "定向捐赠 ¥200.00 · 配捐 ¥50.00 · 基金/项目拨款 ¥100.00") {
				t.Errorf("payments: %s", payments)
			}
			for _, secret := range []string{"FP2026112300017", "6222020200112233445"} {
				if strings.Contains(p, secret) {
					t.Errorf("the page shows %s", secret)
				}
			}
			if !strings.Contains(text(p), "待拨付：¥500.00") {
				t.Errorf("unpaid after paying: %s", text(p))
			}
		})

		t.Run("the household without a reason", func(t *testing.T) {
			form := url.Values{"idempotency_key": {testID()}, "amount": {"50"}, "payee_type": {"household"}, "provider_kind": {"hospital"}, "payee_name": {"张建华"}, "reason": {"买药"}}
			r := sb.form("/staff/needs/"+g.id+"/disbursements", form)
			body := r.Body.String()
			if r.Code != http.StatusBadRequest || !strings.Contains(body, "表单有需要修改的地方") || !strings.Contains(body, "付给受助家庭时请写明原因") ||
				!strings.Contains(body, ">买药</textarea>") || !strings.Contains(body, `id="payee-household" name="payee_type" value="household" checked`) {
				t.Errorf("no reason: %d %s", r.Code, text(body))
			}
			if internalWords.MatchString(text(body)) {
				t.Errorf("the page shows the error chain: %s", internalWords.FindString(text(body)))
			}
		})

		t.Run("more than is left", func(t *testing.T) {
			form := url.Values{"idempotency_key": {testID()}, "amount": {"500.01"}, "payee_type": {"provider"}, "provider_kind": {"school"}, "payee_name": {"郓城县第一中学"}, "reference": {"SJ-77"}}
			r := sb.form("/staff/needs/"+g.id+"/disbursements", form)
			body := text(r.Body.String())
			if r.Code != http.StatusConflict || !regexp.MustCompile(`操作未完成：\s*这条求助尚未拨付的善款只有 ¥500.00`).MatchString(body) ||
				!strings.Contains(r.Body.String(), `value="500.01"`) || internalWords.MatchString(body) {
				t.Errorf("over the unpaid money: %d %s", r.Code, body)
			}
		})

		t.Run("a screening block", func(t *testing.T) {
			env.funds.Screener = blockDisbursement{}
			defer func() { env.funds.Screener = nil }()
			form := url.Values{"idempotency_key": {testID()}, "amount": {"10"}, "payee_type": {"provider"}, "provider_kind": {"shop"}, "payee_name": {"村卫生室药店"}, "reference": {"YD-2026-5"}}
			r := sb.form("/staff/needs/"+g.id+"/disbursements", form)
			body := text(r.Body.String())
			if r.Code != http.StatusUnprocessableEntity || !regexp.MustCompile(`操作未完成：\s*\p{Han}*筛查`).MatchString(body) || internalWords.MatchString(body) {
				t.Errorf("screening block: %d %s", r.Code, body)
			}
			if !strings.Contains(text(page()), "待拨付：¥500.00") {
				t.Error("a blocked payment paid")
			}
		})

		t.Run("another federation's staff are told whose staff pay", func(t *testing.T) {
			_, other := env.user(kernel.RoleFederationStaff, env.newOrg(kernel.OrgCharityFederation, "430524"))
			ob := newBrowser(env)
			ob.login(other)
			want := "只有" + testOrgName(kernel.OrgCharityFederation) + "的工作人员可以拨付这条求助的善款。"
			if r := ob.do(http.MethodGet, "/staff/needs/"+g.id+"/money", nil); r.Code != http.StatusForbidden || !strings.Contains(r.Body.String(), want) ||
				strings.Contains(r.Body.String(), "¥500.00") {
				t.Errorf("other staff read: %d %s", r.Code, text(r.Body.String()))
			}
			form := url.Values{"idempotency_key": {testID()}, "amount": {"1"}, "payee_type": {"provider"}, "provider_kind": {"hospital"}, "payee_name": {"某医院"}, "reference": {"X1"}}
			if r := ob.form("/staff/needs/"+g.id+"/disbursements", form); r.Code != http.StatusForbidden || !strings.Contains(r.Body.String(), want) {
				t.Errorf("other staff pay: %d %s", r.Code, text(r.Body.String()))
			}
			if r := ob.do(http.MethodGet, "/staff/payouts", nil); r.Code != http.StatusOK || strings.Contains(r.Body.String(), g.id) {
				t.Errorf("other staff's list: %d shows the need", r.Code)
			}
		})

		t.Run("the donor sees the payment on my giving", func(t *testing.T) {
			db := newBrowser(env)
			db.login(g.donorAP)
			giving := text(db.do(http.MethodGet, "/my/giving", nil).Body.String())
			paid := ` \d{4}年\d{1,2}月\d{1,2}日 · 医院 · 票据号 \*\*\*\*0017 · `
			// The need by its public title, not its id (issue 17).
			gift := regexp.MustCompile(`定向捐赠 某某尿毒症透析费用 ¥200.00` + paid + `¥200.00`)
			match := regexp.MustCompile(`配捐 某某尿毒症透析费用 ¥100.00` + paid + `¥50.00`)
			if !gift.MatchString(giving) || !match.MatchString(giving) || !strings.Contains(giving, "您的捐款带来配捐 ¥100.00") ||
				strings.Contains(giving, "郓城县人民医院") {
				t.Errorf("my giving: %s", giving)
			}
		})
	})
}

// TestUnappliedGiftChoiceIsExplained: two donors pledge to a need that
// lacks ¥500; the first gift's money arrives and fills it, so ¥300 of the
// second arrives for a need that can no longer take it. Its donor reads on
// 我的捐赠 why, in Chinese, and is asked where the money goes; the API
// gives the choice with reason unapplied.
func TestUnappliedGiftChoiceIsExplained(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		worker, _ := env.user(kernel.RoleSocialWorker, nil)
		verifier, _ := env.user(kernel.RoleVerifier, nil)
		body := needBody()
		body["verified_cost_fen"], body["statutory_relief_fen"] = 50_000, 0
		need := env.createNeed(worker, body)
		env.clearAndPublish(need, worker, verifier)
		env.advance(121 * time.Hour)
		staff, _ := env.user(kernel.RoleFederationStaff, nil)
		pledge := func(tok string, amount int64) string {
			t.Helper()
			r := env.do("POST", "/api/v1/pledges", tok, map[string]any{"target_type": "need", "target_id": need, "amount_fen": amount})
			if r.Status != http.StatusCreated {
				t.Fatalf("pledge: %d %s", r.Status, r.Body)
			}
			return r.JSON(t)["id"].(string)
		}
		first, _ := env.user(kernel.RoleDonor, nil)
		second, secondP := env.user(kernel.RoleDonor, nil)
		a, b := pledge(first, 50_000), pledge(second, 30_000)
		for _, p := range []string{a, b} {
			if r := env.do("POST", "/api/v1/pledges/"+p+"/confirm", staff, nil); r.Status != http.StatusOK {
				t.Fatalf("confirm: %d %s", r.Status, r.Body)
			}
		}
		r := env.do("GET", "/api/v1/me/giving", second, nil)
		choices, _ := r.JSON(t)["choices"].([]any)
		if len(choices) != 1 || choices[0].(map[string]any)["reason"] != "unapplied" || choices[0].(map[string]any)["amount_fen"] != float64(30_000) {
			t.Fatalf("the second donor's choices: %s", r.Body)
		}
		db := newBrowser(env)
		db.login(secondP)
		page := db.do(http.MethodGet, "/my/giving", nil).Body.String()
		// The need by its public title (issue 17).
		want := "受助人本次困难已筹足或已达上限，您捐给“某某尿毒症透析费用”的 ¥300.00 未能用于该需求，请选择去向。"
		if !strings.Contains(page, want) || !strings.Contains(page, "未能用于该需求</span>") || strings.Contains(page, "未筹满即已结束") ||
			!strings.Contains(page, `action="/my/pledges/`+b+`/redirect"`) {
			t.Errorf("my giving does not explain the unapplied money: %.2000s", page)
		}
	})
}
