package gormstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace/gormstore/needfixture"
	"github.com/jiujinan/jiujinan/matching/screening"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

func queueIDs(pg *screening.QueuePage) []string {
	var out []string
	for _, it := range pg.Items {
		out = append(out, it.Need.ID)
	}
	return out
}

func TestClearanceAcknowledgesTheWarningsItSaw(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		// Declared no statutory relief; the record holds 1,000 yuan: a warning.
		corrected := f.post(needSpec{idNumber: "110105194912310011", from: "2026-01-01", to: "2026-01-31", cost: 1_000_000, req: 800_000})
		f.pay("110105194912310011", kernel.ProgMedical, 100_000, "2026-01-15", "2026-01-15")
		kept := f.post(needSpec{idNumber: "110105194912310022", from: "2026-01-01", to: "2026-01-31", cost: 1_000_000, req: 800_000})
		f.pay("110105194912310022", kernel.ProgMedical, 100_000, "2026-01-15", "2026-01-15")
		blocked := f.post(needSpec{idNumber: "110105194912310033", from: "2026-01-01", to: "2026-01-31", cost: 1_000_000, req: 1_000_000})
		f.pay("110105194912310033", kernel.ProgMedical, 100_000, "2026-01-15", "2026-01-15")
		for _, id := range []string{corrected, kept, blocked} {
			if _, err := f.svc.Screen(ctx, id, kernel.StageSubmit, 0); err != nil {
				t.Fatal(err)
			}
		}
		pg, err := f.svc.ReviewQueuePage(ctx, f.verifier, screening.QueueFilter{})
		if err != nil || pg.Total != 3 {
			t.Fatalf("queue before clearance: %v %v", queueIDs(pg), err)
		}
		// The verifier corrects the statutory figure at clearance: the
		// clearance's screening no longer warns.
		if err := needfixture.Set(ctx, db.Gorm, corrected, map[string]any{"statutory_relief_fen": 100000}); err != nil {
			t.Fatal(err)
		}
		if sc, err := f.svc.Screen(ctx, corrected, kernel.StageClear, 0); err != nil || sc.Result != kernel.ScreenClear {
			t.Fatalf("clearance screening of the corrected need: %+v %v", sc, err)
		}
		// Cleared as declared: the clearance's screening still warns, and
		// the verifier who cleared it saw that.
		sc, err := f.svc.Screen(ctx, kept, kernel.StageClear, 0)
		if err != nil || sc.Result != kernel.ScreenWarn {
			t.Fatalf("clearance screening: %+v %v", sc, err)
		}
		// Only a verifier's clearance acknowledges: a social worker's call
		// records nothing (the audit below holds the verifier's alone).
		if err := f.svc.AcknowledgeAtClearance(ctx, f.worker, kept, sc.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.AcknowledgeAtClearance(ctx, f.verifier, kept, sc.ID); err != nil {
			t.Fatal(err)
		}
		// A block is never acknowledged by a clearance.
		bs, _ := f.svc.Screen(ctx, blocked, kernel.StageClear, 0)
		if err := f.svc.AcknowledgeAtClearance(ctx, f.verifier, blocked, bs.ID); err != nil {
			t.Fatal(err)
		}
		pg, err = f.svc.ReviewQueuePage(ctx, f.verifier, screening.QueueFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if ids := queueIDs(pg); pg.Total != 1 || len(ids) != 1 || ids[0] != blocked || pg.Items[0].Screening.ID != bs.ID {
			t.Fatalf("queue after clearance: %v total %d, want only the block %s", ids, pg.Total, blocked)
		}
		recs := mustScreenings(t, f, kept)
		if recs[0].Decision != screening.DecisionAcknowledge || recs[0].DecidedBy != f.verifier.User.PublicID {
			t.Errorf("kept's latest screening: decision %q by %q", recs[0].Decision, recs[0].DecidedBy)
		}
		var entries []struct{ Actor, Action, Detail string }
		db.Gorm.Raw(`SELECT actor, action, detail FROM audit_log WHERE stream = ? ORDER BY seq`, "need:"+kept).Scan(&entries)
		if len(entries) != 1 || entries[0].Action != "screening.acknowledge" || entries[0].Actor != f.verifier.User.PublicID ||
			!strings.Contains(entries[0].Detail, `"clearance":true`) {
			t.Errorf("audit of the acknowledgement at clearance: %+v", entries)
		}
		// Acknowledged once: a second call records nothing more.
		if err := f.svc.AcknowledgeAtClearance(ctx, f.verifier, kept, sc.ID); err != nil {
			t.Fatal(err)
		}
		db.Gorm.Raw(`SELECT actor, action, detail FROM audit_log WHERE stream = ? ORDER BY seq`, "need:"+kept).Scan(&entries)
		if len(entries) != 1 {
			t.Errorf("a second acknowledgement was audited: %+v", entries)
		}
	})
}

func TestReviewQueuePagesAndFilters(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		var needs []string
		post := func(id string, req int64, pay bool) string {
			n := f.post(needSpec{idNumber: id, from: "2026-01-01", to: "2026-01-31", cost: 1_000_000, req: req})
			if pay {
				f.pay(id, kernel.ProgMedical, 100_000, "2026-01-15", "2026-01-15")
			}
			needs = append(needs, n)
			return n
		}
		w1 := post("110105194912310101", 800_000, true)
		w2 := post("110105194912310202", 800_000, true)
		block := post("110105194912310303", 1_000_000, true)
		w3 := post("110105194912310404", 800_000, true)
		d1 := post("110105194912310505", 300_000, false)
		d2 := post("110105194912310505", 300_000, false)
		clear := post("110105194912310606", 300_000, false)
		for _, n := range needs {
			if _, err := f.svc.Screen(ctx, n, kernel.StageSubmit, 0); err != nil {
				t.Fatal(err)
			}
		}
		cases := []struct {
			name  string
			f     screening.QueueFilter
			want  []string
			total int
		}{
			{"blocks first then oldest", screening.QueueFilter{Limit: 20}, []string{block, w1, w2, w3, d1, d2}, 6},
			{"first page of two", screening.QueueFilter{Limit: 2}, []string{block, w1}, 6},
			{"second page of two", screening.QueueFilter{Limit: 2, Offset: 2}, []string{w2, w3}, 6},
			{"past the end", screening.QueueFilter{Limit: 2, Offset: 6}, nil, 6},
			{"statutory overlap", screening.QueueFilter{Rule: kernel.RuleStatutoryOverlap}, []string{block, w1, w2, w3}, 4},
			{"duplicates", screening.QueueFilter{Rule: kernel.RuleCrossCharityDuplicate}, []string{d1, d2}, 2},
			{"over-allocation", screening.QueueFilter{Rule: kernel.RuleOverAllocation}, nil, 0},
			{"the verifier's county", screening.QueueFilter{Region: "371725"}, []string{block, w1, w2, w3, d1, d2}, 6},
			{"a province wider than the office's regions", screening.QueueFilter{Region: "370000", Limit: 1}, []string{block}, 6},
			{"another county", screening.QueueFilter{Region: "371702"}, nil, 0},
			{"another province", screening.QueueFilter{Region: "11"}, nil, 0},
			{"rule and page", screening.QueueFilter{Rule: kernel.RuleStatutoryOverlap, Limit: 2, Offset: 3}, []string{w3}, 4},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				pg, err := f.svc.ReviewQueuePage(ctx, f.verifier, tc.f)
				if err != nil {
					t.Fatal(err)
				}
				got := queueIDs(pg)
				if strings.Join(got, ",") != strings.Join(tc.want, ",") || pg.Total != tc.total {
					t.Errorf("got %v total %d, want %v total %d", got, pg.Total, tc.want, tc.total)
				}
				for _, it := range pg.Items {
					if it.Need.ID == clear {
						t.Errorf("a clear screening is queued")
					}
					if it.Need.RegionCode != "371725" || it.Need.RegionName == "" {
						t.Errorf("need summary without its region: %+v", it.Need)
					}
				}
			})
		}
		for _, bad := range []screening.QueueFilter{{Rule: "nonsense"}, {Region: "37a"}, {Offset: -1}} {
			if _, err := f.svc.ReviewQueuePage(ctx, f.verifier, bad); !errors.As(err, new(*kernel.ValidationError)) {
				t.Errorf("filter %+v: %v, want a validation error", bad, err)
			}
		}
		if _, err := f.svc.ReviewQueuePage(ctx, f.worker, screening.QueueFilter{}); !errors.Is(err, kernel.ErrForbidden) {
			t.Errorf("a social worker read the queue: %v", err)
		}
	})
}
