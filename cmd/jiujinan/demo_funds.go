package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/matching"
)

// The demo's money: named funds and projects with restrictions in the
// three demo counties, donations confirmed by each holder's staff, and a
// few allocations to open demo needs that fit. Staff of the other holders
// log in with the demo password "demo-staff-pass".
type demoSource struct {
	kind         funds.SourceKind
	org          string // key in demoOrgs
	name, namer  string
	purpose      string
	restrictions kernel.Restrictions
	budgetFen    int64
	from, to     string // project period, YYYY-MM-DD
	match        funds.MatchOffer
	donatedFen   []int64 // confirmed donations from the demo donor
	reported     bool
}

var demoSources = []demoSource{
	{kind: funds.KindFund, org: "yc-fed", name: "郓城县王氏助医冠名基金", namer: "王建国先生",
		purpose:      "资助郓城县大病患者在医保和医疗救助之后仍需自付的医疗费用。",
		restrictions: kernel.Restrictions{Categories: []kernel.Category{"medical"}, RegionPrefixes: []string{"371725"}, PerNeedCapFen: 500_000},
		donatedFen:   []int64{10_000_000, 5_000_000}},
	{kind: funds.KindProject, org: "yc-fed", name: "郓城县困境儿童助学项目",
		purpose: "为孤儿、事实无人抚养儿童和低保家庭儿童提供学杂费、住宿费和学习用品。",
		restrictions: kernel.Restrictions{Categories: []kernel.Category{"education"}, RegionPrefixes: []string{"3717"},
			HouseholdTypes: []kernel.HouseholdType{"orphan", "unsupported_child", "dibao"}, PerNeedCapFen: 300_000},
		budgetFen: 30_000_000, from: "2026-09-01", to: "2027-08-31", donatedFen: []int64{8_000_000}},
	{kind: funds.KindProject, org: "yc-fed", name: "2025—2026年度郓城县大病救助项目",
		purpose:      "上一年度的大病救助项目，已结束，待公开最终报告。",
		restrictions: kernel.Restrictions{Categories: []kernel.Category{"medical"}, RegionPrefixes: []string{"371725"}},
		budgetFen:    20_000_000, from: "2025-07-01", to: "2026-06-30"},
	{kind: funds.KindFund, org: "yc-charity", name: "春晖助学基金", namer: "菏泽市春晖助学慈善协会",
		purpose:      "资助菏泽市困难家庭学生完成学业。",
		restrictions: kernel.Restrictions{Categories: []kernel.Category{"education"}, RegionPrefixes: []string{"3717"}, PerNeedCapFen: 300_000},
		donatedFen:   []int64{3_000_000}},
	{kind: funds.KindFund, org: "lh-fed", name: "隆回县急难救助基金", namer: "隆回县爱心企业联合会",
		purpose: "为低保、特困、低保边缘和支出型困难家庭的突发急难提供救助，配捐个人捐款。",
		restrictions: kernel.Restrictions{RegionPrefixes: []string{"430524"},
			HouseholdTypes: []kernel.HouseholdType{"dibao", "tekun", "dibao_edge", "expenditure_hardship"}},
		match:      funds.MatchOffer{RatioPct: 100, DonorCapFen: 100_000, TotalCapFen: 5_000_000},
		donatedFen: []int64{15_000_000}},
	{kind: funds.KindProject, org: "hy-fed", name: "合阳县独居老人冬季取暖项目",
		purpose: "为独居老人提供冬季取暖费用和上门照料。",
		restrictions: kernel.Restrictions{Categories: []kernel.Category{"heating", "care"}, RegionPrefixes: []string{"610524"},
			HouseholdTypes: []kernel.HouseholdType{"elderly_alone"}, PerNeedCapFen: 200_000},
		budgetFen: 12_000_000, from: "2026-11-01", to: "2027-03-31", donatedFen: []int64{4_000_000}},
}

// seedDemoFunds loads the demo funds and projects. admin creates the staff
// of the holders that have none among the demo users.
func (m *Main) seedDemoFunds(ctx context.Context, admin *kernel.Principal, orgs map[string]*kernel.Org) error {
	staff := map[string]*kernel.Principal{}
	for key, org := range orgs {
		if org.Kind != kernel.OrgCharityFederation && org.Kind != kernel.OrgCharity {
			continue
		}
		email := key + "-staff@demo.jiujinan.cn"
		if key == "yc-fed" {
			email = "staff@demo.jiujinan.cn"
		}
		u, err := m.Store.UserByEmail(ctx, email)
		if errors.Is(err, kernel.ErrNotFound) {
			u, err = m.Accounts.AddMember(ctx, admin, org.PublicID, marketplace.NewUser{Email: email, Password: "demo-staff-pass",
				DisplayName: org.Name + "工作人员", Role: kernel.RoleFederationStaff})
		}
		if err != nil {
			return fmt.Errorf("staff of %s: %w", org.Name, err)
		}
		if staff[key], err = m.Store.Principal(ctx, u.PublicID); err != nil {
			return err
		}
	}
	du, err := m.Store.UserByEmail(ctx, "donor@demo.jiujinan.cn")
	if err != nil {
		return err
	}
	donor, err := m.Store.Principal(ctx, du.PublicID)
	if err != nil {
		return err
	}
	for _, d := range demoSources {
		by := staff[d.org]
		if by == nil {
			return fmt.Errorf("demo source %s: no staff for %s", d.name, d.org)
		}
		n := funds.NewSource{Kind: d.kind, OrgID: orgs[d.org].PublicID, Name: d.name, Namer: d.namer, Purpose: d.purpose,
			Restrictions: d.restrictions, BudgetFen: d.budgetFen, Match: d.match}
		if d.kind == funds.KindProject {
			from, _ := time.Parse("2006-01-02", d.from)
			to, _ := time.Parse("2006-01-02", d.to)
			from, to = from.Add(-8*time.Hour), to.Add(16*time.Hour) // whole days in China time
			n.PeriodFrom, n.PeriodTo = &from, &to
		}
		// A load that stopped part-way made some sources, donations and
		// allocations already: they are kept and the rest is added.
		var done demoSourceDone
		if err := m.DB.Gorm.WithContext(ctx).Raw(`SELECT s.public_id,
			(SELECT COUNT(*) FROM pledges p WHERE p.source_id = s.id AND p.donor_id = ? AND p.matched_pledge_id IS NULL) AS pledges,
			(SELECT COUNT(*) FROM allocations a WHERE a.source_id = s.id) AS allocations
			FROM fund_sources s WHERE s.name = ?`, du.ID, d.name).Scan(&done).Error; err != nil {
			return err
		}
		if done.PublicID == "" {
			src, err := m.Funds.CreateSource(ctx, by, n)
			if err != nil {
				return fmt.Errorf("demo source %s: %w", d.name, err)
			}
			done.PublicID = src.PublicID
		}
		var unconfirmed []string
		if err := m.DB.Gorm.WithContext(ctx).Raw(`SELECT p.public_id FROM pledges p JOIN fund_sources s ON s.id = p.source_id
			WHERE s.public_id = ? AND p.status = 'pending'`, done.PublicID).Scan(&unconfirmed).Error; err != nil {
			return err
		}
		for _, amt := range d.donatedFen[min(done.Pledges, len(d.donatedFen)):] {
			p, err := m.Funds.CreatePledge(ctx, donor, funds.NewPledge{TargetType: funds.TargetType(d.kind), TargetID: done.PublicID, AmountFen: amt}, nil)
			if err != nil {
				return fmt.Errorf("demo donation to %s: %w", d.name, err)
			}
			unconfirmed = append(unconfirmed, p.PublicID)
		}
		for _, id := range unconfirmed {
			if err := m.demoStep(-1, "confirm "+d.name); err != nil {
				return err
			}
			if _, err := m.Funds.ConfirmPledge(ctx, by, id); err != nil {
				return fmt.Errorf("demo confirmation for %s: %w", d.name, err)
			}
		}
		src, err := m.Funds.Source(ctx, d.kind, done.PublicID)
		if err != nil {
			return err
		}
		if err := m.demoAllocate(ctx, by, src, done.Allocations); err != nil {
			return err
		}
	}
	return nil
}

// demoSourceDone is what a demo load that stopped part-way did for a
// source: the source, the demo donor's pledges to it and its allocations.
type demoSourceDone struct {
	PublicID    string `gorm:"column:public_id"`
	Pledges     int    `gorm:"column:pledges"`
	Allocations int    `gorm:"column:allocations"`
}

// demoAllocate gives a fund's or project's money to up to two open demo
// needs that its restrictions allow (there are none when no demo needs were
// loaded), needs whose notice is over first and the smallest first: the
// first is funded in full where the money allows and paid out to its
// provider (given counts the allocations a load that stopped part-way made), so that funded and disbursed needs show on the need pages, the
// register and the donor's trace out of the box.
func (m *Main) demoAllocate(ctx context.Context, by *kernel.Principal, src *funds.Source, given int) error {
	if src.BalanceFen == 0 && src.Kind == funds.KindProject && !src.Running(m.Now()) {
		return nil
	}
	var ids []string
	if err := m.DB.Gorm.WithContext(ctx).Raw(`SELECT public_id FROM needs WHERE status IN ('open', 'notice') AND funded_fen < requested_fen
		ORDER BY requested_fen - funded_fen, id LIMIT 400`).Scan(&ids).Error; err != nil {
		return err
	}
	now := m.Now()
	for pass := 0; pass < 2; pass++ { // needs whose notice is over, then the others
		for _, id := range ids {
			if given == 2 {
				return nil
			}
			n, err := m.Funds.Store.Need(ctx, id)
			if err != nil {
				return err
			}
			if n.NoticeOver(now) != (pass == 0) {
				continue
			}
			amount := min(n.Remaining(), 100_000)
			if given == 0 && n.Remaining() <= 500_000 {
				amount = n.Remaining()
			}
			if src.Restrictions.PerNeedCapFen > 0 {
				amount = min(amount, src.Restrictions.PerNeedCapFen)
			}
			if amount <= 0 || len(src.Restrictions.Fails(n.Facts(now), 0)) > 0 {
				continue
			}
			a, err := m.Funds.Allocate(ctx, by, src.Kind, src.PublicID, id, amount, nil)
			var ie *funds.IneligibleError
			var sb *kernel.ScreeningBlockedError
			switch {
			case err == nil:
				if given == 0 {
					if err := m.demoDisburse(ctx, by, a, n.Category); err != nil {
						return err
					}
				}
				given++
			case errors.As(err, &ie), errors.As(err, &sb), errors.Is(err, funds.ErrInsufficientFunds):
			default:
				return fmt.Errorf("demo allocation from %s: %w", src.Name, err)
			}
		}
	}
	return nil
}

// demoProviders are the demo payees by need category: money goes to the
// hospital or school directly where there is one.
var demoProviders = map[kernel.Category]string{
	"medical": "县人民医院", "serious_illness": "县人民医院", "education": "县第一中学", "disability": "县康复中心",
}

// demoDisburse pays a demo allocation out, to the provider of its category
// or else to the household; an allocation whose need is still in notice, or
// that screening now stops, stays allocated.
func (m *Main) demoDisburse(ctx context.Context, by *kernel.Principal, a *funds.Allocation, category kernel.Category) error {
	payee := funds.Payee{Type: funds.PayeeHousehold, Name: "王某某", Reference: "DEMO-" + a.PublicID[len(a.PublicID)-6:], Account: "6222020200001234567"}
	if name, ok := demoProviders[category]; ok {
		payee = funds.Payee{Type: funds.PayeeProvider, Name: name, Reference: "DEMO-" + a.PublicID[len(a.PublicID)-6:], Account: "1608020309024001234"}
	}
	_, err := m.Funds.Disburse(ctx, by, a.PublicID, payee, nil)
	var ie *funds.IneligibleError
	var sb *kernel.ScreeningBlockedError
	if err == nil || errors.As(err, &ie) || errors.As(err, &sb) {
		return nil
	}
	return fmt.Errorf("demo disbursement of %s: %w", a.PublicID, err)
}

// seedDemoPlan stores a batch allocation plan for the first demo fund of
// the demo staff's federation, for them to review and execute.
func (m *Main) seedDemoPlan(ctx context.Context) error {
	u, err := m.Store.UserByEmail(ctx, "staff@demo.jiujinan.cn")
	if err != nil {
		return err
	}
	staff, err := m.Store.Principal(ctx, u.PublicID)
	if err != nil {
		return err
	}
	var fundID string
	if err := m.DB.Gorm.WithContext(ctx).Raw(`SELECT s.public_id FROM fund_sources s 
		WHERE s.kind = 'fund' AND s.org_id IN (SELECT m.org_id FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.public_id = ?)
		ORDER BY s.id LIMIT 1`, u.PublicID).
		Scan(&fundID).Error; err != nil || fundID == "" {
		return err
	}
	if _, err := m.Matching.CreatePlan(ctx, staff, fundID, matching.PlanInput{FundIDs: []string{fundID}}); err != nil {
		return fmt.Errorf("demo plan: %w", err)
	}
	return nil
}
