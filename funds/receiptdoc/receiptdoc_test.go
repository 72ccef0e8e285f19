package receiptdoc

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// sample is a receipt with every kind of value: Chinese names, a code, an
// amount in figures and words, and a purpose long enough to wrap.
func sample() Receipt {
	return Receipt{Title: "捐赠票据", Rows: []Row{
		{"票据号", "2026-ABCDEFGHIJ-000042"},
		{"受赠单位", "郓城县慈善总会"},
		{"统一社会信用代码", "53371725500000016Y"},
		{"捐赠人", "郓城县某某商贸有限公司"},
		{"捐赠人统一社会信用代码", "91350100M000100Y43"},
		{"金额", "¥10,005.00"},
		{"金额（大写）", "壹万零伍元整"},
		{"日期", "2026年11月23日"},
		{"Purpose", "Medical aid for a child with leukaemia in Yuncheng County: the second stage of chemotherapy, hospital stay and medicine"},
		{"用途", "为一位患白血病的孩子筹集第二阶段化疗费用，包括住院、药品和检查，以及康复期间的营养补助和往返医院的交通费用"},
	}, Note: "本票据信息可用于办理公益事业捐赠统一票据。", Footer: "救急难平台", Issued: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
}

// TestPDFParsesAndShowsTheReceiptInTheEmbeddedFont: the file's structure
// holds (header, cross-references, trailer), it is one A4 page, its font
// is the embedded subset of WenQuanYi Micro Hei holding a glyph for every
// character shown, and the text it shows is the receipt's.
func TestPDFParsesAndShowsTheReceiptInTheEmbeddedFont(t *testing.T) {
	for _, void := range []string{"", "已作废"} {
		r := sample()
		r.Void = void
		var b bytes.Buffer
		if err := PDF(&b, r); err != nil {
			t.Fatal(err)
		}
		d := readPDF(t, b.Bytes())
		catalog := d.ref(t, d.trailer, "/Root")
		if !bytes.Contains(catalog.dict, []byte("/Type /Catalog")) {
			t.Fatalf("root: %q", catalog.dict)
		}
		pages := d.ref(t, catalog.dict, "/Pages")
		if !bytes.Contains(pages.dict, []byte("/Count 1")) || !bytes.Contains(pages.dict, []byte("/MediaBox [0 0 595.28 841.89]")) {
			t.Errorf("not one A4 page: %q", pages.dict)
		}
		fonts := d.find("/Subtype /Type0")
		if len(fonts) != 1 || !bytes.Contains(bytes.ToLower(fonts[0].dict), []byte(strings.ToLower(FontFamily))) ||
			!bytes.Contains(fonts[0].dict, []byte("/Identity-H")) {
			t.Fatalf("fonts: %d %q", len(fonts), fonts)
		}
		cid := d.ref(t, fonts[0].dict, "/DescendantFonts")
		desc := d.ref(t, cid.dict, "/FontDescriptor")
		file := d.ref(t, desc.dict, "/FontFile2")
		tables, err := trueTypeTables(file.stream)
		if err != nil {
			t.Fatalf("embedded font: %v", err)
		}
		for _, tag := range []string{"glyf", "loca", "cmap", "hmtx", "head"} {
			if _, ok := tables[tag]; !ok {
				t.Errorf("embedded font lacks %s", tag)
			}
		}
		ttf, _ := fontTTF()
		if len(file.stream) > len(ttf)/20 {
			t.Errorf("the embedded font is %d bytes: not a subset of the %d", len(file.stream), len(ttf))
		}
		gids := d.ref(t, cid.dict, "/CIDToGIDMap").stream

		page := d.find("/Type /Page\n")
		if len(page) != 1 {
			t.Fatalf("%d pages", len(page))
		}
		shown := shownText(t, d.ref(t, page[0].dict, "/Contents").stream)
		all := strings.Join(shown, "")
		// Lines break at spaces, which end no line.
		flat := strings.ReplaceAll(all, " ", "")
		want := []string{r.Title, r.Note, r.Footer, void}
		for _, row := range r.Rows {
			want = append(want, row.Label, row.Value)
		}
		for _, w := range want {
			if !strings.Contains(flat, strings.ReplaceAll(w, " ", "")) {
				t.Errorf("the PDF does not show %q; it shows %q", w, shown)
			}
		}
		if void == "" && strings.Contains(all, "已作废") {
			t.Error("a valid receipt is stamped void")
		}
		for _, line := range shown {
			if strings.HasPrefix(line, "Medical") && len(line) > 60 {
				t.Errorf("a line too long for its cell: %q", line)
			}
		}
		for _, c := range all {
			if int(c)*2+1 >= len(gids) || binary.BigEndian.Uint16(gids[2*int(c):]) == 0 {
				t.Errorf("no glyph for %q in the embedded font", c)
			}
		}
		var again bytes.Buffer
		if err := PDF(&again, r); err != nil || !bytes.Equal(again.Bytes(), b.Bytes()) {
			t.Error("the same receipt made a different file")
		}
	}
}

// TestCollectionFaceIsAWholeTrueTypeFile: both faces of the collection
// come out as TrueType files whose tables are those of the collection,
// byte for byte, with their checksums.
func TestCollectionFaceIsAWholeTrueTypeFile(t *testing.T) {
	ttf, err := fontTTF()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := trueTypeTables(ttf); err != nil {
		t.Fatal(err)
	}
	mono := func() []byte { b, _ := collectionFace(ttcBytes(t), 1); return b }()
	for _, face := range [][]byte{ttf, mono} {
		tables, err := trueTypeTables(face)
		if err != nil {
			t.Fatal(err)
		}
		if len(tables) < 15 {
			t.Errorf("%d tables", len(tables))
		}
		for tag, at := range tables {
			if tag == "head" {
				continue // its checksum leaves out checkSumAdjustment
			}
			data := face[at[0] : at[0]+at[1]]
			var sum uint32
			for i := 0; i < len(data); i += 4 {
				var w [4]byte
				copy(w[:], data[i:min(i+4, len(data))])
				sum += binary.BigEndian.Uint32(w[:])
			}
			if want := tableChecksum(face, tag); sum != want {
				t.Errorf("table %s: checksum %08x, directory says %08x", tag, sum, want)
			}
		}
	}
	for _, bad := range [][]byte{nil, []byte("ttcf"), ttf} {
		if _, err := collectionFace(bad, 0); err == nil {
			t.Errorf("a face from %d bytes that are not a collection", len(bad))
		}
	}
	if _, err := collectionFace(ttcBytes(t), 2); err == nil {
		t.Error("a third face of a collection of two")
	}
}

func tableChecksum(face []byte, tag string) uint32 {
	n := int(binary.BigEndian.Uint16(face[4:]))
	for i := range n {
		r := face[12+16*i:]
		if string(r[:4]) == tag {
			return binary.BigEndian.Uint32(r[4:])
		}
	}
	return 0
}

func ttcBytes(t *testing.T) []byte {
	t.Helper()
	zr, err := gzipReader(fontTTCgz)
	if err != nil {
		t.Fatal(err)
	}
	return zr
}

// TestXLSXKeepsCodesAsTextAndAmountsAsNumbers: read back, the workbook
// has the header, an ID number or credit code stays the text it was, and
// an amount is a number.
func TestXLSXKeepsCodesAsTextAndAmountsAsNumbers(t *testing.T) {
	header := []string{"捐赠人名称", "证件号码", "捐赠金额"}
	rows := [][]string{{"张三", "110101199003074514", "10005.00"}, {"=HYPERLINK(\"x\")", "00012", "0.50"}}
	var b bytes.Buffer
	if err := XLSX(&b, header, []int{ColText, ColText, ColAmount}, rows); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := f.GetRows(ExportSheet)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || strings.Join(got[0], "|") != "捐赠人名称|证件号码|捐赠金额" || got[1][1] != "110101199003074514" || got[2][1] != "00012" {
		t.Errorf("rows: %q", got)
	}
	for cell, want := range map[string]excelize.CellType{"B2": excelize.CellTypeSharedString, "C2": excelize.CellTypeUnset, "A3": excelize.CellTypeSharedString} {
		if ct, err := f.GetCellType(ExportSheet, cell); err != nil || ct != want {
			t.Errorf("%s: type %v, want %v (%v)", cell, ct, want, err)
		}
	}
	if v, _ := f.GetCellValue(ExportSheet, "C2", excelize.Options{RawCellValue: true}); v != "10005.00" {
		t.Errorf("amount %q", v)
	}
	if formula, _ := f.GetCellFormula(ExportSheet, "A3"); formula != "" {
		t.Errorf("a name became the formula %q", formula)
	}
}
