package stats

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
)

// Figures are the numbers of one row of a report. Counts of needs are
// counts of the moves of the need lifecycle recorded in the period (its
// events: a need funded, reopened and funded again counts twice, so that
// every figure adds up over months, places and categories). Money is in
// fen. The time limits on main are the clearance due date (counted in
// working days by kernel.Calendar when the need was posted) and each
// objection's due date.
type Figures struct {
	// Received: needs submitted (need.submit).
	Received int64 `json:"needs_received"`
	// Cleared, Rejected, Referred: clearance decisions (need.clearance) by outcome.
	Cleared  int64 `json:"needs_cleared"`
	Rejected int64 `json:"needs_rejected"`
	Referred int64 `json:"needs_referred"`
	// Published: needs put into public notice or opened at once (need.publish).
	Published int64 `json:"needs_published"`
	// Funded, Disbursed: needs whose money reached the requested amount,
	// and whose payments did (need.funded, need.disbursed).
	Funded    int64 `json:"needs_funded"`
	Disbursed int64 `json:"needs_disbursed"`
	// Closed: needs closed (need.close).
	Closed int64 `json:"needs_closed"`

	// RaisedFen: donations confirmed (pledges of donors, not the funds'
	// matching gifts), by the organization that received them.
	RaisedFen int64 `json:"raised_fen"`
	// AllocatedFen: money given to needs from funds and projects
	// (allocations and matching gifts), by the fund's organization.
	AllocatedFen int64 `json:"allocated_fen"`
	// PaidFen: money paid out of needs to providers and households
	// (disbursements), by the organization that paid.
	PaidFen int64 `json:"paid_fen"`

	// ClearanceDecided: clearance decisions on needs with a due date;
	// ClearanceOnTime: those made by it.
	ClearanceDecided int64 `json:"clearance_decided"`
	ClearanceOnTime  int64 `json:"clearance_on_time"`
	// ClearanceOverdue: needs still waiting for clearance past their due
	// date at the end of the period (or now, for the current one). It is a
	// count at a moment, not over the period.
	ClearanceOverdue int64 `json:"clearance_overdue"`
	// ObjectionsResolved: objections resolved; ObjectionsOnTime: those
	// resolved by their due date.
	ObjectionsResolved int64 `json:"objections_resolved"`
	ObjectionsOnTime   int64 `json:"objections_on_time"`

	// ReferralsMade: referrals (转介) to statutory programmes made in the
	// period; Open, Accepted, Closed: where those stand now.
	ReferralsMade     int64 `json:"referrals_made"`
	ReferralsOpen     int64 `json:"referrals_open"`
	ReferralsAccepted int64 `json:"referrals_accepted"`
	ReferralsClosed   int64 `json:"referrals_closed"`

	// StepsEnded: steps of cases (case_steps: a report's follow-up, the
	// clearance or the town's review and the county's approval, an
	// objection, the whole case) that ended in the period; StepsOnTime:
	// those ended by their due date (in working days, kernel.Calendar).
	StepsEnded  int64 `json:"steps_ended"`
	StepsOnTime int64 `json:"steps_on_time"`
	// StepsOverdue: steps open past their due date at the end of the
	// period (or now), a count at a moment like ClearanceOverdue.
	StepsOverdue int64 `json:"steps_overdue"`
}

// add adds the flows of g (every figure but the counts at a moment,
// ClearanceOverdue and StepsOverdue).
func (f *Figures) add(g Figures) {
	f.Received += g.Received
	f.Cleared += g.Cleared
	f.Rejected += g.Rejected
	f.Referred += g.Referred
	f.Published += g.Published
	f.Funded += g.Funded
	f.Disbursed += g.Disbursed
	f.Closed += g.Closed
	f.RaisedFen += g.RaisedFen
	f.AllocatedFen += g.AllocatedFen
	f.PaidFen += g.PaidFen
	f.ClearanceDecided += g.ClearanceDecided
	f.ClearanceOnTime += g.ClearanceOnTime
	f.ObjectionsResolved += g.ObjectionsResolved
	f.ObjectionsOnTime += g.ObjectionsOnTime
	f.ReferralsMade += g.ReferralsMade
	f.ReferralsOpen += g.ReferralsOpen
	f.ReferralsAccepted += g.ReferralsAccepted
	f.ReferralsClosed += g.ReferralsClosed
	f.StepsEnded += g.StepsEnded
	f.StepsOnTime += g.StepsOnTime
}

// addMoments adds the counts at a moment of g (ClearanceOverdue,
// StepsOverdue).
func (f *Figures) addMoments(g Figures) {
	f.ClearanceOverdue += g.ClearanceOverdue
	f.StepsOverdue += g.StepsOverdue
}

// withoutMoney is f with its money cleared (money an area does not show).
func (f Figures) withoutMoney() Figures {
	f.RaisedFen, f.AllocatedFen, f.PaidFen = 0, 0, 0
	return f
}

// Zero reports whether every figure is zero.
func (f Figures) Zero() bool { return f == Figures{} }

// ClearanceOnTimePct is the share of clearance decisions made in time, in
// tenths of a percent (985 is 98.5 %), rounded down; -1 when none was made.
func (f Figures) ClearanceOnTimePct() int64 { return permille(f.ClearanceOnTime, f.ClearanceDecided) }

// ObjectionsOnTimePct is the share of objections resolved in time, as
// ClearanceOnTimePct.
func (f Figures) ObjectionsOnTimePct() int64 {
	return permille(f.ObjectionsOnTime, f.ObjectionsResolved)
}

// StepsOnTimePct is the share of steps ended in time, as ClearanceOnTimePct.
func (f Figures) StepsOnTimePct() int64 { return permille(f.StepsOnTime, f.StepsEnded) }

func permille(part, whole int64) int64 {
	if whole <= 0 {
		return -1
	}
	return part * 1000 / whole
}

// FormatPermille writes a share in tenths of a percent as "98.5%", and a
// missing one (-1) as "".
func FormatPermille(v int64) string {
	if v < 0 {
		return ""
	}
	return strconv.FormatInt(v/10, 10) + "." + strconv.FormatInt(v%10, 10) + "%"
}

// Cell is the figures of one month (Bucket, the index of the month in the
// period), place (Region: a need's region code for the needs and the money
// given and paid to them, the receiving organization's for money raised),
// category ("" for money raised), organization (OrgID: the posting
// organization of the needs, the organization of the money) and programme
// (referrals only).
type Cell struct {
	Bucket    int
	Region    string
	Category  kernel.Category
	OrgID     int64
	Programme kernel.Programme
	// Step is the kind of a case step (the step figures only).
	Step marketplace.StepKind
	Figures
}

// Org is an organization as reports name it.
type Org struct {
	ID         int64
	PublicID   string
	Name       string
	Kind       kernel.OrgKind
	RegionCode string
}

// Store reads the cells of the statistics; it writes nothing.
type Store interface {
	// Cells returns the flows between bounds[0] and bounds[len-1], in
	// cells, bucket i holding [bounds[i], bounds[i+1]): the needs whose
	// region code starts with regionPrefix and the money given and paid
	// to them, and the money raised by organizations whose region code
	// starts with it. Cells with nothing in them are left out; ClearanceOverdue
	// is not set.
	Cells(ctx context.Context, regionPrefix string, bounds []time.Time) ([]Cell, error)
	// Overdue returns, in cells of bucket 0, the counts at the instant at:
	// the needs of the region still waiting for clearance past their due
	// date (posted before it, due before it, and not out of submitted by
	// it: decided, rejected at a town's review or withdrawn) in
	// ClearanceOverdue, and the case steps open past their due date
	// (started and due before it, not ended by it) in StepsOverdue, by
	// step.
	Overdue(ctx context.Context, regionPrefix string, at time.Time) ([]Cell, error)
	// Orgs names the organizations with these row ids; unknown ids are left out.
	Orgs(ctx context.Context, ids []int64) (map[int64]Org, error)

	CountyStore
}

// Service answers the statistics to those who may read them.
type Service struct {
	Store     Store
	Divisions *kernel.Divisions
	Now       func() time.Time
	// XLSX writes the .xlsx export (stats/statxlsx); nil refuses that format.
	XLSX NewWorkbook
}

// Query is what a report is asked for: a period and a region (a division
// code or prefix as kernel.Divisions.ParseRegionFilter reads it; "" for
// the caller's first area).
type Query struct {
	Period Period
	Region string
}

// Row is one line of a report's breakdown: Key is the region code, the
// month (2026-11), the category, the organization's public id or the
// programme; Name its Chinese name.
type Row struct {
	Key  string `json:"key"`
	Name string `json:"name"`
	// Self marks the line of a region itself in its breakdown by the places
	// under it: needs and organizations recorded at the region's own level
	// or under no place below it.
	Self bool `json:"self,omitempty"`
	// Kind is an organization's kind (by organization only).
	Kind kernel.OrgKind `json:"kind,omitempty"`
	Figures
}

// Report is the statistics of a period and a region.
type Report struct {
	Period Period
	// From and To bound the period (To excluded); AsOf is when the counts
	// at a moment (ClearanceOverdue, the referrals' outcomes) were taken:
	// the period's end, or now while it runs.
	From, To, AsOf time.Time
	Region         string
	RegionName     string
	// Parents are the regions above Region within the caller's area, from
	// the coarsest, for a breadcrumb.
	Parents []Row
	// MoneyOf is the one organization whose money the report shows (see
	// Area.Org); nil when it shows all money of the region.
	MoneyOf *kernel.Org
	Total   Figures
	// Regions is Total by the places directly under Region (towns of a
	// county, counties of a city), then Region itself (Self) when anything
	// was recorded at its own level; empty for a town.
	Regions []Row
	// Months is Total by month, for a year.
	Months     []Row
	Categories []Row
	Orgs       []Row
	// Programmes holds the referrals by statutory programme.
	Programmes []Row
	// Steps holds the time limits of the case steps, by step.
	Steps []Row
}

// Report returns the statistics q asks for, within by's areas (Areas):
// ErrForbidden when by has none or q's region is outside them,
// *kernel.ValidationError for a bad period or region.
func (s *Service) Report(ctx context.Context, by *kernel.Principal, q Query) (*Report, error) {
	areas := Areas(s.Divisions, by)
	if len(areas) == 0 {
		return nil, kernel.Refuse(kernel.ErrForbidden, "refusal_stats_no_area", nil,
			"statistics are read by verifiers of civil affairs offices and by staff and auditors of organizations")
	}
	if !q.Period.Valid() {
		return nil, kernel.Invalid("period", "must be a month (2026-11) or a year (2026) between %d and %d", MinYear, MaxYear)
	}
	prefix := areas[0].Prefix
	if q.Region != "" {
		p, err := s.Divisions.ParseRegionFilter(q.Region)
		if err != nil {
			return nil, err
		}
		prefix = p
	}
	area, ok := areaFor(areas, prefix)
	if !ok {
		return nil, kernel.Refuse(kernel.ErrForbidden, "refusal_stats_region", nil,
			"this region is outside the regions of your organizations")
	}
	code := codeOf(prefix)
	r := &Report{Period: q.Period, From: q.Period.Start(), To: q.Period.End(), Region: code, RegionName: s.Divisions.Name(code), MoneyOf: area.Org}
	r.AsOf = r.To
	if now := s.Now(); now.Before(r.AsOf) {
		r.AsOf = now
	}
	for _, a := range s.Divisions.Ancestors(code) {
		if area.Contains(s.Divisions.Prefix(a)) {
			r.Parents = append(r.Parents, Row{Key: a, Name: s.Divisions.Name(a)})
		}
	}

	bounds := q.Period.Bounds()
	flows, err := s.Store.Cells(ctx, prefix, bounds)
	if err != nil {
		return nil, fmt.Errorf("stats: report: %w", err)
	}
	// The counts at a moment: at the period's end (or now) for the whole
	// and its breakdowns, at each month's end for the months begun.
	whole, err := s.Store.Overdue(ctx, prefix, r.AsOf.UTC())
	if err != nil {
		return nil, fmt.Errorf("stats: report: %w", err)
	}
	monthly := map[int]Figures{}
	if q.Period.IsYear() {
		for i, m := range q.Period.Months() {
			if !m.Start().Before(r.AsOf) {
				break
			}
			at := m.End()
			if r.AsOf.Before(at) {
				at = r.AsOf
			}
			cs, err := s.Store.Overdue(ctx, prefix, at.UTC())
			if err != nil {
				return nil, fmt.Errorf("stats: report: %w", err)
			}
			m := monthly[i]
			for _, c := range cs {
				m.addMoments(c.Figures)
			}
			monthly[i] = m
		}
	}
	for i := range flows {
		if !area.MoneyOf(flows[i].OrgID) {
			flows[i].Figures = flows[i].withoutMoney()
		}
	}
	if err := s.rollUp(ctx, r, flows, whole, monthly); err != nil {
		return nil, err
	}
	return r, nil
}

// rollUp sums the cells into r's total and breakdowns: the flows, the
// needs overdue at the period's end (whole) and at each month's end
// (monthly, by month index).
func (s *Service) rollUp(ctx context.Context, r *Report, flows, whole []Cell, monthly map[int]Figures) error {
	d := s.Divisions
	children := d.Children(r.Region)
	byRegion := make([]Row, len(children))
	for i, c := range children {
		byRegion[i] = Row{Key: c, Name: d.Name(c)}
	}
	self := Row{Key: r.Region, Name: r.RegionName, Self: true}
	regionRow := func(code string) *Row {
		for i, c := range children {
			if strings.HasPrefix(code, d.Prefix(c)) {
				return &byRegion[i]
			}
		}
		return &self
	}
	months := r.Period.Months()
	byMonth := make([]Row, len(months))
	for i, m := range months {
		mf := monthly[i]
		byMonth[i] = Row{Key: m.String(), Name: m.String(), Figures: Figures{ClearanceOverdue: mf.ClearanceOverdue, StepsOverdue: mf.StepsOverdue}}
	}
	byCat := map[kernel.Category]*Row{}
	byOrg := map[int64]*Row{}
	byProg := map[kernel.Programme]*Row{}
	bySt := map[marketplace.StepKind]*Row{}
	stepRow := func(k marketplace.StepKind) *Row {
		if bySt[k] == nil {
			bySt[k] = &Row{Key: string(k), Name: stepNames[k]}
			if bySt[k].Name == "" {
				bySt[k].Name = string(k)
			}
		}
		return bySt[k]
	}
	catRow := func(c kernel.Category) *Row {
		if byCat[c] == nil {
			byCat[c] = &Row{Key: string(c), Name: kernel.CategoryLabels[c].Zh}
		}
		return byCat[c]
	}

	for _, c := range flows {
		if c.Bucket < 0 || c.Bucket >= len(byMonth) {
			return fmt.Errorf("stats: report: a cell of month %d outside the period's %d", c.Bucket, len(byMonth))
		}
		f := c.Figures
		r.Total.add(f)
		regionRow(c.Region).add(f)
		byMonth[c.Bucket].add(f)
		if c.Category != "" {
			catRow(c.Category).add(f)
		}
		if c.OrgID != 0 && !f.Zero() {
			if byOrg[c.OrgID] == nil {
				byOrg[c.OrgID] = &Row{}
			}
			byOrg[c.OrgID].add(f)
		}
		if c.Programme != "" {
			if byProg[c.Programme] == nil {
				byProg[c.Programme] = &Row{Key: string(c.Programme), Name: programmeName(c.Programme)}
			}
			byProg[c.Programme].add(f)
		}
		if c.Step != "" {
			stepRow(c.Step).add(f)
		}
	}
	for _, c := range whole {
		f := c.Figures
		r.Total.addMoments(f)
		regionRow(c.Region).addMoments(f)
		if c.Category != "" {
			catRow(c.Category).addMoments(f)
		}
		if c.OrgID != 0 {
			if byOrg[c.OrgID] == nil {
				byOrg[c.OrgID] = &Row{}
			}
			byOrg[c.OrgID].addMoments(f)
		}
		if c.Step != "" {
			stepRow(c.Step).addMoments(f)
		}
	}
	if !r.Period.IsYear() {
		byMonth[0].ClearanceOverdue, byMonth[0].StepsOverdue = r.Total.ClearanceOverdue, r.Total.StepsOverdue
	}

	if len(children) > 0 {
		r.Regions = byRegion
		if !self.Figures.Zero() {
			r.Regions = append(r.Regions, self)
		}
	}
	if r.Period.IsYear() {
		r.Months = byMonth
	}
	for _, c := range kernel.Categories {
		r.Categories = append(r.Categories, *catRow(c))
	}
	for _, c := range sortedKeys(byCat) {
		if !slices.Contains(kernel.Categories, c) {
			r.Categories = append(r.Categories, *byCat[c])
		}
	}
	for _, p := range sortedKeys(byProg) {
		r.Programmes = append(r.Programmes, *byProg[p])
	}
	for _, k := range marketplace.StepKinds {
		if row := bySt[k]; row != nil {
			r.Steps = append(r.Steps, *row)
			delete(bySt, k)
		}
	}
	for _, k := range sortedKeys(bySt) {
		r.Steps = append(r.Steps, *bySt[k])
	}
	if len(byOrg) > 0 {
		ids := make([]int64, 0, len(byOrg))
		for id := range byOrg {
			ids = append(ids, id)
		}
		names, err := s.Store.Orgs(ctx, ids)
		if err != nil {
			return fmt.Errorf("stats: report: %w", err)
		}
		for id, row := range byOrg {
			o := names[id]
			row.Key, row.Name, row.Kind = o.PublicID, o.Name, o.Kind
			r.Orgs = append(r.Orgs, *row)
		}
		sort.Slice(r.Orgs, func(i, j int) bool {
			if r.Orgs[i].Name != r.Orgs[j].Name {
				return r.Orgs[i].Name < r.Orgs[j].Name
			}
			return r.Orgs[i].Key < r.Orgs[j].Key
		})
	}
	return nil
}

// stepNames are the Chinese names of the case steps, as the pages say them.
var stepNames = map[marketplace.StepKind]string{
	marketplace.StepReportFollowUp: "报告跟进", marketplace.StepClearance: "审核确认", marketplace.StepTownReview: "乡镇审核",
	marketplace.StepCountyApproval: "县级审批", marketplace.StepObjection: "异议核查", marketplace.StepCase: "办结时限",
}

// programmeName is a programme's Chinese name, or its code for one the
// record holds under its own name.
func programmeName(p kernel.Programme) string {
	if l, ok := kernel.ProgrammeLabels[p]; ok {
		return l.Zh
	}
	return string(p)
}

func sortedKeys[K ~string, V any](m map[K]V) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
