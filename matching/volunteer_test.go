package matching

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/marketplace"
)

func codes(fs []kernel.Ineligibility) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.Code)
	}
	return out
}

func TestVolunteerEligibility(t *testing.T) {
	mon := []Slot{{Weekday: time.Monday, From: 9 * 60, To: 12 * 60}}
	base := func() Volunteer {
		return Volunteer{ID: "v", Skills: []Skill{{kernel.SvcHomeCare, 2}, {kernel.SvcLegalAid, 3}}, RegionPrefixes: []string{"3701"},
			Availability: mon, LoadLimit: 3, ActiveLoad: 1, BackgroundCheck: CheckCleared}
	}
	need := func() ServiceNeed {
		return ServiceNeed{ID: "n", Category: kernel.CatMedical, RegionCode: "370102", AgeBand: kernel.Age18to59,
			Services: []kernel.Service{kernel.SvcHomeCare}, MinLevel: 1, Schedule: []Slot{{Weekday: time.Monday, From: 10 * 60, To: 11 * 60}}}
	}
	cases := []struct {
		name string
		v    func(*Volunteer)
		n    func(*ServiceNeed)
		want []string
	}{
		{"eligible", nil, nil, []string{}},
		{"skill missing", nil, func(n *ServiceNeed) { n.Services = []kernel.Service{kernel.SvcTutoring} }, []string{FailSkillMissing}},
		{"level too low", nil, func(n *ServiceNeed) { n.MinLevel = 3 }, []string{FailLevelTooLow}},
		{"another city", nil, func(n *ServiceNeed) { n.RegionCode = "370211" }, []string{FailRegionNotServed}},
		{"schedule on another day", nil, func(n *ServiceNeed) { n.Schedule[0].Weekday = time.Tuesday }, []string{FailNoAvailability}},
		{"touching windows do not overlap", nil, func(n *ServiceNeed) { n.Schedule[0].From, n.Schedule[0].To = 12*60, 13*60 }, []string{FailNoAvailability}},
		{"no schedule, some availability", nil, func(n *ServiceNeed) { n.Schedule = nil }, []string{}},
		{"no availability stated, no schedule", func(v *Volunteer) { v.Availability = nil }, func(n *ServiceNeed) { n.Schedule = nil }, []string{}},
		{"no availability stated, a schedule", func(v *Volunteer) { v.Availability = nil }, nil, []string{FailNoAvailability}},
		{"load full", func(v *Volunteer) { v.ActiveLoad = 3 }, nil, []string{FailLoadFull}},
		{"no load limit", func(v *Volunteer) { v.LoadLimit, v.ActiveLoad = 0, 50 }, nil, []string{}},
		{"home care for an adult needs no check", func(v *Volunteer) { v.BackgroundCheck = CheckNone }, nil, []string{}},
		{"home care for a minor needs a cleared check", func(v *Volunteer) { v.BackgroundCheck = CheckPending }, func(n *ServiceNeed) { n.AgeBand = kernel.AgeUnder14 }, []string{FailBackgroundCheck}},
		{"home care for 14-17 needs a cleared check", func(v *Volunteer) { v.BackgroundCheck = CheckNone }, func(n *ServiceNeed) { n.AgeBand = kernel.Age14to17 }, []string{FailBackgroundCheck}},
		{"home care for the elderly needs a cleared check", func(v *Volunteer) { v.BackgroundCheck = CheckExpired }, func(n *ServiceNeed) { n.AgeBand = kernel.Age60Plus }, []string{FailBackgroundCheck}},
		{"elderly living alone", func(v *Volunteer) { v.BackgroundCheck = CheckFailed }, func(n *ServiceNeed) { n.HouseholdTypes = []kernel.HouseholdType{kernel.HHElderlyAlone} }, []string{FailBackgroundCheck}},
		{"severe disability", func(v *Volunteer) { v.BackgroundCheck = CheckNone }, func(n *ServiceNeed) { n.HouseholdTypes = []kernel.HouseholdType{kernel.HHSevereDisability} }, []string{FailBackgroundCheck}},
		{"care category is a home visit", func(v *Volunteer) { v.BackgroundCheck = CheckNone; v.Skills = []Skill{{kernel.SvcLegalAid, 3}} }, func(n *ServiceNeed) {
			n.Category, n.Services, n.AgeBand = kernel.CatCare, []kernel.Service{kernel.SvcLegalAid}, kernel.Age60Plus
		}, []string{FailBackgroundCheck}},
		{"legal aid for a minor is no home visit", func(v *Volunteer) { v.BackgroundCheck = CheckNone }, func(n *ServiceNeed) {
			n.Services, n.AgeBand = []kernel.Service{kernel.SvcLegalAid}, kernel.AgeUnder14
		}, []string{}},
		{"cleared check visits a minor", nil, func(n *ServiceNeed) { n.AgeBand = kernel.AgeUnder14 }, []string{}},
		{"every reason at once", func(v *Volunteer) { v.ActiveLoad = 9; v.BackgroundCheck = CheckNone; v.Availability = nil }, func(n *ServiceNeed) {
			n.MinLevel, n.RegionCode, n.AgeBand = 3, "110101", kernel.AgeUnder14
		}, []string{FailLevelTooLow, FailRegionNotServed, FailNoAvailability, FailLoadFull, FailBackgroundCheck}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, n := base(), need()
			if tc.v != nil {
				tc.v(&v)
			}
			if tc.n != nil {
				tc.n(&n)
			}
			got := codes(VolunteerFails(n, &v))
			if !slices.Equal(got, tc.want) {
				t.Fatalf("reasons %v, want %v", got, tc.want)
			}
			if volunteerAllows(&n, &v, RequiresClearedCheck(n)) != (len(got) == 0) {
				t.Fatalf("the fast check disagrees with the reasons %v", got)
			}
			ms, total := VolunteersFor(&n, []Volunteer{v}, 0, 10)
			if (total == 1) != (len(got) == 0) || len(ms) != total {
				t.Fatalf("ranking returned %d of %d with reasons %v", len(ms), total, got)
			}
		})
	}
}

func randomVolunteers(rng *rand.Rand, n int) []Volunteer {
	prefixes := []string{"37", "3701", "370102", "370103", "3702", "370211", "11", "1101", "110101"}
	checks := []BackgroundCheck{CheckNone, CheckPending, CheckCleared, CheckFailed, CheckExpired}
	vs := make([]Volunteer, n)
	for i := range vs {
		v := Volunteer{ID: fmt.Sprintf("v%07d", i), LoadLimit: rng.IntN(4), ActiveLoad: rng.IntN(4), BackgroundCheck: checks[rng.IntN(len(checks))]}
		for range 1 + rng.IntN(3) {
			v.Skills = append(v.Skills, Skill{kernel.Services[rng.IntN(len(kernel.Services))], 1 + rng.IntN(3)})
		}
		for range 1 + rng.IntN(2) {
			v.RegionPrefixes = append(v.RegionPrefixes, prefixes[rng.IntN(len(prefixes))])
		}
		for range rng.IntN(4) {
			from := rng.IntN(20) * 60
			v.Availability = append(v.Availability, Slot{time.Weekday(rng.IntN(7)), from, from + 60*(1+rng.IntN(4))})
		}
		vs[i] = v
	}
	return vs
}

func randomServiceNeed(rng *rand.Rand, i int) ServiceNeed {
	regions := []string{"370102", "370103", "370211", "110101", "370102001"}
	bands := []kernel.AgeBand{kernel.AgeUnder14, kernel.Age14to17, kernel.Age18to59, kernel.Age60Plus}
	n := ServiceNeed{ID: fmt.Sprintf("n%05d", i), Category: kernel.Categories[rng.IntN(len(kernel.Categories))], RegionCode: regions[rng.IntN(len(regions))],
		AgeBand: bands[rng.IntN(len(bands))], MinLevel: rng.IntN(4), Urgency: kernel.UrgencyNormal}
	for range 1 + rng.IntN(2) {
		n.Services = append(n.Services, kernel.Services[rng.IntN(len(kernel.Services))])
	}
	if rng.IntN(3) == 0 {
		n.HouseholdTypes = []kernel.HouseholdType{kernel.HouseholdTypes[rng.IntN(len(kernel.HouseholdTypes))]}
	}
	for range rng.IntN(3) {
		from := rng.IntN(20) * 60
		n.Schedule = append(n.Schedule, Slot{time.Weekday(rng.IntN(7)), from, from + 120})
	}
	return n
}

// Whatever the score, no volunteer without a cleared check is offered for
// a home visit to a vulnerable household, through any path.
func TestVolunteerHardConstraintIsNeverBroken(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 4))
	vols := randomVolunteers(rng, 3000)
	byID := map[string]*Volunteer{}
	for i := range vols {
		byID[vols[i].ID] = &vols[i]
	}
	ix := NewVolunteerIndex(vols)
	var needs []ServiceNeed
	checked := 0
	for i := 0; i < 300; i++ {
		n := randomServiceNeed(rng, i)
		needs = append(needs, n)
		scan, totalScan := VolunteersFor(&n, vols, 0, len(vols))
		fast, totalFast := ix.Match(&n, 0, len(vols))
		if totalScan != totalFast || len(scan) != len(fast) {
			t.Fatalf("need %s: index finds %d, scan %d", n.ID, totalFast, totalScan)
		}
		for k := range scan {
			if scan[k].ID != fast[k].ID || scan[k].Score != fast[k].Score {
				t.Fatalf("need %s: rank %d differs: %v vs %v", n.ID, k, scan[k], fast[k])
			}
			v := byID[scan[k].ID]
			if fails := VolunteerFails(n, v); len(fails) > 0 {
				t.Fatalf("volunteer %s offered for need %s despite %v", v.ID, n.ID, fails)
			}
			if RequiresClearedCheck(n) {
				checked++
				if v.BackgroundCheck != CheckCleared {
					t.Fatalf("volunteer %s without a cleared check offered for a home visit to a vulnerable household", v.ID)
				}
			}
		}
		for k := 1; k < len(scan); k++ {
			if scan[k].Score > scan[k-1].Score {
				t.Fatalf("not sorted at %d", k)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no vulnerable home visit was matched: the test proves nothing")
	}
	for i := range vols[:200] {
		ms, _ := NeedsForVolunteer(&vols[i], needs, 0, 1000)
		for _, m := range ms {
			for _, n := range needs {
				if n.ID == m.ID && RequiresClearedCheck(n) && vols[i].BackgroundCheck != CheckCleared {
					t.Fatalf("need %s offered to volunteer %s without a cleared check", n.ID, vols[i].ID)
				}
			}
		}
	}
}

// Pages of a top-k ranking are the slices of the full ranking.
func TestRankingPagesAreSlicesOfTheFullOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	vols := randomVolunteers(rng, 2000)
	n := ServiceNeed{ID: "n", RegionCode: "370102", Services: kernel.Services, AgeBand: kernel.Age18to59}
	all, total := VolunteersFor(&n, vols, 0, len(vols))
	if total < 30 {
		t.Fatalf("only %d eligible", total)
	}
	for _, off := range []int{0, 7, 20, total - 3, total + 5} {
		pg, tot := VolunteersFor(&n, vols, off, 10)
		if tot != total {
			t.Fatalf("total %d, want %d", tot, total)
		}
		want := all[min(off, total):min(off+10, total)]
		if len(pg) != len(want) {
			t.Fatalf("offset %d: %d results, want %d", off, len(pg), len(want))
		}
		for k := range pg {
			if pg[k].ID != want[k].ID {
				t.Fatalf("offset %d: result %d is %s, want %s", off, k, pg[k].ID, want[k].ID)
			}
		}
	}
}

// Matching applies the same background-check rule as claims and service
// pledges (marketplace.NeedsBackgroundCheck), and is stricter only for the
// care category.
func TestBackgroundRuleIsTheSharedOne(t *testing.T) {
	bands := []kernel.AgeBand{kernel.AgeUnder14, kernel.Age14to17, kernel.Age18to59, kernel.Age60Plus}
	for _, s := range kernel.Services {
		for _, b := range bands {
			for _, h := range append([]kernel.HouseholdType{""}, kernel.HouseholdTypes...) {
				var hh []kernel.HouseholdType
				if h != "" {
					hh = []kernel.HouseholdType{h}
				}
				n := ServiceNeed{Category: kernel.CatMedical, Services: []kernel.Service{s}, AgeBand: b, HouseholdTypes: hh}
				if got, want := RequiresClearedCheck(n), marketplace.NeedsBackgroundCheck(s, b, hh); got != want {
					t.Errorf("%s for %s %v: matching says %v, claims say %v", s, b, hh, got, want)
				}
				n.Category = kernel.CatCare
				if marketplace.NeedsBackgroundCheck(s, b, hh) && !RequiresClearedCheck(n) {
					t.Errorf("care category loosens the rule for %s %s %v", s, b, hh)
				}
			}
		}
	}
}
