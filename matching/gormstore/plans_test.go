package gormstore_test

import (
	"context"
	"errors"
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
