package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
)

// Files from issue 12: a stray quote (it crashed the process) and lines
// too long (they failed the import with a 500).
var unreadableLineFiles = map[string]struct {
	data    string
	line    float64
	problem string // in the API's reason
	onPage  string // on the verifier's page
}{
	"stray quote": {"身份证号,救助类别,金额,发放日期,行政区划代码\n\"1\n", 2, "quoted field is not closed", "引号没有闭合"},
	"100,000 columns": {"身份证号,救助类别,金额,发放日期,行政区划代码\n" + strings.Repeat("1,", 100_000) + "1\n" +
		"110101199003071233,低保金,800,2026-01,110101\n", 2, "longer than 64 KiB", "超过 64 KiB"},
}

func TestPaymentImportOfAnUnreadableLineRejectsTheRowAndGoesOn(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		withPayments(t, env)
		tok, _ := env.user(kernel.RoleVerifier, nil)
		for name, f := range unreadableLineFiles {
			for _, try := range []string{"first", "again"} {
				r := env.upload("/api/v1/statutory-payments/imports", tok, "file", "f.csv", []byte(f.data))
				if r.Status != http.StatusCreated {
					t.Fatalf("%s, %s: %d %s", name, try, r.Status, r.Body)
				}
				m := r.JSON(t)
				rej := m["rejected"].([]any)
				if m["status"] != "done" || len(rej) != 1 || rej[0].(map[string]any)["line"] != f.line ||
					!strings.Contains(rej[0].(map[string]any)["error"].(string), f.problem) {
					t.Fatalf("%s, %s: %s", name, try, r.Body)
				}
			}
		}
	})
}

func TestImportPageFinishesAFileWithAnUnreadableLine(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		withPayments(t, env)
		_, verifier := env.user(kernel.RoleVerifier, nil)
		v := newBrowser(env)
		v.login(verifier)
		for name, f := range unreadableLineFiles {
			job := v.uploadImport(env, "f.csv", []byte(f.data))
			res := v.do(http.MethodGet, job, nil)
			if res.Code != http.StatusOK || !strings.Contains(res.Body.String(), "导入完成") || !strings.Contains(res.Body.String(), f.onPage) {
				t.Fatalf("%s: result page: %d %.2000s", name, res.Code, res.Body.String())
			}
		}
	})
}
