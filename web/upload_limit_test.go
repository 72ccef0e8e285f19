package web

import (
	"net/http"
	"os"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
)

// An upload over the limit is refused with 413 on the API and the page,
// and leaves no import, no spool file and nothing half-written behind.
func TestAnOversizedUploadLeavesNothingBehind(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		withPayments(t, env)
		env.srv.cfg.MaxUploadBytes = 16 << 10
		vtok, verifier := env.user(kernel.RoleVerifier, nil)
		data := genFile(t, 2000, 0)
		if len(data) <= 16<<10 {
			t.Fatalf("the file is only %d bytes", len(data))
		}
		if r := env.upload("/api/v1/statutory-payments/imports", vtok, "file", "2026-11.csv", data); r.Status != http.StatusRequestEntityTooLarge {
			t.Errorf("API upload over the limit: %d %s", r.Status, r.Body)
		}
		b := newBrowser(env)
		b.login(verifier)
		page := b.do(http.MethodGet, "/verify/imports", nil).Body.String()
		if r := b.postFile("/verify/imports", page, "2026-11.csv", data); r.Code != http.StatusRequestEntityTooLarge {
			t.Errorf("page upload over the limit: %d", r.Code)
		}
		r := env.do(http.MethodGet, "/api/v1/statutory-payments/imports", vtok, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("imports: %d", r.Status)
		}
		if items, _ := r.JSON(t)["items"].([]any); len(items) != 0 {
			t.Errorf("an oversized upload left %d imports", len(items))
		}
		left, err := os.ReadDir(env.srv.Imports.Dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(left) != 0 {
			t.Errorf("an oversized upload left %d files in the upload directory", len(left))
		}
		// A file within the limit still goes through.
		small := genFile(t, 20, 0)
		if r := env.upload("/api/v1/statutory-payments/imports", vtok, "file", "small.csv", small); r.Status != http.StatusCreated {
			t.Errorf("a small upload: %d %s", r.Status, r.Body)
		}
	})
}
