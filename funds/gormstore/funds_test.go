package gormstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

func TestDonationAllocationDisbursementBalance(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		fund := f.fund(kernel.Restrictions{Categories: []kernel.Category{"medical"}, RegionPrefixes: []string{"3717"}})
		f.donate(funds.TargetFund, fund.PublicID, 300_000)
		got, err := f.svc.Source(ctx, funds.KindFund, fund.PublicID)
		if err != nil || got.BalanceFen != 300_000 {
			t.Fatalf("balance %v, %v; want 300000", got, err)
		}
		past := start.Add(-time.Hour)
		need := f.need(needSpec{Status: kernel.NeedNotice, NoticeEndsAt: &past})
		a, err := f.svc.Allocate(ctx, f.staff, funds.KindFund, fund.PublicID, need, 60_000, nil)
		if err != nil {
			t.Fatal(err)
		}
		if funded, _, st := f.needMoney(need); funded != 60_000 || st != "notice" {
			t.Errorf("need after allocation: funded %d status %s", funded, st)
		}
		// The rest of the need comes from a donor directly; it becomes funded.
		f.donate(funds.TargetNeed, need, 40_000)
		if funded, _, st := f.needMoney(need); funded != 100_000 || st != "funded" {
			t.Errorf("need after donation: funded %d status %s", funded, st)
		}
		d, err := f.svc.Disburse(ctx, f.staff, a.PublicID, funds.Payee{Type: funds.PayeeProvider, Name: "郓城县人民医院", Reference: "INV-2026-118822", Account: "6222020200112233"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if d.PayeeMasked != "郓城县人民医院 · account ****2233 · ref ****8822" {
			t.Errorf("masked payee %q", d.PayeeMasked)
		}
		if _, disb, _ := f.needMoney(need); disb != 60_000 {
			t.Errorf("disbursed %d", disb)
		}
		got, _ = f.svc.Source(ctx, funds.KindFund, fund.PublicID)
		if got.BalanceFen != 240_000 {
			t.Errorf("fund balance %d, want 240000", got.BalanceFen)
		}
		ds, err := f.svc.Disclosures(ctx, funds.DisclosureFilter{})
		if err != nil || len(ds) != 3 {
			t.Fatalf("disclosures %d, %v; want 3", len(ds), err)
		}
		if ds[0].RegionCode != "371725" || ds[0].NeedID != need || ds[0].SourceID != fund.PublicID {
			t.Errorf("disclosure %+v", ds[0])
		}
		facts := f.verify()
		if facts.Transactions != 5 {
			t.Errorf("%d transactions, want 5", facts.Transactions)
		}
		// A second disbursement of the same allocation is refused.
		if _, err := f.svc.Disburse(ctx, f.staff, a.PublicID, funds.Payee{Type: funds.PayeeProvider, Name: "x", Reference: "y"}, nil); !errors.Is(err, kernel.ErrConflict) {
			t.Errorf("second disbursement: %v", err)
		}
	})
}
