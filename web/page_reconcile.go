package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/kernel"
)

// The reconciliation pages of federation staff: the upload of a bill with
// the runs kept (/staff/reconcile), and one run with everything that does
// not match on one page (/staff/reconcile/:id).

// reconcilePage is the upload form with the runs of the caller's
// organizations, or a refused file's problems.
type reconcilePage struct {
	// Orgs are the caller's federations when there are several: the form
	// asks whose bill it is.
	Orgs  []*kernel.Org
	Runs  []funds.ReconcileRun
	Error string
	// Rows are the lines of a refused bill that cannot be read, worded;
	// MoreRows counts those not listed.
	Rows     []string
	MoreRows int64
}

// handleReconcilePage shows the upload and the runs kept.
func (s *Server) handleReconcilePage(c echo.Context) error {
	return s.renderReconcilePage(c, http.StatusOK, reconcilePage{})
}

func (s *Server) renderReconcilePage(c echo.Context, status int, d reconcilePage) error {
	p := PrincipalOf(c)
	if orgs := p.OrgsWith(kernel.RoleFederationStaff); len(orgs) > 1 {
		d.Orgs = orgs
	}
	runs, err := s.Funds.ReconcileRuns(c.Request().Context(), p, 20)
	if err != nil {
		return err
	}
	d.Runs = runs
	return s.render(c, status, "staff_reconcile", d)
}

// handleReconcileForm imports the uploaded bill and shows its run.
func (s *Server) handleReconcileForm(c echo.Context) error {
	up, err := s.receiveBill(c)
	switch {
	case errors.Is(err, errNoUploadFile):
		return s.renderReconcilePage(c, http.StatusBadRequest, reconcilePage{Error: s.pageT(c, "import_no_file")})
	case err != nil:
		return err
	}
	defer up.spool.Close()
	run, err := s.reconcile(c, up)
	var rej *funds.BillRejectedError
	var refusal *kernel.Refusal
	var ve *kernel.ValidationError
	switch {
	case err == nil:
		s.setFlash(c, "flash_reconciled")
		return c.Redirect(http.StatusSeeOther, "/staff/reconcile/"+run.PublicID)
	case errors.As(err, &rej):
		d := reconcilePage{Error: s.pageTf(c, "bill_rejected", map[string]any{"N": rej.Total}), MoreRows: rej.Total - int64(len(rej.Rows))}
		for _, r := range rej.Rows {
			d.Rows = append(d.Rows, s.pageTf(c, "bill_row_line", map[string]any{"Line": r.Line, "Column": r.Column, "Reason": s.pageT(c, r.Key)}))
		}
		return s.renderReconcilePage(c, http.StatusBadRequest, d)
	case errors.As(err, &refusal) && errors.As(err, &ve):
		// The file as a whole: not a bill this service knows, or unreadable.
		return s.renderReconcilePage(c, http.StatusBadRequest, reconcilePage{Error: s.userMessage(c, err, "")})
	case errors.As(err, &ve):
		return s.renderReconcilePage(c, http.StatusBadRequest, reconcilePage{Error: s.pageT(c, "reconcile_bad_file") + " " + s.fieldsText(c, ve)})
	}
	return err
}

// reconcileRunPage is one run: its mismatches by code, then the lines that
// matched.
type reconcileRunPage struct {
	Run    *funds.ReconcileRun
	Groups []mismatchGroup
	// Lines are the lines by what they came to.
	Lines runLines
	// Listed is how many mismatches the page lists (at most maxRunLines).
	Listed int
}

// mismatchGroup is the lines of one mismatch code.
type mismatchGroup struct {
	Code  string
	Lines []funds.ReconcileLine
}

// handleReconcileRunPage shows a run: everything that does not match on one
// page, grouped by why, then what matched.
func (s *Server) handleReconcileRunPage(c echo.Context) error {
	run, err := s.Funds.ReconcileRun(c.Request().Context(), PrincipalOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	ls, err := s.readRunLines(c, run, maxRunLines)
	if err != nil {
		return err
	}
	d := reconcileRunPage{Run: run, Lines: *ls, Listed: len(ls.Unmatched)}
	by := map[string][]funds.ReconcileLine{}
	for _, l := range ls.Unmatched {
		by[l.Code] = append(by[l.Code], l)
	}
	for _, code := range funds.MismatchCodes {
		if len(by[code]) > 0 {
			d.Groups = append(d.Groups, mismatchGroup{Code: code, Lines: by[code]})
		}
	}
	return s.render(c, http.StatusOK, "staff_reconcile_run", d)
}
