package gormstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"gorm.io/gorm"

	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/sqldb"
)

var (
	_ marketplace.PublicNeedStore   = (*Store)(nil)
	_ marketplace.SearchOutboxStore = (*Store)(nil)
)

// publicNeedRow is what the projection reader reads of a need: its public
// columns and the few private ones that decide whether it is public. No
// private text column (private_ct, pseudonym, region_code, household_types)
// is ever selected.
type publicNeedRow struct {
	ID                   int64
	PublicID             string
	Status               string
	Category             string
	Urgency              string
	PublicRegionCode     string
	AgeBand              string
	PublicHouseholdTypes string
	PublicTitle          string
	PublicStory          string
	VerifiedCostFen      int64
	StatutoryReliefFen   int64
	RequestedFen         int64
	FundedFen            int64
	ServiceNeeds         string
	Deadline             *time.Time
	Emergency            bool
	ConsentPublic        bool
	NoticeEndsAt         *time.Time
	PublishedAt          *time.Time
	OrgPublicID          string
	OrgName              string
	OrgRegionCode        string
	OrgKind              string
	PublicOrgShown       bool
}

const publicNeedColumns = "n.id, n.public_id, n.status, n.category, n.urgency, n.public_region_code, n.age_band, " +
	"n.public_household_types, n.public_title, n.public_story, n.verified_cost_fen, n.statutory_relief_fen, " +
	"n.requested_fen, n.funded_fen, n.service_needs, n.deadline, n.emergency, n.consent_public, n.notice_ends_at, " +
	"n.published_at, o.public_id AS org_public_id, o.name AS org_name, o.region_code AS org_region_code, o.kind AS org_kind, n.public_org_shown"

// publicWhere is the SQL form of (publicNeedRow).public: both must say the
// same (TestPublicNeedVisibility checks every status both ways).
var publicWhere = "n.published_at IS NOT NULL AND n.consent_public = 1 AND n.public_region_code <> '' AND n.status IN ('" +
	strings.Join(publicStatusStrings(), "','") + "')"

func publicStatusStrings() []string {
	out := make([]string, len(marketplace.PublicStatuses))
	for i, s := range marketplace.PublicStatuses {
		out[i] = string(s)
	}
	return out
}

// public reports whether the need may appear on a public surface (see
// marketplace.PublicStatuses).
func (r *publicNeedRow) public() bool {
	return r.PublishedAt != nil && r.ConsentPublic && r.PublicRegionCode != "" &&
		marketplace.IsPublicStatus(kernel.NeedStatus(r.Status))
}

func (s *Store) publicNeedQuery(ctx context.Context) *gorm.DB {
	return s.db.WithContext(ctx).Table("needs AS n").Select(publicNeedColumns).
		Joins("JOIN organizations o ON o.id = n.org_id")
}

// projection builds the public projection of a public row at now.
func (r *publicNeedRow) projection(now time.Time) marketplace.PublicNeed {
	d, _ := kernel.LoadDivisions() // embedded data; a corrupt table fails at start (cmd loads it first)
	var regionName string
	if d != nil {
		regionName = d.FullName(r.PublicRegionCode)
	}
	hh := splitCodes[kernel.HouseholdType](r.PublicHouseholdTypes)
	svc := splitCodes[kernel.Service](r.ServiceNeeds)
	remaining := r.RequestedFen - r.FundedFen
	if remaining < 0 {
		remaining = 0
	}
	n := marketplace.PublicNeed{
		ID:                 r.PublicID,
		Status:             marketplace.PublicStatusAt(kernel.NeedStatus(r.Status), r.NoticeEndsAt, r.Deadline, r.RequestedFen, r.FundedFen, now),
		Category:           kernel.Category(r.Category),
		RegionCode:         r.PublicRegionCode,
		RegionName:         regionName,
		AgeBand:            kernel.AgeBand(r.AgeBand),
		HouseholdTypes:     hh,
		Title:              r.PublicTitle,
		Story:              r.PublicStory,
		VerifiedCostFen:    r.VerifiedCostFen,
		StatutoryReliefFen: r.StatutoryReliefFen,
		RequestedFen:       r.RequestedFen,
		FundedFen:          r.FundedFen,
		RemainingFen:       remaining,
		Urgency:            kernel.Urgency(r.Urgency),
		Deadline:           utcPtr(r.Deadline),
		ServiceNeeds:       svc,
		Emergency:          r.Emergency,
		NoticeEndsAt:       utcPtr(r.NoticeEndsAt),
		PublishedAt:        utcPtr(r.PublishedAt),
		OrgKind:            kernel.OrgKind(r.OrgKind),
	}
	// Named only when publication found k needs of the cell by the same
	// organization (the name is a quasi-identifier) and its region covers
	// the region shown now.
	if r.PublicOrgShown && marketplace.ShownOrg(d, r.OrgRegionCode, r.PublicRegionCode) {
		n.OrgID, n.OrgName = r.OrgPublicID, r.OrgName
	}
	return n
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// splitCodes reads a list column: codes separated by commas ("dibao,tekun")
// or a JSON array of strings. Blank entries are dropped; the result is never
// nil, so that JSON shows [] rather than null.
func splitCodes[T ~string](s string) []T {
	out := []T{}
	s = strings.TrimSpace(s)
	if s == "" {
		return out
	}
	var parts []string
	if strings.HasPrefix(s, "[") {
		if err := json.Unmarshal([]byte(s), &parts); err != nil {
			parts = nil
		}
	} else {
		parts = strings.Split(s, ",")
	}
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, T(p))
		}
	}
	return out
}

// PublicNeed implements marketplace.PublicNeedStore.
func (s *Store) PublicNeed(ctx context.Context, publicID string, now time.Time) (*marketplace.PublicNeed, error) {
	if publicID == "" || len(publicID) > 64 {
		return nil, kernel.ErrNotFound
	}
	var rows []publicNeedRow
	if err := s.publicNeedQuery(ctx).Where("n.public_id = ?", publicID).Limit(1).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("public need: %w", MapError(err))
	}
	if len(rows) == 0 || !rows[0].public() {
		return nil, kernel.ErrNotFound
	}
	n := rows[0].projection(now)
	return &n, nil
}

// PublicNeedsByRowID implements marketplace.PublicNeedStore.
func (s *Store) PublicNeedsByRowID(ctx context.Context, rowIDs []int64, now time.Time) ([]marketplace.PublicNeed, []string, error) {
	if len(rowIDs) == 0 {
		return nil, nil, nil
	}
	var rows []publicNeedRow
	if err := s.publicNeedQuery(ctx).Where("n.id IN ?", rowIDs).Order("n.id").Scan(&rows).Error; err != nil {
		return nil, nil, fmt.Errorf("public needs: %w", MapError(err))
	}
	var public []marketplace.PublicNeed
	var hidden []string
	for i := range rows {
		if rows[i].public() {
			public = append(public, rows[i].projection(now))
		} else {
			hidden = append(hidden, rows[i].PublicID)
		}
	}
	return public, hidden, nil
}

// PublicNeedsByPublicID returns the projections of those of the needs with
// these public ids that are public, in no particular order; the others are
// left out, so that a caller cannot tell an unknown need from a hidden one.
func (s *Store) PublicNeedsByPublicID(ctx context.Context, publicIDs []string, now time.Time) ([]marketplace.PublicNeed, error) {
	if len(publicIDs) == 0 {
		return nil, nil
	}
	var rows []publicNeedRow
	if err := s.publicNeedQuery(ctx).Where("n.public_id IN ? AND "+publicWhere, publicIDs).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("public needs: %w", MapError(err))
	}
	out := make([]marketplace.PublicNeed, 0, len(rows))
	for i := range rows {
		if rows[i].public() {
			out = append(out, rows[i].projection(now))
		}
	}
	return out, nil
}

// PublicNeedsAfter implements marketplace.PublicNeedStore.
func (s *Store) PublicNeedsAfter(ctx context.Context, afterRowID int64, limit int, now time.Time) ([]marketplace.PublicNeed, int64, error) {
	var rows []publicNeedRow
	if err := s.publicNeedQuery(ctx).Where("n.id > ? AND "+publicWhere, afterRowID).Order("n.id").Limit(limit).Scan(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("public needs: %w", MapError(err))
	}
	out := make([]marketplace.PublicNeed, 0, len(rows))
	var last int64
	for i := range rows {
		last = rows[i].ID
		if rows[i].public() { // always, by publicWhere; checked again so that the two can never disagree silently
			out = append(out, rows[i].projection(now))
		}
	}
	return out, last, nil
}

// HiddenNeedIDsAfter implements marketplace.PublicNeedStore.
func (s *Store) HiddenNeedIDsAfter(ctx context.Context, afterRowID int64, limit int) ([]string, int64, error) {
	var rows []struct {
		ID       int64
		PublicID string
	}
	if err := s.db.WithContext(ctx).Table("needs AS n").Select("n.id, n.public_id").
		Where("n.id > ? AND NOT ("+publicWhere+")", afterRowID).Order("n.id").Limit(limit).Scan(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("hidden needs: %w", MapError(err))
	}
	out := make([]string, len(rows))
	var last int64
	for i, r := range rows {
		out[i], last = r.PublicID, r.ID
	}
	return out, last, nil
}

// CountPublicNeeds implements marketplace.PublicNeedStore.
func (s *Store) CountPublicNeeds(ctx context.Context) (int, error) {
	var n int64
	if err := s.db.WithContext(ctx).Table("needs AS n").Where(publicWhere).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count public needs: %w", MapError(err))
	}
	return int(n), nil
}

type drainOutboxRow struct {
	ID     int64
	NeedID int64
}

// DrainSearchOutbox implements marketplace.SearchOutboxStore. On MySQL the
// rows are locked (SELECT … FOR UPDATE at READ COMMITTED, so that no gap
// lock holds up the writers of new rows) in a transaction that lasts while
// fn runs: a second drainer, in this process or another, waits on the oldest
// row. SQLite serves one process, and a mutex of the store orders the
// drainers of that process without holding the database's write lock
// while the index is written.
func (s *Store) DrainSearchOutbox(ctx context.Context, limit int, fn func(ctx context.Context, needRowIDs []int64) error) (int, error) {
	if limit <= 0 {
		limit = 100
	}
	if s.dialect != sqldb.MySQL {
		s.outboxMu.Lock()
		defer s.outboxMu.Unlock()
		return s.drainOutbox(ctx, s.db.WithContext(ctx), limit, fn)
	}
	var n int
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		n, err = s.drainOutbox(ctx, tx, limit, fn)
		return err
	}, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	return n, err
}

func (s *Store) drainOutbox(ctx context.Context, tx *gorm.DB, limit int, fn func(ctx context.Context, needRowIDs []int64) error) (int, error) {
	var rows []drainOutboxRow
	if err := ForUpdate(tx.Table("search_outbox").Select("id, need_id").Order("id").Limit(limit)).Scan(&rows).Error; err != nil {
		return 0, fmt.Errorf("search outbox: %w", MapError(err))
	}
	if len(rows) == 0 {
		return 0, nil
	}
	ids := make([]int64, len(rows))
	seen := map[int64]bool{}
	var needs []int64
	for i, r := range rows {
		ids[i] = r.ID
		if !seen[r.NeedID] {
			seen[r.NeedID] = true
			needs = append(needs, r.NeedID)
		}
	}
	if err := fn(ctx, needs); err != nil {
		return 0, err
	}
	// Only the rows handed to fn: a change written meanwhile keeps its row.
	if err := tx.Exec("DELETE FROM search_outbox WHERE id IN ?", ids).Error; err != nil {
		return 0, fmt.Errorf("search outbox: %w", MapError(err))
	}
	return len(rows), nil
}

// SearchOutboxLen implements marketplace.SearchOutboxStore.
func (s *Store) SearchOutboxLen(ctx context.Context) (int, error) {
	var n int64
	if err := s.db.WithContext(ctx).Table("search_outbox").Count(&n).Error; err != nil {
		return 0, fmt.Errorf("search outbox: %w", MapError(err))
	}
	return int(n), nil
}
