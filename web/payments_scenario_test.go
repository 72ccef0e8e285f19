package web

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/jiujinan/jiujinan/kernel"
)

// A county's month as civil affairs keep it, in the three shapes their
// files come in: the household's 低保 paid under the head's ID (the need is
// the child's), a programme spelled the common way, a programme the
// service has no code for, and one bad row of every kind. The rows of
// scenarioRows are data lines 2.. of the CSV; the workbook has a merged
// title row above its header, so its line numbers are one more.
type scenarioRow struct {
	cells []any  // ID, name, programme, amount, period, region
	bad   string // the reason's start when the row is rejected
}

func scenarioRows(head, other string) []scenarioRow {
	wrongCheck := head[:17] + string("0123456789X"[(strings.IndexByte("0123456789X", head[17])+1)%11])
	return []scenarioRow{
		{cells: []any{head, "张大山", "城市低保金", "900", "2026-11", "371725"}},
		{cells: []any{other, "李四", "城乡居民医疗救助资金", "1,234.50", "2026/11/15", "371725"}},
		{cells: []any{other, "李四", "慰问金", "200", "2026-11", "371725"}},
		{cells: []any{other, "李四", "价格临时补贴", "30", "2026年11月", "371725"}},
		{cells: []any{wrongCheck, "王五", "低保", "500", "2026-11", "371725"}, bad: "id_number:"},
		{cells: []any{other, "李四", "临时救助", "-50", "2026-11", "371725"}, bad: "amount:"},
		{cells: []any{other, "李四", "临时救助", "2000000", "2026-11", "371725"}, bad: "amount:"},
		{cells: []any{other, "李四", "临时救助", "100", "2026-13", "371725"}, bad: "period"},
		{cells: []any{other, "李四", "临时救助", "100", "2026-11", "990000"}, bad: "region_code:"},
		{cells: []any{other, "李四", "", "100", "2026-11", "371725"}, bad: "programme:"},
		{cells: []any{other, "李四", "371725198001", "100", "2026-11", "371725"}, bad: "programme:"},
		{cells: []any{"合计", "", "", "2,364.50", "", ""}, bad: "totals:"},
	}
}

var scenarioHeader = []string{"身份证号", "姓名", "救助类别", "发放金额（元）", "救助期间", "行政区划代码"}

func scenarioCSV(rows []scenarioRow) string {
	var b strings.Builder
	b.WriteString(strings.Join(scenarioHeader, ",") + "\r\n")
	for _, r := range rows {
		for i, c := range r.cells {
			if i > 0 {
				b.WriteByte(',')
			}
			s := fmt.Sprint(c)
			if strings.Contains(s, ",") {
				s = `"` + s + `"`
			}
			b.WriteString(s)
		}
		b.WriteString("\r\n")
	}
	return b.String()
}

func scenarioWorkbook(t *testing.T, rows []scenarioRow) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	s := "Sheet1"
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.SetCellValue(s, "A1", "2026年11月郓城县社会救助资金发放花名册"))
	must(f.MergeCell(s, "A1", "F1"))
	hdr := make([]any, len(scenarioHeader))
	for i, h := range scenarioHeader {
		hdr[i] = h
	}
	must(f.SetSheetRow(s, "A2", &hdr))
	for i, r := range rows {
		cells := append([]any(nil), r.cells...)
		if i == 0 {
			// The head's ID as Excel keeps a typed-in number: digits, no X.
			if id := cells[0].(string); !strings.HasSuffix(id, "X") {
				var n int64
				fmt.Sscan(id, &n)
				cells[0] = n
			}
		}
		must(f.SetSheetRow(s, fmt.Sprintf("A%d", i+3), &cells))
	}
	var buf bytes.Buffer
	must(f.Write(&buf))
	return buf.Bytes()
}

// TestACountysMonthInEveryShape imports the month as UTF-8 CSV, then as
// GBK CSV and as an .xlsx workbook (the same record: nothing added the
// second and third time), with every bad row rejected at its line and the
// unknown programme recorded; then the child's need is screened against
// it: before the import missed relief refers the 低保 household, after it
// the head's 低保 counts for the household, named by role only.
func TestACountysMonthInEveryShape(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		withPayments(t, env)
		worker, _ := env.user(kernel.RoleSocialWorker, nil)
		verifier, _ := env.user(kernel.RoleVerifier, nil)
		head := idNumber("371725", "19780412", "317")
		child := idNumber("371725", "20140901", "226")
		other := idNumber("371725", "19660203", "415")

		body := needBody()
		ben := body["beneficiary"].(map[string]any)
		ben["id_number"], ben["name"], ben["household_types"] = child, "张小雨", []string{"dibao"}
		ben["members"] = []map[string]any{
			{"name": "张大山", "relation": "户主", "id_number": head},
			{"name": "刘桂兰", "relation": "母亲"},
		}
		body["category"], body["title"], body["statutory_relief_fen"] = "basic_living", "张小雨一家基本生活困难", 0
		body["consent"] = map[string]any{"given": true, "given_by": "张大山", "relation": "guardian", "method": "written", "at": "2026-11-20"}
		need := env.createNeed(worker, body)

		screen := func() map[string]any {
			t.Helper()
			r := env.do(http.MethodPost, "/api/v1/needs/"+need+"/screening/run", verifier, nil)
			if r.Status != http.StatusCreated {
				t.Fatalf("screening: %d %s", r.Status, r.Body)
			}
			return r.JSON(t)
		}
		check := func(s map[string]any, rule string) map[string]any {
			t.Helper()
			for _, c := range s["checks"].([]any) {
				if c := c.(map[string]any); c["rule"] == rule {
					return c
				}
			}
			t.Fatalf("no %s check in %v", rule, s)
			return nil
		}
		if missed := check(screen(), "missed_relief"); missed["result"] != "warn" {
			t.Fatalf("before the import, missed relief: %v", missed)
		}

		rows := scenarioRows(head, other)
		csvText := scenarioCSV(rows)
		gbk, err := simplifiedchinese.GBK.NewEncoder().String(csvText)
		if err != nil {
			t.Fatal(err)
		}
		tok := verifier
		for i, f := range []struct {
			name  string
			data  []byte
			shift int64 // line of the first data row, less 2
		}{
			{"2026-11.csv", []byte("\xEF\xBB\xBF" + csvText), 0},
			{"2026-11-gbk.csv", []byte(gbk), 0},
			{"2026-11.xlsx", scenarioWorkbook(t, rows), 1},
		} {
			r := env.upload("/api/v1/statutory-payments/imports", tok, "file", f.name, f.data)
			if r.Status != http.StatusCreated {
				t.Fatalf("%s: %d %s", f.name, r.Status, r.Body)
			}
			m := r.JSON(t)
			wantAccepted, wantDup := 4.0, 0.0
			if i > 0 {
				wantAccepted, wantDup = 0, 4 // the same payments, already on record
			}
			if m["accepted"] != wantAccepted || m["duplicates"] != wantDup || m["rejected_total"] != 8.0 {
				t.Fatalf("%s: accepted %v, duplicates %v, rejected %v: %s", f.name, m["accepted"], m["duplicates"], m["rejected_total"], r.Body)
			}
			got := map[int64]string{}
			for _, e := range m["rejected"].([]any) {
				e := e.(map[string]any)
				got[int64(e["line"].(float64))] = e["error"].(string)
			}
			for j, row := range rows {
				line := int64(j) + 2 + f.shift
				if row.bad == "" {
					if reason, ok := got[line]; ok {
						t.Errorf("%s: line %d rejected: %s", f.name, line, reason)
					}
					continue
				}
				if !strings.HasPrefix(got[line], row.bad) {
					t.Errorf("%s: line %d: %q, want %s…", f.name, line, got[line], row.bad)
				}
				if strings.Contains(got[line], head) || strings.Contains(got[line], other) {
					t.Errorf("%s: line %d's reason quotes an ID number: %q", f.name, line, got[line])
				}
			}
			unknown := fmt.Sprint(m["unknown_programmes"])
			if !strings.Contains(unknown, "慰问金") || strings.Contains(unknown, "价格临时补贴") {
				t.Errorf("%s: unknown programmes %s", f.name, unknown)
			}
		}

		s := screen()
		missed := check(s, "missed_relief")
		if missed["result"] != "clear" {
			t.Fatalf("after the import, missed relief: %v", missed)
		}
		over := check(s, "statutory_overlap")
		ev := fmt.Sprint(over["evidence"])
		if !strings.Contains(ev, "member:head") || !strings.Contains(ev, "programme:dibao") {
			t.Fatalf("statutory overlap does not count the head's 低保: %v", over)
		}
		raw := env.do(http.MethodGet, "/api/v1/needs/"+need+"/screening", verifier, nil)
		for _, secret := range []string{head, child, "张大山", "刘桂兰"} {
			if strings.Contains(string(raw.Body), secret) {
				t.Errorf("the screening shows %q", secret)
			}
		}
	})
}
