package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/jiujinan/jiujinan/matching/record"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/recovery"
)

// The verifier's page for importing the statutory payment record: an upload
// form; the import then runs in the background while the page shows its
// progress (htmx polls every second, a plain refresh works too) and, at
// the end, the counts and the rows refused with their line numbers.

// importJob is one import started from the page.
type importJob struct {
	ID       string
	By       string // the verifier's public id: only they see the job
	FileName string
	Started  time.Time

	mu       sync.Mutex
	progress record.ImportProgress
	result   *record.ImportResult
	err      error
	// done is closed when the import has ended (result or err set).
	done chan struct{}
}

// importView is what the page shows of a job.
type importView struct {
	ID, FileName string
	Progress     record.ImportProgress
	Result       *record.ImportResult
	Failed       bool
	Done         bool
	Invalid      string
}

func (j *importJob) view() importView {
	j.mu.Lock()
	defer j.mu.Unlock()
	v := importView{ID: j.ID, FileName: j.FileName, Progress: j.progress, Result: j.result, Done: j.result != nil || j.err != nil, Failed: j.err != nil}
	var ve *kernel.ValidationError
	if errors.As(j.err, &ve) {
		for _, m := range ve.Fields {
			v.Invalid = m
		}
	}
	return v
}

// importJobs keeps the page's recent imports in memory (the batches
// themselves are in the database; an interrupted import resumes when the
// same file is uploaded again).
type importJobs struct {
	mu   sync.Mutex
	jobs map[string]*importJob
}

func (s *Server) importJob(id, by string) *importJob {
	s.pages.imports.mu.Lock()
	defer s.pages.imports.mu.Unlock()
	j := s.pages.imports.jobs[id]
	if j == nil || j.By != by {
		return nil
	}
	return j
}

// needsImporter answers 404 when no payment importer is configured.
func (s *Server) needsImporter(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.Payments == nil {
			return echo.ErrNotFound
		}
		return next(c)
	}
}

// handleImportsPage shows the upload form.
func (s *Server) handleImportsPage(c echo.Context) error {
	return s.render(c, http.StatusOK, "verify_imports", nil)
}

// handleImportUpload streams the upload into a sealed spool (spool.go:
// never a plaintext copy on disk) and starts the import in the background.
func (s *Server) handleImportUpload(c echo.Context) error {
	tmp, name, err := spoolUpload(c)
	switch {
	case isTooLarge(err):
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "the file is larger than the upload limit")
	case err != nil:
		return s.render(c, http.StatusBadRequest, "verify_imports", importView{Invalid: s.pageT(c, "import_no_file")})
	}
	by := PrincipalOf(c).User.PublicID
	j := &importJob{ID: newFormKey(), By: by, FileName: name, Started: time.Now(), done: make(chan struct{})}
	s.pages.imports.mu.Lock()
	if s.pages.imports.jobs == nil {
		s.pages.imports.jobs = map[string]*importJob{}
	}
	for id, old := range s.pages.imports.jobs {
		if time.Since(old.Started) > 24*time.Hour {
			delete(s.pages.imports.jobs, id)
		}
	}
	s.pages.imports.jobs[j.ID] = j
	s.pages.imports.mu.Unlock()
	size := tmp.Size()
	go func() {
		defer close(j.done)
		defer tmp.Close()
		var res record.ImportResult
		// A panic fails the job (and its batch, which Import marks
		// failed), never the process.
		err := recovery.Run(s.log, "payment import from the page", func() (err error) {
			if _, err := tmp.Seek(0, io.SeekStart); err != nil {
				return err
			}
			// The import outlives the request that started it.
			res, err = s.Payments.Import(context.Background(), tmp, record.ImportOptions{FileName: j.FileName, CreatedBy: by, Size: size,
				ReturnErrors: 1000, Progress: func(p record.ImportProgress) {
					j.mu.Lock()
					j.progress = p
					j.mu.Unlock()
				}})
			return err
		})
		j.mu.Lock()
		defer j.mu.Unlock()
		if err != nil {
			j.err = err
			s.log.Warn("payment import from the page failed", "job", j.ID, "error", err.Error())
			return
		}
		j.result = &res
	}()
	return c.Redirect(http.StatusSeeOther, "/verify/imports/"+j.ID)
}

// handleImportJobPage shows an import's progress or its result; htmx asks
// for the status block only.
func (s *Server) handleImportJobPage(c echo.Context) error {
	j := s.importJob(c.Param("id"), PrincipalOf(c).User.PublicID)
	if j == nil {
		return echo.ErrNotFound
	}
	v := j.view()
	j.mu.Lock()
	var ref *kernel.Refusal
	if errors.As(j.err, &ref) {
		// A refusal of the whole file the catalogue words (an .xls file).
		v.Invalid = s.userMessage(c, j.err, v.Invalid)
	}
	j.mu.Unlock()
	if isPartial(c, "import-status") {
		return s.renderBlock(c, http.StatusOK, "verify_import", "importstatus", v)
	}
	return s.render(c, http.StatusOK, "verify_import", v)
}
