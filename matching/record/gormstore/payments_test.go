package gormstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/matching/record"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/matching/record/gormstore"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

const (
	alice = "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
	bob   = "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"
)

func claim(t *testing.T, s *gormstore.Store, id, sha, lease string, now time.Time) (record.ImportBatch, bool) {
	t.Helper()
	b, resumed, err := s.ClaimImport(context.Background(), record.ImportBatch{ID: id, FileSHA256: sha, FileName: "f.csv", CreatedBy: "cli", CreatedAt: now, Parts: 1}, lease, now.Add(-time.Minute))
	if err != nil {
		t.Fatalf("claim: %v", err)
	}
	return b, resumed
}

func TestPaymentsForSeesOverlappingPaymentsOfDoneBatchesOnly(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		s := gormstore.New(db)
		now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
		b, resumed := claim(t, s, "batch1", "sha1", "lease1", now)
		if resumed || b.Status != record.ImportRunning {
			t.Fatalf("new batch: resumed=%v status=%s", resumed, b.Status)
		}
		w, err := s.OpenPaymentWriter(ctx, b.Key, "lease1")
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		rows := []record.PaymentRow{
			{Line: 2, Pseudonym: alice, Programme: kernel.ProgDibao, AmountFen: 80000, From: day("2026-01-01"), To: day("2026-01-31"), RegionCode: "371725"},
			{Line: 3, Pseudonym: alice, Programme: kernel.ProgDibao, AmountFen: 80000, From: day("2026-02-01"), To: day("2026-02-28"), RegionCode: "371725"},
			{Line: 4, Pseudonym: alice, Programme: kernel.ProgMedical, AmountFen: 123450, From: day("2026-03-05"), To: day("2026-03-05"), RegionCode: "371725"},
			{Line: 5, Pseudonym: bob, Programme: kernel.ProgTemporary, AmountFen: 50000, From: day("2026-02-10"), To: day("2026-02-10"), RegionCode: "110101"},
			{Line: 6, Pseudonym: alice, Programme: kernel.ProgDibao, AmountFen: 80000, From: day("2026-01-01"), To: day("2026-01-31"), RegionCode: "371725"},
		}
		if err := w.WriteChunk(ctx, rows, []record.RowError{{Line: 7, Error: "amount: negative"}}, 1, 7, now); err != nil {
			t.Fatal(err)
		}
		added, err := w.MergePart(ctx, 0, false, now)
		if err != nil || added != 4 {
			t.Fatalf("merge: %d %v, want 4 added", added, err)
		}
		if _, err := w.MergePart(ctx, 0, false, now); !errors.Is(err, kernel.ErrConflict) {
			t.Fatalf("merging a part twice: %v", err)
		}
		// Not visible before the batch is done.
		got, err := s.PaymentsFor(ctx, alice, day("2026-01-01"), day("2026-12-31"))
		if err != nil || len(got) != 0 {
			t.Fatalf("before done: %v %v", got, err)
		}
		if err := s.FinishImport(ctx, b.Key, "lease1", record.ImportDone, "", now); err != nil {
			t.Fatal(err)
		}
		// [2026-01-31, 2026-02-01] touches both monthly payments; 2026-03-04 ends before the medical bill.
		got, err = s.PaymentsFor(ctx, alice, day("2026-01-31"), day("2026-03-04"))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].From != day("2026-01-01") || got[1].From != day("2026-02-01") || got[0].AmountFen != 80000 || got[0].RegionCode != "371725" {
			t.Fatalf("payments = %+v", got)
		}
		if got[0].ID != record.PaymentID(alice, kernel.ProgDibao, day("2026-01-01"), day("2026-01-31"), 80000, "371725") || got[0].ID == got[1].ID {
			t.Fatalf("ids %s %s", got[0].ID, got[1].ID)
		}
		got, _ = s.PaymentsFor(ctx, alice, day("2026-03-05"), day("2026-03-05"))
		if len(got) != 1 || got[0].Programme != kernel.ProgMedical {
			t.Fatalf("medical: %+v", got)
		}
		got, _ = s.PaymentsFor(ctx, alice, day("2025-01-01"), day("2025-12-31"))
		if len(got) != 0 {
			t.Fatalf("2025: %+v", got)
		}
		bb, err := s.ImportBatch(ctx, "batch1")
		if err != nil {
			t.Fatal(err)
		}
		if bb.Status != record.ImportDone || bb.Accepted != 4 || bb.Duplicates != 1 || bb.Rejected != 1 || bb.LinesDone != 7 || bb.Staged != 5 || bb.MergedParts != 1 || bb.FinishedAt == nil {
			t.Fatalf("batch = %+v", bb)
		}
		errs, err := s.ImportErrors(ctx, b.Key, 0, 10)
		if err != nil || len(errs) != 1 || errs[0].Line != 7 {
			t.Fatalf("errors = %v %v", errs, err)
		}
		if _, err := s.ImportBatch(ctx, "nope"); !errors.Is(err, kernel.ErrNotFound) {
			t.Fatalf("missing batch: %v", err)
		}
	})
}

func TestClaimImportResumesAFailedBatchAndRefusesARunningOne(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		s := gormstore.New(db)
		now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
		b, _ := claim(t, s, "batch1", "sha1", "lease1", now)
		// A second claim while the first is fresh is refused.
		if _, _, err := s.ClaimImport(ctx, record.ImportBatch{ID: "batch2", FileSHA256: "sha1", CreatedAt: now}, "lease2", now.Add(-time.Minute)); !errors.Is(err, kernel.ErrConflict) {
			t.Fatalf("second claim: %v", err)
		}
		// Once stale, it is resumed under the new lease, and the old lease is dead.
		later := now.Add(2 * time.Minute)
		r, resumed, err := s.ClaimImport(ctx, record.ImportBatch{ID: "batch2", FileSHA256: "sha1", CreatedAt: later}, "lease2", later.Add(-time.Minute))
		if err != nil || !resumed || r.Key != b.Key || r.ID != "batch1" {
			t.Fatalf("stale claim: %+v resumed=%v err=%v", r, resumed, err)
		}
		w, err := s.OpenPaymentWriter(ctx, b.Key, "lease1")
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		if err := w.WriteChunk(ctx, nil, nil, 0, 10, later); !errors.Is(err, kernel.ErrConflict) {
			t.Fatalf("write under a lost lease: %v", err)
		}
		if err := s.FinishImport(ctx, b.Key, "lease2", record.ImportFailed, "cancelled", later); err != nil {
			t.Fatal(err)
		}
		// A failed batch is resumed at once.
		r, resumed, err = s.ClaimImport(ctx, record.ImportBatch{ID: "batch3", FileSHA256: "sha1", CreatedAt: later}, "lease3", later.Add(-time.Minute))
		if err != nil || !resumed || r.Key != b.Key {
			t.Fatalf("failed claim: %+v resumed=%v err=%v", r, resumed, err)
		}
	})
}

func TestTakeOverMovesRowsOfAnUnfinishedBatch(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		s := gormstore.New(db)
		now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
		row := record.PaymentRow{Line: 2, Pseudonym: alice, Programme: kernel.ProgDibao, AmountFen: 80000, From: day("2026-01-01"), To: day("2026-01-31"), RegionCode: "371725"}
		a, _ := claim(t, s, "a", "shaA", "la", now)
		wa, _ := s.OpenPaymentWriter(ctx, a.Key, "la")
		defer wa.Close()
		if err := wa.WriteChunk(ctx, []record.PaymentRow{row}, nil, 0, 2, now); err != nil {
			t.Fatal(err)
		}
		if _, err := wa.MergePart(ctx, 0, false, now); err != nil {
			t.Fatal(err)
		}
		if err := s.FinishImport(ctx, a.Key, "la", record.ImportFailed, "killed", now); err != nil {
			t.Fatal(err)
		}
		b, _ := claim(t, s, "b", "shaB", "lb", now)
		if other, err := s.OtherUnfinished(ctx, b.Key); err != nil || !other {
			t.Fatalf("other unfinished: %v %v", other, err)
		}
		wb, _ := s.OpenPaymentWriter(ctx, b.Key, "lb")
		defer wb.Close()
		row2 := row
		row2.From, row2.To, row2.Line = day("2026-02-01"), day("2026-02-28"), 3
		if err := wb.WriteChunk(ctx, []record.PaymentRow{row, row2}, nil, 0, 3, now); err != nil {
			t.Fatal(err)
		}
		if added, err := wb.MergePart(ctx, 0, true, now); added != 2 || err != nil {
			t.Fatalf("take over: %d %v", added, err)
		}
		if err := s.FinishImport(ctx, b.Key, "lb", record.ImportDone, "", now); err != nil {
			t.Fatal(err)
		}
		got, _ := s.PaymentsFor(ctx, alice, day("2026-01-01"), day("2026-12-31"))
		if len(got) != 2 {
			t.Fatalf("after take over: %+v", got)
		}
	})
}

func TestRowsWithUnusualTextAreStoredThroughPlaceholders(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		s := gormstore.New(db)
		now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
		b, _ := claim(t, s, "q", "shaQ", "lq", now)
		w, err := s.OpenPaymentWriter(ctx, b.Key, "lq")
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		// Not a row a file gives (the region is not digits), but the store
		// must keep it as it is, quote and all, never as SQL.
		odd := record.PaymentRow{Line: 2, Pseudonym: alice, Programme: kernel.ProgDibao, AmountFen: 100, From: day("2026-01-01"), To: day("2026-01-31"), RegionCode: "37'); --"}
		ok := odd
		ok.Line, ok.RegionCode = 3, "371725"
		if err := w.WriteChunk(ctx, []record.PaymentRow{odd, ok}, nil, 0, 3, now); err != nil {
			t.Fatal(err)
		}
		if n, err := w.MergePart(ctx, 0, false, now); n != 2 || err != nil {
			t.Fatalf("merge: %d %v", n, err)
		}
		if err := s.FinishImport(ctx, b.Key, "lq", record.ImportDone, "", now); err != nil {
			t.Fatal(err)
		}
		got, _ := s.PaymentsFor(ctx, alice, day("2026-01-01"), day("2026-01-31"))
		if len(got) != 2 || (got[0].RegionCode != "37'); --" && got[1].RegionCode != "37'); --") {
			t.Fatalf("payments: %+v", got)
		}
	})
}

// InsertPart adds a part's rows straight to the record, in groups of rows
// per statement and smaller statements for the rest (on SQLite through
// statements prepared once per part): rows already on record and a
// repeated row are not added or counted; on SQLite a value with a quote is
// stored as it is.
func TestInsertPartAddsNewRowsOnly(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		testInsertPart(t, db)
	})
}

func testInsertPart(t *testing.T, db *sqldb.DB) {
	ctx := context.Background()
	s := gormstore.New(db)
	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	b, _ := claim(t, s, "ip", "shaIP", "lip", now)
	w, err := s.OpenPaymentWriter(ctx, b.Key, "lip")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var rows []record.PaymentRow
	for i := 0; i < 40; i++ {
		rows = append(rows, record.PaymentRow{Line: int64(i + 2), Pseudonym: alice, Programme: kernel.ProgDibao,
			AmountFen: int64(10_000 + i), From: day("2026-01-01"), To: day("2026-01-31"), RegionCode: "371725"})
	}
	oddRegion := "371726"
	if db.Dialect == sqldb.SQLite { // MySQL's LOAD DATA takes validated (plain) values only
		oddRegion = "37'); --"
	}
	rows[17].RegionCode = oddRegion
	rows = append(rows[:21], append([]record.PaymentRow{rows[20]}, rows[21:]...)...) // the same payment twice
	// One row is already on record (an earlier part of this batch).
	first := func(rs []record.PaymentRow) func() ([]record.PaymentRow, error) {
		done := false
		return func() ([]record.PaymentRow, error) {
			if done {
				return nil, nil
			}
			done = true
			return rs, nil
		}
	}
	if n, err := w.InsertPart(ctx, 0, first(rows[30:31]), false, now); n != 1 || err != nil {
		t.Fatalf("first part: %d %v", n, err)
	}
	// The next part gets every row, in two batches.
	batches := [][]record.PaymentRow{rows[:33], rows[33:]}
	next := func() ([]record.PaymentRow, error) {
		if len(batches) == 0 {
			return nil, nil
		}
		rs := batches[0]
		batches = batches[1:]
		return rs, nil
	}
	n, err := w.InsertPart(ctx, 1, next, false, now)
	if n != 39 || err != nil {
		t.Fatalf("insert part: %d %v, want 39 rows added (41 given, one repeated, one on record)", n, err)
	}
	if err := s.FinishImport(ctx, b.Key, "lip", record.ImportDone, "", now); err != nil {
		t.Fatal(err)
	}
	got, err := s.PaymentsFor(ctx, alice, day("2026-01-01"), day("2026-01-31"))
	if len(got) != 40 || err != nil {
		t.Fatalf("payments: %d %v, want 40", len(got), err)
	}
	odd := 0
	for _, p := range got {
		if p.RegionCode == oddRegion {
			odd++
		}
	}
	if odd != 1 {
		t.Fatalf("%d rows with the quoted region, want 1", odd)
	}
}
