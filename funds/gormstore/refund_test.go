package gormstore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// refundsOf lists a pledge's refunds as its receiving staff see them.
func (f *fixture) refundsOf(pledge string) []funds.Refund {
	f.t.Helper()
	rs, err := f.svc.Refunds(context.Background(), f.staff, pledge)
	if err != nil {
		f.t.Fatal(err)
	}
	return rs
}

// A gift to a need is refunded in parts while the need has not paid it
// out: each part leaves the need's account and its lot for the donor
// clearing account (TxRefund), the need's funded amount drops, the
// register shows it; money paid out cannot go back; the last part refunds
// the pledge and voids its receipt. The ledger stays proven.
func TestPartialRefundsOfAGiftToANeed(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		need := f.need(needSpec{RequestedFen: 100_000})
		donor := f.user(kernel.RoleDonor, nil)
		p := f.give(donor, need, 60_000)

		r, err := f.svc.RecordRefund(ctx, f.staff, p.PublicID, funds.NewRefund{AmountFen: 10_000, Reason: "捐赠人要求部分退款"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.Channel != funds.RefundBank || r.Status != funds.RefundPending || r.AmountFen != 10_000 || r.JournalTx == "" {
			t.Fatalf("refund %+v", r)
		}
		if funded, _, _ := f.needMoney(need); funded != 50_000 {
			t.Fatalf("funded %d after refunding 10000 of 60000", funded)
		}
		got, err := f.svc.Pledge(ctx, f.staff, p.PublicID)
		if err != nil || got.Status != funds.PledgeConfirmed {
			t.Fatalf("a part refunded: %+v %v", got, err)
		}
		// The reason is sealed at rest and opened for staff.
		var ct []byte
		f.db.Gorm.Raw("SELECT reason_ct FROM pledge_refunds WHERE public_id = ?", r.PublicID).Scan(&ct)
		if len(ct) == 0 || string(ct) == "捐赠人要求部分退款" || f.refundsOf(p.PublicID)[0].Reason != "捐赠人要求部分退款" {
			t.Fatalf("reason stored %q", ct)
		}
		ds, err := f.svc.Disclosures(ctx, funds.DisclosureFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var refunded int64
		for _, d := range ds {
			if d.Kind == funds.DiscloseRefund && d.NeedID == need {
				refunded += d.AmountFen
			}
		}
		if refunded != -10_000 {
			t.Errorf("the register shows %d refunded", refunded)
		}
		// 45,000 paid out to the hospital: 5,000 of the gift is left unpaid.
		if _, err := f.svc.DisburseNeed(ctx, f.staff, need, hospital(45_000), nil); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.RecordRefund(ctx, f.staff, p.PublicID, funds.NewRefund{AmountFen: 5_001, Reason: "再退"}, nil); !errors.Is(err, funds.ErrInsufficientFunds) {
			t.Fatalf("refund of money paid out: %v", err)
		}
		if _, err := f.svc.RecordRefund(ctx, f.staff, p.PublicID, funds.NewRefund{AmountFen: 5_000, Reason: "再退"}, nil); err != nil {
			t.Fatal(err)
		}
		if funded, disbursed, _ := f.needMoney(need); funded != 45_000 || disbursed != 45_000 {
			t.Fatalf("funded %d, disbursed %d", funded, disbursed)
		}
		// What is left of the pledge was paid out: nothing more goes back.
		if _, err := f.svc.RecordRefund(ctx, f.staff, p.PublicID, funds.NewRefund{Reason: "全部"}, nil); !errors.Is(err, funds.ErrInsufficientFunds) {
			t.Fatalf("the rest: %v", err)
		}
		if rs := f.refundsOf(p.PublicID); len(rs) != 2 {
			t.Fatalf("refunds %+v", rs)
		}
		f.verify()
	})
}

// A pledge to a fund refunded in parts until nothing is left: never more
// than is left, never more than the fund holds; the last part refunds the
// pledge and voids its receipt; staff of another organization learn
// nothing, the donor may not refund.
func TestPartialRefundsOfAGiftToAFund(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		fund := f.fund(kernel.Restrictions{})
		p := f.donate(funds.TargetFund, fund.PublicID, 30_000)
		other := f.user(kernel.RoleFederationStaff, f.other)
		if _, err := f.svc.RecordRefund(ctx, other, p.PublicID, funds.NewRefund{Reason: "x"}, nil); !errors.Is(err, kernel.ErrNotFound) {
			t.Errorf("another federation: %v", err)
		}
		for name, n := range map[string]funds.NewRefund{
			"negative":                 {AmountFen: -1},
			"a reason of 81":           {Reason: string(make([]rune, 81))},
			"a bad bank reference":     {BankReference: "参考"},
			"more than MaxAmountFen":   {AmountFen: funds.MaxAmountFen + 1},
			"an angle bracket reason:": {Reason: "<b>"},
		} {
			var ve *kernel.ValidationError
			if _, err := f.svc.RecordRefund(ctx, f.staff, p.PublicID, n, nil); !errors.As(err, &ve) {
				t.Errorf("%s: %v", name, err)
			}
		}
		if _, err := f.svc.RecordRefund(ctx, f.staff, p.PublicID, funds.NewRefund{AmountFen: 10_000, Reason: "部分", BankReference: "ICBC-001"}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.RecordRefund(ctx, f.staff, p.PublicID, funds.NewRefund{AmountFen: 20_001, Reason: "多了"}, nil); !errors.Is(err, kernel.ErrConflict) {
			t.Fatalf("over: %v", err)
		}
		// The fund spent most of it meanwhile.
		need := f.need(needSpec{RequestedFen: 15_000})
		if _, err := f.svc.Allocate(ctx, f.staff, funds.KindFund, fund.PublicID, need, 15_000, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.RecordRefund(ctx, f.staff, p.PublicID, funds.NewRefund{Reason: "剩余"}, nil); !errors.Is(err, funds.ErrInsufficientFunds) {
			t.Fatalf("more than the fund holds: %v", err)
		}
		if _, err := f.svc.RecordRefund(ctx, f.staff, p.PublicID, funds.NewRefund{AmountFen: 5_000, Reason: "剩余"}, nil); err != nil {
			t.Fatal(err)
		}
		if b := f.balance(funds.KindFund, fund.PublicID); b != 0 {
			t.Fatalf("fund balance %d", b)
		}
		// A pledge refunded whole at once voids its receipt.
		q := f.donate(funds.TargetFund, fund.PublicID, 7_000)
		r, err := f.svc.RecordRefund(ctx, f.staff, q.PublicID, funds.NewRefund{Reason: "全部"}, nil)
		if err != nil || r.AmountFen != 7_000 {
			t.Fatalf("whole: %+v %v", r, err)
		}
		got, _ := f.svc.Pledge(ctx, f.staff, q.PublicID)
		rc, err := f.svc.Receipt(ctx, f.staff, got.ReceiptID)
		if err != nil || got.Status != funds.PledgeRefunded || rc.VoidedAt == nil {
			t.Fatalf("whole refund: %+v receipt %+v %v", got, rc, err)
		}
		if _, err := f.svc.RecordRefund(ctx, f.staff, q.PublicID, funds.NewRefund{Reason: "再退"}, nil); !errors.Is(err, kernel.ErrConflict) {
			t.Errorf("refunded twice: %v", err)
		}
		f.verify()
	})
}

// A gift that drew matching gifts is refunded whole only (its matching
// gifts go back to their fund); a donor's choice to have an ended need's
// money refunded owes them a refund through the pledge's channel.
func TestRefundsOfMatchedGiftsAndDonorsChoices(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		mf, err := f.svc.CreateSource(ctx, f.staff, funds.NewSource{Kind: funds.KindFund, Name: "配捐基金", Namer: "爱心企业", Purpose: "配捐",
			Restrictions: kernel.Restrictions{Categories: []kernel.Category{"medical"}},
			Match:        funds.MatchOffer{RatioPct: 100, DonorCapFen: 100_000, TotalCapFen: 100_000}})
		if err != nil {
			t.Fatal(err)
		}
		f.donate(funds.TargetFund, mf.PublicID, 100_000)
		need := f.need(needSpec{RequestedFen: 100_000})
		p := f.give(f.user(kernel.RoleDonor, nil), need, 20_000)
		if funded, _, _ := f.needMoney(need); funded != 40_000 {
			t.Fatalf("funded %d with the matching gift", funded)
		}
		if _, err := f.svc.RecordRefund(ctx, f.staff, p.PublicID, funds.NewRefund{AmountFen: 5_000, Reason: "部分"}, nil); !errors.Is(err, kernel.ErrConflict) {
			t.Fatalf("part of a matched gift: %v", err)
		}
		if _, err := f.svc.RecordRefund(ctx, f.staff, p.PublicID, funds.NewRefund{Reason: "全部", BankReference: "ICBC-000"}, nil); err != nil {
			t.Fatal(err)
		}
		if funded, _, _ := f.needMoney(need); funded != 0 {
			t.Fatalf("funded %d after the whole refund", funded)
		}
		if b := f.balance(funds.KindFund, mf.PublicID); b != 100_000 {
			t.Fatalf("matching fund %d", b)
		}

		// The donor's choice: refund the money of a need that ended.
		ended := f.need(needSpec{RequestedFen: 50_000})
		donor := f.user(kernel.RoleDonor, nil)
		q := f.give(donor, ended, 30_000)
		f.endNeed(ended, kernel.NeedWithdrawn)
		if _, err := f.svc.OpenRedirects(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.RecordRefund(ctx, f.staff, q.PublicID, funds.NewRefund{AmountFen: 1_000, Reason: "部分"}, nil); !errors.Is(err, kernel.ErrConflict) {
			t.Fatalf("part while the donor chooses: %v", err)
		}
		if _, err := f.svc.RedirectPledge(ctx, donor, q.PublicID, funds.RedirectChoice{Action: funds.RedirectRefund}); err != nil {
			t.Fatal(err)
		}
		rs := f.refundsOf(q.PublicID)
		if len(rs) != 1 || rs[0].AmountFen != 30_000 || rs[0].Channel != funds.RefundBank || rs[0].Status != funds.RefundPending || rs[0].RequestedBy != 0 {
			t.Fatalf("the donor's refund is not owed: %+v", rs)
		}
		open, err := f.svc.OpenRefunds(ctx, f.staff, 10)
		if err != nil || len(open) != 1 || open[0].PublicID != rs[0].PublicID {
			t.Fatalf("open refunds %+v %v", open, err)
		}
		if _, err := f.svc.MarkRefundPaid(ctx, f.staff, rs[0].PublicID, "ICBC20261123"); err != nil {
			t.Fatal(err)
		}
		if open, _ := f.svc.OpenRefunds(ctx, f.staff, 10); len(open) != 0 {
			t.Fatalf("still open: %+v", open)
		}
		f.verify()
	})
}

// A provider's word on a refund is recorded once, in any order: success is
// final; a failure that may pass waits, backing off.
func TestRefundOutcomes(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		fund := f.fund(kernel.Restrictions{})
		p := f.donate(funds.TargetFund, fund.PublicID, 9_000)
		r, err := f.svc.RecordRefund(ctx, f.staff, p.PublicID, funds.NewRefund{AmountFen: 1_000, Reason: "x"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		steps := []struct {
			o    funds.RefundOutcome
			want funds.RefundStatus
			n    int
		}{
			{funds.RefundOutcome{Retry: true, Error: "timeout"}, funds.RefundPending, 1},
			{funds.RefundOutcome{Retry: true, Error: "timeout"}, funds.RefundPending, 2},
			{funds.RefundOutcome{Status: funds.RefundProcessing, ProviderRefundID: "R1"}, funds.RefundProcessing, 3},
			{funds.RefundOutcome{Status: funds.RefundSucceeded}, funds.RefundSucceeded, 3},
			{funds.RefundOutcome{Status: funds.RefundFailed, Error: "ABNORMAL"}, funds.RefundSucceeded, 3},
			{funds.RefundOutcome{Retry: true}, funds.RefundSucceeded, 3},
		}
		for i, s := range steps {
			got, err := f.svc.SetRefundOutcome(ctx, r.PublicID, s.o)
			if err != nil || got.Status != s.want || got.Attempts != s.n {
				t.Fatalf("step %d: %+v %v", i, got, err)
			}
			if i == 1 && (got.NextAttemptAt == nil || got.NextAttemptAt.Sub(start) != 2*60e9) {
				t.Errorf("second failure waits until %v", got.NextAttemptAt)
			}
		}
		if got := f.refundsOf(p.PublicID)[0]; got.ProviderRefundID != "R1" || got.SucceededAt == nil {
			t.Errorf("stored %+v", got)
		}
	})
}
