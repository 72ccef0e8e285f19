package receiptdoc

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"
)

// ExportSheet is the name of the export workbook's one sheet.
const ExportSheet = "捐赠票据"

// Column kinds of an export (XLSX cols): text stays text when edited (an
// ID number is not 1.1E+17), an amount is a number with two decimals.
const (
	ColText = iota
	ColAmount
)

// XLSX writes header and rows as a one-sheet workbook. cols gives each
// column's kind; an amount cell holds its text ("10005.00") as the number.
// The workbook is built in memory (a finance export is a few thousand rows
// at most), never in a temporary file: it holds names and ID numbers.
func XLSX(w io.Writer, header []string, cols []int, rows [][]string) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", ExportSheet); err != nil {
		return fmt.Errorf("receiptdoc: xlsx: %w", err)
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49}) // "@"
	if err != nil {
		return fmt.Errorf("receiptdoc: xlsx: %w", err)
	}
	amount, err := f.NewStyle(&excelize.Style{NumFmt: 2}) // "0.00"
	if err != nil {
		return fmt.Errorf("receiptdoc: xlsx: %w", err)
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return fmt.Errorf("receiptdoc: xlsx: %w", err)
	}
	for c, h := range header {
		cell, _ := excelize.CoordinatesToCellName(c+1, 1)
		if err := f.SetCellStr(ExportSheet, cell, h); err != nil {
			return fmt.Errorf("receiptdoc: xlsx: %w", err)
		}
		col, _ := excelize.ColumnNumberToName(c + 1)
		width := 14.0
		if c < len(cols) && cols[c] == ColText {
			width = 20
		}
		if err := f.SetColWidth(ExportSheet, col, col, width); err != nil {
			return fmt.Errorf("receiptdoc: xlsx: %w", err)
		}
	}
	if len(header) > 0 {
		last, _ := excelize.CoordinatesToCellName(len(header), 1)
		if err := f.SetCellStyle(ExportSheet, "A1", last, bold); err != nil {
			return fmt.Errorf("receiptdoc: xlsx: %w", err)
		}
	}
	for r, row := range rows {
		for c, v := range row {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+2)
			var err error
			if c < len(cols) && cols[c] == ColAmount {
				// The text of an amount in yuan is the number's own
				// notation: no float in between.
				err = f.SetCellDefault(ExportSheet, cell, v)
				if err == nil {
					err = f.SetCellStyle(ExportSheet, cell, cell, amount)
				}
			} else {
				err = f.SetCellStr(ExportSheet, cell, v)
				if err == nil {
					err = f.SetCellStyle(ExportSheet, cell, cell, text)
				}
			}
			if err != nil {
				return fmt.Errorf("receiptdoc: xlsx: %w", err)
			}
		}
	}
	if err := f.SetPanes(ExportSheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fmt.Errorf("receiptdoc: xlsx: %w", err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("receiptdoc: xlsx: %w", err)
	}
	return nil
}
