package gormstore

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"gorm.io/gorm"

	mgorm "github.com/jiujinan/jiujinan/marketplace/gormstore"
	"github.com/jiujinan/jiujinan/matching"
	"github.com/jiujinan/jiujinan/sqldb"
)

// Matches implements matching.MatchStore: reads of needs and allocations
// for ranking, and the allocation plans.
type Matches struct {
	db *gorm.DB
}

// NewMatches returns the matching store over db.
func NewMatches(db *sqldb.DB) *Matches { return &Matches{db: db.Gorm} }

var _ matching.MatchStore = (*Matches)(nil)

type matchNeedRow struct {
	PublicID         string
	OrgID            int64
	Status           string
	NoticeEndsAt     *time.Time
	Category         string
	Urgency          string
	RegionCode       string
	PublicRegionCode string
	AgeBand          string
	HouseholdTypes   string
	RequestedFen     int64
	FundedFen        int64
	ServiceNeeds     string
	Deadline         *time.Time
	PublishedAt      *time.Time
	ConsentPublic    bool
	ScreeningResult  string
	BlockOverride    bool
	Pseudonym        string
}

const matchNeedColumns = "public_id, org_id, status, notice_ends_at, category, urgency, region_code, public_region_code, age_band, household_types, requested_fen, funded_fen, service_needs, deadline, published_at, consent_public, screening_result, block_override, pseudonym"

func splitCodes[T ~string](s string) []T {
	var out []T
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, T(p))
		}
	}
	return out
}

func utcp(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func (r *matchNeedRow) record() matching.NeedRecord {
	return matching.NeedRecord{ID: r.PublicID, OrgID: r.OrgID, Status: kernel.NeedStatus(r.Status), NoticeEndsAt: utcp(r.NoticeEndsAt),
		Category: kernel.Category(r.Category), Urgency: kernel.Urgency(r.Urgency), RegionCode: r.RegionCode,
		PublicRegionCode: r.PublicRegionCode, AgeBand: kernel.AgeBand(r.AgeBand), HouseholdTypes: splitCodes[kernel.HouseholdType](r.HouseholdTypes),
		RequestedFen: r.RequestedFen, FundedFen: r.FundedFen, ServiceNeeds: splitCodes[kernel.Service](r.ServiceNeeds),
		Deadline: utcp(r.Deadline), PublishedAt: utcp(r.PublishedAt), ConsentPublic: r.ConsentPublic, Screening: kernel.ScreeningOutcome(r.ScreeningResult), BlockOverride: r.BlockOverride,
		Person: r.Pseudonym}
}

// OpenNeeds implements matching.MatchStore.
func (s *Matches) OpenNeeds(ctx context.Context) ([]matching.NeedRecord, error) {
	var rows []matchNeedRow
	if err := s.db.WithContext(ctx).Table("needs").Select(matchNeedColumns).
		Where("status IN ?", []string{string(kernel.NeedOpen), string(kernel.NeedNotice)}).Order("id").Find(&rows).Error; err != nil {
		return nil, mgorm.MapError(err)
	}
	out := make([]matching.NeedRecord, len(rows))
	for i := range rows {
		out[i] = rows[i].record()
	}
	return out, nil
}

// NeedRecord implements matching.MatchStore.
func (s *Matches) NeedRecord(ctx context.Context, publicID string) (*matching.NeedRecord, error) {
	var rows []matchNeedRow
	if err := s.db.WithContext(ctx).Table("needs").Select(matchNeedColumns).Where("public_id = ?", publicID).Limit(1).Find(&rows).Error; err != nil {
		return nil, mgorm.MapError(err)
	}
	if len(rows) == 0 {
		return nil, kernel.ErrNotFound
	}
	r := rows[0].record()
	return &r, nil
}

// Given implements matching.MatchStore: for each need asked for (every
// need when needIDs is empty), what each source gave the need's person —
// every need with the same pseudonym, this one included — as funds' own
// check counts it (funds.Tx.GivenFen): the money of the source's
// allocations and matching gifts (配捐) those needs hold, their lots in
// need_lots, less what went back.
func (s *Matches) Given(ctx context.Context, sourceIDs, needIDs []string) (map[matching.GivenKey]int64, error) {
	type row struct {
		SourceID string
		NeedID   string
		Fen      int64
	}
	// n is the need asked for, pn every need of the same person (n itself
	// included), l the money of a source pn holds.
	q := s.db.WithContext(ctx).Table("need_lots l").
		Select("fs.public_id AS source_id, n.public_id AS need_id, SUM(l.amount_fen) AS fen").
		Joins("JOIN fund_sources fs ON fs.id = l.source_id").
		Joins("JOIN needs pn ON pn.id = l.need_id").
		Joins("JOIN needs n ON n.pseudonym = pn.pseudonym").
		Where("l.source_id IS NOT NULL AND l.amount_fen > 0")
	if len(sourceIDs) > 0 {
		q = q.Where("fs.public_id IN ?", sourceIDs)
	}
	if len(needIDs) > 0 {
		q = q.Where("n.public_id IN ?", needIDs)
	}
	var rows []row
	if err := q.Group("fs.public_id, n.public_id").Scan(&rows).Error; err != nil {
		return nil, mgorm.MapError(err)
	}
	out := map[matching.GivenKey]int64{}
	for _, r := range rows {
		out[matching.GivenKey{SourceID: r.SourceID, NeedID: r.NeedID}] += r.Fen
	}
	return out, nil
}

type planRow struct {
	ID                int64 `gorm:"primaryKey"`
	PublicID          string
	OrgID             int64
	FundID            string
	SourceIDs         string
	MaxNeeds          int
	Status            string
	NeedsFullyFunded  int
	NeedsPartlyFunded int
	AllocatedFen      int64
	MoneyLeftFen      int64
	UrgencyCovered    int64
	UpperBound        int64
	GreedyCovered     int64
	CreatedBy         string
	CreatedAt         time.Time
	ExecutedBy        string
	ExecutedAt        *time.Time
	AppliedLines      int
	RefusedLines      int
	AppliedFen        int64
}

func (planRow) TableName() string { return "plans" }

type planLineRow struct {
	ID           int64 `gorm:"primaryKey"`
	PlanID       int64
	Seq          int
	SourceKind   string
	SourceID     string
	NeedID       string
	AmountFen    int64
	Weight       int64
	Reasons      string
	Status       string
	AllocationID string
	Refusal      string
	DoneAt       *time.Time
}

func (planLineRow) TableName() string { return "plan_lines" }

// InsertPlan implements matching.MatchStore.
func (s *Matches) InsertPlan(ctx context.Context, p *matching.StoredPlan) error {
	return mgorm.MapError(s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		t := p.Totals
		r := planRow{PublicID: p.PublicID, OrgID: p.OrgID, FundID: p.FundID, SourceIDs: strings.Join(p.SourceIDs, ","), MaxNeeds: p.MaxNeeds,
			Status: string(p.Status), NeedsFullyFunded: t.NeedsFullyFunded, NeedsPartlyFunded: t.NeedsPartlyFunded, AllocatedFen: t.AllocatedFen,
			MoneyLeftFen: t.MoneyLeftFen, UrgencyCovered: t.UrgencyCovered, UpperBound: t.UpperBound, GreedyCovered: p.GreedyCovered,
			CreatedBy: p.CreatedBy, CreatedAt: p.CreatedAt}
		if err := tx.Create(&r).Error; err != nil {
			return err
		}
		p.ID = r.ID
		rows := make([]planLineRow, 0, len(p.Lines))
		for _, l := range p.Lines {
			reasons, err := json.Marshal(l.Reasons)
			if err != nil {
				return err
			}
			rows = append(rows, planLineRow{PlanID: r.ID, Seq: l.Seq, SourceKind: l.SourceKind, SourceID: l.SourceID, NeedID: l.NeedID,
				AmountFen: l.AmountFen, Weight: l.Weight, Reasons: string(reasons), Status: string(l.Status)})
		}
		if len(rows) > 0 {
			if err := tx.CreateInBatches(rows, 500).Error; err != nil {
				return err
			}
			for i := range rows {
				p.Lines[i].ID = rows[i].ID
			}
		}
		return nil
	}))
}

// Plan implements matching.MatchStore.
func (s *Matches) Plan(ctx context.Context, publicID string) (*matching.StoredPlan, error) {
	var r planRow
	if err := s.db.WithContext(ctx).Where("public_id = ?", publicID).Take(&r).Error; err != nil {
		return nil, mgorm.MapError(err)
	}
	var lines []planLineRow
	if err := s.db.WithContext(ctx).Where("plan_id = ?", r.ID).Order("seq").Find(&lines).Error; err != nil {
		return nil, mgorm.MapError(err)
	}
	p := &matching.StoredPlan{ID: r.ID, PublicID: r.PublicID, OrgID: r.OrgID, FundID: r.FundID, SourceIDs: splitCodes[string](r.SourceIDs),
		MaxNeeds: r.MaxNeeds, Status: matching.PlanStatus(r.Status), GreedyCovered: r.GreedyCovered, CreatedBy: r.CreatedBy,
		CreatedAt: r.CreatedAt.UTC(), ExecutedBy: r.ExecutedBy, ExecutedAt: utcp(r.ExecutedAt), Lines: make([]matching.StoredLine, 0, len(lines)),
		Totals: matching.PlanTotals{NeedsFullyFunded: r.NeedsFullyFunded, NeedsPartlyFunded: r.NeedsPartlyFunded, AllocatedFen: r.AllocatedFen,
			MoneyLeftFen: r.MoneyLeftFen, UrgencyCovered: r.UrgencyCovered, UpperBound: r.UpperBound}}
	if r.UpperBound > 0 {
		p.Totals.Gap = 1 - float64(r.UrgencyCovered)/float64(r.UpperBound)
	}
	if p.Status == matching.PlanExecuted {
		p.Report = &matching.ExecutionReport{Applied: r.AppliedLines, Refused: r.RefusedLines, AppliedFen: r.AppliedFen}
	}
	for _, l := range lines {
		sl := matching.StoredLine{ID: l.ID, Seq: l.Seq, SourceKind: l.SourceKind, SourceID: l.SourceID, NeedID: l.NeedID, AmountFen: l.AmountFen,
			Weight: l.Weight, Status: matching.LineStatus(l.Status), AllocationID: l.AllocationID, DoneAt: utcp(l.DoneAt)}
		if err := json.Unmarshal([]byte(l.Reasons), &sl.Reasons); err != nil {
			return nil, err
		}
		if l.Refusal != "" {
			if err := json.Unmarshal([]byte(l.Refusal), &sl.Refusal); err != nil {
				return nil, err
			}
		}
		p.Lines = append(p.Lines, sl)
	}
	return p, nil
}

// Plans implements matching.MatchStore.
func (s *Matches) Plans(ctx context.Context, orgIDs []int64, limit int) ([]matching.StoredPlan, error) {
	var rows []planRow
	if err := s.db.WithContext(ctx).Where("org_id IN ?", orgIDs).Order("id DESC").Limit(limit).Find(&rows).Error; err != nil {
		return nil, mgorm.MapError(err)
	}
	out := make([]matching.StoredPlan, 0, len(rows))
	for _, r := range rows {
		p := matching.StoredPlan{ID: r.ID, PublicID: r.PublicID, OrgID: r.OrgID, FundID: r.FundID, SourceIDs: splitCodes[string](r.SourceIDs),
			MaxNeeds: r.MaxNeeds, Status: matching.PlanStatus(r.Status), GreedyCovered: r.GreedyCovered, CreatedBy: r.CreatedBy,
			CreatedAt: r.CreatedAt.UTC(), ExecutedBy: r.ExecutedBy, ExecutedAt: utcp(r.ExecutedAt),
			Totals: matching.PlanTotals{NeedsFullyFunded: r.NeedsFullyFunded, NeedsPartlyFunded: r.NeedsPartlyFunded, AllocatedFen: r.AllocatedFen,
				MoneyLeftFen: r.MoneyLeftFen, UrgencyCovered: r.UrgencyCovered, UpperBound: r.UpperBound}}
		if p.Status == matching.PlanExecuted {
			p.Report = &matching.ExecutionReport{Applied: r.AppliedLines, Refused: r.RefusedLines, AppliedFen: r.AppliedFen}
		}
		out = append(out, p)
	}
	return out, nil
}

// StartExecution implements matching.MatchStore: a conditional update, so
// that of two concurrent executions exactly one starts.
func (s *Matches) StartExecution(ctx context.Context, planID int64, by string, at time.Time) error {
	res := s.db.WithContext(ctx).Model(&planRow{}).Where("id = ? AND status = ?", planID, string(matching.PlanPlanned)).
		Updates(map[string]any{"status": string(matching.PlanExecuting), "executed_by": by, "executed_at": at})
	if res.Error != nil {
		return mgorm.MapError(res.Error)
	}
	if res.RowsAffected != 1 {
		return kernel.ErrConflict
	}
	return nil
}

// SaveLine implements matching.MatchStore.
func (s *Matches) SaveLine(ctx context.Context, planID int64, l *matching.StoredLine) error {
	refusal := ""
	if len(l.Refusal) > 0 {
		b, err := json.Marshal(l.Refusal)
		if err != nil {
			return err
		}
		refusal = string(b)
	}
	res := s.db.WithContext(ctx).Model(&planLineRow{}).Where("plan_id = ? AND seq = ?", planID, l.Seq).
		Updates(map[string]any{"status": string(l.Status), "allocation_id": l.AllocationID, "refusal": refusal, "done_at": l.DoneAt})
	if res.Error != nil {
		return mgorm.MapError(res.Error)
	}
	if res.RowsAffected != 1 {
		return errors.New("plan line not found")
	}
	return nil
}

// FinishExecution implements matching.MatchStore.
func (s *Matches) FinishExecution(ctx context.Context, planID int64, r matching.ExecutionReport) error {
	return mgorm.MapError(s.db.WithContext(ctx).Model(&planRow{}).Where("id = ?", planID).
		Updates(map[string]any{"status": string(matching.PlanExecuted), "applied_lines": r.Applied, "refused_lines": r.Refused, "applied_fen": r.AppliedFen}).Error)
}

// OrgRegion returns an organization's region code (row id); ErrNotFound.
func (s *Matches) OrgRegion(ctx context.Context, orgID int64) (string, error) {
	var codes []string
	if err := s.db.WithContext(ctx).Table("organizations").Where("id = ?", orgID).Limit(1).Pluck("region_code", &codes).Error; err != nil {
		return "", mgorm.MapError(err)
	}
	if len(codes) == 0 {
		return "", kernel.ErrNotFound
	}
	return codes[0], nil
}
