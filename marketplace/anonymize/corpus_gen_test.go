package anonymize

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
)

// The story corpus (testdata/stories.txt) is written by this generator and
// committed; hand-written stories sit beside it in testdata/stories_hand.txt.
// Regenerate with:
//
//	go test ./marketplace/anonymize -run TestGenerateCorpus -gen-corpus
//
// A sentence template marks what the scrub must remove as [-kind:text] and
// what it must keep as [+text]; the slots ({other}, {age}…) are filled at
// random (fixed seed) from the lists below, in varied spellings.
var genCorpus = flag.Bool("gen-corpus", false, "rewrite testdata/stories.txt")

type genCtx struct {
	r       *rand.Rand
	d       *kernel.Divisions
	county  string // e.g. 郓城县
	towns   []string
	band    kernel.AgeBand
	house   []string // household names, declared
	child   int      // the age of the story's child
	usedSur map[rune]bool
}

var (
	genSurnames   = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡杜叶程苏魏吕丁沈姚卢姜崔钟谭陆汪范金廖贾夏韦付邹孟熊秦邱江尹薛闫段雷侯史陶黎贺顾毛郝龚邵钱严覃戴莫孔汤")
	genCompound   = []string{"欧阳", "司马", "诸葛", "上官"}
	genGiven2     = []string{"秀兰", "桂芝", "建国", "志强", "丽娟", "国华", "玉梅", "海燕", "文军", "红梅", "春花", "德胜", "明辉", "晓燕", "淑珍", "凤英", "振华", "永强", "金凤", "雪梅", "子豪", "梓涵", "欣怡", "浩然", "宇航", "俊杰", "思雨", "一诺", "佳怡", "卫东", "爱民", "桂兰", "树林", "玉珍", "立新", "春燕", "新民", "秀英", "翠花", "长青"}
	genGiven1     = []string{"伟", "强", "娜", "磊", "静", "敏", "杰", "芳", "勇", "军", "涛", "斌", "霞", "丹", "鹏", "燕", "琳", "洁", "峰", "刚"}
	genBrands     = []string{"宏达", "鑫源", "华联", "金鹏", "富民", "永兴", "恒通", "福源", "兴旺", "瑞丰", "天成", "鸿运", "盛世", "佳美", "龙腾"}
	genVillage    = []string{"李庄", "前进", "红旗", "杨楼", "东风", "刘营", "大王", "后屯", "新华", "胜利", "马集", "黄河", "柳林", "石桥", "三里"}
	genCompounds  = []string{"幸福家园", "阳光花园", "锦绣华庭小区", "滨河苑", "金色家园小区", "和谐小区", "翠湖花园", "铁路家属院", "纺织厂家属院", "丽景苑"}
	genSchoolName = []string{"实验", "育才", "希望", "红星", "第二实验", "城关", "明德", "春晖"}
	genGrades     = []string{"一年级", "二年级", "三年级", "四年级", "五年级", "六年级"}
	genMiddle     = []string{"初一", "初二", "初三", "高一", "高二", "高三"}
	genIllness    = []string{"急性淋巴细胞白血病", "尿毒症", "脑梗", "肺癌", "乳腺癌", "股骨头坏死", "脑瘫", "先天性心脏病", "白内障", "肝硬化", "脑出血", "重症肌无力", "再生障碍性贫血", "类风湿关节炎", "糖尿病并发症"}
	genTreat      = []string{"化疗", "透析", "骨髓移植", "手术", "康复训练", "放疗", "介入治疗", "髋关节置换"}
	genDepts      = []string{"血液科", "肾内科", "神经内科", "心内科", "肿瘤科", "骨科", "儿科"}
	genProvAbbr   = []rune("鲁豫冀苏皖湘鄂川")
	genCounties   = []string{"郓城县", "隆回县", "会宁县", "镇雄县", "大名县", "阜南县", "兰考县", "仪陇县"}
	genCN         = []rune("零一二三四五六七八九")
)

func (g *genCtx) pick(l []string) string { return l[g.r.IntN(len(l))] }
func (g *genCtx) digits(k int) string {
	var b strings.Builder
	for i := 0; i < k; i++ {
		b.WriteByte(byte('0' + g.r.IntN(10)))
	}
	return b.String()
}

// otherName is a name outside the household, with a surname no household
// member has (so that a leak is the scrubber's, not the corpus's).
func (g *genCtx) otherName() string {
	for {
		var sur string
		if g.r.IntN(12) == 0 {
			sur = g.pick(genCompound)
		} else {
			sur = string(genSurnames[g.r.IntN(len(genSurnames))])
		}
		given := g.pick(genGiven2)
		if g.r.IntN(4) == 0 {
			given = g.pick(genGiven1)
		}
		if !g.usedSur[[]rune(sur)[0]] {
			return sur + given
		}
	}
}

// cnNumber writes n (1–119) in Chinese numerals.
func cnNumber(n int) string {
	switch {
	case n < 10:
		return string(genCN[n])
	case n < 20:
		return "十" + strings.TrimPrefix(string(genCN[n%10]), "零")
	case n < 100:
		s := string(genCN[n/10]) + "十"
		if n%10 != 0 {
			s += string(genCN[n%10])
		}
		return s
	}
	s := "一百"
	if n%100 != 0 {
		if n%100 < 10 {
			s += "零"
		}
		s += cnNumber(n % 100)
	}
	return s
}

func fullWidthDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' {
			r += 0xFEE0
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (g *genCtx) ageOf(b kernel.AgeBand) int {
	switch b {
	case kernel.AgeUnder14:
		return 3 + g.r.IntN(10)
	case kernel.Age14to17:
		return 14 + g.r.IntN(4)
	case kernel.Age18to59:
		return 20 + g.r.IntN(39)
	}
	return 61 + g.r.IntN(30)
}

// age writes an age in one of its spellings.
func (g *genCtx) age(a int) string {
	switch g.r.IntN(6) {
	case 0:
		return fmt.Sprintf("%d岁", a)
	case 1:
		return cnNumber(a) + "岁"
	case 2:
		return fmt.Sprintf("%d周岁", a)
	case 3:
		return fullWidthDigits(fmt.Sprint(a)) + "岁"
	case 4:
		return cnNumber(a) + "周岁"
	}
	return fmt.Sprintf("%d 岁", a)
}

func (g *genCtx) birth(a int) string {
	y := 2026 - a
	m, d := 1+g.r.IntN(12), 1+g.r.IntN(28)
	switch g.r.IntN(5) {
	case 0:
		return fmt.Sprintf("[-birth:%d年%d月%d日]出生", y, m, d)
	case 1:
		return fmt.Sprintf("出生于[-birth:%d年%d月]", y, m)
	case 2:
		return fmt.Sprintf("出生日期：[-birth:%d-%02d-%02d]", y, m, d)
	case 3:
		return fmt.Sprintf("[-birth:%d年]生人", y)
	}
	var cy strings.Builder
	for _, c := range fmt.Sprint(y) {
		cy.WriteRune(genCN[c-'0'])
	}
	return fmt.Sprintf("[-birth:%s年]生", cy.String())
}

func (g *genCtx) plate() string {
	p := string(genProvAbbr[g.r.IntN(len(genProvAbbr))]) + string(rune('A'+g.r.IntN(20)))
	num := g.digits(5)
	switch g.r.IntN(5) {
	case 0:
		return p + "·" + num
	case 1:
		return p + " " + num
	case 2:
		return p + "-" + num
	case 3:
		return fullWidthDigits(p + num)
	}
	return p + "D" + g.digits(5)
}

func (g *genCtx) card() string {
	c := "62" + g.digits(17)
	switch g.r.IntN(4) {
	case 0:
		return c[:4] + " " + c[4:8] + " " + c[8:12] + " " + c[12:16] + " " + c[16:]
	case 1:
		return c[:4] + "-" + c[4:8] + "-" + c[8:12] + "-" + c[12:16] + "-" + c[16:]
	case 2:
		return c[:4] + "." + c[4:8] + "." + c[8:12] + "." + c[12:16] + "." + c[16:]
	}
	return fullWidthDigits(c[:6]) + " " + c[6:]
}

func (g *genCtx) account() string {
	qq := fmt.Sprint(10000+g.r.IntN(90000)) + g.digits(4)
	wx := []string{"wxid_", "zhang", "li", "hope", "xy"}[g.r.IntN(5)] + g.digits(6)
	switch g.r.IntN(9) {
	case 7:
		return "V信：[-account:" + wx + "]"
	case 8:
		return "威信号[-account:" + wx + "]"
	case 0:
		return "微信号：[-account:" + wx + "]"
	case 1:
		return "QQ：[-account:" + qq + "]"
	case 2:
		return "扣扣号[-account:" + qq + "]"
	case 3:
		return "扣扣 [-account:" + qq[:4] + " " + qq[4:] + "]"
	case 4:
		return "vx：[-account:" + wx + "]"
	case 5:
		return "企鹅号[-account:" + fullWidthDigits(qq) + "]"
	}
	return "微信 [-account:" + wx + "]"
}

func (g *genCtx) hospitalNumber() string {
	switch g.r.IntN(6) {
	case 0:
		return "住院号：[-record:ZY" + g.digits(10) + "]"
	case 1:
		n := g.digits(10)
		return "住院号 [-record:" + n[:4] + " " + n[4:7] + " " + n[7:] + "]"
	case 2:
		return "病案号为[-record:" + g.digits(7) + "]"
	case 3:
		return "住在" + g.pick(genDepts) + "[-bed:" + cnNumber(1+g.r.IntN(9)) + "病区][-bed:" + fmt.Sprint(1+g.r.IntN(40)) + "床]"
	case 4:
		return "住在[-bed:" + fmt.Sprint(101+g.r.IntN(800)) + "病房][-bed:" + fmt.Sprint(1+g.r.IntN(6)) + "号床]"
	}
	return "门诊号：[-record:MZ-" + g.digits(4) + "-" + g.digits(5) + "]"
}

func (g *genCtx) phone() string {
	m := "1" + string(rune('3'+g.r.IntN(7))) + g.digits(9)
	switch g.r.IntN(4) {
	case 3:
		return "电话[-phone:" + m[:3] + "." + m[3:7] + "." + m[7:] + "]"
	case 0:
		return "电话[-phone:" + m[:3] + " " + m[3:7] + " " + m[7:] + "]"
	case 1:
		return "手机：[-phone:" + m[:3] + "-" + m[3:7] + "-" + m[7:] + "]"
	}
	return "联系人手机[-phone:" + fullWidthDigits(m) + "]"
}

func (g *genCtx) school(child int) string {
	switch {
	case child < 6:
		return "在[-school:" + g.pick(genBrands) + "幼儿园]上[+中班]"
	case child < 12:
		switch g.r.IntN(3) {
		case 0:
			return "在[-school:" + g.county + g.pick(genSchoolName) + "小学]读[+" + g.pick(genGrades) + "]"
		case 1:
			return "在[-school:" + g.pick(g.towns) + "中心小学]上[+" + g.pick(genGrades) + "]"
		}
		return "就读于[-school:" + g.pick([]string{"育才", "红星", "明德", "春晖", "城关"}) + "小学][+" + g.pick(genGrades) + "]"
	}
	switch g.r.IntN(3) {
	case 0:
		return "在[-school:" + strings.TrimSuffix(g.county, "县") + cnNumber(1+g.r.IntN(4)) + "中]读[+" + g.pick(genMiddle) + "]"
	case 1:
		return "在[-school:" + g.county + "第" + cnNumber(1+g.r.IntN(4)) + "中学]读[+" + g.pick(genMiddle) + "]"
	}
	return "在[-school:" + g.pick(g.towns) + "初级中学]读[+" + g.pick(genMiddle) + "]"
}

func (g *genCtx) workplace() string {
	b := g.pick(genBrands)
	switch g.r.IntN(6) {
	case 0:
		return "在[-workplace:" + b + "纺织有限公司]做[+挡车工]"
	case 1:
		return "在[-workplace:" + b + "超市]当[+收银员]"
	case 2:
		return "在[-workplace:" + b + "建筑工地]干[+小工]"
	case 3:
		return "在[-workplace:" + g.county + b + "食品厂]上班"
	case 4:
		return "在[-workplace:" + b + "饭店]做[+帮厨]"
	}
	return "在[-workplace:" + b + "煤矿]井下作业"
}

func (g *genCtx) place() string {
	v := g.pick(genVillage)
	switch g.r.IntN(6) {
	case 0:
		return "家住[-address:" + g.pick(g.towns) + v + "村]"
	case 1:
		return "[-address:" + v + "村]的乡亲们"
	case 2:
		s := string(genSurnames[g.r.IntN(len(genSurnames))])
		return "老家在[-address:" + s + "家庄]"
	case 3:
		return "住在[-address:" + g.pick(genCompounds) + fmt.Sprintf("%d号楼%d单元%d室", 1+g.r.IntN(20), 1+g.r.IntN(4), 101+g.r.IntN(1500)) + "]"
	case 4:
		return "租住在[-address:" + g.pick(genCompounds) + "]"
	}
	return "在[-address:" + g.pick(g.towns) + "]赶集"
}

var slotRe = regexp.MustCompile(`\{[a-z0-9]+\}`)

// Sentence pools: shared ones, and one per kind of hardship.
var (
	genShared = []string{
		"邻居{other}经常过来帮忙做饭。",
		"{other}说，{who}平时很少出门，全靠[+低保]生活。",
		"村支书{other}介绍了家里的情况。",
		"同村的好心人{other}[+垫付了3000元]。",
		"网格员{other}第一时间上报了情况。",
		"{who}的表姐{other}在外地打工，偶尔寄些钱回来。",
		"多亏志愿者{other}和{other2}[+轮流照顾]。",
		"社工{other}多次上门走访，核实了[+医疗费用]。",
		"家里的{phone}，请联系社工站转达。",
		"爱心人士可直接转账，{who}的银行卡号 [-card:{card}]。",
		"亲属留了{account}，方便联系。",
		"{place}，家中仅有[+两间土房]。",
		"{who}以前{work}，后来[+失业]在家。",
		"家里有一辆旧三轮车，车牌[-plate:{plate}]，平时用来[+拉货]。",
		"{who}{birth}，身体一直不好。",
		"{who}的身份证号是[-id:{id}]，已核实。",
	}
	genMedical = []string{
		"{who}，{agew}，[+{ill}]，需要[+{treat}]。",
		"今年[+3月]确诊[+{ill}]，在县医院住院，{hosp}。",
		"主治医生{other}说，[+{ill}]需要尽快[+{treat}]，预计费用[+{amount}]。",
		"护士长{other}告诉我们，{who}每周要做两次[+{treat}]。",
		"[+医保报销]后仍需自付[+{amount}]，家里已经[+借遍亲友]。",
		"住院期间{hosp}，{who}的丈夫{other}[+一直陪护]。",
	}
	genEducation = []string{
		"孩子今年{cagew}，{school}，成绩很好。",
		"班主任{other}老师多次家访，组织同学们[+捐款]。",
		"{other}老师说，孩子很懂事，放学后还要[+照顾奶奶]。",
		"孩子的父亲名叫{other}，前年因[+车祸]去世，母亲改嫁。",
		"[+学费]和[+生活费]每年约[+{amount}]，家里无力承担。",
		"孙子{cagew}，{school}，需要[+助学金]。",
	}
	genDisaster = []string{
		"今年[+7月]的[+洪水]冲毁了房屋，{place}。",
		"[+房屋倒塌]后，一家人借住在亲戚{other}家。",
		"[+冰雹]毁了[+三亩玉米]，全年收入不足[+{amount}]。",
		"村主任{other}组织村民帮忙[+清理淤泥]。",
		"[+火灾]烧毁了全部家具，{who}手部[+烧伤]。",
	}
	genElderly = []string{
		"{who}今年{agew}，老伴{other}去年[+去世]，独自生活。",
		"老人{agew}，患有[+高血压]和[+{ill}]，行动不便。",
		"村医{other}每周上门测一次[+血压]。",
		"老人去年住过院，{hosp2}，出院后需要[+康复训练]。",
		"唯一的儿子{work}，每月只能寄回[+500元]。",
	}
	genDisability = []string{
		"{who}{agew}，因[+脑瘫]导致[+肢体二级残疾]，需要[+轮椅]。",
		"{who}[+听力残疾]，急需一副[+助听器]，约[+{amount}]。",
		"康复中心的{other}医生建议进行[+康复训练]。",
		"母亲{other}为照顾孩子辞去工作，以前{work}。",
		"家中有[+残疾人证]，每月领取[+护理补贴]。",
	}
)

func (g *genCtx) fill(tpl string, beneficiaryAge int) string {
	others := map[string]string{}
	return slotRe.ReplaceAllStringFunc(tpl, func(slot string) string {
		switch slot {
		case "{other}", "{other2}":
			if others[slot] == "" {
				others[slot] = g.otherName()
			}
			return "[-name:" + others[slot] + "]"
		case "{who}":
			return "[-declared:" + g.house[0] + "]"
		case "{agew}":
			return "[-age:" + g.age(beneficiaryAge) + "]"
		case "{cagew}":
			return "[-age:" + g.age(g.child) + "]"
		case "{birth}":
			return g.birth(beneficiaryAge)
		case "{ill}":
			return g.pick(genIllness)
		case "{treat}":
			return g.pick(genTreat)
		case "{amount}":
			return []string{"5万元", "12000元", "8.6万元", "30万元", "2500元", "4万多元"}[g.r.IntN(6)]
		case "{hosp}", "{hosp2}":
			return g.hospitalNumber()
		case "{phone}":
			return g.phone()
		case "{id}":
			id := fmt.Sprintf("%06d", 110101+g.r.IntN(500000)) + fmt.Sprintf("%d%02d%02d", 2026-beneficiaryAge, 1+g.r.IntN(12), 1+g.r.IntN(28)) + g.digits(3)
			id += string(kernel.IDCheckChar(id))
			switch g.r.IntN(4) {
			case 0:
				return id[:6] + " " + id[6:14] + " " + id[14:]
			case 1:
				return fullWidthDigits(id)
			case 2:
				return id[:6] + "-" + id[6:14] + "-" + id[14:]
			}
			return id
		case "{card}":
			return g.card()
		case "{account}":
			return g.account()
		case "{plate}":
			return g.plate()
		case "{school}":
			return g.school(g.child)
		case "{work}":
			return g.workplace()
		case "{place}":
			return g.place()
		}
		return slot
	})
}

var markRe = regexp.MustCompile(`\[([+-])(?:([a-z_]+):)?([^\[\]]*)\]`)

func TestGenerateCorpus(t *testing.T) {
	if !*genCorpus {
		t.Skip("run with -gen-corpus to rewrite testdata/stories.txt")
	}
	d := mustDivisions(t)
	var counties []string
	for code, name := range d.All() {
		if d.Level(code) == kernel.LevelCounty && slices.Contains(genCounties, name) {
			counties = append(counties, code)
		}
	}
	slices.Sort(counties)
	r := rand.New(rand.NewPCG(16, 2026))
	cats := []struct {
		name string
		pool []string
	}{{"medical", genMedical}, {"education", genEducation}, {"disaster", genDisaster}, {"elderly", genElderly}, {"disability", genDisability}}
	bands := []kernel.AgeBand{kernel.AgeUnder14, kernel.Age14to17, kernel.Age18to59, kernel.Age60Plus}
	var b strings.Builder
	b.WriteString("# Generated by TestGenerateCorpus (corpus_gen_test.go); see scrub_corpus_test.go for the format.\n\n")
	for i := range 240 {
		cc := counties[r.IntN(len(counties))]
		g := &genCtx{r: r, d: d, county: d.Name(cc), usedSur: map[rune]bool{}}
		for _, tc := range d.Children(cc) {
			if n := d.Name(tc); strings.HasSuffix(n, "镇") || strings.HasSuffix(n, "乡") {
				g.towns = append(g.towns, n)
			}
		}
		cat := cats[i%len(cats)]
		g.band = bands[r.IntN(len(bands))]
		if cat.name == "elderly" {
			g.band = kernel.Age60Plus
		}
		g.house = []string{g.otherName()}
		g.usedSur[[]rune(g.house[0])[0]] = true
		g.house = append(g.house, g.otherName())
		g.usedSur[[]rune(g.house[1])[0]] = true
		age := g.ageOf(g.band)
		g.child = 4 + r.IntN(13)
		var sentences []string
		pool := slices.Clone(cat.pool)
		r.Shuffle(len(pool), func(a, b int) { pool[a], pool[b] = pool[b], pool[a] })
		shared := slices.Clone(genShared)
		r.Shuffle(len(shared), func(a, b int) { shared[a], shared[b] = shared[b], shared[a] })
		sentences = append(sentences, pool[:min(len(pool), 3+r.IntN(2))]...)
		sentences = append(sentences, shared[:2+r.IntN(3)]...)
		var text strings.Builder
		for _, s := range sentences {
			text.WriteString(g.fill(s, age))
		}
		var story strings.Builder
		var removes, keeps []string
		raw := text.String()
		last := 0
		for _, m := range markRe.FindAllStringSubmatchIndex(raw, -1) {
			story.WriteString(raw[last:m[0]])
			sign, kind, val := raw[m[2]:m[3]], "", raw[m[6]:m[7]]
			if m[4] >= 0 {
				kind = raw[m[4]:m[5]]
			}
			story.WriteString(val)
			switch {
			case sign == "+":
				keeps = append(keeps, val)
			case val == "":
			default:
				removes = append(removes, kind+" "+val)
			}
			last = m[1]
		}
		story.WriteString(raw[last:])
		fmt.Fprintf(&b, "# %d %s\nband: %s\nnames: %s\nstory: %s\n", i+1, cat.name, g.band, strings.Join(g.house, " "), story.String())
		for _, x := range removes {
			fmt.Fprintf(&b, "- %s\n", x)
		}
		for _, x := range keeps {
			fmt.Fprintf(&b, "+ %s\n", x)
		}
		b.WriteString("\n")
	}
	if err := os.WriteFile("testdata/stories.txt", []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
