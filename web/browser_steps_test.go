package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
)

// TestBrowserTownReviewAndCountyApproval: on a phone, the town's verifier
// finds a need in the queue at its town review and passes it on; the
// county's verifier finds it at county approval and approves it with the
// 一事一议 the amount calls for; each page says which step the need is at
// and what is due, and nothing is wider than the screen.
func TestBrowserTownReviewAndCountyApproval(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	s := newSite(t, env)
	env.needs.Config.TwoStep = true
	env.needs.Config.GroupDecisionAboveFen = 2_000_000
	worker, _ := env.user(kernel.RoleSocialWorker, nil)
	_, countyP := env.user(kernel.RoleVerifier, nil)
	_, townP := env.civilAffairsVerifier("郓州街道民政办", townA)
	today := env.now.Load().In(kernel.ChinaTime).Format("2006-01-02")
	id := env.createNeed(worker, townNeedBody(townA, today))
	narrow := func(b *tab, where string) {
		t.Helper()
		if w := evalIn[float64](b, `document.documentElement.scrollWidth`); w > 375 {
			t.Errorf("%s is %.0fpx wide on a 375px phone", where, w)
		}
	}

	town := s.tab(t)
	town.viewport(375, 812, true)
	town.login(townP.User.Email, "password-verifier")
	town.open("/verify")
	if row := town.text("#verify-queue tbody tr"); !strings.Contains(row, "乡镇审核") || !strings.Contains(row, "剩余") {
		t.Errorf("the town's queue row: %q", row)
	}
	narrow(town, "/verify")
	town.click(`#verify-queue a[href="/staff/needs/` + id + `"]`)
	town.waitJS(`location.pathname === "/staff/needs/` + id + `" && document.getElementById("clear-form") !== null`)
	if got := town.text("#need-step"); !strings.Contains(got, "乡镇审核") {
		t.Errorf("the step shown: %q", got)
	}
	if n := evalIn[int](town, `document.querySelectorAll('#clear-form input[name="decision"]').length`); n != 2 {
		t.Errorf("the town's review offers %d decisions, want passed and rejected", n)
	}
	if evalIn[bool](town, `document.querySelector('input[value="cleared"]') !== null || document.getElementById("member_name_1") !== null`) {
		t.Error("the town's page offers the county's approval")
	}
	town.click(`#clear-form input[name="decision"][value="passed"]`)
	town.fill("#note", "入户核实属实，报县级审批")
	town.click(`#clear-form button[type="submit"]`)
	town.waitJS(`document.getElementById("need-step") !== null && document.getElementById("need-step").textContent.indexOf("县级审批") >= 0`)
	if evalIn[bool](town, `document.getElementById("clear-form") !== null`) {
		t.Error("the town's verifier is offered the county's approval")
	}
	if got := town.text("#step-waiting"); !strings.Contains(got, "县级审批") {
		t.Errorf("the town's page after its review: %q", got)
	}
	narrow(town, "the need after the town's review")
	town.screenshot("town-review-phone")

	county := s.tab(t)
	county.viewport(375, 812, true)
	county.login(countyP.User.Email, "password-verifier")
	county.open("/verify")
	if row := county.text("#verify-queue tbody tr"); !strings.Contains(row, "县级审批") {
		t.Errorf("the county's queue row: %q", row)
	}
	county.click(`#verify-queue a[href="/staff/needs/` + id + `"]`)
	county.waitJS(`location.pathname === "/staff/needs/` + id + `" && document.getElementById("member_name_1") !== null`)
	for i, m := range [][2]string{{"王立新", "局长"}, {"李红", "社会救助科科长"}, {"赵明", "经办人"}} {
		n := string(rune('1' + i))
		county.fill("#member_name_"+n, m[0])
		county.fill("#member_role_"+n, m[1])
	}
	county.fill("#group_reasoning", "医疗费用负担重，经集体研究同意救助。")
	county.click(`#clear-form input[name="decision"][value="cleared"]`)
	county.fill("#reference", "郓民救〔2026〕12号")
	narrow(county, "the county's approval form")
	county.screenshot("county-approval-phone")
	county.click(`#clear-form button[type="submit"]`)
	county.waitJS(`document.querySelector(".group-decision") !== null`)
	if got := county.text(".group-decision"); !strings.Contains(got, "王立新（局长）") || !strings.Contains(got, "集体研究") {
		t.Errorf("the recorded 一事一议: %q", got)
	}
	if got := county.text("#case-steps"); !strings.Contains(got, "乡镇审核") || !strings.Contains(got, "县级审批") || !strings.Contains(got, "按时办结") {
		t.Errorf("the steps table: %q", got)
	}
	narrow(county, "the approved need")

	n, err := env.store.NeedByPublicID(context.Background(), id)
	if err != nil || n.Status != kernel.NeedCleared {
		t.Fatalf("after the county's approval: %v %v", n, err)
	}
	if r := env.do(http.MethodGet, "/api/v1/needs/"+id+"/steps", env.token(countyP), nil); !strings.Contains(string(r.Body), `"group_decisions":[{`) {
		t.Errorf("steps: %s", r.Body)
	}
}
