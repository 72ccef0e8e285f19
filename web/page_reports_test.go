package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
)

// A social worker finds a neighbour's report in the inbox, opens it with
// the reporter's contact, and records its handling on the page.
func TestWorkerHandlesAReportOnThePages(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		r := env.do(http.MethodPost, "/api/v1/reports", "", map[string]any{"region_code": "371725001", "category": "care",
			"description": "村里一位老人独居，冬天没有取暖", "contact": "139 0000 2222"})
		if r.Status != http.StatusCreated {
			t.Fatalf("report: %d %s", r.Status, r.Body)
		}
		id := r.JSON(t)["id"].(string)
		_, sw := env.user(kernel.RoleSocialWorker, nil)
		b := newBrowser(env)
		b.login(sw)
		inbox := b.do(http.MethodGet, "/worker/reports", nil).Body.String()
		if !strings.Contains(inbox, "/worker/reports/"+id) || !strings.Contains(inbox, "新报告") {
			t.Fatalf("inbox: %.2000s", inbox)
		}
		page := b.do(http.MethodGet, "/worker/reports/"+id, nil).Body.String()
		if !strings.Contains(page, "13900002222") || !strings.Contains(page, "报告人联系方式") || !strings.Contains(page, "老人独居") {
			i := strings.Index(page, "<main")
			t.Fatalf("report page: %.3000s", page[max(i, 0):])
		}
		res := b.form("/worker/reports/"+id, url.Values{"status": {"accepted"}, "note": {"已上门核实，联系乡镇民政办"}})
		if res.Code != http.StatusSeeOther {
			t.Fatalf("update: %d %.500s", res.Code, res.Body.String())
		}
		page = b.do(http.MethodGet, res.Header().Get("Location"), nil).Body.String()
		if !strings.Contains(page, "处理情况已保存") || !strings.Contains(page, "已上门核实") || !strings.Contains(page, "已受理") {
			t.Errorf("after saving: %.2000s", page)
		}
	})
}
