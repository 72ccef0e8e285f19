package gormstore_test

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/marketplace/gormstore/needfixture"
	"github.com/jiujinan/jiujinan/matching"
	"github.com/jiujinan/jiujinan/matching/gormstore"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

func TestMatchStoreNeedsAndPlans(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		base := needfixture.Setup(t, db, "Matching fixture")
		ends := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
		dl := time.Now().UTC().Add(72 * time.Hour).Truncate(time.Second)
		_, ids := base.Insert(t, db,
			needfixture.Need{Status: "open", Category: "medical", Urgency: "emergency", RegionCode: "371725", HouseholdTypes: "dibao,severe_disability", RequestedFen: 500000, FundedFen: 100000, ServiceNeeds: "home_care,hospital_escort", Deadline: &dl},
			needfixture.Need{Status: "notice", NoticeEndsAt: &ends, Category: "education", RegionCode: "371725"},
			needfixture.Need{Status: "closed", Category: "housing"},
			needfixture.Need{Status: "submitted", Category: "housing", Unpublished: true},
		)
		st := gormstore.NewMatches(db)
		open, err := st.OpenNeeds(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(open) != 2 || open[0].ID != ids[0] || open[1].ID != ids[1] {
			t.Fatalf("open needs %+v", open)
		}
		n := open[0]
		if n.Category != kernel.CatMedical || n.Urgency != kernel.UrgencyEmergency || n.RegionCode != "371725" || n.RequestedFen != 500000 ||
			n.FundedFen != 100000 || len(n.HouseholdTypes) != 2 || len(n.ServiceNeeds) != 2 || n.Deadline == nil || !n.Deadline.Equal(dl) || n.OrgID != base.OrgID {
			t.Fatalf("record %+v", n)
		}
		if f := open[1].Facts(time.Now()); f.Status != kernel.NeedOpen {
			t.Fatalf("a need whose notice ended is %s, want open", f.Status)
		}
		if _, err := st.NeedRecord(ctx, "nope"); !errors.Is(err, kernel.ErrNotFound) {
			t.Fatalf("missing need: %v", err)
		}

		now := time.Now().UTC().Truncate(time.Microsecond)
		p := &matching.StoredPlan{PublicID: needfixture.NewID(), OrgID: base.OrgID, FundID: "f1", SourceIDs: []string{"f1", "p2"}, MaxNeeds: 10,
			Status: matching.PlanPlanned, Totals: matching.PlanTotals{NeedsFullyFunded: 1, AllocatedFen: 400000, UrgencyCovered: 3600000, UpperBound: 3600000},
			GreedyCovered: 3000000, CreatedBy: "u1", CreatedAt: now,
			Lines: []matching.StoredLine{
				{Seq: 1, SourceKind: "fund", SourceID: "f1", NeedID: ids[0], AmountFen: 300000, Weight: 18, Reasons: []string{"a", "b"}, Status: matching.LinePlanned},
				{Seq: 2, SourceKind: "project", SourceID: "p2", NeedID: ids[0], AmountFen: 100000, Weight: 18, Reasons: []string{"c"}, Status: matching.LinePlanned},
			}}
		if err := st.InsertPlan(ctx, p); err != nil {
			t.Fatal(err)
		}
		got, err := st.Plan(ctx, p.PublicID)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != p.ID || len(got.Lines) != 2 || got.Lines[1].SourceKind != "project" || got.Lines[0].Reasons[1] != "b" || got.Totals.AllocatedFen != 400000 ||
			got.GreedyCovered != 3000000 || len(got.SourceIDs) != 2 || got.Status != matching.PlanPlanned || got.Report != nil {
			t.Fatalf("plan read back %+v", got)
		}
		if err := st.StartExecution(ctx, p.ID, "u2", now); err != nil {
			t.Fatal(err)
		}
		if err := st.StartExecution(ctx, p.ID, "u3", now); !errors.Is(err, kernel.ErrConflict) {
			t.Fatalf("second start: %v, want ErrConflict", err)
		}
		l := got.Lines[1]
		l.Status, l.Refusal, l.DoneAt = matching.LineRefused, []kernel.Ineligibility{{Code: "region", Message: "x"}}, &now
		if err := st.SaveLine(ctx, p.ID, &l); err != nil {
			t.Fatal(err)
		}
		if err := st.FinishExecution(ctx, p.ID, matching.ExecutionReport{Applied: 1, Refused: 1, AppliedFen: 300000}); err != nil {
			t.Fatal(err)
		}
		got, err = st.Plan(ctx, p.PublicID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != matching.PlanExecuted || got.Report == nil || got.Report.Refused != 1 || got.ExecutedBy != "u2" ||
			got.Lines[1].Status != matching.LineRefused || got.Lines[1].Refusal[0].Code != "region" || got.Lines[1].DoneAt == nil {
			t.Fatalf("executed plan %+v", got)
		}
	})
}

// A fund's per-need cap holds per person: what a source gave one posting of
// a person counts for every posting of the same person (the same
// pseudonym, posted by another organization too), and for no one else.
func TestGivenIsPerPerson(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		base := needfixture.Setup(t, db, "Given fixture")
		other := needfixture.Setup(t, db, "Another agency")
		p, q := strings.Repeat("p", 64), strings.Repeat("q", 64)
		rows, ids := base.Insert(t, db,
			needfixture.Need{Pseudonym: p},
			needfixture.Need{Pseudonym: p, OrgID: other.OrgID, Category: "education"},
			needfixture.Need{Pseudonym: q},
		)
		a1, a2, b := ids[0], ids[1], ids[2]
		f1, f2 := insertSource(t, db, base), insertSource(t, db, base)
		insertAllocation(t, db, base, f1, rows[0], 300_00, "allocated")
		insertAllocation(t, db, base, f1, rows[1], 200_00, "disbursed")
		insertAllocation(t, db, base, f1, rows[0], 50_00, "reversed")
		insertAllocation(t, db, base, f1, rows[2], 70_00, "allocated")
		insertAllocation(t, db, base, f2, rows[2], 100_00, "allocated")
		// Matching gifts (配捐) count as funds counts them: confirmed ones;
		// a donor's own gift and a refunded match do not.
		donorPledge := insertPledge(t, db, base, f2, rows[1], 1000_00, "confirmed", 0)
		insertPledge(t, db, base, f2, rows[1], 40_00, "confirmed", donorPledge)
		insertPledge(t, db, base, f1, rows[0], 999_00, "refunded", donorPledge)

		st := gormstore.NewMatches(db)
		n, err := st.NeedRecord(ctx, a2)
		if err != nil {
			t.Fatal(err)
		}
		if n.Person != p {
			t.Fatalf("need record's person %q, want the pseudonym, by which plans fund one posting per person", n.Person)
		}
		cases := []struct {
			name             string
			sources, needIDs []string
			want             map[matching.GivenKey]int64
		}{
			{"a fund's needs: both postings of the person carry what it gave the person", []string{f1.public}, nil,
				map[matching.GivenKey]int64{key(f1, a1): 500_00, key(f1, a2): 500_00, key(f1, b): 70_00}},
			{"a need's sources: what each gave its person, matching gifts included", nil, []string{a2},
				map[matching.GivenKey]int64{key(f1, a2): 500_00, key(f2, a2): 40_00}},
			{"one source and one need, as plan execution reads it", []string{f1.public}, []string{a1},
				map[matching.GivenKey]int64{key(f1, a1): 500_00}},
			{"another person is apart", []string{f2.public}, []string{b, a1},
				map[matching.GivenKey]int64{key(f2, b): 100_00, key(f2, a1): 40_00}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				got, err := st.Given(ctx, tc.sources, tc.needIDs)
				if err != nil {
					t.Fatal(err)
				}
				if !maps.Equal(got, tc.want) {
					t.Fatalf("Given = %v, want %v", got, tc.want)
				}
			})
		}
	})
}

func key(s source, needID string) matching.GivenKey {
	return matching.GivenKey{SourceID: s.public, NeedID: needID}
}

type source struct {
	id     int64
	public string
}

func insertSource(t *testing.T, db *sqldb.DB, base needfixture.Base) source {
	t.Helper()
	s := source{public: needfixture.NewID()}
	if err := db.Gorm.Exec("INSERT INTO fund_sources (public_id, kind, org_id, name, purpose, restrictions, status, created_by, created_at) "+
		"VALUES (?, 'fund', ?, 'fund', 'relief', '{}', 'active', ?, ?)", s.public, base.OrgID, base.UserID, time.Now().UTC()).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Gorm.Raw("SELECT id FROM fund_sources WHERE public_id = ?", s.public).Scan(&s.id).Error; err != nil {
		t.Fatal(err)
	}
	return s
}

func insertAllocation(t *testing.T, db *sqldb.DB, base needfixture.Base, s source, needRow, fen int64, status string) {
	t.Helper()
	if err := db.Gorm.Exec("INSERT INTO allocations (public_id, source_id, need_id, amount_fen, status, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
		needfixture.NewID(), s.id, needRow, fen, status, base.UserID, time.Now().UTC()).Error; err != nil {
		t.Fatal(err)
	}
	// The money the need holds from it, as funds records it (a reversed
	// allocation's went back).
	if status != "reversed" {
		insertLot(t, db, needRow, "allocation", s.id, fen)
	}
}

// insertLot writes a lot of money a need holds (need_lots), as funds does.
func insertLot(t *testing.T, db *sqldb.DB, needRow int64, kind string, sourceID, fen int64) {
	t.Helper()
	var src any
	if sourceID != 0 {
		src = sourceID
	}
	if err := db.Gorm.Exec("INSERT INTO need_lots (need_id, kind, source_id, amount_fen, paid_fen, created_at) VALUES (?, ?, ?, ?, 0, ?)",
		needRow, kind, src, fen, time.Now().UTC()).Error; err != nil {
		t.Fatal(err)
	}
}

// insertPledge writes a pledge of fen from source s to a need (the source is
// left empty for a donor's own gift, matched 0); a matching gift names the
// pledge it matched. It returns the pledge's row id.
func insertPledge(t *testing.T, db *sqldb.DB, base needfixture.Base, s source, needRow, fen int64, status string, matched int64) int64 {
	t.Helper()
	now := time.Now().UTC()
	pid := needfixture.NewID()
	var src, m any
	if matched != 0 {
		src, m = s.id, matched
	}
	if err := db.Gorm.Exec("INSERT INTO pledges (public_id, reference, donor_id, org_id, target_type, source_id, need_id, target_public_id, amount_fen, status, matched_pledge_id, created_at, expires_at) "+
		"VALUES (?, ?, ?, ?, 'need', ?, ?, 'x', ?, ?, ?, ?, ?)", pid, pid, base.UserID, base.OrgID, src, needRow, fen, status, m, now, now).Error; err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := db.Gorm.Raw("SELECT id FROM pledges WHERE public_id = ?", pid).Scan(&id).Error; err != nil {
		t.Fatal(err)
	}
	if status == "confirmed" {
		if matched != 0 {
			insertLot(t, db, needRow, "match", s.id, fen)
		} else {
			insertLot(t, db, needRow, "gift", 0, fen)
		}
	}
	return id
}
