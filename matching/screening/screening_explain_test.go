package screening

import (
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
)

// TestExplainNamesTheAmountsOfTheMessage: the rendering of a check from
// its rule and evidence names the same amounts as the English message
// the rule wrote.
func TestExplainNamesTheAmountsOfTheMessage(t *testing.T) {
	other := baseNeed()
	other.ID, other.Status, other.FundedFen, other.RequestedFen = "need-b", kernel.NeedOpen, 500_000, 800_000
	cases := []struct {
		name     string
		need     func(*Need)
		payments []StatutoryPayment
		others   []Need
		stage    kernel.ScreeningStage
		amount   int64
		key      string
		fen      map[string]int64
		count    int
	}{
		{"less relief on record than declared", nil, []StatutoryPayment{pay("pay-1", kernel.ProgMedical, 100_000, "2026-01-05", "2026-01-05")}, nil,
			kernel.StageClear, 0, "check_statutory_overlap_warn", map[string]int64{"Found": 100_000, "Declared": 200_000}, 1},
		{"more relief on record than the request leaves room for", nil,
			[]StatutoryPayment{pay("pay-1", kernel.ProgMedical, 200_000, "2026-01-05", "2026-01-05"), pay("pay-2", kernel.ProgMedical, 100_000, "2026-01-20", "2026-01-20")}, nil,
			kernel.StageClear, 0, "check_statutory_overlap_block", map[string]int64{"Requested": 800_000, "Cost": 1_000_000, "Statutory": 300_000, "Declared": 200_000, "Found": 300_000, "Limit": 700_000}, 2},
		{"other needs hold money for the hardship", nil, []StatutoryPayment{pay("pay-1", kernel.ProgMedical, 200_000, "2026-01-05", "2026-01-05")}, []Need{other},
			kernel.StageClear, 0, "check_over_allocation_warn", map[string]int64{"Others": 500_000, "More": 800_000, "Limit": 800_000}, 1},
		{"an allocation above the limit", func(n *Need) { n.FundedFen = 100_000 }, []StatutoryPayment{pay("pay-1", kernel.ProgMedical, 200_000, "2026-01-05", "2026-01-05")}, []Need{other},
			kernel.StageAllocate, 300_000, "check_over_allocation_block", map[string]int64{"Total": 900_000, "Funded": 100_000, "Others": 500_000, "Moving": 300_000, "Limit": 800_000}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := baseNeed()
			if tc.need != nil {
				tc.need(&n)
			}
			r := Screen(DefaultConfig(), Input{Need: n, Payments: tc.payments, Others: tc.others, Stage: tc.stage, AmountFen: tc.amount, Now: now})
			sc := kernel.Screening{Stage: tc.stage, AmountFen: tc.amount, Checks: r.Checks}
			sum := NeedSummary{VerifiedCostFen: n.VerifiedCostFen, StatutoryReliefFen: n.StatutoryReliefFen, RequestedFen: n.RequestedFen, FundedFen: n.FundedFen}
			var got *Explanation
			for _, x := range Explain(sc, sum) {
				if x.Key == tc.key {
					got = &x
				}
			}
			if got == nil {
				t.Fatalf("no %s among %+v (checks %+v)", tc.key, Explain(sc, sum), r.Checks)
			}
			var msg string
			for _, c := range r.Checks {
				if "check_"+c.Rule+"_"+string(c.Result) == tc.key {
					msg = c.Message
				}
			}
			for k, want := range tc.fen {
				if got.Fen[k] != want {
					t.Errorf("%s = %d, want %d", k, got.Fen[k], want)
				}
				if !strings.Contains(msg, yuan(want)) {
					t.Errorf("%s (%s yuan) is not in the rule's message %q", k, yuan(want), msg)
				}
			}
			if got.Count != tc.count {
				t.Errorf("count %d, want %d", got.Count, tc.count)
			}
		})
	}
}
