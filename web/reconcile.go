package web

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/funds/bill"
	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/matching/record"
)

// Reconciliation with the bills (对账单) of WeChat Pay, Alipay and the
// bank: the upload shared by the page (/staff/reconcile) and the API
// (POST /api/v1/reconciliations). The file is streamed into a sealed
// temporary spool (record.NewTempSpool: AES-GCM under a key of its own,
// unlinked at once), never parsed by Go's form parser and never held in
// memory whole; funds reads it twice, checked whole and then matched.

// maxBillBytes bounds a bill: some 500,000 lines of a provider's bill.
const maxBillBytes = 128 << 20

// errBillTooLarge is a bill above maxBillBytes.
var errBillTooLarge = echo.NewHTTPError(http.StatusRequestEntityTooLarge, "the bill is larger than 128 MiB: split it by day")

// billUpload is an uploaded bill, sealed in a spool the caller closes.
type billUpload struct {
	spool *record.Spool
	name  string
	sha   string
	// org is the organization the form or the query names ("" for the
	// caller's only one).
	org string
}

// receiveBill streams the request's bill into a sealed spool: the
// multipart field "file" (with an optional field "org" before it), or,
// for the API, a text/csv body (org in the query).
func (s *Server) receiveBill(c echo.Context) (*billUpload, error) {
	up := &billUpload{org: strings.TrimSpace(c.QueryParam("org"))}
	var r io.Reader
	ct := c.Request().Header.Get(echo.HeaderContentType)
	switch {
	case strings.HasPrefix(ct, echo.MIMEMultipartForm):
		f, name, fields, err := uploadFileWithFields(c, "org")
		if isTooLarge(err) {
			return nil, errBillTooLarge
		}
		if err != nil {
			return nil, errNoUploadFile
		}
		if v := strings.TrimSpace(fields["org"]); v != "" {
			up.org = v
		}
		r, up.name = f, name
	case strings.HasPrefix(ct, "text/csv"):
		r, up.name = c.Request().Body, "statement.csv"
	default:
		return nil, echo.NewHTTPError(http.StatusUnsupportedMediaType, "send the bill as multipart/form-data (field file) or text/csv")
	}
	sp, err := record.NewTempSpool()
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(sp, h), io.LimitReader(r, maxBillBytes+1))
	switch {
	case isTooLarge(err), err == nil && n > maxBillBytes:
		sp.Close()
		return nil, errBillTooLarge
	case err != nil:
		sp.Close()
		return nil, err
	}
	if err := sp.Finish(); err != nil {
		sp.Close()
		return nil, err
	}
	up.spool, up.sha = sp, hex.EncodeToString(h.Sum(nil))
	return up, nil
}

// uploadFileWithFields is uploadFile that also keeps the small form fields
// named that come before the file (the CSRF check has read those before
// its token already).
func uploadFileWithFields(c echo.Context, names ...string) (io.Reader, string, map[string]string, error) {
	mr, err := multipartOf(c)
	if err != nil {
		return nil, "", nil, err
	}
	fields := map[string]string{}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, "", fields, errNoUploadFile
		}
		if err != nil {
			return nil, "", fields, err
		}
		if p.FileName() == "" {
			if slices.Contains(names, p.FormName()) {
				b, _ := io.ReadAll(io.LimitReader(p, 256))
				fields[p.FormName()] = string(b)
			}
			continue
		}
		if p.FormName() == "file" {
			return p, p.FileName(), fields, nil
		}
	}
}

// billOptions reads .xlsx bills with the configured workbook reader.
func (s *Server) billOptions() bill.Options {
	if s.Workbooks == nil {
		return bill.Options{}
	}
	return bill.Options{OpenWorkbook: func(r io.ReaderAt, size int64) (bill.Workbook, error) {
		wb, err := s.Workbooks(r, size)
		if err != nil {
			var fe *record.FileError
			if errors.As(err, &fe) {
				return nil, kernel.Refuse(kernel.Invalid("file", "%s", fe.Reason), fe.Key, nil, "%s", fe.Reason)
			}
			return nil, err
		}
		return billWorkbook{wb}, nil
	}}
}

// billWorkbook is a record.Workbook read as a bill.Workbook.
type billWorkbook struct{ record.Workbook }

func (w billWorkbook) Rows(sheet string) (bill.Rows, error) { return w.Workbook.Rows(sheet) }

// reconcile reads an uploaded bill's format and reconciles it for the
// caller.
func (s *Server) reconcile(c echo.Context, up *billUpload) (*funds.ReconcileRun, error) {
	opt := s.billOptions()
	rd, err := bill.Open(up.spool, up.spool.Size(), up.name, opt)
	if err != nil {
		return nil, err
	}
	format := rd.Format()
	rd.Close()
	return s.Funds.ReconcileBill(c.Request().Context(), PrincipalOf(c), up.org, funds.BillFile{Name: up.name, SHA256: up.sha, Format: format,
		Open: func() (funds.BillLines, error) {
			r, err := bill.Open(up.spool, up.spool.Size(), up.name, opt)
			if err != nil {
				return nil, err
			}
			return r, nil
		}})
}

// runLines are the lines of a run by what they came to.
type runLines struct {
	Matched, Already, Refunds, Unmatched []funds.ReconcileLine
}

// maxRunLines bounds each list of lines a page or an answer shows.
const maxRunLines = 10_000

// readRunLines reads a run's lines, each list up to limit.
func (s *Server) readRunLines(c echo.Context, run *funds.ReconcileRun, limit int) (*runLines, error) {
	ctx := c.Request().Context()
	out := &runLines{}
	for _, x := range []struct {
		dst      *[]funds.ReconcileLine
		outcomes []string
	}{{&out.Matched, []string{funds.OutcomeMatched}}, {&out.Already, []string{funds.OutcomeAlready}},
		{&out.Refunds, []string{funds.OutcomeRefunded}}, {&out.Unmatched, funds.MismatchCodes}} {
		ls, err := s.Funds.ReconcileRunLines(ctx, run, x.outcomes, limit)
		if err != nil {
			return nil, err
		}
		if ls == nil {
			ls = []funds.ReconcileLine{}
		}
		*x.dst = ls
	}
	return out, nil
}
