package receiptdoc

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"codeberg.org/go-pdf/fpdf"
)

// Receipt is a receipt as a document shows it: the words around the values
// come from the caller's catalogue, in the reader's language; the values
// (names, the amount in capital numerals, the purpose) are the receipt's.
type Receipt struct {
	Title string
	// Rows are the receipt's facts, in order.
	Rows []Row
	// Void, when not empty, is stamped across the receipt (已作废): the
	// gift was refunded.
	Void string
	// Note and Footer are printed below the facts.
	Note, Footer string
	// Issued is the document's creation date (the receipt's issue time),
	// so that the same receipt always makes the same file.
	Issued time.Time
}

// Row is one fact of a receipt.
type Row struct{ Label, Value string }

// FontFamily is the name the PDF gives its embedded font (a subset of
// WenQuanYi Micro Hei).
const FontFamily = "WenQuanYiMicroHei"

// A4, in millimetres, with the margins of the page.
const (
	pageW, margin = 210.0, 20.0
	labelW        = 50.0
	lineH         = 9.0
)

// pdfSlots bounds the PDFs made at once: fpdf reads the whole CJK font for
// each document (some 0.1 s of CPU and 30 MB of garbage, BenchmarkPDF), so
// a burst of downloads waits its turn instead of taking every core.
var pdfSlots = make(chan struct{}, 2)

// PDF writes r as a one-page A4 PDF with the glyphs it uses of the
// embedded Chinese font.
func PDF(w io.Writer, r Receipt) error {
	ttf, err := fontTTF()
	if err != nil {
		return err
	}
	pdfSlots <- struct{}{}
	defer func() { <-pdfSlots }()
	p := fpdf.New("P", "mm", "A4", "")
	p.SetCreationDate(r.Issued)
	p.SetModificationDate(r.Issued)
	p.SetCatalogSort(true)
	p.SetTitle(r.Title, true)
	p.SetCreator("Jiujinan", false)
	p.SetLang("zh-CN")
	p.SetMargins(margin, margin, margin)
	p.SetAutoPageBreak(false, margin)
	p.AddUTF8FontFromBytes(FontFamily, "", ttf)
	p.AddPage()

	p.SetFont(FontFamily, "", 22)
	p.CellFormat(0, 16, r.Title, "", 1, "C", false, 0, "")
	p.Ln(4)

	valueW := pageW - 2*margin - labelW
	p.SetDrawColor(90, 90, 90)
	p.SetLineWidth(0.3)
	top := p.GetY()
	for _, row := range r.Rows {
		p.SetFont(FontFamily, "", 12)
		lines := wrap(p, row.Value, valueW-2*p.GetCellMargin())
		h := float64(len(lines)) * lineH
		x, y := p.GetX(), p.GetY()
		p.SetFillColor(238, 238, 238)
		p.SetFont(FontFamily, "", 11)
		p.CellFormat(labelW, h, row.Label, "1", 0, "L", true, 0, "")
		p.SetFont(FontFamily, "", 12)
		p.Rect(x+labelW, y, valueW, h, "D")
		for i, line := range lines {
			p.SetXY(x+labelW, y+float64(i)*lineH)
			p.CellFormat(valueW, lineH, line, "", 0, "L", false, 0, "")
		}
		p.SetXY(x, y+h)
	}
	bottom := p.GetY()
	if r.Void != "" {
		p.TransformBegin()
		cx, cy := pageW/2, (top+bottom)/2
		p.TransformRotate(20, cx, cy)
		p.SetTextColor(200, 30, 30)
		p.SetFont(FontFamily, "", 48)
		p.SetAlpha(0.5, "Normal")
		p.Text(cx-p.GetStringWidth(r.Void)/2, cy+6, r.Void)
		p.SetAlpha(1, "Normal")
		p.TransformEnd()
		p.SetTextColor(0, 0, 0)
	}
	p.Ln(6)
	if r.Note != "" {
		p.SetFont(FontFamily, "", 10)
		p.MultiCell(0, 6, r.Note, "", "L", false)
	}
	if r.Footer != "" {
		p.SetY(-margin - 6)
		p.SetFont(FontFamily, "", 8)
		p.SetTextColor(110, 110, 110)
		p.CellFormat(0, 6, r.Footer, "", 0, "C", false, 0, "")
	}
	if err := p.Output(w); err != nil {
		return fmt.Errorf("receiptdoc: pdf: %w", err)
	}
	return nil
}

// wrap splits text into lines of at most width in the current font: any
// character may end a Chinese line; a Latin word moves to the next line
// whole when it can. (fpdf's own MultiCell drops the character at which it
// breaks Chinese text.)
func wrap(p *fpdf.Fpdf, text string, width float64) []string {
	var lines []string
	var line []rune
	for _, para := range strings.Split(text, "\n") {
		line = line[:0]
		for _, r := range para {
			line = append(line, r)
			if len(line) == 1 || p.GetStringWidth(string(line)) <= width {
				continue
			}
			cut := len(line) - 1 // r starts the next line
			if r < utf8.RuneSelf && r != ' ' {
				if sp := lastSpace(line[:cut]); sp > 0 {
					cut = sp + 1
				}
			}
			lines = append(lines, strings.TrimRight(string(line[:cut]), " "))
			line = append(line[:0], line[cut:]...)
		}
		lines = append(lines, string(line))
	}
	return lines
}

func lastSpace(rs []rune) int {
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i] == ' ' {
			return i
		}
	}
	return -1
}
