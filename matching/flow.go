package matching

import "slices"

// maxFlow is Dinic's algorithm on an int64-capacity graph. The planner's
// network is small in nodes (funds + need classes) but can have millions
// of arcs, so arcs live in flat slices and each node's arcs are a
// contiguous range after build (CSR).
type maxFlow struct {
	n     int
	from  []int32
	to    []int32
	cap   []int64 // residual capacity
	start []int32 // CSR offsets, len n+1
	order []int32 // arc ids grouped by tail
	level []int32
	iter  []int32
	queue []int32
}

func newMaxFlow(n int) *maxFlow { return &maxFlow{n: n} }

// grow reserves room for n more arcs (and their reverses).
func (g *maxFlow) grow(n int) {
	g.from = slices.Grow(g.from, 2*n)
	g.to = slices.Grow(g.to, 2*n)
	g.cap = slices.Grow(g.cap, 2*n)
}

// addArc adds u→v with capacity c and its reverse; it returns the forward
// arc id (the reverse is id^1).
func (g *maxFlow) addArc(u, v int, c int64) int {
	id := len(g.to)
	g.from = append(g.from, int32(u), int32(v))
	g.to = append(g.to, int32(v), int32(u))
	g.cap = append(g.cap, c, 0)
	return id
}

// flow is how much went through a forward arc.
func (g *maxFlow) flow(id int) int64 { return g.cap[id^1] }

func (g *maxFlow) build() {
	g.start = make([]int32, g.n+1)
	for _, u := range g.from {
		g.start[u+1]++
	}
	for i := 0; i < g.n; i++ {
		g.start[i+1] += g.start[i]
	}
	g.order = make([]int32, len(g.from))
	fill := make([]int32, g.n)
	copy(fill, g.start[:g.n])
	for id, u := range g.from {
		g.order[fill[u]] = int32(id)
		fill[u]++
	}
	g.level = make([]int32, g.n)
	g.iter = make([]int32, g.n)
	g.queue = make([]int32, 0, g.n)
}

func (g *maxFlow) bfs(s, t int) bool {
	for i := range g.level {
		g.level[i] = -1
	}
	g.level[s] = 0
	q := append(g.queue[:0], int32(s))
	for h := 0; h < len(q); h++ {
		u := q[h]
		for _, id := range g.order[g.start[u]:g.start[u+1]] {
			if g.cap[id] > 0 && g.level[g.to[id]] < 0 {
				g.level[g.to[id]] = g.level[u] + 1
				q = append(q, g.to[id])
			}
		}
	}
	g.queue = q
	return g.level[t] >= 0
}

func (g *maxFlow) dfs(u, t int32, f int64) int64 {
	if u == t {
		return f
	}
	for ; g.iter[u] < g.start[u+1]; g.iter[u]++ {
		id := g.order[g.iter[u]]
		v := g.to[id]
		if g.cap[id] <= 0 || g.level[v] != g.level[u]+1 {
			continue
		}
		if d := g.dfs(v, t, min(f, g.cap[id])); d > 0 {
			g.cap[id] -= d
			g.cap[id^1] += d
			return d
		}
	}
	return 0
}

// run augments the current flow to a maximum one and returns what it added.
func (g *maxFlow) run(s, t int) int64 {
	var total int64
	for g.bfs(s, t) {
		copy(g.iter, g.start[:g.n])
		for {
			f := g.dfs(int32(s), int32(t), 1<<62)
			if f == 0 {
				break
			}
			total += f
		}
	}
	return total
}
