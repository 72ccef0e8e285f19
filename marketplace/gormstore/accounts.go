package gormstore

import (
	"context"
	"errors"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"gorm.io/gorm"

	"github.com/jiujinan/jiujinan/marketplace"
)

type orgRow struct {
	ID         int64 `gorm:"primaryKey"`
	PublicID   string
	Name       string
	Kind       string
	RegionCode string
	CreatedAt  time.Time

	CollectionAccountName string
	CollectionBank        string
	CollectionAccountNo   string
	CollectionPayLink     string

	CreditCode     string
	RegisteredName string
}

func (orgRow) TableName() string { return "organizations" }

func (r orgRow) domain() *kernel.Org {
	o := &kernel.Org{ID: r.ID, PublicID: r.PublicID, Name: r.Name, Kind: kernel.OrgKind(r.Kind), RegionCode: r.RegionCode, CreatedAt: r.CreatedAt.UTC(),
		Collection: kernel.CollectionAccount{AccountName: r.CollectionAccountName, Bank: r.CollectionBank, AccountNo: r.CollectionAccountNo, PayLink: r.CollectionPayLink}}
	o.Registration = kernel.OrgRegistration{CreditCode: r.CreditCode, RegisteredName: r.RegisteredName}
	return o
}

type userRow struct {
	ID             int64 `gorm:"primaryKey"`
	PublicID       string
	Email          string
	PasswordHash   string
	DisplayName    string
	Disabled       bool
	SessionVersion int64
	FailedLogins   int
	LockedUntil    *time.Time
	CreatedAt      time.Time
}

func (userRow) TableName() string { return "users" }

func (r userRow) domain() *kernel.User {
	u := &kernel.User{ID: r.ID, PublicID: r.PublicID, Email: r.Email, PasswordHash: r.PasswordHash, DisplayName: r.DisplayName,
		Disabled: r.Disabled, SessionVersion: r.SessionVersion, FailedLogins: r.FailedLogins, CreatedAt: r.CreatedAt.UTC()}
	if r.LockedUntil != nil {
		t := r.LockedUntil.UTC()
		u.LockedUntil = &t
	}
	return u
}

type membershipRow struct {
	ID        int64 `gorm:"primaryKey"`
	UserID    int64
	OrgID     *int64
	Role      string
	CreatedAt time.Time
}

func (membershipRow) TableName() string { return "memberships" }

func unixMicro(us int64) time.Time { return time.UnixMicro(us).UTC() }

// CreateUser implements marketplace.AccountStore.
func (s *Store) CreateUser(ctx context.Context, u *kernel.User, ms []kernel.Membership, audit marketplace.AuditEntry) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		row := userRow{PublicID: u.PublicID, Email: u.Email, PasswordHash: u.PasswordHash, DisplayName: u.DisplayName, CreatedAt: u.CreatedAt}
		if err := tx.Create(&row).Error; err != nil {
			return MapError(err)
		}
		u.ID = row.ID
		for _, m := range ms {
			mr := membershipRow{UserID: row.ID, Role: string(m.Role), CreatedAt: u.CreatedAt}
			if m.Org != nil {
				mr.OrgID = &m.Org.ID
			}
			if err := tx.Create(&mr).Error; err != nil {
				return MapError(err)
			}
		}
		return AppendAudit(tx, &audit)
	})
}

// UserByEmail implements marketplace.AccountStore.
func (s *Store) UserByEmail(ctx context.Context, email string) (*kernel.User, error) {
	var r userRow
	if err := s.db.WithContext(ctx).Where("email = ?", email).Take(&r).Error; err != nil {
		return nil, MapError(err)
	}
	return r.domain(), nil
}

// Principal implements marketplace.AccountStore.
func (s *Store) Principal(ctx context.Context, userPublicID string) (*kernel.Principal, error) {
	var r userRow
	if err := s.db.WithContext(ctx).Where("public_id = ?", userPublicID).Take(&r).Error; err != nil {
		return nil, MapError(err)
	}
	var mrows []membershipRow
	if err := s.db.WithContext(ctx).Where("user_id = ?", r.ID).Order("id").Find(&mrows).Error; err != nil {
		return nil, err
	}
	p := &kernel.Principal{User: *r.domain()}
	orgs := map[int64]*kernel.Org{}
	for _, m := range mrows {
		ms := kernel.Membership{Role: kernel.Role(m.Role)}
		if m.OrgID != nil {
			o, ok := orgs[*m.OrgID]
			if !ok {
				var or orgRow
				if err := s.db.WithContext(ctx).Take(&or, *m.OrgID).Error; err != nil {
					return nil, MapError(err)
				}
				o = or.domain()
				orgs[o.ID] = o
			}
			ms.Org = o
		}
		p.Memberships = append(p.Memberships, ms)
	}
	return p, nil
}

// EndSessions implements marketplace.AccountStore.
func (s *Store) EndSessions(ctx context.Context, userID int64) error {
	return s.db.WithContext(ctx).Model(&userRow{}).Where("id = ?", userID).
		Update("session_version", gorm.Expr("session_version + 1")).Error
}

// CreateOrg implements marketplace.AccountStore.
func (s *Store) CreateOrg(ctx context.Context, o *kernel.Org, audit marketplace.AuditEntry) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		row := orgRow{PublicID: o.PublicID, Name: o.Name, Kind: string(o.Kind), RegionCode: o.RegionCode, CreatedAt: o.CreatedAt}
		if err := tx.Create(&row).Error; err != nil {
			return MapError(err)
		}
		o.ID = row.ID
		return AppendAudit(tx, &audit)
	})
}

// OrgByPublicID implements marketplace.AccountStore.
func (s *Store) OrgByPublicID(ctx context.Context, publicID string) (*kernel.Org, error) {
	var r orgRow
	if err := s.db.WithContext(ctx).Where("public_id = ?", publicID).Take(&r).Error; err != nil {
		return nil, MapError(err)
	}
	return r.domain(), nil
}

// SetOrgCollection implements marketplace.AccountStore.
func (s *Store) SetOrgCollection(ctx context.Context, orgID int64, a kernel.CollectionAccount, audit marketplace.AuditEntry) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&orgRow{}).Where("id = ?", orgID).Updates(map[string]any{
			"collection_account_name": a.AccountName, "collection_bank": a.Bank,
			"collection_account_no": a.AccountNo, "collection_pay_link": a.PayLink})
		if res.Error != nil {
			return MapError(res.Error)
		}
		return AppendAudit(tx, &audit)
	})
}

// ListOrgs implements marketplace.AccountStore.
func (s *Store) ListOrgs(ctx context.Context) ([]kernel.Org, error) {
	var rows []orgRow
	if err := s.db.WithContext(ctx).Order("id").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]kernel.Org, len(rows))
	for i, r := range rows {
		out[i] = *r.domain()
	}
	return out, nil
}

// OrgMembers implements marketplace.AccountStore.
func (s *Store) OrgMembers(ctx context.Context, orgID int64) ([]marketplace.OrgMember, error) {
	var rows []struct {
		PublicID    string
		Email       string
		DisplayName string
		Disabled    bool
		Role        string
		CreatedAt   time.Time
	}
	err := s.db.WithContext(ctx).Table("memberships m").
		Select("u.public_id, u.email, u.display_name, u.disabled, m.role, m.created_at").
		Joins("JOIN users u ON u.id = m.user_id").Where("m.org_id = ?", orgID).Order("m.id").Find(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]marketplace.OrgMember, len(rows))
	for i, r := range rows {
		out[i] = marketplace.OrgMember{UserPublicID: r.PublicID, Email: r.Email, DisplayName: r.DisplayName, Role: kernel.Role(r.Role),
			Disabled: r.Disabled, Since: r.CreatedAt.UTC()}
	}
	return out, nil
}

// OrgMemberCounts implements marketplace.AccountStore.
func (s *Store) OrgMemberCounts(ctx context.Context) (map[int64]int, error) {
	var rows []struct {
		OrgID int64
		N     int
	}
	err := s.db.WithContext(ctx).Model(&membershipRow{}).Select("org_id, COUNT(*) AS n").
		Where("org_id IS NOT NULL").Group("org_id").Find(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make(map[int64]int, len(rows))
	for _, r := range rows {
		out[r.OrgID] = r.N
	}
	return out, nil
}

// CountAdmins implements marketplace.AccountStore.
func (s *Store) CountAdmins(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&membershipRow{}).Where("role = ?", string(kernel.RoleAdmin)).Count(&n).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return 0, nil
	}
	return n, err
}
