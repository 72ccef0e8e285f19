package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/marketplace"
)

// civilAffairsVerifier creates a civil affairs office of region with a
// verifier, and returns the verifier's token and principal.
func (env *testEnv) civilAffairsVerifier(name, region string) (string, *kernel.Principal) {
	env.t.Helper()
	o, err := env.accounts.CreateOrg(context.Background(), env.admin, marketplace.NewOrg{Name: name, Kind: kernel.OrgCivilAffairs, RegionCode: region})
	if err != nil {
		env.t.Fatal(err)
	}
	return env.user(kernel.RoleVerifier, o)
}

// TestVerifierOfAnotherCountyReachesNoScreeningWork: a verifier works on the
// screenings and referrals of the needs in the region of their civil affairs
// office, as for clearance; a verifier of another county sees none of them
// in the review queue or the referrals and gets 404 for each one, by API and
// by page, and nothing they send is written.
func TestVerifierOfAnotherCountyReachesNoScreeningWork(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		// A household of 郓城县 (371725) whose need warns: missed relief,
		// with a referral to 特困供养.
		need := env.postNeed(screenedNeed{idNumber: screeningIDNumber, category: kernel.CatBasicLiving, from: "2026-11-01", to: "2026-11-30",
			cost: 200_000, req: 200_000, households: "tekun"})
		home, _ := env.user(kernel.RoleVerifier, nil) // 郓城县民政
		r := env.do(http.MethodPost, "/api/v1/needs/"+need+"/screening/run", home, nil)
		if r.Status != http.StatusCreated {
			t.Fatalf("run: %d %s", r.Status, r.Body)
		}
		sc := decodeInto[screeningBody](t, r)
		if sc.Result != "warn" {
			t.Fatalf("want a warning: %s", r.Body)
		}
		refs := decodeInto[referralsBody](t, env.do(http.MethodGet, "/api/v1/referrals", home, nil))
		if len(refs.Items) != 1 {
			t.Fatalf("referrals: %+v", refs)
		}
		ref := refs.Items[0].ID

		other, otherP := env.civilAffairsVerifier("牡丹区民政局", "371702")
		if q := decodeInto[queueBody](t, env.do(http.MethodGet, "/api/v1/review-queue", other, nil)); len(q.Items) != 0 {
			t.Errorf("another county's review queue lists the case: %+v", q)
		}
		if rs := decodeInto[referralsBody](t, env.do(http.MethodGet, "/api/v1/referrals", other, nil)); len(rs.Items) != 0 {
			t.Errorf("another county's referrals list this one: %+v", rs)
		}
		for _, tc := range []struct {
			name, method, path string
			body               any
		}{
			{"acknowledge the warning", http.MethodPost, "/api/v1/review-queue/" + sc.ID + "/decisions", map[string]any{"decision": "acknowledge"}},
			{"accept the referral", http.MethodPost, "/api/v1/referrals/" + ref, map[string]any{"status": "accepted", "note": "我来跟进"}},
			{"read the screening", http.MethodGet, "/api/v1/needs/" + need + "/screening?all=1", nil},
			{"re-run the screening", http.MethodPost, "/api/v1/needs/" + need + "/screening/run", nil},
		} {
			if r := env.do(tc.method, tc.path, other, tc.body); r.Status != http.StatusNotFound {
				t.Errorf("%s: %d, want 404: %s", tc.name, r.Status, r.Body)
			}
		}
		b := newBrowser(env)
		b.login(otherP)
		if body := b.do(http.MethodGet, "/verify/review", nil).Body.String(); strings.Contains(body, need) || strings.Contains(body, sc.ID) {
			t.Error("another county's review page shows the case")
		}
		if body := b.do(http.MethodGet, "/verify/referrals", nil).Body.String(); strings.Contains(body, ref) {
			t.Error("another county's referrals page shows the referral")
		}
		if r := b.form("/verify/review/"+sc.ID, url.Values{"decision": {"acknowledge"}}); r.Code != http.StatusNotFound {
			t.Errorf("decision form: %d, want 404", r.Code)
		}
		if r := b.form("/verify/referrals/"+ref, url.Values{"status": {"closed"}, "note": {"结案"}}); r.Code != http.StatusNotFound {
			t.Errorf("referral form: %d, want 404", r.Code)
		}

		// Nothing was written: the case is still open, the referral open
		// and the screening the home county's run.
		q := decodeInto[queueBody](t, env.do(http.MethodGet, "/api/v1/review-queue", home, nil))
		if len(q.Items) != 1 || q.Items[0].Screening.ID != sc.ID || q.Items[0].Screening.Decision != "" {
			t.Errorf("home county's queue: %+v", q)
		}
		if rs := decodeInto[referralsBody](t, env.do(http.MethodGet, "/api/v1/referrals", home, nil)); len(rs.Items) != 1 || rs.Items[0].Status != "open" || len(rs.Items[0].Notes) != 0 {
			t.Errorf("home county's referral: %+v", rs)
		}
		// The city's office contains the county: its verifier works on it.
		city, _ := env.civilAffairsVerifier("菏泽市民政局", "371700")
		if q := decodeInto[queueBody](t, env.do(http.MethodGet, "/api/v1/review-queue", city, nil)); len(q.Items) != 1 {
			t.Errorf("the city's verifier does not see the county's case: %+v", q)
		}
		if r := env.do(http.MethodPost, "/api/v1/review-queue/"+sc.ID+"/decisions", city, map[string]any{"decision": "acknowledge"}); r.Status != http.StatusOK {
			t.Errorf("the city's verifier acknowledges: %d %s", r.Status, r.Body)
		}
	})
}

// TestStaffMoneyPageShowsOnlyTheStaffsOwnAllocations: federation staff see
// on a need's money page the allocations of their own organization's funds
// only, as GET /allocations/{id} answers them; another organization's
// allocations, payees and disbursement forms are not theirs (404).
func TestStaffMoneyPageShowsOnlyTheStaffsOwnAllocations(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		wtok, _ := env.user(kernel.RoleSocialWorker, nil)
		vtok, _ := env.user(kernel.RoleVerifier, nil)
		needID := env.createNeed(wtok, needBody())
		env.clearAndPublish(needID, wtok, vtok)
		env.advance(121 * time.Hour) // past the notice: open
		_, staffA := env.user(kernel.RoleFederationStaff, nil)
		fund := env.fundWithBalance(staffA, kernel.Restrictions{}, 2_000_000)
		paid, err := env.funds.Allocate(ctx, staffA, funds.KindFund, fund, needID, 500_000, nil)
		if err != nil {
			t.Fatal(err)
		}
		if paid, err = env.funds.Disburse(ctx, staffA, paid.PublicID, funds.Payee{Type: funds.PayeeProvider, Name: "郓城县人民医院", Reference: "YC20261123001"}, nil); err != nil {
			t.Fatal(err)
		}
		open, err := env.funds.Allocate(ctx, staffA, funds.KindFund, fund, needID, 300_000, nil)
		if err != nil {
			t.Fatal(err)
		}
		fedB, err := env.accounts.CreateOrg(ctx, env.admin, marketplace.NewOrg{Name: "另一慈善总会", Kind: kernel.OrgCharityFederation, RegionCode: "371725"})
		if err != nil {
			t.Fatal(err)
		}
		btok, staffB := env.user(kernel.RoleFederationStaff, fedB)

		a := newBrowser(env)
		a.login(staffA)
		if page := a.do(http.MethodGet, "/staff/money/"+needID, nil).Body.String(); !strings.Contains(page, open.PublicID) || !strings.Contains(page, funds.PayeeShown(paid.PayeeMasked)) {
			t.Fatalf("the holder's staff do not see their allocations")
		}
		b := newBrowser(env)
		b.login(staffB)
		r := b.do(http.MethodGet, "/staff/money/"+needID, nil)
		if r.Code != http.StatusOK {
			t.Fatalf("money page: %d", r.Code)
		}
		for _, secret := range []string{paid.PublicID, open.PublicID, paid.PayeeMasked} {
			if strings.Contains(r.Body.String(), secret) {
				t.Errorf("another organization's staff see %q on the money page", secret)
			}
		}
		for _, id := range []string{paid.PublicID, open.PublicID} {
			if r := env.do(http.MethodGet, "/api/v1/allocations/"+id, btok, nil); r.Status != http.StatusNotFound {
				t.Errorf("GET /allocations/%s: %d, want 404", id, r.Status)
			}
		}
		payee := map[string]any{"payee_type": "provider", "payee_name": "某医院", "reference": "X1"}
		if r := env.do(http.MethodPost, "/api/v1/allocations/"+open.PublicID+"/disburse", btok, payee, "Idempotency-Key", "b-disburse-1"); r.Status != http.StatusNotFound {
			t.Errorf("disburse another organization's allocation: %d, want 404: %s", r.Status, r.Body)
		}
		d := url.Values{"idempotency_key": {"b-disburse-2"}, "allocation": {open.PublicID}, "payee_type": {"provider"}, "payee_name": {"某医院"}, "reference": {"X2"}}
		if r := b.form("/staff/money/"+needID+"/disbursements", d); r.Code != http.StatusNotFound {
			t.Errorf("disbursement form for another organization's allocation: %d, want 404", r.Code)
		}
		// Allocating from another organization's (public) fund: the page
		// answers as the API does (403), and no money moves.
		if r := env.do(http.MethodPost, "/api/v1/funds/"+fund+"/allocations", btok, map[string]any{"need_id": needID, "amount_fen": 10_000}, "Idempotency-Key", "b-alloc-1"); r.Status != http.StatusForbidden {
			t.Errorf("API allocation from another organization's fund: %d, want 403: %s", r.Status, r.Body)
		}
		alloc := url.Values{"idempotency_key": {"b-alloc-2"}, "source": {"fund:" + fund}, "amount": {"100"}}
		if r := b.form("/staff/money/"+needID+"/allocations", alloc); r.Code != http.StatusForbidden {
			t.Errorf("allocation form from another organization's fund: %d, want 403 as the API", r.Code)
		}
		if got, err := env.funds.Allocation(ctx, staffA, open.PublicID); err != nil || got.Status != funds.AllocAllocated {
			t.Errorf("the allocation after the attempts: %+v %v", got, err)
		}
		if f, err := env.funds.Source(ctx, funds.KindFund, fund); err != nil || f.BalanceFen != 2_000_000-800_000 {
			t.Errorf("the fund after the attempts: %+v %v", f, err)
		}
	})
}
