package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/meilisearch/meilisearch-go"

	"github.com/jiujinan/jiujinan/marketplace"
)

// Meili is the Index on a Meilisearch server, for several app instances.
// Its settings (searchable, filterable and sortable attributes, Chinese
// localization, facet and pagination limits) are set by NewMeili, every
// write waits for its task, and filters are built from validated values,
// each quoted.
type Meili struct {
	idx  meilisearch.IndexManager
	wait time.Duration
}

var _ Index = (*Meili)(nil)

// meiliDoc is a need as Meilisearch holds it: searchable text, filter and
// sort fields, and the projection itself, which is all a search retrieves.
type meiliDoc struct {
	ID          string                  `json:"id"`
	Title       string                  `json:"title"`
	Story       string                  `json:"story"`
	Category    string                  `json:"category"`
	Status      string                  `json:"status"`
	Urgency     string                  `json:"urgency"`
	Region      []string                `json:"region"`
	RegionCanon string                  `json:"region_canon"`
	UrgencyRank int                     `json:"urgency_rank"`
	Deadline    int64                   `json:"deadline_ms"`
	Remaining   int64                   `json:"remaining_fen"`
	Published   int64                   `json:"published_ms"`
	NoticeEnds  int64                   `json:"notice_ends_ms"`
	Need        *marketplace.PublicNeed `json:"need"`
}

// meiliSettings are the index settings NewMeili applies.
func meiliSettings() *meilisearch.Settings {
	return &meilisearch.Settings{
		SearchableAttributes: []string{"title", "story"},
		FilterableAttributes: []string{"category", "status", "urgency", "region", "region_canon", "notice_ends_ms", "deadline_ms", "remaining_fen"},
		SortableAttributes:   []string{"urgency_rank", "deadline_ms", "remaining_fen", "published_ms", "id"},
		DisplayedAttributes:  []string{"need"},
		LocalizedAttributes:  []*meilisearch.LocalizedAttributes{{Locales: []string{"cmn"}, AttributePatterns: []string{"title", "story"}}},
		// Region facets cover every canonical region of China; totals are
		// exact up to the number of needs ever expected.
		Faceting:   &meilisearch.Faceting{MaxValuesPerFacet: regionFacetSize},
		Pagination: &meilisearch.Pagination{MaxTotalHits: 1_000_000},
	}
}

// NewMeili connects to the Meilisearch server at url with apiKey, creates
// the index (primary key id) when it is missing and applies the settings,
// waiting for each task. It fails when the server cannot be reached or a
// task fails.
func NewMeili(url, apiKey, indexName string) (*Meili, error) {
	return newMeili(url, apiKey, indexName, 50*time.Millisecond)
}

func newMeili(url, apiKey, indexName string, wait time.Duration) (*Meili, error) {
	if url == "" || indexName == "" {
		return nil, errors.New("search: meilisearch url and index name are required")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client := meilisearch.New(url, meilisearch.WithAPIKey(apiKey))
	m := &Meili{idx: client.Index(indexName), wait: wait}
	task, err := client.CreateIndexWithContext(ctx, &meilisearch.IndexConfig{Uid: indexName, PrimaryKey: "id"})
	if err != nil {
		return nil, fmt.Errorf("search: meilisearch create index: %w", err)
	}
	// An index that exists already is fine: its task fails with
	// index_already_exists.
	if err := m.waitTask(ctx, task, "index_already_exists"); err != nil {
		return nil, fmt.Errorf("search: meilisearch create index: %w", err)
	}
	task, err = m.idx.UpdateSettingsWithContext(ctx, meiliSettings())
	if err != nil {
		return nil, fmt.Errorf("search: meilisearch settings: %w", err)
	}
	if err := m.waitTask(ctx, task); err != nil {
		return nil, fmt.Errorf("search: meilisearch settings: %w", err)
	}
	return m, nil
}

// waitTask waits for the task to finish and returns its error unless its
// code is one of allowed.
func (m *Meili) waitTask(ctx context.Context, info *meilisearch.TaskInfo, allowed ...string) error {
	t, err := m.idx.WaitForTaskWithContext(ctx, info.TaskUID, m.wait)
	if err != nil {
		return err
	}
	switch t.Status {
	case meilisearch.TaskStatusSucceeded:
		return nil
	case meilisearch.TaskStatusFailed:
		for _, a := range allowed {
			if t.Error.Code == a {
				return nil
			}
		}
		return fmt.Errorf("task %d failed: %s: %s", t.UID, t.Error.Code, t.Error.Message)
	}
	return fmt.Errorf("task %d ended as %s", t.UID, t.Status)
}

// Upsert adds or replaces the needs and waits until they are searchable.
// See Index.Upsert for the errors.
func (m *Meili) Upsert(ctx context.Context, needs []marketplace.PublicNeed) error {
	if err := validateNeeds(needs); err != nil {
		return err
	}
	if len(needs) == 0 {
		return nil
	}
	docs := make([]meiliDoc, len(needs))
	for i := range needs {
		n := needs[i]
		docs[i] = meiliDoc{
			ID: n.ID, Title: n.Title, Story: n.Story, Category: string(n.Category), Status: string(n.Status),
			Urgency: string(n.Urgency), Region: regionLevels(n.RegionCode), RegionCanon: CanonicalRegion(n.RegionCode),
			UrgencyRank: n.Urgency.Rank(), Deadline: deadlineMs(&n), Remaining: n.RemainingFen,
			Published: publishedMs(&n), NoticeEnds: noticeEndMs(&n), Need: &n,
		}
	}
	pk := "id"
	task, err := m.idx.AddDocumentsWithContext(ctx, docs, &meilisearch.DocumentOptions{PrimaryKey: &pk})
	if err != nil {
		return fmt.Errorf("search: meilisearch upsert: %w", err)
	}
	if err := m.waitTask(ctx, task); err != nil {
		return fmt.Errorf("search: meilisearch upsert: %w", err)
	}
	return nil
}

// Delete removes the needs with these ids and waits for it.
func (m *Meili) Delete(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	task, err := m.idx.DeleteDocumentsWithContext(ctx, ids, nil)
	if err != nil {
		return fmt.Errorf("search: meilisearch delete: %w", err)
	}
	if err := m.waitTask(ctx, task); err != nil {
		return fmt.Errorf("search: meilisearch delete: %w", err)
	}
	return nil
}

// Count returns the number of needs in the index.
func (m *Meili) Count(ctx context.Context) (int, error) {
	s, err := m.idx.GetStatsWithContext(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("search: meilisearch stats: %w", err)
	}
	return int(s.NumberOfDocuments), nil
}

// Close does nothing: the client holds no resource that needs releasing.
func (m *Meili) Close() error { return nil }

// Search runs q on Meilisearch. See Index.Search.
func (m *Meili) Search(ctx context.Context, q Query) (*Result, error) {
	p, err := newPlan(q)
	if err != nil {
		return nil, err
	}
	res := &Result{Page: p.Page, PerPage: p.PerPage, Needs: []marketplace.PublicNeed{}, Facets: newFacets()}
	if p.noText {
		return res, nil
	}
	perPage := int64(p.PerPage)
	req := &meilisearch.SearchRequest{
		Sort:                 meiliSort(p.Sort),
		Page:                 int64(p.Page),
		HitsPerPage:          &perPage,
		Facets:               []string{"category", "region_canon"},
		AttributesToRetrieve: []string{"need"},
		MatchingStrategy:     meilisearch.All,
		Locales:              []string{"cmn"},
	}
	if f := meiliFilter(p); f != "" {
		req.Filter = f
	}
	sr, err := m.idx.SearchWithContext(ctx, meiliText(p.terms), req)
	if err != nil {
		return nil, fmt.Errorf("search: meilisearch: %w", err)
	}
	res.Total = int(sr.TotalHits)
	for _, h := range sr.Hits {
		var n marketplace.PublicNeed
		if err := json.Unmarshal(h["need"], &n); err != nil {
			return nil, fmt.Errorf("search: meilisearch: decode hit: %w", err)
		}
		res.Needs = append(res.Needs, effective(n, p.nowMs))
	}
	if len(sr.FacetDistribution) > 0 {
		var fd map[string]map[string]int
		if err := json.Unmarshal(sr.FacetDistribution, &fd); err != nil {
			return nil, fmt.Errorf("search: meilisearch: decode facets: %w", err)
		}
		for k, c := range fd["category"] {
			if c > 0 {
				res.Facets.Categories[kernel.Category(k)] += c
			}
		}
		for k, c := range fd["region_canon"] {
			res.Facets.addRegion(k, c)
		}
	}
	return res, nil
}

// meiliText makes each word a phrase, so that a Chinese word matches as a
// whole and without typo tolerance, like the embedded index. Words hold
// only letters, digits and marks (see words), so no quote can break out.
func meiliText(terms []string) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = `"` + t + `"`
	}
	return strings.Join(parts, " ")
}

func meiliSort(s Sort) []string {
	switch s {
	case SortDeadline:
		return []string{"deadline_ms:asc", "id:asc"}
	case SortRemaining:
		return []string{"remaining_fen:asc", "id:asc"}
	case SortNewest:
		return []string{"published_ms:desc", "id:asc"}
	}
	return []string{"urgency_rank:desc", "deadline_ms:asc", "id:asc"}
}

// meiliQuote makes s one Meilisearch filter string: quoted, with quotes and
// backslashes escaped. Every value from a query goes through it, even
// those that validation already restricted to known codes.
func meiliQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}

func meiliIn[S ~string](field string, values []S) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = meiliQuote(string(v))
	}
	return field + " IN [" + strings.Join(q, ", ") + "]"
}

// meiliFilter builds the filter expression of p: the clauses joined by AND,
// the notice→open rule as a comparison with notice_ends_ms.
func meiliFilter(p *plan) string {
	var and []string
	if len(p.Categories) > 0 {
		and = append(and, meiliIn("category", p.Categories))
	}
	if len(p.Urgencies) > 0 {
		and = append(and, meiliIn("urgency", p.Urgencies))
	}
	if p.RegionPrefix != "" {
		and = append(and, "region = "+meiliQuote(p.RegionPrefix))
	}
	if len(p.Statuses) > 0 {
		now := strconv.FormatInt(p.nowMs, 10)
		// expired: see marketplace.PublicStatusAt.
		expired := "(status = " + meiliQuote(string(kernel.NeedExpired)) + " OR (status IN [" +
			meiliQuote(string(kernel.NeedOpen)) + ", " + meiliQuote(string(kernel.NeedNotice)) +
			"] AND deadline_ms < " + now + " AND remaining_fen > 0))"
		var or []string
		for _, s := range p.Statuses {
			switch s {
			case kernel.NeedOpen:
				or = append(or, "((status = "+meiliQuote(string(s))+
					" OR (status = "+meiliQuote(string(kernel.NeedNotice))+" AND notice_ends_ms <= "+now+")) AND NOT "+expired+")")
			case kernel.NeedNotice:
				or = append(or, "(status = "+meiliQuote(string(s))+" AND notice_ends_ms > "+now+" AND NOT "+expired+")")
			case kernel.NeedExpired:
				or = append(or, expired)
			default:
				or = append(or, "status = "+meiliQuote(string(s)))
			}
		}
		and = append(and, "("+strings.Join(or, " OR ")+")")
	}
	return strings.Join(and, " AND ")
}
