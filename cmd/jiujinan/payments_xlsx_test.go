package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// import-payments reads an .xlsx export (title row, numeric ID number,
// totals row) like a CSV, adds nothing the second time, and says how to
// save an old .xls.
func TestImportPaymentsReadsAnXLSXAndRefusesAnXLS(t *testing.T) {
	sqldbtest.EachURL(t, func(t *testing.T, url string) {
		env := envFor(t, url)
		dir := t.TempDir()
		f := excelize.NewFile()
		s := "Sheet1"
		for _, err := range []error{
			f.SetCellValue(s, "A1", "2026年1月城乡低保发放花名册"),
			f.MergeCell(s, "A1", "F1"),
			f.SetSheetRow(s, "A2", &[]any{"身份证号", "姓名", "救助类别", "发放金额（元）", "发放日期", "行政区划代码"}),
			f.SetSheetRow(s, "A3", &[]any{int64(371725198001011235), "张三", "低保金", 850.5, time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC), 371725}),
			f.SetSheetRow(s, "A4", &[]any{"合计", "", "", 850.5, "", ""}),
			f.SaveAs(filepath.Join(dir, "2026-01.xlsx")),
			f.Close(),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}
		path := filepath.Join(dir, "2026-01.xlsx")
		code, out, errs := runCmd(t, env, "", "import-payments", path)
		if code != 0 || !strings.Contains(out, "accepted    1") || !strings.Contains(out, "rejected    1") || !strings.Contains(out, "line 4: totals:") {
			t.Fatalf("first: %d %q %q", code, out, errs)
		}
		code, out, errs = runCmd(t, env, "", "import-payments", path)
		if code != 0 || !strings.Contains(out, "accepted    0") || !strings.Contains(out, "duplicates  1") {
			t.Fatalf("again: %d %q %q", code, out, errs)
		}
		xls := filepath.Join(dir, "2026-01.xls")
		if err := os.WriteFile(xls, append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 512)...), 0o600); err != nil {
			t.Fatal(err)
		}
		code, out, errs = runCmd(t, env, "", "import-payments", xls)
		if code != 1 || !strings.Contains(errs+out, "save it as .xlsx or as CSV (UTF-8)") {
			t.Fatalf("xls: %d %q %q", code, out, errs)
		}
	})
}

// gen-payments --format xlsx writes the CSV's rows as a workbook: importing
// either accepts, finds duplicate and refuses the same numbers of rows
// (the benchmark compares the two imports on the same rows).
func TestGenPaymentsXLSXImportsLikeTheCSV(t *testing.T) {
	dir := t.TempDir()
	counts := map[string]string{}
	for _, format := range []string{"csv", "xlsx"} {
		code, file, errs := runCmd(t, nil, "", "gen-payments", "--rows", "3000", "--seed", "7", "--bad-share", "0.05", "--format", format)
		if code != 0 {
			t.Fatalf("gen %s: %d %s", format, code, errs)
		}
		path := filepath.Join(dir, "p."+format)
		if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
			t.Fatal(err)
		}
		env := envFor(t, sqldbtest.SQLiteURL(t))
		code, out, errs := runCmd(t, env, "", "import-payments", path, "--show", "0", "--report", filepath.Join(dir, format+".rejected.csv"))
		if code != 0 {
			t.Fatalf("import %s: %d %q %q", format, code, out, errs)
		}
		var lines []string
		for l := range strings.Lines(out) {
			if f := strings.Fields(l); len(f) >= 2 && (f[0] == "accepted" || f[0] == "duplicates" || f[0] == "rejected") {
				lines = append(lines, f[0]+" "+f[1])
			}
		}
		counts[format] = strings.Join(lines, ", ")
	}
	if counts["csv"] != counts["xlsx"] || !strings.Contains(counts["csv"], "rejected") || strings.Contains(counts["csv"], "accepted 0,") {
		t.Errorf("imports: CSV %q, xlsx %q", counts["csv"], counts["xlsx"])
	}
}
