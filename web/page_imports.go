package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/matching/record"
)

// The verifier's page for importing the statutory payment record: an upload
// form over the history of imports (from the page, the API and the command
// line alike: each is a batch in the database), and a page per import that
// shows its progress while it runs (htmx polls every second, a plain
// refresh works too) and, at the end, the counts and the rows refused with
// their line numbers. An import runs as a record.ImportJobs job: it
// outlives the request, survives a restart (resumed from its sealed
// upload), and shows as stalled when its lease lapsed.

// importView is what the pages show of one import.
type importView struct {
	Batch record.ImportBatch
	// State is running, stalled, done or failed (importState).
	State string
	// By names who started it: a user's display name, or empty for the
	// command line (the page says so).
	By string
	// CanResume: this instance keeps the upload and the import is not
	// running.
	CanResume bool
	Errors    []record.RowError
	Unknown   []record.ProgrammeCount
	// Invalid is why an upload was refused whole.
	Invalid string
}

// importsPage is the upload form with the history.
type importsPage struct {
	Invalid string
	Imports []importView
}

// importState is an import's state as users see it: a running batch whose
// lease lapsed (no progress for the importer's StaleAfter) is stalled.
func (s *Server) importState(b record.ImportBatch) string {
	if b.Status == record.ImportRunning && s.Payments.Stale(b) {
		return "stalled"
	}
	return string(b.Status)
}

// viewImport builds the view of b; full adds its rejected rows and
// unknown programmes.
func (s *Server) viewImport(ctx context.Context, b record.ImportBatch, names map[string]string, full bool) (importView, error) {
	v := importView{Batch: b, State: s.importState(b)}
	if b.CreatedBy != "" && b.CreatedBy != record.SourceCLI {
		name, ok := names[b.CreatedBy]
		if !ok {
			if p, err := s.Accounts.Principal(ctx, b.CreatedBy); err == nil {
				name = p.User.DisplayName
			}
			names[b.CreatedBy] = name
		}
		v.By = name
	}
	v.CanResume = s.Imports != nil && v.State != "done" && v.State != "running" && s.Imports.HoldsUpload(b) && !s.Imports.Running(b)
	if !full {
		return v, nil
	}
	var err error
	if v.Errors, err = s.Payments.Store.ImportErrors(ctx, b.Key, 0, 1000); err != nil {
		return v, err
	}
	if v.Unknown, err = s.Payments.Store.ImportProgrammes(ctx, b.Key); err != nil {
		return v, err
	}
	return v, nil
}

// needsImporter answers 404 when no payment importer is configured.
func (s *Server) needsImporter(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.Payments == nil || s.Imports == nil {
			return echo.ErrNotFound
		}
		return next(c)
	}
}

// handleImportsPage shows the upload form and the last imports.
func (s *Server) handleImportsPage(c echo.Context) error {
	return s.renderImports(c, http.StatusOK, "")
}

func (s *Server) renderImports(c echo.Context, status int, invalid string) error {
	ctx := c.Request().Context()
	bs, err := s.Payments.Store.ImportBatches(ctx, 50)
	if err != nil {
		return err
	}
	pg := importsPage{Invalid: invalid, Imports: make([]importView, 0, len(bs))}
	names := map[string]string{}
	for _, b := range bs {
		v, err := s.viewImport(ctx, b, names, false)
		if err != nil {
			return err
		}
		pg.Imports = append(pg.Imports, v)
	}
	return s.render(c, status, "verify_imports", pg)
}

// handleImportUpload streams the upload into a sealed spool and starts its
// import in the background (record.ImportJobs.Upload), then shows the
// import's page. A file refused whole is answered on the form.
func (s *Server) handleImportUpload(c echo.Context) error {
	r, name, err := uploadFile(c)
	if err == nil {
		var b record.ImportBatch
		b, _, err = s.Imports.Upload(c.Request().Context(), r, name, PrincipalOf(c).User.PublicID)
		if err == nil {
			return c.Redirect(http.StatusSeeOther, "/verify/imports/"+b.ID)
		}
	}
	var ve *kernel.ValidationError
	var ref *kernel.Refusal
	switch {
	case isTooLarge(err):
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "the file is larger than the upload limit")
	case errors.Is(err, errNoUploadFile):
		return s.renderImports(c, http.StatusBadRequest, s.pageT(c, "import_no_file"))
	case errors.As(err, &ref), errors.As(err, &ve):
		// A file refused whole (no header, an .xls file), or the same file
		// being imported: the catalogue words it.
		status := http.StatusBadRequest
		if errors.Is(err, kernel.ErrConflict) {
			status = http.StatusConflict
		}
		return s.renderImports(c, status, s.userMessage(c, err, s.pageT(c, "import_failed")))
	case errors.Is(err, context.Canceled):
		return err
	}
	s.log.Warn("payment import upload failed", "error", err.Error())
	return s.renderImports(c, http.StatusBadRequest, s.pageT(c, "import_no_file"))
}

// handleImportJobPage shows an import's progress or its result; htmx asks
// for the status block only.
func (s *Server) handleImportJobPage(c echo.Context) error {
	ctx := c.Request().Context()
	b, err := s.Payments.Store.ImportBatch(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	v, err := s.viewImport(ctx, b, map[string]string{}, b.Status != record.ImportRunning)
	if err != nil {
		return err
	}
	if isPartial(c, "import-status") {
		return s.renderBlock(c, http.StatusOK, "verify_import", "importstatus", v)
	}
	return s.render(c, http.StatusOK, "verify_import", v)
}

// handleImportResume starts an interrupted import again from the upload
// this instance keeps sealed.
func (s *Server) handleImportResume(c echo.Context) error {
	b, _, err := s.Imports.Resume(c.Request().Context(), c.Param("id"), PrincipalOf(c).User.PublicID)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/verify/imports/"+b.ID)
}
