package record

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// Payment is one payment of the statutory payment record (政府救助发放记录)
// as screening sees it: never who it went to, only the programme, amount,
// period and issuing region. ID is derived from the payment's identity (see
// PaymentID), so the same payment has the same id in every import.
type Payment struct {
	ID         string
	Programme  kernel.Programme
	AmountFen  int64
	From, To   time.Time // calendar dates (UTC midnight), both inclusive
	RegionCode string
	// Pseudonym is the pseudonym of the person paid, for the reader to
	// tell whose payment it is (screening reads a household's): internal,
	// never shown.
	Pseudonym string
}

// PaymentReader is what screening reads of the statutory payment record.
type PaymentReader interface {
	// PaymentsFor returns the payments to the person with this pseudonym
	// whose period overlaps [from, to] (calendar dates, both inclusive),
	// oldest first. Only payments of completed imports are returned; none
	// is not an error.
	PaymentsFor(ctx context.Context, pseudonym string, from, to time.Time) ([]Payment, error)
	// PaymentsForAny is PaymentsFor of several people at once (the members
	// of a household) in one read: each payment's Pseudonym says whose it
	// is. A pseudonym given twice counts once.
	PaymentsForAny(ctx context.Context, pseudonyms []string, from, to time.Time) ([]Payment, error)
}

// PaymentRow is one validated row of an import, ready to be stored: the ID
// number has already become the pseudonym.
type PaymentRow struct {
	// Line is the line of the file the row starts on (1 is the header).
	Line      int64
	Pseudonym string
	Programme kernel.Programme
	// ProgrammeName is the normalized name of a programme recorded under
	// its own name (Programme.Named), else empty.
	ProgrammeName string
	AmountFen     int64
	From, To      time.Time
	RegionCode    string
}

// PaymentID is the public id of a payment: 32 hex characters of a SHA-256
// of its identity (pseudonym, programme, period, amount, region). It is
// stable across imports and reveals nothing of the person.
func PaymentID(pseudonym string, p kernel.Programme, from, to time.Time, amountFen int64, region string) string {
	h := sha256.New()
	var b []byte
	b = append(b, pseudonym...)
	b = append(b, '|')
	b = append(b, p...)
	b = append(b, '|')
	b = from.AppendFormat(b, time.DateOnly)
	b = append(b, '|')
	b = to.AppendFormat(b, time.DateOnly)
	b = append(b, '|')
	b = strconv.AppendInt(b, amountFen, 10)
	b = append(b, '|')
	b = append(b, region...)
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// ImportStatus is the state of an import batch. Rows of a batch are visible
// to screening only once it is done.
type ImportStatus string

// The states of an import batch.
const (
	ImportRunning ImportStatus = "running"
	ImportDone    ImportStatus = "done"
	ImportFailed  ImportStatus = "failed"
)

// ImportBatch is one import of one payment file.
type ImportBatch struct {
	// Key is the row id, internal to the store; ID is the public id.
	Key        int64
	ID         string
	FileSHA256 string
	FileName   string
	Status     ImportStatus
	// LinesDone is the last line whose row (or rejection) is committed: a
	// rerun of the same file resumes after it.
	LinesDone int64
	// Parts is how many parts the batch's rows are merged in; MergedParts
	// how many are merged; Staged how many valid rows were read.
	Parts       int
	MergedParts int
	Staged      int64
	Accepted    int64
	Duplicates  int64
	Rejected    int64
	// CreatedBy is the public id of the user, or "cli".
	CreatedBy string
	// Source is where the file came from: SourceCLI or SourceWeb.
	Source string
	// Upload is the sealed copy of an uploaded file kept until its import
	// is done (zero when none); Attempts counts the batch's runs.
	Upload     ImportUpload
	Attempts   int
	Error      string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	FinishedAt *time.Time
}

// Where an import's file came from.
const (
	SourceCLI = "cli"
	SourceWeb = "web"
)

// ImportUpload is the sealed copy of an uploaded file (a kept Spool): its
// file name in the upload folder, its key sealed with the service's data
// key KeyID, and its size.
type ImportUpload struct {
	File  string
	Key   []byte
	KeyID string
	Size  int64
}

// RowError is a rejected row: its line and why. The reason never repeats
// the row's values (they may hold an ID number).
type RowError struct {
	Line  int64  `json:"line"`
	Error string `json:"error"`
}

// ProgrammeCount is how many valid rows of an import named a programme
// that the record holds under its own name (kernel.Programme.Named).
type ProgrammeCount struct {
	Programme kernel.Programme `json:"programme"`
	Name      string           `json:"name"`
	Rows      int64            `json:"rows"`
}

// countNamed adds the named programmes of rows to counts.
func countNamed(counts map[kernel.Programme]*ProgrammeCount, row *PaymentRow) {
	if row.ProgrammeName == "" {
		return
	}
	c := counts[row.Programme]
	if c == nil {
		c = &ProgrammeCount{Programme: row.Programme, Name: row.ProgrammeName}
		counts[row.Programme] = c
	}
	c.Rows++
}

// PaymentImportStore stores the statutory payment record and its imports.
type PaymentImportStore interface {
	PaymentReader
	// ClaimImport returns the batch to import the file with this SHA-256
	// into, leased to lease: an unfinished batch of the same file that
	// failed or was not heard of since staleBefore is resumed (resumed
	// true); otherwise nb (with its Parts) is created. ErrConflict when an
	// import of the same file is running elsewhere.
	ClaimImport(ctx context.Context, nb ImportBatch, lease string, staleBefore time.Time) (b ImportBatch, resumed bool, err error)
	// OpenPaymentWriter returns a writer of the batch's rows on a
	// database connection of its own; the caller must Close it.
	OpenPaymentWriter(ctx context.Context, batchKey int64, lease string) (PaymentWriter, error)
	// FinishImport sets the batch's final status (done or failed) and
	// error; a done batch's duplicates are its staged rows not added, and
	// it keeps no upload.
	FinishImport(ctx context.Context, batchKey int64, lease string, status ImportStatus, errText string, now time.Time) error
	// OtherUnfinished reports whether a batch other than batchKey is not done.
	OtherUnfinished(ctx context.Context, batchKey int64) (bool, error)
	// ImportBatch returns a batch by public id; ErrNotFound if none.
	ImportBatch(ctx context.Context, id string) (ImportBatch, error)
	// ImportBatches lists batches, newest first.
	ImportBatches(ctx context.Context, limit int) ([]ImportBatch, error)
	// ImportErrors returns up to limit rejected rows of a batch after line
	// afterLine, in line order.
	ImportErrors(ctx context.Context, batchKey int64, afterLine int64, limit int) ([]RowError, error)
	// ImportProgrammes returns how many valid rows of a batch named each
	// programme that the record holds under its own name, most rows first.
	ImportProgrammes(ctx context.Context, batchKey int64) ([]ProgrammeCount, error)
	// SetImportUpload records up as the batch's upload and counts a run
	// (attempts + 1), and returns the upload it replaces (zero if none).
	SetImportUpload(ctx context.Context, batchKey int64, up ImportUpload) (old ImportUpload, err error)
	// ClearImportUpload forgets the batch's upload if it is still file.
	ClearImportUpload(ctx context.Context, batchKey int64, file string) error
	// ImportsWithUploads lists the batches that keep an upload, oldest first.
	ImportsWithUploads(ctx context.Context) ([]ImportBatch, error)
	// UploadKnown reports whether a batch keeps the upload file.
	UploadKnown(ctx context.Context, file string) (bool, error)
}

// PaymentWriter stages the rows of one import and merges them.
type PaymentWriter interface {
	// WriteChunk stages rows and stores errs in one transaction with the
	// batch's progress: linesDone and the counters (rejected counts every
	// rejected row of the chunk, stored in errs or not), and the names and
	// counts of the rows' named programmes. ErrConflict when the batch's
	// lease was lost.
	WriteChunk(ctx context.Context, rows []PaymentRow, errs []RowError, rejected, linesDone int64, now time.Time) error
	// MergePart moves the staged rows of one part into the record in key
	// order, ignoring those already on record, deletes them from the stage
	// and counts the part merged, in one transaction, and returns how many
	// rows it added. With takeOver, rows already on record from another
	// unfinished batch are moved to this one and count as added.
	// ErrConflict when the lease was lost.
	MergePart(ctx context.Context, part int, takeOver bool, now time.Time) (int64, error)
	// CommitRead stores errs in one transaction with the batch's progress
	// while reading a file whose valid rows the importer keeps itself
	// (sorted runs): linesDone and the counters (staged valid rows,
	// rejected every rejected row, stored in errs or not), and named: the
	// names of the programmes recorded under their own name and how many
	// of the staged rows named each. ErrConflict when the batch's lease was
	// lost; an error when a name's code is another name's already.
	CommitRead(ctx context.Context, staged int64, errs []RowError, named []ProgrammeCount, rejected, linesDone int64, now time.Time) error
	// RestartRead forgets what was read of the batch (lines done, staged
	// and rejected counts, stored errors, staged rows, named programme
	// counts) so that the file is
	// read again from its start; merged parts stay merged.
	RestartRead(ctx context.Context) error
	// InsertPart adds the rows of one part, which next returns in key order
	// a slice at a time (nil at the part's end), to the record, ignoring
	// those already on record, and counts the part merged, in one
	// transaction, and returns how many rows it added. With takeOver, rows
	// already on record from another unfinished batch are moved to this
	// one and count as added. ErrConflict when the lease was lost or the
	// part is not the next to merge.
	InsertPart(ctx context.Context, part int, next func() ([]PaymentRow, error), takeOver bool, now time.Time) (int64, error)
	// Close releases the connection.
	Close() error
}

// PartOf is the part of a batch of parts (a power of two up to 4096) that
// a row with this pseudonym (hex) is merged in: its leading bits.
func PartOf(pseudonym string, parts int) int {
	if parts <= 1 || len(pseudonym) < 2 {
		return 0
	}
	var b [2]byte
	n := min(len(pseudonym), 4) &^ 1
	if _, err := hex.Decode(b[:], []byte(pseudonym[:n])); err != nil {
		return 0
	}
	return partOfBytes(b[0], b[1], parts)
}

// partOfBytes is PartOf of a pseudonym whose first two bytes are b0, b1.
func partOfBytes(b0, b1 byte, parts int) int {
	if parts <= 1 {
		return 0
	}
	shift := 16
	for p := parts; p > 1; p >>= 1 {
		shift--
	}
	return (int(b0)<<8 | int(b1)) >> shift
}
