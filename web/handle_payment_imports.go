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
	Accepted      int64      `json:"accepted"`
	Duplicates    int64      `json:"duplicates"`
	RejectedTotal int64      `json:"rejected_total"`
	LinesDone     int64      `json:"lines_done"`
	CreatedBy     string     `json:"created_by"`
	Error         string     `json:"error,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	FinishedAt    *time.Time `json:"finished_at"`
}

func toPaymentImportJSON(b record.ImportBatch) paymentImportJSON {
	return paymentImportJSON{ID: b.ID, FileName: b.FileName, FileSHA256: b.FileSHA256, Status: string(b.Status),
		Accepted: b.Accepted, Duplicates: b.Duplicates, RejectedTotal: b.Rejected, LinesDone: b.LinesDone,
		CreatedBy: b.CreatedBy, Error: b.Error, CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt, FinishedAt: b.FinishedAt}
}

// handlePaymentImportCreate imports an uploaded payment file (multipart
// field "file": CSV or .xlsx) and answers with the counts and the first 1000
// rejected rows. The upload is streamed into a sealed spool (spool.go): it
// is read twice (its SHA-256, then its rows) and a workbook needs random
// access, and it never lies on disk in plain text.
func (s *Server) handlePaymentImportCreate(c echo.Context) error {
	if s.Payments == nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "payment imports are not configured")
	}
	r := c.Request()
	sp, name, err := spoolUpload(c)
	switch {
	case isTooLarge(err):
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "the file is larger than the upload limit")
	case errors.Is(err, errNoUploadFile):
		return &kernel.ValidationError{Fields: map[string]string{"file": "send exactly one file in the multipart field \"file\""}}
	case err != nil:
		return &kernel.ValidationError{Fields: map[string]string{"file": "not a readable multipart/form-data upload"}}
	}
	defer sp.Close()
	res, err := s.Payments.Import(r.Context(), sp, record.ImportOptions{FileName: name,
		CreatedBy: PrincipalOf(c).User.PublicID, Size: sp.Size(), ReturnErrors: 1000})
	if err != nil {
		return err
	}
	b := res.Batch
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
		"batch_id": b.ID, "status": string(b.Status), "resumed": res.Resumed,
		"accepted": b.Accepted, "duplicates": b.Duplicates, "rejected": rejected, "rejected_total": b.Rejected,
		"unknown_programmes": unknown,
	})
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
		out[i] = toPaymentImportJSON(b)
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
	return c.JSON(http.StatusOK, map[string]any{"import": toPaymentImportJSON(b), "errors": errs, "next_after_line": next})
}

// paymentIntParam reads an optional integer query parameter within [lo, hi].
func paymentIntParam(c echo.Context, name string, def, lo, hi int) (int, error) {
	return queryIntIn(c, name, def, lo, hi)
}
