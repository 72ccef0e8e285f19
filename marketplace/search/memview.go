package search

import (
	"cmp"
	"container/heap"
	"math"
	"slices"
	"sync"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2/analysis"

	"github.com/jiujinan/jiujinan/marketplace"
)

// memView is the Bleve index's in-memory companion: one small row per need
// (no text) with roaring bitmaps per filter value, and the bitmaps of the
// words searched recently. Bleve stays the store and the text engine: a
// word is looked up in Bleve once, then its bitmap is kept and maintained on
// every upsert by matching the new text with the same analyzer, so that the
// result is the one Bleve would give. Filters, facets, totals and sorting
// then cost a few bitmap operations and one pass over the matching rows
// instead of Bleve's per-hit doc value decoding, which measured at ~50
// queries/s on 100,000 needs.
type memView struct {
	an analysis.Analyzer

	mu       sync.RWMutex // rows and bitmaps; the word bitmaps' bits too
	rows     []row
	byID     map[string]uint32
	free     []uint32
	all      *roaring.Bitmap
	byCat    map[kernel.Category]*roaring.Bitmap
	byStatus map[kernel.NeedStatus]*roaring.Bitmap
	byUrg    map[kernel.Urgency]*roaring.Bitmap
	byRegion map[string]*roaring.Bitmap // every level prefix
	regions  []string                   // interned canonical regions
	regionIx map[string]uint16

	wmu   sync.Mutex // the words map itself and its clock
	words map[string]*wordEntry
	clock uint64

	// The needs in notice by end of notice, and the bitmap of those ended
	// by the last Query.Now seen: a notice ends rarely, so the bitmap is
	// reused until one does or a write comes.
	smu         sync.Mutex
	noticeDirty bool
	notices     []noticeRow
	endedCount  int // len of the prefix of notices in ended; -1 when stale
	ended       *roaring.Bitmap
	// Likewise the open and notice needs with money lacking by deadline
	// (and those indexed as expired first), and the bitmap of those expired
	// by the last Query.Now seen; rebuilt with notices.
	deadlines    []noticeRow
	expiredCount int // -1 when stale
	expiredBM    *roaring.Bitmap

	// Decoded projections of recently shown needs, so that a popular page
	// is neither fetched from Bleve nor decoded again.
	dmu  sync.Mutex
	docs map[string]*marketplace.PublicNeed
}

type noticeRow struct {
	end int64
	r   uint32
}

// maxDocs bounds the decoded projections kept (about 1 KB each).
const maxDocs = 20000

// maxWords bounds the cached word bitmaps (each at most 12.5 KB per 100,000
// needs, usually far less).
const maxWords = 4096

type wordEntry struct {
	toks []wtok
	bm   *roaring.Bitmap
	used uint64
}

// wtok is one analysed token of a word and its position relative to the
// word's first token, as a phrase query matches it.
type wtok struct {
	term string
	rel  int
}

type row struct {
	id        string
	live      bool
	cat       uint8 // index in marketplace.Categories, or catOther
	canon     uint16
	status    kernel.NeedStatus
	urgency   kernel.Urgency
	noticeEnd int64
	deadline  int64     // deadlineMs
	lacking   bool      // remaining_fen > 0
	keys      [4]uint64 // ascending sort keys by sortIndex
}

const catOther = 255

func sortIndex(s Sort) int {
	switch s {
	case SortDeadline:
		return 1
	case SortRemaining:
		return 2
	case SortNewest:
		return 3
	}
	return 0
}

// ordered maps an int64 to a uint64 of the same order.
func ordered(v int64) uint64 { return uint64(v) ^ (1 << 63) }

func sortKeys(n *marketplace.PublicNeed) [4]uint64 {
	d := deadlineMs(n)
	d = max(0, min(d, farFuture)) // 48 bits
	return [4]uint64{
		uint64(3-n.Urgency.Rank())<<48 | uint64(d),
		ordered(deadlineMs(n)),
		ordered(n.RemainingFen),
		^ordered(publishedMs(n)),
	}
}

func newMemView(an analysis.Analyzer) *memView {
	return &memView{
		an: an, byID: map[string]uint32{}, all: roaring.New(),
		byCat: map[kernel.Category]*roaring.Bitmap{}, byStatus: map[kernel.NeedStatus]*roaring.Bitmap{},
		byUrg: map[kernel.Urgency]*roaring.Bitmap{}, byRegion: map[string]*roaring.Bitmap{},
		regionIx: map[string]uint16{}, words: map[string]*wordEntry{},
		noticeDirty: true, docs: map[string]*marketplace.PublicNeed{},
	}
}

func bm[K comparable](m map[K]*roaring.Bitmap, k K) *roaring.Bitmap {
	b := m[k]
	if b == nil {
		b = roaring.New()
		m[k] = b
	}
	return b
}

// termPositions lists, per analysed term, its positions in one field.
type termPositions map[string][]int

func (m *memView) analyse(text string) termPositions {
	tp := termPositions{}
	for _, t := range m.an.Analyze([]byte(text)) {
		tp[string(t.Term)] = append(tp[string(t.Term)], t.Position)
	}
	return tp
}

// matches reports whether the word occurs in the field as a phrase: its
// tokens at the same relative positions.
func (tp termPositions) matches(w []wtok) bool {
	if len(w) == 0 {
		return false
	}
	for _, p := range tp[w[0].term] {
		ok := true
		for _, t := range w[1:] {
			found := false
			for _, q := range tp[t.term] {
				if q == p+t.rel {
					found = true
					break
				}
			}
			if !found {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// put adds or replaces needs. The caller holds mu for writing and has
// written them to Bleve.
func (m *memView) put(needs []marketplace.PublicNeed) {
	m.wmu.Lock()
	defer m.wmu.Unlock()
	m.written(needs, nil)
	for i := range needs {
		n := &needs[i]
		r, ok := m.byID[n.ID]
		if ok {
			m.unindex(r)
		} else if len(m.free) > 0 {
			r = m.free[len(m.free)-1]
			m.free = m.free[:len(m.free)-1]
		} else {
			r = uint32(len(m.rows))
			m.rows = append(m.rows, row{})
		}
		m.byID[n.ID] = r
		canon := CanonicalRegion(n.RegionCode)
		ix, ok := m.regionIx[canon]
		if !ok {
			ix = uint16(len(m.regions))
			m.regions = append(m.regions, canon)
			m.regionIx[canon] = ix
		}
		cat := uint8(catOther)
		for k, c := range kernel.Categories {
			if c == n.Category {
				cat = uint8(k)
			}
		}
		m.rows[r] = row{id: n.ID, live: true, cat: cat, canon: ix, status: n.Status, urgency: n.Urgency,
			noticeEnd: noticeEndMs(n), deadline: deadlineMs(n), lacking: n.RemainingFen > 0, keys: sortKeys(n)}
		m.all.Add(r)
		bm(m.byCat, n.Category).Add(r)
		bm(m.byStatus, n.Status).Add(r)
		bm(m.byUrg, n.Urgency).Add(r)
		for _, l := range regionLevels(n.RegionCode) {
			bm(m.byRegion, l).Add(r)
		}
		if len(m.words) > 0 {
			title, story := m.analyse(n.Title), m.analyse(n.Story)
			for _, w := range m.words {
				if title.matches(w.toks) || story.matches(w.toks) {
					w.bm.Add(r)
				}
			}
		}
	}
}

// remove deletes needs by id. The caller holds mu for writing.
func (m *memView) remove(ids []string) {
	m.wmu.Lock()
	defer m.wmu.Unlock()
	m.written(nil, ids)
	for _, id := range ids {
		r, ok := m.byID[id]
		if !ok {
			continue
		}
		m.unindex(r)
		delete(m.byID, id)
		m.rows[r] = row{}
		m.free = append(m.free, r)
	}
}

// written drops what the writes make stale: the notice order and the
// decoded copies of these needs. The caller holds mu for writing.
func (m *memView) written(needs []marketplace.PublicNeed, ids []string) {
	m.smu.Lock()
	m.noticeDirty = true
	m.smu.Unlock()
	m.dmu.Lock()
	for i := range needs {
		delete(m.docs, needs[i].ID)
	}
	for _, id := range ids {
		delete(m.docs, id)
	}
	m.dmu.Unlock()
}

// doc returns the decoded projection of id if it is kept.
func (m *memView) doc(id string) (*marketplace.PublicNeed, bool) {
	m.dmu.Lock()
	defer m.dmu.Unlock()
	n, ok := m.docs[id]
	return n, ok
}

// keepDoc keeps a decoded projection read from Bleve. The caller holds mu
// for reading, so that no write of the same need is under way.
func (m *memView) keepDoc(n *marketplace.PublicNeed) {
	m.dmu.Lock()
	defer m.dmu.Unlock()
	if len(m.docs) >= maxDocs {
		for k := range m.docs { // an arbitrary one: map order is random
			delete(m.docs, k)
			break
		}
	}
	m.docs[n.ID] = n
}

// endedNotices returns the rows in notice whose notice ended at or before
// nowMs. The caller holds mu for reading; the bitmap must not be changed.
func (m *memView) endedNotices(nowMs int64) *roaring.Bitmap {
	m.smu.Lock()
	defer m.smu.Unlock()
	m.refresh()
	n, _ := slices.BinarySearchFunc(m.notices, nowMs+1, func(e noticeRow, t int64) int { return cmp.Compare(e.end, t) })
	if n != m.endedCount {
		b := roaring.New()
		for _, e := range m.notices[:n] {
			b.Add(e.r)
		}
		m.ended, m.endedCount = b, n
	}
	return m.ended
}

// refresh rebuilds the notice and deadline orders after a write; the caller
// holds mu for reading and smu.
func (m *memView) refresh() {
	if m.noticeDirty {
		m.deadlines = m.deadlines[:0]
		if b := m.byStatus[kernel.NeedExpired]; b != nil {
			it := b.Iterator()
			for it.HasNext() {
				m.deadlines = append(m.deadlines, noticeRow{end: math.MinInt64, r: it.Next()})
			}
		}
		for _, st := range []kernel.NeedStatus{kernel.NeedOpen, kernel.NeedNotice} {
			if b := m.byStatus[st]; b != nil {
				it := b.Iterator()
				for it.HasNext() {
					if r := it.Next(); m.rows[r].lacking {
						m.deadlines = append(m.deadlines, noticeRow{end: m.rows[r].deadline, r: r})
					}
				}
			}
		}
		slices.SortFunc(m.deadlines, func(a, b noticeRow) int { return cmp.Compare(a.end, b.end) })
		m.expiredCount = -1
		m.notices = m.notices[:0]
		if b := m.byStatus[kernel.NeedNotice]; b != nil {
			it := b.Iterator()
			for it.HasNext() {
				r := it.Next()
				m.notices = append(m.notices, noticeRow{end: m.rows[r].noticeEnd, r: r})
			}
		}
		slices.SortFunc(m.notices, func(a, b noticeRow) int { return cmp.Compare(a.end, b.end) })
		m.noticeDirty, m.endedCount = false, -1
	}
}

// unindex takes row r out of every bitmap; the caller holds mu and wmu.
func (m *memView) unindex(r uint32) {
	old := m.rows[r]
	m.all.Remove(r)
	for _, b := range m.byCat { // a few; unknown categories too
		b.Remove(r)
	}
	m.byStatus[old.status].Remove(r)
	m.byUrg[old.urgency].Remove(r)
	canon := m.regions[old.canon]
	for n := 2; n <= len(canon); n += 2 {
		m.byRegion[canon[:n]].Remove(r)
	}
	for _, w := range m.words {
		w.bm.Remove(r)
	}
}

// word returns the bitmap of the needs containing w, filling it with
// lookup (a Bleve query) when it is not cached. The caller holds mu for
// reading, so that no upsert runs between the lookup and the caching.
func (m *memView) word(w string, lookup func(string) ([]string, error)) (*roaring.Bitmap, error) {
	m.wmu.Lock()
	m.clock++
	if e, ok := m.words[w]; ok {
		e.used = m.clock
		m.wmu.Unlock()
		return e.bm, nil
	}
	m.wmu.Unlock()

	var toks []wtok
	first := 0
	for i, t := range m.an.Analyze([]byte(w)) {
		if i == 0 {
			first = t.Position
		}
		toks = append(toks, wtok{term: string(t.Term), rel: t.Position - first})
	}
	b := roaring.New()
	if len(toks) > 0 {
		found, err := lookup(w)
		if err != nil {
			return nil, err
		}
		for _, id := range found {
			if r, ok := m.byID[id]; ok {
				b.Add(r)
			}
		}
	}
	b.RunOptimize()

	m.wmu.Lock()
	defer m.wmu.Unlock()
	if e, ok := m.words[w]; ok { // filled meanwhile by another search
		return e.bm, nil
	}
	if len(m.words) >= maxWords {
		var oldest string
		var at uint64 = ^uint64(0)
		for k, e := range m.words {
			if e.used < at {
				oldest, at = k, e.used
			}
		}
		delete(m.words, oldest)
	}
	m.words[w] = &wordEntry{toks: toks, bm: b, used: m.clock}
	return b, nil
}

// expired returns the rows expired at nowMs (marketplace.PublicStatusAt):
// indexed as expired, or open or in notice with money lacking and the
// deadline before nowMs. The caller holds mu for reading; the bitmap must
// not be changed.
func (m *memView) expired(nowMs int64) *roaring.Bitmap {
	m.smu.Lock()
	defer m.smu.Unlock()
	m.refresh()
	n, _ := slices.BinarySearchFunc(m.deadlines, nowMs, func(e noticeRow, t int64) int { return cmp.Compare(e.end, t) })
	if n != m.expiredCount {
		b := roaring.New()
		for _, e := range m.deadlines[:n] {
			b.Add(e.r)
		}
		m.expiredBM, m.expiredCount = b, n
	}
	return m.expiredBM
}

// statusSet is the rows whose effective status at nowMs is one of statuses.
func (m *memView) statusSet(statuses []kernel.NeedStatus, nowMs int64) *roaring.Bitmap {
	out := roaring.New()
	for _, s := range statuses {
		switch s {
		case kernel.NeedOpen:
			open := roaring.New()
			if b := m.byStatus[s]; b != nil {
				open.Or(b)
			}
			open.Or(m.endedNotices(nowMs))
			out.Or(roaring.AndNot(open, m.expired(nowMs)))
		case kernel.NeedNotice:
			if b := m.byStatus[s]; b != nil {
				out.Or(roaring.AndNot(roaring.AndNot(b, m.endedNotices(nowMs)), m.expired(nowMs)))
			}
		case kernel.NeedExpired:
			out.Or(m.expired(nowMs))
		default:
			if b := m.byStatus[s]; b != nil {
				out.Or(b)
			}
		}
	}
	return out
}

func unionOf[K comparable](m map[K]*roaring.Bitmap, keys []K) *roaring.Bitmap {
	var bs []*roaring.Bitmap
	for _, k := range keys {
		if b := m[k]; b != nil {
			bs = append(bs, b)
		}
	}
	return roaring.FastOr(bs...)
}

// query evaluates p over the rows: the page's ids in order, the total and
// the facets. The caller holds mu for reading and passes the word bitmaps.
func (m *memView) query(p *plan, wordSets []*roaring.Bitmap) (page []string, total int, f Facets) {
	sets := wordSets
	if len(p.Categories) > 0 {
		sets = append(sets, unionOf(m.byCat, p.Categories))
	}
	if len(p.Urgencies) > 0 {
		sets = append(sets, unionOf(m.byUrg, p.Urgencies))
	}
	if p.RegionPrefix != "" {
		b := m.byRegion[p.RegionPrefix]
		if b == nil {
			b = roaring.New()
		}
		sets = append(sets, b)
	}
	if len(p.Statuses) > 0 {
		sets = append(sets, m.statusSet(p.Statuses, p.nowMs))
	}
	var hits *roaring.Bitmap
	if len(sets) == 0 {
		hits = m.all
	} else {
		hits = roaring.FastAnd(append(sets, m.all)...)
	}

	f = newFacets()
	total = int(hits.GetCardinality())
	var catCount [256]int
	regionCount := make([]int, len(m.regions))
	k := p.from + p.PerPage
	h := &topK{rows: m.rows, key: sortIndex(p.Sort), k: k}
	buf := make([]uint32, 256)
	it := hits.ManyIterator()
	for n := it.NextMany(buf); n > 0; n = it.NextMany(buf) {
		for _, r := range buf[:n] {
			rw := &m.rows[r]
			catCount[rw.cat]++
			regionCount[rw.canon]++
			h.offer(r)
		}
	}
	for i, c := range kernel.Categories {
		if catCount[i] > 0 {
			f.Categories[c] = catCount[i]
		}
	}
	for i, c := range regionCount {
		f.addRegion(m.regions[i], c)
	}
	ranked := h.sorted()
	if p.from < len(ranked) {
		for _, r := range ranked[p.from:] {
			page = append(page, m.rows[r].id)
		}
	}
	return page, total, f
}

// topK keeps the k first rows by one sort key (ties by id) in a max-heap.
type topK struct {
	rows []row
	key  int
	k    int
	h    []uint32
}

func (t *topK) less(a, b uint32) bool {
	ka, kb := t.rows[a].keys[t.key], t.rows[b].keys[t.key]
	if ka != kb {
		return ka < kb
	}
	return t.rows[a].id < t.rows[b].id
}

// heap.Interface over t.h as a max-heap: the worst kept row on top.
func (t *topK) Len() int           { return len(t.h) }
func (t *topK) Less(i, j int) bool { return t.less(t.h[j], t.h[i]) }
func (t *topK) Swap(i, j int)      { t.h[i], t.h[j] = t.h[j], t.h[i] }
func (t *topK) Push(x any)         { t.h = append(t.h, x.(uint32)) }
func (t *topK) Pop() any           { x := t.h[len(t.h)-1]; t.h = t.h[:len(t.h)-1]; return x }

func (t *topK) offer(r uint32) {
	if len(t.h) < t.k {
		heap.Push(t, r)
		return
	}
	if t.less(r, t.h[0]) {
		t.h[0] = r
		heap.Fix(t, 0)
	}
}

func (t *topK) sorted() []uint32 {
	out := make([]uint32, len(t.h))
	for i := len(out) - 1; i >= 0; i-- {
		out[i] = heap.Pop(t).(uint32)
	}
	return out
}

// dropWords forgets the cached word bitmaps (benchmarks of cold words).
func (m *memView) dropWords() {
	m.wmu.Lock()
	defer m.wmu.Unlock()
	clear(m.words)
}
