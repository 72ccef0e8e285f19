package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/recovery"
	"github.com/jiujinan/jiujinan/sqldb"
)

// The demo needs: a few hundred households across the three demo counties,
// posted, cleared, published, objected to and withdrawn through the need
// lifecycle itself (never raw SQL), so that every rule and the audit log
// apply. Stories carry names, phones, addresses and hospital numbers, as
// real ones do, so that the scrubber's work shows on the public pages.
// Funded, disbursed and closed needs come from the funds demo.

// demoCounty is a county with its social work agency and civil affairs office.
type demoCounty struct {
	code, swa, mz string
	hospital      string
}

var demoCounties = []demoCounty{
	{"371725", "yc-swa", "yc-mz", "郓城县人民医院"},
	{"430524", "lh-swa", "lh-mz", "隆回县人民医院"},
	{"610524", "hy-swa", "hy-mz", "合阳县医院"},
}

// demoNeedsPerCounty × 3 needs are loaded.
const demoNeedsPerCounty = 100

var (
	demoSurnames = []string{"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "胡", "朱", "郭", "何", "罗", "高", "林"}
	demoGiven    = []string{"建国", "秀英", "桂兰", "志强", "海燕", "丽娟", "德胜", "玉梅", "文斌", "春花", "永红", "明亮", "淑珍", "国庆", "晓燕",
		"小军", "雨涵", "子轩", "欣怡", "浩然", "俊杰", "金凤", "长江", "翠萍", "宝山"}
	demoVillages = []string{"李庄村", "王楼村", "前进村", "河湾村", "新民村", "张店村", "杨家沟村", "红星村", "柳树屯村", "东关社区"}
)

type demoStory struct {
	category  kernel.Category
	title     string // %s: name
	story     string // see demoNeedText
	services  []kernel.Service
	minYuan   int
	maxYuan   int
	hospital  bool
	household []kernel.HouseholdType
}

var demoStories = []demoStory{
	{kernel.CatMedical, "%s尿毒症透析费用求助", "{name}，{age}岁，家住{town}{village}{group}组{num}号。两年前确诊尿毒症，每周需透析三次，在{hospital}住院治疗，住院号{record}，{bed}床。家中{member}靠打零工维持生活。目前治疗费用共计{cost}元，医保和医疗救助已报销{statutory}元，仍有较大缺口。联系人{member}，电话{phone}。",
		[]kernel.Service{kernel.Service("hospital_escort"), kernel.Service("psychological_support")}, 30000, 200000, true, []kernel.HouseholdType{"expenditure_hardship", "dibao_edge"}},
	{kernel.CatMedical, "%s白血病化疗费用", "{name}今年{age}岁，去年被确诊急性白血病，现于{hospital}血液科化疗，住院号{record}。为治病家里已借遍亲友，{member}辞去工作专职照顾。已获大病保险和医疗救助{statutory}元，剩余自付部分难以承担。如需核实请联系{phone}。",
		[]kernel.Service{kernel.Service("hospital_escort"), kernel.Service("emotional_support")}, 80000, 300000, true, []kernel.HouseholdType{"expenditure_hardship"}},
	{kernel.CatMedical, "%s车祸重伤后续治疗", "{name}在外务工时遭遇车祸，多处骨折，现在{hospital}骨科{bed}床。肇事方无力赔偿，{member}独自带着孩子。家住{town}{village}。已申请临时救助{statutory}元，后续康复仍需费用{cost}元。",
		[]kernel.Service{kernel.Service("hospital_escort"), kernel.Service("legal_aid")}, 20000, 120000, true, []kernel.HouseholdType{"poverty_risk"}},
	{kernel.CatEducation, "%s大学学费和生活费", "{name}今年考入大学，父亲早逝，母亲{member}患慢性病无法劳动，家中为低保户，住{town}{village}{group}组。学费和住宿费每年约{cost}元，已获教育救助{statutory}元。孩子成绩优秀，希望社会帮助完成学业。联系电话{phone}。",
		[]kernel.Service{kernel.Service("tutoring"), kernel.Service("job_guidance")}, 8000, 30000, false, []kernel.HouseholdType{"dibao"}},
	{kernel.CatEducation, "事实无人抚养儿童%s助学", "{name}，{age}岁，父母一方服刑一方失联，随祖母{member}生活，家住{town}{village}{num}号。祖母年迈多病，孩子上学的书本费、伙食费无着落，已领取基本生活补贴{statutory}元。",
		[]kernel.Service{kernel.Service("tutoring"), kernel.Service("emotional_support")}, 3000, 12000, false, []kernel.HouseholdType{"unsupported_child"}},
	{kernel.CatHousing, "%s家危房改造", "{name}一家住在{town}{village}{group}组的土坯房里，墙体开裂、屋顶漏雨，经鉴定为C级危房。{member}常年卧病，家中无劳动力。危房改造补助{statutory}元到位后，仍差材料和人工费用。联系人电话{phone}。",
		[]kernel.Service{kernel.Service("home_repair")}, 20000, 80000, false, []kernel.HouseholdType{"dibao", "severe_disability"}},
	{kernel.CatDisaster, "%s家洪灾后重建", "今年夏季强降雨，{name}家位于{town}{village}的房屋被冲毁，{member}在转移时受伤。已领取受灾人员救助{statutory}元，重建房屋和添置基本生活用品仍需{cost}元。",
		[]kernel.Service{kernel.Service("home_repair"), kernel.Service("psychological_support")}, 15000, 100000, false, []kernel.HouseholdType{"poverty_risk"}},
	{kernel.CatBasicLiving, "特困老人%s基本生活", "{name}，{age}岁，无儿无女，独自住在{town}{village}{num}号，已纳入特困供养。老人行动不便，冬季取暖、日常用品和营养品开支超出供养金{statutory}元的范围。邻居{member}时常照看，电话{phone}。",
		[]kernel.Service{kernel.Service("daily_help"), kernel.Service("home_care"), kernel.Service("emotional_support")}, 3000, 15000, false, []kernel.HouseholdType{"tekun", "elderly_alone"}},
	{kernel.CatCare, "重度残疾人%s照料服务", "{name}因脑梗后遗症重度残疾，生活不能自理，妻子{member}也年过六旬。家住{town}{village}{group}组。需要上门照料和康复器具，残疾人两项补贴{statutory}元不足以支付护理费用。",
		[]kernel.Service{kernel.Service("home_care"), kernel.Service("daily_help")}, 6000, 40000, false, []kernel.HouseholdType{"severe_disability", "dibao"}},
	{kernel.CatFuneral, "%s家丧葬费用", "{name}的{member}突发疾病去世，家中仅靠{name}打零工为生，住{town}{village}。基本殡葬服务费用减免{statutory}元后，仍有部分费用无力支付。联系电话{phone}。",
		[]kernel.Service{kernel.Service("emotional_support")}, 4000, 15000, false, []kernel.HouseholdType{"dibao_edge"}},
	{kernel.CatHeating, "%s家冬季取暖", "{name}，{age}岁，和老伴{member}住在{town}{village}{num}号，房屋保温差，冬季取暖燃料费用高。已领取取暖补贴{statutory}元，仍需购买煤炭和保暖衣物。",
		[]kernel.Service{kernel.Service("daily_help")}, 2000, 6000, false, []kernel.HouseholdType{"elderly_alone", "dibao"}},
	{kernel.CatEmployment, "%s就业技能培训", "{name}因病致贫，病愈后希望学习技能重新就业，家住{town}{village}。参加职业技能培训和购置工具需{cost}元，已获就业救助{statutory}元。联系电话{phone}。",
		[]kernel.Service{kernel.Service("skills_training"), kernel.Service("job_guidance")}, 3000, 12000, false, []kernel.HouseholdType{"poverty_risk"}},
	{kernel.CatLegal, "%s工伤维权援助", "{name}在工地受伤致残，用工方拒绝赔偿，{member}多次讨要无果。家住{town}{village}{group}组。诉讼和鉴定费用约{cost}元，已获法律援助减免{statutory}元。",
		[]kernel.Service{kernel.Service("legal_aid")}, 5000, 20000, false, []kernel.HouseholdType{"expenditure_hardship"}},
}

// demoPlan is what happens to one demo need.
type demoPlan string

const (
	planSubmitted        demoPlan = "submitted"
	planSubmittedOverdue demoPlan = "submitted_overdue"
	planCleared          demoPlan = "cleared"
	planReferred         demoPlan = "referred"
	planRejected         demoPlan = "rejected"
	planNotice           demoPlan = "notice"
	planOpen             demoPlan = "open"
	planEmergency        demoPlan = "emergency"
	planSuspended        demoPlan = "suspended"
	planWithdrawn        demoPlan = "withdrawn"
	planPrivate          demoPlan = "private" // published without consent to publication
)

// demoPlans is the mix, repeated: mostly open and in notice, every other status present.
var demoPlans = []demoPlan{
	planOpen, planNotice, planOpen, planSubmitted, planOpen, planNotice, planEmergency, planOpen, planSubmittedOverdue, planCleared,
	planOpen, planNotice, planReferred, planOpen, planSuspended, planRejected, planOpen, planWithdrawn, planNotice, planPrivate,
}

func demoIDNumber(r *rand.Rand, county string, birth time.Time) string {
	s := county + birth.Format("20060102") + fmt.Sprintf("%03d", r.IntN(1000))
	return s + string(kernel.IDCheckChar(s))
}

func demoPhone(r *rand.Rand) string {
	return fmt.Sprintf("1%d%d%08d", 3+r.IntN(7), r.IntN(10), r.IntN(100_000_000))
}

// demoJob is one demo need: its input and when each step happens.
type demoJob struct {
	worker, verifier *kernel.Principal
	plan             demoPlan
	in               marketplace.NeedInput
	submitAt         time.Time
	clearAfter       time.Duration
	publishAfter     time.Duration
	withdrawEarly    bool
	update           bool
}

// seedDemoNeeds loads the demo needs. now is the demo's present; the needs
// are spread over the weeks before it. The households are drawn in order
// from a fixed seed, then taken through the lifecycle (on MySQL by several
// workers at once, so that which public region a need gets, which depends
// on what was published before it, may differ from run to run).
func (m *Main) seedDemoNeeds(ctx context.Context, admin *kernel.Principal, orgs map[string]*kernel.Org, now time.Time) (int, error) {
	r := rand.New(rand.NewPCG(2026, 11))
	staff := func(orgKey string, role kernel.Role) (*kernel.Principal, error) {
		n := marketplace.NewUser{Email: fmt.Sprintf("%s.%s@staff.demo.jiujinan.cn", orgKey, role), Password: fmt.Sprintf("%x%x", r.Uint64(), r.Uint64()),
			DisplayName: "演示" + string(role), Role: role}
		// A load that stopped part-way made some of them already.
		if p, err := m.demoUserByEmail(ctx, n.Email); err != nil || p != nil {
			return p, err
		}
		u, err := m.Accounts.AddMember(ctx, admin, orgs[orgKey].PublicID, n)
		if err != nil {
			return nil, err
		}
		return m.Store.Principal(ctx, u.PublicID)
	}
	notice := m.Config.NoticePeriod
	var jobs []demoJob
	for _, county := range demoCounties {
		worker, err := staff(county.swa, kernel.RoleSocialWorker)
		if err != nil {
			return 0, err
		}
		verifier, err := staff(county.mz, kernel.RoleVerifier)
		if err != nil {
			return 0, err
		}
		towns := m.Divisions.Children(county.code)
		for i := 0; i < demoNeedsPerCounty; i++ {
			plan := demoPlans[(i+r.IntN(3))%len(demoPlans)]
			j := demoJob{worker: worker, verifier: verifier, plan: plan,
				in: demoNeed(r, county, towns, m.Divisions, plan, now, m.Config.EmergencyLimitFen)}
			switch plan {
			case planSubmitted:
				j.submitAt = now.Add(-time.Duration(r.IntN(40)) * time.Hour)
			case planSubmittedOverdue:
				j.submitAt = now.Add(-time.Duration(100+r.IntN(200)) * time.Hour)
			case planNotice, planSuspended:
				// Published 6 to 30 hours after posting, still in notice now.
				j.submitAt = now.Add(-36*time.Hour - time.Duration(r.IntN(max(int(notice/time.Hour)-48, 1)))*time.Hour)
			default:
				j.submitAt = now.Add(-notice - time.Duration(48+r.IntN(600))*time.Hour)
			}
			j.clearAfter = time.Duration(4+r.IntN(20)) * time.Hour
			j.publishAfter = time.Duration(1+r.IntN(6)) * time.Hour
			j.withdrawEarly = r.IntN(2) == 0
			j.update = r.IntN(3) == 0
			j.in.Deadline = j.submitAt.AddDate(0, 1+r.IntN(4), 0).Format("2006-01-02")
			j.in.CostFrom, j.in.CostTo = j.submitAt.AddDate(0, 0, -30).Format("2006-01-02"), j.submitAt.AddDate(0, 6, 0).Format("2006-01-02")
			j.in.Consent.At = j.submitAt.Add(-2 * time.Hour).Format(time.RFC3339)
			jobs = append(jobs, j)
		}
	}
	ch := make(chan int)
	errs := make(chan error, len(jobs))
	var wg sync.WaitGroup
	// SQLite has one writer anyway; on MySQL commits in parallel save most of
	// the time.
	workers := 1
	if m.DB.Dialect == sqldb.MySQL {
		workers = 8
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range ch {
				if err := recovery.Run(m.Log, "demo data", func() error { return m.runDemoJob(ctx, jobs[i], i) }); err != nil {
					errs <- fmt.Errorf("demo need %d: %w", i, err)
				}
			}
		}()
	}
	for i := range jobs {
		ch <- i
	}
	close(ch)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return 0, err
	}
	return len(jobs), nil
}

// runDemoJob takes one demo need through its plan, on its own clock. It
// resumes a need that a load which stopped part-way left behind: a step
// whose effect the need's status shows already is skipped.
func (m *Main) runDemoJob(ctx context.Context, j demoJob, n int) error {
	clock := j.submitAt
	svc := *m.Needs
	svc.Now = func() time.Time { return clock }
	var found []struct {
		PublicID string `gorm:"column:public_id"`
		Status   string `gorm:"column:status"`
	}
	if err := m.DB.Gorm.WithContext(ctx).Raw("SELECT public_id, status FROM needs WHERE pseudonym = ? AND category = ? ORDER BY id LIMIT 1",
		m.Needs.Pseudonymizer.Of(j.in.Beneficiary.IDNumber), string(j.in.Category)).Scan(&found).Error; err != nil {
		return err
	}
	var id string
	status := kernel.NeedStatus("")
	if len(found) == 1 {
		id, status = found[0].PublicID, kernel.NeedStatus(found[0].Status)
	} else {
		if err := m.demoStep(n, "create"); err != nil {
			return err
		}
		created, err := svc.Create(ctx, j.worker, j.in)
		if err != nil {
			return err
		}
		id, status = created.Need.PublicID, created.Need.Status
	}
	switch {
	case j.plan == planSubmitted || j.plan == planSubmittedOverdue:
		return nil
	case j.plan == planWithdrawn && j.withdrawEarly:
		clock = clock.Add(5 * time.Hour)
		if status != kernel.NeedSubmitted {
			return nil
		}
		_, err := svc.Withdraw(ctx, j.worker, id, "家属表示已通过其他渠道解决")
		return err
	}
	clock = clock.Add(j.clearAfter)
	dec := marketplace.ClearanceInput{Decision: "cleared", Reference: fmt.Sprintf("民救核〔2026〕%d号", 100+n)}
	switch j.plan {
	case planReferred:
		dec = marketplace.ClearanceInput{Decision: "referred", Note: "符合临时救助条件，先转介乡镇申请临时救助"}
	case planRejected:
		dec = marketplace.ClearanceInput{Decision: "rejected", Note: "经入户核查，家庭收入高于当地低保边缘标准"}
	}
	if status == kernel.NeedSubmitted {
		if err := m.demoStep(n, "clearance"); err != nil {
			return err
		}
		cleared, err := svc.Clear(ctx, j.verifier, id, dec)
		if err != nil {
			return fmt.Errorf("clearance: %w", err)
		}
		status = cleared.Status
	}
	if j.plan == planCleared || j.plan == planReferred || j.plan == planRejected {
		return nil
	}
	clock = clock.Add(j.publishAfter)
	if status == kernel.NeedCleared {
		if err := m.demoStep(n, "publish"); err != nil {
			return err
		}
		published, _, err := svc.Publish(ctx, j.worker, id)
		if err != nil {
			return fmt.Errorf("publish: %w", err)
		}
		status = published.Status
	}
	var err error
	switch j.plan {
	case planSuspended:
		if m.Config.NoticePeriod < 3*time.Hour || status != kernel.NeedNotice {
			return nil // no notice to object in
		}
		var objections int64
		if err := m.DB.Gorm.WithContext(ctx).Raw("SELECT COUNT(*) FROM need_objections o JOIN needs n ON n.id = o.need_id WHERE n.public_id = ?", id).
			Scan(&objections).Error; err != nil || objections > 0 {
			return err // objected to already
		}
		clock = clock.Add(2 * time.Hour)
		// The need stays in notice, held, until a verifier resolves it.
		_, err = svc.Object(ctx, nil, id, marketplace.ObjectionInput{Text: "据村民反映，该户子女在城里有稳定工作，请核实。", Contact: "139 0000 0000（村民，回电请说明来意）"})
	case planWithdrawn:
		if status == kernel.NeedWithdrawn {
			return nil
		}
		clock = clock.Add(30 * time.Hour)
		_, err = svc.Withdraw(ctx, j.worker, id, "患者已转院，费用由原单位承担")
	case planOpen:
		if j.update {
			var updates int64
			if err := m.DB.Gorm.WithContext(ctx).Raw("SELECT COUNT(*) FROM need_updates u JOIN needs n ON n.id = u.need_id WHERE n.public_id = ?", id).
				Scan(&updates).Error; err != nil || updates > 0 {
				return err
			}
			clock = clock.Add(m.Config.NoticePeriod + 24*time.Hour)
			_, err = svc.AddUpdate(ctx, j.worker, id, "社工已入户回访，"+j.in.Beneficiary.Name+"情况稳定，感谢爱心人士关注。")
		}
	}
	return err
}

// demoNeed makes one household's need in county according to plan.
func demoNeed(r *rand.Rand, county demoCounty, towns []string, d *kernel.Divisions, plan demoPlan, now time.Time, emergencyMaxFen int64) marketplace.NeedInput {
	// Two needs in five are medical (the first three stories), as in
	// practice; the others come from five of the other stories per county
	// (the hardships of a county cluster), so that most cells (category ×
	// age band) of a county hold the k needs that let it be shown.
	ci := 0
	for i, c := range demoCounties {
		if c.code == county.code {
			ci = i
		}
	}
	st := demoStories[r.IntN(3)]
	if r.IntN(5) >= 2 {
		st = demoStories[3+(ci*4+r.IntN(5))%(len(demoStories)-3)]
	}
	surname := demoSurnames[r.IntN(len(demoSurnames))]
	name := surname + demoGiven[r.IntN(len(demoGiven))]
	member := demoSurnames[r.IntN(len(demoSurnames))] + demoGiven[r.IntN(len(demoGiven))]
	var age int
	switch st.category {
	case kernel.CatEducation: // a child (under 14) or a student (18 or 19): one age band per story
		if strings.Contains(st.title, "大学") {
			age = 18 + r.IntN(2)
		} else {
			age = 8 + r.IntN(5)
		}
	case kernel.CatBasicLiving, kernel.CatHeating:
		age = 62 + r.IntN(25)
	default:
		age = 25 + r.IntN(34)
	}
	birth := time.Date(now.Year()-age, time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC)
	town := towns[r.IntN(len(towns))]
	region := county.code
	if r.IntN(2) == 0 {
		region = town // a town-level code: the need is published at county level or coarser anyway
	}
	costYuan := st.minYuan + r.IntN(st.maxYuan-st.minYuan+1)
	cost := int64(costYuan) * 100
	statutory := cost * int64(20+r.IntN(40)) / 100
	if plan == planEmergency { // a small sum, so that the story tells the figures the need asks for
		costYuan = 3000 + r.IntN(5000)
		cost, statutory = int64(costYuan)*100, int64(costYuan)*100/3
	}
	phone := demoPhone(r)
	repl := strings.NewReplacer("{name}", name, "{age}", fmt.Sprint(age), "{town}", d.Name(town), "{village}", demoVillages[r.IntN(len(demoVillages))],
		"{group}", fmt.Sprint(1+r.IntN(9)), "{num}", fmt.Sprint(1+r.IntN(60)), "{hospital}", county.hospital,
		"{record}", fmt.Sprintf("ZY%d%05d", 2026, r.IntN(100000)), "{bed}", fmt.Sprint(1+r.IntN(40)), "{member}", member,
		"{cost}", fmt.Sprint(costYuan), "{statutory}", fmt.Sprint(statutory/100), "{phone}", phone)
	urgency := []kernel.Urgency{kernel.UrgencyNormal, kernel.UrgencyUrgent, kernel.UrgencyEmergency}[r.IntN(3)]
	in := marketplace.NeedInput{
		Beneficiary: marketplace.BeneficiaryInput{IDNumber: demoIDNumber(r, county.code, birth), Name: name, Phone: phone,
			Address: d.FullName(town) + repl.Replace("{village}{group}组{num}号"), RegionCode: region, HouseholdTypes: st.household,
			Members: []marketplace.Member{{Name: member, Relation: "relative"}}},
		Category: st.category, Title: fmt.Sprintf(st.title, name), Story: repl.Replace(st.story),
		VerifiedCostFen: cost, StatutoryReliefFen: statutory,
		ServiceNeeds: st.services, Urgency: urgency,
		Consent: marketplace.ConsentInput{Given: plan != planPrivate, GivenBy: name, Relation: "self", Method: "written"},
	}
	if age < 15 { // a guardian consents for every child under 14 on the day of posting
		in.Consent.GivenBy, in.Consent.Relation = member, "guardian"
	}
	if plan == planEmergency {
		in.Emergency, in.Urgency = true, kernel.UrgencyEmergency
		req := min(in.VerifiedCostFen-in.StatutoryReliefFen, max(emergencyMaxFen, 1))
		in.RequestedFen = &req
	}
	return in
}
