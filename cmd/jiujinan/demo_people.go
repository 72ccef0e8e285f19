package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/marketplace"
)

// peopleService builds volunteers, reports, claims and service pledges over
// the needs' cipher (an approved claim opens the household's contact that
// the needs sealed).
func (m *Main) peopleService() (*marketplace.PeopleService, error) {
	p := marketplace.NewPeopleService(m.Store, m.Needs.Cipher, m.Divisions, m.Now, newID)
	p.Calendar, p.ReportFollowUpWorkingDays = m.Calendar, m.Config.ReportFollowUpDays
	return p, nil
}

// demoVolunteer is a demo volunteer: skills (service:level), regions,
// availability and whether their background check is cleared. The first
// one is the demo volunteer of demoUsers.
type demoVolunteer struct {
	email, name string
	skills      map[kernel.Service]string
	regions     []string
	slots       []marketplace.SlotInput
	cleared     bool
}

var (
	weekends = []marketplace.SlotInput{{Weekday: 6, From: "09:00", To: "17:00"}, {Weekday: 7, From: "09:00", To: "12:00"}}
	evenings = []marketplace.SlotInput{{Weekday: 2, From: "18:30", To: "21:00"}, {Weekday: 4, From: "18:30", To: "21:00"}}
	weekdays = []marketplace.SlotInput{{Weekday: 1, From: "08:30", To: "11:30"}, {Weekday: 3, From: "08:30", To: "11:30"}, {Weekday: 5, From: "14:00", To: "17:00"}}
)

var demoVolunteers = []demoVolunteer{
	{"volunteer@demo.jiujinan.cn", "", map[kernel.Service]string{kernel.SvcHomeCare: "skilled", kernel.SvcEmotional: "basic", kernel.SvcHospitalEscort: "skilled"}, []string{"371725"}, weekends, true},
	{"yc-v1@demo.jiujinan.cn", "护士志愿者周丽", map[kernel.Service]string{kernel.SvcHomeCare: "professional", kernel.SvcHospitalEscort: "professional"}, []string{"371725", "371700"}, weekends, true},
	{"yc-v2@demo.jiujinan.cn", "大学生志愿者孟浩", map[kernel.Service]string{kernel.SvcTutoring: "skilled", kernel.SvcSocialIntegration: "basic"}, []string{"371725001", "371725002"}, evenings, false},
	{"yc-v3@demo.jiujinan.cn", "律师志愿者宋哲", map[kernel.Service]string{kernel.SvcLegalAid: "professional", kernel.SvcResourceLinking: "skilled"}, []string{"371700"}, evenings, true},
	{"yc-v4@demo.jiujinan.cn", "退休木工刘师傅", map[kernel.Service]string{kernel.SvcHomeRepair: "professional", kernel.SvcDailyHelp: "basic"}, []string{"371725"}, weekdays, false},
	{"lh-v1@demo.jiujinan.cn", "心理咨询师曾敏", map[kernel.Service]string{kernel.SvcPsychological: "professional", kernel.SvcEmotional: "skilled"}, []string{"430524"}, evenings, true},
	{"lh-v2@demo.jiujinan.cn", "支教老师彭芳", map[kernel.Service]string{kernel.SvcTutoring: "professional", kernel.SvcSkillsTraining: "skilled"}, []string{"430524"}, weekends, true},
	{"lh-v3@demo.jiujinan.cn", "青年志愿者罗强", map[kernel.Service]string{kernel.SvcDailyHelp: "basic", kernel.SvcHomeRepair: "basic"}, []string{"430524"}, weekends, false},
	{"hy-v1@demo.jiujinan.cn", "就业指导师王军", map[kernel.Service]string{kernel.SvcJobGuidance: "professional", kernel.SvcSkillsTraining: "skilled"}, []string{"610524"}, weekdays, false},
	{"hy-v2@demo.jiujinan.cn", "社区医生李娜", map[kernel.Service]string{kernel.SvcHospitalEscort: "professional", kernel.SvcHomeCare: "skilled"}, []string{"610524"}, weekends, true},
	{"hy-v3@demo.jiujinan.cn", "助老志愿者赵红", map[kernel.Service]string{kernel.SvcEmotional: "skilled", kernel.SvcDailyHelp: "skilled"}, []string{"610524", "610500"}, weekdays, true},
}

// demoVolunteerPassword is the (public) password of the extra demo volunteers.
const demoVolunteerPassword = "demo-volunteer-pass"

var demoReports = []marketplace.ReportInput{
	{RegionCode: "371725001", Category: "care", Description: "我们小区有位独居老人，最近行动不便，常一个人在家，没人照顾吃饭。"},
	{RegionCode: "371725", Category: "education", Description: "村里有个孩子父母外出打工联系不上，跟着年迈的奶奶生活，开学了还没交学费。"},
	{RegionCode: "430524", Category: "medical", Description: "邻居家孩子得了重病在县医院住院，家里已经借遍了亲戚，想请社工上门看看。"},
	{RegionCode: "610524", Category: "housing", Description: "暴雨后一户人家的房子后墙裂开了，家里只有两位老人，不敢住。"},
}

// seedDemoPeople adds volunteers with profiles (some with cleared background
// checks) across the demo counties, and a few active-discovery reports.
func (m *Main) seedDemoPeople(ctx context.Context, admin *kernel.Principal) error {
	for _, d := range demoVolunteers {
		u, err := m.Store.UserByEmail(ctx, d.email)
		if err != nil {
			if u, err = m.Accounts.Register(ctx, marketplace.NewUser{Email: d.email, Password: demoVolunteerPassword, DisplayName: d.name, Role: kernel.RoleVolunteer}); err != nil {
				return fmt.Errorf("volunteer %s: %w", d.email, err)
			}
		}
		p, err := m.Store.Principal(ctx, u.PublicID)
		if err != nil {
			return err
		}
		in := marketplace.ProfileInput{Regions: d.regions, Availability: d.slots, LoadLimit: 3}
		for _, svc := range kernel.Services {
			if lvl, ok := d.skills[svc]; ok {
				in.Skills = append(in.Skills, marketplace.SkillInput{Service: string(svc), Level: lvl})
			}
		}
		v, err := m.People.SaveProfile(ctx, p, in)
		if err != nil {
			return fmt.Errorf("volunteer profile %s: %w", d.email, err)
		}
		if d.cleared {
			checked := m.Now().AddDate(0, -2, 0).Format("2006-01-02")
			if _, err := m.People.SetBackgroundCheck(ctx, admin, v.PublicID, marketplace.BackgroundCheckInput{Status: "cleared", CheckedAt: checked}); err != nil {
				return fmt.Errorf("background check %s: %w", d.email, err)
			}
		}
	}
	// The reports a load that stopped part-way submitted already (in order).
	var reports int64
	if err := m.DB.Gorm.WithContext(ctx).Raw("SELECT COUNT(*) FROM reports").Scan(&reports).Error; err != nil {
		return err
	}
	for _, r := range demoReports[min(int(reports), len(demoReports)):] {
		if _, err := m.People.SubmitReport(ctx, nil, r); err != nil {
			return fmt.Errorf("report: %w", err)
		}
	}
	return m.seedDemoVolunteering(ctx)
}

// seedDemoVolunteering lets the demo volunteers claim and pledge service to
// the open demo needs that ask for their skills, within every rule of the
// people service (region, skill, load, background check); a social worker of
// the posting organization approves the claims and accepts the pledges, and
// part of the service is logged. Needs the rules refuse are skipped.
func (m *Main) seedDemoVolunteering(ctx context.Context) error {
	var needs []struct {
		PublicID     string
		OrgID        int64
		ServiceNeeds string
	}
	// Demo only: the needs that may take volunteers, oldest first.
	if err := m.DB.Gorm.WithContext(ctx).Raw(`SELECT public_id, org_id, service_needs FROM needs
		WHERE status IN ('notice', 'open', 'funded') AND service_needs <> '' AND consent_public = 1 ORDER BY id LIMIT 300`).
		Scan(&needs).Error; err != nil {
		return err
	}
	workers := map[int64]*kernel.Principal{}
	workerOf := func(orgID int64) (*kernel.Principal, error) {
		if p, ok := workers[orgID]; ok {
			return p, nil
		}
		var uid string
		if err := m.DB.Gorm.WithContext(ctx).Raw(`SELECT u.public_id FROM memberships ms JOIN users u ON u.id = ms.user_id
			WHERE ms.org_id = ? AND ms.role = ? ORDER BY u.id LIMIT 1`, orgID, string(kernel.RoleSocialWorker)).Scan(&uid).Error; err != nil {
			return nil, err
		}
		var p *kernel.Principal
		if uid != "" {
			var err error
			if p, err = m.Store.Principal(ctx, uid); err != nil {
				return nil, err
			}
		}
		workers[orgID] = p
		return p, nil
	}
	today := m.Now().In(kernel.ChinaTime).Format("2006-01-02")
	n := 0
	for _, d := range demoVolunteers {
		u, err := m.Store.UserByEmail(ctx, d.email)
		if err != nil {
			return err
		}
		vol, err := m.Store.Principal(ctx, u.PublicID)
		if err != nil {
			return err
		}
		// What a load that stopped part-way did already counts.
		var done struct {
			Claims  int `gorm:"column:claims"`
			Pledges int `gorm:"column:pledges"`
		}
		if err := m.DB.Gorm.WithContext(ctx).Raw(`SELECT
			(SELECT COUNT(*) FROM volunteer_claims c JOIN volunteers v ON v.id = c.volunteer_id WHERE v.user_id = ?) AS claims,
			(SELECT COUNT(*) FROM service_pledges p JOIN volunteers v ON v.id = p.volunteer_id WHERE v.user_id = ?) AS pledges`,
			u.ID, u.ID).Scan(&done).Error; err != nil {
			return err
		}
		claims, pledges := done.Claims, done.Pledges
		for _, need := range needs {
			if claims >= 2 && pledges >= 2 {
				break
			}
			worker, err := workerOf(need.OrgID)
			if err != nil {
				return err
			}
			if worker == nil {
				continue
			}
			for _, svc := range strings.Split(need.ServiceNeeds, ",") {
				if _, ok := d.skills[kernel.Service(svc)]; !ok {
					continue
				}
				if claims < 2 {
					if c, err := m.People.ClaimNeed(ctx, vol, need.PublicID, marketplace.ClaimInput{Service: svc, WindowDays: 7 + 7*claims}); err == nil {
						claims++
						n++
						if n%3 != 0 { // every third claim stays pending for the worker to decide
							if _, err := m.People.DecideClaim(ctx, worker, c.PublicID, true); err != nil {
								return fmt.Errorf("demo claim approval: %w", err)
							}
						}
					}
				}
				if pledges < 2 {
					if p, err := m.People.PledgeService(ctx, vol, marketplace.ServicePledgeInput{NeedID: need.PublicID, Skill: svc, Hours: float64(4 * (1 + pledges))}); err == nil {
						pledges++
						if _, err := m.People.DecideServicePledge(ctx, worker, p.PublicID, true); err != nil {
							return fmt.Errorf("demo pledge acceptance: %w", err)
						}
						if _, err := m.People.LogService(ctx, vol, p.PublicID, marketplace.ServiceLogInput{Hours: 2, Date: today}); err != nil {
							return fmt.Errorf("demo service log: %w", err)
						}
					}
				}
				break
			}
		}
	}
	return nil
}
