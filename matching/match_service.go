package matching

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/marketplace"
)

// SourceInfo is a fund or project as the matching service reads it.
type SourceInfo struct {
	Kind  string // "fund" or "project"
	ID    string
	Name  string
	OrgID int64
	// RegionCode is the holding organization's region.
	RegionCode   string
	Restrictions kernel.Restrictions
	BalanceFen   int64
	// Running: the source gives money now (active, within its period).
	Running bool
}

// RefusalError is a business refusal of an allocation (restrictions,
// balance, screening), as opposed to a failure of the system.
type RefusalError struct {
	Reasons []kernel.Ineligibility
}

func (e *RefusalError) Error() string {
	if len(e.Reasons) == 0 {
		return "refused"
	}
	return "refused: " + e.Reasons[0].Message
}

// Sources is what matching needs of the funds service.
type Sources interface {
	// AllSources lists every fund and project with its balance.
	AllSources(ctx context.Context) ([]SourceInfo, error)
	// SourceInfo returns a fund or project by public id; ErrNotFound.
	SourceInfo(ctx context.Context, publicID string) (*SourceInfo, error)
	// Allocate moves money from a source to a need atomically, with every
	// check of an allocation; a refusal is a *RefusalError.
	Allocate(ctx context.Context, by *kernel.Principal, kind, sourceID, needID string, amountFen int64) (allocationID string, err error)
}

// Volunteers is what matching needs of the volunteer profiles.
type Volunteers interface {
	// VolunteersServing lists the volunteers who serve a region (one of
	// their region prefixes is a prefix of code)
	// and who offer at least one of services.
	VolunteersServing(ctx context.Context, code string, services []kernel.Service) ([]Volunteer, error)
	// VolunteerOf returns a user's volunteer profile; ErrNotFound.
	VolunteerOf(ctx context.Context, userID int64) (*Volunteer, error)
}

// Service serves matches and allocation plans.
type Service struct {
	Store      MatchStore
	Sources    Sources    // nil: no funds yet, no source matches
	Volunteers Volunteers // nil: no volunteer matches
	Divisions  *kernel.Divisions
	Now        func() time.Time
	NewID      func() string
}

func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

// MatchedNeed is what a match list shows of a need: public fields only.
type MatchedNeed struct {
	ID           string                  `json:"id"`
	Status       kernel.NeedStatus       `json:"status"`
	Category     kernel.Category         `json:"category"`
	RegionCode   string                  `json:"region_code"`
	AgeBand      kernel.AgeBand          `json:"age_band"`
	Urgency      kernel.Urgency          `json:"urgency"`
	Deadline     *time.Time              `json:"deadline"`
	RequestedFen int64                   `json:"requested_fen"`
	FundedFen    int64                   `json:"funded_fen"`
	RemainingFen int64                   `json:"remaining_fen"`
	ServiceNeeds []kernel.Service        `json:"service_needs"`
	Screening    kernel.ScreeningOutcome `json:"screening"`
}

func summary(n *NeedRecord, now time.Time) MatchedNeed {
	f := n.Facts(now)
	sv := n.ServiceNeeds
	if sv == nil {
		sv = []kernel.Service{}
	}
	return MatchedNeed{ID: n.ID, Status: f.Status, Category: n.Category, RegionCode: n.PublicRegionCode, AgeBand: n.AgeBand, Urgency: n.Urgency,
		Deadline: n.Deadline, RequestedFen: n.RequestedFen, FundedFen: n.FundedFen, RemainingFen: max(n.RequestedFen-n.FundedFen, 0),
		ServiceNeeds: sv, Screening: f.Screening}
}

// RankedNeed is a need in a match list with its score and reasons.
type RankedNeed struct {
	Need    MatchedNeed `json:"need"`
	Score   float64     `json:"score"`
	MaxFen  int64       `json:"max_fen,omitempty"`
	Factors []Factor    `json:"factors"`
}

// Why a need a source's restrictions would accept is left out of its
// matches or of a plan: it cannot take money now.
const (
	LeftOutExpired   = "expired"         // its deadline passed before it was fully funded
	LeftOutNotice    = "notice"          // still in public notice (公示)
	LeftOutStatus    = "status"          // suspended, closed or otherwise not open
	LeftOutFunded    = "fully_funded"    // nothing remains to fund
	LeftOutScreening = "screening_block" // its screening blocks it
	LeftOutCap       = "per_need_cap"    // the source already gave its person its per-need cap
	// LeftOutSamePerson: a plan funds another posting of the same person
	// (at most one posting per person, see MakePlan).
	LeftOutSamePerson = "same_person"
)

// LeftOut counts the needs left out of a list or plan for one reason
// (LeftOutExpired, …), so that staff see why a need they expect is missing.
type LeftOut struct {
	Reason string `json:"reason"`
	Count  int    `json:"count"`
}

// leftOutReason is why a need that the restrictions' category, region and
// household types accept cannot take money from the source now, or "" when
// it can or when those restrictions refuse it anyway. The reasons follow
// marketplace.Restrictions.Fails; the status is facts' (NeedRecord.StatusAt).
func leftOutReason(r *kernel.Restrictions, f kernel.NeedFacts, given int64) string {
	if r.Allows(f, given) {
		return ""
	}
	if !inScope(r, f) {
		return ""
	}
	switch {
	case f.Status == kernel.NeedExpired:
		return LeftOutExpired
	case f.Status == kernel.NeedNotice:
		return LeftOutNotice
	case f.Status != kernel.NeedOpen:
		return LeftOutStatus
	case f.FundedFen >= f.RequestedFen:
		return LeftOutFunded
	case f.Screening == kernel.ScreenBlock:
		return LeftOutScreening
	}
	return LeftOutCap
}

// leftOutCounts turns counts by reason into a list in a fixed order.
func leftOutCounts(counts map[string]int) []LeftOut {
	out := []LeftOut{}
	for _, r := range []string{LeftOutExpired, LeftOutNotice, LeftOutStatus, LeftOutFunded, LeftOutScreening, LeftOutCap, LeftOutSamePerson} {
		if counts[r] > 0 {
			out = append(out, LeftOut{Reason: r, Count: counts[r]})
		}
	}
	return out
}

// SourceNeeds is a page of the needs a fund or project may serve, with the
// number of them and the needs left out.
type SourceNeeds struct {
	Items []RankedNeed
	Total int
	// LeftOut counts the needs within the source's categories, regions and
	// household types that cannot take its money now, by reason.
	LeftOut []LeftOut
}

// NeedMatches are a need's ranked funds, projects and volunteers.
type NeedMatches struct {
	Sources         []SourceMatch    `json:"sources"`
	SourcesTotal    int              `json:"sources_total"`
	Volunteers      []VolunteerMatch `json:"volunteers"`
	VolunteersTotal int              `json:"volunteers_total"`

	// LeftOut says why the need can take no money now (LeftOutExpired, …),
	// and so has no funds or projects; "" while it can.
	LeftOut string `json:"left_out,omitempty"`
}

// canSeeNeed: social workers of the posting organization, verifiers of a
// civil affairs office covering the need's region, federation staff.
func (s *Service) canSeeNeed(p *kernel.Principal, n *NeedRecord) bool {
	if p == nil {
		return false
	}
	if p.InOrg(kernel.RoleSocialWorker, n.OrgID) || p.Has(kernel.RoleFederationStaff) {
		return true
	}
	return marketplace.CoveringVerifier(s.Divisions, p, n.RegionCode)
}

func toSource(si *SourceInfo) Source {
	return Source{Kind: si.Kind, ID: si.ID, Name: si.Name, RegionCode: si.RegionCode, Restrictions: si.Restrictions, BalanceFen: si.BalanceFen}
}

func serviceNeed(n *NeedRecord) ServiceNeed {
	return ServiceNeed{ID: n.ID, Category: n.Category, RegionCode: n.RegionCode, AgeBand: n.AgeBand, HouseholdTypes: n.HouseholdTypes,
		Services: n.ServiceNeeds, Urgency: n.Urgency, Deadline: n.Deadline, PublishedAt: n.PublishedAt}
}

// NeedMatches ranks the funds and projects a need qualifies for and the
// volunteers who may serve it, each with reasons. Callers who may not see
// the need get ErrNotFound.
func (s *Service) NeedMatches(ctx context.Context, by *kernel.Principal, needID string, offset, limit int) (*NeedMatches, error) {
	n, err := s.Store.NeedRecord(ctx, needID)
	if err != nil {
		return nil, err
	}
	if !s.canSeeNeed(by, n) {
		return nil, kernel.ErrNotFound
	}
	now := s.now()
	out := &NeedMatches{Sources: []SourceMatch{}, Volunteers: []VolunteerMatch{}}
	if s.Sources != nil {
		all, err := s.Sources.AllSources(ctx)
		if err != nil {
			return nil, fmt.Errorf("matching: sources: %w", err)
		}
		given, err := s.Store.Given(ctx, nil, []string{n.ID})
		if err != nil {
			return nil, fmt.Errorf("matching: given: %w", err)
		}
		src := make([]Source, 0, len(all))
		g := map[string]int64{}
		for i := range all {
			if all[i].Running {
				src = append(src, toSource(&all[i]))
				g[all[i].ID] = given[GivenKey{all[i].ID, n.ID}]
			}
		}
		need := Need{ID: n.ID, Facts: n.Facts(now), Urgency: n.Urgency, Deadline: n.Deadline, PublishedAt: n.PublishedAt}
		out.Sources, out.SourcesTotal = SourcesForNeed(&need, src, g, now, offset, limit)
		out.LeftOut = leftOutReason(&kernel.Restrictions{}, need.Facts, 0)
	}
	if s.Volunteers != nil && len(n.ServiceNeeds) > 0 {
		vols, err := s.Volunteers.VolunteersServing(ctx, n.RegionCode, n.ServiceNeeds)
		if err != nil {
			return nil, fmt.Errorf("matching: volunteers: %w", err)
		}
		sn := serviceNeed(n)
		out.Volunteers, out.VolunteersTotal = VolunteersFor(&sn, vols, offset, limit)
	}
	return out, nil
}

// SourceMatches ranks the open needs a fund or project may serve, most
// urgent first, and counts the needs it leaves out because they cannot take
// money now (past their deadline, in notice, …). kind is "fund" or
// "project": the other kind is not found.
func (s *Service) SourceMatches(ctx context.Context, by *kernel.Principal, kind, sourceID string, offset, limit int) (*SourceNeeds, error) {
	if s.Sources == nil {
		return nil, kernel.ErrNotFound
	}
	si, err := s.Sources.SourceInfo(ctx, sourceID)
	if err != nil {
		return nil, err
	}
	if si.Kind != kind {
		return nil, kernel.ErrNotFound
	}
	recs, err := s.Store.OpenNeeds(ctx)
	if err != nil {
		return nil, err
	}
	given, err := s.Store.Given(ctx, []string{si.ID}, nil)
	if err != nil {
		return nil, err
	}
	now := s.now()
	needs := make([]Need, len(recs))
	byID := make(map[string]*NeedRecord, len(recs))
	g := map[string]int64{}
	left := map[string]int{}
	for i := range recs {
		r := &recs[i]
		needs[i] = Need{ID: r.ID, Facts: r.Facts(now), Urgency: r.Urgency, Deadline: r.Deadline, PublishedAt: r.PublishedAt}
		byID[r.ID] = r
		if v := given[GivenKey{si.ID, r.ID}]; v > 0 {
			g[r.ID] = v
		}
		if why := leftOutReason(&si.Restrictions, needs[i].Facts, g[r.ID]); why != "" {
			left[why]++
		}
	}
	src := toSource(si)
	if !si.Running {
		return &SourceNeeds{Items: []RankedNeed{}, LeftOut: []LeftOut{}}, nil
	}
	ms, total := NeedsForSource(&src, needs, g, now, offset, limit)
	out := make([]RankedNeed, len(ms))
	for i, m := range ms {
		out[i] = RankedNeed{Need: summary(byID[m.ID], now), Score: m.Score, MaxFen: m.MaxFen, Factors: m.Factors}
	}
	return &SourceNeeds{Items: out, Total: total, LeftOut: leftOutCounts(left)}, nil
}

// VolunteerMatches ranks the open needs the signed-in volunteer may serve:
// only needs published with the household's consent (they have a public
// page, and claims and service pledges accept them), open or in notice at
// now (not past their deadline). A need without public consent is matched
// to volunteers only through its social worker (NeedMatches). A volunteer
// without a profile gets a ValidationError.
func (s *Service) VolunteerMatches(ctx context.Context, by *kernel.Principal, offset, limit int) ([]RankedNeed, int, error) {
	if s.Volunteers == nil || by == nil {
		return []RankedNeed{}, 0, nil
	}
	v, err := s.Volunteers.VolunteerOf(ctx, by.User.ID)
	if errors.Is(err, kernel.ErrNotFound) {
		return nil, 0, kernel.Invalid("profile", "set up your volunteer profile first (PUT /volunteers/me)")
	}
	if err != nil {
		return nil, 0, err
	}
	recs, err := s.Store.OpenNeeds(ctx)
	if err != nil {
		return nil, 0, err
	}
	now := s.now()
	var needs []ServiceNeed
	byID := map[string]*NeedRecord{}
	for i := range recs {
		r := &recs[i]
		if len(r.ServiceNeeds) == 0 || r.PublishedAt == nil || !r.ConsentPublic {
			continue
		}
		if st := r.StatusAt(now); st != kernel.NeedOpen && st != kernel.NeedNotice {
			continue
		}
		needs = append(needs, serviceNeed(r))
		byID[r.ID] = r
	}
	ms, total := NeedsForVolunteer(v, needs, offset, limit)
	out := make([]RankedNeed, len(ms))
	for i, m := range ms {
		out[i] = RankedNeed{Need: summary(byID[m.ID], now), Score: m.Score, Factors: m.Factors}
	}
	return out, total, nil
}

// PlanInput asks for a plan: the funds and projects whose balances it
// spends (the one in the path is always included) and at most how many of
// the most urgent needs it considers (0: all).
type PlanInput struct {
	FundIDs  []string `json:"fund_ids"`
	MaxNeeds int      `json:"max_needs"`
}

// CreatePlan plans the spending of the funds' balances over the open needs
// and stores the plan for review. Only federation staff of the organization
// holding every fund may plan (ErrForbidden); ValidationError for bad input.
func (s *Service) CreatePlan(ctx context.Context, by *kernel.Principal, fundID string, in PlanInput) (*StoredPlan, error) {
	if s.Sources == nil {
		return nil, kernel.ErrNotFound
	}
	v := &kernel.ValidationError{}
	if len(in.FundIDs) > 1000 {
		v.Add("fund_ids", "at most 1000 funds")
	}
	for i, id := range in.FundIDs {
		if id == "" || len(id) > 32 {
			v.Add(fmt.Sprintf("fund_ids[%d]", i), "is not a fund id")
		}
	}
	if in.MaxNeeds < 0 || in.MaxNeeds > 1_000_000 {
		v.Add("max_needs", "must be from 0 (all) to 1000000")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	holder, err := s.Sources.SourceInfo(ctx, fundID)
	if err != nil {
		return nil, err
	}
	if holder.Kind != "fund" {
		return nil, kernel.ErrNotFound
	}
	if !by.InOrg(kernel.RoleFederationStaff, holder.OrgID) {
		return nil, kernel.Refuse(kernel.ErrForbidden, "refusal_plan_role", nil, "only federation staff of the fund's organization plan its spending")
	}
	ids := []string{holder.ID}
	for _, id := range in.FundIDs {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	infos := []*SourceInfo{holder}
	for i, id := range ids[1:] {
		si, err := s.Sources.SourceInfo(ctx, id)
		if errors.Is(err, kernel.ErrNotFound) {
			return nil, kernel.Invalid(fmt.Sprintf("fund_ids[%d]", i), "no such fund or project")
		}
		if err != nil {
			return nil, err
		}
		if si.OrgID != holder.OrgID {
			return nil, kernel.Invalid(fmt.Sprintf("fund_ids[%d]", i), "is held by another organization")
		}
		infos = append(infos, si)
	}
	recs, err := s.Store.OpenNeeds(ctx)
	if err != nil {
		return nil, err
	}
	given, err := s.Store.Given(ctx, ids, nil)
	if err != nil {
		return nil, err
	}
	now := s.now()
	funds := make([]PlanFund, 0, len(infos))
	kinds := map[string]string{}
	for _, si := range infos {
		kinds[si.ID] = si.Kind
		bal := si.BalanceFen
		if !si.Running {
			bal = 0
		}
		pf := PlanFund{ID: si.ID, BalanceFen: bal, Restrictions: si.Restrictions, Given: map[string]int64{}}
		for k, g := range given {
			if k.SourceID == si.ID {
				pf.Given[k.NeedID] = g
			}
		}
		funds = append(funds, pf)
	}
	needs := make([]PlanNeed, 0, len(recs))
	left := map[string]int{}
	for i := range recs {
		r := &recs[i]
		w, why := UrgencyWeight(r.Urgency, r.Deadline, now)
		needs = append(needs, PlanNeed{ID: r.ID, Facts: r.Facts(now), Weight: w, Why: why, Person: r.Person})
		for _, si := range infos {
			if why := leftOutReason(&si.Restrictions, needs[i].Facts, 0); why != "" {
				left[why]++
				break
			}
		}
	}
	opt := PlanOptions{MaxNeeds: in.MaxNeeds}
	plan := MakePlan(funds, needs, opt)
	for _, l := range plan.LeftOut {
		left[l.Reason] += l.Count
	}
	greedy := GreedyPlan(funds, needs, opt)
	sp := &StoredPlan{PublicID: s.NewID(), OrgID: holder.OrgID, FundID: holder.ID, SourceIDs: ids, MaxNeeds: in.MaxNeeds, Status: PlanPlanned,
		Totals: plan.Totals, GreedyCovered: greedy.Totals.UrgencyCovered, CreatedBy: by.User.PublicID, CreatedAt: now, Lines: []StoredLine{}, LeftOut: leftOutCounts(left)}
	for i, l := range plan.Lines {
		sp.Lines = append(sp.Lines, StoredLine{Seq: i + 1, SourceKind: kinds[l.FundID], SourceID: l.FundID, NeedID: l.NeedID, AmountFen: l.AmountFen,
			Weight: l.Weight, Reasons: l.Reasons, Status: LinePlanned})
	}
	if err := s.Store.InsertPlan(ctx, sp); err != nil {
		return nil, fmt.Errorf("matching: store plan: %w", err)
	}
	return sp, nil
}

// Plan returns a stored plan to federation staff of its organization
// (others: ErrNotFound).
func (s *Service) Plan(ctx context.Context, by *kernel.Principal, planID string) (*StoredPlan, error) {
	p, err := s.Store.Plan(ctx, planID)
	if err != nil {
		return nil, err
	}
	if !by.InOrg(kernel.RoleFederationStaff, p.OrgID) {
		return nil, kernel.ErrNotFound
	}
	return p, nil
}

// Plans returns the newest plans (without their lines) of the
// organizations in which by is federation staff, at most limit; none for
// anyone else.
func (s *Service) Plans(ctx context.Context, by *kernel.Principal, limit int) ([]StoredPlan, error) {
	var orgs []int64
	if by != nil {
		for _, m := range by.Memberships {
			if m.Role == kernel.RoleFederationStaff && m.Org != nil {
				orgs = append(orgs, m.Org.ID)
			}
		}
	}
	if len(orgs) == 0 {
		return nil, nil
	}
	ps, err := s.Store.Plans(ctx, orgs, min(max(limit, 1), 200))
	if err != nil {
		return nil, fmt.Errorf("matching: plans: %w", err)
	}
	return ps, nil
}

// ExecutePlan applies a plan once, line by line: each line is checked again
// (the need and the source may have changed since planning) and applied
// through the funds service's allocation, atomically on its own; a line
// that no longer holds is refused with its reasons and the others go on.
// Executing an executed plan returns it unchanged; one being executed is
// ErrConflict.
func (s *Service) ExecutePlan(ctx context.Context, by *kernel.Principal, planID string) (*StoredPlan, error) {
	p, err := s.Plan(ctx, by, planID)
	if err != nil {
		return nil, err
	}
	switch p.Status {
	case PlanExecuted:
		return p, nil
	case PlanExecuting:
		return nil, kernel.Refuse(kernel.ErrConflict, "refusal_plan_executing", nil, "the plan is being executed")
	}
	now := s.now()
	if err := s.Store.StartExecution(ctx, p.ID, by.User.PublicID, now); err != nil {
		if errors.Is(err, kernel.ErrConflict) {
			return s.afterRace(ctx, by, planID)
		}
		return nil, err
	}
	// Detached from the request: once started, every line gets an outcome.
	ctx = context.WithoutCancel(ctx)
	var rep ExecutionReport
	for i := range p.Lines {
		l := &p.Lines[i]
		if l.Status != LinePlanned {
			continue
		}
		reasons, err := s.recheck(ctx, l)
		if err == nil && len(reasons) == 0 {
			var id string
			id, err = s.Sources.Allocate(ctx, by, l.SourceKind, l.SourceID, l.NeedID, l.AmountFen)
			if err == nil {
				l.Status, l.AllocationID = LineApplied, id
			}
		}
		var ref *RefusalError
		switch {
		case l.Status == LineApplied:
		case errors.As(err, &ref):
			reasons = ref.Reasons
		case errors.Is(err, kernel.ErrNotFound):
			reasons = []kernel.Ineligibility{{Code: "not_found", Message: "the need or the fund no longer exists"}}
		case err != nil:
			reasons = []kernel.Ineligibility{{Code: "error", Message: "the allocation failed; nothing was moved"}}
		}
		if l.Status != LineApplied {
			l.Status, l.Refusal = LineRefused, reasons
			rep.Refused++
		} else {
			rep.Applied++
			rep.AppliedFen += l.AmountFen
		}
		t := s.now()
		l.DoneAt = &t
		if err := s.Store.SaveLine(ctx, p.ID, l); err != nil {
			return nil, fmt.Errorf("matching: save plan line: %w", err)
		}
	}
	if err := s.Store.FinishExecution(ctx, p.ID, rep); err != nil {
		return nil, err
	}
	return s.Store.Plan(ctx, planID)
}

func (s *Service) afterRace(ctx context.Context, by *kernel.Principal, planID string) (*StoredPlan, error) {
	p, err := s.Plan(ctx, by, planID)
	if err != nil {
		return nil, err
	}
	if p.Status == PlanExecuted {
		return p, nil
	}
	return nil, kernel.Refuse(kernel.ErrConflict, "refusal_plan_executing", nil, "the plan is being executed")
}

// recheck applies the shared eligibility rule to a line as things are now,
// and the balance; the allocation checks it all again atomically.
func (s *Service) recheck(ctx context.Context, l *StoredLine) ([]kernel.Ineligibility, error) {
	n, err := s.Store.NeedRecord(ctx, l.NeedID)
	if err != nil {
		return nil, err
	}
	si, err := s.Sources.SourceInfo(ctx, l.SourceID)
	if err != nil {
		return nil, err
	}
	given, err := s.Store.Given(ctx, []string{l.SourceID}, []string{l.NeedID})
	if err != nil {
		return nil, err
	}
	g := given[GivenKey{l.SourceID, l.NeedID}]
	facts := n.Facts(s.now())
	var out []kernel.Ineligibility
	if !si.Running {
		out = append(out, kernel.Ineligibility{Code: "source_closed", Message: "the fund gives no money now"})
	}
	out = append(out, si.Restrictions.Fails(facts, g)...)
	if len(out) == 0 {
		if m := si.Restrictions.MaxFen(facts, g); l.AmountFen > m {
			out = append(out, kernel.Ineligibility{Code: "over_max", Message: fmt.Sprintf("at most %d fen may go to this need now, the line has %d", m, l.AmountFen)})
		}
	}
	if si.BalanceFen < l.AmountFen {
		out = append(out, kernel.Ineligibility{Code: "insufficient_funds", Message: fmt.Sprintf("the fund holds %d fen, the line needs %d", si.BalanceFen, l.AmountFen)})
	}
	return out, nil
}
