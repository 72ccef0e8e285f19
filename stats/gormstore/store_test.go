package gormstore

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
	"github.com/jiujinan/jiujinan/stats"
)

// The store's figures are checked against the rows by the web package's
// TestStatisticsAgreeWithTheRows, over a world built through the API; here,
// its SQL runs on both databases over an empty schema, and the month
// buckets are cut where the period says.
func TestQueriesRunOnAnEmptyDatabase(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		s, ctx := New(db), context.Background()
		bounds := stats.Period{Year: 2026}.Bounds()
		now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
		if cells, err := s.Cells(ctx, "3717", bounds); err != nil || len(cells) != 0 {
			t.Errorf("cells %v, %v", cells, err)
		}
		if cells, err := s.Overdue(ctx, "3717", now); err != nil || len(cells) != 0 {
			t.Errorf("overdue %v, %v", cells, err)
		}
		if n, err := s.NeedTotals(ctx, "37", now); err != nil || len(n) != 0 {
			t.Errorf("need totals %v, %v", n, err)
		}
		if n, err := s.SourceTotals(ctx, "37"); err != nil || len(n) != 0 {
			t.Errorf("source totals %v, %v", n, err)
		}
		if n, err := s.Sources(ctx, "371725"); err != nil || len(n) != 0 {
			t.Errorf("sources %v, %v", n, err)
		}
		if n, total, err := s.Needs(ctx, "371725", now, 10); err != nil || len(n) != 0 || total != 0 {
			t.Errorf("needs %v %d, %v", n, total, err)
		}
		if ids, err := s.NoticeNeeds(ctx, "371725", now, 10); err != nil || len(ids) != 0 {
			t.Errorf("notice needs %v, %v", ids, err)
		}
		if orgs, err := s.Orgs(ctx, []int64{1, 2}); err != nil || len(orgs) != 0 {
			t.Errorf("orgs %v, %v", orgs, err)
		}
	})
}

func TestBucket(t *testing.T) {
	b := stats.Period{Year: 2026}.Bounds()
	sql, args := bucket("e.at", b)
	if len(args) != 12 || !strings.HasPrefix(sql, "CASE WHEN e.at < ? THEN 0 WHEN e.at < ? THEN 1") || !strings.Contains(sql, "WHEN e.at < ? THEN 11 ELSE -1 END") {
		t.Errorf("%s %v", sql, args)
	}
	if args[0] != b[1] || args[11] != b[12] {
		t.Errorf("the bounds are out of order: %v", args)
	}
}
