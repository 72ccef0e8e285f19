package record

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/notify"

	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/recovery"
)

// PaymentImporter imports statutory payment files: streamed, validated row
// by row, written in key order, idempotent and resumable.
//
// An import runs in two phases. Read: one goroutine splits the file into
// records, Workers goroutines validate them and compute the pseudonyms, and
// the valid rows are collected, in file order, into runs of ChunkRows rows;
// each run is sorted by the record's key in memory, written to a file of
// its own (an external sort; see paymentsort.go) and then committed with
// the batch's progress (last line done, counters) and its rejected rows.
// Merge: the runs are merged (k-way) into one stream in key order, which is
// inserted into the record part by part (parts by the pseudonym's leading
// bits), each part in a transaction of its own. Every row is written to
// the database once, in key order, so that each page of the record's
// B-tree is written about once per import, which is what keeps a
// 10-million-row import fast on both databases; memory stays bounded by
// one run and the merge's read buffers.
//
// How an import stays all-or-nothing for readers: rows in the record carry
// the batch's id and readers (PaymentsFor) see only rows of done batches.
// An import that fails, is cancelled or killed leaves its batch running or
// failed; importing the same file again (same SHA-256) resumes that batch
// after its last committed run (or reads the file again if the runs are
// gone) and its last merged part, and the batch becomes visible when it is
// done. Rows are keyed by their content, so the same row twice, in one file
// or in two, is stored once.
type PaymentImporter struct {
	Store         PaymentImportStore
	Pseudonymizer *marketplace.Pseudonymizer
	Divisions     *kernel.Divisions
	Now           func() time.Time
	NewID         func() string
	Log           *slog.Logger
	// ChunkRows is how many rows (and rejected rows) go into one sorted
	// run of the file, committed with the batch's progress; default
	// 262,144 (some 18 MB of memory).
	ChunkRows int
	// Workers is how many goroutines validate rows and compute pseudonyms;
	// default GOMAXPROCS.
	Workers int
	// TempDir is where the sorted runs of an import are kept until it is
	// done (a folder per batch, mode 0700, removed when the batch is done);
	// default os.TempDir(). The runs hold pseudonyms, never ID numbers.
	TempDir string
	// MaxStoredErrors bounds the rejected rows stored per batch (all are
	// counted); default 100,000.
	MaxStoredErrors int64
	// Parts, if set, is how many parts every import is merged in (a power
	// of two up to 4096); by default it follows the file's size.
	Parts int
	// OpenWorkbook, if set, opens .xlsx files (matching/record/xlsxsheet);
	// without it they are refused.
	OpenWorkbook OpenWorkbookFunc
	// StaleAfter is how long a running batch may go without progress
	// before another import of the same file may take it over; default 30s.
	StaleAfter time.Duration
	// Notify tells the verifier who uploaded a file that its import is
	// done (nil tells nobody).
	Notify *notify.Afterwards
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
	// Source is where the file came from (SourceCLI, the default, or
	// SourceWeb), recorded on a new batch.
	Source string
	// Started, if set, is called with the batch once the file's header is
	// read and the batch claimed, before any row is read; an error from it
	// stops the import (the batch left failed).
	Started func(ImportBatch) error
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
	// UnknownProgrammes are the programmes without a code that the file
	// named, recorded under their own name, with their row counts (over
	// every run of a resumed import).
	UnknownProgrammes []ProgrammeCount
}

func (im *PaymentImporter) defaults() {
	if im.ChunkRows <= 0 {
		im.ChunkRows = 1 << 18
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

// Stale reports whether b is running but has not been heard of for
// StaleAfter: its importer stopped (a crash, a restart), and another
// import of the same file may take it over.
func (im *PaymentImporter) Stale(b ImportBatch) bool {
	after := im.StaleAfter
	if after <= 0 {
		after = 30 * time.Second
	}
	return b.Status == ImportRunning && b.UpdatedAt.Before(im.Now().Add(-after))
}

// Import imports the payment file in f (read twice: once for its SHA-256,
// once for its rows). A file without a valid header is refused whole with a
// *marketplace.ValidationError and no batch; ErrConflict when the same file
// is being imported elsewhere. On any other error (ctx cancelled included)
// the batch is left failed, invisible, and an Import of the same file
// resumes it. A panic in the import (in any of its goroutines) is such an
// error (a *recovery.PanicError), logged with its stack.
func (im *PaymentImporter) Import(ctx context.Context, f io.ReadSeeker, opt ImportOptions) (res ImportResult, err error) {
	im.defaults()
	if opt.ReturnErrors <= 0 {
		opt.ReturnErrors = 1000
	}
	defer recovery.Catch(im.Log, "payment import", &err)
	start, startCPU := time.Now(), processCPU()
	sum, size, err := hashFile(ctx, f)
	if err != nil {
		return res, err
	}
	if opt.Size <= 0 {
		opt.Size = size
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return res, fmt.Errorf("matching: import: %w", err)
	}
	now := im.Now()
	pf, err := im.openFile(f, size, opt.FileName, PaymentFileOptions{Pseudonymizer: im.Pseudonymizer, Divisions: im.Divisions, Now: now})
	if err != nil {
		var fe *FileError
		if errors.As(err, &fe) {
			ve := &kernel.ValidationError{}
			ve.Add("file", "%s", fe.Reason)
			if fe.Key != "" {
				return res, kernel.Refuse(ve, fe.Key, nil, "%s", fe.Reason)
			}
			return res, ve
		}
		return res, err
	}
	defer pf.Close()
	lease := im.NewID()
	b, resumed, err := im.Store.ClaimImport(ctx, ImportBatch{ID: im.NewID(), FileSHA256: sum, FileName: opt.FileName,
		CreatedBy: opt.CreatedBy, CreatedAt: now, Parts: im.partsFor(opt.Size), Source: cmp.Or(opt.Source, SourceCLI)}, lease, now.Add(-im.StaleAfter))
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
	// A panic from here on fails the batch like any other error, so that
	// it is not left running (deferred before the Catch: runs after it).
	defer func() {
		var pe *recovery.PanicError
		if errors.As(err, &pe) && res.Batch.ID == "" {
			res, err = fail(pe)
		}
	}()
	defer recovery.Catch(log, "payment import", &err)

	if opt.Started != nil {
		if err := opt.Started(b); err != nil {
			return fail(err)
		}
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

	// The runs committed so far, if they are all there; else the file is
	// read again from its start (runs kept in another machine's folder, or
	// a batch of an older version that staged its rows in the database).
	dir := filepath.Join(im.tempDir(), "jiujinan-payment-import-"+filepath.Base(b.ID))
	runs, err := im.committedRuns(dir, b)
	if err != nil {
		return fail(err)
	}
	if runs == nil && b.LinesDone > 0 {
		log.Info("payment import: the sorted runs of the batch are gone; reading the file again", "dir", dir)
		if err := w.RestartRead(ctx); err != nil {
			return fail(err)
		}
		b.LinesDone, b.Staged, b.Rejected = 0, 0, 0
		pf.opt.SkipThrough = 0
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fail(fmt.Errorf("run folder: %w", err))
	}

	prog := ImportProgress{BytesTotal: opt.Size, Staged: b.Staged, Rejected: b.Rejected, Line: b.LinesDone,
		Parts: b.Parts, PartsDone: b.MergedParts, Accepted: b.Accepted}
	readStart, readCPU := time.Now(), processCPU()
	if runs, err = im.readRuns(ctx, pf, w, dir, runs, b, &prog, opt.Progress); err != nil {
		return fail(err)
	}
	mergeStart, mergeCPU := time.Now(), processCPU()
	if err := im.mergeRuns(ctx, w, runs, b, takeOver, &prog, opt.Progress); err != nil {
		return fail(err)
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	if err := im.Store.FinishImport(ctx, b.Key, lease, ImportDone, "", im.Now()); err != nil {
		return fail(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		log.Warn("payment import: could not remove the sorted runs", "dir", dir, "err", err)
	}
	if res.Batch, err = im.Store.ImportBatch(ctx, b.ID); err != nil {
		return res, err
	}
	im.Notify.Publish(ctx, importNotices(res.Batch, im.Now())...)
	if res.Errors, err = im.Store.ImportErrors(ctx, b.Key, 0, opt.ReturnErrors); err != nil {
		return res, err
	}
	if res.UnknownProgrammes, err = im.Store.ImportProgrammes(ctx, b.Key); err != nil {
		return res, err
	}
	log.Info("payment import done", "accepted", res.Batch.Accepted, "duplicates", res.Batch.Duplicates, "rejected", res.Batch.Rejected,
		"hash_s", readStart.Sub(start).Seconds(), "read_s", mergeStart.Sub(readStart).Seconds(), "merge_s", time.Since(mergeStart).Seconds(),
		"hash_cpu_s", (readCPU - startCPU).Seconds(), "read_cpu_s", (mergeCPU - readCPU).Seconds(), "merge_cpu_s", (processCPU() - mergeCPU).Seconds())
	return res, nil
}

// openFile opens f as a workbook (.xlsx, told by its content) or as text.
func (im *PaymentImporter) openFile(f io.ReadSeeker, size int64, name string, opt PaymentFileOptions) (*PaymentFile, error) {
	head := make([]byte, 8)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("matching: payment file: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("matching: payment file: %w", err)
	}
	format, err := sniffFormat(head[:n], name)
	if err != nil {
		return nil, err
	}
	if format == "text" {
		return OpenPaymentFile(f, opt)
	}
	if opt.Pseudonymizer == nil || opt.Divisions == nil {
		return nil, errors.New("matching: payment file: pseudonymizer and divisions are required")
	}
	ra, ok := f.(io.ReaderAt)
	if im.OpenWorkbook == nil || !ok {
		return nil, &FileError{Key: KeyFileXLSXDisabled, Reason: "Excel files cannot be imported here; save the file as CSV (UTF-8) and import that"}
	}
	wb, err := im.OpenWorkbook(ra, size)
	if err != nil {
		var fe *FileError
		if errors.As(err, &fe) {
			return nil, err
		}
		return nil, &FileError{Key: KeyFileNotXLSX, Reason: "the file is not a readable Excel workbook (damaged, encrypted or renamed?)"}
	}
	pf, err := openWorkbookFile(wb, size, opt)
	if err != nil {
		_ = wb.Close()
		return nil, err
	}
	pf.closeWorkbook = wb.Close
	return pf, nil
}

func (im *PaymentImporter) tempDir() string {
	if im.TempDir != "" {
		return im.TempDir
	}
	return os.TempDir()
}

// committedRuns returns the runs of dir that the batch's progress counts,
// removing the others; nil if any counted run is missing.
func (im *PaymentImporter) committedRuns(dir string, b ImportBatch) ([]runFile, error) {
	if b.LinesDone == 0 {
		return nil, os.RemoveAll(dir)
	}
	all, err := listRuns(dir)
	if err != nil {
		return nil, fmt.Errorf("run folder: %w", err)
	}
	var runs []runFile
	var rows, last int64
	for _, r := range all {
		if r.lastLine > b.LinesDone {
			_ = os.Remove(r.path) // written, never committed
			continue
		}
		runs = append(runs, r)
		rows += r.rows
		last = max(last, r.lastLine)
	}
	if last != b.LinesDone || rows != b.Staged {
		return nil, os.RemoveAll(dir)
	}
	return runs, nil
}

// readItem is one record of the file as the reading goroutine passes it on.
type readItem struct {
	fields []string
	line   int64
	err    *RowError
}

// readBlock is a block of records, validated by one of the workers.
type readBlock struct {
	items     []readItem
	lastLine  int64
	bytesRead int64
	recs      []rec
	errs      []RowError
	named     map[kernel.Programme]*ProgrammeCount
	err       error
	done      chan struct{}
}

const readBlockRecords = 1024

// readAheadBlocks is how many blocks per worker the reader may split ahead
// of the collector (some 200 KB each).
const readAheadBlocks = 8

// readRuns reads the rest of the file: one goroutine splits it into
// records, Workers goroutines validate them and compute the pseudonyms, and
// this one collects the valid rows, in file order, into runs of ChunkRows
// (rows and rejected rows), each sorted, written to dir and then committed
// with the batch's progress and the rejected rows by a goroutine of its own
// while the next run fills. It returns every committed run of the batch.
func (im *PaymentImporter) readRuns(ctx context.Context, pf *PaymentFile, w PaymentWriter, dir string, runs []runFile,
	b ImportBatch, prog *ImportProgress, progress func(ImportProgress)) ([]runFile, error) {
	rctx, cancel := context.WithCancel(ctx)
	workers := im.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	// The reader runs up to readAhead blocks ahead of the collector, so
	// that a worker that is done finds the next block while another one
	// still validates the oldest (with 2 workers and 4 blocks ahead, the
	// workers were idle a quarter of the reading time).
	readAhead := readAheadBlocks * workers
	jobs := make(chan *readBlock, readAhead)
	order := make(chan *readBlock, readAhead)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel() // before the Wait: stops the reader
	wg.Add(1)
	go func() { // the reader
		defer wg.Done()
		defer close(order)
		defer close(jobs)
		var panicked error
		defer func() { // a panic: the collector fails the import
			if panicked != nil {
				blk := &readBlock{err: panicked, done: make(chan struct{})}
				close(blk.done)
				select {
				case order <- blk:
				case <-rctx.Done():
				}
			}
		}()
		defer recovery.Catch(im.Log, "payment import: reader", &panicked)
		for {
			blk := &readBlock{done: make(chan struct{})}
			eof := false
			for len(blk.items) < readBlockRecords {
				fields, line, rowErr, err := pf.NextRecord()
				if errors.Is(err, io.EOF) {
					eof = true
					break
				}
				if err != nil {
					blk.err = err
					eof = true
					break
				}
				blk.items = append(blk.items, readItem{fields: slices.Clone(fields), line: line, err: rowErr})
			}
			blk.lastLine, blk.bytesRead = pf.LastLine(), pf.BytesRead()
			select {
			case order <- blk:
			case <-rctx.Done():
				return
			}
			select {
			case jobs <- blk:
			case <-rctx.Done():
				return
			}
			if eof {
				return
			}
		}
	}()
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := pf.opt.Pseudonymizer.NewHasher()
			for blk := range jobs {
				if err := recovery.Run(im.Log, "payment import: validation", func() error {
					im.validateBlock(pf, blk, h)
					return nil
				}); err != nil {
					blk.err = err
				}
				close(blk.done)
			}
		}()
	}

	seq := 0
	if len(runs) > 0 {
		seq = runs[len(runs)-1].seq + 1
	}
	stored := min(b.Rejected, im.MaxStoredErrors)
	committed := b.LinesDone
	// Two run buffers: while one run is sorted, written and committed in
	// the background (its own goroutine, one run at a time, in order), the
	// next one fills. The bookkeeping of a committed run (runs, progress)
	// stays in this goroutine.
	size := min(im.ChunkRows, 1<<20) + readBlockRecords
	buf, spare := make([]rec, 0, size), make([]rec, 0, size)
	var errs []RowError
	var rejected int64
	named := map[kernel.Programme]*ProgrammeCount{}
	type runDone struct {
		rf                  runFile
		rs                  []rec
		rows, rej           int64
		lastLine, bytesRead int64
		err                 error
	}
	var inflight chan runDone
	// wait waits for the run in flight, if any, and books it.
	wait := func() error {
		if inflight == nil {
			return nil
		}
		d := <-inflight
		inflight = nil
		spare = d.rs[:0]
		if d.err != nil {
			return d.err
		}
		runs = append(runs, d.rf)
		committed = d.lastLine
		prog.Staged += d.rows
		prog.Rejected += d.rej
		prog.Line, prog.BytesRead = d.lastLine, d.bytesRead
		if progress != nil {
			progress(*prog)
		}
		return nil
	}
	defer func() { // an early return still waits for the writer
		if inflight != nil {
			<-inflight
		}
	}()
	// commit hands the collected run to the background writer; the run
	// file is durable before its commit, and runs commit in order.
	commit := func(lastLine, bytesRead int64) error {
		if err := wait(); err != nil {
			return err
		}
		d := runDone{rs: buf, rows: int64(len(buf)), rej: rejected, lastLine: lastLine, bytesRead: bytesRead}
		runErrs, runSeq, now := errs, seq, im.Now()
		var runNamed []ProgrammeCount
		for _, c := range named {
			runNamed = append(runNamed, *c)
		}
		seq++
		ch := make(chan runDone, 1)
		inflight = ch
		go func() {
			defer func() { ch <- d }()
			defer recovery.Catch(im.Log, "payment import: run writer", &d.err)
			rf, err := writeRun(dir, runSeq, lastLine, d.rs)
			if err != nil {
				d.err = fmt.Errorf("sorted run: %w", err)
			} else if err := w.CommitRead(ctx, d.rows, runErrs, runNamed, d.rej, lastLine, now); err != nil {
				d.err = err
			}
			d.rf = rf
		}()
		buf, spare = spare[:0], nil
		errs, rejected = nil, 0
		clear(named)
		return nil
	}
	var last, bytesRead int64
	for blk := range order {
		select {
		case <-blk.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if blk.err != nil {
			return nil, blk.err
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		buf = append(buf, blk.recs...)
		for p, c := range blk.named {
			if n := named[p]; n != nil {
				n.Rows += c.Rows
			} else {
				named[p] = c
			}
		}
		rejected += int64(len(blk.errs))
		for _, e := range blk.errs {
			if stored < im.MaxStoredErrors {
				errs = append(errs, e)
				stored++
			}
		}
		last, bytesRead = blk.lastLine, blk.bytesRead
		if len(buf)+int(rejected) >= im.ChunkRows {
			if err := commit(last, bytesRead); err != nil {
				return nil, err
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := wait(); err != nil {
		return nil, err
	}
	if last > committed || len(buf) > 0 || rejected > 0 {
		if err := commit(last, bytesRead); err != nil {
			return nil, err
		}
		if err := wait(); err != nil {
			return nil, err
		}
	}
	return runs, nil
}

// validateBlock validates the records of blk into sort records and
// rejected rows.
func (im *PaymentImporter) validateBlock(pf *PaymentFile, blk *readBlock, h *marketplace.PseudonymHasher) {
	var sum [32]byte
	blk.recs = make([]rec, 0, len(blk.items))
	for _, it := range blk.items {
		if it.err != nil {
			blk.errs = append(blk.errs, *it.err)
			continue
		}
		row, id, reason := pf.parse(it.fields)
		if reason != "" {
			blk.errs = append(blk.errs, RowError{Line: it.line, Error: reason})
			continue
		}
		row.Line = it.line
		if row.ProgrammeName != "" {
			if blk.named == nil {
				blk.named = map[kernel.Programme]*ProgrammeCount{}
			}
			countNamed(blk.named, &row)
		}
		var r rec
		if err := encodeRec(&r, &row, h.AppendSum(sum[:0], id)); err != nil {
			blk.err = err
			return
		}
		blk.recs = append(blk.recs, r)
	}
	blk.items = nil
}

// mergeRuns merges the runs into the record, part by part from the first
// part not merged, each part in one transaction in key order. A row whose
// key equals the previous one (the same payment twice in the file) is
// passed on once.
func (im *PaymentImporter) mergeRuns(ctx context.Context, w PaymentWriter, runs []runFile, b ImportBatch, takeOver bool,
	prog *ImportProgress, progress func(ImportProgress)) error {
	m, err := openMerger(runs)
	if err != nil {
		return fmt.Errorf("sorted runs: %w", err)
	}
	defer m.Close()
	// A goroutine of its own merges the runs and decodes the rows, ahead
	// of the database's work: a batch of rows at a time, and an empty batch
	// at the end of each part.
	type mergeBatch struct {
		part int
		rows []PaymentRow
		err  error
	}
	batches := make(chan mergeBatch, 4)
	done := make(chan struct{})
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(done) // before the Wait: stops the goroutine
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(batches)
		var panicked error
		defer func() { // a panic: the import fails
			if panicked != nil {
				select {
				case batches <- mergeBatch{err: panicked}:
				case <-done:
				}
			}
		}()
		defer recovery.Catch(im.Log, "payment import: merge", &panicked)
		send := func(mb mergeBatch) bool {
			select {
			case batches <- mb:
				return true
			case <-done:
				return false
			}
		}
		regions := map[string]string{}
		var prev [recKeySize]byte
		havePrev := false
		for part := b.MergedParts; part < b.Parts; part++ {
			for {
				out := make([]PaymentRow, 0, insertBatchRows)
				for len(out) < insertBatchRows {
					r := m.peek()
					if r == nil {
						break
					}
					p := partOfRec(r, b.Parts)
					if p > part {
						break
					}
					if p == part && !(havePrev && bytes.Equal(prev[:], r[:recKeySize])) {
						copy(prev[:], r[:recKeySize])
						havePrev = true
						out = append(out, decodeRec(r, regions))
					}
					if err := m.advance(); err != nil {
						send(mergeBatch{part: part, err: fmt.Errorf("sorted runs: %w", err)})
						return
					}
				}
				if len(out) == 0 {
					break
				}
				if !send(mergeBatch{part: part, rows: out}) {
					return
				}
			}
			if !send(mergeBatch{part: part}) {
				return
			}
		}
	}()
	for part := b.MergedParts; part < b.Parts; part++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		next := func() ([]PaymentRow, error) {
			mb, ok := <-batches
			switch {
			case !ok:
				return nil, errors.New("sorted runs: the merge stopped early")
			case mb.err != nil:
				return nil, mb.err
			case mb.part != part:
				return nil, fmt.Errorf("sorted runs: rows of part %d while merging part %d", mb.part, part)
			}
			return mb.rows, nil
		}
		n, err := w.InsertPart(ctx, part, next, takeOver, im.Now())
		if err != nil {
			return err
		}
		prog.Accepted += n
		prog.PartsDone = part + 1
		if progress != nil {
			progress(*prog)
		}
	}
	return nil
}

// insertBatchRows is how many rows InsertPart gets at a time.
const insertBatchRows = 2048

// partsFor is how many parts a file of size bytes is merged in: about
// 4 MB of file per part (some 50,000 rows: a transaction's pages stay well
// within the import's page cache), a power of two from 1 to 4096.
func (im *PaymentImporter) partsFor(size int64) int {
	if im.Parts > 0 {
		return min(im.Parts, 4096)
	}
	p := 1
	for p < 4096 && int64(p)*(4<<20) < size {
		p *= 2
	}
	return p
}

// hashFile returns the SHA-256 of what r reads (hex) and its size.
func hashFile(ctx context.Context, r io.Reader) (string, int64, error) {
	h := sha256.New()
	buf := make([]byte, 1<<20)
	var size int64
	for {
		if err := ctx.Err(); err != nil {
			return "", 0, err
		}
		n, err := r.Read(buf)
		h.Write(buf[:n])
		size += int64(n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", 0, fmt.Errorf("matching: import: read: %w", err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), size, nil
}
