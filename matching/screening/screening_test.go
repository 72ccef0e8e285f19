package screening

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/marketplace"
)

// day returns midnight UTC of a calendar day, the way dates are stored.
func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

func period(from, to string) Period { return Period{day(from), day(to)} }

func TestPeriodOverlap(t *testing.T) {
	cases := []struct {
		name string
		a, b Period
		want bool
	}{
		{"periods that only touch do not overlap", period("2026-01-01", "2026-01-31"), period("2026-02-01", "2026-02-28"), false},
		{"a shared last day overlaps", period("2026-01-01", "2026-01-31"), period("2026-01-31", "2026-02-28"), true},
		{"a one-off payment on the last day overlaps", period("2026-01-01", "2026-01-31"), period("2026-01-31", "2026-01-31"), true},
		{"a one-off payment the day after does not", period("2026-01-01", "2026-01-31"), period("2026-02-01", "2026-02-01"), false},
		{"a one-off payment the day before does not", period("2026-01-02", "2026-01-31"), period("2026-01-01", "2026-01-01"), false},
		{"containment overlaps", period("2026-01-01", "2026-12-31"), period("2026-03-01", "2026-03-31"), true},
		{"reversed ends are the one day From", period("2026-01-10", "2026-01-01"), period("2026-01-10", "2026-01-10"), true},
		// Midnight in Beijing stored in UTC is 16:00 the day before: the
		// same calendar day as midnight UTC.
		{"Beijing midnight and UTC midnight are the same day",
			Period{day("2026-01-31").Add(-8 * time.Hour), day("2026-01-31").Add(-8 * time.Hour)}, period("2026-02-01", "2026-02-28"), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.a.Overlaps(tc.b); got != tc.want {
				t.Errorf("a.Overlaps(b) = %v, want %v", got, tc.want)
			}
			if got := tc.b.Overlaps(tc.a); got != tc.want {
				t.Errorf("b.Overlaps(a) = %v, want %v", got, tc.want)
			}
		})
	}
}

const pseudo = "p-0001"

// baseNeed is a medical need for January: cost 10,000 yuan, 2,000 statutory
// declared, 8,000 requested.
func baseNeed() Need {
	return Need{ID: "need-a", Pseudonym: pseudo, Status: kernel.NeedSubmitted, Category: kernel.CatMedical,
		Period: period("2026-01-01", "2026-01-31"), VerifiedCostFen: 1_000_000, StatutoryReliefFen: 200_000, RequestedFen: 800_000}
}

func pay(id string, prog kernel.Programme, fen int64, from, to string) StatutoryPayment {
	return StatutoryPayment{ID: id, Programme: prog, AmountFen: fen, From: day(from), To: day(to), RegionCode: "371725"}
}

var now = day("2026-02-10").Add(3 * time.Hour)

func checkOf(t *testing.T, r Report, rule string) kernel.ScreeningCheck {
	t.Helper()
	for _, c := range r.Checks {
		if c.Rule == rule {
			return c
		}
	}
	t.Fatalf("no check %s", rule)
	return kernel.ScreeningCheck{}
}

func evidenceIDs(c kernel.ScreeningCheck) string {
	var ids []string
	for _, e := range c.Evidence {
		ids = append(ids, e.ID)
	}
	return strings.Join(ids, ",")
}

func TestStatutoryOverlap(t *testing.T) {
	cases := []struct {
		name     string
		need     func(*Need)
		payments []StatutoryPayment
		want     kernel.ScreeningOutcome
		evidence string
	}{
		{"no payment on record and nothing declared is clear", func(n *Need) { n.StatutoryReliefFen = 0; n.RequestedFen = 1_000_000 }, nil, kernel.ScreenClear, ""},
		{"a payment matching the declaration is clear",
			nil, []StatutoryPayment{pay("pay-1", kernel.ProgMedical, 200_000, "2026-01-15", "2026-01-15")}, kernel.ScreenClear, "pay-1"},
		{"requested equal to the limit is clear",
			func(n *Need) { n.RequestedFen = 800_000 }, []StatutoryPayment{pay("pay-1", kernel.ProgMedical, 200_000, "2026-01-31", "2026-01-31")}, kernel.ScreenClear, "pay-1"},
		{"requested one fen above the limit blocks",
			func(n *Need) { n.RequestedFen = 800_001 }, []StatutoryPayment{pay("pay-1", kernel.ProgMedical, 200_000, "2026-01-31", "2026-01-31")}, kernel.ScreenBlock, "pay-1"},
		{"more paid on record than declared blocks the full request",
			nil, []StatutoryPayment{pay("pay-1", kernel.ProgMedical, 200_000, "2026-01-05", "2026-01-05"), pay("pay-2", kernel.ProgMedical, 100_000, "2026-01-20", "2026-01-20")},
			kernel.ScreenBlock, "pay-1,pay-2"},
		{"more paid than declared but a request within the new limit warns",
			func(n *Need) { n.RequestedFen = 700_000 }, []StatutoryPayment{pay("pay-1", kernel.ProgMedical, 300_000, "2026-01-05", "2026-01-05")}, kernel.ScreenWarn, "pay-1"},
		{"less on record than declared warns",
			nil, []StatutoryPayment{pay("pay-1", kernel.ProgMedical, 100_000, "2026-01-05", "2026-01-05")}, kernel.ScreenWarn, "pay-1"},
		{"declared relief with nothing on record warns", nil, nil, kernel.ScreenWarn, ""},
		{"a payment in a period that only touches the cost period does not count",
			func(n *Need) { n.StatutoryReliefFen = 0; n.RequestedFen = 1_000_000 },
			[]StatutoryPayment{pay("pay-1", kernel.ProgMedical, 500_000, "2026-02-01", "2026-02-28"), pay("pay-0", kernel.ProgMedical, 500_000, "2025-12-01", "2025-12-31")},
			kernel.ScreenClear, ""},
		{"a payment of a programme for another category does not count",
			func(n *Need) { n.StatutoryReliefFen = 0; n.RequestedFen = 1_000_000 },
			[]StatutoryPayment{pay("pay-1", kernel.ProgEducation, 500_000, "2026-01-05", "2026-01-05"), pay("pay-2", kernel.ProgDibao, 90_000, "2026-01-01", "2026-01-31")},
			kernel.ScreenClear, ""},
		{"temporary relief counts for every category",
			func(n *Need) { n.StatutoryReliefFen = 0; n.RequestedFen = 1_000_000 },
			[]StatutoryPayment{pay("pay-1", kernel.ProgTemporary, 50_000, "2026-01-05", "2026-01-05")}, kernel.ScreenBlock, "pay-1"},
		{"statutory relief above the cost leaves nothing: any request blocks",
			func(n *Need) { n.StatutoryReliefFen = 0; n.RequestedFen = 1 },
			[]StatutoryPayment{pay("pay-1", kernel.ProgMedical, 2_000_000, "2026-01-05", "2026-01-05")}, kernel.ScreenBlock, "pay-1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := baseNeed()
			if tc.need != nil {
				tc.need(&n)
			}
			r := Screen(DefaultConfig(), Input{Need: n, Payments: tc.payments, Stage: kernel.StageSubmit, Now: now})
			c := checkOf(t, r, kernel.RuleStatutoryOverlap)
			if c.Result != tc.want {
				t.Errorf("result %s, want %s (%s)", c.Result, tc.want, c.Message)
			}
			if got := evidenceIDs(c); got != tc.evidence {
				t.Errorf("evidence %q, want %q", got, tc.evidence)
			}
			if outcomeRank(r.Result) < outcomeRank(c.Result) {
				t.Errorf("overall %s is milder than the check's %s", r.Result, c.Result)
			}
		})
	}
}

func other(id string, mut func(*Need)) Need {
	o := baseNeed()
	o.ID = id
	o.Status = kernel.NeedOpen
	o.StatutoryReliefFen = 200_000
	o.RequestedFen = 300_000
	if mut != nil {
		mut(&o)
	}
	return o
}

func TestCrossCharityDuplicate(t *testing.T) {
	cases := []struct {
		name     string
		others   []Need
		want     kernel.ScreeningOutcome
		evidence string
	}{
		{"no other need is clear", nil, kernel.ScreenClear, ""},
		{"a live need of the same person, category and period warns", []Need{other("need-b", nil)}, kernel.ScreenWarn, "need-b"},
		{"a withdrawn need is not a duplicate", []Need{other("need-b", func(o *Need) { o.Status = kernel.NeedWithdrawn })}, kernel.ScreenClear, ""},
		{"a rejected need is not a duplicate", []Need{other("need-b", func(o *Need) { o.Status = kernel.NeedRejected })}, kernel.ScreenClear, ""},
		{"a draft is not a duplicate yet", []Need{other("need-b", func(o *Need) { o.Status = kernel.NeedDraft })}, kernel.ScreenClear, ""},
		{"a need closed without money is not a duplicate", []Need{other("need-b", func(o *Need) { o.Status = kernel.NeedClosed })}, kernel.ScreenClear, ""},
		{"a need closed after funding is a duplicate", []Need{other("need-b", func(o *Need) { o.Status = kernel.NeedClosed; o.FundedFen = 100 })}, kernel.ScreenWarn, "need-b"},
		{"another category is not a duplicate", []Need{other("need-b", func(o *Need) { o.Category = kernel.CatEducation })}, kernel.ScreenClear, ""},
		{"a period that only touches is not a duplicate", []Need{other("need-b", func(o *Need) { o.Period = period("2026-02-01", "2026-02-28") })}, kernel.ScreenClear, ""},
		{"another person is not a duplicate", []Need{other("need-b", func(o *Need) { o.Pseudonym = "p-0002" })}, kernel.ScreenClear, ""},
		{"the need itself is not its own duplicate", []Need{other("need-a", nil)}, kernel.ScreenClear, ""},
		{"duplicates are listed by public id", []Need{other("need-c", nil), other("need-b", func(o *Need) { o.Status = kernel.NeedReferred })}, kernel.ScreenWarn, "need-b,need-c"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := Screen(DefaultConfig(), Input{Need: baseNeed(), Payments: []StatutoryPayment{pay("pay-1", kernel.ProgMedical, 200_000, "2026-01-15", "2026-01-15")},
				Others: tc.others, Stage: kernel.StageSubmit, Now: now})
			c := checkOf(t, r, kernel.RuleCrossCharityDuplicate)
			if c.Result != tc.want {
				t.Errorf("result %s, want %s (%s)", c.Result, tc.want, c.Message)
			}
			if got := evidenceIDs(c); got != tc.evidence {
				t.Errorf("evidence %q, want %q", got, tc.evidence)
			}
		})
	}
}

func TestOverAllocation(t *testing.T) {
	// Limit: 10,000 − 2,000 = 8,000 yuan.
	cases := []struct {
		name   string
		stage  kernel.ScreeningStage
		amount int64
		funded int64
		others []Need
		want   kernel.ScreeningOutcome
	}{
		{"an allocation up to the limit is clear", kernel.StageAllocate, 800_000, 0, nil, kernel.ScreenClear},
		{"an allocation one fen over the limit blocks", kernel.StageAllocate, 800_001, 0, nil, kernel.ScreenBlock},
		{"an allocation on top of funded money counts both", kernel.StageAllocate, 300_001, 500_000, nil, kernel.ScreenBlock},
		{"money on another charity's need counts", kernel.StageAllocate, 500_001, 0, []Need{other("need-b", func(o *Need) { o.FundedFen = 300_000 })}, kernel.ScreenBlock},
		{"money on another charity's need up to the limit is clear", kernel.StageAllocate, 500_000, 0, []Need{other("need-b", func(o *Need) { o.FundedFen = 300_000 })}, kernel.ScreenClear},
		{"money on a withdrawn need does not count", kernel.StageAllocate, 800_000, 0, []Need{other("need-b", func(o *Need) { o.Status = kernel.NeedWithdrawn; o.FundedFen = 300_000 })}, kernel.ScreenClear},
		{"money on a need of another category does not count", kernel.StageAllocate, 800_000, 0, []Need{other("need-b", func(o *Need) { o.Category = kernel.CatHousing; o.FundedFen = 300_000 })}, kernel.ScreenClear},
		{"money for a period that only touches does not count", kernel.StageAllocate, 800_000, 0, []Need{other("need-b", func(o *Need) { o.Period = period("2025-12-01", "2025-12-31"); o.FundedFen = 300_000 })}, kernel.ScreenClear},
		{"at disburse the allocated money is not counted twice", kernel.StageDisburse, 800_000, 800_000, nil, kernel.ScreenClear},
		{"at disburse another charity's new money blocks", kernel.StageDisburse, 800_000, 800_000, []Need{other("need-b", func(o *Need) { o.FundedFen = 1 })}, kernel.ScreenBlock},
		{"at submit other money leaving too little for the request warns", kernel.StageSubmit, 0, 0, []Need{other("need-b", func(o *Need) { o.FundedFen = 1 })}, kernel.ScreenWarn},
		{"at submit other money above the limit blocks", kernel.StageSubmit, 0, 0, []Need{other("need-b", func(o *Need) { o.FundedFen = 300_000; o.RequestedFen = 900_000 }), other("need-c", func(o *Need) { o.FundedFen = 500_001; o.RequestedFen = 900_000 })}, kernel.ScreenBlock},
		{"at submit with no other money it is clear", kernel.StageSubmit, 0, 0, nil, kernel.ScreenClear},
		{"a gift up to the limit is clear", kernel.StageGift, 800_000, 0, nil, kernel.ScreenClear},
		{"a gift one fen over the limit blocks", kernel.StageGift, 800_001, 0, nil, kernel.ScreenBlock},
		{"a gift on top of another charity's money counts both", kernel.StageGift, 500_001, 0, []Need{other("need-b", func(o *Need) { o.FundedFen = 300_000 })}, kernel.ScreenBlock},
		{"a gift like an allocation does not warn about the rest of the request", kernel.StageGift, 100, 0, []Need{other("need-b", func(o *Need) { o.FundedFen = 1 })}, kernel.ScreenClear},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := baseNeed()
			n.FundedFen = tc.funded
			r := Screen(DefaultConfig(), Input{Need: n, Others: tc.others, Stage: tc.stage, AmountFen: tc.amount, Now: now,
				Payments: []StatutoryPayment{pay("pay-1", kernel.ProgMedical, 200_000, "2026-01-15", "2026-01-15")}})
			c := checkOf(t, r, kernel.RuleOverAllocation)
			if c.Result != tc.want {
				t.Errorf("result %s, want %s (%s)", c.Result, tc.want, c.Message)
			}
		})
	}
}

func TestRoomIsWhatTheHardshipMayStillTake(t *testing.T) {
	// Limit: 10,000 − 2,000 = 8,000 yuan.
	cases := []struct {
		name     string
		funded   int64
		payments []StatutoryPayment
		others   []Need
		amount   int64
		want     int64
	}{
		{"nothing funded leaves the whole limit", 0, nil, nil, 0, 800_000},
		{"money on the need itself counts", 300_000, nil, nil, 0, 500_000},
		{"money on related needs of other organizations counts", 100_000, nil,
			[]Need{other("need-b", func(o *Need) { o.FundedFen = 300_000 }), other("need-c", func(o *Need) { o.FundedFen = 200_000 })}, 0, 200_000},
		{"the amount about to move is not counted", 0, nil, []Need{other("need-b", func(o *Need) { o.FundedFen = 300_000 })}, 400_000, 500_000},
		{"money on a withdrawn need does not count", 0, nil, []Need{other("need-b", func(o *Need) { o.Status = kernel.NeedWithdrawn; o.FundedFen = 300_000 })}, 0, 800_000},
		{"money on a need of another category does not count", 0, nil, []Need{other("need-b", func(o *Need) { o.Category = kernel.CatHousing; o.FundedFen = 300_000 })}, 0, 800_000},
		{"more statutory relief on record than declared lowers the limit", 0,
			[]StatutoryPayment{pay("pay-1", kernel.ProgMedical, 300_000, "2026-01-05", "2026-01-05")}, nil, 0, 700_000},
		{"money above the limit leaves no room, never less", 0, nil, []Need{other("need-b", func(o *Need) { o.FundedFen = 900_000 })}, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := baseNeed()
			n.FundedFen = tc.funded
			for _, stage := range []kernel.ScreeningStage{kernel.StageSubmit, kernel.StageAllocate, kernel.StageGift, kernel.StageDisburse} {
				r := Screen(DefaultConfig(), Input{Need: n, Payments: tc.payments, Others: tc.others, Stage: stage, AmountFen: tc.amount, Now: now})
				if r.RoomFen != tc.want {
					t.Errorf("%s: room %d fen, want %d", stage, r.RoomFen, tc.want)
				}
			}
		})
	}
}

func TestMissedRelief(t *testing.T) {
	cases := []struct {
		name     string
		types    []kernel.HouseholdType
		payments []StatutoryPayment
		want     kernel.ScreeningOutcome
		refer    string
	}{
		{"no eligible household type is clear", []kernel.HouseholdType{kernel.HHElderlyAlone}, nil, kernel.ScreenClear, ""},
		{"a dibao household with a recent dibao payment is clear", []kernel.HouseholdType{kernel.HHDibao},
			[]StatutoryPayment{pay("pay-1", kernel.ProgDibao, 90_000, "2026-01-01", "2026-01-31")}, kernel.ScreenClear, ""},
		{"a dibao household with no dibao payment is referred", []kernel.HouseholdType{kernel.HHDibao},
			[]StatutoryPayment{pay("pay-1", kernel.ProgMedical, 90_000, "2026-01-01", "2026-01-31")}, kernel.ScreenWarn, "dibao"},
		{"a dibao payment before the window does not count", []kernel.HouseholdType{kernel.HHDibao},
			[]StatutoryPayment{pay("pay-1", kernel.ProgDibao, 90_000, "2025-10-01", "2025-11-09")}, kernel.ScreenWarn, "dibao"},
		{"a dibao payment ending on the window's first day counts", []kernel.HouseholdType{kernel.HHDibao},
			[]StatutoryPayment{pay("pay-1", kernel.ProgDibao, 90_000, "2025-10-10", "2025-11-10")}, kernel.ScreenClear, ""},
		{"each missing programme is referred once", []kernel.HouseholdType{kernel.HHTekun, kernel.HHDibao}, nil, kernel.ScreenWarn, "dibao,tekun"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := baseNeed()
			n.HouseholdTypes = tc.types
			r := Screen(DefaultConfig(), Input{Need: n, Payments: tc.payments, Stage: kernel.StageSubmit, Now: now})
			c := checkOf(t, r, kernel.RuleMissedRelief)
			if c.Result != tc.want {
				t.Errorf("result %s, want %s (%s)", c.Result, tc.want, c.Message)
			}
			var progs []string
			for _, s := range r.Referrals {
				progs = append(progs, string(s.Programme))
			}
			if got := strings.Join(progs, ","); got != tc.refer {
				t.Errorf("referrals %q, want %q", got, tc.refer)
			}
			if got := evidenceIDs(c); got != tc.refer {
				t.Errorf("evidence %q, want %q", got, tc.refer)
			}
		})
	}
}

func TestSamePersonUnderLowercaseX(t *testing.T) {
	p, err := marketplace.NewPseudonymizer([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	upper, lower := p.Of("11010519491231002X"), p.Of("11010519491231002x")
	if upper != lower {
		t.Fatalf("pseudonyms differ: %s %s", upper, lower)
	}
	n := baseNeed()
	n.Pseudonym = upper
	o := other("need-b", func(o *Need) { o.Pseudonym = lower; o.FundedFen = 700_000 })
	r := Screen(DefaultConfig(), Input{Need: n, Others: []Need{o}, Stage: kernel.StageAllocate, AmountFen: 200_000, Now: now})
	if c := checkOf(t, r, kernel.RuleCrossCharityDuplicate); c.Result != kernel.ScreenWarn {
		t.Errorf("duplicate: %s", c.Result)
	}
	if c := checkOf(t, r, kernel.RuleOverAllocation); c.Result != kernel.ScreenBlock {
		t.Errorf("over-allocation: %s", c.Result)
	}
}

func TestOverallIsTheWorstCheck(t *testing.T) {
	n := baseNeed()
	n.StatutoryReliefFen = 0
	n.RequestedFen = 1_000_000
	n.HouseholdTypes = []kernel.HouseholdType{kernel.HHDibao}
	r := Screen(DefaultConfig(), Input{Need: n, Stage: kernel.StageSubmit, Now: now})
	if r.Result != kernel.ScreenWarn {
		t.Errorf("one warning: %s", r.Result)
	}
	r = Screen(DefaultConfig(), Input{Need: n, Stage: kernel.StageAllocate, AmountFen: 1_000_001, Now: now})
	if r.Result != kernel.ScreenBlock {
		t.Errorf("warning and block: %s", r.Result)
	}
	if len(r.Checks) != 4 {
		t.Errorf("%d checks, want 4", len(r.Checks))
	}
}

func TestFingerprintFollowsTheEvidence(t *testing.T) {
	n := baseNeed()
	p1 := pay("pay-1", kernel.ProgMedical, 300_000, "2026-01-05", "2026-01-05")
	in := Input{Need: n, Payments: []StatutoryPayment{p1}, Stage: kernel.StageSubmit, Now: now}
	a := Fingerprint(Screen(DefaultConfig(), in).Checks)
	if a == "" {
		t.Fatal("a block without a fingerprint")
	}
	in.Now = now.Add(40 * 24 * time.Hour)
	in.Stage = kernel.StageClear
	if b := Fingerprint(Screen(DefaultConfig(), in).Checks); b != a {
		t.Error("the same evidence later and at another stage gave another fingerprint")
	}
	in.Payments = append(in.Payments, pay("pay-2", kernel.ProgMedical, 1, "2026-01-06", "2026-01-06"))
	if b := Fingerprint(Screen(DefaultConfig(), in).Checks); b == a {
		t.Error("a new payment kept the fingerprint")
	}
	in.Payments = nil
	in.Need.StatutoryReliefFen = 200_000
	if b := Fingerprint(Screen(DefaultConfig(), in).Checks); b != "" {
		t.Error("no block but a fingerprint")
	}
}

func TestEvidenceHoldsNoIdentity(t *testing.T) {
	n := baseNeed()
	n.HouseholdTypes = []kernel.HouseholdType{kernel.HHDibao}
	r := Screen(DefaultConfig(), Input{Need: n, Others: []Need{other("need-b", nil)},
		Payments: []StatutoryPayment{pay("pay-1", kernel.ProgMedical, 300_000, "2026-01-05", "2026-01-05")}, Stage: kernel.StageSubmit, Now: now})
	b, _ := json.Marshal(r.Checks)
	if strings.Contains(string(b), pseudo) {
		t.Errorf("the pseudonym is in the evidence: %s", b)
	}
}

func TestANamedProgrammeCountsOnceTheConfigMapsItsName(t *testing.T) {
	n := baseNeed()
	n.StatutoryReliefFen, n.RequestedFen = 0, 1_000_000
	payments := []StatutoryPayment{pay("pay-1", kernel.NamedProgramme("大病救助"), 50_000, "2026-01-05", "2026-01-05")}
	cases := []struct {
		name     string
		named    map[string][]string
		want     kernel.ScreeningOutcome
		evidence string
	}{
		{"not mapped: on record, not counted", nil, kernel.ScreenClear, ""},
		{"mapped to the need's category: counted", map[string][]string{"大病救助": {"medical"}}, kernel.ScreenBlock, "pay-1"},
		{"mapped as the export spells it (full-width space): counted", map[string][]string{"　大病救助 ": {"medical"}}, kernel.ScreenBlock, "pay-1"},
		{"mapped to another category: not counted", map[string][]string{"大病救助": {"education"}}, kernel.ScreenClear, ""},
		{"another name mapped: not counted", map[string][]string{"慰问金": {"*"}}, kernel.ScreenClear, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.NamedProgrammeCategories = tc.named
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			c := checkOf(t, Screen(cfg, Input{Need: n, Payments: payments, Stage: kernel.StageSubmit, Now: now}), kernel.RuleStatutoryOverlap)
			if c.Result != tc.want || evidenceIDs(c) != tc.evidence {
				t.Errorf("result %s with evidence %q, want %s with %q (%s)", c.Result, evidenceIDs(c), tc.want, tc.evidence, c.Message)
			}
		})
	}
}

func TestConfigRefusesANamedProgrammeThatIsNotOne(t *testing.T) {
	for name, cats := range map[string][]string{
		"低保":       {"basic_living"}, // a programme with a code: map the code
		"城乡居民医疗救助": {"medical"},
		"大病救助":     {"surgery"}, // no such category
		"":         {"medical"},
	} {
		cfg := DefaultConfig()
		cfg.NamedProgrammeCategories = map[string][]string{name: cats}
		if err := cfg.Validate(); err == nil {
			t.Errorf("%q → %v accepted", name, cats)
		}
	}
}

func TestDefaultConfigCoversEveryProgramme(t *testing.T) {
	cfg := DefaultConfig()
	for _, p := range kernel.Programmes {
		if len(cfg.ProgrammeCategories[p]) == 0 {
			t.Errorf("programme %s pays for no category", p)
		}
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}
