package record

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jiujinan/jiujinan/kernel"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"

	"github.com/jiujinan/jiujinan/marketplace"
)

// The columns of a payment file, by their canonical (English) names. The
// header may name them in Chinese or English; see headerAliases and
// docs/payment-import.md.
const (
	ColIDNumber   = "id_number"
	ColName       = "name"
	ColProgramme  = "programme"
	ColAmount     = "amount"
	ColDate       = "payment_date"
	ColPeriod     = "period"
	ColPeriodFrom = "period_from"
	ColPeriodTo   = "period_to"
	ColRegion     = "region_code"
)

// headerAliases maps a normalized header cell (trimmed, lower case, without
// a parenthesised unit such as "（元）") to its column.
var headerAliases = map[string]string{
	"身份证号": ColIDNumber, "身份证号码": ColIDNumber, "证件号码": ColIDNumber, "公民身份号码": ColIDNumber, "身份证": ColIDNumber,
	"id_number": ColIDNumber, "id_no": ColIDNumber, "idnumber": ColIDNumber, "id number": ColIDNumber,
	"姓名": ColName, "name": ColName,
	"救助类别": ColProgramme, "救助项目": ColProgramme, "救助类型": ColProgramme, "programme": ColProgramme, "program": ColProgramme,
	"金额": ColAmount, "发放金额": ColAmount, "救助金额": ColAmount, "amount": ColAmount, "amount_yuan": ColAmount,
	"发放日期": ColDate, "payment_date": ColDate, "date": ColDate,
	"救助期间": ColPeriod, "period": ColPeriod,
	"开始日期": ColPeriodFrom, "起始日期": ColPeriodFrom, "period_from": ColPeriodFrom,
	"结束日期": ColPeriodTo, "截止日期": ColPeriodTo, "period_to": ColPeriodTo,
	"行政区划代码": ColRegion, "区划代码": ColRegion, "行政区划": ColRegion, "region_code": ColRegion, "region": ColRegion,
}

// programmeAliases maps the programme names in use in the exports, after
// NormalizeProgrammeName and without the prefixes and suffixes that
// programmeKey drops, to the programme. docs/payment-import.md lists them.
var programmeAliases = map[string]kernel.Programme{
	"低保": kernel.ProgDibao, "最低生活保障": kernel.ProgDibao, "低保对象": kernel.ProgDibao,
	"特困": kernel.ProgTekun, "特困供养": kernel.ProgTekun, "特困人员救助供养": kernel.ProgTekun, "特困人员供养": kernel.ProgTekun,
	"特困人员": kernel.ProgTekun, "五保": kernel.ProgTekun, "五保供养": kernel.ProgTekun,
	"临时救助": kernel.ProgTemporary,
	"医疗救助": kernel.ProgMedical, "居民医疗救助": kernel.ProgMedical,
	"教育救助": kernel.ProgEducation,
	"住房救助": kernel.ProgHousing, "危房改造": kernel.ProgHousing, "危房改造补助": kernel.ProgHousing,
	"就业救助":   kernel.ProgEmployment,
	"受灾人员救助": kernel.ProgDisaster, "受灾救助": kernel.ProgDisaster, "自然灾害救助": kernel.ProgDisaster,
	"自然灾害生活救助": kernel.ProgDisaster, "受灾人员生活救助": kernel.ProgDisaster,
	"孤儿基本生活费": kernel.ProgOrphan, "孤儿基本生活保障": kernel.ProgOrphan, "孤儿生活费": kernel.ProgOrphan,
	"事实无人抚养儿童基本生活补贴": kernel.ProgUnsupportedChild, "事实无人抚养儿童生活补贴": kernel.ProgUnsupportedChild,
	"事实无人抚养儿童基本生活费": kernel.ProgUnsupportedChild, "事实无人抚养儿童": kernel.ProgUnsupportedChild,
	"困难残疾人生活补贴": kernel.ProgDisabilityLiving, "残疾人生活补贴": kernel.ProgDisabilityLiving,
	"重度残疾人护理补贴": kernel.ProgDisabilityCare, "残疾人护理补贴": kernel.ProgDisabilityCare,
	"价格临时补贴": kernel.ProgPriceSubsidy,
	"高龄津贴":   kernel.ProgElderlyAllowance, "高龄补贴": kernel.ProgElderlyAllowance, "高龄老人津贴": kernel.ProgElderlyAllowance,
	"经济困难老年人补贴": kernel.ProgElderlyPoorSubsidy, "经济困难的高龄失能等老年人补贴": kernel.ProgElderlyPoorSubsidy,
}

// programmePrefixes and programmeSuffixes are what counties put around a
// programme's name (城市低保金, 城乡居民医疗救助资金); longest first.
var (
	programmePrefixes = []string{"城乡居民", "城乡", "城市", "农村", "城镇"}
	programmeSuffixes = []string{"救助金", "保障金", "资金", "金"}
)

// programmeKey is a normalized name without its prefix and money suffix.
func programmeKey(name string) string {
	k := strings.ReplaceAll(name, " ", "")
	for _, p := range programmePrefixes {
		if rest, ok := strings.CutPrefix(k, p); ok && rest != "" {
			k = rest
			break
		}
	}
	for _, sfx := range programmeSuffixes {
		if rest, ok := strings.CutSuffix(k, sfx); ok && rest != "" {
			if _, known := programmeAliases[rest]; known || sfx == "资金" || sfx == "金" {
				k = rest
				break
			}
			// 救助金 → 救助: 临时救助金 is 临时救助.
			if _, known := programmeAliases[rest+"救助"]; known {
				k = rest + "救助"
				break
			}
		}
	}
	return k
}

// maxProgrammeName bounds a programme name recorded under its own name.
const maxProgrammeName = 40

// ParseProgramme reads a programme cell: a programme code, or a name in
// use in the exports (programmeAliases, with or without a prefix such as
// 城乡 or a suffix such as 金), or else a name of a programme without a code,
// which the record keeps under its own name: then name is the normalized
// name and p its NamedProgramme. reason says why the cell is not a
// programme at all (empty, too long, holding a long number that could be
// an ID number); it never quotes the cell.
func ParseProgramme(cell string) (p kernel.Programme, name string, reason string) {
	name = kernel.NormalizeProgrammeName(cell)
	if name == "" {
		return "", "", "empty"
	}
	if code := kernel.Programme(strings.ToLower(name)); code.Valid() {
		return code, "", ""
	}
	if prog, ok := programmeAliases[programmeKey(name)]; ok {
		return prog, "", ""
	}
	if utf8.RuneCountInString(name) > maxProgrammeName {
		return "", "", fmt.Sprintf("longer than %d characters", maxProgrammeName)
	}
	digits := 0
	for _, r := range name {
		switch {
		case r >= '0' && r <= '9':
			digits++
			if digits >= 6 { // kept in plain text: never a number that may identify someone
				return "", "", "holds a long number, not a programme name"
			}
		case r < ' ' || r == 0x7f:
			return "", "", "holds a control character"
		default:
			digits = 0
		}
	}
	return kernel.NamedProgramme(name), name, ""
}

// MaxPaymentFen is the largest single payment an import accepts: one
// million yuan. Anything above is a data error.
const MaxPaymentFen = 100_000_000

// maxLineBytes bounds one line of a payment file, so that a file without
// line breaks cannot make the reader hold it whole. A longer line is a
// rejected row (the header: a refused file).
const maxLineBytes = 64 << 10

// FileError is why a whole payment file is refused (no valid header, not
// text, a line too long). It never quotes the file's content.
type FileError struct {
	Reason string
	// Key, if set, names the refusal's message in web's zh/en catalogue.
	Key string
}

func (e *FileError) Error() string { return "payment file refused: " + e.Reason }

// PaymentFileOptions are what reading a payment file needs.
type PaymentFileOptions struct {
	Pseudonymizer *marketplace.Pseudonymizer
	Divisions     *kernel.Divisions
	// Now bounds birth dates and payment dates.
	Now time.Time
	// SkipThrough skips, without validating them, the records that start on
	// or before this line (a resumed import).
	SkipThrough int64
}

// PaymentFile reads a payment export row by row in constant memory.
type PaymentFile struct {
	opt      PaymentFileOptions
	cr       *csv.Reader
	col      map[string]int
	ix       [numCols]int // col's index of each column read per row, -1 if absent
	nHeader  int
	Encoding string // "utf-8" or "gb18030"
	Comma    rune
	lastLine int64
	counter  *countingReader
	maxDate  time.Time
	// sheet, if set, is the workbook sheet read instead of cr; size is
	// the workbook's size, counted read at its end.
	sheet         SheetRows
	size          int64
	closeWorkbook func() error
}

// OpenPaymentFile reads the header of a payment file: its encoding (UTF-8
// with or without BOM, else GB18030, a superset of GBK), its separator
// (comma or tab) and its columns. A file without a valid header is refused
// with a *FileError.
func OpenPaymentFile(r io.Reader, opt PaymentFileOptions) (*PaymentFile, error) {
	if opt.Pseudonymizer == nil || opt.Divisions == nil {
		return nil, errors.New("matching: payment file: pseudonymizer and divisions are required")
	}
	counter := &countingReader{r: r}
	br := bufio.NewReaderSize(counter, 64<<10)
	peek, err := br.Peek(64 << 10)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("matching: payment file: %w", err)
	}
	f := &PaymentFile{opt: opt, counter: counter, Encoding: "utf-8"}
	var text io.Reader = br
	switch {
	case bytes.HasPrefix(peek, []byte{0xEF, 0xBB, 0xBF}):
		_, _ = br.Discard(3)
	case validUTF8Prefix(peek):
	default:
		f.Encoding = "gb18030"
		text = transform.NewReader(br, simplifiedchinese.GB18030.NewDecoder())
	}
	lr := newLineLimitReader(text, maxLineBytes)
	// The separator is sniffed from the header line.
	tb := bufio.NewReaderSize(lr, 64<<10)
	head, _ := tb.Peek(maxLineBytes)
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	switch string(head) {
	case tooLongLine:
		return nil, &FileError{Reason: "the first line (the header) " + errLineTooLong}
	case openQuoteLine:
		return nil, &FileError{Reason: `the first line (the header) has a " that does not close`}
	}
	if len(bytes.TrimSpace(head)) == 0 {
		return nil, &FileError{Reason: "the file is empty or its first line is blank; the first line must be the header"}
	}
	f.Comma = ','
	if bytes.Count(head, []byte{'\t'}) > bytes.Count(head, []byte{','}) {
		f.Comma = '\t'
	}
	f.cr = csv.NewReader(tb)
	f.cr.Comma = f.Comma
	f.cr.FieldsPerRecord = -1
	f.cr.ReuseRecord = true
	header, err := f.cr.Read()
	if err != nil {
		var pe *csv.ParseError
		if !errors.As(err, &pe) && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("matching: payment file: %w", err)
		}
		return nil, &FileError{Reason: "the first line is not a readable header"}
	}
	if err := f.mapHeader(header); err != nil {
		return nil, err
	}
	f.lastLine = 1
	f.maxDate = opt.Now.AddDate(1, 0, 0)
	return f, nil
}

// BytesRead is how many bytes of the file have been read so far.
func (f *PaymentFile) BytesRead() int64 { return f.counter.n }

func validUTF8Prefix(b []byte) bool {
	// A rune may be cut at the end of the peeked window.
	for i := 0; i < utf8.UTFMax && len(b) > 0; i++ {
		if utf8.Valid(b) {
			return true
		}
		b = b[:len(b)-1]
	}
	return len(b) == 0
}

func normalizeHeader(s string) string {
	s = strings.TrimPrefix(s, "\uFEFF")
	for _, open := range []string{"(", "（"} {
		if i := strings.Index(s, open); i > 0 {
			s = s[:i]
		}
	}
	return strings.ToLower(strings.TrimSpace(s))
}

// errNoHeader is why a line that names no expected column is refused as the
// header.
const errNoHeader = "the first line is not a header: it names none of the expected columns (身份证号, 救助类别, 金额, 发放日期 or 救助期间, 行政区划代码; see docs/payment-import.md)"

func (f *PaymentFile) mapHeader(header []string) error {
	f.col = map[string]int{}
	f.nHeader = len(header)
	for i, h := range header {
		c, ok := headerAliases[normalizeHeader(h)]
		if !ok {
			continue
		}
		if _, dup := f.col[c]; dup {
			return &FileError{Reason: fmt.Sprintf("the header names column %s twice", c)}
		}
		f.col[c] = i
	}
	var missing []string
	for _, c := range []string{ColIDNumber, ColProgramme, ColAmount, ColRegion} {
		if _, ok := f.col[c]; !ok {
			missing = append(missing, c)
		}
	}
	_, hasDate := f.col[ColDate]
	_, hasPeriod := f.col[ColPeriod]
	_, hasFrom := f.col[ColPeriodFrom]
	_, hasTo := f.col[ColPeriodTo]
	if !hasDate && !hasPeriod && !(hasFrom && hasTo) {
		missing = append(missing, "payment_date or period or period_from+period_to")
	}
	if len(missing) == len(f.col)+1 || len(f.col) == 0 {
		return &FileError{Reason: errNoHeader}
	}
	if len(missing) > 0 {
		return &FileError{Reason: "the header lacks columns: " + strings.Join(missing, ", ")}
	}
	for c := range f.ix {
		f.ix[c] = -1
	}
	for name, i := range f.col {
		if c := colNumber(name); c >= 0 {
			f.ix[c] = i
		}
	}
	return nil
}

// The columns read per row, numbered for PaymentFile.ix (a map lookup per
// field and row was about 7 % of the reading CPU).
const (
	cIDNumber = iota
	cProgramme
	cAmount
	cDate
	cPeriod
	cPeriodFrom
	cPeriodTo
	cRegion
	numCols
)

func colNumber(c string) int {
	switch c {
	case ColIDNumber:
		return cIDNumber
	case ColProgramme:
		return cProgramme
	case ColAmount:
		return cAmount
	case ColDate:
		return cDate
	case ColPeriod:
		return cPeriod
	case ColPeriodFrom:
		return cPeriodFrom
	case ColPeriodTo:
		return cPeriodTo
	case ColRegion:
		return cRegion
	}
	return -1
}

// NextRecord returns the fields of the next non-blank record after
// SkipThrough and the line it starts on, unvalidated (ParseRecord validates
// them), or a record that is not even CSV (rowErr set), or err io.EOF at the
// end, or another err that ends the file. The fields stay valid after the
// next call.
func (f *PaymentFile) NextRecord() (rec []string, line int64, rowErr *RowError, err error) {
	if f.sheet != nil {
		return f.nextSheetRecord()
	}
	for {
		rec, err := f.cr.Read()
		line := f.lastLine + 1
		if err == nil {
			// Only a record read whole has field positions: after an
			// error FieldPos panics (the reused record is not nil).
			line = int64(lineOf(f.cr))
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, 0, nil, io.EOF
			}
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				if pe.StartLine > 0 {
					line = int64(pe.StartLine)
				}
				f.lastLine = max(f.lastLine, int64(pe.Line))
				if line <= f.opt.SkipThrough {
					continue
				}
				return nil, line, &RowError{Line: line, Error: "malformed CSV: " + csvReason(pe.Err)}, nil
			}
			return nil, 0, nil, fmt.Errorf("matching: payment file after line %d: %w", f.lastLine, err)
		}
		f.lastLine = line
		if blank(rec) {
			continue
		}
		if line <= f.opt.SkipThrough {
			continue
		}
		if len(rec) == 1 {
			switch rec[0] {
			case tooLongLine:
				return nil, line, &RowError{Line: line, Error: errLineTooLong}, nil
			case openQuoteLine:
				return nil, line, &RowError{Line: line, Error: "malformed CSV: " + csvReason(csv.ErrQuote)}, nil
			}
		}
		return rec, line, nil, nil
	}
}

// LastLine is the line of the last record read.
func (f *PaymentFile) LastLine() int64 { return f.lastLine }

func lineOf(cr *csv.Reader) int {
	l, _ := cr.FieldPos(0)
	return l
}

func csvReason(err error) string {
	switch {
	case errors.Is(err, csv.ErrQuote):
		return "a quoted field is not closed (truncated line?)"
	case errors.Is(err, csv.ErrBareQuote):
		return `a " inside an unquoted field`
	}
	return "unreadable"
}

// totalsRow reports whether rec is a sum that spreadsheets put below the
// payments: its first non-blank cell begins with 合计, 总计, 小计 or total.
func totalsRow(rec []string) bool {
	for _, s := range rec {
		s = strings.ToLower(strings.Join(strings.Fields(s), ""))
		if s == "" {
			continue
		}
		for _, p := range []string{"合计", "总计", "小计", "total"} {
			if strings.HasPrefix(s, p) {
				return true
			}
		}
		return false
	}
	return false
}

func blank(rec []string) bool {
	for _, s := range rec {
		if strings.TrimSpace(s) != "" {
			return false
		}
	}
	return true
}

func (f *PaymentFile) field(rec []string, c string) (string, bool) {
	var i int
	var ok bool
	if n := colNumber(c); n >= 0 {
		i = f.ix[n]
		ok = i >= 0
	} else {
		i, ok = f.col[c]
	}
	if !ok || i >= len(rec) {
		return "", ok
	}
	return strings.TrimSpace(rec[i]), true
}

// parse validates one record. The reasons name the column and what is
// wrong, never the value.
//
// It returns the row without its pseudonym and line, and the normalized ID
// number the pseudonym is made of; it may run in several goroutines at once.
func (f *PaymentFile) parse(rec []string) (row PaymentRow, idNumber string, reason string) {
	if totalsRow(rec) {
		return row, "", "totals: a totals row (合计, 总计 or 小计), not a payment"
	}
	if len(rec) < f.nHeader {
		return row, "", fmt.Sprintf("has %d fields, the header has %d (truncated line?)", len(rec), f.nHeader)
	}
	for _, extra := range rec[f.nHeader:] {
		if strings.TrimSpace(extra) != "" {
			return row, "", fmt.Sprintf("has %d fields, the header has %d", len(rec), f.nHeader)
		}
	}
	idf, _ := f.field(rec, ColIDNumber)
	id, err := kernel.ParseIDNumber(idf, f.opt.Now)
	if err != nil {
		return row, "", "id_number: " + err.Error()
	}
	pf, _ := f.field(rec, ColProgramme)
	prog, progName, reason := ParseProgramme(pf)
	if reason != "" {
		return row, "", "programme: " + reason
	}
	af, _ := f.field(rec, ColAmount)
	amount, reason := ParseYuan(af)
	if reason != "" {
		return row, "", "amount: " + reason
	}
	from, to, reason := f.period(rec)
	if reason != "" {
		return row, "", reason
	}
	rf, _ := f.field(rec, ColRegion)
	region, reason := f.region(rf)
	if reason != "" {
		return row, "", "region_code: " + reason
	}
	row.Programme, row.ProgrammeName, row.AmountFen, row.From, row.To, row.RegionCode = prog, progName, amount, from, to, region
	return row, id.Number, ""
}

func (f *PaymentFile) period(rec []string) (from, to time.Time, reason string) {
	if s, ok := f.field(rec, ColPeriod); ok && s != "" {
		a, b, found := cutAny(s, "至", "~", "～", "—", "到", "--")
		if !found {
			from, to, err := parseDateOrMonth(s)
			if err != "" {
				return from, to, "period: " + err
			}
			return f.checkPeriod(from, to, "period")
		}
		from, _, err := parseDateOrMonth(strings.TrimSpace(a))
		if err != "" {
			return from, to, "period: start " + err
		}
		_, to, err = parseDateOrMonth(strings.TrimSpace(b))
		if err != "" {
			return from, to, "period: end " + err
		}
		return f.checkPeriod(from, to, "period")
	}
	fs, okf := f.field(rec, ColPeriodFrom)
	ts, okt := f.field(rec, ColPeriodTo)
	if okf && okt && (fs != "" || ts != "") {
		from, _, err := parseDateOrMonth(fs)
		if err != "" {
			return from, to, "period_from: " + err
		}
		_, to, err = parseDateOrMonth(ts)
		if err != "" {
			return from, to, "period_to: " + err
		}
		return f.checkPeriod(from, to, "period")
	}
	ds, ok := f.field(rec, ColDate)
	if !ok || ds == "" {
		return from, to, "payment_date: empty (no date or period)"
	}
	from, to, err := parseDateOrMonth(ds)
	if err != "" {
		return from, to, "payment_date: " + err
	}
	return f.checkPeriod(from, to, "payment_date")
}

func (f *PaymentFile) checkPeriod(from, to time.Time, col string) (time.Time, time.Time, string) {
	switch {
	case to.Before(from):
		return from, to, col + ": ends before it starts"
	case from.Year() < 1990:
		return from, to, col + ": before 1990"
	case to.After(f.maxDate):
		return from, to, col + ": more than a year in the future"
	}
	return from, to, ""
}

func cutAny(s string, seps ...string) (string, string, bool) {
	for _, sep := range seps {
		if a, b, ok := strings.Cut(s, sep); ok {
			return a, b, true
		}
	}
	return s, "", false
}

// parseDateOrMonth reads a date (2026-01-15, 2026/1/15, 2026.01.15,
// 20260115, 2026年1月15日, with an optional time after a space) or a month
// (2026-01, 2026年1月, 202601), which stands for its first to last day.
func parseDateOrMonth(s string) (from, to time.Time, reason string) {
	if i := strings.IndexAny(s, " T"); i > 0 {
		s = s[:i]
	}
	if s == "" {
		return from, to, "empty"
	}
	var parts [3]int
	n := 0
	if strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) < 0 {
		switch len(s) {
		case 8:
			parts[0], _ = strconv.Atoi(s[:4])
			parts[1], _ = strconv.Atoi(s[4:6])
			parts[2], _ = strconv.Atoi(s[6:])
			n = 3
		case 6:
			parts[0], _ = strconv.Atoi(s[:4])
			parts[1], _ = strconv.Atoi(s[4:])
			n = 2
		default:
			return from, to, "not a date"
		}
	} else {
		cur, digits := 0, 0
		end := func() bool { // a number ends: false if it is a fourth
			if digits > 0 {
				if n == 3 {
					return false
				}
				parts[n] = cur
				n++
				cur, digits = 0, 0
			}
			return true
		}
		for _, r := range s {
			if r >= '0' && r <= '9' {
				cur = cur*10 + int(r-'0')
				digits++
				if digits > 4 {
					return from, to, "not a date"
				}
				continue
			}
			if !end() {
				return from, to, "not a date"
			}
			switch r {
			case '-', '/', '.', '年', '月', '日', '|':
			default:
				return from, to, "not a date"
			}
		}
		if !end() {
			return from, to, "not a date"
		}
	}
	if n < 2 || parts[0] < 1000 || parts[1] < 1 || parts[1] > 12 {
		return from, to, "not a date"
	}
	if n == 2 {
		from = time.Date(parts[0], time.Month(parts[1]), 1, 0, 0, 0, 0, time.UTC)
		return from, from.AddDate(0, 1, -1), ""
	}
	from = time.Date(parts[0], time.Month(parts[1]), parts[2], 0, 0, 0, 0, time.UTC)
	if from.Day() != parts[2] {
		return from, to, "not a real date"
	}
	return from, from, ""
}

// ParseYuan reads an amount in yuan as people and spreadsheets write it
// ("1234.5", "1,234.50", "1234.5元", "¥1234") and returns fen, or why it
// cannot: empty, negative, more than two decimals, above MaxPaymentFen, zero.
func ParseYuan(s string) (int64, string) {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(s, "元")
	s = strings.TrimPrefix(strings.TrimPrefix(s, "¥"), "￥")
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, "empty"
	}
	if s[0] == '-' || strings.HasPrefix(s, "−") {
		return 0, "negative"
	}
	s = strings.TrimPrefix(s, "+")
	intPart, frac, hasDot := strings.Cut(s, ".")
	if strings.Contains(intPart, ",") {
		groups := strings.Split(intPart, ",")
		for i, g := range groups {
			if (i == 0 && (len(g) < 1 || len(g) > 3)) || (i > 0 && len(g) != 3) {
				return 0, "not a number"
			}
		}
		intPart = strings.Join(groups, "")
	}
	if intPart == "" || !allDigits(intPart) || (hasDot && (frac == "" || !allDigits(frac))) {
		return 0, "not a number"
	}
	if len(frac) > 2 {
		return 0, "more than two decimals"
	}
	if len(intPart) > 12 {
		return 0, "too large"
	}
	yuan, _ := strconv.ParseInt(intPart, 10, 64)
	fen := yuan * 100
	if frac != "" {
		f, _ := strconv.ParseInt(frac, 10, 64)
		if len(frac) == 1 {
			f *= 10
		}
		fen += f
	}
	switch {
	case fen > MaxPaymentFen:
		return 0, "too large (more than 1,000,000 yuan)"
	case fen == 0:
		return 0, "zero"
	}
	return fen, ""
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// region validates an issuing region code: a known 6-digit division, an old
// 6-digit code whose province still exists (old codes stay on old records),
// or a town code (9 digits, or 12 with trailing zeros) within such a county.
func (f *PaymentFile) region(s string) (string, string) {
	if s == "" {
		return "", "empty"
	}
	if !allDigits(s) {
		return "", "not digits"
	}
	if len(s) == 12 {
		switch {
		case strings.HasSuffix(s, "000000"):
			s = s[:6]
		case strings.HasSuffix(s, "000"):
			s = s[:9]
		default:
			return "", "a 12-digit code finer than a town"
		}
	}
	switch len(s) {
	case 6:
	case 9:
		if f.opt.Divisions.Known(s) {
			return s, ""
		}
		if _, r := f.region(s[:6]); r != "" {
			return "", r
		}
		return s, ""
	default:
		return "", "must have 6 digits (or 9 or 12)"
	}
	if f.opt.Divisions.Known(s) || f.opt.Divisions.Known(s[:2]+"0000") {
		return s, ""
	}
	return "", "no such province"
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// errLineTooLong is why a line longer than maxLineBytes is rejected (a
// header too: the file).
var errLineTooLong = fmt.Sprintf("is longer than %d KiB (not a payment row; a line break missing?)", maxLineBytes>>10)

// tooLongLine and openQuoteLine are what lineLimitReader passes on instead
// of a line that is too long or whose quotes do not close: a record of one
// field that no export holds (NUL bytes), which NextRecord reports as a
// rejected row, keeping the line numbers.
const (
	tooLongLine   = "\x00jiujinan: line too long\x00"
	openQuoteLine = "\x00jiujinan: quote not closed\x00"
)

// lineLimitReader passes on the lines of r; a line longer than limit bytes
// is replaced by tooLongLine, so that the CSV reader never holds more than
// one bounded line and the rest of the file is still read. A line with an
// odd number of quotes is replaced by openQuoteLine: a quoted field ends on
// its line (no payment field holds a line break), so that a stray quote
// costs its row only instead of swallowing the rest of the file into one
// field.
type lineLimitReader struct {
	br      *bufio.Reader
	pending []byte // of the line being passed on
	err     error
}

func newLineLimitReader(r io.Reader, limit int) *lineLimitReader {
	return &lineLimitReader{br: bufio.NewReaderSize(r, limit)}
}

func (l *lineLimitReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(l.pending) == 0 {
			if l.err != nil || n > 0 && l.br.Buffered() == 0 {
				break // what is read so far before blocking on r
			}
			l.next()
			if len(l.pending) == 0 {
				break
			}
		}
		c := copy(p[n:], l.pending)
		l.pending = l.pending[c:]
		n += c
	}
	if n == 0 && l.err != nil {
		return 0, l.err
	}
	return n, nil
}

// next reads the next line into pending (it stays valid until the next
// call), or sets err.
func (l *lineLimitReader) next() {
	line, err := l.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		for errors.Is(err, bufio.ErrBufferFull) {
			_, err = l.br.ReadSlice('\n')
		}
		line = []byte(tooLongLine + "\n")
	} else if bytes.Count(line, []byte{'"'})%2 != 0 {
		line = []byte(openQuoteLine + "\n")
	}
	l.pending = line
	if err != nil {
		l.err = err
	}
}
