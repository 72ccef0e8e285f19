package record

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// Workbook is a spreadsheet file (.xlsx) opened for reading: its sheets in
// order, each read row by row. matching/record/xlsxsheet implements it; the
// domain only needs the rows' text.
type Workbook interface {
	// Sheets names the sheets in their order in the file.
	Sheets() []string
	// Rows reads a sheet from its first row.
	Rows(sheet string) (SheetRows, error)
	Close() error
}

// SheetRows is one sheet read row by row, in constant memory per row.
type SheetRows interface {
	// Next returns the next row's cells and its row number (from 1, as the
	// spreadsheet numbers it), or io.EOF after the last. A number is its
	// stored value (18 digits stay 18 digits), never its display format;
	// the cells of a merged range other than its first are empty.
	Next() (cells []string, row int64, err error)
	Close() error
}

// OpenWorkbookFunc opens the workbook of size bytes read from r.
type OpenWorkbookFunc func(r io.ReaderAt, size int64) (Workbook, error)

// File formats told apart by their first bytes.
var (
	zipMagic = []byte("PK\x03\x04")
	oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
)

// Catalogue keys of the refusals of a whole file that users read in their
// language (web/i18n).
const (
	KeyFileXLS          = "import_file_xls"
	KeyFileNotXLSX      = "import_file_not_xlsx"
	KeyFileXLSXDisabled = "import_file_xlsx_unavailable"
	KeyFileXLSXTooLarge = "import_file_xlsx_too_large"
)

// sniffFormat tells a payment file's format from its first bytes, and from
// its name when the content does not decide: "xlsx", "xls" or "text".
func sniffFormat(head []byte, name string) (string, error) {
	lower := strings.ToLower(name)
	switch {
	case bytes.HasPrefix(head, zipMagic):
		return "xlsx", nil
	case bytes.HasPrefix(head, oleMagic):
		return "xls", &FileError{Key: KeyFileXLS, Reason: "this is an old Excel file (.xls), which is not read: open it in Excel or WPS, save it as .xlsx or as CSV (UTF-8), and import that file"}
	case strings.HasSuffix(lower, ".xlsx"):
		return "", &FileError{Key: KeyFileNotXLSX, Reason: "the file is named .xlsx but is not an Excel workbook (damaged or renamed?)"}
	}
	return "text", nil
}

// maxHeaderSearchRows is how far down a sheet the header is looked for,
// below the title rows that exports put above it.
const maxHeaderSearchRows = 20

// openWorkbookFile finds the first sheet with a payment header and returns
// a PaymentFile that reads the rows below it.
func openWorkbookFile(wb Workbook, size int64, opt PaymentFileOptions) (*PaymentFile, error) {
	var firstErr error
	for _, name := range wb.Sheets() {
		rows, err := wb.Rows(name)
		if err != nil {
			return nil, fmt.Errorf("matching: payment file: sheet: %w", err)
		}
		f := &PaymentFile{opt: opt, Encoding: "xlsx", sheet: rows, size: size, counter: &countingReader{}}
		for i := 0; i < maxHeaderSearchRows; i++ {
			cells, line, err := rows.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				_ = rows.Close()
				return nil, fmt.Errorf("matching: payment file: %w", err)
			}
			if blank(cells) {
				continue
			}
			herr := f.mapHeader(cells)
			if herr == nil {
				f.lastLine = line
				f.maxDate = opt.Now.AddDate(1, 0, 0)
				return f, nil
			}
			var fe *FileError
			if errors.As(herr, &fe) && fe.Reason != errNoHeader {
				// A header with a column missing or twice: this is the
				// sheet's header, and it is wrong.
				if firstErr == nil {
					firstErr = herr
				}
				break
			}
		}
		_ = rows.Close()
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return nil, &FileError{Reason: fmt.Sprintf("no sheet has a header row in its first %d rows: it names none of the expected columns (身份证号, 救助类别, 金额, 发放日期 or 救助期间, 行政区划代码; see docs/payment-import.md)", maxHeaderSearchRows)}
}

// nextSheetRecord is NextRecord for a workbook.
func (f *PaymentFile) nextSheetRecord() ([]string, int64, *RowError, error) {
	for {
		cells, line, err := f.sheet.Next()
		if errors.Is(err, io.EOF) {
			f.counter.n = f.size
			return nil, 0, nil, io.EOF
		}
		if err != nil {
			return nil, 0, nil, fmt.Errorf("matching: payment file after row %d: %w", f.lastLine, err)
		}
		f.lastLine = line
		if blank(cells) || line <= f.opt.SkipThrough {
			continue
		}
		if i := f.ix[cIDNumber]; i >= 0 && i < len(cells) && strings.ContainsAny(cells[i], "eE+") {
			if _, err := strconv.ParseFloat(strings.TrimSpace(cells[i]), 64); err == nil {
				return nil, line, &RowError{Line: line, Error: "id_number: stored as a number in scientific form (3.7E+17), which has lost its last digits; format the column as text and enter the ID numbers again"}, nil
			}
		}
		f.sheetCells(cells)
		return cells, line, nil, nil
	}
}

// Close closes the sheet of a workbook file.
func (f *PaymentFile) Close() error {
	if f.sheet == nil {
		return nil
	}
	return errors.Join(f.sheet.Close(), f.closeWorkbook())
}

// sheetCells turns the stored numbers of a row into the text the CSV
// reader sees: a date column's day number (Excel's serial date) into a
// date, an amount's binary noise (1234.5000000000002) into its cents.
func (f *PaymentFile) sheetCells(cells []string) {
	for _, c := range []int{cDate, cPeriodFrom, cPeriodTo, cPeriod} {
		if i := f.ix[c]; i >= 0 && i < len(cells) {
			cells[i] = serialDate(cells[i])
		}
	}
	if i := f.ix[cAmount]; i >= 0 && i < len(cells) {
		cells[i] = roundCents(cells[i])
	}
}

// serialDate reads a cell holding Excel's day number (days since
// 1899-12-30, a fraction for the time) of a date from 1900-03-01 on; other
// cells (text, 202601, 20260115) are returned as they are.
func serialDate(s string) string {
	s = strings.TrimSpace(s)
	whole, _, _ := strings.Cut(s, ".")
	if len(whole) < 2 || len(whole) > 5 || !allDigits(whole) {
		return s
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 61 {
		return s
	}
	return time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(v)).Format("2006-01-02")
}

// roundCents rounds a stored number within a millionth of a cent to its
// cents; anything else is returned as it is (ParseYuan says what is wrong).
func roundCents(s string) string {
	if !strings.ContainsAny(s, ".eE") {
		return s
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || v < 0 || v > 1e12 {
		return s
	}
	cents := math.Round(v * 100)
	if math.Abs(v*100-cents) > 1e-6 {
		return s
	}
	return strconv.FormatFloat(cents/100, 'f', -1, 64)
}
