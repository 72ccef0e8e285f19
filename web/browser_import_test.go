package web

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/jiujinan/jiujinan/kernel"
)

// TestBrowserVerifierImportsAMonth: in real Chromium a verifier chooses a
// county's .xlsx month on 导入救助发放记录 and starts the import; the
// import's page follows it to 导入完成 (htmx polls), names who uploaded it,
// lists the rejected rows in Chinese and the programme recorded under its
// own name; the history lists the import as 已完成.
func TestBrowserVerifierImportsAMonth(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	withPayments(t, env)
	s := newSite(t, env)
	_, v := env.user(kernel.RoleVerifier, nil)
	head := idNumber("371725", "19780412", "317")
	other := idNumber("371725", "19660203", "415")
	path := filepath.Join(t.TempDir(), "2026年11月花名册.xlsx")
	if err := os.WriteFile(path, scenarioWorkbook(t, scenarioRows(head, other)), 0o600); err != nil {
		t.Fatal(err)
	}
	b := s.tab(t)
	b.login(v.User.Email, "password-verifier")
	b.open("/verify/imports")
	if got := b.text("main"); !strings.Contains(got, "还没有导入过发放记录") {
		t.Fatalf("empty history: %q", got)
	}
	b.do(chromedp.SetUploadFiles(chromedp.CSS(`input[type="file"]`), []string{path}))
	b.click(`form[action="/verify/imports"] button[type="submit"]`)
	b.waitJS(`location.pathname.startsWith("/verify/imports/")`)
	got := b.waitText("#import-status", "导入完成")
	for _, want := range []string{"在网页上传", "新增 4 条", "错误 8 条", "身份证号：校验码不对", "合计行", "未知救助项目：慰问金 × 1"} {
		if !strings.Contains(got+b.text("main"), want) {
			t.Errorf("the import's page lacks %q: %q", want, b.text("main"))
		}
	}
	b.screenshot("verify-import-done")
	b.open("/verify/imports")
	if got := b.text("main"); !strings.Contains(got, "2026年11月花名册.xlsx") || !strings.Contains(got, "已完成") {
		t.Errorf("history: %q", got)
	}
	b.screenshot("verify-imports-history")
}
