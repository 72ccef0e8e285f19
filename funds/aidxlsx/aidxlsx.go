// Package aidxlsx writes the charity aid export (funds.CharityAidExport) as
// an .xlsx workbook (Office Open XML), streamed: the sheet's rows go
// through a zip deflater straight to the writer, in constant memory and
// without any temporary file. It imports funds and nothing above it.
//
// Why not excelize's StreamWriter, which the import side reads with: it
// moves a sheet's XML above 16 MiB (some 25,000 rows here) into a
// temporary file, in plain text, and this file holds ID numbers and names,
// which must never lie on disk unsealed. The few fixed parts of a
// one-sheet workbook are written here instead; the tests read every file
// back with excelize.
package aidxlsx

import (
	"archive/zip"
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jiujinan/jiujinan/funds"
)

// SheetName is the name of the workbook's one sheet.
const SheetName = "慈善救助"

// New returns the writer of the format.
func New() funds.NewAidSheet {
	return func(w io.Writer) (funds.AidSheet, error) {
		s, err := start(w)
		if err != nil {
			return nil, fmt.Errorf("xlsx: %w", err)
		}
		return s, nil
	}
}

// Cell styles, indexes into styles.xml's cellXfs.
const (
	styleText   = 1 // "@": an ID number stays text when the cell is edited, not 3.7E+17
	styleAmount = 2 // "0.00"
	styleDate   = 3 // "yyyy-mm-dd"
	styleHeader = 4 // bold
)

// widths of the columns of funds.CharityAidHeader, in characters.
var widths = []float64{16, 10, 22, 10, 14, 36, 12, 12, 10}

type sheet struct {
	zw  *zip.Writer
	out *bufio.Writer // the sheet part, inside zw
	row int
	buf []byte
}

const (
	nsMain  = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
	nsRel   = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
	nsPkg   = "http://schemas.openxmlformats.org/package/2006/relationships"
	xmlDecl = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"
)

// fixedParts are the parts of a one-sheet workbook besides the sheet.
var fixedParts = []struct{ name, body string }{
	{"[Content_Types].xml", xmlDecl + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
		`<Default Extension="xml" ContentType="application/xml"/>` +
		`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
		`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>` +
		`<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>` +
		`</Types>`},
	{"_rels/.rels", xmlDecl + `<Relationships xmlns="` + nsPkg + `">` +
		`<Relationship Id="rId1" Type="` + nsRel + `/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
	{"xl/workbook.xml", xmlDecl + `<workbook xmlns="` + nsMain + `" xmlns:r="` + nsRel + `">` +
		`<sheets><sheet name="` + SheetName + `" sheetId="1" r:id="rId1"/></sheets></workbook>`},
	{"xl/_rels/workbook.xml.rels", xmlDecl + `<Relationships xmlns="` + nsPkg + `">` +
		`<Relationship Id="rId1" Type="` + nsRel + `/worksheet" Target="worksheets/sheet1.xml"/>` +
		`<Relationship Id="rId2" Type="` + nsRel + `/styles" Target="styles.xml"/></Relationships>`},
	{"xl/styles.xml", xmlDecl + `<styleSheet xmlns="` + nsMain + `">` +
		`<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>` +
		`<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>` +
		`<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>` +
		`<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>` +
		`<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
		`<cellXfs count="5">` +
		`<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>` +
		`<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` +
		`<xf numFmtId="2" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` +
		`<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` +
		`<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>` +
		`</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>`},
}

func start(w io.Writer) (*sheet, error) {
	zw := zip.NewWriter(w)
	for _, p := range fixedParts {
		f, err := zw.Create(p.name)
		if err != nil {
			return nil, err
		}
		if _, err := io.WriteString(f, p.body); err != nil {
			return nil, err
		}
	}
	// The sheet is the last part: its rows stream into it until Close.
	f, err := zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		return nil, err
	}
	s := &sheet{zw: zw, out: bufio.NewWriterSize(f, 64<<10)}
	var b strings.Builder
	b.WriteString(xmlDecl + `<worksheet xmlns="` + nsMain + `" xmlns:r="` + nsRel + `">`)
	// The header row stays in view when scrolling.
	b.WriteString(`<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>`)
	b.WriteString(`<cols>`)
	for i, wd := range widths {
		fmt.Fprintf(&b, `<col min="%d" max="%d" width="%s" customWidth="1"/>`, i+1, i+1, strconv.FormatFloat(wd, 'f', -1, 64))
	}
	b.WriteString(`</cols><sheetData>`)
	if _, err := s.out.WriteString(b.String()); err != nil {
		return nil, err
	}
	s.beginRow()
	for i, h := range funds.CharityAidHeader {
		s.text(i, h, styleHeader)
	}
	return s, s.endRow()
}

func (s *sheet) beginRow() {
	s.row++
	s.buf = append(s.buf[:0], `<row r="`...)
	s.buf = strconv.AppendInt(s.buf, int64(s.row), 10)
	s.buf = append(s.buf, `">`...)
}

func (s *sheet) endRow() error {
	s.buf = append(s.buf, `</row>`...)
	_, err := s.out.Write(s.buf)
	return err
}

// ref appends the cell reference of column col (0-based, under 26) in the
// current row.
func (s *sheet) ref(col int) {
	s.buf = append(s.buf, `<c r="`...)
	s.buf = append(s.buf, byte('A'+col))
	s.buf = strconv.AppendInt(s.buf, int64(s.row), 10)
	s.buf = append(s.buf, '"')
}

func (s *sheet) style(style int) {
	if style != 0 {
		s.buf = append(s.buf, ` s="`...)
		s.buf = strconv.AppendInt(s.buf, int64(style), 10)
		s.buf = append(s.buf, '"')
	}
}

// text is a string cell, stored inline as a string (never a formula, so
// the CSV's guard against formula injection is not needed).
func (s *sheet) text(col int, v string, style int) {
	s.ref(col)
	s.style(style)
	s.buf = append(s.buf, ` t="inlineStr"><is><t xml:space="preserve">`...)
	s.buf = appendEscaped(s.buf, v)
	s.buf = append(s.buf, `</t></is></c>`...)
}

func (s *sheet) number(col int, v string, style int) {
	s.ref(col)
	s.style(style)
	s.buf = append(s.buf, `><v>`...)
	s.buf = append(s.buf, v...)
	s.buf = append(s.buf, `</v></c>`...)
}

// appendEscaped appends v escaped for XML text, with the characters XML
// 1.0 does not allow (control characters, invalid UTF-8) as U+FFFD.
func appendEscaped(b []byte, v string) []byte {
	var esc strings.Builder
	clean := strings.Map(func(r rune) rune {
		if r == utf8.RuneError || (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0xFFFE || r == 0xFFFF {
			return '\uFFFD'
		}
		return r
	}, v)
	_ = xml.EscapeText(&esc, []byte(clean))
	return append(b, esc.String()...)
}

// excelEpoch is day 0 of Excel's serial dates (1900 system, after its
// leap-year bug): 1899-12-30, as days since 1970-01-01.
const excelEpoch = 25569

func (s *sheet) Line(l funds.AidLine) error {
	s.beginRow()
	s.text(0, l.NeedPublicID, styleText)
	s.text(1, l.Name, 0)
	s.text(2, l.IDNumber, styleText)
	s.text(3, l.Category, 0)
	s.text(4, l.RegionCode, styleText)
	s.text(5, l.RegionName, 0)
	// A fen amount over 100 is the nearest double to the yuan; its
	// shortest form, which the file stores, has at most 2 decimals.
	s.number(6, strconv.FormatFloat(float64(l.AmountFen)/100, 'f', -1, 64), styleAmount)
	// Date is midnight UTC of the China day: whole days since 1970.
	s.number(7, strconv.FormatInt(l.Date.Unix()/86400+excelEpoch, 10), styleDate)
	s.text(8, l.Payee, 0)
	return s.endRow()
}

// Close ends the sheet and the zip.
func (s *sheet) Close() error {
	if _, err := s.out.WriteString(`</sheetData></worksheet>`); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	if err := s.out.Flush(); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	if err := s.zw.Close(); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	return nil
}

// Abort leaves the file incomplete; nothing is held but memory.
func (s *sheet) Abort() {}
