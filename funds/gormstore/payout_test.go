package gormstore_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// hospital is a provider payee with an invoice number.
func hospital(amount int64) funds.NewDisbursement {
	return funds.NewDisbursement{AmountFen: amount, ProviderKind: funds.ProviderHospital,
		Payee: funds.Payee{Type: funds.PayeeProvider, Name: "郓城县人民医院", Reference: "FP2026112300017"}}
}

// NeedsToPay lists the needs whose donations the staff's federation
// receives (its county's, or those of counties without their own
// federation under a city one) that hold money not paid out; a need paid
// out in full, another federation's need and a withdrawn need's money
// (waiting for its donors' choices) are not on it.
func TestNeedsToPayAreTheReceivingFederationsNeedsWithUnpaidMoney(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		city, err := f.accounts.CreateOrg(ctx, f.admin, marketplace.NewOrg{Name: "菏泽市慈善总会", Kind: kernel.OrgCharityFederation, RegionCode: "371700"})
		if err != nil {
			t.Fatal(err)
		}
		cityStaff := f.user(kernel.RoleFederationStaff, city)
		otherStaff := f.user(kernel.RoleFederationStaff, f.other)
		donor := f.user(kernel.RoleDonor, nil)

		unpaid := f.need(needSpec{})
		paid := f.need(needSpec{})
		part := f.need(needSpec{})
		untouched := f.need(needSpec{})
		withdrawn := f.need(needSpec{})
		mudan := f.need(needSpec{Region: "371702001"}) // 牡丹区: no county federation, the city's receives
		longhui := f.need(needSpec{Region: "430524001"})
		for n, confirmer := range map[string]*kernel.Principal{unpaid: f.staff, paid: f.staff, part: f.staff, withdrawn: f.staff, mudan: cityStaff, longhui: otherStaff} {
			p, err := f.svc.CreatePledge(ctx, donor, funds.NewPledge{TargetType: funds.TargetNeed, TargetID: n, AmountFen: 20_000}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.ConfirmPledge(ctx, confirmer, p.PublicID); err != nil {
				t.Fatal(err)
			}
		}
		f.endNeed(withdrawn, kernel.NeedWithdrawn)
		if _, err := f.svc.DisburseNeed(ctx, f.staff, paid, hospital(20_000), nil); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.DisburseNeed(ctx, f.staff, part, hospital(5_000), nil); err != nil {
			t.Fatal(err)
		}

		ids := func(by *kernel.Principal) []string {
			t.Helper()
			ns, err := f.svc.NeedsToPay(ctx, by, 0)
			if err != nil {
				t.Fatal(err)
			}
			out := []string{}
			for _, n := range ns {
				out = append(out, n.PublicID)
			}
			return out
		}
		if got, want := ids(f.staff), []string{unpaid, part}; !slices.Equal(got, want) {
			t.Errorf("county federation: %v, want %v", got, want)
		}
		if got, want := ids(cityStaff), []string{mudan}; !slices.Equal(got, want) {
			t.Errorf("city federation: %v, want %v (郓城县's needs are its own federation's)", got, want)
		}
		if got, want := ids(otherStaff), []string{longhui}; !slices.Equal(got, want) {
			t.Errorf("another county's federation: %v, want %v", got, want)
		}
		if got := ids(f.user(kernel.RoleSocialWorker, f.swa)); len(got) != 0 {
			t.Errorf("a social worker is given needs to pay: %v", got)
		}
		if got := ids(f.user(kernel.RoleDonor, nil)); len(got) != 0 {
			t.Errorf("a donor is given needs to pay: %v", got)
		}
		ns, err := f.svc.NeedsToPay(ctx, f.staff, 1)
		if err != nil || len(ns) != 1 || ns[0].PublicID != unpaid {
			t.Errorf("limit 1: %v %v", ns, err)
		}
		if ns[0].FundedFen-ns[0].DisbursedFen != 20_000 {
			t.Errorf("the need holds %d − %d, want 20,000 unpaid", ns[0].FundedFen, ns[0].DisbursedFen)
		}
		_ = untouched // it holds no money: on no list (the lists above are exact)
		f.verify()
	})
}

// A need's money from a fund's allocation, a donor's gift and a fund's
// matching gift is paid out in the order it arrived, each part naming its
// origin (read back the same), the lots name their fund, and the donor's
// trace shows the payment with the provider's kind and the masked invoice.
func TestNeedMoneyPartsNameTheirOrigin(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		general := f.fund(kernel.Restrictions{})
		f.donate(funds.TargetFund, general.PublicID, 100_000)
		mf, err := f.svc.CreateSource(ctx, f.staff, funds.NewSource{Kind: funds.KindFund, Name: "配捐基金", Namer: "爱心企业", Purpose: "配捐",
			Match: funds.MatchOffer{RatioPct: 50, DonorCapFen: 100_000, TotalCapFen: 100_000}})
		if err != nil {
			t.Fatal(err)
		}
		f.donate(funds.TargetFund, mf.PublicID, 100_000)
		need := f.need(needSpec{RequestedFen: 100_000})
		if _, err := f.svc.Allocate(ctx, f.staff, funds.KindFund, general.PublicID, need, 10_000, nil); err != nil {
			t.Fatal(err)
		}
		donor := f.user(kernel.RoleDonor, nil)
		f.give(donor, need, 20_000) // and 10,000 of match

		m, err := f.svc.NeedMoney(ctx, f.staff, need)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []funds.LotKind
		for _, l := range m.Lots {
			kinds = append(kinds, l.Kind)
		}
		if want := []funds.LotKind{funds.LotAllocation, funds.LotGift, funds.LotMatch}; !slices.Equal(kinds, want) || m.UnpaidFen != 40_000 {
			t.Fatalf("lots %v unpaid %d, want %v and 40,000", kinds, m.UnpaidFen, want)
		}
		names, err := f.svc.LotSources(ctx, m.Lots)
		if err != nil {
			t.Fatal(err)
		}
		if names[m.Lots[0].SourceID].PublicID != general.PublicID || names[m.Lots[2].SourceID].Name != "配捐基金" ||
			names[m.Lots[2].SourceID].Kind != funds.KindFund || len(names) != 2 {
			t.Errorf("lot sources: %+v", names)
		}

		d, err := f.svc.DisburseNeed(ctx, f.staff, need, hospital(25_000), nil)
		if err != nil {
			t.Fatal(err)
		}
		type part struct {
			kind   funds.LotKind
			amount int64
		}
		parts := func(ps []funds.DisbursementPart) []part {
			var out []part
			for _, p := range ps {
				out = append(out, part{p.Kind, p.AmountFen})
			}
			return out
		}
		want := []part{{funds.LotAllocation, 10_000}, {funds.LotGift, 15_000}}
		if got := parts(d.Parts); !slices.Equal(got, want) {
			t.Errorf("parts paid: %v, want %v", got, want)
		}
		if funds.PayeeShown(d.PayeeMasked) != "郓城县人民医院" || d.ReferenceMasked != "****0017" || d.ProviderKind != funds.ProviderHospital {
			t.Errorf("disbursement shows %q, %q, %q", d.PayeeMasked, d.ReferenceMasked, d.ProviderKind)
		}
		m, err = f.svc.NeedMoney(ctx, f.staff, need)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Disbursements) != 1 || !slices.Equal(parts(m.Disbursements[0].Parts), want) || m.UnpaidFen != 15_000 {
			t.Errorf("read back: %+v, unpaid %d", m.Disbursements, m.UnpaidFen)
		}

		g, err := f.svc.MyGiving(ctx, donor)
		if err != nil {
			t.Fatal(err)
		}
		var gift, match *funds.Trace
		for i := range g.Lines[0].Traces {
			switch tr := &g.Lines[0].Traces[i]; tr.Kind {
			case "donation":
				gift = tr
			case "match":
				match = tr
			}
		}
		if gift == nil || match == nil {
			t.Fatalf("traces: %+v", g.Lines[0].Traces)
		}
		if gift.NeedID != need || gift.PaidFen != 15_000 || len(gift.Payments) != 1 || gift.Payments[0].ProviderKind != funds.ProviderHospital ||
			gift.Payments[0].ReferenceMasked != "****0017" || gift.Payments[0].AmountFen != 15_000 || gift.Payments[0].DisbursementID != d.PublicID {
			t.Errorf("the gift's trace: %+v", gift)
		}
		if match.AmountFen != 10_000 || match.PaidFen != 0 || len(match.Payments) != 0 {
			t.Errorf("the matching gift's trace: %+v", match)
		}
		// Over what is left: refused with what is left.
		_, err = f.svc.DisburseNeed(ctx, f.staff, need, hospital(15_001), nil)
		var ie *funds.IneligibleError
		if !errors.As(err, &ie) || ie.Reasons[0].Code != "over_unpaid" {
			t.Errorf("over the unpaid money: %v", err)
		}
		f.verify()
	})
}
