package stats

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/kernel"
)

// ColumnKind says how a column's numbers are written.
type ColumnKind int

const (
	// Count is a whole number.
	Count ColumnKind = iota
	// Yuan is an amount kept in fen, written in 元 with two decimals.
	Yuan
	// Permille is a share in tenths of a percent, written as a percentage
	// (98.5%), empty when there is nothing to share.
	Permille
)

// Column is one figure of a report as the exports write it.
type Column struct {
	// Group is the figures' family: needs, raised (money raised, which has
	// no category), money (given and paid to needs), time, referrals or
	// steps (the case steps' time limits).
	Group  string
	Header string
	Kind   ColumnKind
	Get    func(Figures) int64
}

// Columns are every figure of a report, in the exports' order, with their
// Chinese headers.
var Columns = []Column{
	{"needs", "收到求助", Count, func(f Figures) int64 { return f.Received }},
	{"needs", "核实通过", Count, func(f Figures) int64 { return f.Cleared }},
	{"needs", "核实未通过", Count, func(f Figures) int64 { return f.Rejected }},
	{"needs", "核实转介", Count, func(f Figures) int64 { return f.Referred }},
	{"needs", "发布公示", Count, func(f Figures) int64 { return f.Published }},
	{"needs", "筹满", Count, func(f Figures) int64 { return f.Funded }},
	{"needs", "支付完毕", Count, func(f Figures) int64 { return f.Disbursed }},
	{"needs", "结案", Count, func(f Figures) int64 { return f.Closed }},
	{"raised", "募集善款（元）", Yuan, func(f Figures) int64 { return f.RaisedFen }},
	{"money", "拨付求助（元）", Yuan, func(f Figures) int64 { return f.AllocatedFen }},
	{"money", "支出（元）", Yuan, func(f Figures) int64 { return f.PaidFen }},
	{"time", "核实决定", Count, func(f Figures) int64 { return f.ClearanceDecided }},
	{"time", "按时核实", Count, func(f Figures) int64 { return f.ClearanceOnTime }},
	{"time", "按时核实率", Permille, Figures.ClearanceOnTimePct},
	{"time", "期末超期未核实", Count, func(f Figures) int64 { return f.ClearanceOverdue }},
	{"time", "异议处理", Count, func(f Figures) int64 { return f.ObjectionsResolved }},
	{"time", "按时处理异议", Count, func(f Figures) int64 { return f.ObjectionsOnTime }},
	{"time", "异议按时处理率", Permille, Figures.ObjectionsOnTimePct},
	{"referrals", "转介", Count, func(f Figures) int64 { return f.ReferralsMade }},
	{"referrals", "转介待处理", Count, func(f Figures) int64 { return f.ReferralsOpen }},
	{"referrals", "转介已受理", Count, func(f Figures) int64 { return f.ReferralsAccepted }},
	{"referrals", "转介已办结", Count, func(f Figures) int64 { return f.ReferralsClosed }},
	{"steps", "环节办结", Count, func(f Figures) int64 { return f.StepsEnded }},
	{"steps", "环节按时办结", Count, func(f Figures) int64 { return f.StepsOnTime }},
	{"steps", "环节按时率", Permille, Figures.StepsOnTimePct},
	{"steps", "期末超期环节", Count, func(f Figures) int64 { return f.StepsOverdue }},
}

// Table is one breakdown of a report as the exports write it: a sheet of
// the workbook, a block of the CSV.
type Table struct {
	// Name is the breakdown's Chinese name (the sheet's name, the CSV's
	// 维度 column).
	Name string
	Rows []Row
	// Groups are the families of Columns the breakdown has: money raised
	// has no category, referrals alone have a programme.
	Groups []string
}

// Has reports whether t has column c.
func (t Table) Has(c Column) bool {
	for _, g := range t.Groups {
		if g == c.Group {
			return true
		}
	}
	return false
}

var allGroups = []string{"needs", "raised", "money", "time", "referrals", "steps"}

// Tables are r's total and breakdowns, as the exports write them.
func (r *Report) Tables() []Table {
	total := Row{Key: r.Region, Name: r.RegionName, Figures: r.Total}
	out := []Table{{Name: "合计", Rows: []Row{total}, Groups: allGroups}}
	if len(r.Regions) > 0 {
		out = append(out, Table{Name: "地区", Rows: r.Regions, Groups: allGroups})
	}
	if len(r.Months) > 0 {
		out = append(out, Table{Name: "月份", Rows: r.Months, Groups: allGroups})
	}
	out = append(out,
		Table{Name: "类别", Rows: r.Categories, Groups: []string{"needs", "money", "time", "referrals", "steps"}},
		Table{Name: "机构", Rows: r.Orgs, Groups: allGroups},
		Table{Name: "救助项目", Rows: r.Programmes, Groups: []string{"referrals"}},
		Table{Name: "办理环节", Rows: r.Steps, Groups: []string{"steps"}})
	return out
}

// CSVHeader is the header row of the CSV export.
func CSVHeader() []string {
	h := []string{"统计期间", "维度", "代码", "名称"}
	for _, c := range Columns {
		h = append(h, c.Header)
	}
	return h
}

// Value writes one figure of a row as the exports do.
func (c Column) Value(f Figures) string {
	v := c.Get(f)
	switch c.Kind {
	case Yuan:
		return funds.Yuan(v)
	case Permille:
		return FormatPermille(v)
	}
	return strconv.FormatInt(v, 10)
}

// WriteCSV writes r as CSV in UTF-8 with a BOM (so that Excel reads the
// Chinese), one line per row of each table under CSVHeader; a figure a
// table does not have is left empty. Text a spreadsheet would run as a
// formula is defused (funds.CSVField).
func WriteCSV(w io.Writer, r *Report) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader()); err != nil {
		return err
	}
	for _, t := range r.Tables() {
		for _, row := range t.Rows {
			line := []string{r.Period.String(), t.Name, funds.CSVField(row.Key), funds.CSVField(rowName(row))}
			for _, c := range Columns {
				v := ""
				if t.Has(c) {
					v = c.Value(row.Figures)
				}
				line = append(line, v)
			}
			if err := cw.Write(line); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// rowName is a row's name as the exports write it: the region's own line
// says so.
func rowName(r Row) string {
	if r.Self {
		return r.Name + "（本级及未细分）"
	}
	return r.Name
}

// RowName is a row's name as the exports write it.
func RowName(r Row) string { return rowName(r) }

// NewWorkbook writes a report's tables as an .xlsx workbook on w: one
// sheet per table, a header row in Chinese, numbers as numbers.
type NewWorkbook func(w io.Writer, title string, r *Report) error

// Format is the file format of an export.
type Format string

const (
	// CSV is CSV in UTF-8 with a BOM.
	CSV Format = "csv"
	// XLSX is an Excel workbook.
	XLSX Format = "xlsx"
)

// ParseFormat reads the format of an export ("" is CSV).
func ParseFormat(s string) (Format, error) {
	switch Format(s) {
	case "", CSV:
		return CSV, nil
	case XLSX:
		return XLSX, nil
	}
	return "", kernel.Invalid("format", "must be csv or xlsx")
}

// ContentType is the media type of a file of the format.
func (f Format) ContentType() string {
	if f == XLSX {
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "text/csv; charset=utf-8"
}

// FileName is the download's name: statistics-REGION-PERIOD.csv|xlsx.
func FileName(r *Report, f Format) string {
	return "statistics-" + r.Region + "-" + r.Period.String() + "." + string(f)
}

// Export writes r in format f on w.
func (s *Service) Export(w io.Writer, r *Report, f Format) error {
	switch f {
	case XLSX:
		if s.XLSX == nil {
			return fmt.Errorf("stats: export: %w", kernel.ErrNotFound)
		}
		return s.XLSX(w, r.RegionName+" "+r.Period.String(), r)
	default:
		return WriteCSV(w, r)
	}
}
