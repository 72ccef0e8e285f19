package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/kernel"
)

// cliActor is who the audit log says exported from the command line.
const cliActor = "cli"

// cmdExportCharityAid writes the charity aid of a region and a period, the
// file GET /api/v1/charity-aid sends a verifier, for a scheduled exchange
// with civil affairs. It runs as the system: no user signs in, the host and
// its keys are the authority, and the audit log names it "cli".
func cmdExportCharityAid(ctx context.Context, args []string, stdout, stderr io.Writer, environ map[string]string) error {
	fs := newFlagSet("export-charity-aid --region CODE --from YYYY-MM-DD --to YYYY-MM-DD [--format csv|xlsx] --out FILE", stderr,
		"Write what charity money reached which household in a region and a period (the file of GET /api/v1/charity-aid)\n"+
			"for civil affairs. The file holds names and ID numbers: it is written with mode 0600, to a temporary file\n"+
			"beside FILE that is renamed to FILE only when complete. Every export is an audit entry (who: cli).")
	region := fs.String("region", "", "region code, or a prefix of one (e.g. 371725)")
	from := fs.String("from", "", "first day, YYYY-MM-DD (China time)")
	to := fs.String("to", "", "last day, YYYY-MM-DD (China time), included")
	format := fs.String("format", "csv", "csv (UTF-8 with a BOM) or xlsx")
	out := fs.String("out", "", "the file to write")
	cfg, err := loadConfig(fs, args, environ)
	if err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return &exitError{2, "export-charity-aid: unexpected argument " + fs.Arg(0)}
	}
	if *out == "" {
		return &exitError{2, "export-charity-aid: --out FILE is required"}
	}
	f, err := funds.ParseAidFilter(*region, *from, *to, *format)
	var ve *kernel.ValidationError
	if errors.As(err, &ve) {
		var reasons []string
		for _, k := range sortedFields(ve.Fields) {
			reasons = append(reasons, "--"+k+" "+ve.Fields[k])
		}
		return &exitError{2, "export-charity-aid: " + strings.Join(reasons, "; ")}
	}
	m, err := Open(ctx, cfg, stderr, false)
	if err != nil {
		return err
	}
	defer m.Close()
	n, err := writeAtomically(*out, func(dir string, w io.Writer) (int, error) {
		return m.CharityAid().ExportAsSystem(ctx, cliActor, f, w)
	})
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return &exitError{130, "export-charity-aid: interrupted; " + *out + " was not written"}
		}
		return fmt.Errorf("export-charity-aid: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %d rows (%s, %s to %s) to %s\n", n, f.Region, f.From.Format("2006-01-02"), f.To.Format("2006-01-02"), *out)
	return nil
}

// writeAtomically has write fill a temporary file (mode 0600) in the folder
// of path and renames it to path when write and the flush succeed: a crash
// or an error never leaves a half file under the final name. write gets
// the folder, for its own temporary files.
func writeAtomically(path string, write func(dir string, w io.Writer) (int, error)) (n int, err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	// CreateTemp makes it 0600 already; say it whatever the platform.
	if err = tmp.Chmod(0o600); err != nil {
		return 0, err
	}
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if n, err = write(dir, bw); err != nil {
		return n, err
	}
	if err = bw.Flush(); err != nil {
		return n, err
	}
	if err = tmp.Sync(); err != nil {
		return n, err
	}
	if err = tmp.Close(); err != nil {
		return n, err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return n, err
	}
	// The rename itself survives a crash once the folder is synced.
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		d.Close()
	}
	return n, nil
}

// sortedFields returns the fields of a validation error in order.
func sortedFields(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
