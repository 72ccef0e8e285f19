package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/kernel"
)

// reconcileRunJSON is a reconciliation run without its lines.
type reconcileRunJSON struct {
	ID         string                `json:"id"`
	OrgID      string                `json:"org_id"`
	OrgName    string                `json:"org_name"`
	Format     string                `json:"format"`
	Channel    string                `json:"channel"`
	FileName   string                `json:"file_name"`
	FileSHA256 string                `json:"file_sha256"`
	CreatedBy  string                `json:"created_by"`
	CreatedAt  time.Time             `json:"created_at"`
	FinishedAt *time.Time            `json:"finished_at"`
	Status     string                `json:"status"`
	PeriodFrom *string               `json:"period_from"`
	PeriodTo   *string               `json:"period_to"`
	RepeatOf   string                `json:"repeat_of,omitempty"`
	Counts     funds.ReconcileCounts `json:"counts"`
}

// reconcileReportJSON is a run with its lines: those that confirmed a
// pledge now, those confirmed before, refunds the ledger has too, and
// everything that does not match, each with its code.
type reconcileReportJSON struct {
	reconcileRunJSON
	Matched   []funds.ReconcileLine `json:"matched"`
	Already   []funds.ReconcileLine `json:"already_confirmed"`
	Refunds   []funds.ReconcileLine `json:"refunds"`
	Unmatched []funds.ReconcileLine `json:"unmatched"`
}

func chinaDate(t *time.Time) *string {
	if t == nil {
		return nil
	}
	d := t.In(kernel.ChinaTime).Format("2006-01-02")
	return &d
}

func toReconcileRunJSON(r *funds.ReconcileRun) reconcileRunJSON {
	return reconcileRunJSON{ID: r.PublicID, OrgID: r.OrgPublicID, OrgName: r.OrgName, Format: string(r.Format), Channel: r.Format.Channel(),
		FileName: r.FileName, FileSHA256: r.FileSHA256, CreatedBy: r.CreatedByName, CreatedAt: r.CreatedAt, FinishedAt: r.FinishedAt,
		Status: r.Status, PeriodFrom: chinaDate(r.PeriodFrom), PeriodTo: chinaDate(r.PeriodTo), RepeatOf: r.RepeatOf, Counts: r.Counts}
}

func (s *Server) reconcileReport(c echo.Context, r *funds.ReconcileRun) (*reconcileReportJSON, error) {
	ls, err := s.readRunLines(c, r, maxRunLines)
	if err != nil {
		return nil, err
	}
	return &reconcileReportJSON{reconcileRunJSON: toReconcileRunJSON(r), Matched: ls.Matched, Already: ls.Already, Refunds: ls.Refunds,
		Unmatched: ls.Unmatched}, nil
}

// handleReconciliationCreate imports a bill (WeChat Pay's 交易账单,
// Alipay's 业务明细 or 账务明细, a bank statement, or the platform's own
// reference,amount,date statement; CSV or .xlsx) as the multipart field
// "file" or a text/csv body, confirms what it shows as paid and keeps the
// run: 201 with every line by what it came to.
func (s *Server) handleReconciliationCreate(c echo.Context) error {
	return s.reconcileAPI(c, http.StatusCreated)
}

// handleReconciliationLegacy is POST /pledges/reconciliations, the older
// path of the same import: 200 with the same answer.
func (s *Server) handleReconciliationLegacy(c echo.Context) error {
	return s.reconcileAPI(c, http.StatusOK)
}

func (s *Server) reconcileAPI(c echo.Context, status int) error {
	up, err := s.receiveBill(c)
	if err == errNoUploadFile {
		return kernel.Invalid("file", "attach the bill as the multipart field file")
	}
	if err != nil {
		return err
	}
	defer up.spool.Close()
	run, err := s.reconcile(c, up)
	if err != nil {
		return err
	}
	rep, err := s.reconcileReport(c, run)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/reconciliations/"+run.PublicID)
	return c.JSON(status, rep)
}

// handleReconciliationList lists the runs of the caller's organizations,
// newest first.
func (s *Server) handleReconciliationList(c echo.Context) error {
	limit, err := queryIntIn(c, "limit", 50, 1, 500)
	if err != nil {
		return err
	}
	runs, err := s.Funds.ReconcileRuns(c.Request().Context(), PrincipalOf(c), limit)
	if err != nil {
		return err
	}
	out := make([]reconcileRunJSON, len(runs))
	for i := range runs {
		out[i] = toReconcileRunJSON(&runs[i])
	}
	return c.JSON(http.StatusOK, map[string]any{"items": out})
}

// handleReconciliationGet reopens a run with its lines.
func (s *Server) handleReconciliationGet(c echo.Context) error {
	run, err := s.Funds.ReconcileRun(c.Request().Context(), PrincipalOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	rep, err := s.reconcileReport(c, run)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, rep)
}
