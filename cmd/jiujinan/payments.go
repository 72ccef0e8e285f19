package main

import (
	"archive/zip"
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jiujinan/jiujinan/matching/record"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/marketplace"
	rstore "github.com/jiujinan/jiujinan/matching/record/gormstore"
	"github.com/jiujinan/jiujinan/matching/record/paymentgen"
	"github.com/jiujinan/jiujinan/matching/record/xlsxsheet"
	"github.com/xuri/excelize/v2"
)

// PaymentImporter builds the importer of statutory payment files over the
// open database.
func (m *Main) PaymentImporter() (*record.PaymentImporter, error) {
	pz, err := marketplace.NewPseudonymizer(m.Secrets.PseudonymKey)
	if err != nil {
		return nil, err
	}
	// The sorted runs of an import live in the data folder: on the same
	// disk as the database, kept until the import is done, so that an
	// interrupted import resumes without reading the file again.
	return &record.PaymentImporter{Store: rstore.New(m.DB), Pseudonymizer: pz, Divisions: m.Divisions,
		Now: m.Now, NewID: newID, Log: m.Log, TempDir: filepath.Join(m.Config.DataDir, "import-runs"), OpenWorkbook: xlsxsheet.Open}, nil
}

// fileFirst moves a leading positional argument after the flags, so that
// both "cmd FILE --flag" and "cmd --flag FILE" work with package flag.
func fileFirst(args []string) []string {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return append(append([]string(nil), args[1:]...), args[0])
	}
	return args
}

func cmdImportPayments(ctx context.Context, args []string, stdout, stderr io.Writer, environ map[string]string) error {
	fs := newFlagSet("import-payments FILE", stderr, "Import a statutory payment file (CSV, UTF-8 or GBK, or an Excel .xlsx workbook; see docs/payment-import.md).\n"+
		"Importing the same file again adds nothing; an interrupted import is completed by running it again.")
	show := fs.Int("show", 20, "how many rejected rows to print")
	report := fs.String("report", "", "where to write every rejected row as CSV (default FILE.rejected.csv when any)")
	cfg, err := loadConfig(fs, fileFirst(args), environ)
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return &exitError{2, "import-payments: want exactly one FILE"}
	}
	path := fs.Arg(0)
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("import-payments: %v", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	m, err := Open(ctx, cfg, stderr, true)
	if err != nil {
		return err
	}
	defer m.Close()
	im, err := m.PaymentImporter()
	if err != nil {
		return err
	}
	pr := newProgressPrinter(stderr, st.Size())
	res, err := im.Import(ctx, f, record.ImportOptions{FileName: baseName(path), CreatedBy: "cli", Size: st.Size(),
		Progress: pr.update, ReturnErrors: *show})
	pr.done()
	if err != nil {
		var ve *kernel.ValidationError
		if errors.As(err, &ve) {
			return &exitError{1, "import-payments: " + ve.Fields["file"]}
		}
		if errors.Is(err, context.Canceled) {
			return &exitError{130, "import-payments: interrupted; nothing of this import is visible yet. Run the same command again to complete it."}
		}
		return err
	}
	b := res.Batch
	resumed := ""
	if res.Resumed {
		resumed = " (resumed an interrupted import)"
	}
	fmt.Fprintf(stdout, "batch %s: %s%s\n", b.ID, b.Status, resumed)
	fmt.Fprintf(stdout, "  accepted    %d\n  duplicates  %d (already on record)\n  rejected    %d\n", b.Accepted, b.Duplicates, b.Rejected)
	for _, u := range res.UnknownProgrammes {
		// Recorded, not rejected: screening counts them once its config
		// maps the name (docs/screening.md).
		fmt.Fprintf(stdout, "  unknown programme: %s × %d (recorded under its own name)\n", u.Name, u.Rows)
	}
	if b.Rejected == 0 {
		return nil
	}
	fmt.Fprintf(stdout, "first rejected rows:\n")
	for _, e := range res.Errors {
		fmt.Fprintf(stdout, "  line %d: %s\n", e.Line, e.Error)
	}
	out := *report
	if out == "" {
		out = path + ".rejected.csv"
	}
	n, err := writeRejected(ctx, m, b, out)
	if err != nil {
		return fmt.Errorf("import-payments: report: %w", err)
	}
	more := ""
	if n < b.Rejected {
		more = fmt.Sprintf(" (the first %d stored of %d)", n, b.Rejected)
	}
	fmt.Fprintf(stdout, "every rejected row%s: %s\n", more, out)
	fmt.Fprintf(stdout, "also at GET /api/v1/statutory-payments/imports/%s\n", b.ID)
	return nil
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

// writeRejected writes the batch's stored rejected rows (line, reason;
// never a value of the row) to path.
func writeRejected(ctx context.Context, m *Main, b record.ImportBatch, path string) (int64, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "line,error")
	st := rstore.New(m.DB)
	var n, after int64
	for {
		errs, err := st.ImportErrors(ctx, b.Key, after, 5000)
		if err != nil {
			return n, err
		}
		for _, e := range errs {
			fmt.Fprintf(w, "%d,%q\n", e.Line, e.Error)
		}
		n += int64(len(errs))
		if len(errs) < 5000 {
			break
		}
		after = errs[len(errs)-1].Line
	}
	if err := w.Flush(); err != nil {
		return n, err
	}
	return n, f.Close()
}

// progressPrinter shows an import's progress on stderr: a bar redrawn in
// place on a terminal, a plain line every few seconds otherwise.
type progressPrinter struct {
	mu       sync.Mutex
	w        io.Writer
	tty      bool
	size     int64
	start    time.Time
	last     time.Time
	drawn    bool
	lastProg record.ImportProgress
}

func newProgressPrinter(w io.Writer, size int64) *progressPrinter {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return &progressPrinter{w: w, tty: tty, size: size, start: time.Now()}
}

func (p *progressPrinter) update(pr record.ImportProgress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lastProg = pr
	now := time.Now()
	every := 5 * time.Second
	if p.tty {
		every = 200 * time.Millisecond
	}
	if now.Sub(p.last) < every {
		return
	}
	p.last = now
	p.print(now, false)
}

func (p *progressPrinter) print(now time.Time, final bool) {
	pr := p.lastProg
	secs := max(now.Sub(p.start).Seconds(), 0.001)
	frac := 0.0
	var counts string
	if pr.PartsDone == 0 {
		// Reading (and sorting) counts for 40% of the bar, merging for 60%:
		// about how the time splits on SQLite.
		if p.size > 0 {
			frac = 0.4 * min(float64(pr.BytesRead)/float64(p.size), 1)
		}
		counts = fmt.Sprintf("reading: %d rows (%d rejected), %.0f rows/s", pr.Staged+pr.Rejected, pr.Rejected, float64(pr.Staged+pr.Rejected)/secs)
	} else {
		frac = 0.4 + 0.6*float64(pr.PartsDone)/float64(max(pr.Parts, 1))
		counts = fmt.Sprintf("merging: part %d of %d, %d rows added", pr.PartsDone, pr.Parts, pr.Accepted)
	}
	if final {
		frac = 1
	}
	if p.tty {
		const width = 30
		fill := int(frac * width)
		fmt.Fprintf(p.w, "\r\x1b[K[%s%s] %3.0f%% %s", strings.Repeat("█", fill), strings.Repeat("░", width-fill), frac*100, counts)
		p.drawn = true
		return
	}
	fmt.Fprintf(p.w, "import: %3.0f%% %s\n", frac*100, counts)
}

func (p *progressPrinter) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.drawn {
		p.print(time.Now(), true)
		fmt.Fprintln(p.w)
	}
}

func cmdGenPayments(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("gen-payments", stderr, "Write a deterministic, realistic statutory payment file (test data) to standard output.")
	rows := fs.Int64("rows", 1000, "data rows to write")
	seed := fs.Uint64("seed", 1, "random seed: the same seed gives the same file")
	bad := fs.Float64("bad-share", 0.01, "share of malformed rows, 0 to 1")
	enc := fs.String("encoding", "utf8", "utf8 or gbk (CSV only)")
	format := fs.String("format", "csv", "csv, or xlsx: the same rows as an Excel workbook (for the import benchmark)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *rows < 0 || *bad < 0 || *bad > 1 {
		return &exitError{2, "gen-payments: --rows must be ≥ 0 and --bad-share within 0..1"}
	}
	opt := paymentgen.Options{Rows: *rows, Seed: *seed, BadShare: *bad, Encoding: *enc}
	switch *format {
	case "csv":
		return paymentgen.Write(stdout, opt)
	case "xlsx":
		return genPaymentsXLSX(stdout, opt)
	}
	return &exitError{2, "gen-payments: --format must be csv or xlsx"}
}

// genPaymentsXLSX writes the generator's rows as a workbook, every cell the
// CSV's text (the ID number as text, as a careful county export stores
// it), so that importing it accepts and refuses the same rows as the CSV.
// The paymentgen package stays free of excelize (a domain package); the
// rows stream through a pipe into excelize's StreamWriter, and the zip to w.
func genPaymentsXLSX(w io.Writer, opt paymentgen.Options) error {
	opt.Encoding = "utf8"
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(paymentgen.Write(pw, opt)) }()
	defer pr.Close()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return err
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49})
	if err != nil {
		return err
	}
	cr := csv.NewReader(pr)
	cr.FieldsPerRecord = -1
	cells := make([]any, 0, 8)
	for row := 1; ; row++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("gen-payments: %w", err)
		}
		cells = cells[:0]
		for i, v := range rec {
			if i == 0 {
				cells = append(cells, excelize.Cell{StyleID: text, Value: v})
			} else {
				cells = append(cells, v)
			}
		}
		cell, _ := excelize.CoordinatesToCellName(1, row)
		if err := sw.SetRow(cell, cells); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	// Excelize's Write builds the whole zip in memory; its zip writer hook
	// writes it to w as it is made instead.
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(w) })
	return f.Write(io.Discard)
}
