package gormstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/marketplace/anonymize"

	"github.com/jiujinan/jiujinan/kernel"

	"gorm.io/gorm"

	"github.com/jiujinan/jiujinan/marketplace"
)

var _ marketplace.NeedStore = (*Store)(nil)

type beneficiaryRow struct {
	ID             int64 `gorm:"primaryKey"`
	PublicID       string
	OrgID          int64
	Pseudonym      string
	IdentityCT     []byte `gorm:"column:identity_ct"`
	IdentityKID    string `gorm:"column:identity_kid"`
	RegionCode     string
	AgeBand        string
	Sex            string
	HouseholdTypes string
	CreatedAt      time.Time
}

func (beneficiaryRow) TableName() string { return "beneficiaries" }

type needRow struct {
	ID                   int64 `gorm:"primaryKey"`
	PublicID             string
	OrgID                int64
	CreatedBy            int64
	BeneficiaryID        int64
	Pseudonym            string
	Status               string
	Category             string
	Urgency              string
	RegionCode           string
	PublicRegionCode     string
	PublicOrgShown       bool
	AgeBand              string
	HouseholdTypes       string
	PublicHouseholdTypes string
	PrivateCT            []byte `gorm:"column:private_ct"`
	PrivateKID           string `gorm:"column:private_kid"`
	PublicTitle          string
	PublicStory          string
	VerifiedCostFen      int64
	StatutoryReliefFen   int64
	RequestedFen         int64
	FundedFen            int64
	DisbursedFen         int64
	CostFrom             time.Time
	CostTo               time.Time
	ServiceNeeds         string
	Deadline             *time.Time
	Emergency            bool
	ConsentPublic        bool
	ScreeningResult      string
	BlockOverride        bool
	SubmittedAt          *time.Time
	ClearanceDueAt       *time.Time
	ClearedAt            *time.Time
	NoticeEndsAt         *time.Time
	PublishedAt          *time.Time
	ClosedAt             *time.Time
	StillNeededAt        *time.Time
	SuspendedFrom        string
	NoticeLeftUs         int64
	OpenObjections       int
	NoticePlannedEnd     *time.Time
	ApprovalStep         string
	EscalatedLevel       string
	CaseDueAt            *time.Time
	CreatedAt            time.Time
	UpdatedAt            time.Time
	Version              int64
}

func (needRow) TableName() string { return "needs" }

// needListRow is a need with its organization, as the readers return it.
type needListRow struct {
	needRow
	OrgPublicID   string
	OrgName       string
	OrgRegionCode string
}

// withOrgs reads needs by q and adds their organizations' public ids and names.
func (s *Store) withOrgs(ctx context.Context, q *gorm.DB) ([]needListRow, error) {
	var rows []needRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, MapError(err)
	}
	ids := map[int64]bool{}
	var list []int64
	for _, r := range rows {
		if !ids[r.OrgID] {
			ids[r.OrgID] = true
			list = append(list, r.OrgID)
		}
	}
	orgs := map[int64]orgRow{}
	if len(list) > 0 {
		var os []orgRow
		if err := s.db.WithContext(ctx).Where("id IN ?", list).Find(&os).Error; err != nil {
			return nil, err
		}
		for _, o := range os {
			orgs[o.ID] = o
		}
	}
	out := make([]needListRow, len(rows))
	for i, r := range rows {
		out[i] = needListRow{needRow: r, OrgPublicID: orgs[r.OrgID].PublicID, OrgName: orgs[r.OrgID].Name, OrgRegionCode: orgs[r.OrgID].RegionCode}
	}
	return out, nil
}

type needEventRow struct {
	ID         int64 `gorm:"primaryKey"`
	PublicID   string
	NeedID     int64
	At         time.Time
	Actor      string
	Action     string
	FromStatus string
	ToStatus   string
	NoteCT     []byte `gorm:"column:note_ct"`
	NoteKID    string `gorm:"column:note_kid"`
}

func (needEventRow) TableName() string { return "need_events" }

type objectionRow struct {
	ID         int64 `gorm:"primaryKey"`
	PublicID   string
	NeedID     int64
	CreatedAt  time.Time
	CreatedBy  string
	TextCT     []byte `gorm:"column:text_ct"`
	TextKID    string `gorm:"column:text_kid"`
	PublicText string
	Status     string
	ResolvedAt *time.Time
	ResolvedBy string
	Anonymous  bool
	ContactCT  []byte `gorm:"column:contact_ct"`
	ContactKID string `gorm:"column:contact_kid"`
	AddrKey    string
	DueAt      *time.Time
	TokenHash  string
}

func (objectionRow) TableName() string { return "need_objections" }

func (r objectionRow) domain() marketplace.Objection {
	return marketplace.Objection{ID: r.ID, PublicID: r.PublicID, NeedID: r.NeedID, CreatedAt: r.CreatedAt.UTC(), CreatedBy: r.CreatedBy,
		TextCT: r.TextCT, TextKID: r.TextKID, PublicText: r.PublicText, Status: marketplace.ObjectionStatus(r.Status),
		ResolvedAt: utcp(r.ResolvedAt), ResolvedBy: r.ResolvedBy, Anonymous: r.Anonymous, ContactCT: r.ContactCT, ContactKID: r.ContactKID,
		AddrKey: r.AddrKey, DueAt: utcp(r.DueAt), TokenHash: r.TokenHash}
}

type needUpdateRow struct {
	ID         int64 `gorm:"primaryKey"`
	PublicID   string
	NeedID     int64
	CreatedAt  time.Time
	CreatedBy  string
	TextCT     []byte `gorm:"column:text_ct"`
	TextKID    string `gorm:"column:text_kid"`
	PublicText string
}

func (needUpdateRow) TableName() string { return "need_updates" }

type outboxRow struct {
	ID        int64 `gorm:"primaryKey"`
	NeedID    int64
	CreatedAt time.Time
}

func (outboxRow) TableName() string { return "search_outbox" }

// NeedRow and OutboxRow are this store's rows of the needs and search_outbox
// tables, for test fixtures that write needs straight into the database
// (needfixture) with the columns the store itself writes.
type (
	NeedRow   = needRow
	OutboxRow = outboxRow
)

// joinCodes stores a list of codes comma-separated ("dibao,tekun").
func joinCodes[T ~string](list []T) string {
	parts := make([]string, len(list))
	for i, c := range list {
		parts[i] = string(c)
	}
	return strings.Join(parts, ",")
}

func splitList[T ~string](s string) []T {
	out := []T{}
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

func toNeedRow(n *marketplace.Need) needRow {
	return needRow{ID: n.ID, PublicID: n.PublicID, OrgID: n.OrgID, CreatedBy: n.CreatedBy, BeneficiaryID: n.BeneficiaryID, Pseudonym: n.Pseudonym,
		Status: string(n.Status), Category: string(n.Category), Urgency: string(n.Urgency), RegionCode: n.RegionCode,
		PublicRegionCode: n.PublicRegionCode, PublicOrgShown: n.PublicOrgShown, AgeBand: string(n.AgeBand), HouseholdTypes: joinCodes(n.HouseholdTypes),
		PublicHouseholdTypes: joinCodes(n.PublicHouseholdTypes), PrivateCT: n.PrivateCT, PrivateKID: n.PrivateKID,
		PublicTitle: n.PublicTitle, PublicStory: n.PublicStory, VerifiedCostFen: n.VerifiedCostFen, StatutoryReliefFen: n.StatutoryReliefFen,
		RequestedFen: n.RequestedFen, FundedFen: n.FundedFen, DisbursedFen: n.DisbursedFen, CostFrom: n.CostFrom, CostTo: n.CostTo,
		ServiceNeeds: joinCodes(n.ServiceNeeds), Deadline: n.Deadline, Emergency: n.Emergency, ConsentPublic: n.ConsentPublic,
		ScreeningResult: string(n.ScreeningResult), BlockOverride: n.BlockOverride, SubmittedAt: n.SubmittedAt, ClearanceDueAt: n.ClearanceDueAt,
		ClearedAt: n.ClearedAt, NoticeEndsAt: n.NoticeEndsAt, PublishedAt: n.PublishedAt, ClosedAt: n.ClosedAt, StillNeededAt: n.StillNeededAt,
		SuspendedFrom: string(n.SuspendedFrom), NoticeLeftUs: n.NoticeLeft.Microseconds(), OpenObjections: n.OpenObjections,
		NoticePlannedEnd: n.NoticePlannedEnd, ApprovalStep: string(n.ApprovalStep), EscalatedLevel: string(n.EscalatedLevel),
		CaseDueAt: n.CaseDueAt, CreatedAt: n.CreatedAt, UpdatedAt: n.UpdatedAt,
		Version: n.Version}
}

func (r needListRow) domain() *marketplace.Need {
	return &marketplace.Need{ID: r.ID, PublicID: r.PublicID, OrgID: r.OrgID, OrgPublicID: r.OrgPublicID, OrgName: r.OrgName,
		OrgRegionCode: r.OrgRegionCode, PublicOrgShown: r.PublicOrgShown,
		CreatedBy: r.CreatedBy, BeneficiaryID: r.BeneficiaryID, Pseudonym: r.Pseudonym, Status: kernel.NeedStatus(r.Status),
		Category: kernel.Category(r.Category), Urgency: kernel.Urgency(r.Urgency), RegionCode: r.RegionCode,
		PublicRegionCode: r.PublicRegionCode, AgeBand: kernel.AgeBand(r.AgeBand),
		HouseholdTypes:       splitList[kernel.HouseholdType](r.HouseholdTypes),
		PublicHouseholdTypes: splitList[kernel.HouseholdType](r.PublicHouseholdTypes),
		PrivateCT:            r.PrivateCT, PrivateKID: r.PrivateKID, PublicTitle: r.PublicTitle, PublicStory: r.PublicStory,
		VerifiedCostFen: r.VerifiedCostFen, StatutoryReliefFen: r.StatutoryReliefFen, RequestedFen: r.RequestedFen,
		FundedFen: r.FundedFen, DisbursedFen: r.DisbursedFen, CostFrom: r.CostFrom.UTC(), CostTo: r.CostTo.UTC(),
		ServiceNeeds: splitList[kernel.Service](r.ServiceNeeds), Deadline: utcp(r.Deadline), Emergency: r.Emergency,
		ConsentPublic: r.ConsentPublic, ScreeningResult: kernel.ScreeningOutcome(r.ScreeningResult), BlockOverride: r.BlockOverride,
		SubmittedAt: utcp(r.SubmittedAt), ClearanceDueAt: utcp(r.ClearanceDueAt), ClearedAt: utcp(r.ClearedAt),
		NoticeEndsAt: utcp(r.NoticeEndsAt), PublishedAt: utcp(r.PublishedAt), ClosedAt: utcp(r.ClosedAt),
		StillNeededAt: utcp(r.StillNeededAt), SuspendedFrom: kernel.NeedStatus(r.SuspendedFrom),
		NoticeLeft: time.Duration(r.NoticeLeftUs) * time.Microsecond, OpenObjections: r.OpenObjections,
		NoticePlannedEnd: utcp(r.NoticePlannedEnd), ApprovalStep: marketplace.StepKind(r.ApprovalStep),
		EscalatedLevel: kernel.DivisionLevel(r.EscalatedLevel), CaseDueAt: utcp(r.CaseDueAt), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		Version: r.Version}
}

func (r needEventRow) domain() marketplace.NeedEvent {
	return marketplace.NeedEvent{ID: r.ID, PublicID: r.PublicID, NeedID: r.NeedID, At: r.At.UTC(), Actor: r.Actor, Action: r.Action,
		From: kernel.NeedStatus(r.FromStatus), To: kernel.NeedStatus(r.ToStatus), NoteCT: r.NoteCT, NoteKID: r.NoteKID}
}

func insertEvent(tx *gorm.DB, needID int64, ev *marketplace.NeedEvent) error {
	if ev == nil {
		return nil
	}
	ev.NeedID = needID
	row := needEventRow{PublicID: ev.PublicID, NeedID: needID, At: ev.At, Actor: ev.Actor, Action: ev.Action,
		FromStatus: string(ev.From), ToStatus: string(ev.To), NoteCT: ev.NoteCT, NoteKID: ev.NoteKID}
	if err := tx.Create(&row).Error; err != nil {
		return MapError(err)
	}
	ev.ID = row.ID
	return nil
}

// CreateNeed implements marketplace.NeedStore.
func (s *Store) CreateNeed(ctx context.Context, b *marketplace.Beneficiary, n *marketplace.Need, ev *marketplace.NeedEvent, audit marketplace.AuditEntry) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		br := beneficiaryRow{PublicID: b.PublicID, OrgID: b.OrgID, Pseudonym: b.Pseudonym, IdentityCT: b.IdentityCT, IdentityKID: b.IdentityKID,
			RegionCode: b.RegionCode, AgeBand: string(b.AgeBand), Sex: b.Sex, HouseholdTypes: joinCodes(b.HouseholdTypes), CreatedAt: b.CreatedAt}
		if err := tx.Create(&br).Error; err != nil {
			return MapError(err)
		}
		b.ID, n.BeneficiaryID = br.ID, br.ID
		nr := toNeedRow(n)
		nr.ID = 0
		if err := tx.Create(&nr).Error; err != nil {
			return MapError(err)
		}
		n.ID = nr.ID
		if err := insertHousehold(tx, n.ID, n.Household); err != nil {
			return err
		}
		if err := insertSteps(tx, n.ID, 0, n.OpenSteps); err != nil {
			return err
		}
		if err := insertEvent(tx, n.ID, ev); err != nil {
			return err
		}
		return AppendAudit(tx, &audit)
	})
}

// NeedByPublicID implements marketplace.NeedStore.
func (s *Store) NeedByPublicID(ctx context.Context, publicID string) (*marketplace.Need, error) {
	if publicID == "" || len(publicID) > 64 {
		return nil, kernel.ErrNotFound
	}
	rows, err := s.withOrgs(ctx, s.db.WithContext(ctx).Where("public_id = ?", publicID).Limit(1))
	if err != nil {
		return nil, fmt.Errorf("need: %w", err)
	}
	if len(rows) == 0 {
		return nil, kernel.ErrNotFound
	}
	return rows[0].domain(), nil
}

// BeneficiaryByID implements marketplace.NeedStore.
func (s *Store) BeneficiaryByID(ctx context.Context, id int64) (*marketplace.Beneficiary, error) {
	var r beneficiaryRow
	if err := s.db.WithContext(ctx).Take(&r, id).Error; err != nil {
		return nil, MapError(err)
	}
	return r.domain(), nil
}

func (r *beneficiaryRow) domain() *marketplace.Beneficiary {
	return &marketplace.Beneficiary{ID: r.ID, PublicID: r.PublicID, OrgID: r.OrgID, Pseudonym: r.Pseudonym, IdentityCT: r.IdentityCT,
		IdentityKID: r.IdentityKID, RegionCode: r.RegionCode, AgeBand: kernel.AgeBand(r.AgeBand), Sex: r.Sex,
		HouseholdTypes: splitList[kernel.HouseholdType](r.HouseholdTypes), CreatedAt: r.CreatedAt.UTC()}
}

// SaveNeed implements marketplace.NeedStore.
func (s *Store) SaveNeed(ctx context.Context, w marketplace.NeedWrite) error {
	n := w.Need
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		r := toNeedRow(n)
		upd := map[string]any{
			"status": r.Status, "public_region_code": r.PublicRegionCode, "public_org_shown": r.PublicOrgShown, "public_household_types": r.PublicHouseholdTypes,
			"public_title": r.PublicTitle, "public_story": r.PublicStory, "statutory_relief_fen": r.StatutoryReliefFen,
			"requested_fen": r.RequestedFen, "screening_result": r.ScreeningResult, "cleared_at": r.ClearedAt,
			"notice_ends_at": r.NoticeEndsAt, "published_at": r.PublishedAt, "closed_at": r.ClosedAt,
			"still_needed_at": r.StillNeededAt, "suspended_from": r.SuspendedFrom, "notice_left_us": r.NoticeLeftUs,
			"open_objections": r.OpenObjections, "notice_planned_end": r.NoticePlannedEnd,
			"clearance_due_at": r.ClearanceDueAt, "approval_step": r.ApprovalStep, "escalated_level": r.EscalatedLevel,
			"updated_at": r.UpdatedAt, "version": r.Version + 1,
		}
		res := tx.Model(&needRow{}).Where("id = ? AND version = ?", n.ID, n.Version).Updates(upd)
		if res.Error != nil {
			return MapError(res.Error)
		}
		if res.RowsAffected != 1 {
			return kernel.Refuse(kernel.ErrConflict, "refusal_need_changed", nil, "the need was changed meanwhile; reload and try again")
		}
		if err := insertEvent(tx, n.ID, w.Event); err != nil {
			return err
		}
		if o := w.NewObjection; o != nil {
			o.NeedID = n.ID
			row := objectionRow{PublicID: o.PublicID, NeedID: n.ID, CreatedAt: o.CreatedAt, CreatedBy: o.CreatedBy, TextCT: o.TextCT,
				TextKID: o.TextKID, PublicText: o.PublicText, Status: string(o.Status), Anonymous: o.Anonymous, ContactCT: o.ContactCT,
				ContactKID: o.ContactKID, AddrKey: o.AddrKey, DueAt: o.DueAt, TokenHash: o.TokenHash}
			if err := tx.Create(&row).Error; err != nil {
				return MapError(err)
			}
			o.ID = row.ID
		}
		for _, o := range w.ResolveObjections {
			res := tx.Model(&objectionRow{}).Where("public_id = ? AND need_id = ? AND status = ?", o.PublicID, n.ID, string(marketplace.ObjectionOpen)).
				Updates(map[string]any{"status": string(o.Status), "resolved_at": o.ResolvedAt, "resolved_by": o.ResolvedBy})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != 1 {
				return kernel.Refuse(kernel.ErrConflict, "refusal_objection_resolved", nil, "the objection was resolved meanwhile")
			}
		}
		var objectionID int64
		if w.NewObjection != nil {
			objectionID = w.NewObjection.ID
		}
		if err := endSteps(tx, n.ID, w.EndSteps); err != nil {
			return err
		}
		if err := insertSteps(tx, n.ID, objectionID, w.StartSteps); err != nil {
			return err
		}
		if err := insertGroupDecision(tx, n.ID, w.NewGroupDecision); err != nil {
			return err
		}
		if u := w.NewUpdate; u != nil {
			u.NeedID = n.ID
			row := needUpdateRow{PublicID: u.PublicID, NeedID: n.ID, CreatedAt: u.CreatedAt, CreatedBy: u.CreatedBy, TextCT: u.TextCT,
				TextKID: u.TextKID, PublicText: u.PublicText}
			if err := tx.Create(&row).Error; err != nil {
				return MapError(err)
			}
			u.ID = row.ID
		}
		if w.Outbox {
			if err := tx.Create(&outboxRow{NeedID: n.ID, CreatedAt: r.UpdatedAt}).Error; err != nil {
				return err
			}
		}
		audit := w.Audit
		if err := AppendAudit(tx, &audit); err != nil {
			return err
		}
		if w.Reproject != nil && w.Reprojector != nil {
			if _, err := reprojectCell(tx, *w.Reproject, w.Reprojector, w.Retexter, r.UpdatedAt); err != nil {
				return err
			}
			var back needRow
			if err := tx.Select("public_region_code", "public_household_types", "public_title", "public_story").Take(&back, n.ID).Error; err != nil {
				return MapError(err)
			}
			n.PublicRegionCode, n.PublicHouseholdTypes = back.PublicRegionCode, splitList[kernel.HouseholdType](back.PublicHouseholdTypes)
			n.PublicTitle, n.PublicStory = back.PublicTitle, back.PublicStory
		}
		n.Version++
		return nil
	})
}

// publishedCell selects the needs re-projection counts in a cell: every
// need ever published with consent, whatever its status now.
func publishedCell(db *gorm.DB, cell anonymize.ProjectionCell) *gorm.DB {
	return db.Model(&needRow{}).Where("category = ? AND age_band = ? AND region_code LIKE ? AND published_at IS NOT NULL AND consent_public = 1",
		string(cell.Category), string(cell.AgeBand), likePrefix(provincePrefix(cell.Province)))
}

// provincePrefix is the two digits every division of a province starts with.
func provincePrefix(code string) string {
	if len(code) < 2 {
		return code
	}
	return code[:2]
}

// reprojectCell implements ReprojectCell inside tx.
func reprojectCell(tx *gorm.DB, cell anonymize.ProjectionCell, fn func([]anonymize.CellNeeds) []anonymize.ProjectionChange, retext marketplace.Retexter, now time.Time) (int, error) {
	type groupRow struct {
		RegionCode           string
		HouseholdTypes       string
		PublicRegionCode     string
		PublicHouseholdTypes string
		N                    int
	}
	var rows []groupRow
	err := publishedCell(tx, cell).
		Select("region_code, household_types, public_region_code, public_household_types, COUNT(*) AS n").
		Group("region_code, household_types, public_region_code, public_household_types").
		Order("region_code, household_types, public_region_code, public_household_types").Scan(&rows).Error
	if err != nil {
		return 0, fmt.Errorf("reproject: read cell: %w", err)
	}
	groups := make([]anonymize.CellNeeds, len(rows))
	for i, r := range rows {
		groups[i] = anonymize.CellNeeds{RegionCode: r.RegionCode, HouseholdTypes: splitList[kernel.HouseholdType](r.HouseholdTypes),
			PublicRegionCode: r.PublicRegionCode, PublicHouseholdTypes: splitList[kernel.HouseholdType](r.PublicHouseholdTypes), Count: r.N}
	}
	changed := 0
	for _, c := range fn(groups) {
		if c.Group < 0 || c.Group >= len(rows) {
			return 0, fmt.Errorf("reproject: no group %d", c.Group)
		}
		g := rows[c.Group]
		var ids []int64
		err := publishedCell(tx, cell).Where("region_code = ? AND household_types = ? AND public_region_code = ? AND public_household_types = ?",
			g.RegionCode, g.HouseholdTypes, g.PublicRegionCode, g.PublicHouseholdTypes).Order("id").Pluck("id", &ids).Error
		if err != nil {
			return 0, fmt.Errorf("reproject: read group: %w", err)
		}
		if len(ids) == 0 {
			continue
		}
		err = tx.Model(&needRow{}).Where("id IN ?", ids).
			Updates(map[string]any{"public_region_code": c.RegionCode, "public_household_types": joinCodes(c.HouseholdTypes),
				// Decided anew at the next publication in the cell; hidden
				// meanwhile (see migration 00017).
				"public_org_shown": false}).Error
		if err != nil {
			return 0, fmt.Errorf("reproject: write: %w", err)
		}
		if len(c.HidePlaces) > 0 {
			if err := hidePlaces(tx, ids, c.HidePlaces); err != nil {
				return 0, err
			}
		}
		if c.Retext && retext != nil {
			if err := retextNeeds(tx, ids, c.RegionCode, retext); err != nil {
				return 0, err
			}
		}
		out := make([]outboxRow, len(ids))
		for i, id := range ids {
			out[i] = outboxRow{NeedID: id, CreatedAt: now}
		}
		if err := tx.CreateInBatches(out, 500).Error; err != nil {
			return 0, fmt.Errorf("reproject: outbox: %w", err)
		}
		changed += len(ids)
	}
	return changed, nil
}

// hidePlaces removes the place names a coarser region now hides from the
// public title and story of the needs with these row ids.
func hidePlaces(tx *gorm.DB, ids []int64, places []string) error {
	type textRow struct {
		ID          int64
		PublicTitle string
		PublicStory string
	}
	var rows []textRow
	if err := tx.Model(&needRow{}).Select("id, public_title, public_story").Where("id IN ?", ids).Scan(&rows).Error; err != nil {
		return fmt.Errorf("reproject: read text: %w", err)
	}
	for _, r := range rows {
		// As publication writes hidden places (当地); the text is public
		// already, so scrubbing it again changes nothing else.
		o := anonymize.ScrubOptions{Places: places}
		title, story := anonymize.ScrubStory(r.PublicTitle, o), anonymize.ScrubStory(r.PublicStory, o)
		if title == r.PublicTitle && story == r.PublicStory {
			continue
		}
		if err := tx.Model(&needRow{}).Where("id = ?", r.ID).Updates(map[string]any{"public_title": title, "public_story": story}).Error; err != nil {
			return fmt.Errorf("reproject: write text: %w", err)
		}
	}
	return nil
}

// retextNeeds writes the public title and story retext derives for the
// needs with these row ids, now shown at region (finer than before). The
// sealed records are read in tx: retext must not use the store.
func retextNeeds(tx *gorm.DB, ids []int64, region string, retext marketplace.Retexter) error {
	var needs []needRow
	if err := tx.Where("id IN ?", ids).Find(&needs).Error; err != nil {
		return fmt.Errorf("reproject: read sealed text: %w", err)
	}
	benIDs := make([]int64, len(needs))
	for i, n := range needs {
		benIDs[i] = n.BeneficiaryID
	}
	var bens []beneficiaryRow
	if err := tx.Where("id IN ?", benIDs).Find(&bens).Error; err != nil {
		return fmt.Errorf("reproject: read identities: %w", err)
	}
	byID := make(map[int64]*beneficiaryRow, len(bens))
	for i := range bens {
		byID[bens[i].ID] = &bens[i]
	}
	for _, r := range needs {
		br := byID[r.BeneficiaryID]
		if br == nil {
			continue
		}
		title, story, ok := retext(needListRow{needRow: r}.domain(), br.domain(), region)
		if !ok || (title == r.PublicTitle && story == r.PublicStory) {
			continue
		}
		if err := tx.Model(&needRow{}).Where("id = ?", r.ID).Updates(map[string]any{"public_title": title, "public_story": story}).Error; err != nil {
			return fmt.Errorf("reproject: write text: %w", err)
		}
	}
	return nil
}

// ReprojectCell implements marketplace.NeedStore.
func (s *Store) ReprojectCell(ctx context.Context, cell anonymize.ProjectionCell, now time.Time, fn func([]anonymize.CellNeeds) []anonymize.ProjectionChange, retext marketplace.Retexter) (int, error) {
	var changed int
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		changed, err = reprojectCell(tx, cell, fn, retext, now)
		return err
	})
	if err != nil {
		return 0, err
	}
	return changed, nil
}

// ProjectionCells implements marketplace.NeedStore.
func (s *Store) ProjectionCells(ctx context.Context) ([]anonymize.ProjectionCell, error) {
	type cellRow struct {
		Category, AgeBand, Province string
	}
	var rows []cellRow
	err := s.db.WithContext(ctx).Model(&needRow{}).Where("published_at IS NOT NULL AND consent_public = 1").
		Select("category, age_band, SUBSTR(region_code, 1, 2) AS province").Group("category, age_band, SUBSTR(region_code, 1, 2)").
		Order("category, age_band, province").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("projection cells: %w", err)
	}
	out := make([]anonymize.ProjectionCell, len(rows))
	for i, r := range rows {
		out[i] = anonymize.ProjectionCell{Category: kernel.Category(r.Category), AgeBand: kernel.AgeBand(r.AgeBand), Province: r.Province + "0000"}
	}
	return out, nil
}

// SetScreeningResult implements marketplace.NeedStore.
func (s *Store) SetScreeningResult(ctx context.Context, needID int64, result kernel.ScreeningOutcome) error {
	return s.db.WithContext(ctx).Model(&needRow{}).Where("id = ?", needID).Update("screening_result", string(result)).Error
}

// LikePrefix is the LIKE pattern of the region codes starting with the
// prefix p, for the stores of other packages.
func LikePrefix(p string) string { return likePrefix(p) }

// likePrefix escapes a region prefix (digits only, but be safe) for LIKE.
func likePrefix(p string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(p) + "%"
}

// CountPublishedCell implements marketplace.NeedStore.
func (s *Store) CountPublishedCell(ctx context.Context, category kernel.Category, ageBand kernel.AgeBand, regionPrefix string, householdType kernel.HouseholdType, orgID int64) (int, error) {
	q := s.db.WithContext(ctx).Model(&needRow{}).
		Where("category = ? AND age_band = ? AND published_at IS NOT NULL AND consent_public = 1", string(category), string(ageBand))
	if orgID != 0 {
		q = q.Where("org_id = ?", orgID)
	}
	if regionPrefix != "" {
		q = q.Where("region_code LIKE ?", likePrefix(regionPrefix))
	}
	if t := string(householdType); t != "" {
		q = q.Where("(household_types = ? OR household_types LIKE ? OR household_types LIKE ? OR household_types LIKE ?)",
			t, t+",%", "%,"+t, "%,"+t+",%")
	}
	var c int64
	if err := q.Count(&c).Error; err != nil {
		return 0, fmt.Errorf("count cell: %w", err)
	}
	return int(c), nil
}

// ListNeeds implements marketplace.NeedStore.
func (s *Store) ListNeeds(ctx context.Context, q marketplace.NeedQuery) ([]marketplace.Need, int, error) {
	where := func(db *gorm.DB) *gorm.DB {
		if len(q.OrgIDs) > 0 {
			db = db.Where("n.org_id IN ?", q.OrgIDs)
		}
		if len(q.Statuses) > 0 {
			st := make([]string, len(q.Statuses))
			for i, x := range q.Statuses {
				st[i] = string(x)
			}
			db = db.Where("n.status IN ?", st)
		}
		if len(q.RegionPrefixes) > 0 {
			var ors []string
			var args []any
			for _, p := range q.RegionPrefixes {
				ors = append(ors, "n.region_code LIKE ?")
				args = append(args, likePrefix(p))
			}
			db = db.Where("("+strings.Join(ors, " OR ")+")", args...)
		}
		if q.DueBefore != nil {
			db = db.Where("n.clearance_due_at < ?", *q.DueBefore)
		}
		if q.IDs != nil {
			db = db.Where("n.id IN ?", append(q.IDs, 0))
		}
		return queueWhere(db, q.Queue)
	}
	var total int64
	if err := where(s.db.WithContext(ctx).Table("needs AS n")).Count(&total).Error; err != nil {
		return nil, 0, err
	}
	limit := q.Limit
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	order := "n.id DESC"
	if q.ByDue {
		order = "n.clearance_due_at, n.id"
	}
	rows, err := s.withOrgs(ctx, where(s.db.WithContext(ctx).Table("needs AS n")).Order(order).Limit(limit).Offset(max(q.Offset, 0)))
	if err != nil {
		return nil, 0, err
	}
	out := make([]marketplace.Need, len(rows))
	for i, r := range rows {
		out[i] = *r.domain()
	}
	return out, int(total), nil
}

// NeedEvents implements marketplace.NeedStore.
func (s *Store) NeedEvents(ctx context.Context, needID int64) ([]marketplace.NeedEvent, error) {
	var rows []needEventRow
	if err := s.db.WithContext(ctx).Where("need_id = ?", needID).Order("id").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]marketplace.NeedEvent, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// Objections implements marketplace.NeedStore.
func (s *Store) Objections(ctx context.Context, needID int64) ([]marketplace.Objection, error) {
	var rows []objectionRow
	if err := s.db.WithContext(ctx).Where("need_id = ?", needID).Order("id").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]marketplace.Objection, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// CountObjectionsFrom implements marketplace.NeedStore.
func (s *Store) CountObjectionsFrom(ctx context.Context, addrKey string, since time.Time) (int, error) {
	var c int64
	if err := s.db.WithContext(ctx).Model(&objectionRow{}).Where("addr_key = ? AND created_at >= ?", addrKey, since).Count(&c).Error; err != nil {
		return 0, fmt.Errorf("count objections: %w", err)
	}
	return int(c), nil
}

// withNeeds returns rows as objections with their needs' public ids and
// regions.
func (s *Store) withNeeds(ctx context.Context, rows []objectionRow) ([]marketplace.Objection, error) {
	ids := make([]int64, 0, len(rows))
	for _, r := range rows {
		ids = append(ids, r.NeedID)
	}
	var needs []struct {
		ID         int64
		PublicID   string
		RegionCode string
	}
	if len(ids) > 0 {
		if err := s.db.WithContext(ctx).Table("needs").Select("id, public_id, region_code").Where("id IN ?", ids).Scan(&needs).Error; err != nil {
			return nil, err
		}
	}
	byID := map[int64]int{}
	for i, n := range needs {
		byID[n.ID] = i
	}
	out := make([]marketplace.Objection, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
		if j, ok := byID[r.NeedID]; ok {
			out[i].NeedPublicID, out[i].NeedRegionCode = needs[j].PublicID, needs[j].RegionCode
		}
	}
	return out, nil
}

// ObjectionByPublicID implements marketplace.NeedStore.
func (s *Store) ObjectionByPublicID(ctx context.Context, publicID string) (*marketplace.Objection, error) {
	if publicID == "" || len(publicID) > 64 {
		return nil, kernel.ErrNotFound
	}
	var rows []objectionRow
	if err := s.db.WithContext(ctx).Where("public_id = ?", publicID).Limit(1).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("objection: %w", err)
	}
	if len(rows) == 0 {
		return nil, kernel.ErrNotFound
	}
	out, err := s.withNeeds(ctx, rows)
	if err != nil {
		return nil, fmt.Errorf("objection: %w", err)
	}
	return &out[0], nil
}

// OpenObjectionsIn implements marketplace.NeedStore.
func (s *Store) OpenObjectionsIn(ctx context.Context, prefixes []string, limit int) ([]marketplace.Objection, error) {
	if len(prefixes) == 0 {
		return nil, nil
	}
	var ors []string
	var args []any
	for _, p := range prefixes {
		ors = append(ors, "region_code LIKE ?")
		args = append(args, likePrefix(p))
	}
	needs := s.db.WithContext(ctx).Table("needs").Select("id").Where(strings.Join(ors, " OR "), args...)
	var rows []objectionRow
	err := s.db.WithContext(ctx).Where("status = ? AND need_id IN (?)", string(marketplace.ObjectionOpen), needs).
		Order("due_at, id").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("open objections: %w", err)
	}
	out, err := s.withNeeds(ctx, rows)
	if err != nil {
		return nil, fmt.Errorf("open objections: %w", err)
	}
	return out, nil
}

// NeedUpdates implements marketplace.NeedStore.
func (s *Store) NeedUpdates(ctx context.Context, needID int64) ([]marketplace.NeedUpdate, error) {
	var rows []needUpdateRow
	if err := s.db.WithContext(ctx).Where("need_id = ?", needID).Order("id DESC").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]marketplace.NeedUpdate, len(rows))
	for i, r := range rows {
		out[i] = marketplace.NeedUpdate{ID: r.ID, PublicID: r.PublicID, NeedID: r.NeedID, CreatedAt: r.CreatedAt.UTC(), CreatedBy: r.CreatedBy,
			TextCT: r.TextCT, TextKID: r.TextKID, PublicText: r.PublicText}
	}
	return out, nil
}

// ServesNeed implements marketplace.NeedStore.
func (s *Store) ServesNeed(ctx context.Context, userID, needID int64) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Raw("SELECT COUNT(*) FROM volunteers v WHERE v.user_id = ? AND ("+
		"EXISTS (SELECT 1 FROM volunteer_claims c WHERE c.volunteer_id = v.id AND c.need_id = ? AND c.status = 'approved') OR "+
		"EXISTS (SELECT 1 FROM service_pledges p WHERE p.volunteer_id = v.id AND p.need_id = ? AND p.status = 'accepted'))",
		userID, needID, needID).Scan(&n).Error
	if err != nil {
		return false, fmt.Errorf("serves need: %w", err)
	}
	return n > 0, nil
}
