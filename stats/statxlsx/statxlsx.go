// Package statxlsx writes a statistics report (stats.Report) as an .xlsx
// workbook: one sheet per table of the report (合计, 地区, 月份, 类别, 机构,
// 救助项目), each with a Chinese header row and only the figures the table
// has. Like funds/aidxlsx, it streams the Office Open XML parts through a
// zip deflater straight to the writer, with no temporary file; the tests
// read every file back with excelize. It imports stats and nothing above it.
package statxlsx

import (
	"archive/zip"
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jiujinan/jiujinan/stats"
)

// New returns the writer stats.Service.XLSX takes.
func New() stats.NewWorkbook { return Write }

// Cell styles, indexes into styles.xml's cellXfs.
const (
	styleText   = 1 // "@": codes stay text (371725001, not 3.7E+8)
	styleAmount = 2 // "0.00"
	stylePct    = 3 // "0.0%"
	styleHeader = 4 // bold
	styleCount  = 5 // "0"
)

const (
	nsMain  = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
	nsRel   = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
	nsPkg   = "http://schemas.openxmlformats.org/package/2006/relationships"
	xmlDecl = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"
)

const styles = xmlDecl + `<styleSheet xmlns="` + nsMain + `">` +
	`<numFmts count="1"><numFmt numFmtId="164" formatCode="0.0%"/></numFmts>` +
	`<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>` +
	`<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>` +
	`<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>` +
	`<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
	`<cellXfs count="6">` +
	`<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>` +
	`<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` +
	`<xf numFmtId="2" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` +
	`<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` +
	`<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>` +
	`<xf numFmtId="1" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` +
	`</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>`

// Write writes r's tables (stats.Report.Tables) as a workbook on w.
func Write(w io.Writer, title string, r *stats.Report) error {
	if err := write(w, title, r); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	return nil
}

func write(w io.Writer, title string, r *stats.Report) error {
	tables := r.Tables()
	zw := zip.NewWriter(w)
	part := func(name, body string) error {
		f, err := zw.Create(name)
		if err != nil {
			return err
		}
		_, err = io.WriteString(f, body)
		return err
	}
	var types, sheets, rels strings.Builder
	types.WriteString(xmlDecl + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
		`<Default Extension="xml" ContentType="application/xml"/>` +
		`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
		`<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>` +
		`<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>`)
	rels.WriteString(xmlDecl + `<Relationships xmlns="` + nsPkg + `">`)
	sheets.WriteString(xmlDecl + `<workbook xmlns="` + nsMain + `" xmlns:r="` + nsRel + `"><sheets>`)
	for i, t := range tables {
		n := strconv.Itoa(i + 1)
		types.WriteString(`<Override PartName="/xl/worksheets/sheet` + n + `.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`)
		rels.WriteString(`<Relationship Id="rId` + n + `" Type="` + nsRel + `/worksheet" Target="worksheets/sheet` + n + `.xml"/>`)
		sheets.WriteString(`<sheet name="` + escape(t.Name) + `" sheetId="` + n + `" r:id="rId` + n + `"/>`)
	}
	types.WriteString(`</Types>`)
	rels.WriteString(`<Relationship Id="rId` + strconv.Itoa(len(tables)+1) + `" Type="` + nsRel + `/styles" Target="styles.xml"/></Relationships>`)
	sheets.WriteString(`</sheets></workbook>`)
	for _, p := range []struct{ name, body string }{
		{"[Content_Types].xml", types.String()},
		{"_rels/.rels", xmlDecl + `<Relationships xmlns="` + nsPkg + `">` +
			`<Relationship Id="rId1" Type="` + nsRel + `/officeDocument" Target="xl/workbook.xml"/>` +
			`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>` +
			`</Relationships>`},
		{"docProps/core.xml", xmlDecl + `<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" ` +
			`xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>` + escape(title) + `</dc:title></cp:coreProperties>`},
		{"xl/workbook.xml", sheets.String()},
		{"xl/_rels/workbook.xml.rels", rels.String()},
		{"xl/styles.xml", styles},
	} {
		if err := part(p.name, p.body); err != nil {
			return err
		}
	}
	for i, t := range tables {
		f, err := zw.Create("xl/worksheets/sheet" + strconv.Itoa(i+1) + ".xml")
		if err != nil {
			return err
		}
		out := bufio.NewWriterSize(f, 32<<10)
		if err := writeSheet(out, r, t); err != nil {
			return err
		}
		if err := out.Flush(); err != nil {
			return err
		}
	}
	return zw.Close()
}

// writeSheet writes one table: its header and a row per line, the figures
// it has (stats.Table.Has) in stats.Columns' order.
func writeSheet(out *bufio.Writer, r *stats.Report, t stats.Table) error {
	var cols []stats.Column
	for _, c := range stats.Columns {
		if t.Has(c) {
			cols = append(cols, c)
		}
	}
	s := &sheet{out: out}
	s.buf = append(s.buf, xmlDecl+`<worksheet xmlns="`+nsMain+`" xmlns:r="`+nsRel+`">`...)
	s.buf = append(s.buf, `<sheetViews><sheetView workbookViewId="0"><pane xSplit="3" ySplit="1" topLeftCell="D2" activePane="bottomRight" state="frozen"/></sheetView></sheetViews>`...)
	s.buf = append(s.buf, `<cols><col min="1" max="1" width="10" customWidth="1"/><col min="2" max="2" width="28" customWidth="1"/><col min="3" max="3" width="24" customWidth="1"/>`...)
	if len(cols) > 0 {
		s.buf = append(s.buf, `<col min="4" max="`+strconv.Itoa(3+len(cols))+`" width="14" customWidth="1"/>`...)
	}
	s.buf = append(s.buf, `</cols><sheetData>`...)
	s.beginRow()
	s.text("统计期间", styleHeader)
	s.text("代码", styleHeader)
	s.text("名称", styleHeader)
	for _, c := range cols {
		s.text(c.Header, styleHeader)
	}
	if err := s.endRow(); err != nil {
		return err
	}
	for _, row := range t.Rows {
		s.beginRow()
		s.text(r.Period.String(), styleText)
		s.text(row.Key, styleText)
		s.text(stats.RowName(row), 0)
		for _, c := range cols {
			v := c.Get(row.Figures)
			switch c.Kind {
			case stats.Yuan:
				// A fen amount over 100 is the nearest double to the yuan;
				// its shortest form has at most two decimals.
				s.number(strconv.FormatFloat(float64(v)/100, 'f', -1, 64), styleAmount)
			case stats.Permille:
				if v < 0 {
					s.col++
					continue
				}
				s.number(strconv.FormatFloat(float64(v)/1000, 'f', -1, 64), stylePct)
			default:
				s.number(strconv.FormatInt(v, 10), styleCount)
			}
		}
		if err := s.endRow(); err != nil {
			return err
		}
	}
	_, err := out.WriteString(`</sheetData></worksheet>`)
	return err
}

type sheet struct {
	out      *bufio.Writer
	row, col int
	buf      []byte
}

func (s *sheet) beginRow() {
	s.row++
	s.col = 0
	s.buf = append(s.buf, `<row r="`...)
	s.buf = strconv.AppendInt(s.buf, int64(s.row), 10)
	s.buf = append(s.buf, `">`...)
}

func (s *sheet) endRow() error {
	s.buf = append(s.buf, `</row>`...)
	_, err := s.out.Write(s.buf)
	s.buf = s.buf[:0]
	return err
}

// ref appends the reference of the next cell of the row (columns A to ZZ).
func (s *sheet) ref(style int) {
	s.buf = append(s.buf, `<c r="`...)
	s.buf = append(s.buf, colName(s.col)...)
	s.buf = strconv.AppendInt(s.buf, int64(s.row), 10)
	s.buf = append(s.buf, '"')
	if style != 0 {
		s.buf = append(s.buf, ` s="`...)
		s.buf = strconv.AppendInt(s.buf, int64(style), 10)
		s.buf = append(s.buf, '"')
	}
	s.col++
}

func colName(i int) string {
	if i < 26 {
		return string(rune('A' + i))
	}
	return colName(i/26-1) + string(rune('A'+i%26))
}

// text is an inline string cell: never a formula, whatever it starts with.
func (s *sheet) text(v string, style int) {
	s.ref(style)
	s.buf = append(s.buf, ` t="inlineStr"><is><t xml:space="preserve">`...)
	s.buf = append(s.buf, escape(v)...)
	s.buf = append(s.buf, `</t></is></c>`...)
}

func (s *sheet) number(v string, style int) {
	s.ref(style)
	s.buf = append(s.buf, `><v>`...)
	s.buf = append(s.buf, v...)
	s.buf = append(s.buf, `</v></c>`...)
}

// escape is v escaped for XML text, with the characters XML 1.0 does not
// allow (control characters, invalid UTF-8) as U+FFFD.
func escape(v string) string {
	var b strings.Builder
	clean := strings.Map(func(r rune) rune {
		if r == utf8.RuneError || (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0xFFFE || r == 0xFFFF {
			return '\uFFFD'
		}
		return r
	}, v)
	_ = xml.EscapeText(&b, []byte(clean))
	return b.String()
}
