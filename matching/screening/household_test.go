package screening

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
)

// The household of a child's need: the child (beneficiary), the head
// (their father, under whom 低保 is paid), a sibling with nothing on record.
const (
	headPseudo    = "p-head"
	siblingPseudo = "p-sibling"
)

func childHousehold() []Member {
	return []Member{{pseudo, kernel.RoleBeneficiary}, {headPseudo, kernel.RoleHead}, {siblingPseudo, kernel.RoleSibling}}
}

// childNeed is a basic-living need of a dibao household for January.
func childNeed() Need {
	n := baseNeed()
	n.Category = kernel.CatBasicLiving
	n.HouseholdTypes = []kernel.HouseholdType{kernel.HHDibao}
	n.StatutoryReliefFen, n.RequestedFen = 0, 1_000_000
	return n
}

func paidTo(ps string, p StatutoryPayment) StatutoryPayment {
	p.Pseudonym = ps
	return p
}

// TestAPaymentToTheHeadCountsForTheHousehold: 低保 recorded under the
// household head's ID is the household's: statutory overlap counts it
// (and names the head, by role only), missed relief does not refer the
// household, and its evidence says why.
func TestAPaymentToTheHeadCountsForTheHousehold(t *testing.T) {
	dibao := paidTo(headPseudo, pay("pay-head", kernel.ProgDibao, 90_000, "2026-01-01", "2026-01-31"))
	r := Screen(DefaultConfig(), Input{Need: childNeed(), Household: childHousehold(), Payments: []StatutoryPayment{dibao},
		Stage: kernel.StageSubmit, Now: now})

	over := checkOf(t, r, kernel.RuleStatutoryOverlap)
	if over.Result != kernel.ScreenBlock || len(over.Evidence) != 1 || over.Evidence[0].ID != "pay-head" || over.Evidence[0].Member != kernel.RoleHead {
		t.Errorf("statutory overlap: %s %q %+v", over.Result, over.Message, over.Evidence)
	}
	if !strings.Contains(over.Message, "900.00 in 1 payment(s) (paid to other members of the household: dibao 900.00 yuan to the head)") {
		t.Errorf("statutory overlap message: %q", over.Message)
	}
	if r.RoomFen != 1_000_000-90_000 {
		t.Errorf("room %d, want the cost less the head's dibao", r.RoomFen)
	}

	missed := checkOf(t, r, kernel.RuleMissedRelief)
	if missed.Result != kernel.ScreenClear || len(r.Referrals) != 0 {
		t.Errorf("missed relief: %s %q, referrals %+v", missed.Result, missed.Message, r.Referrals)
	}
	if len(missed.Evidence) != 1 || missed.Evidence[0].Member != kernel.RoleHead || missed.Evidence[0].Programme != kernel.ProgDibao {
		t.Errorf("missed relief evidence: %+v", missed.Evidence)
	}

	b, _ := json.Marshal(r.Checks)
	for _, ps := range []string{pseudo, headPseudo, siblingPseudo} {
		if strings.Contains(string(b), ps) {
			t.Errorf("a pseudonym (%s) is in the evidence: %s", ps, b)
		}
	}
	if !strings.Contains(string(b), `"member":"head"`) {
		t.Errorf("the evidence does not name the head: %s", b)
	}
}

func TestHouseholdPaymentsByWhom(t *testing.T) {
	dibao := pay("pay-1", kernel.ProgDibao, 90_000, "2026-01-01", "2026-01-31")
	cases := []struct {
		name      string
		household []Member
		payments  []StatutoryPayment
		overlap   string // member of the overlap's evidence ("" for the beneficiary's own)
		missed    kernel.ScreeningOutcome
		evidence  int // of the missed-relief check
	}{
		{"the beneficiary's own payment names no member", childHousehold(), []StatutoryPayment{paidTo(pseudo, dibao)}, "", kernel.ScreenClear, 0},
		{"a payment read for the beneficiary alone names no member", nil, []StatutoryPayment{dibao}, "", kernel.ScreenClear, 0},
		{"the head's payment names the head", childHousehold(), []StatutoryPayment{paidTo(headPseudo, dibao)}, "head", kernel.ScreenClear, 1},
		{"a member listed as the beneficiary names no member", []Member{{"p-again", kernel.RoleBeneficiary}}, []StatutoryPayment{paidTo("p-again", dibao)}, "", kernel.ScreenClear, 0},
		{"a pseudonym the household does not list is a member", childHousehold(), []StatutoryPayment{paidTo("p-stranger", dibao)}, "member", kernel.ScreenClear, 1},
		{"no payment of the household: missed", childHousehold(), nil, "-", kernel.ScreenWarn, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := Screen(DefaultConfig(), Input{Need: childNeed(), Household: tc.household, Payments: tc.payments, Stage: kernel.StageSubmit, Now: now})
			over := checkOf(t, r, kernel.RuleStatutoryOverlap)
			if tc.overlap != "-" && (len(over.Evidence) != 1 || string(over.Evidence[0].Member) != tc.overlap) {
				t.Errorf("statutory overlap evidence %+v, want member %q", over.Evidence, tc.overlap)
			}
			missed := checkOf(t, r, kernel.RuleMissedRelief)
			if missed.Result != tc.missed || len(missed.Evidence) != tc.evidence {
				t.Errorf("missed relief %s with %d evidence, want %s with %d: %q", missed.Result, len(missed.Evidence), tc.missed, tc.evidence, missed.Message)
			}
		})
	}
}

// TestExplainNamesTheMembersPaid: the review page's rendering of a
// statutory-overlap check that counted a payment to the head says so, by
// role and programme, with the amount.
func TestExplainNamesTheMembersPaid(t *testing.T) {
	pays := []StatutoryPayment{
		paidTo(headPseudo, pay("pay-1", kernel.ProgDibao, 90_000, "2026-01-01", "2026-01-31")),
		paidTo(headPseudo, pay("pay-2", kernel.ProgDibao, 90_000, "2026-01-15", "2026-02-14")),
		paidTo(pseudo, pay("pay-3", kernel.ProgTemporary, 50_000, "2026-01-10", "2026-01-10")),
	}
	n := childNeed()
	r := Screen(DefaultConfig(), Input{Need: n, Household: childHousehold(), Payments: pays, Stage: kernel.StageClear, Now: now})
	xs := Explain(kernel.Screening{Stage: kernel.StageClear, Checks: r.Checks},
		NeedSummary{VerifiedCostFen: n.VerifiedCostFen, StatutoryReliefFen: n.StatutoryReliefFen, RequestedFen: n.RequestedFen})
	if len(xs) < 2 || xs[0].Key != "check_statutory_overlap_block" || xs[0].Fen["Found"] != 230_000 || xs[1].Key != "check_household_payments" {
		t.Fatalf("explanations %+v", xs)
	}
	want := []MemberPayment{{Member: kernel.RoleHead, Programme: kernel.ProgDibao, Fen: 180_000}}
	if len(xs[1].Household) != 1 || xs[1].Household[0] != want[0] {
		t.Errorf("household payments %+v, want %+v", xs[1].Household, want)
	}
	// A beneficiary paid alone: no household explanation.
	for i := range pays {
		pays[i].Pseudonym = pseudo
	}
	r = Screen(DefaultConfig(), Input{Need: n, Household: childHousehold(), Payments: pays, Stage: kernel.StageClear, Now: now})
	for _, x := range Explain(kernel.Screening{Stage: kernel.StageClear, Checks: r.Checks}, NeedSummary{VerifiedCostFen: n.VerifiedCostFen}) {
		if x.Key == "check_household_payments" {
			t.Errorf("a household explanation without a member paid: %+v", x)
		}
	}
}
