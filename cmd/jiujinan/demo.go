package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/marketplace"
)

// The demo dataset: organizations of every kind in three real counties and
// one user per role. The passwords are public (README); never load the demo
// into a production database.
type demoOrg struct {
	key, name  string
	kind       kernel.OrgKind
	regionCode string
}

var demoOrgs = []demoOrg{
	{"yc-fed", "郓城县慈善总会", kernel.OrgCharityFederation, "371725"},
	{"yc-swa", "郓城县阳光社会工作服务中心", kernel.OrgSocialWorkAgency, "371725"},
	{"yc-mz", "郓城县民政局", kernel.OrgCivilAffairs, "371725"},
	{"yc-charity", "菏泽市春晖助学慈善协会", kernel.OrgCharity, "371700"},
	{"lh-fed", "隆回县慈善总会", kernel.OrgCharityFederation, "430524"},
	{"lh-swa", "隆回县同心社会工作服务站", kernel.OrgSocialWorkAgency, "430524"},
	{"lh-mz", "隆回县民政局", kernel.OrgCivilAffairs, "430524"},
	{"hy-fed", "合阳县慈善协会", kernel.OrgCharityFederation, "610524"},
	{"hy-swa", "合阳县乐助社会工作服务中心", kernel.OrgSocialWorkAgency, "610524"},
	{"hy-mz", "合阳县民政局", kernel.OrgCivilAffairs, "610524"},
}

type demoUser struct {
	email, password, name string
	role                  kernel.Role
	org                   string // key in demoOrgs; empty for donor, volunteer, admin
}

// DemoUsers are printed at start and listed in the README.
var demoUsers = []demoUser{
	{"admin@demo.jiujinan.cn", "demo-admin-pass", "系统管理员", kernel.RoleAdmin, ""},
	{"donor@demo.jiujinan.cn", "demo-donor-pass", "爱心人士王女士", kernel.RoleDonor, ""},
	{"volunteer@demo.jiujinan.cn", "demo-volunteer-pass", "志愿者小刘", kernel.RoleVolunteer, ""},
	{"worker@demo.jiujinan.cn", "demo-worker-pass", "社工李敏", kernel.RoleSocialWorker, "yc-swa"},
	{"verifier@demo.jiujinan.cn", "demo-verifier-pass", "民政核查员赵刚", kernel.RoleVerifier, "yc-mz"},
	{"staff@demo.jiujinan.cn", "demo-staff-pass", "慈善总会陈静", kernel.RoleFederationStaff, "yc-fed"},
	{"auditor@demo.jiujinan.cn", "demo-auditor-pass", "审计员孙伟", kernel.RoleAuditor, "yc-fed"},
}

// LoadDemo loads the demo dataset once. A load that stopped part-way (a
// full disk, a killed process) is resumed where it stopped: every step
// skips what an earlier run wrote. The demo counts as loaded only once its
// last step, the batch plan, is stored.
func (m *Main) LoadDemo(ctx context.Context, out io.Writer) error {
	admin := demoUsers[0]
	_, err := m.Store.UserByEmail(ctx, admin.email)
	switch {
	case err == nil:
		done, err := m.demoComplete(ctx)
		if err != nil {
			return err
		}
		if done {
			fmt.Fprintln(out, "Demo data is already loaded.")
			break
		}
		fmt.Fprintln(out, "Resuming the demo data a previous load left incomplete.")
		if err := m.seedDemo(ctx); err != nil {
			return err
		}
		fmt.Fprintln(out, "Loaded the demo data.")
	case errors.Is(err, kernel.ErrNotFound):
		if err := m.seedDemo(ctx); err != nil {
			return err
		}
		fmt.Fprintln(out, "Loaded the demo data.")
	default:
		return err
	}
	fmt.Fprintln(out, "Demo logins (public passwords: never use the demo in production):")
	for _, u := range demoUsers {
		fmt.Fprintf(out, "  %-17s %-28s %s\n", u.role, u.email, u.password)
	}
	return nil
}

// demoComplete reports whether the last step of the demo, the plan of the
// demo staff's federation, is stored.
func (m *Main) demoComplete(ctx context.Context) (bool, error) {
	var n int64
	err := m.DB.Gorm.WithContext(ctx).Raw(`SELECT COUNT(*) FROM plans p WHERE p.org_id IN
		(SELECT ms.org_id FROM memberships ms JOIN users u ON u.id = ms.user_id WHERE u.email = ?)`, "staff@demo.jiujinan.cn").Scan(&n).Error
	return n > 0, err
}

// demoStep asks demoFault (tests) before a step of the demo load: step of
// demo need number need, or of the money (need -1); an error stops the
// load there, as a full disk would.
func (m *Main) demoStep(need int, step string) error {
	if m.demoFault == nil {
		return nil
	}
	return m.demoFault(need, step)
}

// demoUserByEmail returns the principal of the user with email, or nil when there
// is none yet.
func (m *Main) demoUserByEmail(ctx context.Context, email string) (*kernel.Principal, error) {
	u, err := m.Store.UserByEmail(ctx, email)
	if errors.Is(err, kernel.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return m.Store.Principal(ctx, u.PublicID)
}

func (m *Main) seedDemo(ctx context.Context) error {
	admin, err := m.demoUserByEmail(ctx, demoUsers[0].email)
	if err != nil {
		return err
	}
	if admin == nil {
		u, err := m.Accounts.CreateAdmin(ctx, demoUsers[0].email, demoUsers[0].password, demoUsers[0].name)
		if err != nil {
			return err
		}
		if admin, err = m.Store.Principal(ctx, u.PublicID); err != nil {
			return err
		}
	}
	orgs := map[string]*kernel.Org{}
	for _, o := range demoOrgs {
		var id string
		if err := m.DB.Gorm.WithContext(ctx).Raw("SELECT public_id FROM organizations WHERE name = ?", o.name).Scan(&id).Error; err != nil {
			return err
		}
		var org *kernel.Org
		if id != "" {
			org, err = m.Store.OrgByPublicID(ctx, id)
		} else {
			org, err = m.Accounts.CreateOrg(ctx, admin, marketplace.NewOrg{Name: o.name, Kind: o.kind, RegionCode: o.regionCode})
		}
		if err != nil {
			return fmt.Errorf("org %s: %w", o.name, err)
		}
		orgs[o.key] = org
	}
	for _, d := range demoUsers[1:] {
		if p, err := m.demoUserByEmail(ctx, d.email); err != nil || p != nil {
			if err != nil {
				return err
			}
			continue
		}
		n := marketplace.NewUser{Email: d.email, Password: d.password, DisplayName: d.name, Role: d.role}
		if d.org == "" {
			_, err = m.Accounts.Register(ctx, n)
		} else {
			_, err = m.Accounts.AddMember(ctx, admin, orgs[d.org].PublicID, n)
		}
		if err != nil {
			return fmt.Errorf("user %s: %w", d.email, err)
		}
	}
	if _, err := m.seedDemoNeeds(ctx, admin, orgs, m.Now()); err != nil {
		return fmt.Errorf("demo needs: %w", err)
	}
	// Needs published side by side (MySQL seeds in parallel) may not have
	// seen each other in their cells.
	if _, _, err := m.reproject(ctx); err != nil {
		return fmt.Errorf("demo needs: %w", err)
	}
	if err := m.seedDemoPeople(ctx, admin); err != nil {
		return err
	}
	if err := m.seedDemoFunds(ctx, admin, orgs); err != nil {
		return err
	}
	return m.seedDemoPlan(ctx)
}
