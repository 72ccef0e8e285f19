package record_test

import (
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/matching/record"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// A stray quote, a line longer than the limit and a line of 100,000
// columns are rejected rows with a reason; the rest of the file imports,
// and sending the same file again neither crashes nor adds anything.
func TestImportRejectsUnreadableLinesAndImportsTheRest(t *testing.T) {
	const header = "身份证号,救助类别,金额,发放日期,行政区划代码\n"
	row := func(id, region string) string { return id + ",低保金,850,2026-01," + region + "\n" }
	cases := []struct {
		name     string
		data     string
		accepted int64
		errLines map[int64]string
	}{
		{
			name:     "unclosed quote on the last line",
			data:     header + row(idA, "371725") + "\"1\n",
			accepted: 1,
			errLines: map[int64]string{3: "quoted field is not closed"},
		},
		{
			name:     "unclosed quote alone",
			data:     header + "\"1\n",
			errLines: map[int64]string{2: "quoted field is not closed"},
		},
		{
			name:     "a stray quote mid-file costs its row only",
			data:     header + row(idA, "371725") + "\"" + row(idB, "430524") + row(idD, "110101") + "\"a\"\"b\",低保金,850,2026-01,110101\n" + row(idC, "610524"),
			accepted: 3,
			errLines: map[int64]string{3: "quoted field is not closed", 5: "id_number"},
		},
		{
			name: "a line longer than 64 KiB and a line of 100,000 columns",
			data: header + row(idA, "371725") + idB + ",低保金," + strings.Repeat("9", 70<<10) + ",2026-01,430524\n" +
				row(idB, "430524") + strings.Repeat("1,", 100_000) + "1\n" + row(idD, "110101"),
			accepted: 3,
			errLines: map[int64]string{3: "longer than 64 KiB", 5: "longer than 64 KiB"},
		},
		{
			name:     "a long line without a line break at the end of the file",
			data:     header + row(idA, "371725") + strings.Repeat("x", 200<<10),
			accepted: 1,
			errLines: map[int64]string{3: "longer than 64 KiB"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
				f := newFixture(t, db)
				for run := 0; run < 2; run++ {
					res, err := f.importBytes(t, []byte(tc.data))
					if err != nil {
						t.Fatalf("run %d: %v", run, err)
					}
					b := res.Batch
					if b.Status != record.ImportDone || b.Rejected != int64(len(tc.errLines)) || b.Accepted+b.Duplicates != tc.accepted {
						t.Fatalf("run %d: batch %+v, errors %+v; want %d rows, %d rejected", run, b, res.Errors, tc.accepted, len(tc.errLines))
					}
					if run == 1 && b.Accepted != 0 {
						t.Fatalf("the same file again added %d rows", b.Accepted)
					}
					for _, e := range res.Errors {
						if want, ok := tc.errLines[e.Line]; !ok || !strings.Contains(e.Error, want) {
							t.Errorf("line %d: %q, want %q", e.Line, e.Error, want)
						}
					}
				}
			})
		})
	}
}

// A header line longer than the limit, or whose quotes do not close,
// refuses the file, naming why.
func TestImportRefusesAFileWhoseHeaderIsUnreadable(t *testing.T) {
	f := newFixture(t, sqldbtest.MustOpenSQLite(t))
	for data, want := range map[string]string{
		"身份证号," + strings.Repeat("x", 70<<10) + "\n" + idA + "\n": "longer than 64 KiB",
		"\"身份证号,救助类别,金额,发放日期,行政区划代码\n" + idA + "\n":               "does not close",
	} {
		_, err := f.importBytes(t, []byte(data))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("err = %v, want the file refused: %s", err, want)
		}
	}
}
