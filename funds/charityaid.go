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

// AidFilter is a region (a code or a prefix of one) and a period of China
// dates, both ends included.
type AidFilter struct {
	Region   string
	From, To time.Time // dates; only their year, month and day count
}

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
}

// CharityAidHeader is the header row of the export.
var CharityAidHeader = []string{"需求编号", "姓名", "身份证号", "救助类别", "行政区划代码", "行政区划名称", "金额（元）", "发放日期", "收款方"}

// ParseAidFilter validates a region and a period given as YYYY-MM-DD.
// ValidationError.
func ParseAidFilter(region, from, to string) (AidFilter, error) {
	v := &kernel.ValidationError{}
	f := AidFilter{Region: region}
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
	return f, v.Err()
}

// Export writes the disbursements of needs in the region made in the
// period as CSV (UTF-8 with a BOM, so that Excel reads it; a header in
// Chinese), one row per disbursement, streaming. Before the first byte it
// checks that by is a verifier covering the region (ErrForbidden) and
// appends the audit entry (who, region, period, rows). It returns the
// number of rows.
func (e *CharityAidExport) Export(ctx context.Context, by *kernel.Principal, f AidFilter, w io.Writer) (int, error) {
	if by == nil || !marketplace.CoveringVerifier(e.Divisions, by, f.Region) {
		return 0, kernel.ErrForbidden
	}
	from := time.Date(f.From.Year(), f.From.Month(), f.From.Day(), 0, 0, 0, 0, kernel.ChinaTime).UTC()
	to := time.Date(f.To.Year(), f.To.Month(), f.To.Day()+1, 0, 0, 0, 0, kernel.ChinaTime).UTC()
	n, maxID, err := e.Store.CountCharityAid(ctx, f.Region, from, to)
	if err != nil {
		return 0, fmt.Errorf("funds: charity aid: %w", err)
	}
	detail, _ := json.Marshal(map[string]any{"region": f.Region, "from": f.From.Format(time.DateOnly),
		"to": f.To.Format(time.DateOnly), "rows": n})
	if err := e.Audit.AppendAudit(ctx, marketplace.AuditEntry{Stream: "charity-aid", At: e.Now().UTC(), Actor: by.User.PublicID,
		Action: "charity_aid.export", ObjectType: "region", ObjectID: f.Region, Detail: string(detail)}); err != nil {
		return 0, fmt.Errorf("funds: charity aid: audit: %w", err)
	}
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return 0, err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(CharityAidHeader); err != nil {
		return 0, err
	}
	ids := map[string]*marketplace.Identity{}
	rows := 0
	err = e.Store.EachCharityAid(ctx, f.Region, from, to, maxID, func(r AidRow) error {
		id := ids[r.NeedPublicID]
		if id == nil {
			var err error
			if id, err = e.Needs.Identity(ctx, by, r.NeedPublicID); err != nil {
				return fmt.Errorf("need %s: %w", r.NeedPublicID, err)
			}
			ids[r.NeedPublicID] = id
		}
		region := ""
		if e.Divisions != nil {
			region = e.Divisions.FullName(r.RegionCode)
		}
		row := []string{r.NeedPublicID, id.Name, id.IDNumber, kernel.CategoryLabels[r.Category].Zh, r.RegionCode, region,
			Yuan(r.AmountFen), r.At.In(kernel.ChinaTime).Format(time.DateOnly), PayeeLabel(r.PayeeType, r.ProviderKind)}
		for i := range row {
			row[i] = CSVField(row[i])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
		rows++
		// Row by row: a county's year is sent as it is read.
		cw.Flush()
		return cw.Error()
	})
	if err != nil {
		return rows, fmt.Errorf("funds: charity aid: %w", err)
	}
	cw.Flush()
	return rows, cw.Error()
}

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
