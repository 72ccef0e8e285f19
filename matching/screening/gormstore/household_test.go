package gormstore_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/marketplace"
	mgorm "github.com/jiujinan/jiujinan/marketplace/gormstore"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

func idOf(birth string, seq int) string {
	first17 := fmt.Sprintf("371725%s%03d", birth, seq)
	return first17 + string(kernel.IDCheckChar(first17))
}

// TestTheHeadsDibaoIsTheHouseholds: a need posted for a child whose
// household's 低保 is paid under the head's ID (户主) sees that payment in
// statutory overlap, raises no missed relief, and its evidence names the
// head by role and nothing else; members without an ID number and a
// member with the child's own ID change nothing. A need posted before
// households were sees the child alone until the backfill records its
// household.
func TestTheHeadsDibaoIsTheHouseholds(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		key := make([]byte, 32)
		_, _ = rand.Read(key)
		c, _ := marketplace.NewCipher([]marketplace.DataKey{{ID: "d1", Key: key}})
		d, err := kernel.LoadDivisions()
		if err != nil {
			t.Fatal(err)
		}
		needs := marketplace.NewNeedService(mgorm.New(db), c, f.pseudo, d, func() time.Time { return f.now }, newID, marketplace.NeedConfig{})
		needs.Screener = f.svc
		child, head := idOf("20150315", 11), idOf("19800101", 13)
		post := func() *marketplace.NeedCreated {
			t.Helper()
			created, err := needs.Create(ctx, f.worker, marketplace.NeedInput{
				Beneficiary: marketplace.BeneficiaryInput{IDNumber: child, Name: "张小明", RegionCode: "371725",
					HouseholdTypes: []kernel.HouseholdType{kernel.HHDibao},
					Members: []marketplace.Member{
						{Name: "王秀英", Relation: "母亲"},
						{Name: "张建华", Relation: "户主", IDNumber: head},
						{Name: "张小明", Relation: "本人", IDNumber: child},
					}},
				Category: kernel.CatBasicLiving, Title: "张小明家庭生活困难求助", Story: "父亲张建华患病，家庭生活困难。",
				VerifiedCostFen: 500_000, StatutoryReliefFen: 90_000, CostFrom: "2026-01-01", CostTo: "2026-03-31", Urgency: kernel.UrgencyNormal,
			})
			if err != nil {
				t.Fatal(err)
			}
			if created.ScreeningErr != nil {
				t.Fatal(created.ScreeningErr)
			}
			return created
		}
		f.pay(head, kernel.ProgDibao, 90_000, "2026-01-01", "2026-01-31")

		created := post()
		sc := created.Screening
		if sc.Result != kernel.ScreenClear {
			t.Errorf("result %s, want clear: %+v", sc.Result, sc.Checks)
		}
		for _, ch := range sc.Checks {
			switch ch.Rule {
			case kernel.RuleStatutoryOverlap:
				if ch.Result != kernel.ScreenClear || len(ch.Evidence) != 1 || ch.Evidence[0].Member != kernel.RoleHead || ch.Evidence[0].AmountFen != 90_000 {
					t.Errorf("statutory overlap: %s %q %+v", ch.Result, ch.Message, ch.Evidence)
				}
				if strings.Contains(ch.Message, "0.00 yuan in 0 payment(s)") {
					t.Errorf("statutory overlap does not see the head's dibao: %q", ch.Message)
				}
			case kernel.RuleMissedRelief:
				if ch.Result != kernel.ScreenClear || len(ch.Evidence) != 1 || ch.Evidence[0].Member != kernel.RoleHead {
					t.Errorf("missed relief: %s %q %+v", ch.Result, ch.Message, ch.Evidence)
				}
			}
		}
		stored, err := f.svc.Screenings(ctx, f.verifier, created.Need.PublicID, false)
		if err != nil || len(stored) != 1 {
			t.Fatalf("stored screenings: %d %v", len(stored), err)
		}
		b, _ := json.Marshal(stored[0].Screening)
		for _, secret := range []string{child, head, head[:17], f.pseudo.Of(head), f.pseudo.Of(child), "张建华", "张小明", "王秀英"} {
			if strings.Contains(string(b), secret) {
				t.Errorf("the stored screening holds %q: %s", secret, b)
			}
		}
		if !strings.Contains(string(b), `"member":"head"`) {
			t.Errorf("the stored screening does not name the head: %s", b)
		}
		var refs int64
		db.Gorm.Raw(`SELECT COUNT(*) FROM referrals r JOIN needs n ON n.id = r.need_id WHERE n.public_id = ?`, created.Need.PublicID).Scan(&refs)
		if refs != 0 {
			t.Errorf("%d referral(s) for a household paid dibao under its head", refs)
		}

		// The same need posted before households were: the child alone,
		// as before (missed relief, nothing on record), until the backfill.
		old := post()
		if err := db.Gorm.Exec(`DELETE FROM need_household WHERE need_id = ?`, old.Need.ID).Error; err != nil {
			t.Fatal(err)
		}
		s, err := f.svc.Screen(ctx, old.Need.PublicID, kernel.StageClear, 0)
		if err != nil {
			t.Fatal(err)
		}
		if s.Result != kernel.ScreenWarn || s.Checks[3].Result != kernel.ScreenWarn || s.Checks[0].Result != kernel.ScreenWarn {
			t.Errorf("a need without its household: %s %+v", s.Result, s.Checks)
		}
		if res, err := needs.BackfillHouseholds(ctx, 10); err != nil || res.Written != 1 {
			t.Fatalf("backfill: %+v %v", res, err)
		}
		// (Two needs of the child now: the duplicate check warns, as it should.)
		s, err = f.svc.Screen(ctx, old.Need.PublicID, kernel.StageClear, 0)
		if err != nil || s.Checks[0].Result != kernel.ScreenClear || s.Checks[3].Result != kernel.ScreenClear || s.Checks[0].Evidence[0].Member != kernel.RoleHead {
			t.Errorf("after the backfill: %v %+v", err, s.Checks)
		}
	})
}
