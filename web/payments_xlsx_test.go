package web

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/jiujinan/jiujinan/kernel"
)

// countyWorkbook is a county's .xlsx export: a merged title row above the
// Chinese header, the ID number stored as a number, a bad row and a totals
// row; one valid payment.
func countyWorkbook(t *testing.T) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	s := "Sheet1"
	for _, err := range []error{
		f.SetCellValue(s, "A1", "2026年1月城乡低保发放花名册"),
		f.MergeCell(s, "A1", "F1"),
		f.SetSheetRow(s, "A2", &[]any{"身份证号", "姓名", "救助类别", "发放金额（元）", "发放日期", "行政区划代码"}),
		f.SetSheetRow(s, "A3", &[]any{int64(371725198001011235), "张三", "低保金", 850.5, time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC), 371725}),
		f.SetSheetRow(s, "A4", &[]any{"430524197512300024", "李四", "低保金", 600, "2026-01-15", "abc"}),
		f.SetSheetRow(s, "A5", &[]any{"合计", "", "", 1450.5, "", ""}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var xlsMagic = append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 512)...)

func TestPaymentImportTakesAnXLSXAndRefusesAnXLS(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		withPayments(t, env)
		tok, _ := env.user(kernel.RoleVerifier, nil)
		wb := countyWorkbook(t)
		r := env.upload("/api/v1/statutory-payments/imports", tok, "file", "2026-01.xlsx", wb)
		m := r.JSON(t)
		if r.Status != http.StatusCreated || m["accepted"].(float64) != 1 || m["rejected_total"].(float64) != 2 {
			t.Fatalf("xlsx upload: %d %s", r.Status, r.Body)
		}
		if !strings.Contains(string(r.Body), `"totals:`) || strings.Contains(string(r.Body), "371725198001011235") {
			t.Fatalf("rejected rows: %s", r.Body)
		}
		r = env.upload("/api/v1/statutory-payments/imports", tok, "file", "again.xlsx", wb)
		if m := r.JSON(t); r.Status != http.StatusCreated || m["accepted"].(float64) != 0 || m["duplicates"].(float64) != 1 {
			t.Fatalf("xlsx again: %d %s", r.Status, r.Body)
		}
		r = env.upload("/api/v1/statutory-payments/imports", tok, "file", "2026-01.xls", xlsMagic)
		if r.Status != http.StatusBadRequest || r.ErrorCode() != "invalid" || !strings.Contains(string(r.Body), "另存为 .xlsx 或 CSV（UTF-8）") {
			t.Fatalf("xls upload: %d %s", r.Status, r.Body)
		}
	})
}

func TestImportPageTakesAnXLSXAndSaysHowToSaveAnXLS(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		withPayments(t, env)
		_, verifier := env.user(kernel.RoleVerifier, nil)
		v := newBrowser(env)
		v.login(verifier)
		for _, tc := range []struct {
			name, file string
			data       []byte
			want       string
			refused    bool
		}{
			{"xlsx", "2026-01.xlsx", countyWorkbook(t), "导入完成", false},
			{"xls", "2026-01.xls", xlsMagic, "另存为 .xlsx 或 CSV（UTF-8）", true},
		} {
			rec := v.uploadForm(env, "/verify/imports", tc.file, tc.data)
			if tc.refused {
				// Refused whole on the form, with how to save it.
				if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), tc.want) {
					t.Fatalf("%s: %d %.2000s", tc.name, rec.Code, rec.Body.String())
				}
				continue
			}
			if rec.Code != http.StatusSeeOther {
				t.Fatalf("%s: upload: %d %.300s", tc.name, rec.Code, rec.Body.String())
			}
			env.srv.Imports.Drain()
			job := rec.Header().Get("Location")
			if status := v.do(http.MethodGet, job, nil).Body.String(); !strings.Contains(status, tc.want) {
				t.Fatalf("%s: %.2000s", tc.name, status)
			}
		}
	})
}
