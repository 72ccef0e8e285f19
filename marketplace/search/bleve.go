package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/jiujinan/jiujinan/marketplace"
)

// Bleve is the embedded index: a Bleve (scorch) index in a folder of the
// data dir, owned by one process. Title and story are analysed with the cjk
// analyzer (overlapping bigrams), filters are keyword fields, sort keys are
// numeric fields with doc values, and each need's projection is stored as
// JSON so that a page is served without the database. Beside it a memory
// view (see memView) answers filters, facets and sorting quickly. Safe for
// concurrent use.
type Bleve struct {
	idx     bleve.Index
	mem     *memView
	closed  bool // under mem.mu
	unclean bool
	// wmu orders writes so that Bleve and the memory view apply them in
	// the same order.
	wmu sync.Mutex
}

var _ Index = (*Bleve)(nil)

// mappingVersion changes whenever the mapping or the indexed document does;
// an index built with another version must be rebuilt (jiujinan reindex).
const mappingVersion = "need-v1"

var mappingKey = []byte("jiujinan_mapping")

// bleveBatch bounds the needs written in one Bleve batch during bulk upserts.
const bleveBatch = 1000

// Index field names, shared by the mapping, the document and the queries.
const (
	fText        = "text" // title and story, cjk bigrams
	fCategory    = "category"
	fStatus      = "status" // stored status; see statusQuery for notice→open
	fUrgency     = "urgency"
	fRegion      = "region"       // every prefix the region lies inside
	fRegionCanon = "region_canon" // the finest known prefix, for facets
	fUrgencyRank = "urgency_rank"
	fDeadline    = "deadline_ms"
	fRemaining   = "remaining_fen"
	fPublished   = "published_ms"
	fNoticeEnds  = "notice_ends_ms"
	fSource      = "src" // the projection as JSON, stored only
)

// bleveDoc is what Bleve indexes for one need.
type bleveDoc struct {
	Text        []string `json:"text"`
	Category    string   `json:"category"`
	Status      string   `json:"status"`
	Urgency     string   `json:"urgency"`
	Region      []string `json:"region"`
	RegionCanon string   `json:"region_canon"`
	UrgencyRank float64  `json:"urgency_rank"`
	Deadline    float64  `json:"deadline_ms"`
	Remaining   float64  `json:"remaining_fen"`
	Published   float64  `json:"published_ms"`
	NoticeEnds  float64  `json:"notice_ends_ms"`
	Src         string   `json:"src"`
}

func newMapping() *mapping.IndexMappingImpl {
	text := mapping.NewTextFieldMapping()
	text.Analyzer = cjk.AnalyzerName
	text.Store = false
	text.IncludeInAll = false
	text.DocValues = false
	// Term vectors carry the positions that phrase queries need.
	text.IncludeTermVectors = true

	kw := func(docValues bool) *mapping.FieldMapping {
		f := mapping.NewKeywordFieldMapping()
		f.Analyzer = keyword.Name
		f.Store = false
		f.IncludeInAll = false
		f.IncludeTermVectors = false
		f.DocValues = docValues
		return f
	}
	num := func() *mapping.FieldMapping {
		f := mapping.NewNumericFieldMapping()
		f.Store = false
		f.IncludeInAll = false
		f.DocValues = true
		return f
	}
	src := mapping.NewTextFieldMapping()
	src.Index = false
	src.Store = true
	src.IncludeInAll = false
	src.IncludeTermVectors = false
	src.DocValues = false

	doc := mapping.NewDocumentStaticMapping()
	doc.AddFieldMappingsAt(fText, text)
	doc.AddFieldMappingsAt(fCategory, kw(true))
	doc.AddFieldMappingsAt(fStatus, kw(false))
	doc.AddFieldMappingsAt(fUrgency, kw(false))
	doc.AddFieldMappingsAt(fRegion, kw(false))
	doc.AddFieldMappingsAt(fRegionCanon, kw(true))
	for _, f := range []string{fUrgencyRank, fDeadline, fRemaining, fPublished, fNoticeEnds} {
		doc.AddFieldMappingsAt(f, num())
	}
	doc.AddFieldMappingsAt(fSource, src)

	m := bleve.NewIndexMapping()
	m.DefaultMapping = doc
	m.DefaultAnalyzer = keyword.Name
	m.StoreDynamic = false
	m.IndexDynamic = false
	m.DocValuesDynamic = false
	return m
}

// OpenBleve opens the index in dir, creating it (and dir) when there is
// none, and loads its memory view (about 5 s of CPU per 100,000 needs). It
// fails when the index was built with another mapping version (run jiujinan
// reindex into a fresh folder) or is held by another process (after 2 s).
// Check Unclean after opening: an index that was not closed cleanly may miss
// its last writes and should be rebuilt from the database.
func OpenBleve(dir string) (*Bleve, error) {
	if _, err := os.Stat(filepath.Join(dir, "index_meta.json")); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
			return nil, fmt.Errorf("search: create index folder: %w", err)
		}
		// Bleve creates the folder itself and refuses an existing one; an
		// empty folder (made by an installer or a test) is taken over.
		if entries, err := os.ReadDir(dir); err == nil && len(entries) == 0 {
			os.Remove(dir)
		}
		idx, err := bleve.NewUsing(dir, newMapping(), scorch.Name, scorch.Name, bleveConfig())
		if err != nil {
			return nil, fmt.Errorf("search: create index %s: %w", dir, err)
		}
		if err := idx.SetInternal(mappingKey, []byte(mappingVersion)); err != nil {
			idx.Close()
			return nil, fmt.Errorf("search: create index %s: %w", dir, err)
		}
		return newBleve(idx)
	}
	idx, err := bleve.OpenUsing(dir, bleveConfig())
	if err != nil {
		return nil, fmt.Errorf("search: open index %s: %w", dir, err)
	}
	v, err := idx.GetInternal(mappingKey)
	if err != nil || string(v) != mappingVersion {
		idx.Close()
		return nil, fmt.Errorf("search: index %s has mapping %q, want %q: rebuild it (jiujinan reindex)", dir, v, mappingVersion)
	}
	return newBleve(idx)
}

// bleveConfig: a batch returns once its segment is searchable, without
// waiting for the fsync (~14 ms here, which would make publishing a need
// miss 5 ms). The database is the source of truth: an index that was not
// closed cleanly reports Unclean, and the owner rebuilds it (reindex).
func bleveConfig() map[string]interface{} {
	// A second process opening the folder fails after bolt_timeout
	// instead of waiting for ever on the file lock.
	return map[string]interface{}{"unsafe_batch": true, "bolt_timeout": "2s"}
}

var cleanKey = []byte("jiujinan_clean")

// Unclean reports whether the index was not closed cleanly before this
// open (a crash or a kill): writes of the last moments may be missing, so
// the owner should rebuild it from the database (jiujinan reindex).
func (b *Bleve) Unclean() bool { return b.unclean }

// newBleve loads the in-memory view of every need in idx (about a second
// per 100,000 needs).
func newBleve(idx bleve.Index) (*Bleve, error) {
	an := idx.Mapping().AnalyzerNamed(cjk.AnalyzerName)
	if an == nil {
		idx.Close()
		return nil, errors.New("search: no cjk analyzer")
	}
	b := &Bleve{idx: idx, mem: newMemView(an)}
	if v, err := idx.GetInternal(cleanKey); err != nil || string(v) == "0" {
		b.unclean = true
	}
	// Cleared now, set again by Close: persisted before any later write.
	if err := idx.SetInternal(cleanKey, []byte("0")); err != nil {
		idx.Close()
		return nil, fmt.Errorf("search: open index: %w", err)
	}
	const page = 5000
	var after []string
	for {
		req := bleve.NewSearchRequestOptions(bleve.NewMatchAllQuery(), page, 0, false)
		req.Score = bleve.ScoreNone
		req.Fields = []string{fSource}
		req.SortBy([]string{"_id"})
		req.SearchAfter = after
		sr, err := idx.Search(req)
		if err != nil {
			idx.Close()
			return nil, fmt.Errorf("search: load index: %w", err)
		}
		needs := make([]marketplace.PublicNeed, 0, len(sr.Hits))
		for _, hit := range sr.Hits {
			n, err := decodeHit(hit)
			if err != nil {
				idx.Close()
				return nil, err
			}
			needs = append(needs, n)
		}
		b.mem.put(needs)
		if len(sr.Hits) < page {
			return b, nil
		}
		after = []string{sr.Hits[len(sr.Hits)-1].ID}
	}
}

func decodeHit(hit *bsearch.DocumentMatch) (marketplace.PublicNeed, error) {
	var n marketplace.PublicNeed
	s, _ := hit.Fields[fSource].(string)
	if err := json.Unmarshal([]byte(s), &n); err != nil {
		return n, fmt.Errorf("search: decode %s: %w", hit.ID, err)
	}
	return n, nil
}

func toBleveDoc(n *marketplace.PublicNeed) (*bleveDoc, error) {
	src, err := json.Marshal(n)
	if err != nil {
		return nil, err
	}
	return &bleveDoc{
		Text:        []string{n.Title, n.Story},
		Category:    string(n.Category),
		Status:      string(n.Status),
		Urgency:     string(n.Urgency),
		Region:      regionLevels(n.RegionCode),
		RegionCanon: CanonicalRegion(n.RegionCode),
		UrgencyRank: float64(n.Urgency.Rank()),
		Deadline:    float64(deadlineMs(n)),
		Remaining:   float64(n.RemainingFen),
		Published:   float64(publishedMs(n)),
		NoticeEnds:  float64(noticeEndMs(n)),
		Src:         string(src),
	}, nil
}

// Upsert indexes the needs, replacing earlier versions, in batches of
// bleveBatch. See Index.Upsert for the errors.
func (b *Bleve) Upsert(ctx context.Context, needs []marketplace.PublicNeed) error {
	if err := validateNeeds(needs); err != nil {
		return err
	}
	for start := 0; start < len(needs); start += bleveBatch {
		if err := ctx.Err(); err != nil {
			return err
		}
		end := min(start+bleveBatch, len(needs))
		batch := b.idx.NewBatch()
		for i := start; i < end; i++ {
			d, err := toBleveDoc(&needs[i])
			if err != nil {
				return fmt.Errorf("search: upsert %s: %w", needs[i].ID, err)
			}
			if err := batch.Index(needs[i].ID, d); err != nil {
				return fmt.Errorf("search: upsert %s: %w", needs[i].ID, err)
			}
		}
		if err := b.write(batch, func() { b.mem.put(needs[start:end]) }); err != nil {
			return fmt.Errorf("search: upsert: %w", err)
		}
	}
	return nil
}

// write applies a batch to Bleve and then to the memory view. Searches go
// on during the Bleve write and are held off only while the memory view
// changes: a search between the two may read a new copy of a need that it
// ranked by its old values, never a stale copy afterwards (the memory view
// drops its copies and re-matches cached words for the needs written).
func (b *Bleve) write(batch *bleve.Batch, apply func()) error {
	b.wmu.Lock()
	defer b.wmu.Unlock()
	if err := b.idx.Batch(batch); err != nil {
		return err
	}
	b.mem.mu.Lock()
	defer b.mem.mu.Unlock()
	if b.closed {
		return errClosed
	}
	apply()
	return nil
}

// Delete removes the needs with these IDs; unknown IDs are ignored.
func (b *Bleve) Delete(ctx context.Context, ids []string) error {
	for start := 0; start < len(ids); start += bleveBatch {
		if err := ctx.Err(); err != nil {
			return err
		}
		batch := b.idx.NewBatch()
		chunk := ids[start:min(start+bleveBatch, len(ids))]
		for _, id := range chunk {
			batch.Delete(id)
		}
		if err := b.write(batch, func() { b.mem.remove(chunk) }); err != nil {
			return fmt.Errorf("search: delete: %w", err)
		}
	}
	return nil
}

// Count returns the number of needs in the index.
func (b *Bleve) Count(ctx context.Context) (int, error) {
	b.mem.mu.RLock()
	defer b.mem.mu.RUnlock()
	return len(b.mem.byID), nil
}

// Close flushes and closes the index; closing twice is harmless.
func (b *Bleve) Close() error {
	b.wmu.Lock()
	defer b.wmu.Unlock()
	b.mem.mu.Lock()
	defer b.mem.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	if err := b.flush(); err != nil {
		b.idx.Close()
		return fmt.Errorf("search: close index: %w", err)
	}
	return b.idx.Close()
}

// flush marks the index clean and waits until that mark, and so every
// earlier write, is on disk: with unsafe batches Bleve's Close alone would
// drop what the persister has not written yet.
func (b *Bleve) flush() error {
	batch := b.idx.NewBatch()
	batch.SetInternal(cleanKey, []byte("1"))
	batch.Delete("\x00flush") // a segment, so that the persister reports it
	done := make(chan error, 1)
	batch.SetPersistedCallback(func(err error) { done <- err })
	if err := b.idx.Batch(batch); err != nil {
		return err
	}
	select {
	case err := <-done:
		return err
	case <-time.After(time.Minute):
		return errors.New("index not persisted within a minute")
	}
}

var errClosed = errors.New("search: index closed")

// regionFacetSize covers every canonical region of China (31 provinces,
// ~340 cities, ~2,980 counties) so that region facets are exact.
const regionFacetSize = 4000

// Search runs q. See Index.Search. Words are matched by Bleve (cached per
// word, see memView); filters, facets and order come from the memory view.
func (b *Bleve) Search(ctx context.Context, q Query) (*Result, error) {
	p, err := newPlan(q)
	if err != nil {
		return nil, err
	}
	res := &Result{Page: p.Page, PerPage: p.PerPage, Needs: []marketplace.PublicNeed{}, Facets: newFacets()}
	if p.noText {
		return res, nil
	}
	b.mem.mu.RLock()
	if b.closed {
		b.mem.mu.RUnlock()
		return nil, errClosed
	}
	var sets []*roaring.Bitmap
	for _, w := range p.terms {
		set, err := b.mem.word(w, func(w string) ([]string, error) { return b.lookupWord(ctx, w) })
		if err != nil {
			b.mem.mu.RUnlock()
			return nil, err
		}
		sets = append(sets, set)
	}
	page, total, facets := b.mem.query(p, sets)
	res.Total, res.Facets = total, facets
	// Decoded copies kept in memory serve most of a popular page; the rest
	// is read from Bleve, still under the read lock so that a copy kept
	// cannot be older than a concurrent write.
	defer b.mem.mu.RUnlock()
	got := make(map[string]*marketplace.PublicNeed, len(page))
	var missing []string
	for _, id := range page {
		if n, ok := b.mem.doc(id); ok {
			got[id] = n
		} else {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		req := bleve.NewSearchRequestOptions(bleve.NewDocIDQuery(missing), len(missing), 0, false)
		req.Score = bleve.ScoreNone
		req.Fields = []string{fSource}
		sr, err := b.idx.SearchInContext(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("search: fetch page: %w", err)
		}
		for _, hit := range sr.Hits {
			n, err := decodeHit(hit)
			if err != nil {
				return nil, err
			}
			got[hit.ID] = &n
			b.mem.keepDoc(&n)
		}
	}
	for _, id := range page {
		if n, ok := got[id]; ok {
			res.Needs = append(res.Needs, effective(*n, p.nowMs))
		}
	}
	return res, nil
}

// lookupWord returns the ids of every need whose title or story holds w.
func (b *Bleve) lookupWord(ctx context.Context, w string) ([]string, error) {
	n, err := b.idx.DocCount()
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	mq := bleve.NewMatchPhraseQuery(w)
	mq.SetField(fText)
	mq.Analyzer = cjk.AnalyzerName
	req := bleve.NewSearchRequestOptions(mq, int(n)+1, 0, false)
	req.Score = bleve.ScoreNone
	sr, err := b.idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("search: word: %w", err)
	}
	ids := make([]string, len(sr.Hits))
	for i, hit := range sr.Hits {
		ids[i] = hit.ID
	}
	return ids, nil
}

// searchBleve answers q with Bleve alone (filters as keyword and numeric
// range queries, Bleve's sort and facets): slower, kept as the reference
// that tests compare the memory view with.
func (b *Bleve) searchBleve(ctx context.Context, q Query) (*Result, error) {
	p, err := newPlan(q)
	if err != nil {
		return nil, err
	}
	res := &Result{Page: p.Page, PerPage: p.PerPage, Needs: []marketplace.PublicNeed{}, Facets: newFacets()}
	if p.noText {
		return res, nil
	}
	req := bleve.NewSearchRequestOptions(bleveQuery(p), p.PerPage, p.from, false)
	req.Score = bleve.ScoreNone
	req.Fields = []string{fSource}
	req.SortByCustom(bleveSort(p.Sort))
	req.AddFacet(fCategory, bleve.NewFacetRequest(fCategory, len(kernel.Categories)+1))
	req.AddFacet(fRegionCanon, bleve.NewFacetRequest(fRegionCanon, regionFacetSize))
	sr, err := b.idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	res.Total = int(sr.Total)
	for _, hit := range sr.Hits {
		s, _ := hit.Fields[fSource].(string)
		var n marketplace.PublicNeed
		if err := json.Unmarshal([]byte(s), &n); err != nil {
			return nil, fmt.Errorf("search: decode %s: %w", hit.ID, err)
		}
		res.Needs = append(res.Needs, effective(n, p.nowMs))
	}
	if f := sr.Facets[fCategory]; f != nil && f.Terms != nil {
		for _, t := range f.Terms.Terms() {
			res.Facets.Categories[kernel.Category(t.Term)] += t.Count
		}
	}
	if f := sr.Facets[fRegionCanon]; f != nil && f.Terms != nil {
		for _, t := range f.Terms.Terms() {
			res.Facets.addRegion(t.Term, t.Count)
		}
	}
	return res, nil
}

func bleveSort(s Sort) bsearch.SortOrder {
	num := func(field string, desc bool) bsearch.SearchSort {
		return &bsearch.SortField{Field: field, Desc: desc, Type: bsearch.SortFieldAsNumber, Missing: bsearch.SortFieldMissingLast}
	}
	// The document id breaks ties so that pages do not overlap.
	id := &bsearch.SortDocID{}
	switch s {
	case SortDeadline:
		return bsearch.SortOrder{num(fDeadline, false), id}
	case SortRemaining:
		return bsearch.SortOrder{num(fRemaining, false), id}
	case SortNewest:
		return bsearch.SortOrder{num(fPublished, true), id}
	default:
		return bsearch.SortOrder{num(fUrgencyRank, true), num(fDeadline, false), id}
	}
}

func bleveQuery(p *plan) query.Query {
	var must []query.Query
	for _, w := range p.terms {
		// A phrase of the word's bigrams: 白血病 needs 白血 and 血病 in a row.
		mq := bleve.NewMatchPhraseQuery(w)
		mq.SetField(fText)
		mq.Analyzer = cjk.AnalyzerName
		must = append(must, mq)
	}
	if len(p.Categories) > 0 {
		must = append(must, anyTerm(fCategory, strs(p.Categories)))
	}
	if len(p.Urgencies) > 0 {
		must = append(must, anyTerm(fUrgency, strs(p.Urgencies)))
	}
	if p.RegionPrefix != "" {
		must = append(must, term(fRegion, p.RegionPrefix))
	}
	if len(p.Statuses) > 0 {
		must = append(must, bleveStatusQuery(p.Statuses, p.nowMs))
	}
	switch len(must) {
	case 0:
		return bleve.NewMatchAllQuery()
	case 1:
		return must[0]
	}
	return bleve.NewConjunctionQuery(must...)
}

// bleveStatusQuery matches the effective statuses (marketplace.PublicStatusAt):
// open includes a need in notice whose notice ended at or before now; notice
// excludes it; an open or notice need past its deadline with money still
// lacking is expired and neither open nor notice.
func bleveStatusQuery(statuses []kernel.NeedStatus, nowMs int64) query.Query {
	now := float64(nowMs)
	zero := 0.0
	yes, no := true, false
	past := bleve.NewNumericRangeInclusiveQuery(nil, &now, nil, &no)
	past.SetField(fDeadline)
	lacking := bleve.NewNumericRangeInclusiveQuery(&zero, nil, &no, nil)
	lacking.SetField(fRemaining)
	expired := bleve.NewDisjunctionQuery(term(fStatus, string(kernel.NeedExpired)),
		bleve.NewConjunctionQuery(bleve.NewDisjunctionQuery(term(fStatus, string(kernel.NeedOpen)),
			term(fStatus, string(kernel.NeedNotice))), past, lacking))
	notExpired := func(q query.Query) query.Query {
		b := bleve.NewBooleanQuery()
		b.AddMust(q)
		b.AddMustNot(expired)
		return b
	}
	var any []query.Query
	for _, s := range statuses {
		switch s {
		case kernel.NeedOpen:
			ended := bleve.NewNumericRangeInclusiveQuery(nil, &now, nil, &yes)
			ended.SetField(fNoticeEnds)
			any = append(any, notExpired(bleve.NewDisjunctionQuery(term(fStatus, string(s)),
				bleve.NewConjunctionQuery(term(fStatus, string(kernel.NeedNotice)), ended))))
		case kernel.NeedNotice:
			running := bleve.NewNumericRangeInclusiveQuery(&now, nil, &no, nil)
			running.SetField(fNoticeEnds)
			any = append(any, notExpired(bleve.NewConjunctionQuery(term(fStatus, string(s)), running)))
		case kernel.NeedExpired:
			any = append(any, expired)
		default:
			any = append(any, term(fStatus, string(s)))
		}
	}
	if len(any) == 1 {
		return any[0]
	}
	return bleve.NewDisjunctionQuery(any...)
}

func term(field, value string) query.Query {
	t := bleve.NewTermQuery(value)
	t.SetField(field)
	return t
}

func anyTerm(field string, values []string) query.Query {
	if len(values) == 1 {
		return term(field, values[0])
	}
	qs := make([]query.Query, len(values))
	for i, v := range values {
		qs[i] = term(field, v)
	}
	return bleve.NewDisjunctionQuery(qs...)
}

func strs[S ~string](in []S) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = strings.TrimSpace(string(s))
	}
	return out
}
