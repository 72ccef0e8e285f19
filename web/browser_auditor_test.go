package web

import (
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
)

// TestBrowserAuditorFiltersTheAuditLog: on a 375 px phone in Chromium, an
// auditor goes from the audit page to the audit log, filters it to the
// clearances and reads the row (who, what, which need, where in its chain)
// stacked under its labels, without sideways scrolling; then the ledger.
func TestBrowserAuditorFiltersTheAuditLog(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	s := newSite(t, env)
	wtok, _ := env.user(kernel.RoleSocialWorker, nil)
	vtok, _ := env.user(kernel.RoleVerifier, nil)
	need := env.createNeed(wtok, needBody())
	env.clearAndPublish(need, wtok, vtok)
	_, staff := env.user(kernel.RoleFederationStaff, nil)
	env.fundWithBalance(staff, kernel.Restrictions{}, 250_000)
	_, auditor := env.user(kernel.RoleAuditor, nil)

	b := s.tab(t)
	b.viewport(375, 812, true)
	b.login(auditor.User.Email, "password-auditor")
	b.open("/audit")
	b.click(`main a[href="/audit/log"]`)
	b.waitJS(`location.pathname === "/audit/log" && document.querySelector("h1") !== null`)
	if n := evalIn[int](b, `document.querySelectorAll("#audit-log tbody tr").length`); n != 3 {
		t.Errorf("the log shows %d entries, want the need's submission, clearance and publication", n)
	}

	b.setValues(map[string]string{"al-action": "need.clearance"})
	b.click(`form.filters button[type="submit"]`)
	b.waitJS(`location.search.indexOf("action=need.clearance") >= 0 && document.querySelectorAll("#audit-log tbody tr").length === 1`)
	row := b.text("#audit-log tbody tr")
	for _, want := range []string{testRoleName[kernel.RoleVerifier], "民政核验员", "核实求助", "待核实 → 已核实", "某某尿毒症透析费用", need, "第 2 条"} {
		if !strings.Contains(row, want) {
			t.Errorf("the clearance row lacks %q: %q", want, row)
		}
	}
	for _, secret := range householdSecrets() {
		if strings.Contains(evalIn[string](b, `document.body.innerText`), secret) {
			t.Errorf("the log shows %q", secret)
		}
	}
	if got := evalIn[string](b, `getComputedStyle(document.querySelector("#audit-log tbody td")).display`); got != "block" {
		t.Errorf("the row's cells are %q on a phone, want stacked (block)", got)
	}
	// Each stacked cell says which column it is.
	if got := evalIn[string](b, `Array.from(document.querySelectorAll("#audit-log tbody td")).map(function(td){return getComputedStyle(td, "::before").content}).join("|")`); !strings.Contains(got, "时间") || !strings.Contains(got, "操作人") || !strings.Contains(got, "链中位置") {
		t.Errorf("the stacked cells' labels: %q", got)
	}
	if w := evalIn[float64](b, `document.documentElement.scrollWidth`); w > 375 {
		t.Errorf("the audit log is %.0fpx wide on a 375px phone", w)
	}
	if got := evalIn[string](b, `document.getElementById("al-action").value`); got != "need.clearance" {
		t.Errorf("the filter shows %q after filtering", got)
	}
	b.screenshot("audit-log-phone")

	b.open("/audit/ledger")
	if n := evalIn[int](b, `document.querySelectorAll("#ledger tbody tr").length`); n != 1 {
		t.Errorf("the ledger shows %d transactions, want the fund's donation", n)
	}
	if row := b.text("#ledger tbody tr"); !strings.Contains(row, "助医基金") || !strings.Contains(row, "¥2,500.00") {
		t.Errorf("the donation row: %q", row)
	}
	if w := evalIn[float64](b, `document.documentElement.scrollWidth`); w > 375 {
		t.Errorf("the ledger is %.0fpx wide on a 375px phone", w)
	}
	b.screenshot("audit-ledger-phone")
}
