package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/kernel"
)

func init() {
	addRouteAccess(map[string][]string{
		"GET /api/v1/needs/:id/money":          {"federation_staff"},
		"POST /api/v1/needs/:id/disbursements": {"federation_staff"},
	})
}

// givenNeed is an open need of 郓城县 (requested ¥1,000) holding money of
// every origin, in this order: a fund's allocation of ¥100, donor A's gift
// of ¥200 with its matching gift of ¥100 (配捐 50%), donor B's gift of
// ¥300 with its matching gift of ¥150.
type givenNeed struct {
	id, fund, matchFund, allocation string
	staff, donorA, donorB           string
	staffP, donorAP                 *kernel.Principal
}

func newGivenNeed(t *testing.T, env *testEnv) *givenNeed {
	t.Helper()
	ctx := context.Background()
	worker, _ := env.user(kernel.RoleSocialWorker, nil)
	verifier, _ := env.user(kernel.RoleVerifier, nil)
	body := needBody()
	body["verified_cost_fen"], body["statutory_relief_fen"] = 100_000, 0
	id := env.createNeed(worker, body)
	env.clearAndPublish(id, worker, verifier)
	env.advance(121 * time.Hour) // past the notice: open
	g := &givenNeed{id: id}
	g.staff, g.staffP = env.user(kernel.RoleFederationStaff, nil)
	g.fund = env.fundWithBalance(g.staffP, kernel.Restrictions{}, 100_000)
	mf, err := env.funds.CreateSource(ctx, g.staffP, funds.NewSource{Kind: funds.KindFund, Name: "春晖配捐基金", Namer: "春晖公司", Purpose: "配捐",
		Match: funds.MatchOffer{RatioPct: 50, DonorCapFen: 100_000, TotalCapFen: 100_000}})
	if err != nil {
		t.Fatal(err)
	}
	g.matchFund = mf.PublicID
	_, donor := env.user(kernel.RoleDonor, nil)
	p, err := env.funds.CreatePledge(ctx, donor, funds.NewPledge{TargetType: funds.TargetFund, TargetID: mf.PublicID, AmountFen: 100_000}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.funds.ConfirmPledge(ctx, g.staffP, p.PublicID); err != nil {
		t.Fatal(err)
	}
	r := env.do("POST", "/api/v1/funds/"+g.fund+"/allocations", g.staff, map[string]any{"need_id": id, "amount_fen": 10_000})
	if r.Status != http.StatusCreated {
		t.Fatalf("allocate: %d %s", r.Status, r.Body)
	}
	g.allocation = r.JSON(t)["id"].(string)
	give := func(amount int64) (string, *kernel.Principal) {
		t.Helper()
		tok, p := env.user(kernel.RoleDonor, nil)
		r := env.do("POST", "/api/v1/pledges", tok, map[string]any{"target_type": "need", "target_id": id, "amount_fen": amount})
		if r.Status != http.StatusCreated {
			t.Fatalf("pledge: %d %s", r.Status, r.Body)
		}
		if c := env.do("POST", "/api/v1/pledges/"+r.JSON(t)["id"].(string)+"/confirm", g.staff, nil); c.Status != http.StatusOK {
			t.Fatalf("confirm: %d %s", c.Status, c.Body)
		}
		return tok, p
	}
	g.donorA, g.donorAP = give(20_000)
	g.donorB, _ = give(30_000)
	return g
}

type needMoneyBody struct {
	NeedID        string             `json:"need_id"`
	UnpaidFen     int64              `json:"unpaid_fen"`
	FundedFen     int64              `json:"funded_fen"`
	DisbursedFen  int64              `json:"disbursed_fen"`
	Lots          []lotJSON          `json:"lots"`
	Disbursements []disbursementJSON `json:"disbursements"`
}

// origins is a disbursement's parts as "origin:amount".
func origins(d disbursementJSON) string {
	var out []string
	for _, p := range d.Parts {
		out = append(out, p.Origin+":"+itoa(p.AmountFen))
	}
	return strings.Join(out, " ")
}

// TestNeedMoneyAPI: staff of the receiving federation see a need's money
// by origin and pay all of it out — an allocation to a landlord, donors'
// gifts and matching gifts to a hospital against its invoice and to the
// household with a reason — never more than is left, once per
// Idempotency-Key; bad input is refused naming the field, with nothing
// paid; another federation's staff are refused; the donor's trace shows
// each payment.
func TestNeedMoneyAPI(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		g := newGivenNeed(t, env)
		money := func() needMoneyBody {
			t.Helper()
			r := env.do("GET", "/api/v1/needs/"+g.id+"/money", g.staff, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("money: %d %s", r.Status, r.Body)
			}
			return decodeInto[needMoneyBody](t, r)
		}
		paid := func() (n int64, disbursed int64) {
			t.Helper()
			env.db.Gorm.Raw("SELECT COUNT(*) FROM disbursements").Scan(&n)
			env.db.Gorm.Raw("SELECT disbursed_fen FROM needs WHERE public_id = ?", g.id).Scan(&disbursed)
			return n, disbursed
		}
		disburse := func(tok string, body map[string]any, headers ...string) response {
			t.Helper()
			return env.do("POST", "/api/v1/needs/"+g.id+"/disbursements", tok, body, headers...)
		}
		hospital := func(amount int64) map[string]any {
			return map[string]any{"amount_fen": amount, "payee_type": "provider", "provider_kind": "hospital", "payee_name": "郓城县人民医院",
				"reference": "FP2026112300017", "account": "6222020200112233445"}
		}

		t.Run("the need's money by origin", func(t *testing.T) {
			m := money()
			var got []string
			for _, l := range m.Lots {
				got = append(got, l.Kind+":"+itoa(l.AmountFen)+":"+l.SourceID)
			}
			want := []string{"allocation:10000:" + g.fund, "gift:20000:", "match:10000:" + g.matchFund, "gift:30000:", "match:15000:" + g.matchFund}
			if strings.Join(got, " ") != strings.Join(want, " ") || m.UnpaidFen != 85_000 || m.FundedFen != 85_000 || len(m.Disbursements) != 0 {
				t.Fatalf("lots %v unpaid %d funded %d, want %v, 85,000", got, m.UnpaidFen, m.FundedFen, want)
			}
		})

		t.Run("another federation's staff and other roles are refused", func(t *testing.T) {
			other := env.newOrg(kernel.OrgCharityFederation, "430524")
			otherStaff, _ := env.user(kernel.RoleFederationStaff, other)
			for _, r := range []response{env.do("GET", "/api/v1/needs/"+g.id+"/money", otherStaff, nil), disburse(otherStaff, hospital(100))} {
				if r.Status != http.StatusForbidden || !strings.Contains(string(r.Body), testOrgName(kernel.OrgCharityFederation)) || strings.Contains(string(r.Body), "lots") {
					t.Errorf("other federation: %d %s", r.Status, r.Body)
				}
			}
			for _, role := range []kernel.Role{kernel.RoleDonor, kernel.RoleSocialWorker, kernel.RoleVerifier} {
				tok, _ := env.user(role, nil)
				if r := env.do("GET", "/api/v1/needs/"+g.id+"/money", tok, nil); r.Status != http.StatusForbidden {
					t.Errorf("%s reads the money: %d", role, r.Status)
				}
				if r := disburse(tok, hospital(100)); r.Status != http.StatusForbidden {
					t.Errorf("%s pays: %d", role, r.Status)
				}
			}
			if n, d := paid(); n != 0 || d != 0 {
				t.Errorf("refused payments wrote %d disbursements, %d fen", n, d)
			}
		})

		t.Run("bad input names the field and pays nothing", func(t *testing.T) {
			household := map[string]any{"amount_fen": 100, "payee_type": "household", "payee_name": "张建华"}
			cases := []struct {
				name  string
				body  any
				field string
			}{
				{"no amount", map[string]any{"payee_type": "provider", "provider_kind": "hospital", "payee_name": "医院", "reference": "X1"}, "amount_fen"},
				{"zero amount", with2(hospital(0), nil), "amount_fen"},
				{"amount as a string", with2(hospital(0), map[string]any{"amount_fen": "100"}), "amount_fen"},
				{"unknown payee type", with2(hospital(100), map[string]any{"payee_type": "bank"}), "payee_type"},
				{"provider without its kind", with2(hospital(100), map[string]any{"provider_kind": ""}), "provider_kind"},
				{"unknown provider kind", with2(hospital(100), map[string]any{"provider_kind": "casino"}), "provider_kind"},
				{"provider without an invoice", with2(hospital(100), map[string]any{"reference": " "}), "reference"},
				{"no payee name", with2(hospital(100), map[string]any{"payee_name": ""}), "payee_name"},
				{"household without a reason", household, "reason"},
				{"household with a reason too short", with2(household, map[string]any{"reason": "买药"}), "reason"},
				{"account too long", with2(hospital(100), map[string]any{"account": strings.Repeat("6", 65)}), "account"},
				{"unknown field", with2(hospital(100), map[string]any{"payee_ct": "x"}), "payee_ct"},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					wantInvalid(t, env.do("POST", "/api/v1/needs/"+g.id+"/disbursements", g.staff, c.body), c.field)
				})
			}
			if n, d := paid(); n != 0 || d != 0 {
				t.Errorf("bad input wrote %d disbursements, %d fen", n, d)
			}
		})

		t.Run("an allocation paid to a landlord names the kind", func(t *testing.T) {
			bad := map[string]any{"payee_type": "provider", "provider_kind": "casino", "payee_name": "某房东", "reference": "SJ-0001"}
			wantInvalid(t, env.do("POST", "/api/v1/allocations/"+g.allocation+"/disburse", g.staff, bad), "provider_kind")
			bad["provider_kind"] = "landlord"
			r := env.do("POST", "/api/v1/allocations/"+g.allocation+"/disburse", g.staff, bad)
			if r.Status != http.StatusOK || r.JSON(t)["status"] != "disbursed" {
				t.Fatalf("allocation disburse: %d %s", r.Status, r.Body)
			}
			m := money()
			if len(m.Disbursements) != 1 || m.Disbursements[0].ProviderKind != "landlord" || origins(m.Disbursements[0]) != "allocation:10000" || m.UnpaidFen != 75_000 {
				t.Errorf("after the allocation: %+v, unpaid %d", m.Disbursements, m.UnpaidFen)
			}
		})

		var first response
		t.Run("the gifts and the matching gifts are paid to a hospital, once per key", func(t *testing.T) {
			key := testID()
			first = disburse(g.staff, hospital(25_000), "Idempotency-Key", key)
			if first.Status != http.StatusCreated {
				t.Fatalf("disburse: %d %s", first.Status, first.Body)
			}
			d := decodeInto[disbursementJSON](t, first)
			if d.NeedID != g.id || d.AmountFen != 25_000 || d.PayeeType != "provider" || d.ProviderKind != "hospital" || d.Reference != "****0017" ||
				!strings.HasPrefix(d.Payee, "郓城县人民医院") || origins(d) != "gift:20000 match:5000" {
				t.Errorf("disbursement: %+v", d)
			}
			for _, secret := range []string{"FP2026112300017", "6222020200112233445", "payee_ct", "payee_kid"} {
				if strings.Contains(string(first.Body), secret) {
					t.Errorf("the answer shows %q: %s", secret, first.Body)
				}
			}
			again := disburse(g.staff, hospital(25_000), "Idempotency-Key", key)
			if again.Status != http.StatusCreated || string(again.Body) != string(first.Body) || again.Header.Get("Idempotency-Hit") != "true" {
				t.Errorf("replay: %d %s (hit %q)", again.Status, again.Body, again.Header.Get("Idempotency-Hit"))
			}
			if r := disburse(g.staff, hospital(26_000), "Idempotency-Key", key); r.Status != http.StatusUnprocessableEntity {
				t.Errorf("the same key for another payment: %d %s", r.Status, r.Body)
			}
			if n, d := paid(); n != 2 || d != 35_000 {
				t.Errorf("after a replay: %d disbursements, %d fen paid; want 2, 35,000", n, d)
			}
		})

		t.Run("the household with a reason", func(t *testing.T) {
			r := disburse(g.staff, map[string]any{"amount_fen": 5_000, "payee_type": "household", "payee_name": "张建华", "reason": "出院后在村卫生室购药，直接付给家庭"})
			if r.Status != http.StatusCreated {
				t.Fatalf("household: %d %s", r.Status, r.Body)
			}
			d := decodeInto[disbursementJSON](t, r)
			if d.PayeeType != "household" || d.ProviderKind != "" || d.Payee != "张**" || origins(d) != "match:5000" || strings.Contains(string(r.Body), "张建华") {
				t.Errorf("household payment: %s", r.Body)
			}
		})

		t.Run("more than is left is refused with what is left", func(t *testing.T) {
			r := disburse(g.staff, hospital(45_001))
			var e struct {
				Error struct {
					Code    string `json:"code"`
					Message string `json:"message"`
					Details struct {
						Reasons []struct{ Code string } `json:"reasons"`
					} `json:"details"`
				} `json:"error"`
			}
			_ = json.Unmarshal(r.Body, &e)
			if r.Status != http.StatusConflict || len(e.Error.Details.Reasons) == 0 || e.Error.Details.Reasons[0].Code != "over_unpaid" ||
				!strings.Contains(e.Error.Message, "¥450.00") || strings.Contains(e.Error.Message, "fen") {
				t.Errorf("over the unpaid money: %d %s", r.Status, r.Body)
			}
			m := money()
			if m.UnpaidFen != 45_000 || m.DisbursedFen != 40_000 || len(m.Disbursements) != 3 {
				t.Errorf("after the refusal: unpaid %d disbursed %d, %d disbursements", m.UnpaidFen, m.DisbursedFen, len(m.Disbursements))
			}
			var paidByLot []string
			for _, l := range m.Lots {
				paidByLot = append(paidByLot, itoa(l.PaidFen))
			}
			if got := strings.Join(paidByLot, " "); got != "10000 20000 10000 0 0" {
				t.Errorf("paid by lot: %s", got)
			}
		})

		t.Run("the donor's trace shows each payment", func(t *testing.T) {
			var giving struct {
				Pledges []struct {
					TargetID   string        `json:"target_id"`
					MatchedFen int64         `json:"matched_fen"`
					Traces     []funds.Trace `json:"traces"`
				} `json:"pledges"`
			}
			r := env.do("GET", "/api/v1/me/giving", g.donorA, nil)
			if err := json.Unmarshal(r.Body, &giving); err != nil || len(giving.Pledges) != 1 {
				t.Fatalf("giving: %d %s", r.Status, r.Body)
			}
			line := giving.Pledges[0]
			var got []string
			for _, tr := range line.Traces {
				s := tr.Kind + ":" + tr.NeedID + ":" + itoa(tr.PaidFen)
				for _, p := range tr.Payments {
					s += " " + string(p.PayeeType) + "/" + string(p.ProviderKind) + "/" + p.ReferenceMasked + "/" + itoa(p.AmountFen)
				}
				got = append(got, s)
			}
			want := []string{"donation:" + g.id + ":20000 provider/hospital/****0017/20000",
				"match:" + g.id + ":10000 provider/hospital/****0017/5000 household///5000"}
			if strings.Join(got, "|") != strings.Join(want, "|") || line.MatchedFen != 10_000 {
				t.Errorf("donor A's traces %v (matched %d), want %v", got, line.MatchedFen, want)
			}
			if strings.Contains(string(r.Body), "郓城县人民医院") || strings.Contains(string(r.Body), "张建华") {
				t.Errorf("the donor sees the payee: %s", r.Body)
			}
		})

		t.Run("all of it paid out", func(t *testing.T) {
			if r := disburse(g.staff, hospital(45_000)); r.Status != http.StatusCreated {
				t.Fatalf("the rest: %d %s", r.Status, r.Body)
			}
			if m := money(); m.UnpaidFen != 0 || m.DisbursedFen != 85_000 {
				t.Errorf("after paying the rest: unpaid %d disbursed %d", m.UnpaidFen, m.DisbursedFen)
			}
			if r := disburse(g.staff, hospital(1)); r.Status != http.StatusConflict {
				t.Errorf("a payment from a need with nothing left: %d %s", r.Status, r.Body)
			}
			env.verifyLedger(t)
		})
	})
}

// with2 returns a copy of body with the fields of set (a nil value deletes the field).
func with2(body map[string]any, set map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range body {
		out[k] = v
	}
	for k, v := range set {
		out[k] = v
	}
	return out
}

// verifyLedger fails the test when the ledger is not sound.
func (env *testEnv) verifyLedger(t *testing.T) {
	t.Helper()
	problems, _, err := env.funds.VerifyLedger(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("ledger: %s", p)
	}
}
