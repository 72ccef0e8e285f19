package web

import (
	"regexp"
	"strings"
)

// Why the payment import rejected a row, in the reader's language. The
// importer stores each reason as "column: detail" in English (the command
// line prints it, the API returns it, and it never holds the row's
// values); the verifier's page words it from the catalogue: the column's
// header name and the detail, by the detail's exact text or its pattern.

// rowReasonColumns are the columns a reason can start with, to their
// catalogue ids.
var rowReasonColumns = map[string]string{
	"id_number": "rowerr_col_id_number", "programme": "rowerr_col_programme", "amount": "rowerr_col_amount",
	"region_code": "rowerr_col_region_code", "period": "rowerr_col_period", "period_from": "rowerr_col_period_from",
	"period_to": "rowerr_col_period_to", "payment_date": "rowerr_col_payment_date", "malformed CSV": "rowerr_col_csv",
	"totals": "rowerr_col_totals",
}

// rowReasonDetails are the details, by their exact text.
var rowReasonDetails = map[string]string{
	"empty":                                "rowerr_empty",
	"negative":                             "rowerr_negative",
	"zero":                                 "rowerr_zero",
	"not a number":                         "rowerr_not_number",
	"more than two decimals":               "rowerr_decimals",
	"too large":                            "rowerr_too_large",
	"too large (more than 1,000,000 yuan)": "rowerr_too_large",
	"not digits":                           "rowerr_not_digits",
	"a 12-digit code finer than a town":    "rowerr_region_too_fine",
	"must have 6 digits (or 9 or 12)":      "rowerr_region_digits",
	"no such province":                     "rowerr_no_province",
	"not a date":                           "rowerr_not_date",
	"not a real date":                      "rowerr_not_real_date",
	"start not a date":                     "rowerr_start_not_date",
	"start not a real date":                "rowerr_start_not_date",
	"start empty":                          "rowerr_start_not_date",
	"end not a date":                       "rowerr_end_not_date",
	"end not a real date":                  "rowerr_end_not_date",
	"end empty":                            "rowerr_end_not_date",
	"ends before it starts":                "rowerr_ends_before",
	"before 1990":                          "rowerr_before_1990",
	"more than a year in the future":       "rowerr_future",
	"empty (no date or period)":            "rowerr_no_date",
	"holds a long number, not a programme name":      "rowerr_programme_number",
	"holds a control character":                      "rowerr_control",
	"must be 17 digits and a digit or X":             "rowerr_id_form",
	"birth date is not a real date":                  "rowerr_id_birth",
	"birth date is out of range":                     "rowerr_id_birth_range",
	"check character is wrong (GB 11643)":            "rowerr_id_check",
	"a quoted field is not closed (truncated line?)": "rowerr_csv_quote",
	`a " inside an unquoted field`:                   "rowerr_csv_bare_quote",
	"unreadable":                                     "rowerr_unreadable",
	"a totals row (合计, 总计 or 小计), not a payment":     "rowerr_totals",
	errLineTooLongText:                               "rowerr_line_too_long",
	"stored as a number in scientific form (3.7E+17), which has lost its last digits; format the column as text and enter the ID numbers again": "rowerr_id_scientific",
}

// errLineTooLongText is record's reason for a line over 64 KiB.
const errLineTooLongText = "is longer than 64 KiB (not a payment row; a line break missing?)"

// rowReasonPatterns are the details with numbers in them.
var rowReasonPatterns = []struct {
	re *regexp.Regexp
	id string
}{
	{regexp.MustCompile(`^has (\d+) fields, the header has (\d+)(?: \(truncated line\?\))?$`), "rowerr_fields"},
	{regexp.MustCompile(`^longer than (\d+) characters$`), "rowerr_longer"},
	{regexp.MustCompile(`^must have 18 characters, has (\d+)$`), "rowerr_id_length"},
}

// RowProblem words a rejected row's reason for the page.
func (p *page) RowProblem(reason string) string {
	col, detail := "", reason
	if c, d, ok := strings.Cut(reason, ": "); ok {
		if id, known := rowReasonColumns[c]; known {
			col, detail = p.T(id), d
		}
	}
	text := ""
	if id, ok := rowReasonDetails[detail]; ok {
		text = p.T(id)
	} else {
		for _, pat := range rowReasonPatterns {
			if m := pat.re.FindStringSubmatch(detail); m != nil {
				kv := []any{}
				for i, v := range m[1:] {
					kv = append(kv, string(rune('A'+i)), v)
				}
				text = p.Tf(pat.id, kv...)
				break
			}
		}
	}
	if text == "" {
		// A reason this table does not know (a newer importer): the column
		// in the reader's words and a general statement; the API and the
		// command line give the importer's own text.
		text = p.T("rowerr_other")
	}
	if col == "" {
		return text
	}
	return p.Tf("rowerr_in_column", "Column", col, "Problem", text)
}
