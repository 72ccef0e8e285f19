package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
)

func TestAuditPage(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		wtok, _ := env.user(kernel.RoleSocialWorker, nil)
		env.createNeed(wtok, needBody())
		a := signedIn(env, kernel.RoleAuditor)
		r := a.form("/audit/check", url.Values{})
		body := r.Body.String()
		if r.Code != 200 || !strings.Contains(body, "账本平衡") || !strings.Contains(body, "审计日志完整") {
			t.Fatalf("audit check: %d %.500s", r.Code, body)
		}
		if err := env.db.Gorm.Exec(`UPDATE audit_log SET detail = '{"kind":"charity"}' WHERE stream = 'accounts' AND seq = 3`).Error; err != nil {
			t.Fatal(err)
		}
		if body := a.form("/audit/check", url.Values{}).Body.String(); !strings.Contains(body, "审计日志有问题") {
			t.Error("a tampered audit entry is not reported")
		}
		if r := signedIn(env, kernel.RoleDonor).do(http.MethodGet, "/audit", nil); r.Code != http.StatusForbidden {
			t.Errorf("a donor opens the audit page: %d", r.Code)
		}
	})
}
