package gormstore

import (
	"context"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"gorm.io/gorm"

	"github.com/jiujinan/jiujinan/marketplace"
)

var _ marketplace.PeopleStore = (*Store)(nil)

type volunteerRow struct {
	ID          int64 `gorm:"primaryKey"`
	PublicID    string
	UserID      int64
	LoadLimit   int
	BgStatus    string
	BgCheckedAt *time.Time
	BgNoteCt    []byte
	BgNoteKid   string
	BgSetBy     string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (volunteerRow) TableName() string { return "volunteers" }

type volunteerSkillRow struct {
	VolunteerID    int64  `gorm:"primaryKey"`
	Service        string `gorm:"primaryKey"`
	Level          int
	CertName       string
	CertNumberCt   []byte
	CertNumberKid  string
	CertIssuer     string
	CertValidUntil *time.Time
}

func (volunteerSkillRow) TableName() string { return "volunteer_skills" }

type volunteerRegionRow struct {
	VolunteerID  int64  `gorm:"primaryKey"`
	RegionCode   string `gorm:"primaryKey"`
	RegionPrefix string
}

func (volunteerRegionRow) TableName() string { return "volunteer_regions" }

type volunteerSlotRow struct {
	ID          int64 `gorm:"primaryKey"`
	VolunteerID int64
	Weekday     int
	FromMin     int
	ToMin       int
}

func (volunteerSlotRow) TableName() string { return "volunteer_availability" }

// regionPrefix is the prefix every code inside a division starts with:
// trailing zero pairs of a 6-digit province or city code dropped.
func regionPrefix(code string) string {
	if len(code) == 6 {
		switch {
		case strings.HasSuffix(code, "0000"):
			return code[:2]
		case strings.HasSuffix(code, "00"):
			return code[:4]
		}
	}
	return code
}

// SaveVolunteer implements marketplace.PeopleStore.
func (s *Store) SaveVolunteer(ctx context.Context, v *marketplace.Volunteer, audit marketplace.AuditEntry) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var row volunteerRow
		err := ForUpdate(tx).Where("user_id = ?", v.UserID).Take(&row).Error
		switch err = MapError(err); {
		case err == nil:
			v.ID, v.PublicID, v.CreatedAt = row.ID, row.PublicID, row.CreatedAt.UTC()
			if err := tx.Model(&volunteerRow{}).Where("id = ?", row.ID).
				Updates(map[string]any{"load_limit": v.LoadLimit, "updated_at": v.UpdatedAt}).Error; err != nil {
				return err
			}
			for _, t := range []any{&volunteerSkillRow{}, &volunteerRegionRow{}, &volunteerSlotRow{}} {
				if err := tx.Where("volunteer_id = ?", row.ID).Delete(t).Error; err != nil {
					return err
				}
			}
		case err == kernel.ErrNotFound:
			row = volunteerRow{PublicID: v.PublicID, UserID: v.UserID, LoadLimit: v.LoadLimit, BgStatus: string(marketplace.BackgroundNone),
				CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt}
			if err := tx.Create(&row).Error; err != nil {
				return MapError(err)
			}
			v.ID = row.ID
		default:
			return err
		}
		audit.ObjectID = v.PublicID
		for _, k := range v.Skills {
			r := volunteerSkillRow{VolunteerID: v.ID, Service: string(k.Service), Level: int(k.Level)}
			if c := k.Certificate; c != nil {
				r.CertName, r.CertNumberCt, r.CertNumberKid, r.CertIssuer, r.CertValidUntil = c.Name, c.NumberCT, c.NumberKID, c.Issuer, c.ValidUntil
			}
			if err := tx.Create(&r).Error; err != nil {
				return MapError(err)
			}
		}
		for _, code := range v.Regions {
			if err := tx.Create(&volunteerRegionRow{VolunteerID: v.ID, RegionCode: code, RegionPrefix: regionPrefix(code)}).Error; err != nil {
				return MapError(err)
			}
		}
		for _, sl := range v.Availability {
			if err := tx.Create(&volunteerSlotRow{VolunteerID: v.ID, Weekday: sl.Weekday, FromMin: sl.From, ToMin: sl.To}).Error; err != nil {
				return MapError(err)
			}
		}
		return AppendAudit(tx, &audit)
	})
}

type volunteerJoin struct {
	Row          volunteerRow `gorm:"embedded"`
	UserPublicID string
	DisplayName  string
}

func (s *Store) loadVolunteers(ctx context.Context, where string, args []any, limit int, now time.Time) ([]marketplace.Volunteer, error) {
	db := s.db.WithContext(ctx)
	var rows []volunteerJoin
	q := db.Table("volunteers v").Select("v.*, u.public_id AS user_public_id, u.display_name AS display_name").
		Joins("JOIN users u ON u.id = v.user_id").Where(where, args...).Order("v.id DESC")
	if limit > 0 {
		q = q.Limit(limit)
	}
	if err := q.Find(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(rows))
	out := make([]marketplace.Volunteer, len(rows))
	at := map[int64]*marketplace.Volunteer{}
	for i, j := range rows {
		r := j.Row
		ids[i] = r.ID
		out[i] = marketplace.Volunteer{ID: r.ID, PublicID: r.PublicID, UserID: r.UserID, UserPublicID: j.UserPublicID, DisplayName: j.DisplayName,
			LoadLimit: r.LoadLimit, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), Skills: []marketplace.Skill{},
			Regions: []string{}, Availability: []marketplace.Slot{},
			Background: marketplace.BackgroundCheck{Status: marketplace.BackgroundStatus(r.BgStatus), CheckedAt: utcPtr(r.BgCheckedAt),
				SetBy: r.BgSetBy, NoteCT: r.BgNoteCt, NoteKID: r.BgNoteKid}}
		at[r.ID] = &out[i]
	}
	var skills []volunteerSkillRow
	if err := db.Where("volunteer_id IN ?", ids).Order("service").Find(&skills).Error; err != nil {
		return nil, err
	}
	for _, k := range skills {
		sk := marketplace.Skill{Service: kernel.Service(k.Service), Level: marketplace.SkillLevel(k.Level)}
		if k.CertName != "" {
			sk.Certificate = &marketplace.Certificate{Name: k.CertName, Issuer: k.CertIssuer, ValidUntil: utcPtr(k.CertValidUntil),
				NumberCT: k.CertNumberCt, NumberKID: k.CertNumberKid}
		}
		at[k.VolunteerID].Skills = append(at[k.VolunteerID].Skills, sk)
	}
	var regions []volunteerRegionRow
	if err := db.Where("volunteer_id IN ?", ids).Order("region_code").Find(&regions).Error; err != nil {
		return nil, err
	}
	for _, r := range regions {
		at[r.VolunteerID].Regions = append(at[r.VolunteerID].Regions, r.RegionCode)
	}
	var slots []volunteerSlotRow
	if err := db.Where("volunteer_id IN ?", ids).Order("weekday, from_min").Find(&slots).Error; err != nil {
		return nil, err
	}
	for _, r := range slots {
		at[r.VolunteerID].Availability = append(at[r.VolunteerID].Availability, marketplace.Slot{Weekday: r.Weekday, From: r.FromMin, To: r.ToMin})
	}
	var loads []struct {
		VolunteerID int64
		N           int
	}
	if err := db.Table("volunteer_claims").Select("volunteer_id, COUNT(*) AS n").
		Where("volunteer_id IN ? AND (status = ? OR (status = ? AND ends_at > ?))", ids, marketplace.ClaimPending, marketplace.ClaimApproved, now.UTC()).
		Group("volunteer_id").Scan(&loads).Error; err != nil {
		return nil, err
	}
	for _, l := range loads {
		at[l.VolunteerID].CurrentLoad = l.N
	}
	return out, nil
}

func (s *Store) oneVolunteer(ctx context.Context, where string, arg any, now time.Time) (*marketplace.Volunteer, error) {
	vs, err := s.loadVolunteers(ctx, where, []any{arg}, 1, now)
	if err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		return nil, kernel.ErrNotFound
	}
	return &vs[0], nil
}

// VolunteerByUser implements marketplace.PeopleStore.
func (s *Store) VolunteerByUser(ctx context.Context, userID int64, now time.Time) (*marketplace.Volunteer, error) {
	return s.oneVolunteer(ctx, "v.user_id = ?", userID, now)
}

// VolunteerByPublicID implements marketplace.PeopleStore.
func (s *Store) VolunteerByPublicID(ctx context.Context, publicID string, now time.Time) (*marketplace.Volunteer, error) {
	return s.oneVolunteer(ctx, "v.public_id = ?", publicID, now)
}

// ListVolunteers implements marketplace.PeopleStore.
func (s *Store) ListVolunteers(ctx context.Context, bg marketplace.BackgroundStatus, limit int, now time.Time) ([]marketplace.Volunteer, error) {
	if bg == "" {
		return s.loadVolunteers(ctx, "1 = 1", nil, limit, now)
	}
	return s.loadVolunteers(ctx, "v.bg_status = ?", []any{string(bg)}, limit, now)
}

// VolunteersServing implements marketplace.PeopleStore. Both conditions are
// index lookups: volunteer_regions by region_prefix, volunteer_skills by
// service.
func (s *Store) VolunteersServing(ctx context.Context, regionPrefixes []string, services []kernel.Service, limit int, now time.Time) ([]marketplace.Volunteer, error) {
	svc := make([]string, len(services))
	for i, x := range services {
		svc[i] = string(x)
	}
	return s.loadVolunteers(ctx, "v.id IN (SELECT r.volunteer_id FROM volunteer_regions r WHERE r.region_prefix IN ?) AND "+
		"v.id IN (SELECT k.volunteer_id FROM volunteer_skills k WHERE k.service IN ?)", []any{regionPrefixes, svc}, limit, now)
}

// SetBackgroundCheck implements marketplace.PeopleStore.
func (s *Store) SetBackgroundCheck(ctx context.Context, volunteerID int64, bc marketplace.BackgroundCheck, at time.Time, audit marketplace.AuditEntry) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&volunteerRow{}).Where("id = ?", volunteerID).Updates(map[string]any{
			"bg_status": string(bc.Status), "bg_checked_at": bc.CheckedAt, "bg_note_ct": bc.NoteCT, "bg_note_kid": bc.NoteKID,
			"bg_set_by": bc.SetBy, "updated_at": at})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return kernel.ErrNotFound
		}
		return AppendAudit(tx, &audit)
	})
}

type reportRow struct {
	ID             int64 `gorm:"primaryKey"`
	PublicID       string
	RegionCode     string
	Category       string
	DescriptionCt  []byte
	DescriptionKid string
	ContactCt      []byte
	ContactKid     string
	Reporter       string
	TokenHash      string
	Status         string
	OwnerOrgID     *int64
	NoteCt         []byte
	NoteKid        string
	HandledBy      string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	FollowupDueAt  *time.Time
}

func (reportRow) TableName() string { return "reports" }

type reportRouteRow struct {
	ReportID int64 `gorm:"primaryKey"`
	OrgID    int64 `gorm:"primaryKey"`
	Distance int
}

func (reportRouteRow) TableName() string { return "report_routes" }

func (r reportRow) domain() marketplace.Report {
	return marketplace.Report{ID: r.ID, PublicID: r.PublicID, RegionCode: r.RegionCode, Category: kernel.Category(r.Category),
		DescriptionCT: r.DescriptionCt, DescriptionKID: r.DescriptionKid, ContactCT: r.ContactCt, ContactKID: r.ContactKid,
		Reporter: r.Reporter, TokenHash: r.TokenHash, Status: marketplace.ReportStatus(r.Status), OwnerOrgID: r.OwnerOrgID,
		NoteCT: r.NoteCt, NoteKID: r.NoteKid, HandledBy: r.HandledBy, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		Routes: []marketplace.ReportRoute{}, FollowUpDueAt: utcp(r.FollowupDueAt)}
}

// OrgsCovering implements marketplace.PeopleStore.
func (s *Store) OrgsCovering(ctx context.Context, codes []string, kinds []kernel.OrgKind) ([]kernel.Org, error) {
	ks := make([]string, len(kinds))
	for i, k := range kinds {
		ks[i] = string(k)
	}
	var rows []orgRow
	if err := s.db.WithContext(ctx).Where("region_code IN ? AND kind IN ?", codes, ks).Order("id").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]kernel.Org, len(rows))
	for i, r := range rows {
		out[i] = *r.domain()
	}
	return out, nil
}

// CreateReport implements marketplace.PeopleStore.
func (s *Store) CreateReport(ctx context.Context, r *marketplace.Report, audit marketplace.AuditEntry) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		row := reportRow{PublicID: r.PublicID, RegionCode: r.RegionCode, Category: string(r.Category), DescriptionCt: r.DescriptionCT,
			DescriptionKid: r.DescriptionKID, ContactCt: r.ContactCT, ContactKid: r.ContactKID, Reporter: r.Reporter, TokenHash: r.TokenHash,
			Status: string(r.Status), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, FollowupDueAt: r.FollowUpDueAt}
		if err := tx.Create(&row).Error; err != nil {
			return MapError(err)
		}
		r.ID = row.ID
		if r.FollowUp != nil {
			r.FollowUp.ReportID = row.ID
			steps := []marketplace.CaseStep{*r.FollowUp}
			if err := insertSteps(tx, 0, 0, steps); err != nil {
				return err
			}
			r.FollowUp.ID = steps[0].ID
		}
		for _, rt := range r.Routes {
			if err := tx.Create(&reportRouteRow{ReportID: row.ID, OrgID: rt.OrgID, Distance: rt.Distance}).Error; err != nil {
				return MapError(err)
			}
		}
		return AppendAudit(tx, &audit)
	})
}

func (s *Store) attachRoutes(ctx context.Context, rs []marketplace.Report) error {
	if len(rs) == 0 {
		return nil
	}
	ids := make([]int64, len(rs))
	at := map[int64]int{}
	for i, r := range rs {
		ids[i] = r.ID
		at[r.ID] = i
	}
	var rows []struct {
		ReportID    int64
		OrgID       int64
		Distance    int
		OrgPublicID string
		OrgName     string
		OrgKind     string
	}
	if err := s.db.WithContext(ctx).Table("report_routes rr").
		Select("rr.report_id, rr.org_id, rr.distance, o.public_id AS org_public_id, o.name AS org_name, o.kind AS org_kind").
		Joins("JOIN organizations o ON o.id = rr.org_id").Where("rr.report_id IN ?", ids).
		Order("rr.distance, rr.org_id").Scan(&rows).Error; err != nil {
		return err
	}
	for _, x := range rows {
		i := at[x.ReportID]
		rs[i].Routes = append(rs[i].Routes, marketplace.ReportRoute{OrgID: x.OrgID, OrgPublicID: x.OrgPublicID, OrgName: x.OrgName, Distance: x.Distance,
			OrgKind: kernel.OrgKind(x.OrgKind)})
	}
	return s.attachFollowUps(ctx, rs)
}

// ReportByPublicID implements marketplace.PeopleStore.
func (s *Store) ReportByPublicID(ctx context.Context, publicID string) (*marketplace.Report, error) {
	var row reportRow
	if err := s.db.WithContext(ctx).Where("public_id = ?", publicID).Take(&row).Error; err != nil {
		return nil, MapError(err)
	}
	rs := []marketplace.Report{row.domain()}
	if err := s.attachRoutes(ctx, rs); err != nil {
		return nil, err
	}
	return &rs[0], nil
}

// ReportsForOrgs implements marketplace.PeopleStore.
func (s *Store) ReportsForOrgs(ctx context.Context, orgIDs []int64, status marketplace.ReportStatus, limit int) ([]marketplace.Report, error) {
	q := s.db.WithContext(ctx).Model(&reportRow{}).
		Where("id IN (?)", s.db.Table("report_routes").Select("report_id").Where("org_id IN ?", orgIDs))
	if status != "" {
		q = q.Where("status = ?", string(status))
	}
	var rows []reportRow
	// The reports waiting to be taken up first, the earliest due first;
	// then the others, newest first.
	order := "CASE WHEN status = 'new' THEN 0 ELSE 1 END, CASE WHEN status = 'new' THEN followup_due_at END, id DESC"
	if err := q.Order(order).Limit(limit).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]marketplace.Report, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, s.attachRoutes(ctx, out)
}

// UpdateReport implements marketplace.PeopleStore.
func (s *Store) UpdateReport(ctx context.Context, r *marketplace.Report, from marketplace.ReportStatus, audit marketplace.AuditEntry) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&reportRow{}).Where("id = ? AND status = ?", r.ID, string(from)).Updates(map[string]any{
			"status": string(r.Status), "owner_org_id": r.OwnerOrgID, "note_ct": r.NoteCT, "note_kid": r.NoteKID,
			"handled_by": r.HandledBy, "updated_at": r.UpdatedAt})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return kernel.Refuse(kernel.ErrConflict, "refusal_report_changed", nil, "the report changed meanwhile")
		}
		if from == marketplace.ReportNew && r.Status != marketplace.ReportNew {
			if err := tx.Model(&caseStepRow{}).Where("report_id = ? AND step = ? AND ended_at IS NULL", r.ID, string(marketplace.StepReportFollowUp)).
				Updates(map[string]any{"ended_at": r.UpdatedAt, "outcome": string(r.Status), "ended_by": r.HandledBy}).Error; err != nil {
				return err
			}
		}
		return AppendAudit(tx, &audit)
	})
}

// NeedRef implements marketplace.PeopleStore. It reads the needs and
// beneficiaries tables (migration 00002) directly.
func (s *Store) NeedRef(ctx context.Context, needPublicID string) (*marketplace.NeedRef, error) {
	var r struct {
		ID                  int64
		PublicID            string
		OrgID               int64
		OrgPublicID         string
		Status              string
		NoticeEndsAt        *time.Time
		Deadline            *time.Time
		RequestedFen        int64
		FundedFen           int64
		PublishedAt         *time.Time
		ConsentPublic       bool
		RegionCode          string
		AgeBand             string
		HouseholdTypes      string
		ServiceNeeds        string
		BeneficiaryPublicID string
		IdentityCt          []byte
		IdentityKid         string
	}
	err := s.db.WithContext(ctx).Table("needs n").
		Select("n.id, n.public_id, n.org_id, o.public_id AS org_public_id, n.status, n.notice_ends_at, n.deadline, n.requested_fen, n.funded_fen, n.published_at, n.consent_public, "+
			"n.region_code, n.age_band, n.household_types, n.service_needs, b.public_id AS beneficiary_public_id, b.identity_ct, b.identity_kid").
		Joins("JOIN organizations o ON o.id = n.org_id").Joins("JOIN beneficiaries b ON b.id = n.beneficiary_id").
		Where("n.public_id = ?", needPublicID).Take(&r).Error
	if err != nil {
		return nil, MapError(err)
	}
	return &marketplace.NeedRef{ID: r.ID, PublicID: r.PublicID, OrgID: r.OrgID, OrgPublicID: r.OrgPublicID, Status: kernel.NeedStatus(r.Status),
		NoticeEndsAt: utcPtr(r.NoticeEndsAt), Deadline: utcPtr(r.Deadline), RequestedFen: r.RequestedFen, FundedFen: r.FundedFen,
		PublishedAt: utcPtr(r.PublishedAt), ConsentPublic: r.ConsentPublic, RegionCode: r.RegionCode,
		AgeBand: kernel.AgeBand(r.AgeBand), HouseholdTypes: splitCodes[kernel.HouseholdType](r.HouseholdTypes),
		ServiceNeeds: splitCodes[kernel.Service](r.ServiceNeeds), BeneficiaryPublicID: r.BeneficiaryPublicID,
		IdentityCT: r.IdentityCt, IdentityKID: r.IdentityKid}, nil
}

type claimRow struct {
	ID          int64 `gorm:"primaryKey"`
	PublicID    string
	NeedID      int64
	VolunteerID int64
	Service     string
	WindowDays  int
	Status      string
	DecidedBy   string
	DecidedAt   *time.Time
	StartsAt    *time.Time
	EndsAt      *time.Time
	ReleasedAt  *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (claimRow) TableName() string { return "volunteer_claims" }

type claimJoin struct {
	Row               claimRow `gorm:"embedded"`
	NeedPublicID      string
	VolunteerPublicID string
	VolunteerName     string
}

func (j claimJoin) domain() marketplace.Claim {
	r := j.Row
	return marketplace.Claim{ID: r.ID, PublicID: r.PublicID, NeedID: r.NeedID, NeedPublicID: j.NeedPublicID, VolunteerID: r.VolunteerID,
		VolunteerPublicID: j.VolunteerPublicID, VolunteerName: j.VolunteerName, Service: kernel.Service(r.Service), WindowDays: r.WindowDays,
		Status: marketplace.ClaimStatus(r.Status), DecidedBy: r.DecidedBy, DecidedAt: utcPtr(r.DecidedAt), StartsAt: utcPtr(r.StartsAt),
		EndsAt: utcPtr(r.EndsAt), ReleasedAt: utcPtr(r.ReleasedAt), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

// CreateClaim implements marketplace.PeopleStore.
func (s *Store) CreateClaim(ctx context.Context, c *marketplace.Claim, loadLimit int, now time.Time, audit marketplace.AuditEntry) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var v volunteerRow
		if err := ForUpdate(tx).Where("id = ?", c.VolunteerID).Take(&v).Error; err != nil {
			return MapError(err)
		}
		var active []claimRow
		if err := tx.Where("volunteer_id = ? AND (status = ? OR (status = ? AND ends_at > ?))", c.VolunteerID,
			marketplace.ClaimPending, marketplace.ClaimApproved, now.UTC()).Find(&active).Error; err != nil {
			return err
		}
		for _, a := range active {
			if a.NeedID == c.NeedID && a.Service == string(c.Service) {
				return kernel.Refuse(kernel.ErrConflict, "refusal_claim_duplicate", nil, "you already claim this service of this need")
			}
		}
		if len(active) >= loadLimit {
			return kernel.Refuse(kernel.ErrConflict, "refusal_claim_load_limit", map[string]any{"Limit": loadLimit}, "you are at your load limit of %d claims at once", loadLimit)
		}
		row := claimRow{PublicID: c.PublicID, NeedID: c.NeedID, VolunteerID: c.VolunteerID, Service: string(c.Service), WindowDays: c.WindowDays,
			Status: string(c.Status), CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
		if err := tx.Create(&row).Error; err != nil {
			return MapError(err)
		}
		c.ID = row.ID
		return AppendAudit(tx, &audit)
	})
}

func (s *Store) claims(ctx context.Context, where string, args ...any) ([]marketplace.Claim, error) {
	return s.claimsLimit(ctx, 0, where, args...)
}

// claimsLimit reads the claims matching where, newest first, at most limit
// (0 for all).
func (s *Store) claimsLimit(ctx context.Context, limit int, where string, args ...any) ([]marketplace.Claim, error) {
	var rows []claimJoin
	q := s.db.WithContext(ctx).Table("volunteer_claims c").
		Select("c.*, n.public_id AS need_public_id, v.public_id AS volunteer_public_id, u.display_name AS volunteer_name").
		Joins("JOIN needs n ON n.id = c.need_id").Joins("JOIN volunteers v ON v.id = c.volunteer_id").Joins("JOIN users u ON u.id = v.user_id").
		Where(where, args...).Order("c.id DESC")
	if limit > 0 {
		q = q.Limit(limit)
	}
	if err := q.Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]marketplace.Claim, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// ClaimByPublicID implements marketplace.PeopleStore.
func (s *Store) ClaimByPublicID(ctx context.Context, publicID string) (*marketplace.Claim, error) {
	cs, err := s.claims(ctx, "c.public_id = ?", publicID)
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, kernel.ErrNotFound
	}
	return &cs[0], nil
}

// ClaimsForNeed implements marketplace.PeopleStore.
func (s *Store) ClaimsForNeed(ctx context.Context, needID int64) ([]marketplace.Claim, error) {
	return s.claims(ctx, "c.need_id = ?", needID)
}

// ClaimsForOrgs implements marketplace.PeopleStore.
func (s *Store) ClaimsForOrgs(ctx context.Context, orgIDs []int64, status marketplace.ClaimStatus, limit int) ([]marketplace.Claim, error) {
	if len(orgIDs) == 0 {
		return []marketplace.Claim{}, nil
	}
	if status != "" {
		return s.claimsLimit(ctx, limit, "n.org_id IN ? AND c.status = ?", orgIDs, string(status))
	}
	return s.claimsLimit(ctx, limit, "n.org_id IN ?", orgIDs)
}

// ClaimsForVolunteer implements marketplace.PeopleStore.
func (s *Store) ClaimsForVolunteer(ctx context.Context, volunteerID int64) ([]marketplace.Claim, error) {
	return s.claims(ctx, "c.volunteer_id = ?", volunteerID)
}

// UpdateClaim implements marketplace.PeopleStore.
func (s *Store) UpdateClaim(ctx context.Context, c *marketplace.Claim, from marketplace.ClaimStatus, audit marketplace.AuditEntry) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&claimRow{}).Where("id = ? AND status = ?", c.ID, string(from)).Updates(map[string]any{
			"status": string(c.Status), "decided_by": c.DecidedBy, "decided_at": c.DecidedAt, "starts_at": c.StartsAt,
			"ends_at": c.EndsAt, "released_at": c.ReleasedAt, "updated_at": c.UpdatedAt})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return kernel.Refuse(kernel.ErrConflict, "refusal_claim_changed", nil, "the claim changed meanwhile")
		}
		return AppendAudit(tx, &audit)
	})
}

// AppendAudit implements marketplace.PeopleStore.
func (s *Store) AppendAudit(ctx context.Context, audit marketplace.AuditEntry) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error { return AppendAudit(tx, &audit) })
}

type servicePledgeRow struct {
	ID            int64 `gorm:"primaryKey"`
	PublicID      string
	NeedID        int64
	VolunteerID   int64
	Service       string
	Minutes       int
	LoggedMinutes int
	Status        string
	DecidedBy     string
	DecidedAt     *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

func (servicePledgeRow) TableName() string { return "service_pledges" }

type servicePledgeJoin struct {
	Row               servicePledgeRow `gorm:"embedded"`
	NeedPublicID      string
	VolunteerPublicID string
	VolunteerName     string
}

type serviceLogRow struct {
	ID          int64 `gorm:"primaryKey"`
	PublicID    string
	PledgeID    int64
	Minutes     int
	ServiceDate time.Time
	NoteCt      []byte
	NoteKid     string
	LoggedBy    string
	LoggedRole  string
	CreatedAt   time.Time
}

func (serviceLogRow) TableName() string { return "service_logs" }

// CreateServicePledge implements marketplace.PeopleStore.
func (s *Store) CreateServicePledge(ctx context.Context, p *marketplace.ServicePledge, audit marketplace.AuditEntry) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		row := servicePledgeRow{PublicID: p.PublicID, NeedID: p.NeedID, VolunteerID: p.VolunteerID, Service: string(p.Service), Minutes: p.Minutes,
			Status: string(p.Status), CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
		if err := tx.Create(&row).Error; err != nil {
			return MapError(err)
		}
		p.ID = row.ID
		return AppendAudit(tx, &audit)
	})
}

func (s *Store) servicePledges(ctx context.Context, order, where string, args ...any) ([]marketplace.ServicePledge, error) {
	var rows []servicePledgeJoin
	if err := s.db.WithContext(ctx).Table("service_pledges p").
		Select("p.*, n.public_id AS need_public_id, v.public_id AS volunteer_public_id, u.display_name AS volunteer_name").
		Joins("JOIN needs n ON n.id = p.need_id").Joins("JOIN volunteers v ON v.id = p.volunteer_id").Joins("JOIN users u ON u.id = v.user_id").
		Where(where, args...).Order(order).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]marketplace.ServicePledge, len(rows))
	for i, j := range rows {
		r := j.Row
		out[i] = marketplace.ServicePledge{ID: r.ID, PublicID: r.PublicID, NeedID: r.NeedID, NeedPublicID: j.NeedPublicID, VolunteerID: r.VolunteerID,
			VolunteerPublicID: j.VolunteerPublicID, VolunteerName: j.VolunteerName, Service: kernel.Service(r.Service), Minutes: r.Minutes,
			LoggedMinutes: r.LoggedMinutes, Status: marketplace.ServicePledgeStatus(r.Status), DecidedBy: r.DecidedBy, DecidedAt: utcPtr(r.DecidedAt),
			CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	}
	return out, nil
}

// ServicePledgeByPublicID implements marketplace.PeopleStore.
func (s *Store) ServicePledgeByPublicID(ctx context.Context, publicID string) (*marketplace.ServicePledge, error) {
	ps, err := s.servicePledges(ctx, "p.id", "p.public_id = ?", publicID)
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, kernel.ErrNotFound
	}
	return &ps[0], nil
}

// UpdateServicePledge implements marketplace.PeopleStore.
func (s *Store) UpdateServicePledge(ctx context.Context, p *marketplace.ServicePledge, from marketplace.ServicePledgeStatus, audit marketplace.AuditEntry) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&servicePledgeRow{}).Where("id = ? AND status = ?", p.ID, string(from)).Updates(map[string]any{
			"status": string(p.Status), "decided_by": p.DecidedBy, "decided_at": p.DecidedAt, "updated_at": p.UpdatedAt})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return kernel.Refuse(kernel.ErrConflict, "refusal_pledge_changed", nil, "the pledge changed meanwhile")
		}
		return AppendAudit(tx, &audit)
	})
}

// AddServiceLog implements marketplace.PeopleStore.
func (s *Store) AddServiceLog(ctx context.Context, l *marketplace.ServiceLog, audit marketplace.AuditEntry) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&servicePledgeRow{}).Where("id = ? AND status = ?", l.PledgeID, string(marketplace.PledgeAccepted)).
			Updates(map[string]any{"logged_minutes": gorm.Expr("logged_minutes + ?", l.Minutes), "updated_at": l.CreatedAt})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return kernel.Refuse(kernel.ErrConflict, "refusal_pledge_not_accepted", nil, "the pledge is not accepted")
		}
		row := serviceLogRow{PublicID: l.PublicID, PledgeID: l.PledgeID, Minutes: l.Minutes, ServiceDate: l.Date, NoteCt: l.NoteCT, NoteKid: l.NoteKID,
			LoggedBy: l.LoggedBy, LoggedRole: string(l.LoggedRole), CreatedAt: l.CreatedAt}
		if err := tx.Create(&row).Error; err != nil {
			return MapError(err)
		}
		l.ID = row.ID
		return AppendAudit(tx, &audit)
	})
}

// ServicePledgesForNeed implements marketplace.PeopleStore.
func (s *Store) ServicePledgesForNeed(ctx context.Context, needID int64) ([]marketplace.ServicePledge, error) {
	return s.servicePledges(ctx, "p.id", "p.need_id = ?", needID)
}

// ServicePledgesForVolunteer implements marketplace.PeopleStore.
func (s *Store) ServicePledgesForVolunteer(ctx context.Context, volunteerID int64) ([]marketplace.ServicePledge, error) {
	return s.servicePledges(ctx, "p.id DESC", "p.volunteer_id = ?", volunteerID)
}

// ServiceLogs implements marketplace.PeopleStore.
func (s *Store) ServiceLogs(ctx context.Context, pledgeIDs []int64) ([]marketplace.ServiceLog, error) {
	var rows []serviceLogRow
	if err := s.db.WithContext(ctx).Where("pledge_id IN ?", pledgeIDs).Order("service_date, id").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]marketplace.ServiceLog, len(rows))
	for i, r := range rows {
		d := r.ServiceDate.UTC()
		out[i] = marketplace.ServiceLog{ID: r.ID, PublicID: r.PublicID, PledgeID: r.PledgeID, Minutes: r.Minutes,
			Date: time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC), NoteCT: r.NoteCt, NoteKID: r.NoteKid, LoggedBy: r.LoggedBy,
			LoggedRole: kernel.Role(r.LoggedRole), CreatedAt: r.CreatedAt.UTC()}
	}
	return out, nil
}
