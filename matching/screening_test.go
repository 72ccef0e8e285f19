package matching

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
func baseNeed() ScreeningNeed {
	return ScreeningNeed{ID: "need-a", Pseudonym: pseudo, Status: marketplace.NeedSubmitted, Category: marketplace.CatMedical,
		Period: period("2026-01-01", "2026-01-31"), VerifiedCostFen: 1_000_000, StatutoryReliefFen: 200_000, RequestedFen: 800_000}
}

func pay(id string, prog marketplace.Programme, fen int64, from, to string) StatutoryPayment {
	return StatutoryPayment{ID: id, Programme: prog, AmountFen: fen, From: day(from), To: day(to), RegionCode: "371725"}
}

var now = day("2026-02-10").Add(3 * time.Hour)

func checkOf(t *testing.T, r ScreeningReport, rule string) marketplace.ScreeningCheck {
	t.Helper()
	for _, c := range r.Checks {
		if c.Rule == rule {
			return c
		}
	}
	t.Fatalf("no check %s", rule)
	return marketplace.ScreeningCheck{}
}

func evidenceIDs(c marketplace.ScreeningCheck) string {
	var ids []string
	for _, e := range c.Evidence {
		ids = append(ids, e.ID)
	}
	return strings.Join(ids, ",")
}

func TestStatutoryOverlap(t *testing.T) {
	cases := []struct {
		name     string
		need     func(*ScreeningNeed)
		payments []StatutoryPayment
		want     marketplace.ScreeningOutcome
		evidence string
	}{
		{"no payment on record and nothing declared is clear", func(n *ScreeningNeed) { n.StatutoryReliefFen = 0; n.RequestedFen = 1_000_000 }, nil, marketplace.ScreenClear, ""},
		{"a payment matching the declaration is clear",
			nil, []StatutoryPayment{pay("pay-1", marketplace.ProgMedical, 200_000, "2026-01-15", "2026-01-15")}, marketplace.ScreenClear, "pay-1"},
		{"requested equal to the limit is clear",
			func(n *ScreeningNeed) { n.RequestedFen = 800_000 }, []StatutoryPayment{pay("pay-1", marketplace.ProgMedical, 200_000, "2026-01-31", "2026-01-31")}, marketplace.ScreenClear, "pay-1"},
		{"requested one fen above the limit blocks",
			func(n *ScreeningNeed) { n.RequestedFen = 800_001 }, []StatutoryPayment{pay("pay-1", marketplace.ProgMedical, 200_000, "2026-01-31", "2026-01-31")}, marketplace.ScreenBlock, "pay-1"},
		{"more paid on record than declared blocks the full request",
			nil, []StatutoryPayment{pay("pay-1", marketplace.ProgMedical, 200_000, "2026-01-05", "2026-01-05"), pay("pay-2", marketplace.ProgMedical, 100_000, "2026-01-20", "2026-01-20")},
			marketplace.ScreenBlock, "pay-1,pay-2"},
		{"more paid than declared but a request within the new limit warns",
			func(n *ScreeningNeed) { n.RequestedFen = 700_000 }, []StatutoryPayment{pay("pay-1", marketplace.ProgMedical, 300_000, "2026-01-05", "2026-01-05")}, marketplace.ScreenWarn, "pay-1"},
		{"less on record than declared warns",
			nil, []StatutoryPayment{pay("pay-1", marketplace.ProgMedical, 100_000, "2026-01-05", "2026-01-05")}, marketplace.ScreenWarn, "pay-1"},
		{"declared relief with nothing on record warns", nil, nil, marketplace.ScreenWarn, ""},
		{"a payment in a period that only touches the cost period does not count",
			func(n *ScreeningNeed) { n.StatutoryReliefFen = 0; n.RequestedFen = 1_000_000 },
			[]StatutoryPayment{pay("pay-1", marketplace.ProgMedical, 500_000, "2026-02-01", "2026-02-28"), pay("pay-0", marketplace.ProgMedical, 500_000, "2025-12-01", "2025-12-31")},
			marketplace.ScreenClear, ""},
		{"a payment of a programme for another category does not count",
			func(n *ScreeningNeed) { n.StatutoryReliefFen = 0; n.RequestedFen = 1_000_000 },
			[]StatutoryPayment{pay("pay-1", marketplace.ProgEducation, 500_000, "2026-01-05", "2026-01-05"), pay("pay-2", marketplace.ProgDibao, 90_000, "2026-01-01", "2026-01-31")},
			marketplace.ScreenClear, ""},
		{"temporary relief counts for every category",
			func(n *ScreeningNeed) { n.StatutoryReliefFen = 0; n.RequestedFen = 1_000_000 },
			[]StatutoryPayment{pay("pay-1", marketplace.ProgTemporary, 50_000, "2026-01-05", "2026-01-05")}, marketplace.ScreenBlock, "pay-1"},
		{"statutory relief above the cost leaves nothing: any request blocks",
			func(n *ScreeningNeed) { n.StatutoryReliefFen = 0; n.RequestedFen = 1 },
			[]StatutoryPayment{pay("pay-1", marketplace.ProgMedical, 2_000_000, "2026-01-05", "2026-01-05")}, marketplace.ScreenBlock, "pay-1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := baseNeed()
			if tc.need != nil {
				tc.need(&n)
			}
			r := Screen(DefaultScreeningConfig(), ScreeningInput{Need: n, Payments: tc.payments, Stage: marketplace.StageSubmit, Now: now})
			c := checkOf(t, r, marketplace.RuleStatutoryOverlap)
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

func other(id string, mut func(*ScreeningNeed)) ScreeningNeed {
	o := baseNeed()
	o.ID = id
	o.Status = marketplace.NeedOpen
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
		others   []ScreeningNeed
		want     marketplace.ScreeningOutcome
		evidence string
	}{
		{"no other need is clear", nil, marketplace.ScreenClear, ""},
		{"a live need of the same person, category and period warns", []ScreeningNeed{other("need-b", nil)}, marketplace.ScreenWarn, "need-b"},
		{"a withdrawn need is not a duplicate", []ScreeningNeed{other("need-b", func(o *ScreeningNeed) { o.Status = marketplace.NeedWithdrawn })}, marketplace.ScreenClear, ""},
		{"a rejected need is not a duplicate", []ScreeningNeed{other("need-b", func(o *ScreeningNeed) { o.Status = marketplace.NeedRejected })}, marketplace.ScreenClear, ""},
		{"a draft is not a duplicate yet", []ScreeningNeed{other("need-b", func(o *ScreeningNeed) { o.Status = marketplace.NeedDraft })}, marketplace.ScreenClear, ""},
		{"a need closed without money is not a duplicate", []ScreeningNeed{other("need-b", func(o *ScreeningNeed) { o.Status = marketplace.NeedClosed })}, marketplace.ScreenClear, ""},
		{"a need closed after funding is a duplicate", []ScreeningNeed{other("need-b", func(o *ScreeningNeed) { o.Status = marketplace.NeedClosed; o.FundedFen = 100 })}, marketplace.ScreenWarn, "need-b"},
		{"another category is not a duplicate", []ScreeningNeed{other("need-b", func(o *ScreeningNeed) { o.Category = marketplace.CatEducation })}, marketplace.ScreenClear, ""},
		{"a period that only touches is not a duplicate", []ScreeningNeed{other("need-b", func(o *ScreeningNeed) { o.Period = period("2026-02-01", "2026-02-28") })}, marketplace.ScreenClear, ""},
		{"another person is not a duplicate", []ScreeningNeed{other("need-b", func(o *ScreeningNeed) { o.Pseudonym = "p-0002" })}, marketplace.ScreenClear, ""},
		{"the need itself is not its own duplicate", []ScreeningNeed{other("need-a", nil)}, marketplace.ScreenClear, ""},
		{"duplicates are listed by public id", []ScreeningNeed{other("need-c", nil), other("need-b", func(o *ScreeningNeed) { o.Status = marketplace.NeedReferred })}, marketplace.ScreenWarn, "need-b,need-c"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := Screen(DefaultScreeningConfig(), ScreeningInput{Need: baseNeed(), Payments: []StatutoryPayment{pay("pay-1", marketplace.ProgMedical, 200_000, "2026-01-15", "2026-01-15")},
				Others: tc.others, Stage: marketplace.StageSubmit, Now: now})
			c := checkOf(t, r, marketplace.RuleCrossCharityDuplicate)
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
		stage  marketplace.ScreeningStage
		amount int64
		funded int64
		others []ScreeningNeed
		want   marketplace.ScreeningOutcome
	}{
		{"an allocation up to the limit is clear", marketplace.StageAllocate, 800_000, 0, nil, marketplace.ScreenClear},
		{"an allocation one fen over the limit blocks", marketplace.StageAllocate, 800_001, 0, nil, marketplace.ScreenBlock},
		{"an allocation on top of funded money counts both", marketplace.StageAllocate, 300_001, 500_000, nil, marketplace.ScreenBlock},
		{"money on another charity's need counts", marketplace.StageAllocate, 500_001, 0, []ScreeningNeed{other("need-b", func(o *ScreeningNeed) { o.FundedFen = 300_000 })}, marketplace.ScreenBlock},
		{"money on another charity's need up to the limit is clear", marketplace.StageAllocate, 500_000, 0, []ScreeningNeed{other("need-b", func(o *ScreeningNeed) { o.FundedFen = 300_000 })}, marketplace.ScreenClear},
		{"money on a withdrawn need does not count", marketplace.StageAllocate, 800_000, 0, []ScreeningNeed{other("need-b", func(o *ScreeningNeed) { o.Status = marketplace.NeedWithdrawn; o.FundedFen = 300_000 })}, marketplace.ScreenClear},
		{"money on a need of another category does not count", marketplace.StageAllocate, 800_000, 0, []ScreeningNeed{other("need-b", func(o *ScreeningNeed) { o.Category = marketplace.CatHousing; o.FundedFen = 300_000 })}, marketplace.ScreenClear},
		{"money for a period that only touches does not count", marketplace.StageAllocate, 800_000, 0, []ScreeningNeed{other("need-b", func(o *ScreeningNeed) { o.Period = period("2025-12-01", "2025-12-31"); o.FundedFen = 300_000 })}, marketplace.ScreenClear},
		{"at disburse the allocated money is not counted twice", marketplace.StageDisburse, 800_000, 800_000, nil, marketplace.ScreenClear},
		{"at disburse another charity's new money blocks", marketplace.StageDisburse, 800_000, 800_000, []ScreeningNeed{other("need-b", func(o *ScreeningNeed) { o.FundedFen = 1 })}, marketplace.ScreenBlock},
		{"at submit other money leaving too little for the request warns", marketplace.StageSubmit, 0, 0, []ScreeningNeed{other("need-b", func(o *ScreeningNeed) { o.FundedFen = 1 })}, marketplace.ScreenWarn},
		{"at submit other money above the limit blocks", marketplace.StageSubmit, 0, 0, []ScreeningNeed{other("need-b", func(o *ScreeningNeed) { o.FundedFen = 300_000; o.RequestedFen = 900_000 }), other("need-c", func(o *ScreeningNeed) { o.FundedFen = 500_001; o.RequestedFen = 900_000 })}, marketplace.ScreenBlock},
		{"at submit with no other money it is clear", marketplace.StageSubmit, 0, 0, nil, marketplace.ScreenClear},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := baseNeed()
			n.FundedFen = tc.funded
			r := Screen(DefaultScreeningConfig(), ScreeningInput{Need: n, Others: tc.others, Stage: tc.stage, AmountFen: tc.amount, Now: now,
				Payments: []StatutoryPayment{pay("pay-1", marketplace.ProgMedical, 200_000, "2026-01-15", "2026-01-15")}})
			c := checkOf(t, r, marketplace.RuleOverAllocation)
			if c.Result != tc.want {
				t.Errorf("result %s, want %s (%s)", c.Result, tc.want, c.Message)
			}
		})
	}
}

func TestMissedRelief(t *testing.T) {
	cases := []struct {
		name     string
		types    []marketplace.HouseholdType
		payments []StatutoryPayment
		want     marketplace.ScreeningOutcome
		refer    string
	}{
		{"no eligible household type is clear", []marketplace.HouseholdType{marketplace.HHElderlyAlone}, nil, marketplace.ScreenClear, ""},
		{"a dibao household with a recent dibao payment is clear", []marketplace.HouseholdType{marketplace.HHDibao},
			[]StatutoryPayment{pay("pay-1", marketplace.ProgDibao, 90_000, "2026-01-01", "2026-01-31")}, marketplace.ScreenClear, ""},
		{"a dibao household with no dibao payment is referred", []marketplace.HouseholdType{marketplace.HHDibao},
			[]StatutoryPayment{pay("pay-1", marketplace.ProgMedical, 90_000, "2026-01-01", "2026-01-31")}, marketplace.ScreenWarn, "dibao"},
		{"a dibao payment before the window does not count", []marketplace.HouseholdType{marketplace.HHDibao},
			[]StatutoryPayment{pay("pay-1", marketplace.ProgDibao, 90_000, "2025-10-01", "2025-11-09")}, marketplace.ScreenWarn, "dibao"},
		{"a dibao payment ending on the window's first day counts", []marketplace.HouseholdType{marketplace.HHDibao},
			[]StatutoryPayment{pay("pay-1", marketplace.ProgDibao, 90_000, "2025-10-10", "2025-11-10")}, marketplace.ScreenClear, ""},
		{"each missing programme is referred once", []marketplace.HouseholdType{marketplace.HHTekun, marketplace.HHDibao}, nil, marketplace.ScreenWarn, "dibao,tekun"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := baseNeed()
			n.HouseholdTypes = tc.types
			r := Screen(DefaultScreeningConfig(), ScreeningInput{Need: n, Payments: tc.payments, Stage: marketplace.StageSubmit, Now: now})
			c := checkOf(t, r, marketplace.RuleMissedRelief)
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
	o := other("need-b", func(o *ScreeningNeed) { o.Pseudonym = lower; o.FundedFen = 700_000 })
	r := Screen(DefaultScreeningConfig(), ScreeningInput{Need: n, Others: []ScreeningNeed{o}, Stage: marketplace.StageAllocate, AmountFen: 200_000, Now: now})
	if c := checkOf(t, r, marketplace.RuleCrossCharityDuplicate); c.Result != marketplace.ScreenWarn {
		t.Errorf("duplicate: %s", c.Result)
	}
	if c := checkOf(t, r, marketplace.RuleOverAllocation); c.Result != marketplace.ScreenBlock {
		t.Errorf("over-allocation: %s", c.Result)
	}
}

func TestOverallIsTheWorstCheck(t *testing.T) {
	n := baseNeed()
	n.StatutoryReliefFen = 0
	n.RequestedFen = 1_000_000
	n.HouseholdTypes = []marketplace.HouseholdType{marketplace.HHDibao}
	r := Screen(DefaultScreeningConfig(), ScreeningInput{Need: n, Stage: marketplace.StageSubmit, Now: now})
	if r.Result != marketplace.ScreenWarn {
		t.Errorf("one warning: %s", r.Result)
	}
	r = Screen(DefaultScreeningConfig(), ScreeningInput{Need: n, Stage: marketplace.StageAllocate, AmountFen: 1_000_001, Now: now})
	if r.Result != marketplace.ScreenBlock {
		t.Errorf("warning and block: %s", r.Result)
	}
	if len(r.Checks) != 4 {
		t.Errorf("%d checks, want 4", len(r.Checks))
	}
}

func TestFingerprintFollowsTheEvidence(t *testing.T) {
	n := baseNeed()
	p1 := pay("pay-1", marketplace.ProgMedical, 300_000, "2026-01-05", "2026-01-05")
	in := ScreeningInput{Need: n, Payments: []StatutoryPayment{p1}, Stage: marketplace.StageSubmit, Now: now}
	a := Fingerprint(Screen(DefaultScreeningConfig(), in).Checks)
	if a == "" {
		t.Fatal("a block without a fingerprint")
	}
	in.Now = now.Add(40 * 24 * time.Hour)
	in.Stage = marketplace.StageClear
	if b := Fingerprint(Screen(DefaultScreeningConfig(), in).Checks); b != a {
		t.Error("the same evidence later and at another stage gave another fingerprint")
	}
	in.Payments = append(in.Payments, pay("pay-2", marketplace.ProgMedical, 1, "2026-01-06", "2026-01-06"))
	if b := Fingerprint(Screen(DefaultScreeningConfig(), in).Checks); b == a {
		t.Error("a new payment kept the fingerprint")
	}
	in.Payments = nil
	in.Need.StatutoryReliefFen = 200_000
	if b := Fingerprint(Screen(DefaultScreeningConfig(), in).Checks); b != "" {
		t.Error("no block but a fingerprint")
	}
}

func TestEvidenceHoldsNoIdentity(t *testing.T) {
	n := baseNeed()
	n.HouseholdTypes = []marketplace.HouseholdType{marketplace.HHDibao}
	r := Screen(DefaultScreeningConfig(), ScreeningInput{Need: n, Others: []ScreeningNeed{other("need-b", nil)},
		Payments: []StatutoryPayment{pay("pay-1", marketplace.ProgMedical, 300_000, "2026-01-05", "2026-01-05")}, Stage: marketplace.StageSubmit, Now: now})
	b, _ := json.Marshal(r.Checks)
	if strings.Contains(string(b), pseudo) {
		t.Errorf("the pseudonym is in the evidence: %s", b)
	}
}

func TestLoadScreeningConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	def, err := LoadScreeningConfig("")
	if err != nil || def.LookBackMonths != 3 || !def.Covers(marketplace.ProgTemporary, marketplace.CatLegal) {
		t.Fatalf("defaults: %+v %v", def, err)
	}
	cfg, err := LoadScreeningConfig(write("s.toml", "look_back_months = 6\n[programme_categories]\nmedical = [\"medical\", \"care\"]\n[eligible_programmes]\norphan = [\"temporary\"]\ntekun = []\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.LookBackMonths != 6 || !cfg.Covers(marketplace.ProgMedical, marketplace.CatCare) || !cfg.Covers(marketplace.ProgDibao, marketplace.CatBasicLiving) {
		t.Errorf("toml: %+v", cfg)
	}
	if len(cfg.EligibleProgrammes[marketplace.HHTekun]) != 0 || cfg.EligibleProgrammes[marketplace.HHOrphan][0] != marketplace.ProgTemporary {
		t.Errorf("toml eligible: %+v", cfg.EligibleProgrammes)
	}
	cfg, err = LoadScreeningConfig(write("s.json", `{"programme_categories": {"housing": ["housing", "heating"]}}`))
	if err != nil || !cfg.Covers(marketplace.ProgHousing, marketplace.CatHeating) || cfg.LookBackMonths != 3 {
		t.Errorf("json: %+v %v", cfg, err)
	}
	for name, body := range map[string]string{
		"bad-programme.json": `{"programme_categories": {"lottery": ["medical"]}}`,
		"bad-category.json":  `{"programme_categories": {"medical": ["cosmetics"]}}`,
		"bad-household.toml": "[eligible_programmes]\nrich = [\"dibao\"]\n",
		"bad-window.json":    `{"look_back_months": 0}`,
		"unknown-key.toml":   "lookback = 3\n",
		"unknown-key.json":   `{"lookback": 3}`,
	} {
		if _, err := LoadScreeningConfig(write(name, body)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := LoadScreeningConfig(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("a missing file was accepted")
	}
}
