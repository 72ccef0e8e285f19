// Package xlsxsheet reads .xlsx workbooks for the payment import
// (record.Workbook) with excelize. It imports matching/record and nothing
// above it.
package xlsxsheet

import (
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/jiujinan/jiujinan/matching/record"
)

// MaxUnzippedBytes bounds a workbook's unzipped size. Excelize writes a
// part larger than its XML limit to a plaintext temporary file; with both
// limits equal nothing is ever written, and a larger workbook is refused.
const MaxUnzippedBytes = 1 << 30

// Open opens the workbook of size bytes in r. Excelize reads the zip into
// memory (it needs random access); rows are then decoded one at a time.
func Open(r io.ReaderAt, size int64) (record.Workbook, error) {
	f, err := excelize.OpenReader(io.NewSectionReader(r, 0, size), excelize.Options{
		UnzipSizeLimit: MaxUnzippedBytes, UnzipXMLSizeLimit: MaxUnzippedBytes})
	if err != nil {
		if strings.Contains(err.Error(), "unzip size") {
			return nil, &record.FileError{Key: record.KeyFileXLSXTooLarge,
				Reason: fmt.Sprintf("the workbook unzips to more than %d MiB; save it as CSV (UTF-8) and import that", MaxUnzippedBytes>>20)}
		}
		return nil, fmt.Errorf("xlsx: %w", err)
	}
	return &workbook{f: f}, nil
}

var _ record.OpenWorkbookFunc = Open

type workbook struct{ f *excelize.File }

func (w *workbook) Sheets() []string { return w.f.GetSheetList() }

func (w *workbook) Rows(sheet string) (record.SheetRows, error) {
	rows, err := w.f.Rows(sheet)
	if err != nil {
		return nil, fmt.Errorf("xlsx: sheet: %w", err)
	}
	return &sheetRows{rows: rows}, nil
}

func (w *workbook) Close() error { return w.f.Close() }

type sheetRows struct {
	rows *excelize.Rows
	n    int64
}

// Next reads the raw stored values (RawCellValue): an ID number stored as
// a number stays its digits instead of its display format (3.7E+17), a
// date its day number, which record turns into a date.
func (s *sheetRows) Next() ([]string, int64, error) {
	if !s.rows.Next() {
		if err := s.rows.Error(); err != nil {
			return nil, 0, fmt.Errorf("xlsx: %w", err)
		}
		return nil, 0, io.EOF
	}
	s.n++
	cells, err := s.rows.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, 0, fmt.Errorf("xlsx: row %d: %w", s.n, err)
	}
	return cells, s.n, nil
}

func (s *sheetRows) Close() error {
	return s.rows.Close()
}
