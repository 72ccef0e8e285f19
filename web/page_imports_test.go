package web

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

func TestImportPage(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		withPayments(t, env)
		_, verifier := env.user(kernel.RoleVerifier, nil)
		v := newBrowser(env)
		v.login(verifier)
		page := v.do(http.MethodGet, "/verify/imports", nil)
		if page.Code != 200 || !strings.Contains(page.Body.String(), `type="file"`) {
			t.Fatalf("upload form: %d", page.Code)
		}
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		mw.WriteField("_csrf", v.csrf(page.Body.String()))
		fw, _ := mw.CreateFormFile("file", "2026-11.csv")
		fw.Write(genFile(t, 500, 0.05))
		mw.Close()
		req := httptest.NewRequest(http.MethodPost, "/verify/imports", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Accept", "text/html")
		for _, c := range v.cookies {
			req.AddCookie(c)
		}
		rec := serve(env, req)
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("upload: %d %.300s", rec.Code, rec.Body.String())
		}
		job := rec.Header().Get("Location")
		var status string
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			status = v.do(http.MethodGet, job, nil).Body.String()
			if strings.Contains(status, "导入完成") || strings.Contains(status, "导入未完成") {
				break
			}
		}
		if !strings.Contains(status, "导入完成") || !strings.Contains(status, "有问题的行") {
			t.Fatalf("import result: %.2000s", status)
		}
		if other := signedIn(env, kernel.RoleVerifier).do(http.MethodGet, job, nil); other.Code != http.StatusNotFound {
			t.Errorf("another verifier sees the job: %d", other.Code)
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
