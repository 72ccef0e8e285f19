package record

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/recovery"
)

// KeySealer seals the key of an upload's spool with the service's data
// keys (marketplace.Cipher), so that the key kept in the database opens
// the spool only together with the secrets file.
type KeySealer interface {
	Seal(plaintext, ad []byte) (ciphertext []byte, keyID string, err error)
	Open(ciphertext []byte, keyID string, ad []byte) ([]byte, error)
}

// ImportJobs runs the imports of uploaded files (the verifier's page and
// the API) as the same database-backed job as an import from the command
// line: the batch. An upload is streamed into a kept, sealed Spool in Dir
// (never a plaintext copy on disk); its import runs in the background,
// under the service's context rather than the request's; the batch
// records the spool (its key sealed) until the import is done, when the
// spool is removed. After a crash or a restart the instance that holds the
// spool resumes the batch (Resume, RunResumer); a batch whose lease lapsed
// and whose spool is elsewhere shows as stalled until someone uploads the
// same file again or its instance comes back.
type ImportJobs struct {
	Importer *PaymentImporter
	Keys     KeySealer
	// Dir is this instance's upload folder (mode 0700).
	Dir string
	// MaxAttempts bounds the runs RunResumer starts on its own for one
	// batch; default 5. A verifier can still resume by hand.
	MaxAttempts int
	Log         *slog.Logger

	base   context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	active map[string]bool // spool files being imported here
}

// JobResult is how a background import ended.
type JobResult struct {
	Result ImportResult
	Err    error
}

// Start makes the jobs' background context; Stop cancels it and waits for
// the running imports to leave their batches failed (resumable).
func (j *ImportJobs) Start(ctx context.Context) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.Log == nil {
		j.Log = slog.Default()
	}
	if j.MaxAttempts <= 0 {
		j.MaxAttempts = 5
	}
	j.base, j.cancel = context.WithCancel(context.WithoutCancel(ctx))
	j.active = map[string]bool{}
}

// Stop cancels the running imports and waits for them.
func (j *ImportJobs) Stop() {
	j.mu.Lock()
	cancel := j.cancel
	j.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	j.wg.Wait()
}

// Drain waits until no import runs in this process (tests, and an
// orderly stop after Stop).
func (j *ImportJobs) Drain() { j.wg.Wait() }

func (j *ImportJobs) started() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.base != nil
}

// Upload streams r (the uploaded file, named name) into a kept sealed
// spool and starts its import in the background. It returns once the
// file's header is read and its batch claimed: the batch, and a channel
// that receives the import's end. A file refused whole (no header, an .xls
// file) is the error and leaves nothing behind; so is ErrConflict when the
// same file is being imported elsewhere.
func (j *ImportJobs) Upload(ctx context.Context, r io.Reader, name, by string) (ImportBatch, <-chan JobResult, error) {
	if !j.started() {
		return ImportBatch{}, nil, errors.New("matching: import jobs are not started")
	}
	sp, err := CreateSpool(j.Dir)
	if err != nil {
		return ImportBatch{}, nil, err
	}
	if _, err := io.Copy(sp, r); err != nil {
		j.discard(sp)
		return ImportBatch{}, nil, err
	}
	if err := sp.Finish(); err != nil {
		j.discard(sp)
		return ImportBatch{}, nil, err
	}
	key, kid, err := j.Keys.Seal(sp.Key(), []byte(sp.Name()))
	if err != nil {
		j.discard(sp)
		return ImportBatch{}, nil, fmt.Errorf("matching: upload: %w", err)
	}
	up := ImportUpload{File: sp.Name(), Key: key, KeyID: kid, Size: sp.Size()}
	return j.run(ctx, sp, up, name, by)
}

// Resume starts again, in the background, the import of a batch whose
// upload this instance keeps: ErrNotFound when the batch does not exist,
// a refusal when it is done, keeps no upload here, or is running.
func (j *ImportJobs) Resume(ctx context.Context, id, by string) (ImportBatch, <-chan JobResult, error) {
	if !j.started() {
		return ImportBatch{}, nil, errors.New("matching: import jobs are not started")
	}
	b, err := j.Importer.Store.ImportBatch(ctx, id)
	if err != nil {
		return ImportBatch{}, nil, err
	}
	if b.Status == ImportDone {
		return ImportBatch{}, nil, kernel.Refuse(kernel.ErrConflict, "refusal_import_done", nil, "the import %s is done", id)
	}
	if !j.HoldsUpload(b) {
		return ImportBatch{}, nil, kernel.Refuse(kernel.ErrConflict, "refusal_import_no_upload", nil,
			"the uploaded file of import %s is not kept here: upload the same file again to resume it", id)
	}
	key, err := j.Keys.Open(b.Upload.Key, b.Upload.KeyID, []byte(b.Upload.File))
	if err != nil {
		return ImportBatch{}, nil, fmt.Errorf("matching: resume import %s: the spool's key: %w", id, err)
	}
	sp, err := OpenSpool(j.Dir, b.Upload.File, key)
	if err != nil {
		return ImportBatch{}, nil, err
	}
	if sp.Size() != b.Upload.Size {
		sp.Close()
		return ImportBatch{}, nil, fmt.Errorf("matching: resume import %s: the spool holds %d bytes, not %d", id, sp.Size(), b.Upload.Size)
	}
	return j.run(ctx, sp, b.Upload, b.FileName, by)
}

// HoldsUpload reports whether this instance keeps the batch's upload.
func (j *ImportJobs) HoldsUpload(b ImportBatch) bool {
	if b.Upload.File == "" || !validSpoolName(b.Upload.File) {
		return false
	}
	_, err := os.Stat(filepath.Join(j.Dir, b.Upload.File))
	return err == nil
}

// Running reports whether the batch's import runs in this process.
func (j *ImportJobs) Running(b ImportBatch) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return b.Upload.File != "" && j.active[b.Upload.File]
}

// run imports the spool in the background and waits until its batch is
// claimed or the import has ended.
func (j *ImportJobs) run(ctx context.Context, sp *Spool, up ImportUpload, name, by string) (ImportBatch, <-chan JobResult, error) {
	j.mu.Lock()
	if j.active[up.File] {
		j.mu.Unlock()
		sp.Close()
		return ImportBatch{}, nil, kernel.Refuse(kernel.ErrConflict, "refusal_import_running", nil, "this upload is being imported")
	}
	j.active[up.File] = true
	base := j.base
	j.wg.Add(1)
	j.mu.Unlock()

	claimed := make(chan ImportBatch, 1)
	done := make(chan JobResult, 1)
	go func() {
		defer j.wg.Done()
		defer func() {
			j.mu.Lock()
			delete(j.active, up.File)
			j.mu.Unlock()
		}()
		var res ImportResult
		var batchKey int64
		err := recovery.Run(j.Log, "payment import job", func() (err error) {
			defer sp.Close()
			res, err = j.Importer.Import(base, sp, ImportOptions{FileName: name, CreatedBy: by, Size: sp.Size(), Source: SourceWeb,
				ReturnErrors: 1000, Started: func(b ImportBatch) error {
					batchKey = b.Key
					old, err := j.Importer.Store.SetImportUpload(base, b.Key, up)
					if err != nil {
						return err
					}
					if old.File != "" && old.File != up.File {
						j.removeSpool(old.File)
					}
					b.Upload, b.Attempts = up, b.Attempts+1
					claimed <- b
					return nil
				}})
			return err
		})
		switch {
		case err == nil:
			// Done: the spool is of no more use.
			cctx, cancel := context.WithTimeout(context.WithoutCancel(base), 10*time.Second)
			if cerr := j.Importer.Store.ClearImportUpload(cctx, res.Batch.Key, up.File); cerr != nil {
				j.Log.Warn("payment import job: could not forget the upload (removed at the next sweep)", "batch", res.Batch.ID, "err", cerr)
			}
			cancel()
			j.removeSpool(up.File)
		case batchKey == 0:
			// Refused before a batch was claimed: nothing to resume.
			j.removeSpool(up.File)
		default:
			// Kept sealed for a resume.
			j.Log.Warn("payment import job stopped; its upload is kept sealed for a resume", "err", err)
		}
		done <- JobResult{Result: res, Err: err}
	}()
	select {
	case b := <-claimed:
		return b, done, nil
	case r := <-done:
		if r.Err != nil {
			return ImportBatch{}, nil, r.Err
		}
		// Cannot happen (a done import was claimed first), but answer it.
		ch := make(chan JobResult, 1)
		ch <- r
		return r.Result.Batch, ch, nil
	case <-ctx.Done():
		// The import goes on; the caller is gone.
		return ImportBatch{}, nil, ctx.Err()
	}
}

func (j *ImportJobs) discard(sp *Spool) {
	sp.Close()
	j.removeSpool(sp.Name())
}

func (j *ImportJobs) removeSpool(name string) {
	if !validSpoolName(name) {
		return
	}
	if err := os.Remove(filepath.Join(j.Dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		j.Log.Warn("payment import job: could not remove a spool", "file", name, "err", err)
	}
}

// ResumeStalled is one round of RunResumer: it removes the spools of done
// batches and those no batch knows (older than orphanAge: an upload being
// written is younger), and resumes, in the background, every unfinished
// batch whose spool is here, that is not running (its lease lapsed), and
// that has run fewer than MaxAttempts times. It returns how many it
// resumed.
func (j *ImportJobs) ResumeStalled(ctx context.Context, orphanAge time.Duration) (int, error) {
	if !j.started() {
		return 0, errors.New("matching: import jobs are not started")
	}
	im := j.Importer
	bs, err := im.Store.ImportsWithUploads(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, b := range bs {
		if !j.HoldsUpload(b) || j.Running(b) {
			continue
		}
		switch {
		case b.Status == ImportDone:
			if err := im.Store.ClearImportUpload(ctx, b.Key, b.Upload.File); err != nil {
				return n, err
			}
			j.removeSpool(b.Upload.File)
			continue
		case b.Status == ImportRunning && !im.Stale(b):
			continue // running elsewhere
		case b.Attempts >= j.MaxAttempts:
			continue
		}
		if _, _, err := j.Resume(ctx, b.ID, b.CreatedBy); err != nil {
			var ref *kernel.Refusal
			if errors.As(err, &ref) {
				continue // claimed by another instance meanwhile
			}
			j.Log.Warn("payment import job: could not resume", "batch", b.ID, "err", err)
			continue
		}
		j.Log.Info("payment import job resumed", "batch", b.ID, "attempt", b.Attempts+1)
		n++
	}
	return n, j.sweep(ctx, orphanAge)
}

// sweep removes the spools of Dir that no batch keeps and that were not
// written for orphanAge.
func (j *ImportJobs) sweep(ctx context.Context, orphanAge time.Duration) error {
	es, err := os.ReadDir(j.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("matching: upload folder: %w", err)
	}
	for _, e := range es {
		name := e.Name()
		if !strings.HasSuffix(name, spoolSuffix) || !validSpoolName(name) {
			continue
		}
		j.mu.Lock()
		active := j.active[name]
		j.mu.Unlock()
		if active {
			continue
		}
		info, err := e.Info()
		// The file's age by the wall clock, as its mtime is.
		if err != nil || time.Since(info.ModTime()) < orphanAge {
			continue
		}
		known, err := j.Importer.Store.UploadKnown(ctx, name)
		if err != nil {
			return err
		}
		if !known {
			j.removeSpool(name)
		}
	}
	return nil
}

// RunResumer calls ResumeStalled at once and then every interval until
// ctx ends; a failing round is logged, never fatal.
func (j *ImportJobs) RunResumer(ctx context.Context, interval time.Duration) {
	for {
		err := recovery.Run(j.Log, "payment import resumer", func() error {
			_, err := j.ResumeStalled(ctx, time.Hour)
			return err
		})
		if err != nil && ctx.Err() == nil {
			j.Log.Warn("payment import resumer", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}
