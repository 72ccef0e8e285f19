package search

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/marketplace"
)

// Generated needs for benchmarks: realistic Chinese titles and stories built
// from a vocabulary of hardship phrases, spread over real county codes.

var genCounties = []string{
	"371725", "371721", "371722", "371723", "371724", "371726", "371727", "371728", // 菏泽
	"430521", "430522", "430523", "430524", "430525", "430527", "430528", "430529", // 邵阳
	"610522", "610523", "610524", "610525", "610526", "610527", "610528", // 渭南
	"520221", "520222", "522301", "522322", "522323", "522324", // 贵州
	"530621", "530622", "530623", "530624", "530625", // 昭通
	"622421", "622424", "622425", "622426", // 定西
	"640323", "640324", "640381", // 吴忠
	"411523", "411524", "411525", "411526", "411527", "411528", // 信阳
	"341221", "341222", "341225", "341226", // 阜阳
	"452226", "452227", "452228", // 来宾
	"360730", "360731", "360732", "360733", "360734", // 赣州
	"510722", "510723", "510725", "510726", // 绵阳
	"130731", "130732", "130733", // 张家口
	"150521", "150522", "150523", // 通辽
	"230722", "230723", "230724", // 伊春
}

var genCoarse = []string{"371700", "430500", "610500", "370000", "520000", "411500", "360700"}

var genTitles = map[kernel.Category][]string{
	kernel.CatMedical: {"白血病患儿急需医疗费", "尿毒症透析费用", "癌症化疗费用", "脑瘫儿童康复治疗", "先天性心脏病手术",
		"车祸重伤住院", "肾移植术后抗排异药费", "重度烧伤植皮手术", "乳腺癌术后治疗", "骨折手术医疗费"},
	kernel.CatEducation: {"大学新生助学", "高中生学费困难", "留守儿童助学", "孤儿上学生活费", "职业学校学费",
		"残疾学生助学", "考上大学无力缴费"},
	kernel.CatHousing:     {"危房改造", "房屋漏雨修缮", "火灾后重建住房", "土坯房改造", "洪水冲毁房屋"},
	kernel.CatBasicLiving: {"低保户生活困难", "独居老人生活补助", "残疾人基本生活", "单亲家庭生活困难"},
	kernel.CatEmployment:  {"失业家庭临时救助", "残疾人就业培训", "返乡务工人员困难"},
	kernel.CatDisaster:    {"暴雨受灾救助", "地震受灾家庭", "冰雹毁坏庄稼"},
	kernel.CatFuneral:     {"困难家庭丧葬费用"},
	kernel.CatHeating:     {"冬季取暖煤炭", "老人冬季取暖"},
	kernel.CatLegal:       {"工伤维权法律援助", "讨薪法律援助"},
	kernel.CatCare:        {"失能老人照料", "重度残疾人照护", "独居老人上门照料"},
}

var genCategoryWeights = []struct {
	c kernel.Category
	w int
}{
	{kernel.CatMedical, 35}, {kernel.CatEducation, 20}, {kernel.CatBasicLiving, 14},
	{kernel.CatHousing, 10}, {kernel.CatEmployment, 5}, {kernel.CatDisaster, 5},
	{kernel.CatFuneral, 2}, {kernel.CatHeating, 3}, {kernel.CatLegal, 2}, {kernel.CatCare, 4},
}

var genSentences = map[kernel.Category][]string{
	kernel.CatMedical: {"孩子确诊急性白血病，需要骨髓移植。", "患者每周需要透析三次，费用沉重。", "医生建议尽快手术，家里已无力承担。",
		"住院期间医疗费用已花费十多万元。", "医保报销后自付部分仍然很高。", "化疗需要持续半年，药费昂贵。", "术后需要长期服药和复查。",
		"目前在县人民医院接受治疗。", "大病医疗救助已经申请，仍有缺口。"},
	kernel.CatEducation: {"今年考上大学，学费和住宿费无着落。", "父母常年在外务工，孩子由祖父母照顾。", "申请助学金以完成学业。",
		"成绩优秀，希望继续读书。", "教育救助已发放，生活费仍然困难。", "每学期需要交纳学费和书本费。"},
	kernel.CatHousing: {"房屋年久失修，雨季漏雨严重。", "墙体开裂，属于危房。", "一场火灾烧毁了全部家当。",
		"住房救助资金不足以完成改造。", "需要加固屋顶和修缮墙体。"},
}

var genCommon = []string{"家庭主要劳动力丧失，收入微薄。", "家中还有年迈的老人需要赡养。", "已经享受低保，仍然入不敷出。",
	"村委会和社工多次上门核实情况。", "亲友已经借遍，无力再借。", "母亲身体不好，常年吃药。", "家里种了几亩地，收入很少。",
	"孩子还在上小学，需要人照顾。", "希望社会爱心人士伸出援手。", "当地民政部门已经给予临时救助。"}

var genServices = []kernel.Service{kernel.SvcHospitalEscort, kernel.SvcTutoring, kernel.SvcHomeRepair,
	kernel.SvcHomeCare, kernel.SvcPsychological, kernel.SvcDailyHelp}

// genNow is the reference time of generated needs.
var genNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// genNeeds builds n needs deterministically from seed; ids are gen-%06d.
func genNeeds(n int, seed uint64) []marketplace.PublicNeed {
	r := rand.New(rand.NewPCG(seed, 7))
	out := make([]marketplace.PublicNeed, n)
	for i := range out {
		out[i] = genNeed(r, i)
	}
	return out
}

func genNeed(r *rand.Rand, i int) marketplace.PublicNeed {
	cat := genCategory(r)
	region := genCounties[r.IntN(len(genCounties))]
	if r.IntN(20) == 0 {
		region = genCoarse[r.IntN(len(genCoarse))]
	}
	var sb strings.Builder
	specific := genSentences[cat]
	for k := 0; k < 2+r.IntN(3); k++ {
		if len(specific) > 0 && r.IntN(2) == 0 {
			sb.WriteString(specific[r.IntN(len(specific))])
		} else {
			sb.WriteString(genCommon[r.IntN(len(genCommon))])
		}
	}
	titles := genTitles[cat]
	cost := int64(500_000 + r.IntN(30_000_000))
	relief := cost * int64(r.IntN(50)) / 100
	requested := cost - relief
	funded := requested * int64(r.IntN(90)) / 100
	pub := genNow.Add(-time.Duration(r.IntN(90*24)) * time.Hour)
	n := marketplace.PublicNeed{
		ID: fmt.Sprintf("gen-%06d", i), Status: kernel.NeedOpen, Category: cat,
		RegionCode: region, RegionName: "某县", AgeBand: []kernel.AgeBand{"under_14", "14_17", "18_59", "60_plus"}[r.IntN(4)],
		HouseholdTypes: []kernel.HouseholdType{kernel.HouseholdTypes[r.IntN(len(kernel.HouseholdTypes))]},
		Title:          titles[r.IntN(len(titles))], Story: sb.String(),
		VerifiedCostFen: cost, StatutoryReliefFen: relief, RequestedFen: requested, FundedFen: funded,
		RemainingFen: requested - funded, Urgency: kernel.UrgencyNormal,
		ServiceNeeds: []kernel.Service{genServices[r.IntN(len(genServices))]},
		PublishedAt:  &pub, OrgID: fmt.Sprintf("org-%03d", r.IntN(200)), OrgName: "某县社会工作服务站",
	}
	switch u := r.IntN(10); {
	case u == 0:
		n.Urgency, n.Emergency = kernel.UrgencyEmergency, true
	case u <= 3:
		n.Urgency = kernel.UrgencyUrgent
	}
	if r.IntN(4) != 0 {
		d := genNow.Add(time.Duration(1+r.IntN(60*24)) * time.Hour)
		n.Deadline = &d
	}
	// Mostly open; some still in notice (half of those ended already).
	if r.IntN(10) == 0 {
		n.Status = kernel.NeedNotice
		end := genNow.Add(time.Duration(r.IntN(240)-120) * time.Hour)
		n.NoticeEndsAt = &end
	}
	return n
}

func genCategory(r *rand.Rand) kernel.Category {
	total := 0
	for _, c := range genCategoryWeights {
		total += c.w
	}
	x := r.IntN(total)
	for _, c := range genCategoryWeights {
		if x < c.w {
			return c.c
		}
		x -= c.w
	}
	return kernel.CatMedical
}

var genWords = []string{"医疗", "白血病", "助学", "透析", "学费", "危房", "手术", "老人", "化疗", "大学", "住院", "取暖", "低保", "孩子", "康复"}

// genQuery builds a mixed query: usually a word, always a filter, a sort.
func genQuery(r *rand.Rand) Query {
	q := Query{Now: genNow, PerPage: 20, Statuses: []kernel.NeedStatus{kernel.NeedOpen}}
	if r.IntN(5) != 0 {
		q.Q = genWords[r.IntN(len(genWords))]
	}
	switch r.IntN(4) {
	case 0:
		q.RegionPrefix = genCounties[r.IntN(len(genCounties))]
	case 1:
		q.RegionPrefix = genCounties[r.IntN(len(genCounties))][:4]
	case 2:
		q.RegionPrefix = genCounties[r.IntN(len(genCounties))][:2]
	}
	if r.IntN(3) == 0 {
		q.Categories = []kernel.Category{genCategory(r)}
	}
	if r.IntN(5) == 0 {
		q.Urgencies = []kernel.Urgency{kernel.UrgencyEmergency, kernel.UrgencyUrgent}
	}
	q.Sort = []Sort{SortUrgency, SortDeadline, SortRemaining, SortNewest}[r.IntN(4)]
	if r.IntN(10) == 0 {
		q.Page = 2 + r.IntN(5)
	}
	return q
}
