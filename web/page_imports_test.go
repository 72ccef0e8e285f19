package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
)

// uploadForm posts data as the file of the page form at path, with the
// form's CSRF token read from the page first, and answers without
// following the redirect.
func (b *browser) uploadForm(env *testEnv, path, name string, data []byte) *httptest.ResponseRecorder {
	env.t.Helper()
	return b.postFile(path, b.do(http.MethodGet, path, nil).Body.String(), name, data)
}

// uploadImport uploads a payment file on the verifier's page and waits for
// its import to end (no polling: ImportJobs.Drain); it returns the job's
// page address.
func (b *browser) uploadImport(env *testEnv, name string, data []byte) string {
	env.t.Helper()
	rec := b.uploadForm(env, "/verify/imports", name, data)
	if rec.Code != http.StatusSeeOther {
		env.t.Fatalf("upload %s: %d %.300s", name, rec.Code, rec.Body.String())
	}
	env.srv.Imports.Drain()
	return rec.Header().Get("Location")
}

func TestImportPage(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		withPayments(t, env)
		_, verifier := env.user(kernel.RoleVerifier, nil)
		v := newBrowser(env)
		v.login(verifier)
		page := v.do(http.MethodGet, "/verify/imports", nil)
		if page.Code != 200 || !strings.Contains(page.Body.String(), `type="file"`) || !strings.Contains(page.Body.String(), "还没有导入过发放记录") {
			t.Fatalf("upload form: %d %.2000s", page.Code, page.Body.String())
		}
		job := v.uploadImport(env, "2026-11.csv", genFile(t, 500, 0.05))
		status := v.do(http.MethodGet, job, nil).Body.String()
		if !strings.Contains(status, "导入完成") || !strings.Contains(status, "有问题的行") || !strings.Contains(status, "在网页上传") {
			t.Fatalf("import result: %.2000s", status)
		}
		// The history lists it, for every verifier (the record is one for
		// all counties), with who, the file and the counts.
		other := signedIn(env, kernel.RoleVerifier)
		hist := other.do(http.MethodGet, "/verify/imports", nil).Body.String()
		if !strings.Contains(hist, "2026-11.csv") || !strings.Contains(hist, "已完成") || !strings.Contains(hist, job) {
			t.Fatalf("history: %.3000s", hist)
		}
		if r := other.do(http.MethodGet, job, nil); r.Code != http.StatusOK {
			t.Errorf("another verifier cannot open the import: %d", r.Code)
		}
		if r := signedIn(env, kernel.RoleDonor).do(http.MethodGet, job, nil); r.Code == http.StatusOK {
			t.Errorf("a donor opens an import: %d", r.Code)
		}
		partial := serve(env, func() *http.Request {
			r := httpGet(job, "HX-Request", "true", "HX-Target", "import-status")
			for _, c := range v.cookies {
				r.AddCookie(c)
			}
			return r
		}())
		if strings.Contains(partial.Body.String(), "<html") || !strings.Contains(partial.Body.String(), `id="import-status"`) {
			t.Error("htmx polling does not get the status block alone")
		}
	})
}
