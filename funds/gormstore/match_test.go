package gormstore_test

import (
	"context"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

func TestMatchingGiftsWithinCapsAndReversedOnRefund(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		mf, err := f.svc.CreateSource(ctx, f.staff, funds.NewSource{Kind: funds.KindFund, Name: "配捐基金", Namer: "爱心企业", Purpose: "配捐",
			Restrictions: kernel.Restrictions{Categories: []kernel.Category{"medical"}},
			Match:        funds.MatchOffer{RatioPct: 100, DonorCapFen: 15_000, TotalCapFen: 25_000}})
		if err != nil {
			t.Fatal(err)
		}
		f.donate(funds.TargetFund, mf.PublicID, 1_000_000)
		need := f.need(needSpec{RequestedFen: 200_000})
		give := func(by *kernel.Principal, amount int64) *funds.Pledge {
			t.Helper()
			p, err := f.svc.CreatePledge(ctx, by, funds.NewPledge{TargetType: funds.TargetNeed, TargetID: need, AmountFen: amount}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if p, err = f.svc.ConfirmPledge(ctx, f.user(kernel.RoleFederationStaff, f.fed), p.PublicID); err != nil {
				t.Fatal(err)
			}
			return p
		}
		funded := func(want int64) {
			t.Helper()
			if got, _, _ := f.needMoney(need); got != want {
				t.Fatalf("need funded %d, want %d", got, want)
			}
		}
		a := f.user(kernel.RoleDonor, nil)
		give(a, 10_000)
		funded(20_000) // matched one to one
		give(a, 10_000)
		funded(35_000) // the donor's cap leaves 5,000 of match
		b := f.user(kernel.RoleDonor, nil)
		pb := give(b, 20_000)
		funded(65_000) // the total cap leaves 10,000
		// The fund's own staff are never matched.
		insider := *f.staff
		insider.Memberships = append(append([]kernel.Membership(nil), f.staff.Memberships...), kernel.Membership{Role: kernel.RoleDonor})
		give(&insider, 1_000)
		funded(66_000)
		// Refunding b's pledge takes back b's money and the fund's match.
		if _, err := f.svc.RefundPledge(ctx, f.staff, pb.PublicID); err != nil {
			t.Fatal(err)
		}
		funded(36_000)
		src, _ := f.svc.Source(ctx, funds.KindFund, mf.PublicID)
		if src.BalanceFen != 1_000_000-15_000 {
			t.Errorf("match fund balance %d, want %d", src.BalanceFen, 1_000_000-15_000)
		}
		g, err := f.svc.MyGiving(ctx, a)
		if err != nil || len(g.Lines) != 2 || g.Lines[0].MatchedFen+g.Lines[1].MatchedFen != 15_000 {
			t.Errorf("donor's view of matches: %+v %v", g, err)
		}
		f.verify()
	})
}
