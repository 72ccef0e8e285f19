package anonymize

import (
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/jiujinan/jiujinan/kernel"
)

// What a story gives away besides what the household's records hold (issue
// 16), read as a neighbour, a journalist or a scammer would:
//   - names of other people, found by context: a relation or role before
//     them (邻居王秀兰, 主治医生张伟), a naming verb (名叫), or a title or
//     verb after them at the start of a clause (刘建华老师, 王秀兰说). A
//     name found once is then removed wherever it appears. A surname list
//     (百家姓 with compound surnames) and these rules were measured against
//     go-ego/gse's part-of-speech tags on the corpus: see BENCHMARKS.md.
//     张某, 李某某 stay as written.
//   - exact ages (63岁, 六十三周岁, 8个月大) become an age band in words;
//     dates and years of birth go.
//   - named schools (郓城县实验小学, 县一中) become 当地一所小学 and the like;
//     the grade stays.
//   - named workplaces (宏达纺织有限公司, 华联超市) become 一家纺织公司, 一家超市.
//   - villages and residential compounds named alone (李庄村, 王家庄,
//     幸福家园) are places below the county, like the address chains.
//   - licence plates (鲁R·12345).
// Illness, treatment, amounts and what happened stay.

// More kinds of redaction a preview lists.
const (
	RedactAge       RedactionKind = "age"
	RedactBirthDate RedactionKind = "birth_date"
	RedactSchool    RedactionKind = "school"
	RedactWorkplace RedactionKind = "workplace"
	RedactPlate     RedactionKind = "plate"
)

// RedactionKinds lists every kind, in the order a preview names them.
var RedactionKinds = []RedactionKind{RedactName, RedactAge, RedactBirthDate, RedactIDNumber, RedactPhone,
	RedactBankCard, RedactNumber, RedactAccount, RedactEmail, RedactAddress, RedactSchool, RedactWorkplace,
	RedactRecord, RedactBedNumber, RedactPlate}

// PlaceWord is what ScrubStory writes for a removed place.
const PlaceWord = "当地"

// replacement is the text written for a merged span.
func (s *scrubber) replacement(sp span) string {
	switch {
	case sp.kind == RedactName:
		return ScrubNamePlaceholder
	case sp.repl != "":
		return sp.repl
	case sp.kind == RedactAddress && s.words:
		return PlaceWord
	}
	return ScrubPlaceholder
}

// ageBandWords is how an age is written instead of the number.
func ageBandWords(b kernel.AgeBand) string {
	if b == kernel.AgeUnder14 {
		return "未成年"
	}
	return kernel.AgeBandLabels[b].Zh
}

func bandOf(age int) kernel.AgeBand {
	switch {
	case age < 14:
		return kernel.AgeUnder14
	case age < 18:
		return kernel.Age14to17
	case age < 60:
		return kernel.Age18to59
	}
	return kernel.Age60Plus
}

func (s *scrubber) scanStory() {
	s.scanAges()
	s.scanBirthDates()
	s.scanPlates()
	s.scanOrgs(schoolSuffixes, RedactSchool)
	s.scanOrgs(workSuffixes, RedactWorkplace)
	s.scanNumberedSchools()
	s.scanVillages()
	s.scanOtherNames()
}

// ---- ages ----

const cnDigits = "零〇一二三四五六七八九"

var cnNumSet = newRuneBits(cnDigits + "十百两")

func isCnNum(r rune) bool { return cnNumSet.has(r) }

// cnValue reads a Chinese number (六十三, 一百零二, 十二); of a range (三四,
// 六七十) it reads the lower end.
func cnValue(rs []rune) int {
	total, cur, seen := 0, 0, false
	for _, r := range rs {
		switch {
		case r == '十':
			if !seen {
				cur = 1
			}
			total += cur * 10
			cur, seen = 0, false
		case r == '百':
			total += max(cur, 1) * 100
			cur, seen = 0, false
		case r == '两':
			if !seen {
				cur, seen = 2, true
			}
		default:
			if i := strings.IndexRune(cnDigits, r); i >= 0 && !seen {
				d := i / 3 // cnDigits is UTF-8: three bytes a rune
				if d > 0 {
					d-- // 零 and 〇 are both zero
				}
				cur, seen = d, true
			}
		}
	}
	return total + cur
}

// scanAges finds an exact age: a number (digits, spaced digits or Chinese
// numerals, 多/来/余 allowed after it) before 岁 or 周岁, and 个月大.
func (s *scrubber) scanAges() {
	n := s.norm
	for i, r := range n {
		var end int
		switch {
		case r == '岁':
			end = i + 1
			if end < len(n) && (n[end] == '半' || n[end] == '多') {
				end++
			}
		case r == '月' && i >= 1 && n[i-1] == '个' && i+1 < len(n) && n[i+1] == '大':
			end = i + 2
		default:
			continue
		}
		j := i
		if r == '岁' && j > 0 && n[j-1] == '周' {
			j--
		}
		if r == '月' {
			j-- // 个
			if j > 0 && n[j-1] == '多' {
				j--
			}
		}
		if j > 0 && strings.ContainsRune("多来余", n[j-1]) {
			j--
		}
		numEnd := j
		for j > 0 && (isDigit(n[j-1]) || n[j-1] == ' ' && j > 1 && isDigit(n[j-2])) {
			j--
		}
		age := 0
		if j < numEnd {
			for _, d := range n[j:numEnd] {
				if isDigit(d) {
					age = age*10 + int(d-'0')
				}
			}
		} else {
			for j > 0 && isCnNum(n[j-1]) {
				j--
			}
			if j == numEnd {
				continue
			}
			age = cnValue(n[j:numEnd])
		}
		// A range (18–59岁, 60岁以上) is no exact age: it is also what the
		// scrubber writes, and scrubbing twice must change nothing.
		if j > 0 && strings.ContainsRune("-~至到", n[j-1]) || s.hasAt(end, []rune("以上")) || s.hasAt(end, []rune("以下")) {
			continue
		}
		if r == '月' {
			s.addWords(j, end, RedactAge, "几个月大")
			continue
		}
		band := bandOf(age)
		if s.opts.AgeBand != "" && band == s.opts.AgeBand {
			band = s.opts.AgeBand
		}
		s.addWords(j, end, RedactAge, ageBandWords(band))
	}
}

// ---- dates of birth ----

var (
	// A date at its start, in digits or Chinese numerals.
	dateRe = regexp.MustCompile(`^(?:[0-9]{4}|[〇零一二三四五六七八九]{4})[ \t]*(?:年(?:[ \t]*[0-9一二三四五六七八九十]{1,3}[ \t]*月(?:[ \t]*[0-9一二三四五六七八九十]{1,3}[ \t]*[日号])?)?|[-./][0-9]{1,2}(?:[-./][0-9]{1,2})?)|^[0-9一二三四五六七八九十]{1,3}[ \t]*月[ \t]*[0-9一二三四五六七八九十]{1,3}[ \t]*[日号]`)
	// What says the date before it is a birth: 生于, 出生日期：, 生日是.
	birthBefore = []string{"出生于", "出生在", "生于", "出生日期", "出生年月日", "出生年月", "生日", "出生"}
)

// birthAfterOK: 出生, 生人 or 生 after a date make it a date of birth, unless
// 生 starts another word (1958年生病).
func birthAfter(n []rune, e int) bool {
	if e >= len(n) {
		return false
	}
	if n[e] == '出' && e+1 < len(n) && n[e+1] == '生' {
		return true
	}
	if n[e] != '生' {
		return false
	}
	return e+1 >= len(n) || !strings.ContainsRune("病活产意计下命日长育存气效前怕", n[e+1])
}

func (s *scrubber) scanBirthDates() {
	str, off := s.normString()
	n := s.norm
	for i, r := range n {
		if !(isDigit(r) || isCnNum(r)) || i > 0 && (isDigit(n[i-1]) || isCnNum(n[i-1])) {
			continue
		}
		// Only near 生 (出生, 生于, 生日, 年生) can a date be a birth.
		if !slices.Contains(n[max(0, i-6):min(len(n), i+22)], '生') {
			continue
		}
		m := dateRe.FindStringIndex(str[off[i]:off[min(len(n), i+20)]])
		if m == nil {
			continue
		}
		e := i
		for off[e]-off[i] < m[1] {
			e++
		}
		before := false
		k := i
		for k > 0 && strings.ContainsRune(" :是为在于", n[k-1]) {
			k--
		}
		for _, w := range birthBefore {
			if k >= len([]rune(w)) && string(n[k-len([]rune(w)):k]) == w {
				before = true
				break
			}
		}
		if before || birthAfter(n, e) {
			s.add(i, e, RedactBirthDate)
		}
	}
}

// ---- licence plates ----

const plateProvinces = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"

var plateRe = regexp.MustCompile(`^[A-Za-z][ \t·.•\-]{0,2}(?:[A-Za-z0-9][ \t\-]?){4,6}[A-Za-z0-9挂学警]`)

func (s *scrubber) scanPlates() {
	str, off := s.normString()
	n := s.norm
	for i, r := range n {
		if i+1 >= len(n) || !isLetter(n[i+1]) || !strings.ContainsRune(plateProvinces, r) {
			continue
		}
		m := plateRe.FindStringIndex(str[off[i+1]:off[min(len(n), i+16)]])
		if m == nil {
			continue
		}
		e := i + 1
		for off[e]-off[i+1] < m[1] {
			e++
		}
		digits := 0
		for _, c := range n[i:e] {
			if isDigit(c) {
				digits++
			}
		}
		if digits >= 2 && (e >= len(n) || !isASCIIAlnum(n[e])) {
			s.add(i, e, RedactPlate)
		}
	}
}

// ---- schools and workplaces ----

// orgSuffix is how the name of a school or workplace ends, and the words
// written instead of it.
type orgSuffix struct {
	text []rune
	repl string
	not  string // runes that, after the suffix, show an ordinary word
}

func orgSuffixes(repl, not string, texts ...string) []orgSuffix {
	out := make([]orgSuffix, len(texts))
	for i, t := range texts {
		out[i] = orgSuffix{[]rune(t), repl, not}
	}
	return out
}

var schoolSuffixes = sortOrg(concatOrg(
	orgSuffixes("当地一所小学", "", "小学", "完小", "附小", "中心校"),
	orgSuffixes("当地一所中学", "", "中学", "初中", "高中", "附中", "职高", "中专", "技校"),
	orgSuffixes("当地一所幼儿园", "", "幼儿园"),
	orgSuffixes("当地一所学校", "", "学校"),
	orgSuffixes("一所大学", "", "大学", "学院"),
))

var workSuffixes = sortOrg(concatOrg(
	orgSuffixes("一家公司", "", "有限责任公司", "有限公司", "股份公司", "公司", "集团"),
	orgSuffixes("一家工厂", "长", "工厂", "厂"),
	orgSuffixes("一处矿山", "", "煤矿", "矿业"),
	orgSuffixes("一处工地", "", "工地", "项目部"),
	orgSuffixes("一家超市", "", "超市", "商场", "商店", "门市部"),
	orgSuffixes("一家饭店", "", "饭店", "酒店", "餐馆", "饭馆", "宾馆", "酒楼"),
	orgSuffixes("一家合作社", "", "合作社", "养殖场", "农场"),
))

func concatOrg(ls ...[]orgSuffix) []orgSuffix {
	var out []orgSuffix
	for _, l := range ls {
		out = append(out, l...)
	}
	return out
}

func sortOrg(l []orgSuffix) []orgSuffix {
	for i := 1; i < len(l); i++ {
		for j := i; j > 0 && len(l[j].text) > len(l[j-1].text); j-- {
			l[j], l[j-1] = l[j-1], l[j]
		}
	}
	return l
}

// orgStop are runes that end the name of a school or workplace read
// leftwards, besides nameStop: measure words and verbs before it (一家,
// 考上, 读).
var orgStop = newRuneBits(looseStop + "家所个座处些条间上读念进入附近外这那每该本")

// looseStop is nameStop without the runes that also occur inside the names
// of schools, firms and compounds (育才小学, 和谐小区, 名城花园).
var looseStop = strings.NewReplacer("才", "", "名", "", "位", "", "和", "", "与", "", "及", "", "回", "").Replace(nameStop)

// genericOrg are words before a suffix that name a kind, not one place:
// 建筑工地, 服装厂. What is left once they are taken off must still be a
// name of two runes or more.
var genericOrg = []string{"建筑", "服装", "纺织", "电子", "食品", "家具", "化工", "水泥", "加工", "物流", "快递", "装修",
	"机械", "塑料", "木材", "印刷", "造纸", "钢铁", "汽修", "五金", "农机", "养殖", "种植", "餐饮", "保洁", "家政", "劳务",
	"建材", "包装", "制衣", "制鞋", "鞋", "砖", "特殊教育", "寄宿制", "乡村", "农村", "中心", "实验", "民办", "公办",
	"私立", "县城", "城里", "当地", "本地", "外地", "镇上", "村里", "市里", "南方", "北方", "沿海", "附近", "大型", "小型",
	"一般", "普通", "重点", "职业", "技术", "师范", "医科", "私人", "国有", "小", "大", "新", "老",
	// verbs before a school: 想考大学 names none
	"想考", "报考", "考", "想", "要", "去", "能"}

// orgName reads the name before a suffix starting at p: its start and
// whether a proper name is left once generic words are taken off.
func (s *scrubber) orgName(p int) (int, bool) {
	n := s.norm
	q := p
	for q > 0 && p-q < 10 && isHan(n[q-1]) && !orgStop.has(n[q-1]) {
		q--
	}
	// A relation before the suffix is no name (儿子高中毕业).
	for _, w := range nameBeforeRunes {
		if p-q >= len(w) && slices.Equal(n[q:q+len(w)], w) {
			q += len(w)
			break
		}
	}
	name := string(n[q:p])
	for changed := true; changed; {
		changed = false
		for _, g := range genericOrg {
			if strings.HasSuffix(name, g) {
				name, changed = strings.TrimSuffix(name, g), true
			}
			if strings.HasPrefix(name, g) {
				name, changed = strings.TrimPrefix(name, g), true
			}
		}
	}
	return q, len([]rune(name)) >= 2
}

// orgFirst holds the first runes of the school and workplace suffixes,
// so that the lists are tried only where one can start.
var orgFirst = func() *runeBits {
	b := new(runeBits)
	for _, sf := range slices.Concat(schoolSuffixes, workSuffixes) {
		b.add(sf.text[0])
	}
	return b
}()

func (s *scrubber) scanOrgs(list []orgSuffix, kind RedactionKind) {
	n := s.norm
	for p := 1; p < len(n); p++ {
		if !orgFirst.has(n[p]) {
			continue
		}
		for _, sf := range list {
			if !s.hasAt(p, sf.text) {
				continue
			}
			e := p + len(sf.text)
			if e < len(n) && strings.ContainsRune(sf.not, n[e]) {
				break
			}
			if q, ok := s.orgName(p); ok {
				s.addWords(q, e, kind, sf.repl)
				p = e - 1
			}
			break
		}
	}
}

// scanNumberedSchools finds 县一中, 郓城二中, 第三中学 (a numeral before 中).
func (s *scrubber) scanNumberedSchools() {
	n := s.norm
	for p := 1; p < len(n); p++ {
		if n[p] != '中' || !(isCnNum(n[p-1]) || isDigit(n[p-1])) {
			continue
		}
		e := p + 1
		if e < len(n) && n[e] == '学' {
			e++
		} else if e < len(n) && strings.ContainsRune("心国间午文药医共央部年期途断止秋外的", n[e]) {
			continue
		}
		q := p - 1
		for q > 0 && (isCnNum(n[q-1]) || isDigit(n[q-1])) {
			q--
		}
		if q > 0 && n[q-1] == '第' {
			q--
		}
		st := q
		for st > 0 && q-st < 6 && isHan(n[st-1]) && !numberedSchoolStop.has(n[st-1]) {
			st--
		}
		if st == q && (q == 0 || n[q] != '第') {
			continue
		}
		s.addWords(st, e, RedactSchool, "当地一所中学")
		p = e - 1
	}
}

// numberedSchoolStop is orgStop without 考 (兰考一中); 考上一中 still
// stops at 上.
var numberedSchoolStop = newRuneBits(looseStop + "家所个座处些条间上读念进入这那每该本")

// ---- villages and compounds ----

// villageSuffixes end the name of a village or residential compound; not
// voids them when it follows (村民, 社区医院).
var villageSuffixes = sortSuffixes(slices2(
	suffixes(false, "民干医级长规务容貌落子头部", "村"),
	suffixes(false, "", "村委会", "居委会", "小区", "花园", "家园", "公寓", "家属院", "新村", "胡同", "庄园", "苑"),
	suffixes(false, "医干工服", "社区"),
	suffixes(false, "", "屯"),
))

func slices2(ls ...[]suffix) []suffix {
	var out []suffix
	for _, l := range ls {
		out = append(out, l...)
	}
	return out
}

var villageFirst = func() *runeBits {
	b := new(runeBits)
	for _, sf := range villageSuffixes {
		b.add(sf.text[0])
	}
	return b
}()

// genericPlace are names before a village suffix that say what kind of
// place, not which (农村, 老旧小区, 安置小区).
var genericPlace = map[string]bool{"农": true, "乡": true, "山": true, "本": true, "同": true, "邻": true, "全": true,
	"回": true, "进": true, "出": true, "渔": true, "各": true, "整": true, "此": true, "老旧": true, "安置": true, "拆迁": true,
	"回迁": true, "高档": true, "廉租": true, "公租": true, "贫困": true, "偏远": true, "边远": true, "山区": true, "新农": true,
	"附近": true, "城市": true, "农村": true, "乡村": true, "新": true, "老": true, "旧": true, "小": true, "大": true,
	"我们": true, "他们": true, "外": true, "穷": true, "贫": true, "隔壁": true, "周边": true, "所在": true, "城中": true,
	"美丽乡": true, "移民": true, "易地搬迁": true, "扶贫": true, "保障房": true, "商品房": true, "这个": true, "那个": true,
}

// villageStop ends a village name read leftwards; 和 and 与 may be part of
// one (和谐小区).
var villageStop = newRuneBits(looseStop + "个所座条这那全本该同邻各一两几每近")

func (s *scrubber) scanVillages() {
	n := s.norm
	for p := 1; p < len(n); p++ {
		if !villageFirst.has(n[p]) && !commonSurnames.has(n[p]) {
			continue
		}
		sf, ok := s.suffixAt(p, villageSuffixes)
		if !ok {
			// 王家庄, 李庄: a surname, 家 and a village word.
			if e, ok := s.surnameVillage(p); ok {
				s.add(p, e, RedactAddress)
				p = e - 1
			}
			continue
		}
		q := p
		for q > 0 && p-q < 4 && isHan(n[q-1]) && !villageStop.has(n[q-1]) {
			q--
		}
		name := string(n[q:p])
		if p-q == 0 || genericPlace[name] || p-q == 1 && !surnames.has(n[q]) {
			p += len(sf.text) - 1
			continue
		}
		e := p + len(sf.text)
		s.add(q, e, RedactAddress)
		p = e - 1
	}
}

// surnameVillage matches 王家庄 or 李庄 at p, not inside a longer word.
func (s *scrubber) surnameVillage(p int) (int, bool) {
	n := s.norm
	if !commonSurnames.has(n[p]) || p > 0 && isHan(n[p-1]) && !villageStop.has(n[p-1]) {
		return 0, false
	}
	q := p + 1
	if q < len(n) && n[q] == '家' {
		q++
	}
	if q >= len(n) || !strings.ContainsRune("庄洼湾沟寨堡营坡岭峪", n[q]) || q == p+1 && n[q] != '庄' {
		return 0, false
	}
	return q + 1, true
}

// ---- names of other people ----

// surnames is the single-character part of 百家姓; commonSurnames the
// hundred commonest, the only ones a village name (王家庄) or a name at the
// start of a clause (王秀兰说) is read after, since many surnames are also
// ordinary words (和, 于, 时).
var (
	surnames       = newRuneBits("赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜戚谢邹喻柏水窦章云苏潘葛奚范彭郎鲁韦昌马苗凤花方俞任袁柳酆鲍史唐费廉岑薛雷贺倪汤滕殷罗毕郝邬安常乐于时傅皮卞齐康伍余元卜顾孟平黄和穆萧尹姚邵湛汪祁毛禹狄米贝明臧计伏成戴谈宋茅庞熊纪舒屈项祝董梁杜阮蓝闵席季麻强贾路娄危江童颜郭梅盛林刁钟徐邱骆高夏蔡田樊胡凌霍虞万支柯昝管卢莫经房裘缪干解应宗丁宣贲邓郁单杭洪包诸左石崔吉钮龚程嵇邢滑裴陆荣翁荀羊於惠甄曲家封芮羿储靳汲邴糜松井段富巫乌焦巴弓牧隗山谷车侯宓蓬全郗班仰秋仲伊宫宁仇栾暴甘钭厉戎祖武符刘景詹束龙叶幸司韶郜黎蓟薄印宿白怀蒲邰从鄂索咸籍赖卓蔺屠蒙池乔阴郁胥能苍双闻莘党翟谭贡劳逄姬申扶堵冉宰郦雍卻璩桑桂濮牛寿通边扈燕冀郏浦尚农温别庄晏柴瞿阎充慕连茹习宦艾鱼容向古易慎戈廖庾终暨居衡步都耿满弘匡国文寇广禄阙东欧殳沃利蔚越夔隆师巩厍聂晁勾敖融冷訾辛阚那简饶空曾毋沙乜养鞠须丰巢关蒯相查后荆红游竺权逯盖益桓公肖闫覃付")
	commonSurnames = newRuneBits("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡杜叶程苏魏吕丁沈姚卢姜崔钟谭陆汪范金廖贾夏韦付邹孟熊秦邱江尹薛闫段雷侯史陶黎贺顾毛郝龚邵钱严覃戴莫孔汤")
)

// givenStop are runes that do not start or continue a given name here:
// function words, verbs and titles that follow a name (王秀兰说, 张伟家);
// not 有 and 才 (马有福, 李有才).
var givenStop = newRuneBits(strings.NewReplacer("有", "", "才", "").Replace(nameStop) + "说告帮来去叫让给跟向从经常每今昨不很会要能可多某医护师老生主书院姐哥弟妹姨叔婶爷奶伯嫂妈娘爸家夫们人等和与及同先女士太同学后前时里上下中内外边面说讲问答看见听知道得想觉病住治做打干送带陪陪找请地得着过")

// nameBefore are relations and roles after which a name follows; nameAfter
// titles and verbs that follow a name at the start of a clause.
var (
	nameBefore = longestFirst([]string{"邻居", "老师", "医生", "大夫", "护士", "亲戚", "村医", "村支书", "支书", "书记", "村主任",
		"主任", "队长", "组长", "同学", "同事", "朋友", "老板", "工友", "网格员", "志愿者", "社工", "民警", "院长", "校长",
		"班主任", "主治医生", "主治医师", "医师", "护士长", "律师", "干部", "会计", "老乡", "表哥", "表姐", "表弟", "表妹",
		"堂哥", "堂姐", "姐夫", "妹夫", "保姆", "护工", "教授", "主治大夫", "村干部", "老板娘", "师傅", "舅舅", "姑姑", "姨妈", "叔叔", "伯伯", "丈夫", "妻子", "老伴", "前夫", "前妻",
		"儿子", "女儿", "儿媳", "女婿", "孙子", "孙女", "外孙", "外孙女", "侄子", "侄女", "哥哥", "姐姐", "弟弟", "妹妹",
		"父亲", "母亲", "爷爷", "奶奶", "外公", "外婆", "继父", "继母", "房东", "雇主", "好心人", "热心人", "村民", "居民",
		"名叫", "叫做", "名字叫", "名字是", "姓名", "取名", "叫"})
	namingVerbs = map[string]bool{"名叫": true, "叫做": true, "名字叫": true, "名字是": true, "姓名": true, "取名": true, "叫": true}
	nameAfter   = []string{"老师", "医生", "大夫", "护士", "主任", "书记", "院长", "校长", "同学", "阿姨", "大爷", "大妈",
		"大娘", "奶奶", "爷爷", "师傅", "老板", "女士", "先生", "老人", "夫妇", "一家", "说", "告诉", "介绍", "回忆", "表示",
		"帮", "经常", "常", "每天", "主动", "送", "带", "陪", "得知", "看到", "听说", "家"}
)

// notNames are words that a surname and given runes would spell.
var notNames = []string{"孙子", "孙女", "叶子", "房子", "石头", "刘海", "张罗", "朱红", "司机", "龙头", "汤药", "丁点"}

// notNameStarts are words no name starts with: a candidate beginning with
// one (严肃地, 黄金周, 田间劳作) is an ordinary word, whatever follows.
var notNameStarts = toRunes([]string{"曾经", "曾孙", "高中", "高考", "高度", "高兴", "高血压", "高烧", "马上", "周围", "周末",
	"任何", "任务", "方便", "方面", "白天", "金额", "余额", "于是", "常常", "黄金", "向来", "田里", "田间", "田地", "程度",
	"程序", "温度", "许多", "何况", "毛病", "包括", "成本", "成为", "时候", "安全", "文化", "江边", "江湖", "林业", "陈旧",
	"陈述", "钱款", "钱包", "宋体", "胡同", "胡说", "康复", "齐全", "谢谢", "严重", "严肃", "严格", "夏天", "杨柳", "曹操",
	"王者", "韩国", "潘多拉", "孔雀", "钟头", "钟表", "苏醒", "魏晋", "吕布", "范围", "史上", "姜汤", "卢布"})

func (s *scrubber) scanOtherNames() {
	n := s.norm
	found := map[string]bool{}
	for i := 0; i < len(n); i++ {
		// Rule 1: a relation, role or naming verb, then a name.
		for k, wr := range nameBeforeRunes {
			if !nameBeforeFirst.has(n[i]) {
				break
			}
			if !s.hasAt(i, wr) {
				continue
			}
			w := nameBefore[k]
			p := i + len(wr)
			for p < len(n) && strings.ContainsRune(":：是叫 ", n[p]) {
				p++
			}
			// A rare surname is also a word (孙女相依为命): only the
			// commonest follow a relation, any after a naming verb.
			if e, ok := s.personName(p, false, namingVerbs[w]); ok {
				found[string(n[p:e])] = true
				s.add(p, e, RedactName)
			}
			break
		}
		// Rule 2: at the start of a clause, a name then a title or verb.
		if i == 0 || clauseStart.has(n[i-1]) {
			if e, ok := s.personName(i, true, false); ok {
				found[string(n[i:e])] = true
				s.add(i, e, RedactName)
			}
		}
	}
	// A name joined to a found one (志愿者张伟和李娜) is a name too.
	for k := 0; k < len(s.spans); k++ {
		sp := s.spans[k]
		if sp.kind != RedactName || sp.end+1 >= len(n) || !strings.ContainsRune("和与及、", n[sp.end]) {
			continue
		}
		if e, ok := s.personName(sp.end+1, false, false); ok {
			found[string(n[sp.end+1:e])] = true
			s.add(sp.end+1, e, RedactName)
		}
	}
	for nm := range found {
		s.foundNames = append(s.foundNames, nm)
	}
}

// personName reads a surname (compound or single) and one or two given
// runes at p; after requires one of nameAfter to follow; anySurname allows
// every surname of 百家姓, not only the commonest.
func (s *scrubber) personName(p int, after, anySurname bool) (int, bool) {
	n := s.norm
	if p >= len(n) {
		return 0, false
	}
	g := p + 1
	if p+2 < len(n) {
		for _, c := range compoundRunes {
			if s.hasAt(p, c) {
				g = p + 2
				break
			}
		}
	}
	if g == p+1 && !(commonSurnames.has(n[p]) || anySurname && surnames.has(n[p])) {
		return 0, false
	}
	ok := func(k int) bool {
		return k < len(n) && isHan(n[k]) && !givenStop.has(n[k]) && !s.followedBy(k, givenNotRunes)
	}
	if !ok(g) || s.followedBy(p, notNameStarts) {
		return 0, false
	}
	// Two given runes when the second one can be one, else one.
	for e := min(g+2, len(n)); e > g; e-- {
		if e == g+2 && !ok(g+1) || notNameSet[string(n[p:e])] {
			continue
		}
		if !after || s.followedBy(e, nameAfterRunes) {
			return e, true
		}
	}
	return 0, false
}

// clauseStart are runes after which a clause (or an object) starts: a name
// there is read when a title or verb follows it (rule 2).
var clauseStart = newRuneBits("，。；：、！？,.;:!?（）() \n\"“”和与跟找请让给被由对向的")

// givenNot are words that start after a name rather than inside one
// (王伟一直陪护, 李娜轮流照顾): the rune before them ends the name.
var givenNot = []string{"一直", "一起", "一家", "一个", "一样", "一天", "一次", "一人", "轮流", "照顾", "帮忙", "平时",
	"多次", "陪同", "陪伴", "负责", "垫付", "捐款", "捐了", "介绍", "表示", "组织", "提供", "发现", "联系", "看望", "探望",
	"协助", "主动", "及时", "立即", "马上", "曾经", "也是", "总是", "特意", "专门", "亲自", "连夜", "已经", "正在", "当时"}

func (s *scrubber) followedBy(e int, words [][]rune) bool {
	for _, w := range words {
		if s.hasAt(e, w) {
			return true
		}
	}
	return false
}

// The word lists as runes, converted once: the rules run at every rune.
var (
	nameBeforeRunes = toRunes(nameBefore)
	nameBeforeFirst = firstRunes(nameBefore)
	nameAfterRunes  = toRunes(nameAfter)
	givenNotRunes   = toRunes(givenNot)
	compoundRunes   = toRunes(compoundSurnames)
	notNameSet      = func() map[string]bool {
		m := map[string]bool{}
		for _, w := range notNames {
			m[w] = true
		}
		return m
	}()
)

func toRunes(ws []string) [][]rune {
	out := make([][]rune, len(ws))
	for i, w := range ws {
		out[i] = []rune(w)
	}
	return out
}

func firstRunes(ws []string) *runeBits {
	b := new(runeBits)
	for _, w := range ws {
		r, _ := utf8.DecodeRuneInString(w)
		b.add(r)
	}
	return b
}

// longestFirst sorts words so that 护士长 is tried before 护士.
func longestFirst(ws []string) []string {
	slices.SortStableFunc(ws, func(a, b string) int { return utf8.RuneCountInString(b) - utf8.RuneCountInString(a) })
	return ws
}
