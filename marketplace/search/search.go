package search

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/marketplace"
)

// Index finds published needs. Implementations: *Bleve (embedded) and *Meili.
// The database stays the source of truth: an index can always be rebuilt
// from it with Upsert.
type Index interface {
	// Upsert adds the needs or replaces the stored version of each, by ID
	// (idempotent). It returns a *marketplace.ValidationError when a need has
	// no ID or a region code that is not 6 digits, and writes none of them.
	Upsert(ctx context.Context, needs []marketplace.PublicNeed) error
	// Delete removes the needs with these IDs; unknown IDs are ignored.
	Delete(ctx context.Context, ids []string) error
	// Search returns one page of the needs matching q, with facets over all
	// of them. It returns a *marketplace.ValidationError for a query out of
	// bounds (see Query).
	Search(ctx context.Context, q Query) (*Result, error)
	// Count returns how many needs the index holds.
	Count(ctx context.Context) (int, error)
	// Close releases the index; the value must not be used afterwards.
	Close() error
}

// Bounds of a query. Deep paging is bounded so that no query has to rank
// more than MaxWindow needs.
const (
	DefaultPerPage = 20
	MaxPerPage     = 100
	// MaxWindow bounds Page*PerPage.
	MaxWindow = 10000
	// MaxQueryRunes: the free text is cut to this many characters, and to
	// MaxTerms words, before it is searched.
	MaxQueryRunes = 200
	MaxTerms      = 12
)

// Sort orders the needs of a result.
type Sort string

const (
	// SortUrgency: emergency first, then urgent, then normal; within one
	// urgency the nearest deadline first (needs without one last). The default.
	SortUrgency Sort = "urgency"
	// SortDeadline: the nearest deadline first, needs without one last.
	SortDeadline Sort = "deadline"
	// SortRemaining: the smallest remaining amount first (nearly met needs).
	SortRemaining Sort = "remaining"
	// SortNewest: the most recently published first.
	SortNewest Sort = "newest"
)

// Query is what a search asks for. Zero values mean "no filter".
type Query struct {
	// Q is free text in Chinese or English. Each run of letters and digits is
	// a word, and every word must occur in the title or the story: a Chinese
	// word as a whole (医疗 matches 医疗费 but not 医生; 白血病 needs all three
	// characters in a row). Punctuation and query syntax (" * : ~ ( \) are
	// plain separators. A query with text but no word matches nothing; an
	// empty one matches every need.
	Q          string
	Categories []kernel.Category
	// RegionPrefix is "" or a canonical region prefix of 2 (province),
	// 4 (city) or 6 (county) digits. A need matches when its region is known to
	// lie inside the prefix: a need coarsened to the city 371700 matches "37"
	// and "3717" but not "371725" (it may be in another county); one coarsened
	// to the province 370000 matches "37" only.
	RegionPrefix string
	Urgencies    []kernel.Urgency
	// Statuses filter by the effective status at Now (see
	// marketplace.PublicStatusAt): a need stored as notice whose notice has
	// ended counts as open, not notice; an open or notice need past its
	// deadline and not fully funded counts as expired only.
	Statuses []kernel.NeedStatus
	Sort     Sort // "" means SortUrgency
	// Page counts from 1 (0 means 1); PerPage is 1..MaxPerPage (0 means
	// DefaultPerPage); Page*PerPage must not exceed MaxWindow.
	Page    int
	PerPage int
	// Now is the time the statuses are computed at; the zero time means
	// time.Now(). Times are compared at millisecond precision.
	Now time.Time
}

// Result is one page of a search.
type Result struct {
	// Total is the number of needs matching the query (all pages).
	Total int
	Page  int
	// PerPage is the page size used (after defaults).
	PerPage int
	// Needs are the page's needs, decoded from the copy stored in the index,
	// with Status set to the effective status at Query.Now.
	Needs  []marketplace.PublicNeed
	Facets Facets
}

// Facets count the needs of the whole result set (not just the page).
// Region keys are canonical prefixes, ready for Query.RegionPrefix: a need
// counts in Provinces under "37", in Cities under "3717" unless it was
// coarsened to its province, and in Counties under "371725" only when its
// county is shown. Values with no need are absent.
type Facets struct {
	Categories map[kernel.Category]int
	Provinces  map[string]int
	Cities     map[string]int
	Counties   map[string]int
}

// CanonicalRegion returns the prefix a 6-digit region code stands for:
// "37" for the province 370000, "3717" for the city 371700 and "371725" for
// a county. It returns "" for anything that is not 6 digits.
func CanonicalRegion(code string) string {
	if !isDigits(code) || len(code) != 6 {
		return ""
	}
	switch {
	case code[2:] == "0000":
		return code[:2]
	case code[4:] == "00":
		return code[:4]
	}
	return code
}

// regionLevels lists the prefixes a need's region is known to lie inside:
// ["37" "3717" "371725"] for a county, ["37" "3717"] for a city.
func regionLevels(code string) []string {
	c := CanonicalRegion(code)
	var out []string
	for n := 2; n <= len(c); n += 2 {
		out = append(out, c[:n])
	}
	return out
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// plan is a validated query with its defaults applied, shared by the
// implementations.
type plan struct {
	Query
	terms  []string // words to match; empty with noText false means all
	noText bool     // the query had text but no word: nothing matches
	from   int
	nowMs  int64
}

func newPlan(q Query) (*plan, error) {
	v := &kernel.ValidationError{}
	p := &plan{Query: q}
	if p.Page == 0 {
		p.Page = 1
	}
	if p.PerPage == 0 {
		p.PerPage = DefaultPerPage
	}
	if p.Page < 1 {
		v.Add("page", "must be 1 or more")
	}
	if p.PerPage < 1 || p.PerPage > MaxPerPage {
		v.Add("per_page", "must be between 1 and %d", MaxPerPage)
	}
	if p.Page >= 1 && p.PerPage >= 1 && p.Page > MaxWindow/p.PerPage {
		v.Add("page", "page × per_page must not exceed %d", MaxWindow)
	}
	switch p.Sort {
	case "":
		p.Sort = SortUrgency
	case SortUrgency, SortDeadline, SortRemaining, SortNewest:
	default:
		v.Add("sort", "must be one of urgency, deadline, remaining, newest")
	}
	if r := p.RegionPrefix; r != "" && (!isDigits(r) || (len(r) != 2 && len(r) != 4 && len(r) != 6)) {
		v.Add("region", "must be a region prefix of 2, 4 or 6 digits")
	}
	for _, c := range p.Categories {
		if !c.Valid() {
			v.Add("category", "unknown category")
		}
	}
	for _, u := range p.Urgencies {
		if !u.Valid() {
			v.Add("urgency", "unknown urgency")
		}
	}
	for _, s := range p.Statuses {
		if !validStatus[s] {
			v.Add("status", "unknown status")
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if p.Now.IsZero() {
		p.Now = time.Now()
	}
	p.nowMs = p.Now.UnixMilli()
	p.from = (p.Page - 1) * p.PerPage
	p.terms = words(q.Q)
	p.noText = strings.TrimSpace(q.Q) != "" && len(p.terms) == 0
	return p, nil
}

var validStatus = map[kernel.NeedStatus]bool{
	kernel.NeedDraft: true, kernel.NeedSubmitted: true, kernel.NeedCleared: true,
	kernel.NeedNotice: true, kernel.NeedOpen: true, kernel.NeedFunded: true,
	kernel.NeedDisbursed: true, kernel.NeedClosed: true, kernel.NeedRejected: true,
	kernel.NeedWithdrawn: true, kernel.NeedSuspended: true, kernel.NeedReferred: true, kernel.NeedExpired: true,
}

// words splits free text into the runs of letters, digits and marks, cut to
// MaxQueryRunes characters and MaxTerms words. Everything else, query syntax
// included, only separates words.
func words(s string) []string {
	if utf8.RuneCountInString(s) > MaxQueryRunes {
		s = string([]rune(s)[:MaxQueryRunes])
	}
	f := strings.FieldsFunc(s, func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r))
	})
	seen := map[string]bool{}
	out := f[:0]
	for _, w := range f {
		w = strings.ToLower(w)
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	if len(out) > MaxTerms {
		out = out[:MaxTerms]
	}
	return out
}

// effective returns a deep copy of n (callers may change what they get) with
// the status it has at nowMs, at the millisecond precision the filters use.
func effective(n marketplace.PublicNeed, nowMs int64) marketplace.PublicNeed {
	n.HouseholdTypes = slices.Clone(n.HouseholdTypes)
	n.ServiceNeeds = slices.Clone(n.ServiceNeeds)
	for _, t := range []**time.Time{&n.Deadline, &n.NoticeEndsAt, &n.PublishedAt} {
		if *t != nil {
			c := **t
			*t = &c
		}
	}
	var end, deadline *time.Time
	if n.NoticeEndsAt != nil {
		t := time.UnixMilli(n.NoticeEndsAt.UnixMilli())
		end = &t
	}
	if n.Deadline != nil {
		t := time.UnixMilli(n.Deadline.UnixMilli())
		deadline = &t
	}
	if n.Status != kernel.NeedExpired {
		n.Status = marketplace.PublicStatusAt(n.Status, end, deadline, n.RequestedFen, n.FundedFen, time.UnixMilli(nowMs))
	}
	return n
}

// noticeEndMs is the indexed end of notice; a need without one stays in
// notice for ever.
func noticeEndMs(n *marketplace.PublicNeed) int64 {
	if n.NoticeEndsAt == nil {
		return farFuture
	}
	return n.NoticeEndsAt.UnixMilli()
}

// farFuture stands for "no date" in sort and filter fields so that needs
// without a deadline sort last in ascending order: 9999-12-31 in ms.
const farFuture int64 = 253402300799000

func deadlineMs(n *marketplace.PublicNeed) int64 {
	if n.Deadline == nil {
		return farFuture
	}
	return n.Deadline.UnixMilli()
}

func publishedMs(n *marketplace.PublicNeed) int64 {
	if n.PublishedAt == nil {
		return 0
	}
	return n.PublishedAt.UnixMilli()
}

func validateNeeds(needs []marketplace.PublicNeed) error {
	v := &kernel.ValidationError{}
	for i := range needs {
		if needs[i].ID == "" {
			v.Add("id", "need %d has no id", i)
		}
		if CanonicalRegion(needs[i].RegionCode) == "" {
			v.Add("region_code", "need %q: region code must be 6 digits", needs[i].ID)
		}
	}
	return v.Err()
}

func newFacets() Facets {
	return Facets{
		Categories: map[kernel.Category]int{},
		Provinces:  map[string]int{}, Cities: map[string]int{}, Counties: map[string]int{},
	}
}

// addRegion rolls the count of one canonical region up to its levels.
func (f *Facets) addRegion(canon string, n int) {
	if n == 0 || len(canon) < 2 {
		return
	}
	f.Provinces[canon[:2]] += n
	if len(canon) >= 4 {
		f.Cities[canon[:4]] += n
	}
	if len(canon) == 6 {
		f.Counties[canon] += n
	}
}
