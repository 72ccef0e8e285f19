package marketplace

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// verifierOf is a verifier of a civil affairs office of region.
func verifierOf(id int64, region string) *kernel.Principal {
	return &kernel.Principal{User: kernel.User{ID: id, PublicID: "u" + region},
		Memberships: []kernel.Membership{{Role: kernel.RoleVerifier, Org: &kernel.Org{ID: id, Kind: kernel.OrgCivilAffairs, RegionCode: region}}}}
}

func TestApprovalDecisionsFollowTheStep(t *testing.T) {
	d, err := kernel.LoadDivisions()
	if err != nil {
		t.Fatal(err)
	}
	rules := NeedRules{Divisions: d}
	town, otherTown := verifierOf(1, "371725001"), verifierOf(2, "371725002")
	county, city, otherCounty := verifierOf(3, "371725"), verifierOf(4, "371700"), verifierOf(5, "371702")
	need := func(step StepKind, escalated kernel.DivisionLevel) *Need {
		return &Need{Status: kernel.NeedSubmitted, RegionCode: "371725001", ApprovalStep: step, EscalatedLevel: escalated}
	}
	cases := []struct {
		name   string
		by     *kernel.Principal
		action NeedAction
		need   *Need
		// refusal is the refusal key, "" when allowed.
		refusal string
	}{
		{"the town reviews", town, ActReview, need(StepTownReview, ""), ""},
		{"the town rejects at its review", town, ActReject, need(StepTownReview, ""), ""},
		{"the town may not approve", town, ActClear, need(StepTownReview, ""), "refusal_step_county_approval"},
		{"the town may not approve at county level", town, ActClear, need(StepCountyApproval, ""), "refusal_step_county_approval"},
		{"the town may not reject at county level", town, ActReject, need(StepCountyApproval, ""), "refusal_step_county_approval"},
		{"the county may not review in time", county, ActReview, need(StepTownReview, ""), "refusal_step_town_review"},
		{"the county takes an escalated review over", county, ActReview, need(StepTownReview, kernel.LevelCounty), ""},
		{"the city does not take a review escalated to the county", city, ActReview, need(StepTownReview, kernel.LevelCounty), "refusal_step_town_review"},
		{"the county approves", county, ActClear, need(StepCountyApproval, ""), ""},
		{"the county refers", county, ActRefer, need(StepCountyApproval, ""), ""},
		{"the city may not approve in time", city, ActClear, need(StepCountyApproval, ""), "refusal_step_county_approval"},
		{"the city decides an escalated approval", city, ActClear, need(StepCountyApproval, kernel.LevelCity), ""},
		{"another town's office covers nothing", otherTown, ActReview, need(StepTownReview, ""), "refusal_clear_verifier_only"},
		{"another county's office covers nothing", otherCounty, ActClear, need(StepCountyApproval, kernel.LevelCity), "refusal_clear_verifier_only"},
		{"one step: the town clears", town, ActClear, need(StepClearance, ""), ""},
		{"one step: the city clears", city, ActClear, need(StepClearance, ""), ""},
		{"before steps were recorded: the county clears", county, ActClear, need("", ""), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := rules.Who(tc.by, tc.action, tc.need)
			var r *kernel.Refusal
			switch {
			case tc.refusal == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.refusal != "" && (!errors.As(err, &r) || r.Key != tc.refusal || !errors.Is(err, kernel.ErrForbidden)):
				t.Fatalf("got %v, want the refusal %s (403)", err, tc.refusal)
			}
		})
	}
}

func TestApprovalDecisionsWaitForTheirStep(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	at := func(step StepKind) *Need { return &Need{Status: kernel.NeedSubmitted, ApprovalStep: step} }
	cases := []struct {
		name    string
		action  NeedAction
		need    *Need
		refusal string
	}{
		{"a review at the town review", ActReview, at(StepTownReview), ""},
		{"no review once the county has the need", ActReview, at(StepCountyApproval), "refusal_step_not_town_review"},
		{"no review with one step", ActReview, at(StepClearance), "refusal_step_not_town_review"},
		{"no approval before the town's review", ActClear, at(StepTownReview), "refusal_step_awaits_town_review"},
		{"no referral before the town's review", ActRefer, at(StepTownReview), "refusal_step_awaits_town_review"},
		{"a rejection at the town review", ActReject, at(StepTownReview), ""},
		{"an approval at the county", ActClear, at(StepCountyApproval), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := NeedRules{}.When(tc.action, tc.need, now)
			var r *kernel.Refusal
			switch {
			case tc.refusal == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.refusal != "" && (!errors.As(err, &r) || r.Key != tc.refusal || !errors.Is(err, kernel.ErrConflict)):
				t.Fatalf("got %v, want the refusal %s (409)", err, tc.refusal)
			}
		})
	}
}

func TestStepsEscalateOneLevelUp(t *testing.T) {
	d, err := kernel.LoadDivisions()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		step   StepKind
		region string
		want   []kernel.DivisionLevel
	}{
		{"a town review to the county", StepTownReview, "371725001", []kernel.DivisionLevel{kernel.LevelCounty}},
		{"a county approval to the city", StepCountyApproval, "371725001", []kernel.DivisionLevel{kernel.LevelCity}},
		{"a report of a town to the town and the county", StepReportFollowUp, "371725001", []kernel.DivisionLevel{kernel.LevelTown, kernel.LevelCounty}},
		{"a report of a county to the county", StepReportFollowUp, "371725", []kernel.DivisionLevel{kernel.LevelCounty}},
		{"a case to the county", StepCase, "371725", []kernel.DivisionLevel{kernel.LevelCounty}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.step.EscalatesTo(d, tc.region); !slices.Equal(got, tc.want) {
				t.Fatalf("%v, want %v", got, tc.want)
			}
		})
	}
}

func TestAGroupDecisionNeedsThreeMembersADateAndReasons(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	sub := now.Add(-48 * time.Hour)
	three := []GroupMember{{"王立新", "局长"}, {"李红", "科长"}, {"赵明", "经办人"}}
	cases := []struct {
		name  string
		in    GroupDecisionInput
		field string // the field refused, "" when valid
	}{
		{"three members, a date and reasons", GroupDecisionInput{Members: three, DecidedOn: "2026-11-23", Reasoning: "集体研究同意"}, ""},
		{"blank rows do not count", GroupDecisionInput{Members: append([]GroupMember{{}}, three[:2]...), DecidedOn: "2026-11-23", Reasoning: "同意"}, "group_decision.members"},
		{"a member without a post", GroupDecisionInput{Members: append(three[:2:2], GroupMember{Name: "赵明"}), DecidedOn: "2026-11-23", Reasoning: "同意"}, "group_decision.members[2].role"},
		{"a date in the future", GroupDecisionInput{Members: three, DecidedOn: "2026-11-24", Reasoning: "同意"}, "group_decision.date"},
		{"a date before the submission", GroupDecisionInput{Members: three, DecidedOn: "2026-11-20", Reasoning: "同意"}, "group_decision.date"},
		{"no reasons", GroupDecisionInput{Members: three, DecidedOn: "2026-11-23"}, "group_decision.reasoning"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := &kernel.ValidationError{}
			in := tc.in
			groupDecisionOK(v, &in, &Need{SubmittedAt: &sub}, now)
			err := v.Err()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ve *kernel.ValidationError
			if !errors.As(err, &ve) || ve.Fields[tc.field] == "" {
				t.Fatalf("got %v, want a problem with %s", err, tc.field)
			}
		})
	}
}
