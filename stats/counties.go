package stats

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
)

// CountyStore reads what a federation sees of the counties under it, and
// which needs are in public notice in a place.
type CountyStore interface {
	// NeedTotals sums the needs whose region code starts with regionPrefix
	// by county (the first 6 digits of the code) and status as it is at
	// now (a need in notice whose notice has ended is open).
	NeedTotals(ctx context.Context, regionPrefix string, now time.Time) ([]NeedTotal, error)
	// SourceTotals sums the funds and projects of organizations whose
	// region code starts with regionPrefix, by the organization's region.
	SourceTotals(ctx context.Context, regionPrefix string) ([]SourceTotal, error)
	// Sources lists those funds and projects, by name.
	Sources(ctx context.Context, regionPrefix string) ([]SourceLine, error)
	// Needs lists the latest limit needs of the region, newest first, and
	// how many there are in all.
	Needs(ctx context.Context, regionPrefix string, now time.Time, limit int) ([]NeedLine, int, error)
	// NoticeNeeds returns the public ids of the needs of the region in
	// public notice at now that are public (published with the
	// household's consent: marketplace.PublicNeedStore shows them), in
	// the order they were published, at most limit.
	NoticeNeeds(ctx context.Context, regionPrefix string, now time.Time, limit int) ([]string, error)
}

// NeedTotal is the needs of one county in one status.
type NeedTotal struct {
	County       string
	Status       kernel.NeedStatus
	Needs        int64
	RequestedFen int64
	FundedFen    int64
	DisbursedFen int64
}

// SourceTotal is the funds or projects of the organizations of one region.
type SourceTotal struct {
	Region     string
	Sources    int64
	BalanceFen int64
}

// SourceLine is one fund or project.
type SourceLine struct {
	PublicID   string
	Kind       string // fund | project
	Name       string
	Status     string
	OrgName    string
	OrgRegion  string
	BalanceFen int64
}

// NeedLine is what a federation's view shows of a need: never an identity
// or private text; the public title only when the need is public.
type NeedLine struct {
	PublicID     string
	Status       kernel.NeedStatus
	Category     kernel.Category
	Urgency      kernel.Urgency
	RegionCode   string
	OrgName      string
	RequestedFen int64
	FundedFen    int64
	DisbursedFen int64
	SubmittedAt  *time.Time
	// Public: the need is on the public pages (Title is its public title).
	Public bool
	Title  string
}

// CountyRow is one county of a federation's region, with its needs and
// its organizations' funds now.
type CountyRow struct {
	Code, Name string
	// Self marks the line of what is recorded at the federation's own
	// level (a city's own organizations, needs coded to the city).
	Self bool
	// Needs counts every need; the others count by status.
	Needs, InReview, InNotice, Open, Funded, Closed, Ended int64
	// Money of the needs that were published (notice and after).
	RequestedFen, FundedFen, DisbursedFen int64
	Sources                               int64
	BalanceFen                            int64
}

// CountyView is a charity federation's view of the counties under it.
type CountyView struct {
	Region, RegionName string
	Counties           []CountyRow
	Total              CountyRow
}

// Counties returns the view of the region of one of by's federations
// (FederationAreas): region "" for the first. ErrNotFound for a region
// outside them (the view says nothing of other places).
func (s *Service) Counties(ctx context.Context, by *kernel.Principal, region string) (*CountyView, error) {
	area, err := s.federationArea(by, region)
	if err != nil {
		return nil, err
	}
	d := s.Divisions
	v := &CountyView{Region: area.Region, RegionName: d.FullName(area.Region)}
	counties := s.countiesUnder(area.Region)
	rows := make([]CountyRow, len(counties))
	index := map[string]int{}
	for i, c := range counties {
		rows[i] = CountyRow{Code: c, Name: d.Name(c)}
		index[c] = i
	}
	self := CountyRow{Code: area.Region, Name: d.Name(area.Region), Self: true}
	rowOf := func(code string) *CountyRow {
		if len(code) >= 6 {
			if i, ok := index[code[:6]]; ok {
				return &rows[i]
			}
		}
		return &self
	}
	now := s.Now()
	needs, err := s.Store.NeedTotals(ctx, area.Prefix, now.UTC())
	if err != nil {
		return nil, fmt.Errorf("stats: counties: %w", err)
	}
	for _, t := range needs {
		r := rowOf(t.County)
		r.addNeeds(t)
		v.Total.addNeeds(t)
	}
	sources, err := s.Store.SourceTotals(ctx, area.Prefix)
	if err != nil {
		return nil, fmt.Errorf("stats: counties: %w", err)
	}
	for _, t := range sources {
		r := rowOf(t.Region)
		r.Sources += t.Sources
		r.BalanceFen += t.BalanceFen
		v.Total.Sources += t.Sources
		v.Total.BalanceFen += t.BalanceFen
	}
	v.Counties = rows
	if self != (CountyRow{Code: self.Code, Name: self.Name, Self: true}) {
		v.Counties = append(v.Counties, self)
	}
	return v, nil
}

func (r *CountyRow) addNeeds(t NeedTotal) {
	r.Needs += t.Needs
	switch t.Status {
	case kernel.NeedSubmitted, kernel.NeedCleared, kernel.NeedDraft:
		r.InReview += t.Needs
	case kernel.NeedNotice:
		r.InNotice += t.Needs
	case kernel.NeedOpen:
		r.Open += t.Needs
	case kernel.NeedFunded, kernel.NeedDisbursed:
		r.Funded += t.Needs
	case kernel.NeedClosed:
		r.Closed += t.Needs
	default: // rejected, referred, withdrawn, suspended
		r.Ended += t.Needs
	}
	switch t.Status {
	case kernel.NeedNotice, kernel.NeedOpen, kernel.NeedFunded, kernel.NeedDisbursed, kernel.NeedClosed, kernel.NeedSuspended:
		r.RequestedFen += t.RequestedFen
		r.FundedFen += t.FundedFen
		r.DisbursedFen += t.DisbursedFen
	}
}

// countiesUnder lists the counties of a region: itself for a county or a
// town's county, the counties of a city, those of every city of a province
// (and the counties directly under it).
func (s *Service) countiesUnder(code string) []string {
	d := s.Divisions
	switch d.Level(code) {
	case kernel.LevelCounty:
		return []string{code}
	case kernel.LevelTown:
		return []string{d.Parent(code)}
	}
	var out []string
	for _, c := range d.Children(code) {
		if d.Level(c) == kernel.LevelCounty {
			out = append(out, c)
			continue
		}
		out = append(out, s.countiesUnder(c)...)
	}
	return out
}

// CountyDetail is one county as a federation above it sees it, read-only:
// the funds and projects of its organizations, and its needs.
type CountyDetail struct {
	Code, Name, FullName string
	Sources              []SourceLine
	Needs                []NeedLine
	// NeedsTotal counts all the county's needs; Needs holds the latest.
	NeedsTotal int
}

// MaxCountyNeeds is how many needs CountyDetail lists.
const MaxCountyNeeds = 200

// County returns a county under one of by's federations; ErrNotFound for
// any other code (another city's county, a code that is no county).
func (s *Service) County(ctx context.Context, by *kernel.Principal, code string) (*CountyDetail, error) {
	d := s.Divisions
	if d.Level(code) != kernel.LevelCounty {
		return nil, fmt.Errorf("stats: county %q: %w", code, kernel.ErrNotFound)
	}
	covered := false
	for _, a := range FederationAreas(d, by) {
		if strings.HasPrefix(code, a.Prefix) {
			covered = true
		}
	}
	if !covered {
		return nil, fmt.Errorf("stats: county %q: %w", code, kernel.ErrNotFound)
	}
	out := &CountyDetail{Code: code, Name: d.Name(code), FullName: d.FullName(code)}
	var err error
	if out.Sources, err = s.Store.Sources(ctx, code); err != nil {
		return nil, fmt.Errorf("stats: county: %w", err)
	}
	if out.Needs, out.NeedsTotal, err = s.Store.Needs(ctx, code, s.Now().UTC(), MaxCountyNeeds); err != nil {
		return nil, fmt.Errorf("stats: county: %w", err)
	}
	return out, nil
}

// federationArea is the federation area of by for region ("" for the
// first), or ErrNotFound.
func (s *Service) federationArea(by *kernel.Principal, region string) (Area, error) {
	areas := FederationAreas(s.Divisions, by)
	for _, a := range areas {
		if region == "" || region == a.Region {
			return a, nil
		}
	}
	return Area{}, fmt.Errorf("stats: federation region: %w", kernel.ErrNotFound)
}

// MaxNoticeNeeds bounds a printed batch of notices.
const MaxNoticeNeeds = 500

// NoticeNeeds returns the public ids of the public needs in notice in a
// place (a county, a town or a village code) for a verifier of a civil
// affairs office covering it (marketplace.CoveringVerifier's rule):
// ErrForbidden for a place outside their offices, a *kernel.ValidationError
// for a code that names no place.
func (s *Service) NoticeNeeds(ctx context.Context, by *kernel.Principal, region string) ([]string, error) {
	prefix, err := s.Divisions.ParseRegionFilter(region)
	if err != nil {
		return nil, err
	}
	covered := false
	for _, p := range marketplace.VerifierRegions(s.Divisions, by) {
		if p != "" && strings.HasPrefix(prefix, p) {
			covered = true
		}
	}
	if !covered {
		return nil, kernel.Refuse(kernel.ErrForbidden, "refusal_notice_region", nil, "this place is outside the regions of your civil affairs offices")
	}
	ids, err := s.Store.NoticeNeeds(ctx, prefix, s.Now().UTC(), MaxNoticeNeeds)
	if err != nil {
		return nil, fmt.Errorf("stats: notices: %w", err)
	}
	return ids, nil
}
