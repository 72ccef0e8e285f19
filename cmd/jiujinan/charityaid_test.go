package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// export-charity-aid writes, as the system, the file the verifier
// downloads from the API for the same region and period: CSV byte for
// byte, .xlsx cell by cell; mode 0600, no temporary file left, audited as
// cli. A bad flag or an interrupted export leaves no file.
func TestExportCharityAidWritesTheAPIsFile(t *testing.T) {
	sqldbtest.EachURL(t, func(t *testing.T, url string) {
		env := demoEnvOn(t, url)
		const period = "region=371725&from=2000-01-01&to=2099-12-31"
		api := map[string][]byte{}
		func() {
			m := mustOpenMain(t, env)
			srv, err := m.Server()
			if err != nil {
				t.Fatal(err)
			}
			body, _ := json.Marshal(map[string]string{"email": "verifier@demo.jiujinan.cn", "password": "demo-verifier-pass"})
			req := httptest.NewRequest(http.MethodPost, "/api/v1/auth/login", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			srv.Echo.ServeHTTP(rec, req)
			var lr struct{ Token string }
			if err := json.Unmarshal(rec.Body.Bytes(), &lr); err != nil || lr.Token == "" {
				t.Fatalf("login: %d %s", rec.Code, rec.Body)
			}
			for _, format := range []string{"csv", "xlsx"} {
				req := httptest.NewRequest(http.MethodGet, "/api/v1/charity-aid?"+period+"&format="+format, nil)
				req.Header.Set("Authorization", "Bearer "+lr.Token)
				rec := httptest.NewRecorder()
				srv.Echo.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					t.Fatalf("API %s: %d %s", format, rec.Code, rec.Body)
				}
				api[format] = rec.Body.Bytes()
			}
			m.Close()
		}()
		if n := bytes.Count(api["csv"], []byte("\n")); n < 2 {
			t.Fatalf("the demo's 371725 has %d lines of charity aid; want a header and rows:\n%s", n, api["csv"])
		}

		dir := t.TempDir()
		for _, format := range []string{"csv", "xlsx"} {
			out := filepath.Join(dir, "aid."+format)
			code, stdout, errs := runCmd(t, env, "", "export-charity-aid", "--region", "371725", "--from", "2000-01-01", "--to", "2099-12-31",
				"--format", format, "--out", out)
			if code != 0 || !strings.Contains(stdout, "wrote ") {
				t.Fatalf("%s: %d %q %q", format, code, stdout, errs)
			}
			st, err := os.Stat(out)
			if err != nil || st.Mode().Perm() != 0o600 {
				t.Fatalf("%s: %v, mode %v; want 0600", out, err, st.Mode().Perm())
			}
			got, _ := os.ReadFile(out)
			if format == "csv" && !bytes.Equal(got, api["csv"]) {
				t.Errorf("CSV differs from the API's:\n%s\nAPI:\n%s", got, api["csv"])
			}
			if format == "xlsx" {
				for _, raw := range []bool{false, true} {
					if g, w := sheetCells(t, got, raw), sheetCells(t, api["xlsx"], raw); !slices.EqualFunc(g, w, slices.Equal) || len(g) < 2 {
						t.Errorf("xlsx (raw %v) differs from the API's:\n%q\nAPI:\n%q", raw, g, w)
					}
				}
			}
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 2 {
			t.Errorf("the folder holds %d files, want the 2 exports: %v", len(entries), entries)
		}
		m := mustOpenMain(t, env)
		var actors []string
		m.DB.Gorm.Raw("SELECT actor FROM audit_log WHERE stream = 'charity-aid' ORDER BY id").Scan(&actors)
		m.Close()
		if len(actors) != 4 || actors[2] != "cli" || actors[3] != "cli" || actors[0] == "cli" {
			t.Errorf("audit actors %q: want the verifier twice, then cli twice", actors)
		}
		if code, _, _ := runCmd(t, env, "", "audit-verify"); code != 0 {
			t.Errorf("audit-verify after the exports: %d", code)
		}

		bad := filepath.Join(dir, "bad.xls")
		if code, _, errs := runCmd(t, env, "", "export-charity-aid", "--region", "371725", "--from", "2026-01-01", "--to", "2026-01-31",
			"--format", "xls", "--out", bad); code != 2 || !strings.Contains(errs, "--format must be csv or xlsx") {
			t.Errorf("format xls: %d %q", code, errs)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var o, e bytes.Buffer
		stopped := filepath.Join(dir, "stopped.csv")
		if code := run(ctx, []string{"export-charity-aid", "--region", "371725", "--from", "2000-01-01", "--to", "2099-12-31", "--out", stopped},
			strings.NewReader(""), &o, &e, env); code == 0 {
			t.Errorf("an interrupted export succeeded: %q", o.String())
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 2 {
			t.Errorf("after a refused and an interrupted export the folder holds %v", entries)
		}
	})
}

// sheetCells reads the one sheet of a workbook: as Excel shows it, or the
// stored values.
func sheetCells(t *testing.T, book []byte, raw bool) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(book), excelize.Options{RawCellValue: raw})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetList()[0])
	if err != nil {
		t.Fatal(err)
	}
	return rows
}
