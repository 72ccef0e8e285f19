// Package xlsxsheet reads .xlsx workbooks for the payment import
// (record.Workbook). It reads the zip in place through its io.ReaderAt and
// streams a sheet's XML row by row: memory is the shared string table and
// one row, and nothing is ever written to disk (the cells hold ID numbers
// and names). It imports matching/record and nothing above it.
package xlsxsheet

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/jiujinan/jiujinan/matching/record"
)

const (
	// MaxUnzippedBytes bounds the declared unzipped size of the parts
	// read (workbook, relationships, shared strings, sheets): a zip bomb
	// is refused before a byte is inflated. Parts are streamed, so this
	// bounds time, not memory: 4 GiB is 10 times a sheet of 1 M rows.
	MaxUnzippedBytes = 4 << 30
	// MaxSharedStringBytes bounds the shared string table, which is held
	// in memory (text plus 16 bytes a string).
	MaxSharedStringBytes = 256 << 20
	// maxMetaPart bounds workbook.xml and the relationship parts, which
	// are read whole.
	maxMetaPart = 16 << 20
	// maxRowBytes bounds one row's text (Excel's cells hold at most
	// 32,767 characters; a payment row a few hundred bytes).
	maxRowBytes = 16 << 20
	// Excel's limits.
	maxRows = 1 << 20
	maxCols = 1 << 14
)

func tooLarge(what string, limit int64) error {
	return &record.FileError{Key: record.KeyFileXLSXTooLarge,
		Reason: fmt.Sprintf("the workbook's %s unzip to more than %d MiB; save it as CSV (UTF-8) and import that", what, limit>>20)}
}

// Open opens the workbook of size bytes in r: it reads the list of sheets
// and the shared strings; sheets are read when asked for.
func Open(r io.ReaderAt, size int64) (record.Workbook, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("xlsx: %w", err)
	}
	w := &workbook{parts: make(map[string]*zip.File, len(zr.File))}
	for _, f := range zr.File {
		// Part names are case-insensitive (OPC); the first of a name wins.
		if k := strings.ToLower(f.Name); w.parts[k] == nil {
			w.parts[k] = f
		}
	}
	pkgRels, err := w.readRels("_rels/.rels", "")
	if err != nil {
		return nil, err
	}
	wbPath := "xl/workbook.xml"
	for _, rel := range pkgRels {
		if strings.HasSuffix(rel.typ, "/officeDocument") {
			wbPath = rel.target
		}
	}
	if w.part(wbPath) == nil {
		return nil, errors.New("xlsx: no workbook part (not an Excel workbook)")
	}
	if err := w.readWorkbook(wbPath); err != nil {
		return nil, err
	}
	rels, err := w.readRels(path.Join(path.Dir(wbPath), "_rels", path.Base(wbPath)+".rels"), wbPath)
	if err != nil {
		return nil, err
	}
	byID := map[string]string{}
	sstPath := ""
	for _, rel := range rels {
		byID[rel.id] = rel.target
		if strings.HasSuffix(rel.typ, "/sharedStrings") {
			sstPath = rel.target
		}
	}
	// Each size is checked before it is added: sizes near 2^64 would wrap.
	var declared uint64
	fits := func(f *zip.File) bool {
		if f.UncompressedSize64 > MaxUnzippedBytes-declared {
			return false
		}
		declared += f.UncompressedSize64
		return true
	}
	if !fits(w.part(wbPath)) {
		return nil, tooLarge("sheets", MaxUnzippedBytes)
	}
	for i := range w.sheets {
		p := w.part(byID[w.sheets[i].rid])
		if p == nil {
			return nil, fmt.Errorf("xlsx: sheet %d has no part", i+1)
		}
		if !fits(p) {
			return nil, tooLarge("sheets", MaxUnzippedBytes)
		}
		w.sheets[i].part = p
	}
	sst := w.part(sstPath)
	if sst != nil && !fits(sst) {
		return nil, tooLarge("sheets", MaxUnzippedBytes)
	}
	if sst != nil {
		if w.sst, err = readSharedStrings(w, sst); err != nil {
			return nil, err
		}
	}
	return w, nil
}

var _ record.OpenWorkbookFunc = Open

type sheet struct {
	name, rid string
	part      *zip.File
}

type workbook struct {
	parts  map[string]*zip.File
	sheets []sheet
	sst    []string
}

func (w *workbook) part(name string) *zip.File {
	if name == "" {
		return nil
	}
	return w.parts[strings.ToLower(name)]
}

// open streams a part, never past its declared size (archive/zip checks
// the same; this does not depend on it).
func (w *workbook) open(f *zip.File) (io.ReadCloser, error) {
	if f.UncompressedSize64 > MaxUnzippedBytes {
		return nil, tooLarge("sheets", MaxUnzippedBytes)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("xlsx: %s: %w", f.Name, err)
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(rc, int64(f.UncompressedSize64)), rc}, nil
}

// each calls fn with every token of a small part.
func (w *workbook) each(f *zip.File, fn func(*scanner) error) error {
	if f.UncompressedSize64 > maxMetaPart {
		return fmt.Errorf("xlsx: %s: %d bytes unzipped", f.Name, f.UncompressedSize64)
	}
	rc, err := w.open(f)
	if err != nil {
		return err
	}
	defer rc.Close()
	sc := newScanner(rc)
	for {
		if err := sc.next(); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return fmt.Errorf("xlsx: %s: %w", f.Name, err)
		}
		if err := fn(sc); err != nil {
			return fmt.Errorf("xlsx: %s: %w", f.Name, err)
		}
	}
}

type rel struct{ id, typ, target string }

// readRels reads a relationship part; targets are resolved to part names
// against the part from (empty for the package's).
func (w *workbook) readRels(name, from string) ([]rel, error) {
	f := w.part(name)
	if f == nil {
		return nil, nil
	}
	var rels []rel
	err := w.each(f, func(sc *scanner) error {
		if sc.kind != tokStart || string(sc.name) != "Relationship" {
			return nil
		}
		if mode, _ := sc.attr("TargetMode"); string(mode) == "External" {
			return nil
		}
		id, _ := sc.attr("Id")
		typ, _ := sc.attr("Type")
		target, _ := sc.attr("Target")
		t := string(target)
		if strings.HasPrefix(t, "/") {
			t = path.Clean(t[1:])
		} else {
			t = path.Join(path.Dir(from), t)
		}
		rels = append(rels, rel{id: string(id), typ: string(typ), target: t})
		return nil
	})
	return rels, err
}

// readWorkbook reads the sheets' names and relationship ids in order.
func (w *workbook) readWorkbook(name string) error {
	return w.each(w.part(name), func(sc *scanner) error {
		if sc.kind != tokStart || string(sc.name) != "sheet" {
			return nil
		}
		n, _ := sc.attr("name")
		id, ok := sc.attr("id") // r:id
		if !ok {
			return errors.New("a sheet without a relationship id")
		}
		w.sheets = append(w.sheets, sheet{name: string(n), rid: string(id)})
		return nil
	})
}

// readSharedStrings reads the shared string table: an item's text is its
// <t>, or its rich text runs' <t> joined; phonetic runs (<rPh>) are not
// part of the text.
func readSharedStrings(w *workbook, f *zip.File) ([]string, error) {
	rc, err := w.open(f)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	sc := newScanner(rc)
	var (
		sst        []string
		held       int64
		buf        []byte
		inT, inRPh bool
	)
	for {
		if err := sc.next(); errors.Is(err, io.EOF) {
			return sst, nil
		} else if err != nil {
			return nil, fmt.Errorf("xlsx: shared strings: %w", err)
		}
		switch sc.kind {
		case tokStart:
			switch string(sc.name) {
			case "sst":
				if v, ok := sc.attr("uniqueCount"); ok {
					if n, err := strconv.Atoi(string(v)); err == nil && n > 0 {
						sst = make([]string, 0, min(n, 1<<20))
					}
				}
			case "si":
				buf = buf[:0]
				if sc.selfClose {
					sst = append(sst, "")
					if held += 16; held > MaxSharedStringBytes {
						return nil, tooLarge("shared strings", MaxSharedStringBytes)
					}
				}
			case "t":
				inT = !sc.selfClose
			case "rPh":
				inRPh = !sc.selfClose
			}
		case tokEnd:
			switch string(sc.name) {
			case "si":
				sst = append(sst, string(unescapeBstr(buf)))
				if held += int64(len(buf)) + 16; held > MaxSharedStringBytes {
					return nil, tooLarge("shared strings", MaxSharedStringBytes)
				}
			case "t":
				inT = false
			case "rPh":
				inRPh = false
			}
		case tokText:
			if inT && !inRPh {
				if held+int64(len(buf)+len(sc.text)) > MaxSharedStringBytes {
					return nil, tooLarge("shared strings", MaxSharedStringBytes)
				}
				buf = append(buf, sc.text...)
			}
		}
	}
}

func (w *workbook) Sheets() []string {
	names := make([]string, len(w.sheets))
	for i, s := range w.sheets {
		names[i] = s.name
	}
	return names
}

func (w *workbook) Rows(name string) (record.SheetRows, error) {
	var f *zip.File // every sheet has a part (Open checks)
	for _, s := range w.sheets {
		if s.name == name {
			f = s.part
			break
		}
	}
	if f == nil {
		return nil, fmt.Errorf("xlsx: no sheet %q", name)
	}
	rc, err := w.open(f)
	if err != nil {
		return nil, err
	}
	return &sheetRows{rc: rc, sc: newScanner(rc), sst: w.sst}, nil
}

// Close lets the shared strings go; the reader is the caller's.
func (w *workbook) Close() error {
	w.sst = nil
	return nil
}

// sheetRows streams a sheet's <sheetData>. Like excelize's iterator, it
// returns an empty row for each row number the sheet skips, so the row
// numbers are Excel's.
type sheetRows struct {
	rc  io.Closer
	sc  *scanner
	sst []string

	n         int64 // the last row returned
	ahead     int64 // the number of the <row> read ahead, 0 if none
	aheadVoid bool  // that <row/> has no cells
	done      bool

	// One row's text is gathered in buf and becomes one string, which the
	// cells slice: two allocations a row, not one a cell.
	buf   []byte
	cells []cellRef
	text  []byte // the current cell's inline text
	v     []byte // and its <v>, kept apart: <v> may follow <is>
}

type cellRef struct {
	col        int
	str        string // a shared string, or
	start, end int    // its text in buf
	shared     bool
}

// Next returns the raw stored values, as excelize's RawCellValue did: an
// ID number stored as a number stays its digits (3.7E+17 if Excel kept it
// so), a date its day number, which record turns into a date. A row ends
// at its last cell with a value.
func (s *sheetRows) Next() ([]string, int64, error) {
	if s.ahead == 0 {
		if err := s.seekRow(); err != nil {
			return nil, 0, err
		}
	}
	s.n++
	if s.n < s.ahead || s.aheadVoid {
		if s.n == s.ahead {
			s.ahead = 0
		}
		return nil, s.n, nil
	}
	s.ahead = 0
	cells, err := s.readRow()
	if err != nil {
		return nil, 0, fmt.Errorf("xlsx: row %d: %w", s.n, err)
	}
	return cells, s.n, nil
}

// seekRow reads up to the next <row> start tag.
func (s *sheetRows) seekRow() error {
	if s.done {
		return io.EOF
	}
	for {
		err := s.sc.next()
		if errors.Is(err, io.EOF) {
			s.done = true
			return io.EOF
		}
		if err != nil {
			return fmt.Errorf("xlsx: after row %d: %w", s.n, err)
		}
		switch {
		case s.sc.kind == tokEnd && string(s.sc.name) == "sheetData":
			s.done = true
			return io.EOF
		case s.sc.kind == tokStart && string(s.sc.name) == "row":
			num := s.n + 1
			if r, ok := s.sc.attr("r"); ok {
				v, err := strconv.ParseInt(string(r), 10, 64)
				if err != nil || v <= s.n || v > maxRows {
					return fmt.Errorf("xlsx: after row %d: a row numbered %.12q", s.n, r)
				}
				num = v
			}
			s.ahead, s.aheadVoid = num, s.sc.selfClose
			return nil
		}
	}
}

// readRow reads the cells of the row whose start tag was read.
func (s *sheetRows) readRow() ([]string, error) {
	s.buf, s.cells = s.buf[:0], s.cells[:0]
	col := 0
	for {
		if err := s.sc.next(); err != nil {
			return nil, err
		}
		switch {
		case s.sc.kind == tokEnd && string(s.sc.name) == "row":
			return s.rowCells(), nil
		case s.sc.kind == tokStart && string(s.sc.name) == "c":
			c := col + 1
			if r, ok := s.sc.attr("r"); ok {
				var err error
				if c, err = column(r); err != nil {
					return nil, err
				}
				if c <= col {
					return nil, fmt.Errorf("cell %.12q out of order", r)
				}
			}
			col = c
			if err := s.readCell(c); err != nil {
				return nil, err
			}
		}
	}
}

// readCell reads a <c> whose start tag was read into the row, if it has a
// value or a formula.
func (s *sheetRows) readCell(col int) error {
	typ, _ := s.sc.attr("t")
	var t byte // s, i(nlineStr) or another type read raw
	switch string(typ) {
	case "s":
		t = 's'
	case "inlineStr":
		t = 'i'
	}
	if s.sc.selfClose {
		return nil
	}
	s.text, s.v = s.text[:0], s.v[:0]
	var inV, inIs, inT, inRPh, hasIs, formula bool
	for {
		if err := s.sc.next(); err != nil {
			return err
		}
		sc := s.sc
		switch sc.kind {
		case tokStart:
			open := !sc.selfClose
			switch string(sc.name) {
			case "v":
				inV = open
			case "f":
				formula = true
			case "is":
				inIs, hasIs = open, true
			case "t":
				inT = open && inIs
			case "rPh":
				inRPh = open
			}
		case tokEnd:
			switch string(sc.name) {
			case "c":
				return s.addCell(col, t, s.v, hasIs, formula)
			case "v":
				inV = false
			case "is":
				inIs = false
			case "t":
				inT = false
			case "rPh":
				inRPh = false
			}
		case tokText:
			if len(s.buf)+len(s.text)+len(s.v)+len(sc.text) > maxRowBytes {
				return fmt.Errorf("column %d: the row holds more than %d MiB of text", col, maxRowBytes>>20)
			}
			switch {
			case inV:
				s.v = append(s.v, sc.text...)
			case inT && !inRPh:
				s.text = append(s.text, sc.text...)
			}
		}
	}
}

func (s *sheetRows) addCell(col int, t byte, v []byte, hasIs, formula bool) error {
	ref := cellRef{col: col}
	switch {
	case t == 's' && len(v) > 0:
		i, err := strconv.Atoi(strings.TrimSpace(string(v)))
		if err != nil || i < 0 || i >= len(s.sst) {
			return fmt.Errorf("column %d: shared string %.12q out of range", col, v)
		}
		ref.str, ref.shared = s.sst[i], true
	case t == 'i' && hasIs:
		ref.start = len(s.buf)
		s.buf = append(s.buf, unescapeBstr(s.text)...)
		ref.end = len(s.buf)
	default:
		ref.start = len(s.buf)
		s.buf = append(s.buf, v...)
		ref.end = len(s.buf)
	}
	if ref.shared && ref.str == "" || !ref.shared && ref.start == ref.end {
		if !formula {
			return nil
		}
	}
	s.cells = append(s.cells, ref)
	return nil
}

func (s *sheetRows) rowCells() []string {
	if len(s.cells) == 0 {
		return nil
	}
	text := string(s.buf)
	cells := make([]string, s.cells[len(s.cells)-1].col)
	for _, c := range s.cells {
		if c.shared {
			cells[c.col-1] = c.str
		} else {
			cells[c.col-1] = text[c.start:c.end]
		}
	}
	return cells
}

func (s *sheetRows) Close() error {
	return s.rc.Close()
}

// column reads the column of a cell reference (AB12 is 28).
func column(ref []byte) (int, error) {
	c, i := 0, 0
	for ; i < len(ref); i++ {
		b := ref[i] | 0x20 // lower case
		if b < 'a' || b > 'z' {
			break
		}
		c = c*26 + int(b-'a'+1)
		if c > maxCols {
			return 0, fmt.Errorf("cell %.12q beyond column XFD", ref)
		}
	}
	if i == 0 || i == len(ref) {
		return 0, fmt.Errorf("cell reference %.12q", ref)
	}
	return c, nil
}

// unescapeBstr decodes the _xHHHH_ escapes of shared and inline strings
// (ECMA-376 ST_Xstring: characters XML cannot hold; _x005F_ is "_").
func unescapeBstr(b []byte) []byte {
	if !bytes.Contains(b, []byte("_x")) {
		return b
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		if i+7 <= len(b) && b[i] == '_' && b[i+1] == 'x' && b[i+6] == '_' {
			if n, err := strconv.ParseUint(string(b[i+2:i+6]), 16, 16); err == nil {
				if n == 0x5F {
					out = append(out, '_')
				} else {
					out = append(out, string(rune(n))...)
				}
				i += 7
				continue
			}
		}
		out = append(out, b[i])
		i++
	}
	return out
}
