package matching

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// PlanFund is a fund whose balance a plan may spend.
type PlanFund struct {
	ID           string
	BalanceFen   int64
	Restrictions kernel.Restrictions
	// Given is, by need id, what the fund already gave the need's person
	// across all the person's postings (MatchStore.Given): the per-need
	// cap holds per person, so the postings of one person carry the same
	// value. Where they differ the planner takes the largest.
	Given map[string]int64
}

// PlanNeed is an open need a plan may fund.
type PlanNeed struct {
	ID    string
	Facts kernel.NeedFacts
	// Weight is the urgency weight of one fen for this need (see
	// UrgencyWeight); higher is served first.
	Weight int64
	// Why says where the weight comes from, for the plan's reasons.
	Why string
	// Person identifies the person the need is posted for (the need's
	// pseudonym), whom two organizations may both have posted; it never
	// leaves the server. A plan funds at most one posting of a person
	// (see considered). Empty: a person of the need's own.
	Person string
}

// UrgencyWeight is the weight of one fen given to a need: 9 emergency,
// 3 urgent, 1 normal, doubled when the deadline is within 14 days or past.
// Few distinct weights keep plans fast (see docs/matching.md).
func UrgencyWeight(u kernel.Urgency, deadline *time.Time, now time.Time) (int64, string) {
	w := map[kernel.Urgency]int64{kernel.UrgencyEmergency: 9, kernel.UrgencyUrgent: 3, kernel.UrgencyNormal: 1}[u]
	w = max(w, 1)
	why := "urgency " + string(u)
	if deadline != nil && deadline.Sub(now) <= 14*24*time.Hour {
		w *= 2
		why += ", deadline within 14 days"
	}
	return w, why
}

// PlanLine is one allocation of a plan.
type PlanLine struct {
	FundID    string   `json:"fund_id"`
	NeedID    string   `json:"need_id"`
	AmountFen int64    `json:"amount_fen"`
	Weight    int64    `json:"weight"`
	Reasons   []string `json:"reasons"`
}

// PlanTotals sum up a plan.
type PlanTotals struct {
	NeedsFullyFunded  int   `json:"needs_fully_funded"`
	NeedsPartlyFunded int   `json:"needs_partly_funded"`
	AllocatedFen      int64 `json:"allocated_fen"`
	MoneyLeftFen      int64 `json:"money_left_fen"`
	// UrgencyCovered is Σ weight × fen allocated.
	UrgencyCovered int64 `json:"urgency_covered"`
	// UpperBound is the optimum of the partial-funding relaxation (exact
	// when no per-need cap binds, an upper bound otherwise); Gap is
	// 1 − UrgencyCovered/UpperBound.
	UpperBound int64   `json:"upper_bound"`
	Gap        float64 `json:"gap"`
}

// Plan is the result of planning.
type Plan struct {
	Lines  []PlanLine `json:"lines"`
	Totals PlanTotals `json:"totals"`
	// LeftOut counts the needs that could take money from one of the
	// plan's funds but that the planner itself left out, by reason: the
	// other postings of a person it funds through one (LeftOutSamePerson).
	LeftOut []LeftOut `json:"left_out,omitempty"`
}

// PlanOptions bound a plan.
type PlanOptions struct {
	// MaxNeeds, when positive, plans over the MaxNeeds most urgent needs only.
	MaxNeeds int
	// NoImprove skips the full-funding improvement pass (for comparisons).
	NoImprove bool
}

// A needClass is the needs whose set of eligible funds is the same
// (category, region and household types decide it), so that the flow
// network is funds → classes, not funds → needs.
type needClass struct {
	sig   []uint64 // bitset of eligible funds
	needs []int32  // indices into the needs, weight desc, remaining asc
	total int64    // Σ remaining
}

type planner struct {
	funds []PlanFund
	needs []PlanNeed
	rem   []int64 // remaining of each need
	words int
	cls   []needClass
	clsOf []int32
	given []map[int32]int64 // per fund: need index → already given to the need's person
	alloc []map[int32]int64 // per fund: need index → planned
	got   []int64           // per need: planned in total
	left  []int64           // per fund: balance not yet planned
	bound int64
	// samePerson counts the postings left out for another posting of the
	// same person (considered).
	samePerson int
}

// MakePlan spends the funds' balances over the needs: it maximizes the
// urgency-weighted money given (Σ weight × fen), fully funds as many needs
// as it can without lowering that, and never breaks a restriction, a
// per-need cap, a balance or a screening block (eligibility is
// marketplace.Restrictions, the rule shared with allocation). A per-need
// cap holds per person: the plan funds at most one posting of each person
// (PlanNeed.Person), counting what each fund already gave the person
// (PlanFund.Given), so that no fund's lines give a person more than its cap
// and the lines to a person never exceed what one posting asks. See
// docs/matching.md for the method.
func MakePlan(funds []PlanFund, needs []PlanNeed, opt PlanOptions) *Plan {
	p := newPlanner(funds, needs, opt)
	p.classify()
	p.flow()
	p.repair()
	// Per-need caps can leave the placement of the flow (steps 3 and 4)
	// below what the greedy baseline reaches on a rare instance; the plan
	// is never worse than the baseline it is compared with.
	if g := greedy(funds, needs, opt); g.covered() > p.covered() {
		g.bound = p.bound
		p = g
	}
	if !opt.NoImprove {
		p.improveFullFunding()
	}
	return p.result()
}

// covered is Σ weight × fen planned so far.
func (p *planner) covered() int64 {
	var c int64
	for i := range p.needs {
		c += p.got[i] * p.needs[i].Weight
	}
	return c
}

func newPlanner(funds []PlanFund, needs []PlanNeed, opt PlanOptions) *planner {
	keep, personGiven, samePerson := considered(funds, needs, opt.MaxNeeds)
	rem := func(n *PlanNeed) int64 { return n.Facts.RequestedFen - n.Facts.FundedFen }
	p := &planner{funds: funds, needs: keep, words: (len(funds) + 63) / 64, samePerson: samePerson}
	p.rem = make([]int64, len(keep))
	p.got = make([]int64, len(keep))
	idx := make(map[string]int32, len(keep))
	byPerson := map[string]int32{}
	for i := range keep {
		p.rem[i] = rem(&keep[i])
		idx[keep[i].ID] = int32(i)
		if who := keep[i].Person; who != "" {
			byPerson[who] = int32(i)
		}
	}
	p.given = make([]map[int32]int64, len(funds))
	p.alloc = make([]map[int32]int64, len(funds))
	p.left = make([]int64, len(funds))
	for f := range funds {
		p.alloc[f] = map[int32]int64{}
		p.given[f] = map[int32]int64{}
		p.left[f] = max(funds[f].BalanceFen, 0)
		for id, g := range funds[f].Given {
			if i, ok := idx[id]; ok && g > 0 {
				p.given[f][i] = g
			}
		}
		if personGiven != nil {
			for who, g := range personGiven[f] {
				if i, ok := byPerson[who]; ok && g > p.given[f][i] {
					p.given[f][i] = g
				}
			}
		}
	}
	return p
}

// considered is what a plan considers of the needs, heaviest first (then
// smallest remaining, then id): only needs that can take money at all
// (open, not fully funded, not blocked by screening: Restrictions{} keeps
// exactly those checks), one posting per person, and, when maxNeeds is
// positive, the maxNeeds most urgent of them.
//
// One posting per person is the rule that keeps a plan within what the
// person may take: a fund's per-need cap holds for the person across all
// the postings of them (PlanFund.Given counts it so), and a plan does not
// know what the person's hardship may take in all (verified cost less
// statutory relief, less what the other postings hold), which the
// allocation of each line screens. Of a person's postings the plan keeps
// the heaviest one that a fund with money may serve now, counting what
// each fund gave the person (the first one if none may); the others are
// left out. personGiven is, per fund, what it gave each person (the
// largest PlanFund.Given over the person's needs; nil when no need names
// its person), and samePerson counts the postings left out for another
// that the plan considers and that are within the scope of one of the
// funds (category, region, household types).
func considered(funds []PlanFund, needs []PlanNeed, maxNeeds int) (keep []PlanNeed, personGiven []map[string]int64, samePerson int) {
	for _, n := range needs {
		if n.Weight > 0 && (kernel.Restrictions{}).Allows(n.Facts, 0) {
			keep = append(keep, n)
		}
	}
	rem := func(n *PlanNeed) int64 { return n.Facts.RequestedFen - n.Facts.FundedFen }
	// Sort indices, not the (large) needs.
	order := make([]int32, len(keep))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(x, y int32) int {
		a, b := &keep[x], &keep[y]
		if c := cmp.Compare(b.Weight, a.Weight); c != 0 {
			return c
		}
		if c := cmp.Compare(rem(a), rem(b)); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	sorted := make([]PlanNeed, len(keep))
	for i, o := range order {
		sorted[i] = keep[o]
	}
	personGiven = givenPerPerson(funds, needs)
	sorted, dropped := onePostingPerPerson(funds, personGiven, sorted)
	if maxNeeds > 0 && len(sorted) > maxNeeds {
		sorted = sorted[:maxNeeds]
	}
	if len(dropped) == 0 {
		return sorted, personGiven, 0
	}
	inPlan := map[string]bool{}
	for i := range sorted {
		inPlan[sorted[i].Person] = true
	}
	for _, d := range dropped {
		if !inPlan[d.Person] {
			continue // its person is not in the plan at all (maxNeeds)
		}
		for f := range funds {
			if inScope(&funds[f].Restrictions, d.Facts) {
				samePerson++
				break
			}
		}
	}
	return sorted, personGiven, samePerson
}

// givenPerPerson is, per fund, the largest amount PlanFund.Given holds for
// any need of each person, or nil when no need names its person.
func givenPerPerson(funds []PlanFund, needs []PlanNeed) []map[string]int64 {
	personOf := map[string]string{}
	for i := range needs {
		if who := needs[i].Person; who != "" {
			personOf[needs[i].ID] = who
		}
	}
	if len(personOf) == 0 {
		return nil
	}
	out := make([]map[string]int64, len(funds))
	for f := range funds {
		out[f] = map[string]int64{}
		for id, g := range funds[f].Given {
			if who, ok := personOf[id]; ok && g > out[f][who] {
				out[f][who] = g
			}
		}
	}
	return out
}

// onePostingPerPerson keeps, of the postings of each person among sorted
// (heaviest first), the first one that a fund with money may serve,
// counting what the fund gave the person (personGiven), or the first one
// if none may; it keeps the order and returns the postings it left out
// too.
func onePostingPerPerson(funds []PlanFund, personGiven []map[string]int64, sorted []PlanNeed) (kept, dropped []PlanNeed) {
	postings := map[string][]int{}
	for i := range sorted {
		if who := sorted[i].Person; who != "" {
			postings[who] = append(postings[who], i)
		}
	}
	drop := map[int]bool{}
	for _, idx := range postings {
		if len(idx) < 2 {
			continue
		}
		keep := idx[0]
		for _, i := range idx {
			if anyFundServes(funds, personGiven, &sorted[i]) {
				keep = i
				break
			}
		}
		for _, i := range idx {
			if i != keep {
				drop[i] = true
			}
		}
	}
	if len(drop) == 0 {
		return sorted, nil
	}
	kept = make([]PlanNeed, 0, len(sorted)-len(drop))
	dropped = make([]PlanNeed, 0, len(drop))
	for i := range sorted {
		if drop[i] {
			dropped = append(dropped, sorted[i])
		} else {
			kept = append(kept, sorted[i])
		}
	}
	return kept, dropped
}

// anyFundServes reports whether a fund with money may give the posting n
// something now, counting what it gave n's person.
func anyFundServes(funds []PlanFund, personGiven []map[string]int64, n *PlanNeed) bool {
	for f := range funds {
		if funds[f].BalanceFen > 0 && funds[f].Restrictions.Allows(n.Facts, personGiven[f][n.Person]) {
			return true
		}
	}
	return false
}

// inScope reports whether the restrictions' category, region and household
// types accept the need (its status, money and screening aside).
func inScope(r *kernel.Restrictions, f kernel.NeedFacts) bool {
	scope := kernel.Restrictions{Categories: r.Categories, RegionPrefixes: r.RegionPrefixes, HouseholdTypes: r.HouseholdTypes}
	f.Status, f.RequestedFen, f.FundedFen, f.Screening = kernel.NeedOpen, 1, 0, kernel.ScreenClear
	return scope.Allows(f, 0)
}

// maxFen is the most fund f may still give need i in this plan.
func (p *planner) maxFen(f int, i int32) int64 {
	r := &p.funds[f].Restrictions
	n := &p.needs[i].Facts
	g := p.given[f][i] + p.alloc[f][i]
	if !r.Allows(*n, g) {
		return 0
	}
	return min(r.MaxFen(*n, g), p.rem[i]-p.got[i])
}

// classify groups needs into classes of equal eligible-fund sets. Whether a
// fund's restrictions hold a need is the conjunction of three independent
// parts of Restrictions.Allows — category, region, household types — so
// each part is evaluated once per distinct value (by Allows itself, on the
// restriction reduced to that part) and the fund sets are intersected as
// bitsets.
func (p *planner) classify() {
	w := p.words
	open := func(n kernel.NeedFacts) kernel.NeedFacts {
		n.Status, n.RequestedFen, n.FundedFen, n.Screening = kernel.NeedOpen, 1, 0, kernel.ScreenClear
		return n
	}
	catSet := map[kernel.Category][]uint64{}
	regSet := map[string][]uint64{}
	hhSet := map[string][]uint64{}
	bit := func(b []uint64, f int) { b[f/64] |= 1 << (f % 64) }
	byKey := map[string]int32{}
	p.clsOf = make([]int32, len(p.needs))
	sig := make([]uint64, w)
	var key []byte
	for i := range p.needs {
		n := open(p.needs[i].Facts)
		cs, ok := catSet[n.Category]
		if !ok {
			cs = make([]uint64, w)
			for f := range p.funds {
				if (kernel.Restrictions{Categories: p.funds[f].Restrictions.Categories}).Allows(n, 0) {
					bit(cs, f)
				}
			}
			catSet[n.Category] = cs
		}
		rs, ok := regSet[n.RegionCode]
		if !ok {
			rs = make([]uint64, w)
			for f := range p.funds {
				if (kernel.Restrictions{RegionPrefixes: p.funds[f].Restrictions.RegionPrefixes}).Allows(n, 0) {
					bit(rs, f)
				}
			}
			regSet[n.RegionCode] = rs
		}
		hk := hhKey(n.HouseholdTypes)
		hs, ok := hhSet[hk]
		if !ok {
			hs = make([]uint64, w)
			for f := range p.funds {
				if (kernel.Restrictions{HouseholdTypes: p.funds[f].Restrictions.HouseholdTypes}).Allows(n, 0) {
					bit(hs, f)
				}
			}
			hhSet[hk] = hs
		}
		key = key[:0]
		for j := range sig {
			sig[j] = cs[j] & rs[j] & hs[j]
			key = binary.LittleEndian.AppendUint64(key, sig[j])
		}
		c, ok := byKey[string(key)]
		if !ok {
			c = int32(len(p.cls))
			byKey[string(key)] = c
			p.cls = append(p.cls, needClass{sig: slices.Clone(sig)})
		}
		p.clsOf[i] = c
		p.cls[c].needs = append(p.cls[c].needs, int32(i)) // needs are sorted already
		p.cls[c].total += p.rem[i]
	}
}

func hhKey(h []kernel.HouseholdType) string {
	s := make([]string, len(h))
	for i, x := range h {
		s[i] = string(x)
	}
	slices.Sort(s)
	return strings.Join(s, ",")
}

func (c *needClass) has(f int) bool { return c.sig[f/64]&(1<<(f%64)) != 0 }

func (c *needClass) each(fn func(f int)) {
	for j, w := range c.sig {
		for w != 0 {
			b := bits.TrailingZeros64(w)
			fn(j*64 + b)
			w &= w - 1
		}
	}
}

// flow solves the partial-funding relaxation on source → fund → class →
// sink. Costs sit on the sink arcs only (−weight per fen), so the min-cost
// flow is the lexicographic maximum flow by weight level (the greedy
// algorithm is exact on the polymatroid of reachable sink amounts): for
// each weight, highest first, the sink arc of every class is raised to the
// remaining of its needs of at least that weight and the flow augmented
// (Dinic). Flows into a class are then given to its needs, highest weight
// and then smallest remaining first (most needs completed).
func (p *planner) flow() {
	F, K := len(p.funds), len(p.cls)
	s, t := 0, 1+F+K
	g := newMaxFlow(F + K + 2)
	arcs := F + K
	for c := range p.cls {
		for _, w := range p.cls[c].sig {
			arcs += bits.OnesCount64(w)
		}
	}
	g.grow(arcs)
	for f := range p.funds {
		g.addArc(s, 1+f, p.left[f])
	}
	type edge struct {
		f, c int
		id   int
	}
	var levels []int64
	for i := range p.needs {
		if len(levels) == 0 || levels[len(levels)-1] != p.needs[i].Weight {
			levels = append(levels, p.needs[i].Weight)
		}
	}
	// needs are sorted weight desc already, so levels are too.
	givenIn := map[[2]int32][]int32{}
	for f := range p.funds {
		if p.funds[f].Restrictions.PerNeedCapFen > 0 {
			for i := range p.given[f] {
				k := [2]int32{int32(f), p.clsOf[i]}
				givenIn[k] = append(givenIn[k], i)
			}
		}
	}
	edges := make([]edge, 0, arcs)
	var capped []edge
	// levelCaps[c][l] holds the sorted remaining amounts of the class's
	// needs of weight ≥ levels[l] and their prefix sums, for capped funds.
	type sorted struct{ rem, prefix []int64 }
	levelCaps := make([][]sorted, K)
	levelEnd := make([][]int, K)
	for c := range p.cls {
		cl := &p.cls[c]
		ends := make([]int, len(levels))
		j := 0
		for l, w := range levels {
			for j < len(cl.needs) && p.needs[cl.needs[j]].Weight >= w {
				j++
			}
			ends[l] = j
		}
		levelEnd[c] = ends
		cl.each(func(f int) {
			if p.funds[f].Restrictions.PerNeedCapFen > 0 {
				capped = append(capped, edge{f, c, g.addArc(1+f, 1+F+c, 0)})
				edges = append(edges, capped[len(capped)-1])
			} else {
				edges = append(edges, edge{f, c, g.addArc(1+f, 1+F+c, cl.total)})
			}
		})
	}
	// capAt is what capped fund f may give the needs of class c of weight
	// ≥ levels[l]: Σ min(cap less already given, remaining).
	capAt := func(f, c, l int) int64 {
		if levelCaps[c] == nil {
			levelCaps[c] = make([]sorted, len(levels))
		}
		sc := &levelCaps[c][l]
		if sc.prefix == nil {
			for _, i := range p.cls[c].needs[:levelEnd[c][l]] {
				sc.rem = append(sc.rem, p.rem[i])
			}
			slices.Sort(sc.rem)
			sc.prefix = make([]int64, len(sc.rem)+1)
			for k, v := range sc.rem {
				sc.prefix[k+1] = sc.prefix[k] + v
			}
		}
		kappa := p.funds[f].Restrictions.PerNeedCapFen
		k, _ := slices.BinarySearch(sc.rem, kappa)
		v := sc.prefix[k] + int64(len(sc.rem)-k)*kappa
		for _, i := range givenIn[[2]int32{int32(f), int32(c)}] {
			if p.needs[i].Weight >= levels[l] {
				v -= min(kappa, p.rem[i]) - min(max(kappa-p.given[f][i], 0), p.rem[i])
			}
		}
		return v
	}
	sinks := make([]int, K)
	for c := range p.cls {
		sinks[c] = g.addArc(1+F+c, t, 0)
	}
	g.build()
	var total int64
	for l := range levels {
		for c := range p.cls {
			var capW int64
			for _, i := range p.cls[c].needs[:levelEnd[c][l]] {
				capW += p.rem[i]
			}
			// Raise the sink arc's capacity, keeping its flow.
			g.cap[sinks[c]] = capW - g.flow(sinks[c])
		}
		// The relaxation of the needs of weight ≥ this level: a capped
		// fund may give each of them at most its cap.
		for _, e := range capped {
			g.cap[e.id] = capAt(e.f, e.c, l) - g.flow(e.id)
		}
		total += g.run(s, t)
		// The bound: Σ_l (w_l − w_{l+1}) × (max relaxed flow to the needs
		// of weight ≥ w_l), an upper bound on any plan's weighted coverage.
		next := int64(0)
		if l+1 < len(levels) {
			next = levels[l+1]
		}
		p.bound += (levels[l] - next) * total
	}
	// Give each class's inflow to its needs.
	in := make([][]edge, K)
	for _, e := range edges {
		if g.flow(e.id) > 0 {
			in[e.c] = append(in[e.c], e)
		}
	}
	for c := range p.cls {
		cl := &p.cls[c]
		// Capped funds first: they are the ones that cannot go anywhere.
		slices.SortStableFunc(in[c], func(a, b edge) int {
			ca, cb := p.funds[a.f].Restrictions.PerNeedCapFen, p.funds[b.f].Restrictions.PerNeedCapFen
			if ca == 0 {
				ca = 1 << 62
			}
			if cb == 0 {
				cb = 1 << 62
			}
			return cmp.Compare(ca, cb)
		})
		var take []int64
		var fs []int
		for _, e := range in[c] {
			fs = append(fs, e.f)
			take = append(take, g.flow(e.id))
		}
		for _, i := range cl.needs {
			want := p.rem[i] - p.got[i]
			for k := 0; k < len(fs) && want > 0; k++ {
				if take[k] == 0 {
					continue
				}
				d := min(take[k], want, p.maxFen(fs[k], i))
				if d > 0 {
					p.give(fs[k], i, d)
					take[k] -= d
					want -= d
				}
			}
		}
		if slices.ContainsFunc(take, func(x int64) bool { return x > 0 }) {
			p.reroute(cl, fs, take)
		}
	}
}

// reroute places inflow that per-need caps kept the first pass from
// placing in a class: an exact max flow inside the class over the funds'
// remaining inflow, the caps' room and the needs' gaps, where money
// already given may move between needs (reverse arcs), heaviest needs
// first.
func (p *planner) reroute(cl *needClass, fs []int, take []int64) {
	nf, nn := len(fs), len(cl.needs)
	s, t := 0, 1+nf+nn
	g := newMaxFlow(nf + nn + 2)
	type arc struct {
		k, j int
		id   int
		room int64
	}
	var arcs []arc
	for k, f := range fs {
		g.addArc(s, 1+k, take[k])
		for j, i := range cl.needs {
			fc := &p.needs[i].Facts
			r := &p.funds[f].Restrictions
			gv := p.given[f][i] + p.alloc[f][i]
			room := int64(0)
			if r.Allows(*fc, gv) {
				room = r.MaxFen(*fc, gv)
			}
			if room > 0 || p.alloc[f][i] > 0 {
				id := g.addArc(1+k, 1+nf+j, room)
				g.cap[id^1] = p.alloc[f][i]
				arcs = append(arcs, arc{k, j, id, room})
			}
		}
	}
	sinks := make([]int, nn)
	for j := range cl.needs {
		sinks[j] = g.addArc(1+nf+j, t, 0)
	}
	g.build()
	for j := 0; j < nn; {
		w := p.needs[cl.needs[j]].Weight
		for ; j < nn && p.needs[cl.needs[j]].Weight == w; j++ {
		}
		for jj := 0; jj < j; jj++ {
			i := cl.needs[jj]
			g.cap[sinks[jj]] = p.rem[i] - p.got[i] - g.flow(sinks[jj])
		}
		g.run(s, t)
	}
	for _, a := range arcs {
		if d := a.room - g.cap[a.id]; d > 0 {
			p.give(fs[a.k], cl.needs[a.j], d)
		} else if d < 0 {
			p.take(fs[a.k], cl.needs[a.j], -d)
		}
	}
}

func (p *planner) give(f int, i int32, d int64) {
	p.alloc[f][i] += d
	p.got[i] += d
	p.left[f] -= d
}

func (p *planner) take(f int, i int32, d int64) {
	p.alloc[f][i] -= d
	if p.alloc[f][i] == 0 {
		delete(p.alloc[f], i)
	}
	p.got[i] -= d
	p.left[f] += d
}

// repair spends what per-need caps kept the flow from placing: each fund
// with money left gives it to its eligible needs, heaviest first.
func (p *planner) repair() {
	for f := range p.funds {
		if p.left[f] == 0 {
			continue
		}
		var cand []int32
		for c := range p.cls {
			if p.cls[c].has(f) {
				for _, i := range p.cls[c].needs {
					if p.got[i] < p.rem[i] {
						cand = append(cand, i)
					}
				}
			}
		}
		slices.Sort(cand) // needs are indexed heaviest first
		for _, i := range cand {
			if p.left[f] == 0 {
				break
			}
			if d := min(p.left[f], p.maxFen(f, i)); d > 0 {
				p.give(f, i, d)
			}
		}
	}
}

// improveFullFunding moves money between needs of the same weight — which
// leaves the weighted coverage unchanged — when that completes a need: for
// each partly funded need, smallest gap first, it takes money that funds
// eligible for it gave other partly funded needs of the same weight,
// largest gap first. The work is bounded (a budget of pair checks), so it
// is a best effort on top of an optimal coverage.
func (p *planner) improveFullFunding() {
	var partial []int32
	for i := range p.needs {
		if p.got[i] > 0 && p.got[i] < p.rem[i] {
			partial = append(partial, int32(i))
		}
	}
	if len(partial) < 2 {
		return
	}
	givers := map[int32][]int{}
	isPartial := map[int32]bool{}
	for _, i := range partial {
		isPartial[i] = true
	}
	for f := range p.funds {
		for i := range p.alloc[f] {
			if isPartial[i] {
				givers[i] = append(givers[i], f)
			}
		}
	}
	byWeight := map[int64][]int32{}
	for _, i := range partial {
		byWeight[p.needs[i].Weight] = append(byWeight[p.needs[i].Weight], i)
	}
	budget := 2_000_000
	gap := func(i int32) int64 { return p.rem[i] - p.got[i] }
	type move struct {
		f    int
		from int32
		x    int64
	}
	for _, group := range byWeight {
		slices.SortFunc(group, func(a, b int32) int { return cmp.Compare(gap(a), gap(b)) })
		for qi, q := range group {
			need := gap(q)
			if need == 0 || p.got[q] == 0 {
				continue
			}
			var moves []move
			var sum int64
			moved := map[int]int64{}
			for di := len(group) - 1; di > qi && sum < need && budget > 0; di-- {
				d := group[di]
				for _, f := range givers[d] {
					budget--
					x := p.alloc[f][d]
					if x == 0 || !p.cls[p.clsOf[q]].has(f) {
						continue
					}
					room := p.maxFen(f, q) - moved[f]
					x = min(x, need-sum, room)
					if x > 0 {
						moves = append(moves, move{f, d, x})
						moved[f] += x
						sum += x
					}
					if sum >= need {
						break
					}
				}
			}
			if sum < need {
				continue
			}
			for _, m := range moves {
				p.take(m.f, m.from, m.x)
				p.give(m.f, q, m.x)
				givers[q] = append(givers[q], m.f)
			}
		}
	}
}

func (p *planner) result() *Plan {
	out := &Plan{Lines: []PlanLine{}}
	for f := range p.funds {
		var idx []int32
		for i := range p.alloc[f] {
			idx = append(idx, i)
		}
		slices.Sort(idx)
		for _, i := range idx {
			x := p.alloc[f][i]
			n := &p.needs[i]
			why := []string{fmt.Sprintf("weight %d: %s", n.Weight, n.Why)}
			if p.got[i] == p.rem[i] {
				why = append(why, fmt.Sprintf("the plan fully funds the remaining %d fen", p.rem[i]))
			} else {
				why = append(why, fmt.Sprintf("the plan covers %d of the remaining %d fen", p.got[i], p.rem[i]))
			}
			why = append(why, "within the fund's restrictions, per-need cap and balance")
			out.Lines = append(out.Lines, PlanLine{FundID: p.funds[f].ID, NeedID: n.ID, AmountFen: x, Weight: n.Weight, Reasons: why})
			out.Totals.AllocatedFen += x
			out.Totals.UrgencyCovered += x * n.Weight
		}
		out.Totals.MoneyLeftFen += p.left[f]
	}
	for i := range p.needs {
		switch {
		case p.got[i] == p.rem[i]:
			out.Totals.NeedsFullyFunded++
		case p.got[i] > 0:
			out.Totals.NeedsPartlyFunded++
		}
	}
	if p.samePerson > 0 {
		out.LeftOut = []LeftOut{{Reason: LeftOutSamePerson, Count: p.samePerson}}
	}
	out.Totals.UpperBound = max(p.bound, out.Totals.UrgencyCovered)
	if out.Totals.UpperBound > 0 {
		out.Totals.Gap = 1 - float64(out.Totals.UrgencyCovered)/float64(out.Totals.UpperBound)
	}
	return out
}

// GreedyPlan is the baseline: fund by fund, each fund gives to its eligible
// needs most urgent first (then smallest remaining), as much as it may. It
// considers the same needs as MakePlan with the same options (MaxNeeds), so
// that the two and the upper bound compare.
func GreedyPlan(funds []PlanFund, needs []PlanNeed, opt PlanOptions) *Plan {
	return greedy(funds, needs, opt).result()
}

func greedy(funds []PlanFund, needs []PlanNeed, opt PlanOptions) *planner {
	p := newPlanner(funds, needs, opt)
	p.classify()
	var cand []int32
	for f := range p.funds {
		cand = cand[:0]
		for c := range p.cls {
			if p.cls[c].has(f) {
				cand = append(cand, p.cls[c].needs...)
			}
		}
		slices.Sort(cand) // needs are indexed most urgent first
		for _, i := range cand {
			if p.left[f] == 0 {
				break
			}
			if d := min(p.left[f], p.maxFen(f, i)); d > 0 {
				p.give(f, i, d)
			}
		}
	}
	return p
}
