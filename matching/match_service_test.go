package matching

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// memStore is an in-memory MatchStore.
type memStore struct {
	mu    sync.Mutex
	needs []NeedRecord
	// given is what each source gave each need itself; Given answers per
	// person, like the store.
	given map[GivenKey]int64
	plans map[string]*StoredPlan
}

// personOf is the need's person: its pseudonym, or the need itself.
func (m *memStore) personOf(needID string) string {
	if n := m.need(needID); n != nil && n.Person != "" {
		return n.Person
	}
	return "need " + needID
}

// givenToPerson is what source gave the person of needID, over all their
// needs.
func (m *memStore) givenToPerson(source, needID string) int64 {
	var sum int64
	for k, v := range m.given {
		if k.SourceID == source && m.personOf(k.NeedID) == m.personOf(needID) {
			sum += v
		}
	}
	return sum
}

func (m *memStore) OpenNeeds(ctx context.Context) ([]NeedRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []NeedRecord
	for _, n := range m.needs {
		if n.Status == kernel.NeedOpen || n.Status == kernel.NeedNotice {
			out = append(out, n)
		}
	}
	return out, nil
}

func (m *memStore) need(id string) *NeedRecord {
	for i := range m.needs {
		if m.needs[i].ID == id {
			return &m.needs[i]
		}
	}
	return nil
}

func (m *memStore) NeedRecord(ctx context.Context, id string) (*NeedRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if n := m.need(id); n != nil {
		c := *n
		return &c, nil
	}
	return nil, kernel.ErrNotFound
}

func (m *memStore) Given(ctx context.Context, sourceIDs, needIDs []string) (map[GivenKey]int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[GivenKey]int64{}
	for k := range m.given {
		if len(sourceIDs) > 0 && !slices.Contains(sourceIDs, k.SourceID) {
			continue
		}
		for _, n := range m.needs {
			if (len(needIDs) == 0 || slices.Contains(needIDs, n.ID)) && m.personOf(n.ID) == m.personOf(k.NeedID) {
				out[GivenKey{k.SourceID, n.ID}] = m.givenToPerson(k.SourceID, n.ID)
			}
		}
	}
	return out, nil
}

func (m *memStore) InsertPlan(ctx context.Context, p *StoredPlan) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	p.ID = int64(len(m.plans) + 1)
	c := *p
	c.Lines = append([]StoredLine(nil), p.Lines...)
	m.plans[p.PublicID] = &c
	return nil
}

func (m *memStore) Plans(ctx context.Context, orgIDs []int64, limit int) ([]StoredPlan, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []StoredPlan
	for _, p := range m.plans {
		if slices.Contains(orgIDs, p.OrgID) {
			c := *p
			c.Lines = nil
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b StoredPlan) int { return int(b.ID - a.ID) })
	return out[:min(len(out), limit)], nil
}

func (m *memStore) Plan(ctx context.Context, id string) (*StoredPlan, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.plans[id]
	if !ok {
		return nil, kernel.ErrNotFound
	}
	c := *p
	c.Lines = append([]StoredLine(nil), p.Lines...)
	return &c, nil
}

func (m *memStore) byID(id int64) *StoredPlan {
	for _, p := range m.plans {
		if p.ID == id {
			return p
		}
	}
	return nil
}

func (m *memStore) StartExecution(ctx context.Context, id int64, by string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.byID(id)
	if p.Status != PlanPlanned {
		return kernel.ErrConflict
	}
	p.Status, p.ExecutedBy, p.ExecutedAt = PlanExecuting, by, &at
	return nil
}

func (m *memStore) SaveLine(ctx context.Context, id int64, l *StoredLine) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.byID(id)
	p.Lines[l.Seq-1] = *l
	return nil
}

func (m *memStore) FinishExecution(ctx context.Context, id int64, r ExecutionReport) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.byID(id)
	p.Status, p.Report = PlanExecuted, &r
	return nil
}

// memFunds allocates like funds does: the shared rule, MaxFen with what the
// source gave the need's person, balance.
type memFunds struct {
	store   *memStore
	sources map[string]*SourceInfo
	calls   int
}

func (f *memFunds) AllSources(ctx context.Context) ([]SourceInfo, error) {
	var out []SourceInfo
	for _, s := range f.sources {
		out = append(out, *s)
	}
	return out, nil
}

func (f *memFunds) SourceInfo(ctx context.Context, id string) (*SourceInfo, error) {
	if s, ok := f.sources[id]; ok {
		c := *s
		return &c, nil
	}
	return nil, kernel.ErrNotFound
}

func (f *memFunds) Allocate(ctx context.Context, by *kernel.Principal, kind, sourceID, needID string, amount int64) (string, error) {
	f.store.mu.Lock()
	defer f.store.mu.Unlock()
	f.calls++
	s := f.sources[sourceID]
	n := f.store.need(needID)
	k := GivenKey{sourceID, needID}
	facts := n.Facts(time.Now())
	given := f.store.givenToPerson(sourceID, needID)
	if fails := s.Restrictions.Fails(facts, given); len(fails) > 0 {
		return "", &RefusalError{Reasons: fails}
	}
	if amount > s.Restrictions.MaxFen(facts, given) || amount > s.BalanceFen {
		return "", &RefusalError{Reasons: []kernel.Ineligibility{{Code: "over", Message: "too much"}}}
	}
	s.BalanceFen -= amount
	n.FundedFen += amount
	f.store.given[k] += amount
	return fmt.Sprintf("alloc%d", f.calls), nil
}

func staff(orgID int64) *kernel.Principal {
	return &kernel.Principal{User: kernel.User{ID: 7, PublicID: "staff1"},
		Memberships: []kernel.Membership{{Role: kernel.RoleFederationStaff, Org: &kernel.Org{ID: orgID, Kind: kernel.OrgCharityFederation}}}}
}

func newTestService() (*Service, *memStore, *memFunds) {
	st := &memStore{given: map[GivenKey]int64{}, plans: map[string]*StoredPlan{}}
	open := func(id string, cat kernel.Category, u kernel.Urgency, req int64) NeedRecord {
		return NeedRecord{ID: id, OrgID: 1, Status: kernel.NeedOpen, Category: cat, Urgency: u, RegionCode: "370102", PublicRegionCode: "370100",
			AgeBand: kernel.Age18to59, RequestedFen: req, Screening: kernel.ScreenClear}
	}
	st.needs = []NeedRecord{
		open("n1", kernel.CatMedical, kernel.UrgencyEmergency, 3000),
		open("n2", kernel.CatMedical, kernel.UrgencyNormal, 5000),
		open("n3", kernel.CatEducation, kernel.UrgencyUrgent, 2000),
		open("n4", kernel.CatMedical, kernel.UrgencyUrgent, 1000),
	}
	fu := &memFunds{store: st, sources: map[string]*SourceInfo{
		"f1": {Kind: "fund", ID: "f1", OrgID: 9, Restrictions: kernel.Restrictions{Categories: []kernel.Category{kernel.CatMedical}}, BalanceFen: 6000, Running: true},
		"f2": {Kind: "fund", ID: "f2", OrgID: 9, Restrictions: kernel.Restrictions{PerNeedCapFen: 1500}, BalanceFen: 3000, Running: true},
		"fx": {Kind: "fund", ID: "fx", OrgID: 10, BalanceFen: 3000, Running: true},
	}}
	svc := &Service{Store: st, Sources: fu, Now: time.Now, NewID: func() string { return fmt.Sprintf("plan%d", len(st.plans)+1) }}
	return svc, st, fu
}

func TestExecutingAStalePlanRefusesTheLinesThatNoLongerHold(t *testing.T) {
	ctx := context.Background()
	svc, st, fu := newTestService()
	by := staff(9)
	p, err := svc.CreatePlan(ctx, by, "f1", PlanInput{FundIDs: []string{"f2"}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Totals.MoneyLeftFen != 0 || len(p.Lines) == 0 {
		t.Fatalf("plan %+v", p)
	}
	// Things change between planning and execution: n1 is funded by
	// someone else, n3's screening now blocks, f2 lost part of its balance.
	planned := map[string]bool{}
	for _, l := range p.Lines {
		planned[l.NeedID] = true
	}
	if !planned["n1"] || !planned["n3"] {
		t.Fatalf("the plan should fund n1 and n3: %+v", p.Lines)
	}
	st.need("n1").FundedFen = 3000
	st.need("n1").Status = kernel.NeedFunded
	st.need("n3").Screening = kernel.ScreenBlock
	fu.sources["f2"].BalanceFen = 0
	out, err := svc.ExecutePlan(ctx, by, p.PublicID)
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != PlanExecuted || out.Report == nil {
		t.Fatalf("status %s", out.Status)
	}
	for _, l := range out.Lines {
		stale := l.NeedID == "n1" || l.NeedID == "n3" || l.SourceID == "f2"
		if stale && l.Status != LineRefused {
			t.Errorf("stale line %+v was applied", l)
		}
		if !stale && l.Status != LineApplied {
			t.Errorf("line %+v refused: %v", l, l.Refusal)
		}
		if l.Status == LineRefused && len(l.Refusal) == 0 {
			t.Errorf("refused line without reasons: %+v", l)
		}
	}
	if out.Report.Applied+out.Report.Refused != len(out.Lines) || out.Report.Refused == 0 {
		t.Fatalf("report %+v", out.Report)
	}
	// Executing again changes nothing.
	calls := fu.calls
	again, err := svc.ExecutePlan(ctx, by, p.PublicID)
	if err != nil || again.Report.Applied != out.Report.Applied || fu.calls != calls {
		t.Fatalf("second execution: %v, %+v, %d more allocations", err, again.Report, fu.calls-calls)
	}
}

func TestPlanAccess(t *testing.T) {
	ctx := context.Background()
	svc, _, _ := newTestService()
	if _, err := svc.CreatePlan(ctx, staff(10), "f1", PlanInput{}); !errors.Is(err, kernel.ErrForbidden) {
		t.Fatalf("other organization's staff: %v", err)
	}
	var v *kernel.ValidationError
	if _, err := svc.CreatePlan(ctx, staff(9), "f1", PlanInput{FundIDs: []string{"fx"}}); !errors.As(err, &v) {
		t.Fatalf("a fund of another organization: %v", err)
	}
	if _, err := svc.CreatePlan(ctx, staff(9), "f1", PlanInput{MaxNeeds: -1}); !errors.As(err, &v) {
		t.Fatalf("negative max_needs: %v", err)
	}
	p, err := svc.CreatePlan(ctx, staff(9), "f1", PlanInput{MaxNeeds: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Lines) != 1 || p.Lines[0].NeedID != "n1" {
		t.Fatalf("max_needs 1: %+v", p.Lines)
	}
	if _, err := svc.Plan(ctx, staff(10), p.PublicID); !errors.Is(err, kernel.ErrNotFound) {
		t.Fatalf("other organization reads the plan: %v", err)
	}
	if _, err := svc.ExecutePlan(ctx, staff(10), p.PublicID); !errors.Is(err, kernel.ErrNotFound) {
		t.Fatalf("other organization executes the plan: %v", err)
	}
}

// The same answer from matching, planning and allocation for each case.
func TestMatchingPlanningAndAllocationAgree(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name  string
		need  func(*NeedRecord)
		r     kernel.Restrictions
		given int64
		ok    bool
	}{
		{"eligible", nil, kernel.Restrictions{}, 0, true},
		{"category", nil, kernel.Restrictions{Categories: []kernel.Category{kernel.CatHousing}}, 0, false},
		{"region", nil, kernel.Restrictions{RegionPrefixes: []string{"11"}}, 0, false},
		{"household", nil, kernel.Restrictions{HouseholdTypes: []kernel.HouseholdType{kernel.HHTekun}}, 0, false},
		{"cap used", nil, kernel.Restrictions{PerNeedCapFen: 500}, 500, false},
		{"blocked", func(n *NeedRecord) { n.Screening = kernel.ScreenBlock }, kernel.Restrictions{}, 0, false},
		{"block overridden", func(n *NeedRecord) { n.Screening, n.BlockOverride = kernel.ScreenBlock, true }, kernel.Restrictions{}, 0, true},
		{"notice over", func(n *NeedRecord) {
			t := time.Now().Add(-time.Minute)
			n.Status, n.NoticeEndsAt = kernel.NeedNotice, &t
		}, kernel.Restrictions{}, 0, true},
		{"in notice", func(n *NeedRecord) {
			t := time.Now().Add(time.Hour)
			n.Status, n.NoticeEndsAt = kernel.NeedNotice, &t
		}, kernel.Restrictions{}, 0, false},
		{"fully funded", func(n *NeedRecord) { n.FundedFen = n.RequestedFen }, kernel.Restrictions{}, 0, false},
		{"deadline passed", func(n *NeedRecord) {
			t := time.Now().Add(-time.Hour)
			n.Deadline = &t
		}, kernel.Restrictions{}, 0, false},
		{"deadline passed in notice", func(n *NeedRecord) {
			t, e := time.Now().Add(-time.Hour), time.Now().Add(-2*time.Hour)
			n.Status, n.NoticeEndsAt, n.Deadline = kernel.NeedNotice, &e, &t
		}, kernel.Restrictions{}, 0, false},
		{"deadline ahead", func(n *NeedRecord) {
			t := time.Now().Add(time.Hour)
			n.Deadline = &t
		}, kernel.Restrictions{}, 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := &memStore{given: map[GivenKey]int64{}, plans: map[string]*StoredPlan{}}
			n := NeedRecord{ID: "n", OrgID: 1, Status: kernel.NeedOpen, Category: kernel.CatMedical, Urgency: kernel.UrgencyUrgent,
				RegionCode: "370102", HouseholdTypes: []kernel.HouseholdType{kernel.HHDibao}, RequestedFen: 1000, Screening: kernel.ScreenClear}
			if tc.need != nil {
				tc.need(&n)
			}
			st.needs = []NeedRecord{n}
			st.given[GivenKey{"f", "n"}] = tc.given
			fu := &memFunds{store: st, sources: map[string]*SourceInfo{"f": {Kind: "fund", ID: "f", OrgID: 9, Restrictions: tc.r, BalanceFen: 10000, Running: true}}}
			svc := &Service{Store: st, Sources: fu, Now: time.Now, NewID: func() string { return "p" }}
			by := staff(9)
			by.Memberships = append(by.Memberships, kernel.Membership{Role: kernel.RoleSocialWorker, Org: &kernel.Org{ID: 1}})
			sm, err := svc.SourceMatches(ctx, by, "fund", "f", 0, 10)
			if err != nil {
				t.Fatal(err)
			}
			listed, total := sm.Items, sm.Total
			nm, err := svc.NeedMatches(ctx, by, "n", 0, 10)
			if err != nil {
				t.Fatal(err)
			}
			plan, err := svc.CreatePlan(ctx, by, "f", PlanInput{})
			if err != nil {
				t.Fatal(err)
			}
			_, allocErr := fu.Allocate(ctx, by, "fund", "f", "n", 100)
			answers := map[string]bool{"listing": total == 1 && len(listed) == 1, "matching": nm.SourcesTotal == 1,
				"planning": len(plan.Lines) == 1, "allocation": allocErr == nil}
			for k, v := range answers {
				if v != tc.ok {
					t.Errorf("%s says eligible=%v, want %v", k, v, tc.ok)
				}
			}
		})
	}
}

// A stored plan's greedy figure is over the same needs as the plan, so it
// never exceeds the plan's upper bound, whatever max_needs.
func TestStoredPlanGreedyFigureWithinItsBound(t *testing.T) {
	ctx := context.Background()
	for _, max := range []int{0, 1, 2, 3} {
		svc, _, _ := newTestService()
		p, err := svc.CreatePlan(ctx, staff(9), "f1", PlanInput{FundIDs: []string{"f2"}, MaxNeeds: max})
		if err != nil {
			t.Fatal(err)
		}
		if p.GreedyCovered > p.Totals.UrgencyCovered || p.Totals.UrgencyCovered > p.Totals.UpperBound {
			t.Errorf("max_needs %d: greedy %d, plan %d, upper bound %d", max, p.GreedyCovered, p.Totals.UrgencyCovered, p.Totals.UpperBound)
		}
	}
}

// Staff see why a need within a fund's scope is missing from its matches
// and from a plan: past its deadline, in notice, blocked; a need outside
// the fund's categories is not counted.
func TestMatchesAndPlansSayWhyNeedsAreLeftOut(t *testing.T) {
	ctx := context.Background()
	svc, st, _ := newTestService()
	past, later := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	st.need("n2").Deadline = &past
	st.need("n4").Status, st.need("n4").NoticeEndsAt = kernel.NeedNotice, &later
	st.need("n3").Deadline = &past // education: outside f1's categories
	m, err := svc.SourceMatches(ctx, staff(9), "fund", "f1", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []LeftOut{{LeftOutExpired, 1}, {LeftOutNotice, 1}}
	if !slices.Equal(m.LeftOut, want) || m.Total != 1 || len(m.Items) != 1 || m.Items[0].Need.ID != "n1" {
		t.Fatalf("matches %+v, left out %+v; want n1 only, left out %+v", m.Items, m.LeftOut, want)
	}
	p, err := svc.CreatePlan(ctx, staff(9), "f1", PlanInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range p.Lines {
		if l.NeedID != "n1" {
			t.Errorf("the plan funds %s, which cannot take money", l.NeedID)
		}
	}
	if !slices.Equal(p.LeftOut, want) {
		t.Fatalf("plan left out %+v, want %+v", p.LeftOut, want)
	}
}

// Two organizations posted one person: a plan funds one of the postings,
// says why the other is left out, and a capped fund's matches show the
// other posting with only what is left of the cap for the person once the
// plan is executed (issue 14).
func TestPlansAndMatchesCountAPersonOnceAcrossTheirPostings(t *testing.T) {
	ctx := context.Background()
	svc, st, fu := newTestService()
	st.need("n1").Person, st.need("n4").Person = "P", "P" // both medical: n1 emergency, n4 urgent
	fu.sources["f2"].BalanceFen = 1500                    // its cap per person
	by := staff(9)
	p, err := svc.CreatePlan(ctx, by, "f2", PlanInput{})
	if err != nil {
		t.Fatal(err)
	}
	toP := map[string]int64{}
	for _, l := range p.Lines {
		if l.NeedID == "n1" || l.NeedID == "n4" {
			toP[l.NeedID] += l.AmountFen
		}
	}
	if !maps.Equal(toP, map[string]int64{"n1": 1500}) {
		t.Fatalf("the plan gives the person %v, want its cap of 1500 through the most urgent posting n1 only", toP)
	}
	if !slices.Contains(p.LeftOut, LeftOut{LeftOutSamePerson, 1}) {
		t.Fatalf("plan left out %+v, want n4 counted as another posting of a person the plan funds", p.LeftOut)
	}
	out, err := svc.ExecutePlan(ctx, by, p.PublicID)
	if err != nil || out.Report.Refused != 0 {
		t.Fatalf("execution: %v, %+v", err, out.Report)
	}
	fu.sources["f2"].BalanceFen = 10_000 // money for everyone else
	m, err := svc.SourceMatches(ctx, by, "fund", "f2", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range m.Items {
		if it.Need.ID == "n4" {
			t.Fatalf("f2's matches offer n4 %d fen, though f2 gave its person the whole cap", it.MaxFen)
		}
	}
	if !slices.Contains(m.LeftOut, LeftOut{LeftOutCap, 2}) {
		t.Fatalf("f2's matches left out %+v, want both postings of the person counted at the cap", m.LeftOut)
	}
	p, err = svc.CreatePlan(ctx, by, "f2", PlanInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range p.Lines {
		if l.NeedID == "n1" || l.NeedID == "n4" {
			t.Fatalf("a second plan gives the person more from f2: %+v", l)
		}
	}
}
