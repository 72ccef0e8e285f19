package record_test

import (
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/matching/record"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

func TestParseProgrammeReadsTheNamesOfTheExports(t *testing.T) {
	cases := []struct {
		cell string
		want kernel.Programme
	}{
		{"dibao", kernel.ProgDibao}, {"DIBAO", kernel.ProgDibao},
		{"最低生活保障", kernel.ProgDibao}, {"最低生活保障金", kernel.ProgDibao}, {"低保", kernel.ProgDibao}, {"低保金", kernel.ProgDibao},
		{"城市低保", kernel.ProgDibao}, {"农村低保", kernel.ProgDibao}, {"城乡低保", kernel.ProgDibao}, {"农村低保金", kernel.ProgDibao},
		{" 低保 ", kernel.ProgDibao}, {"　低保金　", kernel.ProgDibao},
		{"特困人员救助供养", kernel.ProgTekun}, {"特困供养", kernel.ProgTekun}, {"特困供养金", kernel.ProgTekun}, {"特困", kernel.ProgTekun},
		{"五保", kernel.ProgTekun}, {"农村五保供养", kernel.ProgTekun},
		{"临时救助", kernel.ProgTemporary}, {"临时救助金", kernel.ProgTemporary},
		{"医疗救助", kernel.ProgMedical}, {"城乡居民医疗救助", kernel.ProgMedical}, {"城乡医疗救助", kernel.ProgMedical},
		{"医疗救助金", kernel.ProgMedical}, {"城乡居民医疗救助资金", kernel.ProgMedical},
		{"教育救助", kernel.ProgEducation},
		{"住房救助", kernel.ProgHousing}, {"危房改造", kernel.ProgHousing}, {"农村危房改造", kernel.ProgHousing},
		{"就业救助", kernel.ProgEmployment},
		{"受灾人员救助", kernel.ProgDisaster}, {"自然灾害生活救助", kernel.ProgDisaster}, {"受灾救助", kernel.ProgDisaster},
		{"孤儿基本生活费", kernel.ProgOrphan},
		{"事实无人抚养儿童基本生活补贴", kernel.ProgUnsupportedChild},
		{"困难残疾人生活补贴", kernel.ProgDisabilityLiving},
		{"重度残疾人护理补贴", kernel.ProgDisabilityCare},
		{"价格临时补贴", kernel.ProgPriceSubsidy},
		{"高龄津贴", kernel.ProgElderlyAllowance}, {"高龄补贴", kernel.ProgElderlyAllowance},
		{"经济困难老年人补贴", kernel.ProgElderlyPoorSubsidy},
	}
	for _, tc := range cases {
		t.Run(tc.cell, func(t *testing.T) {
			p, name, reason := record.ParseProgramme(tc.cell)
			if p != tc.want || name != "" || reason != "" {
				t.Fatalf("ParseProgramme(%q) = %q, %q, %q; want %q", tc.cell, p, name, reason, tc.want)
			}
		})
	}
	// Every programme with a code is read by its code and its label.
	for _, p := range kernel.Programmes {
		for _, cell := range []string{string(p), kernel.ProgrammeLabels[p].Zh} {
			if got, _, reason := record.ParseProgramme(cell); got != p {
				t.Errorf("ParseProgramme(%q) = %q (%s), want %q", cell, got, reason, p)
			}
		}
	}
}

func TestParseProgrammeKeepsAnUnknownNameNormalized(t *testing.T) {
	cases := []struct{ cell, name string }{
		{"慰问金", "慰问金"},
		{"　春节慰问金 ", "春节慰问金"},           // full-width space trimmed
		{"ＡＢＣ补贴（2026）", "ABC补贴(2026)"}, // full-width letters, digits, brackets made half-width
		{"残疾人两项补贴", "残疾人两项补贴"},         // which of the two is not said: its own name
	}
	for _, tc := range cases {
		t.Run(tc.cell, func(t *testing.T) {
			p, name, reason := record.ParseProgramme(tc.cell)
			if reason != "" || name != tc.name || p != kernel.NamedProgramme(tc.name) || !p.Named() || p.Valid() {
				t.Fatalf("ParseProgramme(%q) = %q, %q, %q; want the named programme %q", tc.cell, p, name, reason, tc.name)
			}
		})
	}
	if kernel.NamedProgramme("慰问金") == kernel.NamedProgramme("春节慰问金") {
		t.Fatal("two names share a code")
	}
	for cell, want := range map[string]string{
		"":                      "empty",
		"  ":                    "empty",
		"371725198001011235":    "long number",
		"慰问金371725198001011":    "long number",
		strings.Repeat("救", 41): "longer than",
	} {
		if p, name, reason := record.ParseProgramme(cell); !strings.Contains(reason, want) || p != "" || name != "" {
			t.Errorf("ParseProgramme(%q) = %q, %q, %q; want refused: %s", cell, p, name, reason, want)
		}
	}
}

func TestImportRecordsAnUnknownProgrammeUnderItsName(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		data := "身份证号,姓名,救助类别,金额,发放日期,行政区划代码\n" +
			idA + ",甲,孤儿基本生活费,1200,2026-10-05,371725\n" +
			idA + ",甲,城乡居民医疗救助,300,2026-10-06,371725\n" +
			idB + ",乙,慰问金,500,2026-10-07,430524\n" +
			idB + ",乙,　慰问金 ,200,2026-10-08,430524\n" +
			idC + ",丙,春节慰问金,100,2026-10-09,610524\n" +
			idC + ",丙,,100,2026-10-09,610524\n"
		res, err := f.importBytes(t, []byte(data))
		if err != nil {
			t.Fatal(err)
		}
		if res.Batch.Accepted != 5 || res.Batch.Rejected != 1 || len(res.Errors) != 1 || res.Errors[0].Line != 7 {
			t.Fatalf("batch %+v, errors %+v; want 5 accepted, line 7 rejected", res.Batch, res.Errors)
		}
		want := []record.ProgrammeCount{
			{Programme: kernel.NamedProgramme("慰问金"), Name: "慰问金", Rows: 2},
			{Programme: kernel.NamedProgramme("春节慰问金"), Name: "春节慰问金", Rows: 1},
		}
		if len(res.UnknownProgrammes) != len(want) {
			t.Fatalf("unknown programmes %+v, want %+v", res.UnknownProgrammes, want)
		}
		for i := range want {
			if res.UnknownProgrammes[i] != want[i] {
				t.Fatalf("unknown programmes %+v, want %+v", res.UnknownProgrammes, want)
			}
		}
		if ps := f.payments(t, idA); len(ps) != 2 || ps[0].Programme != kernel.ProgOrphan || ps[1].Programme != kernel.ProgMedical {
			t.Fatalf("payments of A: %+v", ps)
		}
		ps := f.payments(t, idB)
		if len(ps) != 2 || ps[0].Programme != kernel.NamedProgramme("慰问金") || ps[1].Programme != ps[0].Programme ||
			ps[0].AmountFen != 50000 || ps[1].AmountFen != 20000 {
			t.Fatalf("payments of B: %+v", ps)
		}
		// The same file again adds nothing.
		again, err := f.importBytes(t, []byte(data))
		if err != nil || again.Batch.Accepted != 0 {
			t.Fatalf("again: %+v, %v", again.Batch, err)
		}
		if ps := f.payments(t, idB); len(ps) != 2 {
			t.Fatalf("payments of B after a second import: %+v", ps)
		}
	})
}
