package matching

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/jiujinan/jiujinan/marketplace"
)

// PaymentImporter imports statutory payment files: streamed, validated row
// by row, written in chunks, idempotent and resumable.
//
// An import runs in two phases. Stage: the file is read and validated
// row by row and the valid rows are appended, chunk by chunk, to a staging
// table in parts by the leading bits of the pseudonym; each chunk is one
// transaction together with the batch's progress (last line done,
// counters). Merge: each part is moved into the record in key order in a
// transaction of its own. Appending, then merging in key order, writes each
// page of the record's B-tree about once per import instead of once per
// row, which is what keeps a 10-million-row import fast on both databases.
//
// How an import stays all-or-nothing for readers: rows in the record carry
// the batch's id and readers (PaymentsFor) see only rows of done batches.
// An import that fails, is cancelled or killed leaves its batch running or
// failed; importing the same file again (same SHA-256) resumes that batch
// after its last committed line or part, and the batch becomes visible
// when it is done. Rows are keyed by their content, so the same row twice,
// in one file or in two, is stored once.
type PaymentImporter struct {
	Store         PaymentImportStore
	Pseudonymizer *marketplace.Pseudonymizer
	Divisions     *marketplace.Divisions
	Now           func() time.Time
	NewID         func() string
	Log           *slog.Logger
	// ChunkRows is how many rows (and rejected rows) go into one
	// transaction; default 4000.
	ChunkRows int
	// MaxStoredErrors bounds the rejected rows stored per batch (all are
	// counted); default 100,000.
	MaxStoredErrors int64
	// Parts, if set, is how many parts every import is merged in (a power
	// of two up to 256); by default it follows the file's size.
	Parts int
	// StaleAfter is how long a running batch may go without progress
	// before another import of the same file may take it over; default 30s.
	StaleAfter time.Duration
}

// ImportOptions describe one import.
type ImportOptions struct {
	FileName  string
	CreatedBy string
	// Size is the file's size in bytes, for progress; 0 if unknown.
	Size int64
	// Progress, if set, is called after every committed chunk, from the
	// importing goroutine.
	Progress func(ImportProgress)
	// ReturnErrors is how many rejected rows the result lists; default 1000.
	ReturnErrors int
}

// ImportProgress is an import's state after a committed chunk or part.
type ImportProgress struct {
	BytesRead, BytesTotal int64
	Line                  int64
	// Staged counts the valid rows read, Rejected the bad ones.
	Staged   int64
	Rejected int64
	// PartsDone of Parts are merged; Accepted rows were added so far.
	PartsDone, Parts int
	Accepted         int64
}

// ImportResult is a finished import: the batch with its counters (over
// every run of a resumed import) and its first rejected rows.
type ImportResult struct {
	Batch   ImportBatch
	Resumed bool
	Errors  []RowError
}

func (im *PaymentImporter) defaults() {
	if im.ChunkRows <= 0 {
		im.ChunkRows = 4000
	}
	if im.MaxStoredErrors <= 0 {
		im.MaxStoredErrors = 100_000
	}
	if im.StaleAfter <= 0 {
		im.StaleAfter = 30 * time.Second
	}
	if im.Log == nil {
		im.Log = slog.Default()
	}
}

// chunk is what the reading goroutine hands to the writer.
type chunk struct {
	rows      []PaymentRow
	errs      []RowError
	rejected  int64
	linesDone int64
	bytesRead int64
}

// Import imports the payment file in f (read twice: once for its SHA-256,
// once for its rows). A file without a valid header is refused whole with a
// *marketplace.ValidationError and no batch; ErrConflict when the same file
// is being imported elsewhere. On any other error (ctx cancelled included)
// the batch is left failed, invisible, and an Import of the same file
// resumes it.
func (im *PaymentImporter) Import(ctx context.Context, f io.ReadSeeker, opt ImportOptions) (ImportResult, error) {
	im.defaults()
	if opt.ReturnErrors <= 0 {
		opt.ReturnErrors = 1000
	}
	var res ImportResult
	sum, err := hashFile(ctx, f)
	if err != nil {
		return res, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return res, fmt.Errorf("matching: import: %w", err)
	}
	now := im.Now()
	pf, err := OpenPaymentFile(f, PaymentFileOptions{Pseudonymizer: im.Pseudonymizer, Divisions: im.Divisions, Now: now})
	if err != nil {
		var fe *FileError
		if errors.As(err, &fe) {
			ve := &marketplace.ValidationError{}
			ve.Add("file", "%s", fe.Reason)
			return res, ve
		}
		return res, err
	}
	lease := im.NewID()
	b, resumed, err := im.Store.ClaimImport(ctx, ImportBatch{ID: im.NewID(), FileSHA256: sum, FileName: opt.FileName,
		CreatedBy: opt.CreatedBy, CreatedAt: now, Parts: im.partsFor(opt.Size)}, lease, now.Add(-im.StaleAfter))
	if err != nil {
		return res, err
	}
	res.Resumed = resumed
	pf.opt.SkipThrough = b.LinesDone
	log := im.Log.With("batch", b.ID)
	log.Info("payment import started", "file_sha256", sum, "resumed", resumed, "resume_after_line", b.LinesDone, "encoding", pf.Encoding)

	fail := func(cause error) (ImportResult, error) {
		// The batch is left failed (invisible); a rerun resumes it. A
		// cancelled ctx must not stop this bookkeeping.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if ferr := im.Store.FinishImport(fctx, b.Key, lease, ImportFailed, cause.Error(), im.Now()); ferr != nil {
			log.Warn("payment import: could not mark the batch failed", "err", ferr)
		}
		log.Warn("payment import failed", "err", cause)
		res.Batch = b
		return res, fmt.Errorf("matching: import of batch %s stopped (rerun the same file to resume): %w", b.ID, cause)
	}

	takeOver, err := im.Store.OtherUnfinished(ctx, b.Key)
	if err != nil {
		return fail(err)
	}
	w, err := im.Store.OpenPaymentWriter(ctx, b.Key, lease)
	if err != nil {
		return fail(err)
	}
	defer w.Close()

	rctx, stop := context.WithCancel(ctx)
	defer stop()
	chunks := make(chan chunk, 2)
	readErr := make(chan error, 1)
	stored := min(b.Rejected, im.MaxStoredErrors)
	go func() {
		defer close(chunks)
		readErr <- im.read(rctx, pf, chunks, stored)
	}()

	prog := ImportProgress{BytesTotal: opt.Size, Staged: b.Staged, Rejected: b.Rejected, Line: b.LinesDone,
		Parts: b.Parts, PartsDone: b.MergedParts, Accepted: b.Accepted}
	for c := range chunks {
		if err := ctx.Err(); err != nil {
			stop()
			return fail(err)
		}
		if err := w.WriteChunk(ctx, c.rows, c.errs, c.rejected, c.linesDone, im.Now()); err != nil {
			stop()
			return fail(err)
		}
		prog.Staged += int64(len(c.rows))
		prog.Rejected += c.rejected
		prog.Line, prog.BytesRead = c.linesDone, c.bytesRead
		if opt.Progress != nil {
			opt.Progress(prog)
		}
	}
	if err := <-readErr; err != nil {
		return fail(err)
	}
	for part := b.MergedParts; part < b.Parts; part++ {
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		n, err := w.MergePart(ctx, part, takeOver, im.Now())
		if err != nil {
			return fail(err)
		}
		prog.Accepted += n
		prog.PartsDone = part + 1
		if opt.Progress != nil {
			opt.Progress(prog)
		}
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	if err := im.Store.FinishImport(ctx, b.Key, lease, ImportDone, "", im.Now()); err != nil {
		return fail(err)
	}
	if res.Batch, err = im.Store.ImportBatch(ctx, b.ID); err != nil {
		return res, err
	}
	if res.Errors, err = im.Store.ImportErrors(ctx, b.Key, 0, opt.ReturnErrors); err != nil {
		return res, err
	}
	log.Info("payment import done", "accepted", res.Batch.Accepted, "duplicates", res.Batch.Duplicates, "rejected", res.Batch.Rejected)
	return res, nil
}

// read parses the file into chunks until its end, an error or ctx's end.
func (im *PaymentImporter) read(ctx context.Context, pf *PaymentFile, out chan<- chunk, stored int64) error {
	c := chunk{rows: make([]PaymentRow, 0, im.ChunkRows)}
	send := func() bool {
		c.linesDone, c.bytesRead = pf.LastLine(), pf.BytesRead()
		select {
		case out <- c:
		case <-ctx.Done():
			return false
		}
		c = chunk{rows: make([]PaymentRow, 0, im.ChunkRows)}
		return true
	}
	for {
		row, rowErr, err := pf.Next()
		if errors.Is(err, io.EOF) {
			if (len(c.rows) > 0 || c.rejected > 0 || pf.LastLine() > 0) && !send() {
				return ctx.Err()
			}
			return nil
		}
		if err != nil {
			return err
		}
		if rowErr != nil {
			c.rejected++
			if stored < im.MaxStoredErrors {
				c.errs = append(c.errs, *rowErr)
				stored++
			}
		} else {
			c.rows = append(c.rows, row)
		}
		if len(c.rows)+int(c.rejected) >= im.ChunkRows {
			if !send() {
				return ctx.Err()
			}
		}
	}
}

// partsFor is how many parts a file of size bytes is merged in: about
// 4 MB of file per part (some 50,000 rows), a power of two from 1 to 256.
func (im *PaymentImporter) partsFor(size int64) int {
	if im.Parts > 0 {
		return min(im.Parts, 256)
	}
	p := 1
	for p < 256 && int64(p)*(4<<20) < size {
		p *= 2
	}
	return p
}

func hashFile(ctx context.Context, r io.Reader) (string, error) {
	h := sha256.New()
	buf := make([]byte, 1<<20)
	for {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		n, err := r.Read(buf)
		h.Write(buf[:n])
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", fmt.Errorf("matching: import: read: %w", err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
