package bill

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/kernel"
)

// Workbook is an .xlsx file opened for reading (matching/record/xlsxsheet
// through a small adapter in web).
type Workbook interface {
	Sheets() []string
	Rows(sheet string) (Rows, error)
	Close() error
}

// Rows reads a sheet row by row: the cells' stored values and the row's
// number, io.EOF after the last.
type Rows interface {
	Next() ([]string, int64, error)
	Close() error
}

// Options are what reading a bill needs from outside.
type Options struct {
	// OpenWorkbook opens an .xlsx bill; nil refuses .xlsx files.
	OpenWorkbook func(r io.ReaderAt, size int64) (Workbook, error)
}

// File is a bill kept where it can be read again from its start (a sealed
// spool of the upload).
type File interface {
	io.Reader
	io.ReaderAt
	io.Seeker
}

// Catalogue keys of the refusals of a whole file (web/i18n).
const (
	KeyUnknownFormat       = "bill_unknown_format"
	KeyFileXLS             = "bill_file_xls"
	KeyFileNotXLSX         = "bill_file_not_xlsx"
	KeyFileXLSXUnavailable = "bill_file_xlsx_unavailable"
	KeyFileUnreadable      = "bill_file_unreadable"
)

// Catalogue keys of the reasons a row cannot be read.
const (
	KeyRowAmount = "bill_row_amount"
	KeyRowDate   = "bill_row_date"
	KeyRowStatus = "bill_row_status"
	KeyRowShort  = "bill_row_short"
	KeyRowCSV    = "bill_row_csv"
)

// refuse is a refusal of the whole file.
func refuse(key string, args map[string]any, format string, a ...any) error {
	text := fmt.Sprintf(format, a...)
	return kernel.Refuse(kernel.Invalid("file", "%s", text), key, args, "%s", text)
}

// unknownFormat refuses a file whose header is none of specs'.
func unknownFormat() error {
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.name
	}
	return refuse(KeyUnknownFormat, map[string]any{"Expected": strings.Join(names, "；")},
		"no header of a known bill was found in the first %d rows (want a WeChat Pay trade bill, an Alipay business or account detail, a bank statement, or reference,amount,date)", maxHeaderRows)
}

var (
	zipMagic = []byte("PK\x03\x04")
	oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
)

// maxHeaderRows is how far down a file the header is looked for (below
// the '#' lines of Alipay and the title rows of a bank's export).
const maxHeaderRows = 30

// Reader reads a bill's lines (funds.BillLines).
type Reader struct {
	spec    *spec
	cols    map[string]int
	memos   []int
	heads   []string // the header's cells as the file wrote them
	src     rowSource
	pending []row // rows read while looking for the header
	skipped int64
	done    bool
	// summary: WeChat Pay's summary began; nothing after it is a line.
	summary bool
	headKey string // the header, normalized, to skip it where repeated
}

type row struct {
	cells []string
	line  int64
}

// rowSource is a CSV reader or a sheet.
type rowSource interface {
	next() ([]string, int64, error)
	close()
}

// Open reads a bill's header from the start of f (size bytes; name is the
// uploaded file's, which only words a refusal) and returns the reader of
// its lines. A file it cannot read or whose header it does not know is a
// *kernel.Refusal wrapping a *kernel.ValidationError (field "file").
func Open(f File, size int64, name string, opt Options) (*Reader, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	head := make([]byte, 8)
	n, _ := io.ReadFull(io.NewSectionReader(f, 0, size), head)
	head = head[:n]
	lower := strings.ToLower(name)
	var src rowSource
	switch {
	case bytes.HasPrefix(head, zipMagic):
		if opt.OpenWorkbook == nil {
			return nil, refuse(KeyFileXLSXUnavailable, nil, "this service reads no .xlsx files: save the bill as CSV")
		}
		wb, err := opt.OpenWorkbook(f, size)
		if err != nil {
			var r *kernel.Refusal
			if errors.As(err, &r) {
				return nil, err
			}
			return nil, refuse(KeyFileNotXLSX, nil, "the workbook cannot be read: %v", err)
		}
		return openWorkbook(wb)
	case bytes.HasPrefix(head, oleMagic):
		return nil, refuse(KeyFileXLS, nil, "an old Excel file (.xls) is not read: save it as .xlsx or CSV")
	case strings.HasSuffix(lower, ".xlsx"):
		return nil, refuse(KeyFileNotXLSX, nil, "the file is named .xlsx but is not an Excel workbook")
	}
	src, err := newCSVSource(f)
	if err != nil {
		return nil, err
	}
	r, err := findHeader(src)
	if err != nil {
		src.close()
		return nil, err
	}
	return r, nil
}

// openWorkbook finds the first sheet with a header it knows.
func openWorkbook(wb Workbook) (*Reader, error) {
	for _, name := range wb.Sheets() {
		rows, err := wb.Rows(name)
		if err != nil {
			wb.Close()
			return nil, refuse(KeyFileNotXLSX, nil, "the workbook cannot be read: %v", err)
		}
		r, err := findHeader(&sheetSource{rows: rows, wb: wb})
		if err == nil {
			return r, nil
		}
		rows.Close()
		var ref *kernel.Refusal
		if !errors.As(err, &ref) || ref.Key != KeyUnknownFormat {
			wb.Close()
			return nil, err
		}
	}
	wb.Close()
	return nil, unknownFormat()
}

// newCSVSource reads f as CSV in its encoding: UTF-8 (a BOM dropped), or
// else GB18030, which GBK files are; comma- or tab-separated.
func newCSVSource(f io.Reader) (*csvSource, error) {
	br := bufio.NewReaderSize(f, 64<<10)
	peek, _ := br.Peek(64 << 10)
	if len(peek) == 0 {
		return nil, unknownFormat()
	}
	var in io.Reader = br
	sample := peek
	switch {
	case bytes.HasPrefix(peek, []byte("\xEF\xBB\xBF")):
		_, _ = br.Discard(3)
		sample = peek[3:]
	case bytes.HasPrefix(peek, []byte{0xFF, 0xFE}), bytes.HasPrefix(peek, []byte{0xFE, 0xFF}):
		return nil, refuse(KeyFileUnreadable, nil, "the file is UTF-16 text: save it as CSV (UTF-8 or GBK)")
	case !validUTF8Prefix(peek):
		in = transform.NewReader(br, simplifiedchinese.GB18030.NewDecoder())
		sample, _, _ = transform.Bytes(simplifiedchinese.GB18030.NewDecoder(), peek)
	}
	if bytes.IndexByte(sample, 0) >= 0 {
		return nil, refuse(KeyFileUnreadable, nil, "the file is not text")
	}
	cr := csv.NewReader(in)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.Comment = '#'
	cr.Comma = sniffComma(sample)
	return &csvSource{cr: cr}, nil
}

// sniffComma picks the separator of the first lines that are not '#'
// comments: a tab when they hold more tabs than commas.
func sniffComma(sample []byte) rune {
	commas, tabs := 0, 0
	for i, line := range bytes.Split(sample, []byte("\n")) {
		if i > maxHeaderRows {
			break
		}
		if bytes.HasPrefix(line, []byte("#")) {
			continue
		}
		commas += bytes.Count(line, []byte(","))
		tabs += bytes.Count(line, []byte("\t"))
	}
	if tabs > commas {
		return '\t'
	}
	return ','
}

func validUTF8Prefix(b []byte) bool {
	// A character may be cut at the end of the peeked window.
	for i := 0; i < utf8.UTFMax && len(b) > 0; i++ {
		if utf8.Valid(b) {
			return true
		}
		b = b[:len(b)-1]
	}
	return len(b) == 0
}

type csvSource struct{ cr *csv.Reader }

// csvRowError is a CSV line that cannot be split into fields.
type csvRowError struct {
	line int64
	err  error
}

func (e *csvRowError) Error() string { return e.err.Error() }

func (c *csvSource) next() ([]string, int64, error) {
	rec, err := c.cr.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) && !errors.Is(err, io.EOF) {
			return nil, int64(pe.StartLine), &csvRowError{line: int64(pe.StartLine), err: pe.Err}
		}
		return nil, 0, err
	}
	line, _ := c.cr.FieldPos(0)
	return rec, int64(line), nil
}

func (c *csvSource) close() {}

type sheetSource struct {
	rows Rows
	wb   Workbook
}

func (s *sheetSource) next() ([]string, int64, error) {
	for {
		cells, n, err := s.rows.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, 0, io.EOF
			}
			return nil, 0, refuse(KeyFileNotXLSX, nil, "the workbook cannot be read: %v", err)
		}
		// '#' rows are comments, as in a CSV.
		if len(cells) > 0 && strings.HasPrefix(strings.TrimSpace(cells[0]), "#") {
			continue
		}
		return cells, n, nil
	}
}

func (s *sheetSource) close() {
	s.rows.Close()
	s.wb.Close()
}

// findHeader reads rows until one is the header of a known format, or
// decides the file is the platform's statement without a header.
func findHeader(src rowSource) (*Reader, error) {
	var seen []row
	for len(seen) < maxHeaderRows {
		cells, line, err := src.next()
		if errors.Is(err, io.EOF) {
			break
		}
		var ce *csvRowError
		if errors.As(err, &ce) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if blank(cells) {
			continue
		}
		if r := matchHeader(cells); r != nil {
			r.src = src
			return r, nil
		}
		seen = append(seen, row{cells: cells, line: line})
	}
	// Today's statement may come without a header: reference, amount,
	// date in its first three columns, the first row a line.
	if len(seen) > 0 && len(seen[0].cells) >= 3 {
		if _, ok := parseTime(cleanCell(seen[0].cells[2])); ok {
			st := &specs[len(specs)-1]
			return &Reader{spec: st, cols: map[string]int{colReference: 0, colAmount: 1, colDate: 2},
				heads: []string{"reference", "amount", "date"}, src: src, pending: seen}, nil
		}
	}
	return nil, unknownFormat()
}

// matchHeader returns the reader of the first format whose header cells is.
func matchHeader(cells []string) *Reader {
	norm := make([]string, len(cells))
	for i, c := range cells {
		norm[i] = normalize(c)
	}
	for i := range specs {
		sp := &specs[i]
		cols := map[string]int{}
		var memos []int
		ok := true
		for _, col := range sp.columns {
			found := -1
			for _, name := range col.names {
				for j, h := range norm {
					if h == name {
						if col.key == colMemo && sp.memoAll {
							memos = append(memos, j)
						}
						if found < 0 {
							found = j
						}
					}
				}
				if found >= 0 && !(col.key == colMemo && sp.memoAll) {
					break
				}
			}
			if found >= 0 {
				cols[col.key] = found
			} else if col.required {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		if len(sp.anyOf) > 0 {
			any := false
			for _, k := range sp.anyOf {
				if _, has := cols[k]; has {
					any = true
				}
			}
			if !any {
				continue
			}
		}
		if _, dir := cols[colDirection]; dir {
			if _, amt := cols[colAmount]; !amt {
				if _, inc := cols[colIncome]; !inc {
					continue
				}
			}
		}
		heads := make([]string, len(cells))
		for j, c := range cells {
			heads[j] = cleanCell(c)
		}
		return &Reader{spec: sp, cols: cols, memos: memos, heads: heads, headKey: strings.Join(norm, ",")}
	}
	return nil
}

// normalize is a header cell as specs name it.
func normalize(s string) string {
	s = cleanCell(s)
	s = strings.NewReplacer("（", "(", "）", ")", "／", "/", " ", "", "\u3000", "", "\t", "").Replace(s)
	for _, unit := range []string{"(元)", "(+元)", "(-元)", "(人民币)", "(人民币元)", "(rmb)", "(cny)"} {
		s = strings.TrimSuffix(s, unit)
		s = strings.TrimSuffix(s, strings.ToUpper(unit))
	}
	return strings.ToLower(s)
}

// cleanCell is a cell's value without the wrapping exports add: spaces and
// tabs, WeChat Pay's leading backtick, a BOM, Excel's ="…" text formula.
func cleanCell(s string) string {
	s = strings.TrimSpace(strings.TrimPrefix(s, "\uFEFF"))
	s = strings.TrimPrefix(s, "`")
	if strings.HasPrefix(s, `="`) && strings.HasSuffix(s, `"`) && len(s) >= 3 {
		s = s[2 : len(s)-1]
	}
	return strings.TrimSpace(s)
}

func blank(cells []string) bool {
	for _, c := range cells {
		if cleanCell(c) != "" {
			return false
		}
	}
	return true
}

// Format is the bill's format.
func (r *Reader) Format() funds.BillFormat { return r.spec.format }

// Skipped implements funds.BillLines.
func (r *Reader) Skipped() int64 { return r.skipped }

// Close lets the file go (a workbook's shared strings).
func (r *Reader) Close() error {
	if r.src != nil {
		r.src.close()
	}
	return nil
}

// Next implements funds.BillLines.
func (r *Reader) Next() (funds.BillLine, error) {
	for {
		if r.done {
			return funds.BillLine{}, io.EOF
		}
		var cells []string
		var line int64
		if len(r.pending) > 0 {
			cells, line = r.pending[0].cells, r.pending[0].line
			r.pending = r.pending[1:]
		} else {
			var err error
			cells, line, err = r.src.next()
			var ce *csvRowError
			switch {
			case errors.Is(err, io.EOF):
				r.done = true
				r.Close()
				return funds.BillLine{}, io.EOF
			case errors.As(err, &ce):
				return funds.BillLine{}, &funds.BillRowError{Line: ce.line, Key: KeyRowCSV, Reason: "not a CSV line: " + ce.err.Error()}
			case err != nil:
				return funds.BillLine{}, err
			}
		}
		if blank(cells) || r.summary {
			continue
		}
		first := cleanCell(cells[0])
		if r.spec.format == funds.BillWeChatPay && normalize(first) == weChatSummary {
			r.summary = true
			continue
		}
		if r.isHeaderAgain(cells) || (r.spec.format == funds.BillBank && isTotals(cells)) {
			r.skipped++
			continue
		}
		l, skip, rerr := r.parse(cells, line)
		if rerr != nil {
			return funds.BillLine{}, rerr
		}
		if skip {
			r.skipped++
			continue
		}
		return l, nil
	}
}

// isHeaderAgain: exports of several pages repeat the header.
func (r *Reader) isHeaderAgain(cells []string) bool {
	if r.headKey == "" || len(cells) != len(r.heads) {
		return false
	}
	norm := make([]string, len(cells))
	for i, c := range cells {
		norm[i] = normalize(c)
	}
	return strings.Join(norm, ",") == r.headKey
}

// isTotals: a bank's sum row (合计, 本页小计 …) in its first non-empty cell.
func isTotals(cells []string) bool {
	for _, c := range cells {
		c = cleanCell(c)
		if c == "" {
			continue
		}
		for _, t := range bankTotalsCells {
			if strings.HasPrefix(c, t) {
				return true
			}
		}
		return false
	}
	return false
}

// cell returns the row's value of a logical column ("" when the format or
// the row lacks it) and whether the header has the column.
func (r *Reader) cell(cells []string, key string) (string, bool) {
	i, ok := r.cols[key]
	if !ok {
		return "", false
	}
	if i >= len(cells) {
		return "", true
	}
	return cleanCell(cells[i]), true
}

func (r *Reader) head(key string) string {
	if i, ok := r.cols[key]; ok && i < len(r.heads) {
		return r.heads[i]
	}
	return key
}

func (r *Reader) rowError(line int64, key, column, reason string) *funds.BillRowError {
	return &funds.BillRowError{Line: line, Column: column, Key: key, Reason: reason}
}

// amountOf reads a money column; ok false with a row error when the value
// is not an amount.
func (r *Reader) amountOf(cells []string, line int64, key string) (fen int64, present bool, err *funds.BillRowError) {
	v, has := r.cell(cells, key)
	if !has || v == "" {
		return 0, false, nil
	}
	fen, ok := parseYuan(v)
	if !ok {
		return 0, true, r.rowError(line, KeyRowAmount, r.head(key), fmt.Sprintf("%q is not an amount in yuan with at most two decimals", v))
	}
	return fen, true, nil
}

func (r *Reader) timeOf(cells []string, line int64, key string) (time.Time, *funds.BillRowError) {
	v, _ := r.cell(cells, key)
	t, ok := parseTime(v)
	if !ok {
		return time.Time{}, r.rowError(line, KeyRowDate, r.head(key), fmt.Sprintf("%q is not a date", v))
	}
	return t, nil
}

// parse reads a row of the bill's format: a line, a row to skip, or why
// it cannot be read.
func (r *Reader) parse(cells []string, line int64) (funds.BillLine, bool, *funds.BillRowError) {
	need := 0
	for _, i := range r.cols {
		need = max(need, i+1)
	}
	if len(cells) < need && r.spec.format != funds.BillStatement {
		// Trailing empty cells are often cut off; only a row missing a
		// column it must have is short, which the parsers below find.
		cells = append(cells, make([]string, need-len(cells))...)
	}
	switch r.spec.format {
	case funds.BillWeChatPay:
		return r.parseWeChat(cells, line)
	case funds.BillAlipay:
		return r.parseAlipay(cells, line)
	case funds.BillAlipayAccount:
		return r.parseAlipayAccount(cells, line)
	case funds.BillBank:
		return r.parseBank(cells, line)
	}
	return r.parseStatement(cells, line)
}

func (r *Reader) parseWeChat(cells []string, line int64) (funds.BillLine, bool, *funds.BillRowError) {
	l := funds.BillLine{Line: line}
	l.Reference, _ = r.cell(cells, colOrderNo)
	l.TradeNo, _ = r.cell(cells, colTradeNo)
	var err *funds.BillRowError
	if l.At, err = r.timeOf(cells, line, colTime); err != nil {
		return l, false, err
	}
	status, _ := r.cell(cells, colStatus)
	paid, err := r.orderAmount(cells, line)
	if err != nil {
		return l, false, err
	}
	switch strings.ToUpper(status) {
	case "SUCCESS":
		l.Kind, l.AmountFen = funds.BillPayment, paid
	case "REFUND", "REVOKED":
		refund, present, err := r.amountOf(cells, line, colRefund)
		if err != nil {
			return l, false, err
		}
		if !present || refund == 0 {
			// A payment reversed (撤销) gives back all of it.
			refund = paid
		}
		l.Kind, l.AmountFen = funds.BillRefund, abs(refund)
		l.RefundNo, _ = r.cell(cells, colRefundNo)
	default:
		return l, false, r.rowError(line, KeyRowStatus, r.head(colStatus), fmt.Sprintf("unknown trade status %q (want SUCCESS, REFUND or REVOKED)", status))
	}
	if l.AmountFen <= 0 {
		return l, false, r.rowError(line, KeyRowAmount, r.head(colAmount), "no amount")
	}
	return l, false, nil
}

// orderAmount is what the donor paid: the order amount (订单金额, 总金额),
// else the amount to settle (应结订单金额).
func (r *Reader) orderAmount(cells []string, line int64) (int64, *funds.BillRowError) {
	for _, k := range []string{colAmount, colSettled} {
		fen, present, err := r.amountOf(cells, line, k)
		if err != nil {
			return 0, err
		}
		if present && fen != 0 {
			return abs(fen), nil
		}
	}
	return 0, nil
}

func (r *Reader) parseAlipay(cells []string, line int64) (funds.BillLine, bool, *funds.BillRowError) {
	l := funds.BillLine{Line: line}
	l.Reference, _ = r.cell(cells, colOrderNo)
	l.TradeNo, _ = r.cell(cells, colTradeNo)
	kind, _ := r.cell(cells, colType)
	switch {
	case kind == "交易":
		l.Kind = funds.BillPayment
	case strings.Contains(kind, "退款"):
		l.Kind = funds.BillRefund
		l.RefundNo, _ = r.cell(cells, colRefundNo)
	default:
		return l, true, nil
	}
	key := colTime
	if v, _ := r.cell(cells, colTime); v == "" {
		key = colCreateTime
	}
	var err *funds.BillRowError
	if l.At, err = r.timeOf(cells, line, key); err != nil {
		return l, false, err
	}
	if l.AmountFen, err = r.orderAmount(cells, line); err != nil {
		return l, false, err
	}
	if l.AmountFen <= 0 {
		return l, false, r.rowError(line, KeyRowAmount, r.head(colAmount), "no amount")
	}
	return l, false, nil
}

func (r *Reader) parseAlipayAccount(cells []string, line int64) (funds.BillLine, bool, *funds.BillRowError) {
	l := funds.BillLine{Line: line}
	l.Reference, _ = r.cell(cells, colOrderNo)
	l.TradeNo, _ = r.cell(cells, colTradeNo)
	kind, _ := r.cell(cells, colType)
	in, _, err := r.amountOf(cells, line, colIncome)
	if err != nil {
		return l, false, err
	}
	out, _, err := r.amountOf(cells, line, colExpense)
	if err != nil {
		return l, false, err
	}
	switch {
	case abs(in) > 0 && !strings.Contains(kind, "退款") && !strings.Contains(kind, "收费"):
		l.Kind, l.AmountFen = funds.BillPayment, abs(in)
	case abs(out) > 0 && strings.Contains(kind, "退款"):
		l.Kind, l.AmountFen = funds.BillRefund, abs(out)
		serial, _ := r.cell(cells, colSerial)
		l.RefundNo = serial
	default:
		// Fees, transfers out, withdrawals: no pledge's money.
		return l, true, nil
	}
	if l.At, err = r.timeOf(cells, line, colTime); err != nil {
		return l, false, err
	}
	return l, false, nil
}

// creditWords are a 借贷标志's values for money in.
var creditWords = map[string]bool{"贷": true, "贷方": true, "收": true, "收入": true, "存入": true, "转入": true, "入账": true,
	"c": true, "cr": true, "credit": true, "+": true, "2": true}

func (r *Reader) parseBank(cells []string, line int64) (funds.BillLine, bool, *funds.BillRowError) {
	l := funds.BillLine{Line: line, Kind: funds.BillPayment}
	fen, present, err := r.amountOf(cells, line, colIncome)
	if err != nil {
		return l, false, err
	}
	if !present || fen == 0 {
		dir, hasDir := r.cell(cells, colDirection)
		if !hasDir || !creditWords[strings.ToLower(dir)] {
			// Money out, or nothing: not a donation.
			return l, true, nil
		}
		key := colAmount
		if _, ok := r.cols[colAmount]; !ok {
			key = colIncome
		}
		if fen, present, err = r.amountOf(cells, line, key); err != nil {
			return l, false, err
		}
		if !present || fen == 0 {
			return l, true, nil
		}
	}
	if fen < 0 {
		// A negative credit is a correction (冲正) of money in.
		return l, true, nil
	}
	l.AmountFen = fen
	if l.At, err = r.timeOf(cells, line, colDate); err != nil {
		return l, false, err
	}
	l.TradeNo, _ = r.cell(cells, colSerial)
	for _, i := range r.memos {
		if i < len(cells) {
			if ref := findReference(cleanCell(cells[i])); ref != "" {
				l.Reference = ref
				break
			}
		}
	}
	return l, false, nil
}

func (r *Reader) parseStatement(cells []string, line int64) (funds.BillLine, bool, *funds.BillRowError) {
	l := funds.BillLine{Line: line, Kind: funds.BillPayment}
	if len(cells) < 3 {
		return l, false, r.rowError(line, KeyRowShort, "", "want reference, amount, date")
	}
	ref, _ := r.cell(cells, colReference)
	if found := findReference(ref); found != "" {
		ref = found
	}
	l.Reference = ref
	v, _ := r.cell(cells, colAmount)
	fen, ok := parseYuan(v)
	if !ok || fen <= 0 {
		return l, false, r.rowError(line, KeyRowAmount, r.head(colAmount), fmt.Sprintf("%q is not a positive amount in yuan with at most two decimals", v))
	}
	l.AmountFen = fen
	var err *funds.BillRowError
	if l.At, err = r.timeOf(cells, line, colDate); err != nil {
		return l, false, err
	}
	return l, false, nil
}

// referencePattern is a pledge's reference (funds.newReference: JJ and ten
// of 0-9 A-Z), standing apart from other letters and digits.
var referencePattern = regexp.MustCompile(`(?i)(?:^|[^0-9A-Z])(JJ[0-9A-Z]{10})(?:[^0-9A-Z]|$)`)

// findReference finds a pledge reference in a transfer's text.
func findReference(s string) string {
	m := referencePattern.FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	return strings.ToUpper(m[1])
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
