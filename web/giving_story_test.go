package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
)

// The stories of issue 14, end to end with screening wired into the need
// lifecycle and funds, on SQLite and MariaDB: gifts reach the provider,
// and no gift or allocation takes a person past the limit of their
// hardship (verified cost − statutory relief), whichever posting it goes to.

// giveStory is the cast of a story.
type giveStory struct {
	env      *testEnv
	worker   string
	verifier string
	staff    string
	staffP   *kernel.Principal
}

func newGiveStory(t *testing.T, env *testEnv) *giveStory {
	env.needs.Screener = env.screening
	env.funds.Screener = env.screening
	s := &giveStory{env: env}
	s.worker, _ = env.user(kernel.RoleSocialWorker, nil)
	s.verifier, _ = env.user(kernel.RoleVerifier, nil)
	return s
}

// post creates, clears and publishes a need for the person with idNumber,
// by worker, costing costFen with statutoryFen paid by the state, and
// waits out its notice; it returns the need's id.
func (s *giveStory) post(worker, idNumber string, costFen, statutoryFen int64) string {
	env := s.env
	env.t.Helper()
	body := needBody()
	body["beneficiary"].(map[string]any)["id_number"] = idNumber
	body["verified_cost_fen"], body["statutory_relief_fen"] = costFen, statutoryFen
	id := env.createNeed(worker, body)
	env.clearAndPublish(id, worker, s.verifier)
	return id
}

// afterNotice moves past every notice and signs the cast in again (tokens
// live an hour).
func (s *giveStory) afterNotice() {
	s.env.advance(121 * time.Hour)
	s.worker, _ = s.env.user(kernel.RoleSocialWorker, nil)
	s.verifier, _ = s.env.user(kernel.RoleVerifier, nil)
	s.staff, s.staffP = s.env.user(kernel.RoleFederationStaff, nil)
}

// give pledges amount to a need as a new donor and has staff confirm it;
// it returns the donor's token and principal and the pledge id.
func (s *giveStory) give(need string, amountFen int64) (string, *kernel.Principal, string) {
	env := s.env
	env.t.Helper()
	donor, dp := env.user(kernel.RoleDonor, nil)
	r := env.do(http.MethodPost, "/api/v1/pledges", donor, map[string]any{"target_type": "need", "target_id": need, "amount_fen": amountFen})
	if r.Status != http.StatusCreated {
		env.t.Fatalf("pledge %d to %s: %d %s", amountFen, need, r.Status, r.Body)
	}
	id := r.JSON(env.t)["id"].(string)
	if r := env.do(http.MethodPost, "/api/v1/pledges/"+id+"/confirm", s.staff, nil); r.Status != http.StatusOK {
		env.t.Fatalf("confirm: %d %s", r.Status, r.Body)
	}
	return donor, dp, id
}

// fund creates a fund with restrictions, fills it with a donation and
// returns its id.
func (s *giveStory) fund(restrictions map[string]any, fenIn int64) string {
	env := s.env
	env.t.Helper()
	r := env.do(http.MethodPost, "/api/v1/funds", s.staff, map[string]any{"name": "春晖助医基金", "namer": "春晖公司", "purpose": "大病医疗救助",
		"restrictions": restrictions})
	if r.Status != http.StatusCreated {
		env.t.Fatalf("fund: %d %s", r.Status, r.Body)
	}
	fund := r.JSON(env.t)["id"].(string)
	donor, _ := env.user(kernel.RoleDonor, nil)
	r = env.do(http.MethodPost, "/api/v1/pledges", donor, map[string]any{"target_type": "fund", "target_id": fund, "amount_fen": fenIn})
	if r.Status != http.StatusCreated {
		env.t.Fatalf("pledge to fund: %d %s", r.Status, r.Body)
	}
	if r := env.do(http.MethodPost, "/api/v1/pledges/"+r.JSON(env.t)["id"].(string)+"/confirm", s.staff, nil); r.Status != http.StatusOK {
		env.t.Fatalf("confirm: %d %s", r.Status, r.Body)
	}
	return fund
}

// money reads a need's funded and disbursed amounts and status.
func (s *giveStory) money(need string) (funded, disbursed int64, status kernel.NeedStatus) {
	s.env.t.Helper()
	n, err := s.env.funds.Store.Need(context.Background(), need)
	if err != nil {
		s.env.t.Fatal(err)
	}
	return n.FundedFen, n.DisbursedFen, n.Status
}

// verifyBooks fails the test when the ledger or the audit chains do not verify.
func (s *giveStory) verifyBooks() {
	s.env.t.Helper()
	ctx := context.Background()
	problems, _, err := s.env.funds.VerifyLedger(ctx)
	if err != nil || len(problems) > 0 {
		s.env.t.Errorf("ledger: %v %v", problems, err)
	}
	heads, err := s.env.store.AuditStreams(ctx)
	if err != nil {
		s.env.t.Fatal(err)
	}
	for _, h := range heads {
		es, err := s.env.store.AuditEntries(ctx, h.Stream)
		if err != nil {
			s.env.t.Fatal(err)
		}
		if p := marketplace.VerifyChain(h.Stream, es, h.Seq, h.Hash); len(p) > 0 {
			s.env.t.Errorf("audit chain %s: %v", h.Stream, p)
		}
	}
}

// TestGiftsToANeedArePaidToTheHospital: two donors give ¥200 and ¥300
// straight to a fire victim's need of ¥500; staff of the receiving
// federation pay it to the hospital against its invoice in two payments;
// the need is disbursed, closing it opens no choice for the donors, and
// each donor sees on "my giving" the payment that used their gift.
func TestGiftsToANeedArePaidToTheHospital(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		s := newGiveStory(t, env)
		need := s.post(s.worker, idNumberWithX(t), 70_000, 20_000) // ¥700 − ¥200: ¥500 from charity
		s.afterNotice()
		d1, p1, _ := s.give(need, 20_000)
		d2, p2, _ := s.give(need, 30_000)
		if funded, _, st := s.money(need); funded != 50_000 || st != kernel.NeedFunded {
			t.Fatalf("need funded %d, %s; want 50000, funded", funded, st)
		}
		// Someone else's staff may not pay it out; the receiving federation's may.
		_, otherP := env.user(kernel.RoleFederationStaff, env.orgs[kernel.OrgCharity])
		pay := funds.NewDisbursement{AmountFen: 35_000, ProviderKind: funds.ProviderHospital,
			Payee: funds.Payee{Type: funds.PayeeProvider, Name: "郓城县人民医院", Reference: "FP-2026-0012345"}}
		if _, err := env.funds.DisburseNeed(ctx, otherP, need, pay, nil); !errors.Is(err, kernel.ErrForbidden) && !errors.Is(err, kernel.ErrNotFound) {
			t.Errorf("another organization's staff paid out the need: %v", err)
		}
		if _, err := env.funds.DisburseNeed(ctx, s.staffP, need, funds.NewDisbursement{AmountFen: 50_001, ProviderKind: funds.ProviderHospital,
			Payee: pay.Payee}, nil); err == nil {
			t.Error("paid out more than the need holds")
		}
		if _, err := env.funds.DisburseNeed(ctx, s.staffP, need, pay, nil); err != nil {
			t.Fatal(err)
		}
		rest := pay
		rest.AmountFen, rest.Payee.Reference = 15_000, "FP-2026-0012399"
		if _, err := env.funds.DisburseNeed(ctx, s.staffP, need, rest, nil); err != nil {
			t.Fatal(err)
		}
		if funded, disbursed, st := s.money(need); funded != 50_000 || disbursed != 50_000 || st != kernel.NeedDisbursed {
			t.Fatalf("need %d/%d %s; want all paid out and disbursed", funded, disbursed, st)
		}
		// Nothing is left: closing the case leaves the donors nothing to choose.
		if r := env.do(http.MethodPost, "/api/v1/needs/"+need+"/close", s.worker, map[string]any{"note": "医疗费用已全部拨付医院，结案。"}); r.Status != http.StatusOK {
			t.Fatalf("close: %d %s", r.Status, r.Body)
		}
		if n, err := env.funds.OpenRedirects(ctx); err != nil || n != 0 {
			t.Errorf("closing a paid-out need opened %d choices (%v)", n, err)
		}
		// Each donor sees where their gift went: ¥200 all in the first
		// payment; ¥300 as ¥150 of the first and ¥150 of the second.
		for _, c := range []struct {
			donor *kernel.Principal
			want  []int64
		}{{p1, []int64{20_000}}, {p2, []int64{15_000, 15_000}}} {
			g, err := env.funds.MyGiving(ctx, c.donor)
			if err != nil {
				t.Fatal(err)
			}
			if len(g.Lines) != 1 || len(g.Lines[0].Traces) != 1 {
				t.Fatalf("giving %+v", g.Lines)
			}
			tr := g.Lines[0].Traces[0]
			if tr.NeedID != need || tr.PaidFen != tr.AmountFen || len(tr.Payments) != len(c.want) {
				t.Fatalf("trace %+v", tr)
			}
			for i, p := range tr.Payments {
				if p.AmountFen != c.want[i] || p.ProviderKind != funds.ProviderHospital || p.ReferenceMasked == "" ||
					strings.Contains(p.ReferenceMasked, "2026") {
					t.Errorf("payment %+v", p)
				}
			}
			if len(g.Choices) != 0 {
				t.Errorf("the donor was asked to choose: %+v", g.Choices)
			}
		}
		// The API shows the same trace.
		for _, d := range []string{d1, d2} {
			r := env.do(http.MethodGet, "/api/v1/me/giving", d, nil)
			if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"provider_kind":"hospital"`) {
				t.Errorf("my giving: %d %s", r.Status, r.Body)
			}
		}
		s.verifyBooks()
	})
}

// TestASecondPostingOfThePersonCannotTakeThemPastTheirLimit: a second
// organization posts the same person. The fund's per-need cap holds for
// the person across both postings; a gift that would take the person past
// their limit is refused when pledged; a gift confirmed after others
// filled the room applies only what the limit allows and the rest waits
// for the donor's choice.
func TestASecondPostingOfThePersonCannotTakeThemPastTheirLimit(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		s := newGiveStory(t, env)
		id := idNumberWithX(t)
		otherWorker, _ := env.user(kernel.RoleSocialWorker, env.orgs[kernel.OrgCharity])
		// ¥5,000 cost − ¥1,000 statutory: ¥4,000 may come from charity.
		a := s.post(s.worker, id, 500_000, 100_000)
		b := s.post(otherWorker, strings.ToLower(id), 500_000, 100_000)
		s.afterNotice()
		fund := s.fund(map[string]any{"categories": []string{"medical"}, "per_need_cap_fen": 200_000}, 10_000_000)
		if r := env.do(http.MethodPost, "/api/v1/funds/"+fund+"/allocations", s.staff, map[string]any{"need_id": a, "amount_fen": 200_000}); r.Status != http.StatusCreated {
			t.Fatalf("allocate to the first posting: %d %s", r.Status, r.Body)
		}
		// The cap is the person's: nothing more from this fund for them.
		if r := env.do(http.MethodPost, "/api/v1/funds/"+fund+"/allocations", s.staff, map[string]any{"need_id": b, "amount_fen": 100}); r.Status < 400 {
			t.Errorf("the fund gave its cap twice to the same person: %d %s", r.Status, r.Body)
		}
		// ¥1,500 to the second posting: ¥3,500 of ¥4,000.
		s.give(b, 150_000)
		// ¥1,500 more would make ¥5,000: refused at pledge time, never created.
		donor, dp := env.user(kernel.RoleDonor, nil)
		r := env.do(http.MethodPost, "/api/v1/pledges", donor, map[string]any{"target_type": "need", "target_id": b, "amount_fen": 150_000})
		if r.Status < 400 {
			t.Fatalf("a gift past the person's limit was pledged: %d %s", r.Status, r.Body)
		}
		if g, _ := env.funds.MyGiving(ctx, dp); len(g.Lines) != 0 {
			t.Errorf("the refused gift was created: %+v", g.Lines)
		}
		// Two gifts of ¥400 pledged while there was room, confirmed one
		// after the other: the first applies, the second only ¥100 of it
		// (the person's limit); its other ¥300 is held for the donor.
		var pledges []string
		for range 2 {
			donor, _ := env.user(kernel.RoleDonor, nil)
			r := env.do(http.MethodPost, "/api/v1/pledges", donor, map[string]any{"target_type": "need", "target_id": b, "amount_fen": 40_000})
			if r.Status != http.StatusCreated {
				t.Fatalf("pledge: %d %s", r.Status, r.Body)
			}
			pledges = append(pledges, r.JSON(t)["id"].(string))
		}
		for _, p := range pledges {
			if r := env.do(http.MethodPost, "/api/v1/pledges/"+p+"/confirm", s.staff, nil); r.Status != http.StatusOK {
				t.Fatalf("confirm: %d %s", r.Status, r.Body)
			}
		}
		fa, _, _ := s.money(a)
		fb, _, _ := s.money(b)
		if fa+fb != 400_000 {
			t.Errorf("the person holds %d fen across both postings, want exactly the limit 400000", fa+fb)
		}
		p, err := env.funds.Store.Pledge(ctx, pledges[1])
		if err != nil {
			t.Fatal(err)
		}
		r2, err := env.funds.Store.LastRedirect(ctx, p.ID)
		if err != nil || r2.Reason != funds.EndUnapplied || r2.AmountFen != 30_000 || r2.Status != funds.RedirectPending {
			t.Errorf("the ¥300 the need could not take waits for the donor's choice: %+v %v", r2, err)
		}
		s.verifyBooks()
	})
}

// TestARefusedAllocationDoesNotStopDisbursements: an allocation refused
// for asking too much is the request's screening, not the need's: the
// need stays out of the review queue and pays out.
func TestARefusedAllocationDoesNotStopDisbursements(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		s := newGiveStory(t, env)
		need := s.post(s.worker, idNumberWithX(t), 500_000, 100_000)
		s.afterNotice()
		fund := s.fund(map[string]any{"categories": []string{"medical"}}, 10_000_000)
		if r := env.do(http.MethodPost, "/api/v1/funds/"+fund+"/allocations", s.staff, map[string]any{"need_id": need, "amount_fen": 300_000}); r.Status != http.StatusCreated {
			t.Fatalf("allocate: %d %s", r.Status, r.Body)
		}
		if r := env.do(http.MethodPost, "/api/v1/funds/"+fund+"/allocations", s.staff, map[string]any{"need_id": need, "amount_fen": 200_000}); r.Status < 400 {
			t.Fatalf("an allocation past the limit went through: %d %s", r.Status, r.Body)
		}
		n, err := env.funds.Store.Need(ctx, need)
		if err != nil {
			t.Fatal(err)
		}
		if n.Screening == kernel.ScreenBlock {
			t.Errorf("the refused request marked the need %s", n.Screening)
		}
		for i := range 3 {
			if _, err := env.funds.DisburseNeed(ctx, s.staffP, need, funds.NewDisbursement{AmountFen: 100_000, ProviderKind: funds.ProviderHospital,
				Payee: funds.Payee{Type: funds.PayeeProvider, Name: "郓城县人民医院", Reference: "FP-" + itoa(int64(i)) + "-778899"}}, nil); err != nil {
				t.Fatalf("disbursement %d: %v", i, err)
			}
		}
		_, vp := env.user(kernel.RoleVerifier, nil)
		q, err := env.screening.ReviewQueue(ctx, vp, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range q {
			if it.Need.ID == need && it.Screening.Result == kernel.ScreenBlock {
				t.Errorf("the need is in the review queue for a refused request: %+v", it)
			}
		}
		s.verifyBooks()
	})
}

// TestManyDonorsAndTwoPostingsAtOnce: donors give to both postings of one
// person at once, while staff allocate from a capped fund and pay money
// out. Whatever the interleaving: the person never holds more than their
// limit, the fund never gives the person more than its cap, the books and
// the audit chains verify (lots sum to funded, payments to disbursed), and
// a disbursed need has paid out exactly what it took.
func TestManyDonorsAndTwoPostingsAtOnce(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		s := newGiveStory(t, env)
		id := idNumberWithX(t)
		otherWorker, _ := env.user(kernel.RoleSocialWorker, env.orgs[kernel.OrgCharity])
		const limit = 300_000 // ¥4,000 − ¥1,000
		a := s.post(s.worker, id, 400_000, 100_000)
		b := s.post(otherWorker, strings.ToLower(id), 400_000, 100_000)
		s.afterNotice()
		const capFen = 50_000
		fund := s.fund(map[string]any{"categories": []string{"medical"}, "per_need_cap_fen": capFen}, 10_000_000)
		const donors = 24
		type donor struct {
			p      *kernel.Principal
			pledge string
		}
		ds := make([]donor, donors)
		for i := range ds {
			_, ds[i].p = env.user(kernel.RoleDonor, nil)
		}
		// Every donor pledges 30,000 fen while there is room: 24 × 300 =
		// ¥7,200 promised to a person who may take ¥3,000.
		for i := range ds {
			need := a
			if i%2 == 1 {
				need = b
			}
			p, err := env.funds.CreatePledge(ctx, ds[i].p, funds.NewPledge{TargetType: funds.TargetNeed, TargetID: need, AmountFen: 30_000}, nil)
			if err != nil {
				t.Fatalf("pledge %d: %v", i, err)
			}
			ds[i].pledge = p.PublicID
		}
		allowed := func(err error) bool {
			var ie *funds.IneligibleError
			var be *kernel.ScreeningBlockedError
			return err == nil || errors.As(err, &ie) || errors.As(err, &be) || errors.Is(err, kernel.ErrConflict) ||
				errors.Is(err, funds.ErrInsufficientFunds)
		}
		done := make(chan error, 3*donors)
		for i := range ds {
			go func() { _, err := env.funds.ConfirmPledge(ctx, s.staffP, ds[i].pledge); done <- err }()
			go func() {
				need := []string{a, b}[i%2]
				_, err := env.funds.Allocate(ctx, s.staffP, funds.KindFund, fund, need, 20_000, nil)
				done <- err
			}()
			go func() {
				need := []string{a, b}[i%2]
				_, err := env.funds.DisburseNeed(ctx, s.staffP, need, funds.NewDisbursement{AmountFen: 10_000, ProviderKind: funds.ProviderHospital,
					Payee: funds.Payee{Type: funds.PayeeProvider, Name: "郓城县人民医院", Reference: "FP-778899"}}, nil)
				done <- err
			}()
		}
		confirmed := 0
		for range 3 * donors {
			if err := <-done; !allowed(err) {
				t.Errorf("unexpected: %v", err)
			}
		}
		for i := range ds {
			p, err := env.funds.Store.Pledge(ctx, ds[i].pledge)
			if err != nil {
				t.Fatal(err)
			}
			if p.Status == funds.PledgeConfirmed {
				confirmed++
			}
		}
		if confirmed != donors {
			t.Errorf("%d of %d gifts confirmed: money that arrives is always recorded", confirmed, donors)
		}
		fa, da, sa := s.money(a)
		fb, db, sb := s.money(b)
		if fa+fb > limit {
			t.Errorf("the person holds %d fen, above their limit of %d", fa+fb, limit)
		}
		if fa+fb == 0 {
			t.Error("no money reached the person")
		}
		given, err := env.funds.Store.AllocationsOf(ctx, 0, mustNeedRow(t, env, a))
		if err != nil {
			t.Fatal(err)
		}
		more, err := env.funds.Store.AllocationsOf(ctx, 0, mustNeedRow(t, env, b))
		if err != nil {
			t.Fatal(err)
		}
		var fromFund int64
		for _, al := range append(given, more...) {
			if al.Status != funds.AllocReversed {
				fromFund += al.AmountFen
			}
		}
		if fromFund > capFen {
			t.Errorf("the fund gave the person %d fen, above its cap of %d", fromFund, capFen)
		}
		for _, n := range []struct {
			funded, disbursed int64
			st                kernel.NeedStatus
		}{{fa, da, sa}, {fb, db, sb}} {
			if n.st == kernel.NeedDisbursed && n.disbursed != n.funded {
				t.Errorf("a disbursed need paid %d of %d", n.disbursed, n.funded)
			}
		}
		s.verifyBooks()
	})
}

// csvRows reads a CSV download (UTF-8 with a BOM).
func csvRows(t *testing.T, b []byte) [][]string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// xlsxRows reads the one sheet of an .xlsx download as Excel shows it.
func xlsxRows(t *testing.T, b []byte) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetList()[0])
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// mustNeedRow returns a need's row id.
func mustNeedRow(t *testing.T, env *testEnv, need string) int64 {
	t.Helper()
	n, err := env.funds.Store.Need(context.Background(), need)
	if err != nil {
		t.Fatal(err)
	}
	return n.ID
}

// newAidStory is a gift to a need of a household whose ID number ends in
// X, ¥300.50 of it paid to the hospital; day formats a China date that
// many hours from now.
func newAidStory(t *testing.T, env *testEnv) (s *giveStory, id, need string, day func(time.Duration) string) {
	t.Helper()
	s = newGiveStory(t, env)
	id = idNumberWithX(t)
	need = s.post(s.worker, id, 70_000, 20_000)
	s.afterNotice()
	s.give(need, 50_000)
	if _, err := env.funds.DisburseNeed(context.Background(), s.staffP, need, funds.NewDisbursement{AmountFen: 30_050, ProviderKind: funds.ProviderHospital,
		Payee: funds.Payee{Type: funds.PayeeProvider, Name: "郓城县人民医院", Reference: "FP-2026-0012345"}}, nil); err != nil {
		t.Fatal(err)
	}
	day = func(d time.Duration) string { return env.now.Load().Add(d).In(kernel.ChinaTime).Format(time.DateOnly) }
	return s, id, need, day
}

// TestCivilAffairsDownloadCharityAid: the verifier of the county's civil
// affairs office downloads, as CSV with a BOM, what charity money reached
// which household in a period: the hospital payment of a gift, with the
// household's name and ID number; headers of an attachment; nothing for
// another county's verifier.
func TestCivilAffairsDownloadCharityAid(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		s, id, need, day := newAidStory(t, env)
		q := "/api/v1/charity-aid?region=371725&from=" + day(-30*24*time.Hour) + "&to=" + day(0)
		r := env.do(http.MethodGet, q, s.verifier, nil)
		body := string(r.Body)
		if r.Status != http.StatusOK || !strings.HasPrefix(body, "\ufeff需求编号,姓名,身份证号") {
			t.Fatalf("export: %d %.300s", r.Status, body)
		}
		if ct := r.Header.Get("Content-Disposition"); !strings.Contains(ct, "attachment") {
			t.Errorf("Content-Disposition %q", ct)
		}
		lines := strings.Split(strings.TrimSpace(body), "\n")
		if len(lines) != 2 || !strings.Contains(lines[1], need) || !strings.Contains(lines[1], id) || !strings.Contains(lines[1], "张建华") ||
			!strings.Contains(lines[1], "300.50") {
			t.Errorf("rows:\n%s", body)
		}
		other, _ := env.civilAffairsVerifier("牡丹区民政局", "371702")
		if r := env.do(http.MethodGet, q, other, nil); r.Status != http.StatusForbidden || strings.Contains(string(r.Body), id) {
			t.Errorf("another county's verifier: %d %.200s", r.Status, r.Body)
		}
		if r := env.do(http.MethodGet, "/api/v1/charity-aid?region=37x&from=2026-13-01&to=", s.verifier, nil); r.Status != http.StatusBadRequest {
			t.Errorf("bad filter: %d %s", r.Status, r.Body)
		}

		// The workbook: the same rows, cell by cell as Excel shows them.
		x := env.do(http.MethodGet, q+"&format=xlsx", s.verifier, nil)
		if x.Status != http.StatusOK || x.Header.Get("Content-Type") != funds.AidXLSX.ContentType() ||
			!strings.Contains(x.Header.Get("Content-Disposition"), `.xlsx"`) {
			t.Fatalf("xlsx: %d %q %q", x.Status, x.Header.Get("Content-Type"), x.Header.Get("Content-Disposition"))
		}
		if got, want := xlsxRows(t, x.Body), csvRows(t, r.Body); !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("xlsx rows %q, want the CSV's %q", got, want)
		}
		if r := env.do(http.MethodGet, q+"&format=xlsx", other, nil); r.Status != http.StatusForbidden || strings.Contains(string(r.Body), id) {
			t.Errorf("another county's verifier, xlsx: %d %.200s", r.Status, r.Body)
		}
		wantInvalid(t, env.do(http.MethodGet, q+"&format=xls", s.verifier, nil), "format")
	})
}
