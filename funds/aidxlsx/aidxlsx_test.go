package aidxlsx

import (
	"bytes"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/jiujinan/jiujinan/funds"
)

// A big export streams: no temporary file is ever made (it would hold ID
// numbers in plain text), and excelize reads every row back with its
// types: text IDs, amounts and dates as numbers.
func TestABigWorkbookStreamsWithoutATemporaryFile(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	var out bytes.Buffer
	sh, err := New()(&out)
	if err != nil {
		t.Fatal(err)
	}
	const n = 40_000 // above excelize StreamWriter's 16 MiB spill
	day := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	for i := range n {
		if err := sh.Line(funds.AidLine{NeedPublicID: "n" + strconv.Itoa(i), Name: "张<三>&\x01", IDNumber: "37172519800101002X",
			Category: "医疗", RegionCode: "371725", RegionName: "山东省菏泽市郓城县", AmountFen: int64(i)*100 + 5, Date: day, Payee: "医院"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := sh.Close(); err != nil {
		t.Fatal(err)
	}
	if es, _ := os.ReadDir(tmp); len(es) != 0 {
		t.Fatalf("the export made temporary files: %v", es)
	}
	x, err := excelize.OpenReader(bytes.NewReader(out.Bytes()), excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows(SheetName)
	if err != nil || len(rows) != n+1 {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
	if rows[0][0] != funds.CharityAidHeader[0] || rows[n][0] != "n"+strconv.Itoa(n-1) || rows[1][1] != "张<三>&\uFFFD" || rows[1][2] != "37172519800101002X" {
		t.Fatalf("cells: %q %q", rows[0], rows[1])
	}
	if rows[2][6] != "1.05" || rows[1][7] != strconv.Itoa(46349) {
		t.Fatalf("amount %q, date %q", rows[2][6], rows[1][7])
	}
	if typ, _ := x.GetCellType(SheetName, "C2"); typ != excelize.CellTypeInlineString {
		t.Fatalf("the ID number is stored as %v", typ)
	}
}
