package matching

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
)

// randomInstance builds a small random planning problem with every kind of
// obstacle: restrictions, caps, money already given, blocked and closed needs.
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
		if nf > 0 && rng.IntN(6) == 0 {
			funds[rng.IntN(nf)].Given[id] = 1 + rng.Int64N(amount)
		}
		w := []int64{1, 3, 9, 2}[rng.IntN(4)]
		needs[i] = PlanNeed{ID: id, Facts: n, Weight: w, Why: "test"}
	}
	return funds, needs
}

// checkPlan applies the plan line by line as execution would and fails on
// any line that breaks a restriction, cap, balance or screening block.
func checkPlan(t *testing.T, funds []PlanFund, needs []PlanNeed, p *Plan) {
	t.Helper()
	fi := map[string]int{}
	for i, f := range funds {
		fi[f.ID] = i
	}
	facts := map[string]kernel.NeedFacts{}
	weight := map[string]int64{}
	for _, n := range needs {
		facts[n.ID] = n.Facts
		weight[n.ID] = n.Weight
	}
	bal := map[string]int64{}
	given := map[[2]string]int64{}
	for _, f := range funds {
		bal[f.ID] = f.BalanceFen
		for n, g := range f.Given {
			given[[2]string{f.ID, n}] = g
		}
	}
	var covered, alloc int64
	for _, l := range p.Lines {
		f := funds[fi[l.FundID]]
		n, ok := facts[l.NeedID]
		if !ok {
			t.Fatalf("line for unknown need %s", l.NeedID)
		}
		k := [2]string{l.FundID, l.NeedID}
		if l.AmountFen <= 0 {
			t.Fatalf("line %+v: amount not positive", l)
		}
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
		opt := optimum(funds, needs)
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
		opt := optimum(funds, needs)
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
		if exact := optimum(funds, considered(needs, opt.MaxNeeds)); p.Totals.UpperBound < exact {
			t.Fatalf("instance %d (max_needs %d): bound %d below the exact optimum %d", it, opt.MaxNeeds, p.Totals.UpperBound, exact)
		}
	}
}
