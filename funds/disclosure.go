package funds

import (
	"context"
	"strings"

	"encoding/csv"
	"github.com/jiujinan/jiujinan/marketplace"
	"io"
	"strconv"
	"time"
)

// Disclosures returns the public register, filtered; each line carries the
// need's public id, category, coarse region, amount, fund or project, dates
// and notice period, and nothing personal.
func (s *Service) Disclosures(ctx context.Context, f DisclosureFilter) ([]Disclosure, error) {
	f.Limit, f.Offset = clampLimit(f.Limit), max(f.Offset, 0)
	ds, err := s.Store.Disclosures(ctx, f)
	if err != nil {
		return nil, err
	}
	if ds, err = s.withholdSources(ctx, ds); err != nil {
		return nil, err
	}
	if f.SourceID != "" {
		// A source whose name is withheld on a line is not to be found by
		// its id either: listing a county fund's lines would put the needs
		// back in its county.
		kept := ds[:0]
		for _, d := range ds {
			if d.SourceID != "" {
				kept = append(kept, d)
			}
		}
		ds = kept
	}
	if s.Divisions != nil {
		for i := range ds {
			ds[i].RegionName = s.Divisions.FullName(ds[i].RegionCode)
		}
	}
	return ds, nil
}

// SourcesShown reports, for each of names (organizations, funds or
// projects), whether a public surface may name it beside a need shown at
// region (marketplace.ShownOrg for every organization the name is, or
// holds it); a name nothing bears is not shown.
func (s *Service) SourcesShown(ctx context.Context, region string, names ...string) (map[string]bool, error) {
	regions, err := s.Store.NameRegions(ctx, names)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, n := range names {
		rs := regions[n]
		shown := len(rs) > 0
		for _, r := range rs {
			shown = shown && marketplace.ShownOrg(s.Divisions, r, region)
		}
		out[n] = shown
	}
	return out, nil
}

// withholdSources blanks the source (its name and id) of every line whose
// source is an organization, fund or project of a region that does not
// cover the line's region (marketplace.ShownOrg): naming a county's fund
// beside a need shown at 全国 would put the need back in its county. A
// name no organization or fund bears now is withheld too.
func (s *Service) withholdSources(ctx context.Context, ds []Disclosure) ([]Disclosure, error) {
	var names []string
	seen := map[string]bool{}
	for _, d := range ds {
		if d.SourceName != "" && !seen[d.SourceName] {
			seen[d.SourceName] = true
			names = append(names, d.SourceName)
		}
	}
	regions, err := s.Store.NameRegions(ctx, names)
	if err != nil {
		return nil, err
	}
	for i := range ds {
		d := &ds[i]
		if d.SourceName == "" {
			d.SourceID = ""
			continue
		}
		rs := regions[d.SourceName]
		shown := len(rs) > 0
		for _, r := range rs {
			shown = shown && marketplace.ShownOrg(s.Divisions, r, d.RegionCode)
		}
		if !shown {
			d.SourceName, d.SourceID = "", ""
		}
	}
	return ds, nil
}

// CSVField escapes a field so that a spreadsheet never runs it as a
// formula: a field starting with =, +, -, @, a tab, a carriage return or
// NUL gets a leading apostrophe.
func CSVField(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r', 0:
		return "'" + s
	}
	return s
}

// WriteDisclosuresCSV writes the register as CSV with a header row.
func WriteDisclosuresCSV(w io.Writer, ds []Disclosure) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "kind", "need_id", "category", "region_code", "region_name", "amount_fen", "source_type", "source_id", "source_name", "ref_id", "emergency", "notice_ends_at", "at"})
	for _, d := range ds {
		notice := ""
		if d.NoticeEndsAt != nil {
			notice = d.NoticeEndsAt.UTC().Format(time.RFC3339)
		}
		row := []string{d.PublicID, string(d.Kind), d.NeedID, d.Category, d.RegionCode, d.RegionName,
			strconv.FormatInt(d.AmountFen, 10), d.SourceType, d.SourceID, d.SourceName, d.RefID,
			strconv.FormatBool(d.Emergency), notice, d.At.UTC().Format(time.RFC3339)}
		for i := range row {
			// Amounts of refunds are negative numbers, not formulas: keep them.
			if i != 6 {
				row[i] = CSVField(row[i])
			}
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteLedgerCSV writes a source's books as CSV with a header row: the
// transaction, its kind, the amount in fen (negative for money out), the
// accounts on the other side, what it refers to, and when (UTC).
func WriteLedgerCSV(w io.Writer, lines []LedgerLine) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"transaction_id", "kind", "amount_fen", "counterparts", "ref_type", "ref_id", "at"})
	for _, l := range lines {
		row := []string{l.TxID, string(l.Kind), strconv.FormatInt(l.AmountFen, 10), strings.Join(l.Counterpart, " "),
			l.RefType, l.RefID, l.At.UTC().Format(time.RFC3339)}
		for i := range row {
			if i != 2 {
				row[i] = CSVField(row[i])
			}
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
