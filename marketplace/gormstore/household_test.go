package gormstore_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/marketplace/gormstore"
	"github.com/jiujinan/jiujinan/marketplace/gormstore/needfixture"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// idNumber returns a valid ID number of 郓城县 born on birth (YYYYMMDD).
func idNumber(birth string, seq int) string {
	first17 := fmt.Sprintf("371725%s%03d", birth, seq)
	return first17 + string(kernel.IDCheckChar(first17))
}

type householdRowT struct {
	Ordinal   int
	Pseudonym string
	Role      string
}

func householdRows(t *testing.T, db *sqldb.DB, needPublicID string) []householdRowT {
	t.Helper()
	var rows []householdRowT
	if err := db.Gorm.Raw(`SELECT h.ordinal, h.pseudonym, h.role FROM need_household h JOIN needs n ON n.id = h.need_id
		WHERE n.public_id = ? ORDER BY h.ordinal`, needPublicID).Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestNeedHouseholdIsRecordedAndBackfilled: posting a need records its
// household (the beneficiary, then each member with an ID number, by role;
// a member without one left out, one with the beneficiary's own number not
// twice), pseudonyms and roles only; a need posted before households were
// gets its household from the backfill, which a second run leaves as it
// is, and a need whose identity does not open is reported, not guessed.
func TestNeedHouseholdIsRecordedAndBackfilled(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		nb := newNeedBench(t, db)
		child, head, sister := idNumber("20150315", 11), idNumber("19800101", 13), idNumber("20120720", 22)
		created, err := nb.svc.Create(ctx, nb.worker, marketplace.NeedInput{
			Beneficiary: marketplace.BeneficiaryInput{IDNumber: child, Name: "张小明", RegionCode: "371725",
				HouseholdTypes: []kernel.HouseholdType{kernel.HHDibao},
				Members: []marketplace.Member{
					{Name: "张建华", Relation: "户主", IDNumber: head},
					{Name: "王秀英", Relation: "母亲"}, // no ID number: cannot be found in the record
					{Name: "张小明", Relation: "本人", IDNumber: strings.ToLower(child)},
					{Name: "张小红", Relation: "姐姐", IDNumber: sister},
				}},
			Category: kernel.CatBasicLiving, Title: "张小明家庭生活困难求助", Story: "父亲患病，家庭生活困难。",
			VerifiedCostFen: 500_000, StatutoryReliefFen: 0, CostFrom: "2026-11-01", CostTo: "2027-01-31", Urgency: kernel.UrgencyNormal,
		})
		if err != nil {
			t.Fatal(err)
		}
		id := created.Need.PublicID
		pz := nb.svc.Pseudonymizer
		want := []householdRowT{{0, pz.Of(child), "beneficiary"}, {1, pz.Of(head), "head"}, {4, pz.Of(sister), "sibling"}}
		got := householdRows(t, db, id)
		if !slices.Equal(got, want) {
			t.Fatalf("household of a new need:\n got %+v\nwant %+v", got, want)
		}
		for _, r := range got {
			if len(r.Pseudonym) != 64 || strings.Contains(r.Pseudonym, head[:17]) {
				t.Errorf("need_household holds %q, not a pseudonym", r.Pseudonym)
			}
		}

		// The same need as it was posted before households were, and a
		// need whose identity no key opens.
		if err := db.Gorm.Exec(`DELETE FROM need_household WHERE need_id = ?`, created.Need.ID).Error; err != nil {
			t.Fatal(err)
		}
		base := needfixture.Setup(t, db, "旧数据社工站")
		_, sealedWrong := base.Insert(t, db, needfixture.Need{NoOutbox: true})

		res, err := nb.svc.BackfillHouseholds(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		if res.Written != 1 || !slices.Equal(res.Unopened, sealedWrong) {
			t.Errorf("backfill: wrote %d, unopened %v; want 1 and %v", res.Written, res.Unopened, sealedWrong)
		}
		if got := householdRows(t, db, id); !slices.Equal(got, want) {
			t.Errorf("household after the backfill:\n got %+v\nwant %+v", got, want)
		}
		if got := householdRows(t, db, sealedWrong[0]); len(got) != 0 {
			t.Errorf("a need whose identity does not open got a household: %+v", got)
		}

		// Twice changes nothing.
		res, err = nb.svc.BackfillHouseholds(ctx, 1)
		if err != nil || res.Written != 0 || len(res.Unopened) != 1 {
			t.Errorf("second backfill: %+v, %v", res, err)
		}
		if got := householdRows(t, db, id); !slices.Equal(got, want) {
			t.Errorf("household after a second backfill:\n got %+v\nwant %+v", got, want)
		}
		// A household recorded already is kept, whatever is offered.
		if ok, err := gormstore.New(db).SetHousehold(ctx, created.Need.ID, []marketplace.HouseholdMember{{Pseudonym: pz.Of(child), Role: kernel.RoleBeneficiary}}); ok || err != nil {
			t.Errorf("SetHousehold over a recorded household: %v, %v", ok, err)
		}
	})
}
