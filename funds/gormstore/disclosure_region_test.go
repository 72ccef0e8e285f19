package gormstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/marketplace/gormstore/needfixture"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// A need without a public region (never projected: published for staff
// only, without the household's consent) is disclosed nationwide, never
// under its own province or county.
func TestDisclosureOfNeedWithoutPublicRegionIsNationwide(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		fund := f.fund(kernel.Restrictions{Categories: []kernel.Category{"medical"}})
		f.donate(funds.TargetFund, fund.PublicID, 300_000)
		past := (*f.now.Load()).Add(-time.Hour)
		private := f.need(needSpec{Status: kernel.NeedOpen, NoticeEndsAt: &past})
		public := f.need(needSpec{Status: kernel.NeedOpen, NoticeEndsAt: &past})
		if err := needfixture.Set(ctx, db.Gorm, private, map[string]any{"public_region_code": "", "consent_public": false}); err != nil {
			t.Fatal(err)
		}
		for _, n := range []string{private, public} {
			if _, err := f.svc.Allocate(ctx, f.staff, funds.KindFund, fund.PublicID, n, 10_000, nil); err != nil {
				t.Fatal(err)
			}
		}
		ds, err := f.svc.Disclosures(ctx, funds.DisclosureFilter{})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{private: kernel.NationalRegion, public: "371725"}
		seen := 0
		for _, d := range ds {
			if w, ok := want[d.NeedID]; ok {
				seen++
				if d.RegionCode != w {
					t.Errorf("disclosure of %s shows %q, want %q", d.NeedID, d.RegionCode, w)
				}
			}
		}
		if seen != 2 {
			t.Errorf("%d disclosures of the two needs, want 2", seen)
		}
	})
}
