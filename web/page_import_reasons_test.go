package web

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/nicksnyder/go-i18n/v2/i18n"

	"github.com/jiujinan/jiujinan/kernel"
)

// Every reason the importer gives for a rejected row reads as Chinese on
// the verifier's page: a file with one bad row of each kind is imported,
// and each stored reason is worded from the catalogue, none by the
// fallback, none in English.
func TestEveryRejectedRowReadsInChinese(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		withPayments(t, env)
		tok, _ := env.user(kernel.RoleVerifier, nil)
		id := idNumber("371725", "19800315", "123")
		badBirth := "37172519800230123"
		badBirth += string(kernel.IDCheckChar(badBirth))
		wrongCheck := id[:17] + map[bool]string{true: "1", false: "2"}[id[17] != '1']
		row := func(id, prog, amount, period, region string) string {
			return id + ",某某," + prog + "," + amount + "," + period + "," + region + "\n"
		}
		lines := []string{
			row("37172519800101123", "低保", "100", "2026-01", "371725"),
			row("3717251980010112AX", "低保", "100", "2026-01", "371725"),
			row(badBirth, "低保", "100", "2026-01", "371725"),
			row(wrongCheck, "低保", "100", "2026-01", "371725"),
			row(id, "", "100", "2026-01", "371725"),
			row(id, strings.Repeat("救", 41), "100", "2026-01", "371725"),
			row(id, "37172519800101", "100", "2026-01", "371725"),
			row(id, "低\x01保", "100", "2026-01", "371725"),
			row(id, "低保", "", "2026-01", "371725"),
			row(id, "低保", "-5", "2026-01", "371725"),
			row(id, "低保", "0", "2026-01", "371725"),
			row(id, "低保", "abc", "2026-01", "371725"),
			row(id, "低保", "1.234", "2026-01", "371725"),
			row(id, "低保", "2000000", "2026-01", "371725"),
			row(id, "低保", "100", "", "371725"),
			row(id, "低保", "100", "2026-13", "371725"),
			row(id, "低保", "100", "2026-02-30", "371725"),
			row(id, "低保", "100", "2026-03-01至2026-02-01", "371725"),
			row(id, "低保", "100", "1985-01", "371725"),
			row(id, "低保", "100", "2030-01", "371725"),
			row(id, "低保", "100", "abc至2026-01-01", "371725"),
			row(id, "低保", "100", "2026-01-01至abc", "371725"),
			row(id, "低保", "100", "2026-01", ""),
			row(id, "低保", "100", "2026-01", "abc"),
			row(id, "低保", "100", "2026-01", "3717"),
			row(id, "低保", "100", "2026-01", "990000"),
			row(id, "低保", "100", "2026-01", "371725001001"),
			id + ",某某,低保\n",
			id + `,某"某,低保,100,2026-01,371725` + "\n",
			"合计,,,100,,\n",
			id + "," + strings.Repeat("某", 25_000) + ",低保,100,2026-01,371725\n",
			id + `,"某某,低保,100,2026-01,371725` + "\n",
		}
		file := "身份证号,姓名,救助类别,发放金额,救助期间,行政区划代码\n" + strings.Join(lines, "")
		r := env.upload("/api/v1/statutory-payments/imports", tok, "file", "bad.csv", []byte(file))
		if r.Status != http.StatusCreated {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		m := r.JSON(t)
		if m["rejected_total"] != float64(len(lines)) {
			t.Fatalf("%v of %d rows rejected: %s", m["rejected_total"], len(lines), r.Body)
		}
		ps, err := newPages()
		if err != nil {
			t.Fatal(err)
		}
		zh := &page{Lang: "zh", loc: i18n.NewLocalizer(ps.bundle, "zh"), div: ps.div}
		english := regexp.MustCompile(`[A-Za-z]{3,}`)
		fallback := zh.T("rowerr_other")
		kinds := map[string]bool{}
		for _, e := range m["rejected"].([]any) {
			reason := e.(map[string]any)["error"].(string)
			got := zh.RowProblem(reason)
			if strings.Contains(got, fallback) || strings.Contains(got, "rowerr_") {
				t.Errorf("%q is worded by the fallback: %q", reason, got)
			}
			for _, w := range english.FindAllString(got, -1) {
				if w != "KiB" && w != "CSV" {
					t.Errorf("%q reads %q in Chinese, with the English %q", reason, got, w)
				}
			}
			kinds[got] = true
		}
		if len(kinds) < 20 {
			t.Errorf("only %d distinct reasons: the file does not try every kind", len(kinds))
		}
		// Unknown reasons still name the column in Chinese.
		if got := zh.RowProblem("amount: some newer reason"); got != "发放金额："+fallback {
			t.Errorf("unknown reason: %q", got)
		}
	})
}
