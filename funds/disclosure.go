package funds

import (
	"context"
	"encoding/csv"
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
	if s.Divisions != nil {
		for i := range ds {
			ds[i].RegionName = s.Divisions.FullName(ds[i].RegionCode)
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
