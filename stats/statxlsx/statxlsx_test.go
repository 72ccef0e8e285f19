package statxlsx

import (
	"bytes"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/jiujinan/jiujinan/stats"
)

// TestWorkbookOpens: excelize reads every sheet back — names, header, a
// row per line with its figures as numbers — also for a report with empty
// breakdowns and names XML must escape or cannot hold.
func TestWorkbookOpens(t *testing.T) {
	r := &stats.Report{Period: stats.Period{Year: 2026, Month: 11}, Region: "371725", RegionName: "郓城县",
		Total:   stats.Figures{Received: 3, RaisedFen: 12_345, ClearanceDecided: 3, ClearanceOnTime: 2},
		Orgs:    []stats.Row{{Key: "o1", Name: "<慈善&会>\x01", Figures: stats.Figures{PaidFen: 100}}},
		Regions: []stats.Row{{Key: "371725001", Name: "郓州街道"}, {Key: "371725", Name: "郓城县", Self: true, Figures: stats.Figures{Received: 3}}}}
	var buf bytes.Buffer
	if err := Write(&buf, "郓城县 2026-11", r); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatalf("does not open: %v", err)
	}
	defer f.Close()
	if got := strings.Join(f.GetSheetList(), ","); got != "合计,地区,类别,机构,救助项目,办理环节" {
		t.Errorf("sheets %s", got)
	}
	total, _ := f.GetRows("合计")
	if len(total) != 2 || len(total[0]) != 3+len(stats.Columns) || total[1][0] != "2026-11" || total[1][1] != "371725" {
		t.Fatalf("合计 %v", total)
	}
	raised, _ := f.GetCellValue("合计", "L2", excelize.Options{RawCellValue: true})
	share, _ := f.GetCellValue("合计", "Q2", excelize.Options{RawCellValue: true})
	if total[0][11] != "募集善款（元）" || raised != "123.45" || total[0][16] != "按时核实率" || share != "0.666" {
		t.Errorf("raised %q (%s), share %q (%s)", raised, total[0][11], share, total[0][16])
	}
	orgs, _ := f.GetRows("机构")
	if len(orgs) != 2 || orgs[1][2] != "<慈善&会>\uFFFD" {
		t.Errorf("机构 %q", orgs)
	}
	places, _ := f.GetRows("地区")
	if len(places) != 3 || places[2][2] != "郓城县（本级及未细分）" {
		t.Errorf("地区 %q", places)
	}
	// A breakdown with no lines is a header alone; one share with nothing
	// to share is an empty cell.
	if progs, _ := f.GetRows("救助项目"); len(progs) != 1 || len(progs[0]) != 3+4 {
		t.Errorf("救助项目 %q", progs)
	}
	if v, _ := f.GetCellValue("地区", "Q2"); v != "" {
		t.Errorf("a share of nothing: %q", v)
	}
	if p, _ := f.GetDocProps(); p.Title != "郓城县 2026-11" {
		t.Errorf("title %q", p.Title)
	}
}
