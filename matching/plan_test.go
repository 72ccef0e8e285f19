package matching

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
)

// randomInstance builds a small random planning problem with every kind of
// obstacle: restrictions, caps, money already given, blocked and closed
// needs, and persons posted more than once (what a fund gave a person is on
// each of their postings, as MatchStore.Given reads it).
func randomInstance(rng *rand.Rand, nf, nn int, amount int64) ([]PlanFund, []PlanNeed) {
	regions := []string{"370102", "370103", "370211", "110101", "110102"}
	prefixes := []string{"37", "3701", "370102", "11", "3702"}
	cats := kernel.Categories[:4]
	hhs := kernel.HouseholdTypes[:4]
	funds := make([]PlanFund, nf)
	for f := range funds {
		r := kernel.Restrictions{}
		if rng.IntN(2) == 0 {
			r.Categories = []kernel.Category{cats[rng.IntN(len(cats))]}
			if rng.IntN(2) == 0 {
				r.Categories = append(r.Categories, cats[rng.IntN(len(cats))])
			}
		}
		if rng.IntN(2) == 0 {
			r.RegionPrefixes = []string{prefixes[rng.IntN(len(prefixes))]}
		}
		if rng.IntN(3) == 0 {
			r.HouseholdTypes = []kernel.HouseholdType{hhs[rng.IntN(len(hhs))]}
		}
		if rng.IntN(3) == 0 {
			r.PerNeedCapFen = 1 + rng.Int64N(amount)
		}
		funds[f] = PlanFund{ID: fmt.Sprintf("f%03d", f), BalanceFen: rng.Int64N(amount * 3), Restrictions: r, Given: map[string]int64{}}
	}
	needs := make([]PlanNeed, nn)
	given := map[[2]string]int64{} // fund, person → given
	for i := range needs {
		req := 1 + rng.Int64N(amount)
		n := kernel.NeedFacts{
			Status:       kernel.NeedOpen,
			Category:     cats[rng.IntN(len(cats))],
			RegionCode:   regions[rng.IntN(len(regions))],
			RequestedFen: req,
			FundedFen:    rng.Int64N(req),
			Screening:    kernel.ScreenClear,
		}
		for range rng.IntN(3) {
			n.HouseholdTypes = append(n.HouseholdTypes, hhs[rng.IntN(len(hhs))])
		}
		switch rng.IntN(12) {
		case 0:
			n.Screening = kernel.ScreenBlock
		case 1:
			n.Status = kernel.NeedNotice
		case 2:
			n.FundedFen = n.RequestedFen
		case 3:
			n.Screening = kernel.ScreenWarn
		}
		id := fmt.Sprintf("n%04d", i)
		person := "p" + id
		if i > 0 && rng.IntN(3) == 0 {
			person = needs[rng.IntN(i)].Person // posted again, maybe by another organization
		}
		if nf > 0 && rng.IntN(6) == 0 {
			given[[2]string{funds[rng.IntN(nf)].ID, person}] += 1 + rng.Int64N(amount)
		}
		w := []int64{1, 3, 9, 2}[rng.IntN(4)]
		needs[i] = PlanNeed{ID: id, Facts: n, Weight: w, Why: "test", Person: person}
	}
	for f := range funds {
		for _, n := range needs {
			if g := given[[2]string{funds[f].ID, n.Person}]; g > 0 {
				funds[f].Given[n.ID] = g
			}
		}
	}
	return funds, needs
}

// personOf is the person a need is posted for (its own id when unnamed).
func personOf(n PlanNeed) string {
	if n.Person == "" {
		return "need " + n.ID
	}
	return n.Person
}

// checkPlan applies the plan line by line as execution would and fails on
// any line that breaks a restriction, cap (per person: what the fund gave
// the person's postings before and in the plan), balance or screening
// block, and on a plan that funds two postings of one person.
func checkPlan(t *testing.T, funds []PlanFund, needs []PlanNeed, p *Plan) {
	t.Helper()
	fi := map[string]int{}
	for i, f := range funds {
		fi[f.ID] = i
	}
	facts := map[string]kernel.NeedFacts{}
	weight := map[string]int64{}
	person := map[string]string{}
	for _, n := range needs {
		facts[n.ID] = n.Facts
		weight[n.ID] = n.Weight
		person[n.ID] = personOf(n)
	}
	bal := map[string]int64{}
	given := map[[2]string]int64{} // fund, person
	for _, f := range funds {
		bal[f.ID] = f.BalanceFen
		for n, g := range f.Given {
			k := [2]string{f.ID, person[n]}
			given[k] = max(given[k], g)
		}
	}
	funded := map[string]string{} // person → the posting the plan funds
	var covered, alloc int64
	for _, l := range p.Lines {
		f := funds[fi[l.FundID]]
		n, ok := facts[l.NeedID]
		if !ok {
			t.Fatalf("line for unknown need %s", l.NeedID)
		}
		k := [2]string{l.FundID, person[l.NeedID]}
		if l.AmountFen <= 0 {
			t.Fatalf("line %+v: amount not positive", l)
		}
		if other, ok := funded[person[l.NeedID]]; ok && other != l.NeedID {
			t.Fatalf("line %+v: the plan funds two postings of one person, %s and %s", l, other, l.NeedID)
		}
		funded[person[l.NeedID]] = l.NeedID
		if fails := f.Restrictions.Fails(n, given[k]); len(fails) > 0 {
			t.Fatalf("line %+v breaks %v", l, fails)
		}
		if mx := f.Restrictions.MaxFen(n, given[k]); l.AmountFen > mx {
			t.Fatalf("line %+v above the most allowed %d", l, mx)
		}
		if l.AmountFen > bal[l.FundID] {
			t.Fatalf("line %+v above the balance %d", l, bal[l.FundID])
		}
		bal[l.FundID] -= l.AmountFen
		given[k] += l.AmountFen
		n.FundedFen += l.AmountFen
		facts[l.NeedID] = n
		covered += l.AmountFen * weight[l.NeedID]
		alloc += l.AmountFen
	}
	if covered != p.Totals.UrgencyCovered || alloc != p.Totals.AllocatedFen {
		t.Fatalf("totals %+v, lines sum to covered %d allocated %d", p.Totals, covered, alloc)
	}
	var left int64
	for _, b := range bal {
		left += max(b, 0)
	}
	if left != p.Totals.MoneyLeftFen {
		t.Fatalf("money left %d, want %d", p.Totals.MoneyLeftFen, left)
	}
}

// consideredNeeds is the postings a plan considers (one per person): the
// optimum a plan is measured against is over the same postings, since
// which posting of a person a plan funds is its rule, not an optimization.
func consideredNeeds(funds []PlanFund, needs []PlanNeed, maxNeeds int) []PlanNeed {
	keep, _, _ := considered(funds, needs, maxNeeds)
	return keep
}

// optimum is an independent exact solver of the partial-funding
// relaxation: min-cost flow by successive shortest paths (Bellman-Ford)
// on source → fund → need → sink with cost −weight on the sink arcs.
func optimum(funds []PlanFund, needs []PlanNeed) int64 {
	F, N := len(funds), len(needs)
	s, t := 0, F+N+1
	type arc struct {
		to   int
		cap  int64
		cost int64
	}
	var arcs []arc
	adj := make([][]int, F+N+2)
	add := func(u, v int, c, cost int64) {
		adj[u] = append(adj[u], len(arcs))
		arcs = append(arcs, arc{v, c, cost})
		adj[v] = append(adj[v], len(arcs))
		arcs = append(arcs, arc{u, 0, -cost})
	}
	for f := range funds {
		add(s, 1+f, max(funds[f].BalanceFen, 0), 0)
		for i, n := range needs {
			g := funds[f].Given[n.ID]
			if funds[f].Restrictions.Allows(n.Facts, g) {
				add(1+f, 1+F+i, funds[f].Restrictions.MaxFen(n.Facts, g), 0)
			}
		}
	}
	for i, n := range needs {
		if n.Weight > 0 {
			add(1+F+i, t, max(n.Facts.RequestedFen-n.Facts.FundedFen, 0), -n.Weight)
		}
	}
	var total int64
	for {
		dist := make([]int64, len(adj))
		prev := make([]int, len(adj))
		for i := range dist {
			dist[i], prev[i] = 1<<60, -1
		}
		dist[s] = 0
		for range len(adj) {
			changed := false
			for u := range adj {
				if dist[u] == 1<<60 {
					continue
				}
				for _, id := range adj[u] {
					a := arcs[id]
					if a.cap > 0 && dist[u]+a.cost < dist[a.to] {
						dist[a.to], prev[a.to], changed = dist[u]+a.cost, id, true
					}
				}
			}
			if !changed {
				break
			}
		}
		if dist[t] >= 0 {
			return total
		}
		push := int64(1 << 60)
		for v := t; v != s; v = arcs[prev[v]^1].to {
			push = min(push, arcs[prev[v]].cap)
		}
		for v := t; v != s; v = arcs[prev[v]^1].to {
			arcs[prev[v]].cap -= push
			arcs[prev[v]^1].cap += push
		}
		total += -dist[t] * push
	}
}

func TestPlanNeverBreaksRestrictionsCapsBalancesOrBlocks(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for it := 0; it < 3000; it++ {
		funds, needs := randomInstance(rng, rng.IntN(5), rng.IntN(10), 20)
		checkPlan(t, funds, needs, MakePlan(funds, needs, PlanOptions{}))
		checkPlan(t, funds, needs, GreedyPlan(funds, needs, PlanOptions{}))
	}
}

func TestPlanReachesTheRelaxationOptimumOnSmallInstances(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 9))
	worst := 1.0
	for it := 0; it < 2000; it++ {
		funds, needs := randomInstance(rng, 1+rng.IntN(4), 1+rng.IntN(9), 30)
		opt := optimum(funds, consideredNeeds(funds, needs, 0))
		p := MakePlan(funds, needs, PlanOptions{})
		got := p.Totals.UrgencyCovered
		if got > opt {
			t.Fatalf("plan covers %d, above the optimum %d: the plan or the reference is wrong", got, opt)
		}
		if p.Totals.UpperBound < opt {
			t.Fatalf("upper bound %d below the optimum %d", p.Totals.UpperBound, opt)
		}
		if opt > 0 {
			worst = min(worst, float64(got)/float64(opt))
		}
	}
	if worst < 0.99 {
		t.Errorf("worst plan/optimum ratio %.4f, want ≥ 0.99", worst)
	}
}

// Without per-need caps the flow is exact: the plan is the optimum.
func TestPlanIsExactWithoutCaps(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 1))
	for it := 0; it < 1500; it++ {
		funds, needs := randomInstance(rng, 1+rng.IntN(4), 1+rng.IntN(9), 30)
		for f := range funds {
			funds[f].Restrictions.PerNeedCapFen = 0
		}
		opt := optimum(funds, consideredNeeds(funds, needs, 0))
		p := MakePlan(funds, needs, PlanOptions{})
		if p.Totals.UrgencyCovered != opt || p.Totals.UpperBound != opt {
			t.Fatalf("instance %d: plan %d, bound %d, optimum %d", it, p.Totals.UrgencyCovered, p.Totals.UpperBound, opt)
		}
	}
}

func TestPlanCoversAtLeastAsMuchAsGreedy(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 13))
	better := 0
	for it := 0; it < 300; it++ {
		funds, needs := randomInstance(rng, 2+rng.IntN(10), 5+rng.IntN(60), 1000)
		p, g := MakePlan(funds, needs, PlanOptions{}), GreedyPlan(funds, needs, PlanOptions{})
		if p.Totals.UrgencyCovered < g.Totals.UrgencyCovered {
			t.Fatalf("instance %d: plan covers %d, greedy %d", it, p.Totals.UrgencyCovered, g.Totals.UrgencyCovered)
		}
		if p.Totals.UrgencyCovered > g.Totals.UrgencyCovered {
			better++
		}
	}
	if better == 0 {
		t.Errorf("the plan never did better than greedy on 300 random instances")
	}
}

// The full-funding preference: among needs of one weight the plan completes
// the small ones rather than spreading the money.
func TestPlanPrefersFullFunding(t *testing.T) {
	open := func(req int64) kernel.NeedFacts {
		return kernel.NeedFacts{Status: kernel.NeedOpen, Category: kernel.CatMedical, RegionCode: "370102", RequestedFen: req}
	}
	funds := []PlanFund{{ID: "f", BalanceFen: 100}}
	needs := []PlanNeed{{ID: "big", Facts: open(90), Weight: 1}, {ID: "a", Facts: open(30), Weight: 1}, {ID: "b", Facts: open(30), Weight: 1}, {ID: "c", Facts: open(30), Weight: 1}, {ID: "urgent", Facts: open(5), Weight: 9}}
	p := MakePlan(funds, needs, PlanOptions{})
	if p.Totals.NeedsFullyFunded != 4 || p.Totals.NeedsPartlyFunded != 1 || p.Totals.MoneyLeftFen != 0 {
		t.Fatalf("totals %+v, want the urgent need and three small ones complete, one partly", p.Totals)
	}
	if p.Totals.UrgencyCovered != 5*9+95 {
		t.Fatalf("urgency covered %d", p.Totals.UrgencyCovered)
	}
}

func TestPlanMaxNeedsKeepsTheMostUrgent(t *testing.T) {
	open := func(req int64) kernel.NeedFacts {
		return kernel.NeedFacts{Status: kernel.NeedOpen, Category: kernel.CatMedical, RegionCode: "370102", RequestedFen: req}
	}
	funds := []PlanFund{{ID: "f", BalanceFen: 1000}}
	needs := []PlanNeed{{ID: "n1", Facts: open(10), Weight: 1}, {ID: "e1", Facts: open(10), Weight: 9}, {ID: "u1", Facts: open(10), Weight: 3}}
	p := MakePlan(funds, needs, PlanOptions{MaxNeeds: 2})
	got := map[string]bool{}
	for _, l := range p.Lines {
		got[l.NeedID] = true
	}
	if len(got) != 2 || !got["e1"] || !got["u1"] {
		t.Fatalf("planned needs %v, want e1 and u1", got)
	}
}

// The figures a plan reports hold together on any instance, whatever
// max_needs: the greedy baseline is a feasible plan over the same needs, so
// greedy ≤ optimizer ≤ upper bound, and the bound is never below the exact
// optimum of the needs the plan considers.
func TestPlanGreedyNeverAboveOptimizerNorBound(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 4))
	for it := 0; it < 3000; it++ {
		funds, needs := randomInstance(rng, 1+rng.IntN(5), 1+rng.IntN(12), 40)
		opt := PlanOptions{}
		if rng.IntN(2) == 0 {
			opt.MaxNeeds = 1 + rng.IntN(len(needs))
		}
		p, g := MakePlan(funds, needs, opt), GreedyPlan(funds, needs, opt)
		checkPlan(t, funds, needs, p)
		checkPlan(t, funds, needs, g)
		if g.Totals.UrgencyCovered > p.Totals.UrgencyCovered || p.Totals.UrgencyCovered > p.Totals.UpperBound {
			t.Fatalf("instance %d (max_needs %d): greedy %d, optimizer %d, bound %d", it, opt.MaxNeeds,
				g.Totals.UrgencyCovered, p.Totals.UrgencyCovered, p.Totals.UpperBound)
		}
		if exact := optimum(funds, consideredNeeds(funds, needs, opt.MaxNeeds)); p.Totals.UpperBound < exact {
			t.Fatalf("instance %d (max_needs %d): bound %d below the exact optimum %d", it, opt.MaxNeeds, p.Totals.UpperBound, exact)
		}
	}
}

// A fund's per-need cap holds per person: two organizations posted one
// person, and a plan never gives the person more than the cap from one
// fund, counting what the fund gave the person before, through one of the
// postings only (issue 14).
func TestPlanKeepsACapPerPersonAcrossTheirPostings(t *testing.T) {
	open := func(req int64) kernel.NeedFacts {
		return kernel.NeedFacts{Status: kernel.NeedOpen, Category: kernel.CatMedical, RegionCode: "370102", RequestedFen: req}
	}
	needs := []PlanNeed{
		{ID: "a", Facts: open(5000), Weight: 9, Person: "P"},
		{ID: "b", Facts: open(5000), Weight: 3, Person: "P"}, // the same person, posted by another organization
		{ID: "c", Facts: open(5000), Weight: 1, Person: "Q"},
	}
	cases := []struct {
		name     string
		given    map[string]int64
		toP, toQ int64
	}{
		{"nothing given yet: the cap once", map[string]int64{}, 1000, 1000},
		{"the fund gave the person 600: the rest of the cap", map[string]int64{"a": 600, "b": 600}, 400, 1000},
		{"given read on one posting only: still the person's", map[string]int64{"b": 600}, 400, 1000},
		{"the cap used: nothing more for the person", map[string]int64{"a": 1000, "b": 1000}, 0, 1000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			funds := []PlanFund{{ID: "f", BalanceFen: 100_000, Restrictions: kernel.Restrictions{PerNeedCapFen: 1000}, Given: tc.given}}
			for name, p := range map[string]*Plan{"plan": MakePlan(funds, needs, PlanOptions{}), "greedy": GreedyPlan(funds, needs, PlanOptions{})} {
				got := map[string]int64{}
				postings := map[string]bool{}
				for _, l := range p.Lines {
					got[map[string]string{"a": "P", "b": "P", "c": "Q"}[l.NeedID]] += l.AmountFen
					if l.NeedID != "c" {
						postings[l.NeedID] = true
					}
				}
				if got["P"] != tc.toP || got["Q"] != tc.toQ || len(postings) > 1 {
					t.Errorf("%s gives the person %d through %v, the other %d; want %d through one posting, and %d",
						name, got["P"], postings, got["Q"], tc.toP, tc.toQ)
				}
			}
		})
	}
}

// A plan funds at most one posting of a person, whatever the funds: the
// heaviest posting that a fund with money may serve, and the other is left
// out and counted, so that the person never gets through the plan more
// than one posting asks.
func TestPlanFundsOnePostingPerPerson(t *testing.T) {
	facts := func(c kernel.Category, req int64) kernel.NeedFacts {
		return kernel.NeedFacts{Status: kernel.NeedOpen, Category: c, RegionCode: "370102", RequestedFen: req}
	}
	needs := []PlanNeed{
		{ID: "edu", Facts: facts(kernel.CatEducation, 3000), Weight: 9, Person: "P"},
		{ID: "med", Facts: facts(kernel.CatMedical, 2000), Weight: 1, Person: "P"},
		{ID: "alone", Facts: facts(kernel.CatMedical, 2000), Weight: 1},
	}
	medical := kernel.Restrictions{Categories: []kernel.Category{kernel.CatMedical}}
	cases := []struct {
		name       string
		funds      []PlanFund
		want       map[string]int64
		samePerson int
	}{
		{"only a medical fund: the medical posting, though lighter",
			[]PlanFund{{ID: "m", BalanceFen: 10_000, Restrictions: medical}},
			map[string]int64{"med": 2000, "alone": 2000}, 0},
		{"the education fund is empty: the medical posting",
			[]PlanFund{{ID: "m", BalanceFen: 10_000, Restrictions: medical}, {ID: "e", Restrictions: kernel.Restrictions{Categories: []kernel.Category{kernel.CatEducation}}}},
			map[string]int64{"med": 2000, "alone": 2000}, 1},
		{"an open fund: the heaviest posting only",
			[]PlanFund{{ID: "o", BalanceFen: 10_000}},
			map[string]int64{"edu": 3000, "alone": 2000}, 1},
		{"two funds, one for each posting: still one posting",
			[]PlanFund{{ID: "m", BalanceFen: 10_000, Restrictions: medical}, {ID: "o", BalanceFen: 10_000}},
			map[string]int64{"edu": 3000, "alone": 2000}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := MakePlan(tc.funds, needs, PlanOptions{})
			got := map[string]int64{}
			for _, l := range p.Lines {
				got[l.NeedID] += l.AmountFen
			}
			if !maps.Equal(got, tc.want) {
				t.Errorf("the plan gives %v, want %v", got, tc.want)
			}
			var want []LeftOut
			if tc.samePerson > 0 {
				want = []LeftOut{{LeftOutSamePerson, tc.samePerson}}
			}
			if !slices.Equal(p.LeftOut, want) {
				t.Errorf("left out %v, want %v", p.LeftOut, want)
			}
		})
	}
}
