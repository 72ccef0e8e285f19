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
