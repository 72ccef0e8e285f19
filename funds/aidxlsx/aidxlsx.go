// Package aidxlsx writes the charity aid export (funds.CharityAidExport) as
// an .xlsx workbook with excelize's StreamWriter. It imports funds and
// nothing above it; funds imports no spreadsheet library.
package aidxlsx

import (
	"archive/zip"
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"

	"github.com/jiujinan/jiujinan/funds"
)

// SheetName is the name of the workbook's one sheet.
const SheetName = "慈善救助"

// New returns the writer of the format. The StreamWriter keeps up to 16 MiB
// of a sheet's XML in memory and moves the rest to a temporary file in
// tmpDir (the system's when empty), created with mode 0600 and removed when
// the sheet is closed or aborted: it holds ID numbers in plain text, like
// the file itself.
func New(tmpDir string) funds.NewAidSheet {
	return func(w io.Writer) (funds.AidSheet, error) {
		f := excelize.NewFile(excelize.Options{TmpDir: tmpDir})
		s, err := start(f, w)
		if err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("xlsx: %w", err)
		}
		return s, nil
	}
}

type sheet struct {
	f                  *excelize.File
	sw                 *excelize.StreamWriter
	w                  io.Writer
	text, amount, date int
	row                int
}

// widths of the columns of funds.CharityAidHeader, in characters.
var widths = []float64{16, 10, 22, 10, 14, 36, 12, 12, 10}

func start(f *excelize.File, w io.Writer) (*sheet, error) {
	if err := f.SetSheetName("Sheet1", SheetName); err != nil {
		return nil, err
	}
	sw, err := f.NewStreamWriter(SheetName)
	if err != nil {
		return nil, err
	}
	s := &sheet{f: f, sw: sw, w: w, row: 1}
	// 49 is "@": an ID number stays text when the cell is edited, instead
	// of becoming 3.7E+17 and losing its last digits; 2 is "0.00".
	if s.text, err = f.NewStyle(&excelize.Style{NumFmt: 49}); err != nil {
		return nil, err
	}
	if s.amount, err = f.NewStyle(&excelize.Style{NumFmt: 2}); err != nil {
		return nil, err
	}
	dateFmt := "yyyy-mm-dd"
	if s.date, err = f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt}); err != nil {
		return nil, err
	}
	header, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, err
	}
	// Widths and panes come before the first row (StreamWriter).
	for i, wd := range widths {
		if err := sw.SetColWidth(i+1, i+1, wd); err != nil {
			return nil, err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	cells := make([]any, len(funds.CharityAidHeader))
	for i, h := range funds.CharityAidHeader {
		cells[i] = excelize.Cell{StyleID: header, Value: h}
	}
	if err := sw.SetRow("A1", cells); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *sheet) Line(l funds.AidLine) error {
	s.row++
	cell, err := excelize.CoordinatesToCellName(1, s.row)
	if err != nil {
		return err
	}
	// Strings are stored as strings, never as formulas, so the CSV's
	// guard against formula injection (funds.CSVField) is not needed.
	return s.sw.SetRow(cell, []any{
		excelize.Cell{StyleID: s.text, Value: l.NeedPublicID},
		l.Name,
		excelize.Cell{StyleID: s.text, Value: l.IDNumber},
		l.Category,
		excelize.Cell{StyleID: s.text, Value: l.RegionCode},
		l.RegionName,
		// A fen amount over 100 is the nearest double to the yuan; its
		// shortest form, which the file stores, has at most 2 decimals.
		excelize.Cell{StyleID: s.amount, Value: float64(l.AmountFen) / 100},
		excelize.Cell{StyleID: s.date, Value: l.Date},
		l.Payee,
	})
}

// Close writes the workbook to w. Excelize's Write would build the whole
// zip in memory first; its zip writer hook is pointed at w instead, so
// that the zip streams out as it is made.
func (s *sheet) Close() error {
	defer s.f.Close()
	if err := s.sw.Flush(); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	s.f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(s.w) })
	if err := s.f.Write(io.Discard); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	return nil
}

func (s *sheet) Abort() { _ = s.f.Close() }
