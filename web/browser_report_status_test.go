package web

import (
	"context"
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
)

// TestBrowserReportStatus: on a phone in care mode, a villager reports a
// neighbour in hardship, keeps the number and the 查询码, follows the
// receipt's link and, with the code typed, reads that the report is waiting
// for a social worker; once the worker takes it, the same lookup says it is
// being followed up and by whom. Nothing is wider than the screen, and the
// code never appears in the address bar.
func TestBrowserReportStatus(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	s := newSite(t, env)
	b := s.tab(t)
	b.viewport(375, 812, true)
	b.open("/report")
	b.setCare(true)
	fits := func(what string) {
		t.Helper()
		if w := evalIn[float64](b, `document.documentElement.scrollWidth`); w > 375 {
			t.Errorf("%s is %.0fpx wide on a 375px phone in care mode", what, w)
		}
	}
	b.fill("#region_code", "371725")
	b.setValues(map[string]string{"category": "care"})
	b.fill("#description", "村东头一位老人独居，冬天没有取暖。")
	b.click(`main form button[type="submit"]`)
	b.waitText("main", "报告已收到")
	fits("the receipt")
	b.screenshot("report-receipt-care")
	code := strings.TrimSpace(b.text(".reference"))
	if len(code) < 32 {
		t.Fatalf("no code on the receipt: %q", code)
	}

	b.click("#report-status-link")
	b.waitJS(`location.pathname === "/report/status" && document.getElementById("code") !== null`)
	id := evalIn[string](b, `document.getElementById("report").value`)
	if id == "" {
		t.Fatal("the receipt's link does not fill in the report number")
	}
	b.fill("#code", code)
	b.click(`main form button[type="submit"]`)
	b.waitText("#report-status h2", "已收到，等待社工接手")
	if got := b.text("#report-status"); !strings.Contains(got, "已收到报告") || strings.Contains(got, "老人独居") {
		t.Errorf("the status: %q", got)
	}
	if loc := evalIn[string](b, `location.href`); strings.Contains(loc, code) {
		t.Errorf("the code is in the address: %s", loc)
	}
	fits("the status page")
	b.screenshot("report-status-care")

	// The worker takes it; the reporter looks again.
	_, worker := env.user(kernel.RoleSocialWorker, nil)
	if _, err := env.people.UpdateReport(context.Background(), worker, id, marketplace.ReportUpdate{Status: "accepted"}); err != nil {
		t.Fatal(err)
	}
	b.open("/report/status?id=" + id)
	b.fill("#code", code)
	b.click(`main form button[type="submit"]`)
	b.waitText("#report-status h2", "社工正在跟进")
	if got := b.text("#report-status"); !strings.Contains(got, env.orgs[kernel.OrgSocialWorkAgency].Name) {
		t.Errorf("the status does not name the agency that took it: %q", got)
	}

	// A code mistyped is told so, in Chinese, beside the form.
	b.open("/report/status?id=" + id)
	b.fill("#code", "123456")
	b.click(`main form button[type="submit"]`)
	b.waitText("#rstatus-error", "报告编号或查询码不对")
	fits("the wrong code's answer")
}
