package matching

import (
	"container/heap"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// Factor is one part of a result's score: Weight × Value, with a sentence
// saying why.
type Factor struct {
	Factor string  `json:"factor"`
	Weight float64 `json:"weight"`
	Value  float64 `json:"value"`
	Text   string  `json:"text"`
	// Key names the wording of Text in a page's catalogue (factor_<Key>),
	// with A and B the numbers it quotes (amounts in fen); set with Text.
	Key  string `json:"-"`
	A, B int64  `json:"-"`
}

func score(fs []Factor) float64 {
	s := 0.0
	for _, f := range fs {
		s += f.Weight * f.Value
	}
	return math.Round(s*1000) / 1000
}

// Source is a fund or a project as matching sees it.
type Source struct {
	Kind string // "fund" or "project"
	ID   string
	Name string
	// RegionCode is the holding organization's region.
	RegionCode   string
	Restrictions kernel.Restrictions
	BalanceFen   int64
}

// Need is an open need as ranking against funds and projects sees it.
type Need struct {
	ID          string
	Facts       kernel.NeedFacts
	Urgency     kernel.Urgency
	Deadline    *time.Time
	PublishedAt *time.Time
}

// SourceMatch is one eligible fund or project for a need, or one eligible
// need for a fund or project, with why it ranked where it did.
type SourceMatch struct {
	Kind    string   `json:"kind,omitempty"`
	ID      string   `json:"id"`
	Name    string   `json:"name,omitempty"`
	Score   float64  `json:"score"`
	MaxFen  int64    `json:"max_fen"`
	Factors []Factor `json:"factors"`
}

// VolunteerMatch is one eligible volunteer for a need, or one eligible need
// for a volunteer.
type VolunteerMatch struct {
	ID      string   `json:"id"`
	Score   float64  `json:"score"`
	Factors []Factor `json:"factors"`
}

// proximity compares two division codes through their prefixes: 3 same
// county, 2 same city, 1 same province, 0 otherwise.
func proximity(a, b string) int {
	switch {
	case len(a) >= 6 && len(b) >= 6 && a[:6] == b[:6]:
		return 3
	case len(a) >= 4 && len(b) >= 4 && a[:4] == b[:4]:
		return 2
	case len(a) >= 2 && len(b) >= 2 && a[:2] == b[:2]:
		return 1
	}
	return 0
}

var proximityValue = [4]float64{0, 0.3, 0.6, 1}
var proximityText = [4]string{"in another province", "in the same province", "in the same city", "in the same county"}

// proximityKey and distanceKey are the catalogue keys of proximityText
// for a source and for a volunteer.
var (
	proximityKey = [4]string{"proximity_0", "proximity_1", "proximity_2", "proximity_3"}
	distanceKey  = [4]string{"distance_0", "distance_1", "distance_2", "distance_3"}
)

// sourceProximity is how close a source is to a need: the most specific of
// its region restrictions that holds the need, else its holder's region.
func sourceProximity(s *Source, needRegion string) int {
	best := -1
	for _, p := range s.Restrictions.RegionPrefixes {
		if strings.HasPrefix(needRegion, p) {
			best = max(best, min(len(p)/2, 3))
		}
	}
	if best >= 0 {
		return best
	}
	return proximity(s.RegionCode, needRegion)
}

// pairFactors explains how well a source and an eligible need fit.
// Texts are built only when text is set: ranking scores every candidate
// but explains only the kept ones.
func pairFactors(fs []Factor, n *Need, s *Source, maxFen int64, now time.Time, text bool) []Factor {
	r := n.Urgency.Rank()
	fs = append(fs, Factor{Factor: "urgency", Weight: 3, Value: float64(r) / 3, Text: "urgency " + string(n.Urgency), Key: "urgency_" + string(n.Urgency)})
	dl := Factor{Factor: "deadline", Weight: 2, Text: "no deadline", Key: "deadline_none"}
	if n.Deadline != nil {
		days := n.Deadline.Sub(now).Hours() / 24
		switch {
		case days <= 0:
			dl.Value, dl.Text, dl.Key = 1, "deadline passed", "deadline_passed"
		case days <= 3:
			dl.Value, dl.Text = 1, sprintf(text, "deadline in %.0f days", math.Ceil(days))
			dl.Key, dl.A = "deadline_days", int64(math.Ceil(days))
		default:
			dl.Value, dl.Text = math.Max(0, 1-days/60), sprintf(text, "deadline in %.0f days", math.Ceil(days))
			dl.Key, dl.A = "deadline_days", int64(math.Ceil(days))
		}
	}
	fs = append(fs, dl)
	w := Factor{Factor: "waiting", Weight: 1, Text: "not yet published", Key: "waiting_unpublished"}
	if n.PublishedAt != nil {
		days := math.Max(0, now.Sub(*n.PublishedAt).Hours()/24)
		w.Value, w.Text = math.Min(days/60, 1), sprintf(text, "waiting %.0f days", math.Floor(days))
		w.Key, w.A = "waiting_days", int64(math.Floor(days))
	}
	fs = append(fs, w)
	remaining := n.Facts.RequestedFen - n.Facts.FundedFen
	give := min(maxFen, max(s.BalanceFen, 0))
	cov := Factor{Factor: "coverage", Weight: 2}
	if remaining > 0 {
		cov.Value = float64(give) / float64(remaining)
	}
	cov.Text = sprintf(text, "can cover %d of the %d fen remaining", give, remaining)
	cov.Key, cov.A, cov.B = "coverage_fen", give, remaining
	fs = append(fs, cov)
	p := sourceProximity(s, n.Facts.RegionCode)
	fs = append(fs, Factor{Factor: "proximity", Weight: 1, Value: proximityValue[p], Text: proximityText[p], Key: proximityKey[p]})
	if n.Facts.Screening == kernel.ScreenWarn {
		fs = append(fs, Factor{Factor: "screening", Weight: -2, Value: 1, Text: "screening warns: read its evidence before allocating", Key: "screening_warn"})
	}
	return fs
}

// topK keeps the k best items seen: a min-heap on (score, then id reversed)
// so the worst kept item is at the root and is replaced in O(log k).
type topK[T any] struct {
	k     int
	items []T
	score func(*T) float64
	id    func(*T) string
}

func (h *topK[T]) Len() int { return len(h.items) }
func (h *topK[T]) Less(i, j int) bool {
	return h.worse(&h.items[i], &h.items[j])
}
func (h *topK[T]) Swap(i, j int) { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *topK[T]) Push(x any)    { h.items = append(h.items, x.(T)) }
func (h *topK[T]) Pop() any {
	x := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return x
}

// worse: lower score, or on a tie the larger id (ids order ties stably).
func (h *topK[T]) worse(a, b *T) bool {
	sa, sb := h.score(a), h.score(b)
	if sa != sb {
		return sa < sb
	}
	return h.id(a) > h.id(b)
}

// offer reports whether an item with this score and id would be kept, so
// callers build explanations only for those.
func (h *topK[T]) wouldKeep(s float64, id string) bool {
	if len(h.items) < h.k {
		return true
	}
	root := &h.items[0]
	rs := h.score(root)
	return s > rs || (s == rs && id < h.id(root))
}

func (h *topK[T]) add(x T) {
	if h.k <= 0 {
		return
	}
	if len(h.items) < h.k {
		heap.Push(h, x)
		return
	}
	if h.worse(&h.items[0], &x) {
		h.items[0] = x
		heap.Fix(h, 0)
	}
}

// sorted returns the kept items best first.
func (h *topK[T]) sorted() []T {
	out := make([]T, len(h.items))
	for i := len(out) - 1; i >= 0; i-- {
		out[i] = heap.Pop(h).(T)
	}
	return out
}

func page[T any](all []T, offset int) []T {
	if offset >= len(all) {
		return []T{}
	}
	return all[offset:]
}

// SourcesForNeed ranks the funds and projects a need is eligible for, best
// first; given[source id] is what each source already gave the need. It
// returns the page [offset, offset+limit) and the number of eligible
// sources. Eligibility is marketplace.Restrictions.Fails, the rule shared
// with allocation and plans.
func SourcesForNeed(n *Need, sources []Source, given map[string]int64, now time.Time, offset, limit int) ([]SourceMatch, int) {
	h := &topK[SourceMatch]{k: offset + limit, score: func(m *SourceMatch) float64 { return m.Score }, id: func(m *SourceMatch) string { return m.ID }}
	total := 0
	var buf [6]Factor
	for i := range sources {
		s := &sources[i]
		g := given[s.ID]
		if !s.Restrictions.Allows(n.Facts, g) {
			continue
		}
		total++
		maxFen := s.Restrictions.MaxFen(n.Facts, g)
		sc := score(pairFactors(buf[:0], n, s, maxFen, now, false))
		if !h.wouldKeep(sc, s.ID) {
			continue
		}
		h.add(SourceMatch{Kind: s.Kind, ID: s.ID, Name: s.Name, Score: sc, MaxFen: maxFen, Factors: pairFactors(make([]Factor, 0, 6), n, s, maxFen, now, true)})
	}
	return page(h.sorted(), offset), total
}

// NeedsForSource ranks the needs a fund or project may serve, most urgent
// first; given[need id] is what the source already gave each need.
func NeedsForSource(s *Source, needs []Need, given map[string]int64, now time.Time, offset, limit int) ([]SourceMatch, int) {
	h := &topK[SourceMatch]{k: offset + limit, score: func(m *SourceMatch) float64 { return m.Score }, id: func(m *SourceMatch) string { return m.ID }}
	total := 0
	var buf [6]Factor
	for i := range needs {
		n := &needs[i]
		g := given[n.ID]
		if !s.Restrictions.Allows(n.Facts, g) {
			continue
		}
		total++
		maxFen := s.Restrictions.MaxFen(n.Facts, g)
		sc := score(pairFactors(buf[:0], n, s, maxFen, now, false))
		if !h.wouldKeep(sc, n.ID) {
			continue
		}
		h.add(SourceMatch{ID: n.ID, Score: sc, MaxFen: maxFen, Factors: pairFactors(make([]Factor, 0, 6), n, s, maxFen, now, true)})
	}
	return page(h.sorted(), offset), total
}

// volunteerFactors explains how well an eligible volunteer fits a need.
func volunteerFactors(fs []Factor, n *ServiceNeed, v *Volunteer, text bool) []Factor {
	covered, best := 0, 0
	for _, svc := range n.Services {
		for _, s := range v.Skills {
			if s.Service == svc && s.Level >= n.MinLevel {
				covered++
				best = max(best, s.Level)
				break
			}
		}
	}
	fit := 0.0
	if len(n.Services) > 0 {
		fit = float64(covered) / float64(len(n.Services))
	}
	fs = append(fs, Factor{Factor: "skill_fit", Weight: 3, Value: fit, Text: sprintf(text, "offers %d of the %d services asked", covered, len(n.Services)), Key: "skill_fit", A: int64(covered), B: int64(len(n.Services))})
	fs = append(fs, Factor{Factor: "skill_level", Weight: 1, Value: math.Min(float64(max(best-1, 0))/2, 1), Text: sprintf(text, "skill level %d", best), Key: "skill_level", A: int64(best)})
	p := min(max(servesLevel(v.RegionPrefixes, n.RegionCode)-1, 0), 3)
	fs = append(fs, Factor{Factor: "distance", Weight: 2, Value: proximityValue[p], Text: "serves the need " + strings.TrimPrefix(proximityText[p], "in "), Key: distanceKey[p]})
	ov := overlapMinutes(v.Availability, n.Schedule)
	denom := scheduleMinutes(n.Schedule)
	if len(n.Schedule) == 0 {
		denom = 20 * 60 // any time: 20 free hours a week count as a full fit
	}
	av := Factor{Factor: "availability", Weight: 2, Value: math.Min(float64(ov)/float64(denom), 1), Text: sprintf(text, "%d free minutes a week overlap the need's schedule", ov), Key: "availability", A: int64(ov)}
	if len(v.Availability) == 0 {
		av.Text, av.Key = "availability not stated", "availability_none"
	}
	fs = append(fs, av)
	load := Factor{Factor: "load", Weight: 1, Value: 1, Text: "no load limit", Key: "load_none"}
	if v.LoadLimit > 0 {
		load.Value = 1 - float64(v.ActiveLoad)/float64(v.LoadLimit)
		load.Text = sprintf(text, "%d of %d assignments taken", v.ActiveLoad, v.LoadLimit)
		load.Key, load.A, load.B = "load", int64(v.ActiveLoad), int64(v.LoadLimit)
	}
	fs = append(fs, load)
	if RequiresClearedCheck(*n) {
		fs = append(fs, Factor{Factor: "background_check", Weight: 0, Value: 1, Text: "home visit to a vulnerable household: background check cleared", Key: "background_check"})
	}
	return fs
}

// offerVolunteer scores a candidate and explains it only if it is kept.
func offerVolunteer(h *topK[VolunteerMatch], n *ServiceNeed, v *Volunteer) {
	var buf [6]Factor
	sc := score(volunteerFactors(buf[:0], n, v, false))
	if h.wouldKeep(sc, v.ID) {
		h.add(VolunteerMatch{ID: v.ID, Score: sc, Factors: volunteerFactors(make([]Factor, 0, 6), n, v, true)})
	}
}

// VolunteersFor ranks the given candidate volunteers for a need, best first,
// keeping only the eligible (VolunteerFails empty; the background check is
// checked before any score).
func VolunteersFor(n *ServiceNeed, vols []Volunteer, offset, limit int) ([]VolunteerMatch, int) {
	h := newVolunteerTop(offset + limit)
	total := 0
	vv := RequiresClearedCheck(*n)
	for i := range vols {
		v := &vols[i]
		if !volunteerAllows(n, v, vv) {
			continue
		}
		total++
		offerVolunteer(h, n, v)
	}
	return page(h.sorted(), offset), total
}

// NeedsForVolunteer ranks the needs a volunteer may serve, best first.
func NeedsForVolunteer(v *Volunteer, needs []ServiceNeed, offset, limit int) ([]VolunteerMatch, int) {
	h := newVolunteerTop(offset + limit)
	total := 0
	for i := range needs {
		n := &needs[i]
		if !volunteerAllows(n, v, RequiresClearedCheck(*n)) {
			continue
		}
		total++
		fs := append(volunteerFactors(make([]Factor, 0, 7), n, v, true), Factor{Factor: "urgency", Weight: 1, Value: float64(n.Urgency.Rank()) / 3, Text: "urgency " + string(n.Urgency), Key: "urgency_" + string(n.Urgency)})
		h.add(VolunteerMatch{ID: n.ID, Score: score(fs), Factors: fs})
	}
	return page(h.sorted(), offset), total
}

func newVolunteerTop(k int) *topK[VolunteerMatch] {
	return &topK[VolunteerMatch]{k: k, score: func(m *VolunteerMatch) float64 { return m.Score }, id: func(m *VolunteerMatch) string { return m.ID }}
}

// VolunteerIndex finds candidate volunteers for a need without scanning all
// of them: postings by (service, served region prefix), each posting
// carrying the skill level and the flags that most often rule a volunteer
// out, so that most candidates are dismissed without touching their
// profile. It is a snapshot, read-only once built and safe for concurrent
// use; every candidate that survives is checked in full (volunteerAllows).
type VolunteerIndex struct {
	vols     []Volunteer
	postings map[string][]posting
}

type posting struct {
	vol   int32
	level int8
	flags uint8
}

const (
	postCleared uint8 = 1 << iota
	postLoadFull
	postNoTime
)

// NewVolunteerIndex indexes vols (kept, not copied).
func NewVolunteerIndex(vols []Volunteer) *VolunteerIndex {
	ix := &VolunteerIndex{vols: vols, postings: make(map[string][]posting)}
	for i := range vols {
		v := &vols[i]
		var fl uint8
		if v.BackgroundCheck == CheckCleared {
			fl |= postCleared
		}
		if v.LoadLimit > 0 && v.ActiveLoad >= v.LoadLimit {
			fl |= postLoadFull
		}
		if overlapMinutes(v.Availability, nil) == 0 {
			fl |= postNoTime
		}
		for _, s := range v.Skills {
			for _, p := range v.RegionPrefixes {
				k := string(s.Service) + "|" + p
				ix.postings[k] = append(ix.postings[k], posting{int32(i), int8(min(s.Level, 127)), fl})
			}
		}
	}
	return ix
}

// Match ranks the indexed volunteers for a need, as VolunteersFor would over
// all of them.
func (ix *VolunteerIndex) Match(n *ServiceNeed, offset, limit int) ([]VolunteerMatch, int) {
	var prefixes []string
	for _, l := range []int{2, 4, 6, 9} {
		if len(n.RegionCode) >= l {
			prefixes = append(prefixes, n.RegionCode[:l])
		}
	}
	vv := RequiresClearedCheck(*n)
	var cand []int32
	lists := 0
	for _, s := range n.Services {
		for _, p := range prefixes {
			ps := ix.postings[string(s)+"|"+p]
			if len(ps) > 0 {
				lists++
			}
			for _, e := range ps {
				if int(e.level) < n.MinLevel || e.flags&postLoadFull != 0 || (len(n.Schedule) > 0 && e.flags&postNoTime != 0) || (vv && e.flags&postCleared == 0) {
					continue
				}
				cand = append(cand, e.vol)
			}
		}
	}
	if lists > 1 {
		slicesSortCompact(&cand)
	}
	h := newVolunteerTop(offset + limit)
	total := 0
	for _, i := range cand {
		v := &ix.vols[i]
		if !volunteerAllows(n, v, vv) {
			continue
		}
		total++
		offerVolunteer(h, n, v)
	}
	return page(h.sorted(), offset), total
}

func slicesSortCompact(s *[]int32) {
	x := *s
	slices.Sort(x)
	j := 0
	for i := range x {
		if i == 0 || x[i] != x[i-1] {
			x[j] = x[i]
			j++
		}
	}
	*s = x[:j]
}

func sprintf(text bool, format string, args ...any) string {
	if !text {
		return ""
	}
	return fmt.Sprintf(format, args...)
}
