package xlsxsheet_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/matching/record"
	"github.com/jiujinan/jiujinan/matching/record/xlsxsheet"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// zipOf writes the parts in the order given (name, content, name, ...).
func zipOf(t *testing.T, parts ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 0; i < len(parts); i += 2 {
		w, err := zw.Create(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, parts[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const (
	pkgRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`
	// Sheet "甲" is the second part, "乙" the first: the order is the
	// workbook's, not the parts'.
	workbookXML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="甲" sheetId="1" r:id="rId2"/><sheet name="乙 &amp; 丙" sheetId="2" r:id="rId1"/></sheets></workbook>`
	workbookRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="/xl/worksheets/sheet2.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`
	// Rich text runs are joined; the phonetic run (<rPh>) is not text.
	sharedStrings = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="4" uniqueCount="4"><si><t>身份证号</t></si><si><r><rPr><b/></rPr><t>张</t></r><r><t xml:space="preserve">三 </t></r><rPh sb="0" eb="1"><t>ちょう</t></rPh><phoneticPr fontId="1"/></si><si><t/></si><si><t>a_x000D_b_x005F_x0041_</t></si></sst>`
	// Row 2 and row 4 are absent, row 5 is empty, cells skip columns, the
	// last row's cells have no r reference.
	sheetGaps = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` +
		`<row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="s"><v>1</v></c></row>` +
		`<row r="3" spans="1:8"><c r="B3" t="inlineStr"><is><t>李&lt;四&gt;</t></is></c><c r="D3" s="1"><v>3.7172519800101E+17</v></c>` +
		`<c r="E3" t="d"><v>2026-01-15T00:00:00Z</v></c><c r="F3" t="b"><v>1</v></c><c r="G3" t="e"><v>#N/A</v></c>` +
		`<c r="H3" t="str"><f>A1&amp;"x"</f><v>身份证号x</v></c><c r="I3"/><c r="J3" t="s"><v>2</v></c></row>` +
		`<row r="5"/>` +
		`<row r="6"><c t="inlineStr"><is><r><t>王</t></r><r><rPr/><t>五</t></r><rPh><t>わ</t></rPh></is></c><c><v>46349</v></c><c t="s"><v>3</v></c></row>` +
		`</sheetData><mergeCells count="1"><mergeCell ref="A1:C1"/></mergeCells></worksheet>`
	sheetOne = `<?xml version="1.0" encoding="UTF-8"?><x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData><x:row><x:c><x:v>1</x:v></x:c></x:row></x:sheetData></x:worksheet>`
)

func handWritten(t *testing.T) []byte {
	return zipOf(t, "_rels/.rels", pkgRels, "xl/workbook.xml", workbookXML, "xl/_rels/workbook.xml.rels", workbookRels,
		"xl/sharedStrings.xml", sharedStrings, "xl/worksheets/sheet1.xml", sheetOne, "xl/worksheets/sheet2.xml", sheetGaps)
}

type row struct {
	n     int64
	cells []string
}

func readAll(t *testing.T, data []byte, sheet string) ([]row, error) {
	t.Helper()
	wb, err := xlsxsheet.Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, err
	}
	defer wb.Close()
	rows, err := wb.Rows(sheet)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var got []row
	for {
		cells, n, err := rows.Next()
		if errors.Is(err, io.EOF) {
			return got, nil
		}
		if err != nil {
			return got, err
		}
		got = append(got, row{n, cells})
	}
}

func TestAStreamedSheetPlacesCellsByTheirReferences(t *testing.T) {
	data := handWritten(t)
	wb, err := xlsxsheet.Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if got := wb.Sheets(); !reflect.DeepEqual(got, []string{"甲", "乙 & 丙"}) {
		t.Errorf("sheets %q", got)
	}
	got, err := readAll(t, data, "甲")
	if err != nil {
		t.Fatal(err)
	}
	want := []row{
		{1, []string{"身份证号", "", "张三 "}},
		{2, nil},
		{3, []string{"", "李<四>", "", "3.7172519800101E+17", "2026-01-15T00:00:00Z", "1", "#N/A", "身份证号x"}},
		{4, nil},
		{5, nil},
		{6, []string{"王五", "46349", "a\rb_x0041_"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows\n%+v\nwant\n%+v", got, want)
	}
	got, err = readAll(t, data, "乙 & 丙")
	if err != nil || !reflect.DeepEqual(got, []row{{1, []string{"1"}}}) {
		t.Errorf("prefixed sheet: %+v, %v", got, err)
	}
}

// The header is found below gaps and a merged title, and a row's line is
// the row number Excel shows.
func TestAWorkbookWithGapsImportsWithExcelsRowNumbers(t *testing.T) {
	sheet := `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` +
		`<row r="2"><c r="B2" t="inlineStr"><is><t>2026年1月花名册</t></is></c></row>` +
		`<row r="4"><c r="B4" t="inlineStr"><is><t>身份证号</t></is></c><c r="C4" t="inlineStr"><is><t>姓名</t></is></c><c r="D4" t="inlineStr"><is><t>救助类别</t></is></c>` +
		`<c r="E4" t="inlineStr"><is><t>发放金额（元）</t></is></c><c r="F4" t="inlineStr"><is><t>发放日期</t></is></c><c r="G4" t="inlineStr"><is><t>行政区划代码</t></is></c></row>` +
		`<row r="7"><c r="B7" t="inlineStr"><is><t>` + idA + `</t></is></c><c r="C7" t="inlineStr"><is><t>张三</t></is></c><c r="D7" t="inlineStr"><is><t>低保金</t></is></c>` +
		`<c r="E7"><v>850.5</v></c><c r="F7" s="1"><v>46037</v></c><c r="G7"><v>371725</v></c></row>` +
		`<row r="9"><c r="B9" t="inlineStr"><is><t>` + idB + `</t></is></c><c r="E9"><v>600</v></c></row>` +
		`</sheetData></worksheet>`
	data := zipOf(t, "_rels/.rels", pkgRels, "xl/workbook.xml", `<workbook xmlns:r="r"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels", `<Relationships><Relationship Id="rId1" Type="worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
		"xl/worksheets/sheet1.xml", sheet)
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		im, _, _ := newImporter(t, db)
		res, err := importBytes(t, im, "gaps.xlsx", data)
		if err != nil {
			t.Fatal(err)
		}
		if b := res.Batch; b.Accepted != 1 || b.Rejected != 1 || len(res.Errors) != 1 || res.Errors[0].Line != 9 {
			t.Fatalf("batch %+v, errors %+v", b, res.Errors)
		}
	})
}

func TestAZipThatIsNoWorkbookIsNotReadable(t *testing.T) {
	for name, data := range map[string][]byte{
		"no workbook part": zipOf(t, "word/document.xml", "<document/>", "_rels/.rels", `<Relationships/>`),
		"a sheet part that is not XML": zipOf(t, "xl/workbook.xml", `<workbook><sheets><sheet name="S" r:id="rId1"/></sheets></workbook>`,
			"xl/_rels/workbook.xml.rels", `<Relationships><Relationship Id="rId1" Target="worksheets/s.xml"/></Relationships>`,
			"xl/worksheets/s.xml", `<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c></row><row r="1">`),
		"a DTD": zipOf(t, "xl/workbook.xml", `<!DOCTYPE workbook [<!ENTITY a "b">]><workbook/>`),
		"a sheet without its part": zipOf(t, "xl/workbook.xml", `<workbook><sheets><sheet name="S" r:id="rId1"/></sheets></workbook>`,
			"xl/_rels/workbook.xml.rels", `<Relationships><Relationship Id="rId1" Target="worksheets/gone.xml"/></Relationships>`),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := readAll(t, data, "S")
			var fe *record.FileError
			if err == nil || errors.As(err, &fe) {
				t.Fatalf("err %v", err)
			}
		})
	}
	// Through the importer: the catalogue's "not a readable Excel workbook".
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		im, _, _ := newImporter(t, db)
		_, err := importBytes(t, im, "report.xlsx", zipOf(t, "word/document.xml", "<document/>"))
		var ref *kernel.Refusal
		if !errors.As(err, &ref) || ref.Key != record.KeyFileNotXLSX {
			t.Fatalf("err %v", err)
		}
	})
}

// A part whose declared size is absurd is refused before it is inflated;
// shared strings beyond the bound are refused while read.
func TestAZipBombIsRefusedAsTooLarge(t *testing.T) {
	// A zip whose sheet declares 5 GiB: written by hand with zip64 sizes.
	bomb := zipDeclaring(t, "xl/worksheets/sheet1.xml", 5<<30)
	_, err := xlsxsheet.Open(bytes.NewReader(bomb), int64(len(bomb)))
	var fe *record.FileError
	if !errors.As(err, &fe) || fe.Key != record.KeyFileXLSXTooLarge {
		t.Fatalf("declared 5 GiB: %v", err)
	}
	// 2^63 bytes: a sum of such sizes would wrap in a uint64.
	bomb = zipDeclaring(t, "xl/worksheets/sheet1.xml", 1<<63)
	if _, err := xlsxsheet.Open(bytes.NewReader(bomb), int64(len(bomb))); !errors.As(err, &fe) || fe.Key != record.KeyFileXLSXTooLarge {
		t.Fatalf("declared 2^63: %v", err)
	}
	// 300 MiB of one repeated shared string compresses to a few hundred KiB.
	var sst bytes.Buffer
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	for _, p := range [][2]string{{"xl/workbook.xml", `<workbook><sheets><sheet name="S" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<Relationships><Relationship Id="rId1" Target="worksheets/s.xml"/><Relationship Id="rId2" Type="x/sharedStrings" Target="sharedStrings.xml"/></Relationships>`},
		{"xl/worksheets/s.xml", `<worksheet><sheetData/></worksheet>`}} {
		w, _ := zw.Create(p[0])
		io.WriteString(w, p[1])
	}
	w, _ := zw.Create("xl/sharedStrings.xml")
	io.WriteString(w, "<sst>")
	item := "<si><t>" + strings.Repeat("身", 1<<14) + "</t></si>"
	sst.WriteString(item)
	for n := 0; n < (300<<20)/len(item); n++ {
		if _, err := w.Write(sst.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	io.WriteString(w, "</sst>")
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	data := zbuf.Bytes()
	_, err = xlsxsheet.Open(bytes.NewReader(data), int64(len(data)))
	if !errors.As(err, &fe) || fe.Key != record.KeyFileXLSXTooLarge || !strings.Contains(fe.Reason, "256 MiB") {
		t.Fatalf("300 MiB of shared strings (%d bytes zipped): %v", len(data), err)
	}
}

// zipDeclaring writes a workbook whose part name declares size bytes but
// holds a few: the central directory is what Open reads first.
func zipDeclaring(t *testing.T, name string, size uint64) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, p := range [][2]string{{"xl/workbook.xml", `<workbook><sheets><sheet name="S" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>`}} {
		w, _ := zw.Create(p[0])
		io.WriteString(w, p[1])
	}
	content := []byte(`<worksheet><sheetData/></worksheet>`)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Store, CompressedSize64: uint64(len(content)), UncompressedSize64: size})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(content)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Every cell of a workbook written by excelize (shared strings, rich text,
// numbers, dates, booleans, formulas, gaps) reads as excelize's own
// iterator read it with RawCellValue.
func TestAStreamedSheetReadsLikeExcelize(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	s := "Sheet1"
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.SetCellStr(s, "A1", "姓名 & <标题>"))
	must(f.SetCellRichText(s, "C1", []excelize.RichTextRun{{Text: "粗", Font: &excelize.Font{Bold: true}}, {Text: "体\n换行"}}))
	must(f.SetCellValue(s, "B3", 371725198001011235))
	must(f.SetCellValue(s, "D3", 3.7172519800101e17))
	must(f.SetCellValue(s, "E3", true))
	must(f.SetCellValue(s, "F3", 850.5))
	must(f.SetCellFormula(s, "G3", "F3*2"))
	must(f.SetCellValue(s, "Z9", "远"))
	must(f.SetCellValue(s, "A12", "  空格  "))
	for r := 20; r < 400; r++ {
		must(f.SetSheetRow(s, fmt.Sprintf("A%d", r), &[]any{r, fmt.Sprintf("名%d", r%7), float64(r) / 3, "", fmt.Sprint(r)}))
	}
	var buf bytes.Buffer
	must(f.Write(&buf))
	data := buf.Bytes()

	want, err := excelize.OpenReader(bytes.NewReader(data))
	must(err)
	defer want.Close()
	wrows, err := want.Rows(s)
	must(err)
	got, err := readAll(t, data, s)
	must(err)
	i := 0
	for ; wrows.Next(); i++ {
		cells, err := wrows.Columns(excelize.Options{RawCellValue: true})
		must(err)
		if i >= len(got) || got[i].n != int64(i+1) || !reflect.DeepEqual(got[i].cells, cells) && (len(cells) > 0 || len(got[i].cells) > 0) {
			t.Fatalf("row %d: %+v, excelize %q", i+1, got[min(i, len(got)-1)], cells)
		}
	}
	if i != len(got) || i != 399 {
		t.Fatalf("%d rows, excelize %d", len(got), i)
	}
}

// BenchmarkReadingASheet reads 20,000 rows of seven text cells, as
// gen-payments --format xlsx writes them (inline strings) and as Excel
// saves them (a shared string table); ns/op is per row.
func BenchmarkReadingASheet(b *testing.B) {
	const n = 20000
	row := func(r int) []any {
		return []any{idA, "张三", "城市低保金", "850.50", "2026-01-15", "371725", fmt.Sprint(r)}
	}
	inline := excelize.NewFile()
	sw, err := inline.NewStreamWriter("Sheet1")
	if err != nil {
		b.Fatal(err)
	}
	shared := excelize.NewFile()
	for r := 1; r <= n; r++ {
		cell, _ := excelize.CoordinatesToCellName(1, r)
		if err := sw.SetRow(cell, row(r)); err != nil {
			b.Fatal(err)
		}
		cells := row(r)
		if err := shared.SetSheetRow("Sheet1", cell, &cells); err != nil {
			b.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		f    *excelize.File
	}{{"inline", inline}, {"shared", shared}} {
		var buf bytes.Buffer
		if err := tc.f.Write(&buf); err != nil {
			b.Fatal(err)
		}
		data := buf.Bytes()
		b.Run(tc.name, func(b *testing.B) {
			for i := 0; i < b.N; i += n {
				wb, err := xlsxsheet.Open(bytes.NewReader(data), int64(len(data)))
				if err != nil {
					b.Fatal(err)
				}
				rows, err := wb.Rows("Sheet1")
				if err != nil {
					b.Fatal(err)
				}
				for {
					if _, _, err := rows.Next(); errors.Is(err, io.EOF) {
						break
					} else if err != nil {
						b.Fatal(err)
					}
				}
				rows.Close()
			}
		})
		// What excelize's iterator, which read the import before, costs.
		b.Run(tc.name+"-excelize", func(b *testing.B) {
			for i := 0; i < b.N; i += n {
				f, err := excelize.OpenReader(bytes.NewReader(data))
				if err != nil {
					b.Fatal(err)
				}
				rows, err := f.Rows("Sheet1")
				if err != nil {
					b.Fatal(err)
				}
				for rows.Next() {
					if _, err := rows.Columns(excelize.Options{RawCellValue: true}); err != nil {
						b.Fatal(err)
					}
				}
				rows.Close()
				f.Close()
			}
		})
	}
}
