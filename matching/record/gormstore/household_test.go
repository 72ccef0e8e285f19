package gormstore_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/matching/record"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/matching/record/gormstore"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// TestPaymentsForAnyReadsAHouseholdInOne: the payments of several
// pseudonyms (a household) are those PaymentsFor gives each, every one
// tagged with whose it is, however many members (the statements take 1,
// 2, 4 … 32 pseudonyms, padded; more are read in parts), a pseudonym
// given twice counted once.
func TestPaymentsForAnyReadsAHouseholdInOne(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		s := gormstore.New(db)
		now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
		b, _ := claim(t, s, "batch1", "sha1", "lease1", now)
		w, err := s.OpenPaymentWriter(ctx, b.Key, "lease1")
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		// 40 people, each paid dibao for January; alice also medical in March.
		var people []string
		var rows []record.PaymentRow
		for i := 0; i < 40; i++ {
			p := fmt.Sprintf("%064x", i+1)
			people = append(people, p)
			rows = append(rows, record.PaymentRow{Line: int64(i + 2), Pseudonym: p, Programme: kernel.ProgDibao, AmountFen: int64(1000 + i),
				From: day("2026-01-01"), To: day("2026-01-31"), RegionCode: "371725"})
		}
		rows = append(rows, record.PaymentRow{Line: 50, Pseudonym: alice, Programme: kernel.ProgMedical, AmountFen: 5000, From: day("2026-03-05"), To: day("2026-03-05"), RegionCode: "371725"})
		if err := w.WriteChunk(ctx, rows, nil, 0, 50, now); err != nil {
			t.Fatal(err)
		}
		if _, err := w.MergePart(ctx, 0, false, now); err != nil {
			t.Fatal(err)
		}
		if err := s.FinishImport(ctx, b.Key, "lease1", record.ImportDone, "", now); err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{1, 2, 3, 5, 17, 32, 33, 40} {
			got, err := s.PaymentsForAny(ctx, append(people[:n:n], people[0], alice), day("2026-01-01"), day("2026-12-31"))
			if err != nil {
				t.Fatalf("%d people: %v", n, err)
			}
			if len(got) != n+1 {
				t.Fatalf("%d people and alice: %d payments", n, len(got))
			}
			seen := map[string]bool{}
			for _, p := range got {
				want, err := s.PaymentsFor(ctx, p.Pseudonym, day("2026-01-01"), day("2026-12-31"))
				if err != nil || len(want) != 1 || want[0] != p {
					t.Errorf("%d people: %+v is not what PaymentsFor gives (%+v, %v)", n, p, want, err)
				}
				if seen[p.Pseudonym] {
					t.Errorf("%d people: %s twice", n, p.Pseudonym)
				}
				seen[p.Pseudonym] = true
			}
			// Oldest first, as PaymentsFor.
			if last := got[len(got)-1]; last.Pseudonym != alice || !strings.HasPrefix(string(last.Programme), "medical") {
				t.Errorf("%d people: last payment %+v, want alice's March one", n, last)
			}
		}
		if got, err := s.PaymentsForAny(ctx, people[:3], day("2026-02-01"), day("2026-02-28")); err != nil || len(got) != 0 {
			t.Errorf("February: %+v %v", got, err)
		}
		if got, err := s.PaymentsForAny(ctx, nil, day("2026-01-01"), day("2026-12-31")); err != nil || len(got) != 0 {
			t.Errorf("nobody: %+v %v", got, err)
		}
	})
}
