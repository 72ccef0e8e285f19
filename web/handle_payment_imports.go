package web

import (
	"errors"
	"net/http"
	"time"

	"github.com/jiujinan/jiujinan/matching/record"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo/v4"
)

type paymentImportJSON struct {
	ID            string     `json:"id"`
	FileName      string     `json:"file_name"`
	FileSHA256    string     `json:"file_sha256"`
	Status        string     `json:"status"`
	Stalled       bool       `json:"stalled"`
	Source        string     `json:"source"`
	Attempts      int        `json:"attempts"`
	UploadKept    bool       `json:"upload_kept"`
	Accepted      int64      `json:"accepted"`
	Duplicates    int64      `json:"duplicates"`
	RejectedTotal int64      `json:"rejected_total"`
	Staged        int64      `json:"staged"`
	LinesDone     int64      `json:"lines_done"`
	Parts         int        `json:"parts"`
	MergedParts   int        `json:"merged_parts"`
	CreatedBy     string     `json:"created_by"`
	Error         string     `json:"error,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	FinishedAt    *time.Time `json:"finished_at"`
}

func (s *Server) toPaymentImportJSON(b record.ImportBatch) paymentImportJSON {
	return paymentImportJSON{ID: b.ID, FileName: b.FileName, FileSHA256: b.FileSHA256, Status: string(b.Status),
		Stalled: s.Payments.Stale(b), Source: b.Source, Attempts: b.Attempts, UploadKept: b.Upload.File != "",
		Accepted: b.Accepted, Duplicates: b.Duplicates, RejectedTotal: b.Rejected, Staged: b.Staged, LinesDone: b.LinesDone,
		Parts: b.Parts, MergedParts: b.MergedParts,
		CreatedBy: b.CreatedBy, Error: b.Error, CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt, FinishedAt: b.FinishedAt}
}

// handlePaymentImportCreate imports an uploaded payment file (multipart
// field "file": CSV or .xlsx) as a background job (record.ImportJobs: the
// upload streamed into a sealed spool, never a plaintext copy on disk) and,
// by default, waits for it and answers with the counts and the first 1000
// rejected rows. With wait=false it answers 202 as soon as the file's
// header is read and its batch claimed. A client that goes away does not
// stop the import.
func (s *Server) handlePaymentImportCreate(c echo.Context) error {
	if s.Payments == nil || s.Imports == nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "payment imports are not configured")
	}
	wait := true
	switch c.QueryParam("wait") {
	case "", "true":
	case "false":
		wait = false
	default:
		return kernel.Invalid("wait", "must be true or false")
	}
	ctx := c.Request().Context()
	r, name, err := uploadFile(c)
	switch {
	case isTooLarge(err):
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "the file is larger than the upload limit")
	case errors.Is(err, errNoUploadFile):
		return kernel.Invalid("file", "send exactly one file in the multipart field \"file\"")
	case err != nil:
		return kernel.Invalid("file", "not a readable multipart/form-data upload")
	}
	b, done, err := s.Imports.Upload(ctx, r, name, PrincipalOf(c).User.PublicID)
	if isTooLarge(err) {
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "the file is larger than the upload limit")
	}
	if err != nil {
		return err
	}
	if !wait {
		c.Response().Header().Set(echo.HeaderLocation, "/api/v1/statutory-payments/imports/"+b.ID)
		return c.JSON(http.StatusAccepted, s.toPaymentImportJSON(b))
	}
	var jr record.JobResult
	select {
	case jr = <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	if jr.Err != nil {
		return jr.Err
	}
	res := jr.Result
	rejected := res.Errors
	if rejected == nil {
		rejected = []record.RowError{}
	}
	// Recorded under their own name, not refused (docs/payment-import.md).
	unknown := res.UnknownProgrammes
	if unknown == nil {
		unknown = []record.ProgrammeCount{}
	}
	return c.JSON(http.StatusCreated, map[string]any{
		"batch_id": res.Batch.ID, "status": string(res.Batch.Status), "resumed": res.Resumed,
		"accepted": res.Batch.Accepted, "duplicates": res.Batch.Duplicates, "rejected": rejected, "rejected_total": res.Batch.Rejected,
		"unknown_programmes": unknown,
	})
}

// handlePaymentImportResume starts again an interrupted import whose
// upload this instance keeps sealed, and answers 202 with the import.
func (s *Server) handlePaymentImportResume(c echo.Context) error {
	if s.Payments == nil || s.Imports == nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "payment imports are not configured")
	}
	b, _, err := s.Imports.Resume(c.Request().Context(), c.Param("id"), PrincipalOf(c).User.PublicID)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/statutory-payments/imports/"+b.ID)
	return c.JSON(http.StatusAccepted, s.toPaymentImportJSON(b))
}

// handlePaymentImportList lists import batches, newest first.
func (s *Server) handlePaymentImportList(c echo.Context) error {
	if s.Payments == nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "payment imports are not configured")
	}
	limit, err := paymentIntParam(c, "limit", 50, 1, 500)
	if err != nil {
		return err
	}
	bs, err := s.Payments.Store.ImportBatches(c.Request().Context(), limit)
	if err != nil {
		return err
	}
	out := make([]paymentImportJSON, len(bs))
	for i, b := range bs {
		out[i] = s.toPaymentImportJSON(b)
	}
	return c.JSON(http.StatusOK, map[string]any{"items": out})
}

// handlePaymentImportGet shows one batch with a page of its rejected rows
// (after_line, limit).
func (s *Server) handlePaymentImportGet(c echo.Context) error {
	if s.Payments == nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "payment imports are not configured")
	}
	ctx := c.Request().Context()
	b, err := s.Payments.Store.ImportBatch(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	after, err := paymentIntParam(c, "after_line", 0, 0, 1<<62)
	if err != nil {
		return err
	}
	limit, err := paymentIntParam(c, "limit", 1000, 1, 10000)
	if err != nil {
		return err
	}
	errs, err := s.Payments.Store.ImportErrors(ctx, b.Key, int64(after), limit)
	if err != nil {
		return err
	}
	var next *int64
	if len(errs) == limit {
		n := errs[len(errs)-1].Line
		next = &n
	}
	return c.JSON(http.StatusOK, map[string]any{"import": s.toPaymentImportJSON(b), "errors": errs, "next_after_line": next})
}

// paymentIntParam reads an optional integer query parameter within [lo, hi].
func paymentIntParam(c echo.Context, name string, def, lo, hi int) (int, error) {
	return queryIntIn(c, name, def, lo, hi)
}
