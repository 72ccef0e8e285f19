package funds

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
)

// AidRow is one disbursement of a need's money as civil affairs receive it
// (issue 15: charity aid shared back with the statutory side).
type AidRow struct {
	ID           int64
	NeedPublicID string
	Category     kernel.Category
	RegionCode   string
	AmountFen    int64
	PayeeType    PayeeType
	ProviderKind ProviderKind
	At           time.Time
}

// AidStore reads the disbursements civil affairs receive.
type AidStore interface {
	// CountCharityAid counts the disbursements of needs whose region code
	// starts with regionPrefix made in [from, to), and returns the largest
	// row id among them (0 when none).
	CountCharityAid(ctx context.Context, regionPrefix string, from, to time.Time) (n int, maxID int64, err error)
	// EachCharityAid calls fn for those disbursements with row id at most
	// maxID, in the order they were made, reading them as it goes.
	EachCharityAid(ctx context.Context, regionPrefix string, from, to time.Time, maxID int64, fn func(AidRow) error) error
}

// AuditWriter appends one entry to the audit log.
type AuditWriter interface {
	AppendAudit(ctx context.Context, e marketplace.AuditEntry) error
}

// AidFormat is the file format of the export.
type AidFormat string

const (
	// AidCSV is CSV in UTF-8 with a BOM, streamed row by row.
	AidCSV AidFormat = "csv"
	// AidXLSX is an Excel workbook (CharityAidExport.XLSX writes it).
	AidXLSX AidFormat = "xlsx"
)

// ContentType is the media type of a file of the format.
func (f AidFormat) ContentType() string {
	if f == AidXLSX {
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "text/csv; charset=utf-8"
}

// AidFilter is a region (a code or a prefix of one), a period of China
// dates, both ends included, and the format of the file.
type AidFilter struct {
	Region   string
	From, To time.Time // dates; only their year, month and day count
	Format   AidFormat // empty is AidCSV
}

// FileName is the download's name: charity-aid-REGION-FROM-TO.csv|xlsx.
func (f AidFilter) FileName() string {
	return "charity-aid-" + f.Region + "-" + f.From.Format(time.DateOnly) + "-" + f.To.Format(time.DateOnly) + "." + string(f.format())
}

func (f AidFilter) format() AidFormat {
	if f.Format == "" {
		return AidCSV
	}
	return f.Format
}

// AidLine is one row of the export as a file holds it: the identity opened,
// the labels in Chinese, the amount in fen and the China date.
type AidLine struct {
	NeedPublicID, Name, IDNumber, Category, RegionCode, RegionName string
	AmountFen                                                      int64
	// Date is the day of the disbursement in China, at midnight UTC, so
	// that a writer needs no time zone to show it.
	Date  time.Time
	Payee string
}

// AidSheet writes the lines of one export file. Close completes the file;
// Abort, after a failure, releases what the sheet holds without completing
// it.
type AidSheet interface {
	Line(AidLine) error
	Close() error
	Abort()
}

// NewAidSheet starts a file on w with the header row CharityAidHeader.
type NewAidSheet func(w io.Writer) (AidSheet, error)

// CharityAidExport writes what charity money reached which household, for
// the civil affairs verifiers whose office covers the region. Identities
// are opened through the needs service (NeedService.Identity), under the
// same rule as a need's private view.
type CharityAidExport struct {
	Store     AidStore
	Needs     *marketplace.NeedService
	Audit     AuditWriter
	Divisions *kernel.Divisions
	Now       func() time.Time
	// XLSX writes the .xlsx format (funds/aidxlsx: the domain imports no
	// spreadsheet library); nil refuses format xlsx.
	XLSX NewAidSheet
}

// CharityAidHeader is the header row of the export.
var CharityAidHeader = []string{"需求编号", "姓名", "身份证号", "救助类别", "行政区划代码", "行政区划名称", "金额（元）", "发放日期", "收款方"}

// ParseAidFilter validates a region, a period given as YYYY-MM-DD and a
// format (csv, xlsx; empty is csv). ValidationError.
func ParseAidFilter(region, from, to, format string) (AidFilter, error) {
	v := &kernel.ValidationError{}
	f := AidFilter{Region: region, Format: AidFormat(format)}
	if region == "" || len(region) > 12 || strings.Trim(region, "0123456789") != "" {
		v.Add("region", "must be the digits of a region code (at most 12)")
	}
	var err error
	if f.From, err = time.ParseInLocation(time.DateOnly, from, kernel.ChinaTime); err != nil {
		v.Add("from", "must be a date YYYY-MM-DD")
	}
	if f.To, err = time.ParseInLocation(time.DateOnly, to, kernel.ChinaTime); err != nil {
		v.Add("to", "must be a date YYYY-MM-DD")
	}
	if len(v.Fields) == 0 && f.To.Before(f.From) {
		v.Add("to", "must not be before from")
	}
	switch f.Format {
	case "":
		f.Format = AidCSV
	case AidCSV, AidXLSX:
	default:
		v.Add("format", "must be csv or xlsx")
	}
	return f, v.Err()
}

// Export writes the disbursements of needs in the region made in the
// period in the filter's format, one row per disbursement: CSV (UTF-8
// with a BOM, so that Excel reads it; a header in Chinese), streaming, or
// an .xlsx workbook. Before the first byte it checks that by is a verifier
// covering the region (ErrForbidden) and appends the audit entry (who,
// region, period, rows). It returns the number of rows. ValidationError
// for xlsx when the export has no XLSX writer.
func (e *CharityAidExport) Export(ctx context.Context, by *kernel.Principal, f AidFilter, w io.Writer) (int, error) {
	if by == nil || !marketplace.CoveringVerifier(e.Divisions, by, f.Region) {
		return 0, kernel.ErrForbidden
	}
	return e.export(ctx, by.User.PublicID, func(ctx context.Context, need string) (*marketplace.Identity, error) {
		return e.Needs.Identity(ctx, by, need)
	}, f, w)
}

// ExportAsSystem writes the same file as Export for the command line
// (jiujinan export-charity-aid), which runs as the system: no user, the
// operator's access to the host and its keys is the authority. actor names
// it in the audit log ("cli"). Never call it on behalf of a request.
func (e *CharityAidExport) ExportAsSystem(ctx context.Context, actor string, f AidFilter, w io.Writer) (int, error) {
	if actor == "" {
		return 0, kernel.ErrForbidden
	}
	return e.export(ctx, actor, e.Needs.SystemIdentity, f, w)
}

func (e *CharityAidExport) export(ctx context.Context, actor string, identity func(context.Context, string) (*marketplace.Identity, error),
	f AidFilter, w io.Writer) (int, error) {
	newSheet := newCSVSheet
	if f.format() == AidXLSX {
		if e.XLSX == nil {
			v := &kernel.ValidationError{}
			v.Add("format", "xlsx is not available on this server")
			return 0, v
		}
		newSheet = e.XLSX
	}
	from := time.Date(f.From.Year(), f.From.Month(), f.From.Day(), 0, 0, 0, 0, kernel.ChinaTime).UTC()
	to := time.Date(f.To.Year(), f.To.Month(), f.To.Day()+1, 0, 0, 0, 0, kernel.ChinaTime).UTC()
	n, maxID, err := e.Store.CountCharityAid(ctx, f.Region, from, to)
	if err != nil {
		return 0, fmt.Errorf("funds: charity aid: %w", err)
	}
	detail, _ := json.Marshal(map[string]any{"region": f.Region, "from": f.From.Format(time.DateOnly),
		"to": f.To.Format(time.DateOnly), "rows": n, "format": f.format()})
	if err := e.Audit.AppendAudit(ctx, marketplace.AuditEntry{Stream: "charity-aid", At: e.Now().UTC(), Actor: actor,
		Action: "charity_aid.export", ObjectType: "region", ObjectID: f.Region, Detail: string(detail)}); err != nil {
		return 0, fmt.Errorf("funds: charity aid: audit: %w", err)
	}
	sheet, err := newSheet(w)
	if err != nil {
		return 0, fmt.Errorf("funds: charity aid: %w", err)
	}
	ids := map[string]*marketplace.Identity{}
	rows := 0
	err = e.Store.EachCharityAid(ctx, f.Region, from, to, maxID, func(r AidRow) error {
		id := ids[r.NeedPublicID]
		if id == nil {
			var err error
			if id, err = identity(ctx, r.NeedPublicID); err != nil {
				return fmt.Errorf("need %s: %w", r.NeedPublicID, err)
			}
			ids[r.NeedPublicID] = id
		}
		region := ""
		if e.Divisions != nil {
			region = e.Divisions.FullName(r.RegionCode)
		}
		at := r.At.In(kernel.ChinaTime)
		if err := sheet.Line(AidLine{NeedPublicID: r.NeedPublicID, Name: id.Name, IDNumber: id.IDNumber,
			Category: kernel.CategoryLabels[r.Category].Zh, RegionCode: r.RegionCode, RegionName: region, AmountFen: r.AmountFen,
			Date: time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, time.UTC), Payee: PayeeLabel(r.PayeeType, r.ProviderKind)}); err != nil {
			return err
		}
		rows++
		return nil
	})
	if err != nil {
		sheet.Abort()
		return rows, fmt.Errorf("funds: charity aid: %w", err)
	}
	if err := sheet.Close(); err != nil {
		return rows, fmt.Errorf("funds: charity aid: %w", err)
	}
	return rows, nil
}

// csvSheet writes the CSV format: a BOM, the header, a row at a time.
type csvSheet struct{ cw *csv.Writer }

func newCSVSheet(w io.Writer) (AidSheet, error) {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return nil, err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(CharityAidHeader); err != nil {
		return nil, err
	}
	return &csvSheet{cw: cw}, nil
}

func (s *csvSheet) Line(l AidLine) error {
	row := []string{l.NeedPublicID, l.Name, l.IDNumber, l.Category, l.RegionCode, l.RegionName,
		Yuan(l.AmountFen), l.Date.Format(time.DateOnly), l.Payee}
	for i := range row {
		row[i] = CSVField(row[i])
	}
	if err := s.cw.Write(row); err != nil {
		return err
	}
	// Row by row: a county's year is sent as it is read.
	s.cw.Flush()
	return s.cw.Error()
}

func (s *csvSheet) Close() error {
	s.cw.Flush()
	return s.cw.Error()
}

func (s *csvSheet) Abort() {}

// Yuan formats fen as yuan with two decimals ("1234.50").
func Yuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return sign + strconv.FormatInt(fen/100, 10) + "." + fmt.Sprintf("%02d", fen%100)
}

// payeeLabels name the payees in Chinese, as the catalogue does.
var payeeLabels = map[ProviderKind]string{ProviderHospital: "医院", ProviderSchool: "学校", ProviderLandlord: "房东",
	ProviderShop: "商店", ProviderOther: "其他"}

// PayeeLabel names who was paid: the household, or the kind of provider.
func PayeeLabel(t PayeeType, k ProviderKind) string {
	if t == PayeeHousehold {
		return "受助家庭"
	}
	if l, ok := payeeLabels[k]; ok {
		return l
	}
	return "其他"
}
