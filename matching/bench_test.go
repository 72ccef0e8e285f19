package matching

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// A synthetic country: 5 provinces × 10 cities × 6 counties.
func benchRegion(rng *rand.Rand) (prov, city, county string) {
	p, c, k := 31+rng.IntN(5), 1+rng.IntN(10), 1+rng.IntN(6)
	return fmt.Sprintf("%02d", p), fmt.Sprintf("%02d%02d", p, c), fmt.Sprintf("%02d%02d%02d", p, c, k)
}

var hhSets = [][]kernel.HouseholdType{
	{}, {kernel.HHDibao}, {kernel.HHTekun}, {kernel.HHDibaoEdge}, {kernel.HHExpenditureHardship},
	{kernel.HHDibao, kernel.HHSevereDisability}, {kernel.HHElderlyAlone}, {kernel.HHOrphan},
	{kernel.HHDibao, kernel.HHElderlyAlone}, {kernel.HHPovertyRisk}, {kernel.HHUnsupportedChild}, {kernel.HHSevereDisability},
}

func benchVolunteers(n int) []Volunteer {
	rng := rand.New(rand.NewPCG(1, 1))
	vs := make([]Volunteer, n)
	checks := []BackgroundCheck{CheckCleared, CheckCleared, CheckNone, CheckPending}
	for i := range vs {
		v := Volunteer{ID: fmt.Sprintf("%026d", i), LoadLimit: 1 + rng.IntN(5), ActiveLoad: rng.IntN(4), BackgroundCheck: checks[rng.IntN(len(checks))]}
		for range 1 + rng.IntN(3) {
			v.Skills = append(v.Skills, Skill{kernel.Services[rng.IntN(len(kernel.Services))], 1 + rng.IntN(3)})
		}
		for range 1 + rng.IntN(2) {
			p, c, k := benchRegion(rng)
			switch x := rng.IntN(20); {
			case x == 0:
				v.RegionPrefixes = append(v.RegionPrefixes, p)
			case x < 6:
				v.RegionPrefixes = append(v.RegionPrefixes, c)
			default:
				v.RegionPrefixes = append(v.RegionPrefixes, k)
			}
		}
		for range 1 + rng.IntN(4) {
			from := (7 + rng.IntN(12)) * 60
			v.Availability = append(v.Availability, Slot{time.Weekday(rng.IntN(7)), from, from + 60*(1+rng.IntN(4))})
		}
		vs[i] = v
	}
	return vs
}

func benchFunds(rng *rand.Rand, n int, balanceScale int64) []PlanFund {
	fs := make([]PlanFund, n)
	for f := range fs {
		r := kernel.Restrictions{}
		p, c, k := benchRegion(rng)
		switch x := rng.IntN(10); {
		case x < 3:
			r.RegionPrefixes = []string{p}
		case x < 8:
			r.RegionPrefixes = []string{c}
		case x < 9:
			r.RegionPrefixes = []string{k}
		}
		if rng.IntN(2) == 0 {
			r.Categories = []kernel.Category{kernel.Categories[rng.IntN(10)]}
			if rng.IntN(2) == 0 {
				r.Categories = append(r.Categories, kernel.Categories[rng.IntN(10)])
			}
		}
		if rng.IntN(10) < 3 {
			r.HouseholdTypes = hhSets[1+rng.IntN(len(hhSets)-1)]
		}
		if rng.IntN(10) < 4 {
			r.PerNeedCapFen = (2000 + rng.Int64N(18000)) * 100
		}
		fs[f] = PlanFund{ID: fmt.Sprintf("fund%04d", f), BalanceFen: rng.Int64N(balanceScale), Restrictions: r}
	}
	return fs
}

func benchNeeds(rng *rand.Rand, n int) []PlanNeed {
	needs := make([]PlanNeed, n)
	urg := []kernel.Urgency{kernel.UrgencyEmergency, kernel.UrgencyUrgent, kernel.UrgencyUrgent, kernel.UrgencyNormal, kernel.UrgencyNormal, kernel.UrgencyNormal}
	for i := range needs {
		_, _, k := benchRegion(rng)
		req := (500 + rng.Int64N(50000)) * 100
		f := kernel.NeedFacts{Status: kernel.NeedOpen, Category: kernel.Categories[rng.IntN(10)], RegionCode: k,
			HouseholdTypes: hhSets[rng.IntN(len(hhSets))], RequestedFen: req, Screening: kernel.ScreenClear}
		if rng.IntN(4) == 0 {
			f.FundedFen = rng.Int64N(req)
		}
		if rng.IntN(50) == 0 {
			f.Screening = kernel.ScreenBlock
		}
		var dl *time.Time
		if rng.IntN(3) == 0 {
			d := rankNow.Add(time.Duration(rng.IntN(60*24)) * time.Hour)
			dl = &d
		}
		w, why := UrgencyWeight(urg[rng.IntN(len(urg))], dl, rankNow)
		needs[i] = PlanNeed{ID: fmt.Sprintf("need%06d", i), Facts: f, Weight: w, Why: why}
	}
	return needs
}

var benchVols = sync.OnceValue(func() *VolunteerIndex { return NewVolunteerIndex(benchVolunteers(1_000_000)) })

// BenchmarkMatchNeed: ranked funds/projects (10,000) and volunteers
// (1,000,000, indexed by service and region prefix) for one need.
func BenchmarkMatchNeed(b *testing.B) {
	ix := benchVols()
	rng := rand.New(rand.NewPCG(2, 2))
	pf := benchFunds(rng, 10000, 1_000_000_00)
	sources := make([]Source, len(pf))
	for i, f := range pf {
		_, c, _ := benchRegion(rng)
		sources[i] = Source{Kind: "fund", ID: f.ID, RegionCode: c + "00", Restrictions: f.Restrictions, BalanceFen: f.BalanceFen}
	}
	var needs []ServiceNeed
	var fneeds []Need
	for i := range 1000 {
		sn := randomServiceNeed(rng, i)
		_, _, sn.RegionCode = benchRegion(rng)
		sn.Schedule = nil
		needs = append(needs, sn)
		pn := benchNeeds(rng, 1)[0]
		fneeds = append(fneeds, Need{ID: sn.ID, Facts: pn.Facts, Urgency: kernel.UrgencyUrgent})
	}
	lat := make([]time.Duration, 0, b.N)
	var vfound, sfound int
	c0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i % len(needs)
		t0 := time.Now()
		_, ns := SourcesForNeed(&fneeds[k], sources, nil, rankNow, 0, 20)
		_, nv := ix.Match(&needs[k], 0, 20)
		lat = append(lat, time.Since(t0))
		vfound += nv
		sfound += ns
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-c0).Microseconds())/1000/float64(b.N), "cpu_ms/op")
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(vfound)/float64(b.N), "volunteers_eligible/op")
	b.ReportMetric(float64(sfound)/float64(b.N), "sources_eligible/op")
}

// BenchmarkPlan: 1,000 funds over 100,000 open needs; reports the plan's
// urgency-weighted coverage against greedy and its gap to the bound.
func BenchmarkPlan(b *testing.B) {
	rng := rand.New(rand.NewPCG(4, 4))
	funds := benchFunds(rng, 1000, 3_000_000_00)
	needs := benchNeeds(rng, 100_000)
	var p *Plan
	c0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p = MakePlan(funds, needs, PlanOptions{})
	}
	b.StopTimer()
	b.ReportMetric((cpuTime()-c0).Seconds()/float64(b.N), "cpu_s/op")
	t0 := time.Now()
	g := GreedyPlan(funds, needs, PlanOptions{})
	greedyTime := time.Since(t0)
	b.ReportMetric(float64(p.Totals.UrgencyCovered)/float64(g.Totals.UrgencyCovered), "coverage_vs_greedy")
	b.ReportMetric(p.Totals.Gap*100, "gap_%")
	b.ReportMetric(float64(p.Totals.NeedsFullyFunded), "plan_full")
	b.ReportMetric(float64(g.Totals.NeedsFullyFunded), "greedy_full")
	b.ReportMetric(float64(p.Totals.NeedsPartlyFunded), "plan_partial")
	b.ReportMetric(float64(p.Totals.MoneyLeftFen)/float64(p.Totals.MoneyLeftFen+p.Totals.AllocatedFen)*100, "money_left_%")
	b.ReportMetric(greedyTime.Seconds(), "greedy_s")
}

// cpuTime is the process's user+system CPU time: on a shared machine the
// wall time of a benchmark says more about the neighbours than the code.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
