package web

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// TestBrowserPayOutAGift: in real Chromium, a donor gives ¥200 straight to
// a need on its page; federation staff confirm the payment, find the need
// on their list of needs to pay out, and pay ¥150 of it to a hospital
// against the invoice number (the form asks a provider's kind, or the
// household's reason, as the payee chosen); the donor sees the payment on
// 我的捐赠 — its date, 医院 and the invoice's last four characters, never
// the hospital's name or the whole number.
func TestBrowserPayOutAGift(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	s := newSite(t, env)
	worker, _ := env.user(kernel.RoleSocialWorker, nil)
	verifier, _ := env.user(kernel.RoleVerifier, nil)
	body := needBody()
	body["verified_cost_fen"], body["statutory_relief_fen"] = 50_000, 0
	needID := env.createNeed(worker, body)
	env.clearAndPublish(needID, worker, verifier)
	env.advance(121 * time.Hour) // past the notice: open
	_, staff := env.user(kernel.RoleFederationStaff, nil)
	_, donor := env.user(kernel.RoleDonor, nil)

	// The donor gives ¥200 on the need's page.
	d := s.tab(t)
	d.login(donor.User.Email, "password-donor")
	d.open("/needs/" + needID)
	d.fill("#amount", "200")
	d.click(".pledge-form button")
	d.waitText("main", "转账附言")
	pledgeID := strings.TrimPrefix(evalIn[string](d, `location.pathname`), "/my/pledges/")

	// Staff confirm it and pay it out from their list.
	st := s.tab(t)
	st.login(staff.User.Email, "password-federation_staff")
	st.open("/my/pledges/" + pledgeID)
	st.click(`form[action$="/confirm"] button`)
	st.waitText("main", "善款已到账")
	st.open("/staff")
	st.click(`a[href="/staff/payouts"]`)
	st.waitText("main", "待拨付合计 ¥200.00")
	st.click(`a[href="/staff/needs/` + needID + `/money"]`)
	st.waitText("#unpaid", "待拨付：¥200.00")
	if got := st.text("#origins"); !strings.Contains(got, "定向捐赠") || !strings.Contains(got, "¥200.00") {
		t.Errorf("origins: %q", got)
	}
	hidden := func(css string) bool {
		return evalIn[bool](st, `getComputedStyle(document.querySelector("`+css+`")).display === "none"`)
	}
	if hidden(".provider-only") || !hidden(".household-only") {
		t.Error("paying a provider, the form does not ask its kind, or asks why the household is paid")
	}
	st.click("#payee-household")
	if !hidden(".provider-only") || hidden(".household-only") {
		t.Error("paying the household, the form does not ask why, or asks a provider's kind")
	}
	st.click("#payee-provider")
	if got := evalIn[string](st, `document.querySelector("#amount").value`); got != "200.00" {
		t.Errorf("the amount offered is %q, want what is left to pay", got)
	}
	st.fill("#amount", "150")
	st.setValues(map[string]string{"provider_kind": "hospital"})
	st.fill("#payee_name", "郓城县人民医院")
	st.fill("#reference", "FP2026112300017")
	st.click(`form.disburse-form button[type="submit"]`)
	st.waitText("#payments", "****0017")
	if got := st.text("#payments"); !strings.Contains(got, "医院") || !strings.Contains(got, "¥150.00") || strings.Contains(got, "FP2026112300017") {
		t.Errorf("payments: %q", got)
	}
	st.waitText("#unpaid", "待拨付：¥50.00")
	st.screenshot("staff-need-money")

	// The donor sees where the money went.
	at := env.now.Load().In(kernel.ChinaTime)
	day := fmt.Sprintf("%d年%d月%d日", at.Year(), int(at.Month()), at.Day())
	d.open("/my/giving")
	got := d.waitText("li.payment", "****0017")
	for _, want := range []string{day, "医院", "票据号 ****0017", "¥150.00"} {
		if !strings.Contains(got, want) {
			t.Errorf("the payment on 我的捐赠 lacks %q: %q", want, got)
		}
	}
	if rest := d.text("ul.payments"); !strings.Contains(rest, "其余 ¥50.00 已到账，等待拨付") {
		t.Errorf("the trace does not say what of the gift waits: %q", rest)
	}
	if main := d.text("main"); strings.Contains(main, "郓城县人民医院") || strings.Contains(main, "FP2026112300017") {
		t.Errorf("the donor sees the payee: %q", main)
	}
	d.screenshot("my-giving-payments")
}
