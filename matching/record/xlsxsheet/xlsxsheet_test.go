package xlsxsheet_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/matching/record"
	"github.com/jiujinan/jiujinan/matching/record/gormstore"
	"github.com/jiujinan/jiujinan/matching/record/xlsxsheet"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

const (
	idA = "371725198001011235" // 郓城县
	idB = "430524197512300024" // 隆回县
)

var testNow = time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)

// equivalentCSV holds the one valid payment of countyWorkbook.
const equivalentCSV = "身份证号,姓名,救助类别,发放金额（元）,发放日期,行政区划代码\n" +
	idA + ",张三,城市低保金,850.50,2026-01-15,371725\n"

// countyWorkbook is a county's export: a notes sheet first, then the
// payments under a merged title row, the ID number and the region code
// stored as numbers, the date as a date, a bad row and a totals row.
func countyWorkbook(t *testing.T) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.SetSheetName("Sheet1", "说明"))
	must(f.SetCellValue("说明", "A1", "本表由民政业务系统导出"))
	_, err := f.NewSheet("发放明细")
	must(err)
	s := "发放明细"
	must(f.SetCellValue(s, "A1", "2026年1月城乡低保发放花名册"))
	must(f.MergeCell(s, "A1", "G1"))
	must(f.SetSheetRow(s, "A2", &[]any{"序号", "身份证号", "姓名", "救助类别", "发放金额（元）", "发放日期", "行政区划代码"}))
	var idNum int64
	fmt.Sscan(idA, &idNum)
	must(f.SetSheetRow(s, "A3", &[]any{1, idNum, "张三", "城市低保金", 850.5, time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC), 371725}))
	must(f.SetSheetRow(s, "A4", &[]any{2, idB, "李四", "低保金", 600, "2026-01-15", "abc"}))
	must(f.SetSheetRow(s, "A5", &[]any{"合计", "", "", "", 1450.5, "", ""}))
	var buf bytes.Buffer
	must(f.Write(&buf))
	return buf.Bytes()
}

func newImporter(t *testing.T, db *sqldb.DB) (*record.PaymentImporter, *gormstore.Store, *marketplace.Pseudonymizer) {
	t.Helper()
	pz, err := marketplace.NewPseudonymizer([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	div, err := kernel.LoadDivisions()
	if err != nil {
		t.Fatal(err)
	}
	st := gormstore.New(db)
	n := 0
	return &record.PaymentImporter{Store: st, Pseudonymizer: pz, Divisions: div, OpenWorkbook: xlsxsheet.Open,
		Now:     func() time.Time { return testNow },
		NewID:   func() string { n++; return fmt.Sprintf("id%04d", n) },
		TempDir: t.TempDir(), Workers: 1}, st, pz
}

func importBytes(t *testing.T, im *record.PaymentImporter, name string, data []byte) (record.ImportResult, error) {
	t.Helper()
	return im.Import(context.Background(), bytes.NewReader(data), record.ImportOptions{FileName: name, CreatedBy: "cli", Size: int64(len(data))})
}

func TestAnXLSXImportsTheSameRecordAsTheEquivalentCSV(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		im, st, pz := newImporter(t, db)
		wb := countyWorkbook(t)
		res, err := importBytes(t, im, "county.xlsx", wb)
		if err != nil {
			t.Fatal(err)
		}
		if b := res.Batch; b.Status != record.ImportDone || b.Accepted != 1 || b.Rejected != 2 {
			t.Fatalf("batch %+v, errors %+v", b, res.Errors)
		}
		want := map[int64]string{4: "region_code:", 5: "totals:"}
		for _, e := range res.Errors {
			if !strings.HasPrefix(e.Error, want[e.Line]) || want[e.Line] == "" {
				t.Errorf("row %d: %q, want %q", e.Line, e.Error, want[e.Line])
			}
		}
		ps, err := st.PaymentsFor(context.Background(), pz.Of(idA), time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		day := time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)
		if len(ps) != 1 || ps[0].AmountFen != 85050 || ps[0].Programme != kernel.ProgDibao || !ps[0].From.Equal(day) || !ps[0].To.Equal(day) || ps[0].RegionCode != "371725" {
			t.Fatalf("payments %+v", ps)
		}

		// The same payment as CSV is already on record: the same row.
		res, err = importBytes(t, im, "county.csv", []byte(equivalentCSV))
		if err != nil {
			t.Fatal(err)
		}
		if b := res.Batch; b.Accepted != 0 || b.Duplicates != 1 {
			t.Fatalf("the equivalent CSV: %+v", b)
		}
		// The workbook again adds nothing.
		res, err = importBytes(t, im, "county.xlsx", wb)
		if err != nil {
			t.Fatal(err)
		}
		if b := res.Batch; b.Accepted != 0 || b.Duplicates != 1 || b.Rejected != 2 {
			t.Fatalf("the workbook again: %+v", b)
		}
	})
}

func TestAnOldXLSFileIsRefusedWithTheWayToSaveIt(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		im, _, _ := newImporter(t, db)
		xls := append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 512)...)
		_, err := importBytes(t, im, "county.xls", xls)
		var ref *kernel.Refusal
		var ve *kernel.ValidationError
		if !errors.As(err, &ref) || ref.Key != record.KeyFileXLS || !errors.As(err, &ve) || !strings.Contains(ve.Fields["file"], ".xlsx") {
			t.Fatalf("err %v", err)
		}
		bs, err := im.Store.ImportBatches(context.Background(), 10)
		if err != nil || len(bs) != 0 {
			t.Fatalf("batches %v, %v", bs, err)
		}
	})
}

func TestAFileNamedXLSXThatIsNoWorkbookIsRefused(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		im, _, _ := newImporter(t, db)
		_, err := importBytes(t, im, "county.xlsx", []byte(equivalentCSV))
		var ref *kernel.Refusal
		if !errors.As(err, &ref) || ref.Key != record.KeyFileNotXLSX {
			t.Fatalf("err %v", err)
		}
	})
}

func TestReadingAWorkbookWritesNoTemporaryFile(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	data := countyWorkbook(t)
	wb, err := xlsxsheet.Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
	rows, err := wb.Rows("发放明细")
	if err != nil {
		t.Fatal(err)
	}
	var got [][]string
	for {
		cells, _, err := rows.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, cells)
	}
	if len(got) != 5 || got[2][1] != idA {
		t.Fatalf("rows %q", got)
	}
	// Every sheet of a workbook with shared strings, rich text and gaps.
	hand := handWritten(t)
	for _, sheet := range []string{"甲", "乙 & 丙"} {
		if _, err := readAll(t, hand, sheet); err != nil {
			t.Fatal(err)
		}
	}
	if es, err := os.ReadDir(tmp); err != nil || len(es) != 0 {
		t.Fatalf("temporary files %v, %v", es, err)
	}
}
