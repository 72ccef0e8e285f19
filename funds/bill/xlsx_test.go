package bill

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/matching/record"
	"github.com/jiujinan/jiujinan/matching/record/xlsxsheet"
)

// xlsxOptions reads workbooks with the payment import's reader, as web does.
func xlsxOptions() Options {
	return Options{OpenWorkbook: func(r io.ReaderAt, size int64) (Workbook, error) {
		wb, err := xlsxsheet.Open(r, size)
		if err != nil {
			return nil, err
		}
		return workbook{wb}, nil
	}}
}

type workbook struct{ record.Workbook }

func (w workbook) Rows(sheet string) (Rows, error) { return w.Workbook.Rows(sheet) }

// A bank's .xlsx: a notes sheet, title rows above the header, the amount a
// number, the date an Excel date, the 附言 holding the reference.
func TestABankWorkbook(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.SetSheetName("Sheet1", "说明"))
	must(f.SetCellValue("说明", "A1", "导出说明"))
	_, err := f.NewSheet("明细")
	must(err)
	s := "明细"
	must(f.SetCellValue(s, "A1", "中国建设银行 活期账户交易明细"))
	must(f.MergeCell(s, "A1", "F1"))
	must(f.SetSheetRow(s, "A3", &[]any{"交易日期", "摘要", "对方户名", "支出金额", "收入金额", "余额"}))
	must(f.SetSheetRow(s, "A4", &[]any{time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), "转账存入 JJ0123456789", "张三", nil, 1000.5, 1000.5}))
	must(f.SetSheetRow(s, "A5", &[]any{time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), "汇划手续费", "", 2, nil, 998.5}))
	var buf bytes.Buffer
	must(f.Write(&buf))

	format, lines, bad, skipped, err := readAll(t, "明细.xlsx", buf.Bytes(), xlsxOptions())
	if err != nil {
		t.Fatal(err)
	}
	want := funds.BillLine{Line: 4, Kind: funds.BillPayment, Reference: "JJ0123456789", AmountFen: 100_050, At: china("2026-11-23 00:00:00")}
	if format != funds.BillBank || len(bad) != 0 || skipped != 1 || len(lines) != 1 || lines[0] != want {
		t.Fatalf("format %s, bad %v, skipped %d, lines %+v; want %+v", format, bad, skipped, lines, want)
	}

	// A workbook of something else is refused as an unknown format.
	g := excelize.NewFile()
	defer g.Close()
	must(g.SetSheetRow("Sheet1", "A1", &[]any{"姓名", "电话"}))
	buf.Reset()
	must(g.Write(&buf))
	if _, _, _, _, err := readAll(t, "x.xlsx", buf.Bytes(), xlsxOptions()); err == nil {
		t.Fatal("a workbook without a bill's header is read")
	}
}
