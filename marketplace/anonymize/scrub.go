package anonymize

import (
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/jiujinan/jiujinan/kernel"
)

// The scrubber removes from a story what identifies a household before it
// is published (DESIGN.md "Privacy"). It works on a normalized shadow of
// the text (full-width forms made ASCII, one rune for one rune), so that
// every match maps back to the original text unchanged.
//
// Policy, decided here once:
//   - Names entered for the household become 某某 (ScrubNamePlaceholder):
//     the full name, also with spaces or dots between the characters, the
//     given name alone when it has two or more characters, 张某丰-style
//     partial forms and the nicknames 小丰, 阿丰 (小梅 for 李梅). A surname
//     followed by 某 or 某某 is left as written. Entered names of a single
//     character are ignored (they would erase ordinary words); a name
//     written in parts (阿卜杜拉·买买提) is also removed part by part.
//   - Everything else becomes 【已隐去】 (ScrubPlaceholder), one placeholder
//     per removed item, without saying what it was, so that a reader cannot
//     tell an ID number from a phone number.
//   - Addresses: a chain of address parts (province, city, county, town,
//     village, road, number, building, unit, floor, room) is removed whole,
//     administrative names included, as soon as it goes below the county.
//     A province, city or county named alone ("在郓城县打工", "菏泽市立医院")
//     is not an exact address and is kept.
//   - Numbers: any digit sequence (groups joined by spaces or dashes) of 15
//     digits or more, any unbroken run of 10 or more, any mobile number with
//     or without +86/0086 inside a shorter sequence, any landline with its
//     area code, and any number or code after a telephone, record (住院号,
//     病案号, 门诊号, ID, 编号, 卡号…), bed or account (QQ, 微信, 支付宝)
//     keyword; bed and ward numbers (12床, 3号床, 加床, 305病房, 二病区).
//     Short numbers (amounts, dates) are kept: "5万元", "2026年3月", "50000元".
//   - Beyond what the household's records hold (issue 16; scrub_story.go):
//     names of other people found by context (邻居王秀兰), exact ages and
//     dates of birth, named schools and workplaces, villages and compounds
//     named alone (李庄村, 王家庄, 幸福家园), licence plates, and QQ written
//     扣扣. Ages become an age band in words (63岁 → 60岁以上), schools and
//     workplaces generic words (当地一所小学, 一家纺织公司); ScrubStory also
//     writes removed places as 当地 instead of the placeholder. Record and
//     account numbers are removed with the spaces, dots or dashes inside.
//   - Known trade-offs: a given name that is also a word (建国) is removed
//     wherever the word appears; a name with no relation, role, naming verb
//     or title around it (and not entered) is kept, as is a name after a
//     relation whose surname is rare (孙女相依为命 is no name); a village
//     without 村/屯/庄-like suffix, number, trigger word or known town is
//     kept; numbers written in Chinese words (一三八…) are not recognised as
//     phones; a school or firm named by generic words only (实验小学, 建筑
//     工地) is kept, it names no one.

// RedactionKind says what kind of thing was removed.
type RedactionKind string

// The kinds of redaction a preview lists.
const (
	RedactName      RedactionKind = "name"
	RedactIDNumber  RedactionKind = "id_number"
	RedactPhone     RedactionKind = "phone"
	RedactBankCard  RedactionKind = "bank_card"
	RedactNumber    RedactionKind = "number"  // another long number: insurance card, account
	RedactAccount   RedactionKind = "account" // QQ, WeChat or Alipay account
	RedactEmail     RedactionKind = "email"
	RedactAddress   RedactionKind = "address"
	RedactRecord    RedactionKind = "medical_record" // admission, record, outpatient or other keyed number
	RedactBedNumber RedactionKind = "bed"            // bed, ward or hospital room number
)

// Replacement texts.
const (
	ScrubPlaceholder     = "【已隐去】"
	ScrubNamePlaceholder = "某某"
)

// Redaction is one removal, for the worker's preview: its kind and where
// its placeholder stands in the scrubbed text, as rune offsets [Start, End).
// It never holds the removed text.
type Redaction struct {
	Kind  RedactionKind `json:"kind"`
	Start int           `json:"start"`
	End   int           `json:"end"`
}

// Scrub returns text with identifying details removed; names lists every
// name the social worker entered for the household (beneficiary and
// members). See the policy above.
func Scrub(text string, names []string) string {
	out, _ := scrub(text, ScrubOptions{Names: names}, false, false)
	return out
}

// ScrubPreview is Scrub that also lists what was removed and where the
// placeholders stand in the output, for the worker's preview.
func ScrubPreview(text string, names []string) (string, []Redaction) {
	return scrub(text, ScrubOptions{Names: names}, true, false)
}

// ScrubHiding is Scrub that also removes every occurrence of the place
// names in places (HiddenPlaceNames: the divisions a coarsened region
// hides), as addresses; adjacent ones (邵阳市隆回县) take one placeholder.
func ScrubHiding(text string, names, places []string) string {
	out, _ := scrub(text, ScrubOptions{Names: names, Places: places}, false, false)
	return out
}

// ScrubPreviewHiding is ScrubHiding with the preview's list of redactions.
func ScrubPreviewHiding(text string, names, places []string) (string, []Redaction) {
	return scrub(text, ScrubOptions{Names: names, Places: places}, true, false)
}

// ScrubOptions is what the scrubber knows about the need a text belongs to.
type ScrubOptions struct {
	Names  []string // every name entered for the household
	Places []string // HiddenPlaceNames: divisions the shown region hides
	// AgeBand is the need's public age band: an exact age inside it is
	// written as the band ("63岁" → "60岁以上"). An age outside it (a
	// grandchild's) is written as its own band.
	AgeBand kernel.AgeBand
}

// ScrubStory is Scrub with what the scrubber knows about the need, and with
// removed places written as 当地 (PlaceWord) instead of a placeholder. Not
// as the need's public region: a story also names places that are not the
// need's (老家在…, 在外地打工的工地).
func ScrubStory(text string, o ScrubOptions) string {
	out, _ := scrub(text, o, false, true)
	return out
}

// ScrubStoryPreview is ScrubStory with the preview's list of redactions.
func ScrubStoryPreview(text string, o ScrubOptions) (string, []Redaction) {
	return scrub(text, o, true, true)
}

type span struct {
	start, end int // rune offsets in the input
	kind       RedactionKind
	repl       string // the words written instead; "" for the placeholder
}

type scrubber struct {
	opts  ScrubOptions
	words bool // write places as 当地
	src   []rune
	norm  []rune
	spans []span
	str   string // norm as UTF-8, built on first use
	off   []int  // byte offset of each rune of str, and of its end
	// foundNames are the names of people outside the household that the
	// story's context gave away (邻居王秀兰): removed wherever they appear.
	foundNames []string
}

func (s *scrubber) add(start, end int, kind RedactionKind) {
	if start < end {
		s.spans = append(s.spans, span{start, end, kind, ""})
	}
}

// addWords is add with the words that stand for the removed text.
func (s *scrubber) addWords(start, end int, kind RedactionKind, repl string) {
	if start < end {
		s.spans = append(s.spans, span{start, end, kind, repl})
	}
}

func scrub(text string, o ScrubOptions, preview, words bool) (string, []Redaction) {
	s := &scrubber{src: []rune(text), opts: o, words: words}
	s.norm = make([]rune, len(s.src))
	for i, r := range s.src {
		s.norm[i] = normRune(r)
	}
	s.scanNumbers()
	s.scanKeyed()
	s.scanAddresses()
	s.scanStory()
	s.scanNames(append(slices.Clip(o.Names), s.foundNames...))
	s.scanPlaces(o.Places)
	if len(s.spans) == 0 {
		return text, nil
	}
	slices.SortFunc(s.spans, func(a, b span) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return b.end - a.end
	})
	// Merge overlapping spans; a merge that involves anything but a name
	// takes the other kind, and words only when one span holds the other.
	merged := s.spans[:1]
	for _, sp := range s.spans[1:] {
		last := &merged[len(merged)-1]
		if sp.start < last.end {
			if sp.end > last.end {
				last.end = sp.end
				if last.kind != sp.kind {
					last.repl = ""
				}
			}
			if (last.kind == RedactName || last.kind == RedactNumber) && sp.kind != RedactName {
				last.kind, last.repl = sp.kind, sp.repl
			}
			continue
		}
		merged = append(merged, sp)
	}
	var b strings.Builder
	b.Grow(len(text))
	var reds []Redaction
	pos, outRunes := 0, 0
	for _, sp := range merged {
		for _, r := range s.src[pos:sp.start] {
			b.WriteRune(r)
		}
		outRunes += sp.start - pos
		ph := s.replacement(sp)
		b.WriteString(ph)
		n := utf8.RuneCountInString(ph)
		if preview {
			reds = append(reds, Redaction{Kind: sp.kind, Start: outRunes, End: outRunes + n})
		}
		outRunes += n
		pos = sp.end
	}
	for _, r := range s.src[pos:] {
		b.WriteRune(r)
	}
	return b.String(), reds
}

// normRune maps full-width ASCII forms and the ideographic space to ASCII,
// one rune for one rune.
func normRune(r rune) rune {
	switch {
	case r >= '！' && r <= '～':
		return r - 0xFEE0
	case r == '\u3000' || r == '\u00a0':
		return ' '
	case r == '—' || r == '–' || r == '−':
		return '-'
	}
	return r
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// IsNumberSeparator reports whether r (normalized) may stand between the
// digit groups of an ID, phone or card number: "138 1234 5678",
// "370725-19900101-1234", "(0530)1234567".
func IsNumberSeparator(r rune) bool {
	switch normRune(r) {
	case ' ', '\t', '-', '(', ')', '.', '·':
		return true
	}
	return false
}

// IsNameSeparator reports whether r may stand between the characters of a
// written name: "张 三", "张·三".
func IsNameSeparator(r rune) bool {
	switch normRune(r) {
	case ' ', '\t', '·', '•', '・', '‧', '.', '-', '_', '*', '/':
		return true
	}
	return false
}

// scanNumbers finds digit sequences: groups of digits joined by at most two
// separators, the last possibly ending in X (an ID number's check
// character).
func (s *scrubber) scanNumbers() {
	n := s.norm
	var digitPos []int // rune offset of each digit of the current sequence
	var groups [][2]int
	for i := 0; i < len(n); {
		if !isDigit(n[i]) {
			i++
			continue
		}
		digitPos, groups = digitPos[:0], groups[:0]
		j := i
		for {
			gs := j
			for j < len(n) && isDigit(n[j]) {
				digitPos = append(digitPos, j)
				j++
			}
			if j < len(n) && (n[j] == 'X' || n[j] == 'x') {
				j++
				groups = append(groups, [2]int{gs, j})
				break
			}
			groups = append(groups, [2]int{gs, j})
			k := j
			for k < len(n) && k-j < 2 && IsNumberSeparator(n[k]) {
				k++
			}
			if k > j && k < len(n) && isDigit(n[k]) {
				j = k
				continue
			}
			break
		}
		s.classifyNumber(digitPos, groups)
		i = j
	}
}

func (s *scrubber) classifyNumber(digitPos []int, groups [][2]int) {
	n := s.norm
	t := len(digitPos)
	start, end := groups[0][0], groups[len(groups)-1][1]
	if start > 0 && (n[start-1] == '+' || n[start-1] == '(' && groups[0][1] < len(n) && n[groups[0][1]] == ')') {
		start--
	}
	digits := make([]byte, t)
	for i, p := range digitPos {
		digits[i] = byte(n[p])
	}
	d := string(digits)
	hasX := n[end-1] == 'X' || n[end-1] == 'x'
	switch {
	case t >= 15:
		kind := RedactNumber
		switch {
		case t == 15 && strings.HasPrefix(d, "00861"):
			kind = RedactPhone
		case t == 15 || t == 18 || t == 17 && hasX:
			kind = RedactIDNumber
		case t >= 16 && t <= 19:
			kind = RedactBankCard
		}
		s.add(start, end, kind)
		return
	case d[0] == '0' && t >= 10 && t <= 12:
		s.add(start, end, RedactPhone) // landline with area code
		return
	}
	// A mobile number anywhere inside a shorter sequence, with its 86/0086.
	for o := 0; o+11 <= t; o++ {
		if d[o] != '1' || d[o+1] < '3' {
			continue
		}
		ms := o
		if o >= 4 && d[o-4:o] == "0086" {
			ms = o - 4
		} else if o >= 2 && d[o-2:o] == "86" {
			ms = o - 2
		}
		a := digitPos[ms]
		if a > 0 && n[a-1] == '+' {
			a--
		}
		s.add(a, digitPos[o+10]+1, RedactPhone)
	}
	for _, g := range groups {
		if g[1]-g[0] >= 10 {
			s.add(g[0], g[1], RedactNumber)
		}
	}
}

// The patterns below are matched anchored, only at the few places where a
// keyword can start (unanchored Go regexps over a whole story cost more
// than a millisecond).
var (
	emailRe = regexp.MustCompile(`^[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}`)
	// A keyword, then the number it introduces (submatch 1 is removed).
	// The number may be written in groups (spaces, dots, dashes) that all go.
	recordRe = regexp.MustCompile(`^(?:住院号|住院登记号|入院号|病案号|病历号|门诊号|门诊卡号|就诊卡号|就诊号|医保卡号|医保号|社保卡号|银行卡号|银行账号|档案号|登记号|卡号|编号|账号|帐号|ID)(?:码)?[ \t]*(?:[:是为][ \t]*)?((?:[A-Za-z\-]+[ .]?)?[0-9](?:[A-Za-z0-9\-]|[ .][A-Za-z0-9])*)`)
	// QQ is also written 扣扣 or 企鹅号, WeChat 威信, V信, vx or wx.
	accountRe  = regexp.MustCompile(`^(?:(?i:qq)|扣扣|企鹅号|微信|威信|薇信|(?i:v)信|(?i:vx|wx)|支付宝)(?:号码|号|账号|帐号|账户|ID|id)?[ \t]*(?:[:是为][ \t]*)?([A-Za-z0-9_\-@.](?:[A-Za-z0-9_\-@. ]{3,}[A-Za-z0-9_\-@])?)`)
	bedKeyRe   = regexp.MustCompile(`^(?:床位号|床号)(?:码)?[ \t]*(?:[:是为][ \t]*)?([A-Za-z]?[0-9零〇一二三四五六七八九十]+)`)
	phoneKeyRe = regexp.MustCompile(`^(?i:电话|手机|座机|固话|联系方式|tel|mobile)(?:号码|号)?[ \t]*(?:[:是为][ \t]*)?([0-9][0-9 \-]{5,}[0-9])`)
	bedRe      = regexp.MustCompile(`^(?:(?:加[ \t]*)?(?:[A-Za-z]?[0-9]{1,4}[ \t]*号?|[零〇一二三四五六七八九十百]{1,4}号)[ \t]*(?:病床|床位|床|病房|病区|病室)|[零〇一二三四五六七八九十百]{1,3}[ \t]*(?:病区|病房|病室)|加床(?:[ \t]*[A-Za-z]?[0-9]{1,4}[ \t]*号?)?)`)
)

// keyedClass says which keyword can start at r: 'r' a record number
// (住院号, 病案号, ID…), 'a' an account (QQ, 微信, 支付宝), 'p' a phone
// (电话, 手机, tel…), 0 none. A switch, because it runs for every rune.
func keyedClass(r rune) byte {
	switch r {
	case '住', '病', '门', '就', '医', '社', '银', '档', '登', '卡', '编', '账', '帐', 'I':
		return 'r'
	case 'Q', 'q', '微', '支', '扣', '企', '威', '薇', 'V', 'v', 'W', 'w':
		return 'a'
	case '电', '手', '座', '固', '联', 't', 'T', 'm', 'M':
		return 'p'
	}
	return 0
}

const emailLocal = "._%+-"

func isLetter(r rune) bool { return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' }

func isASCIIAlnum(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z'
}

// scanKeyed finds e-mail addresses, numbers after a record, bed or phone
// keyword, and bed and ward numbers.
func (s *scrubber) scanKeyed() {
	str, off := s.normString()
	n := s.norm
	// window is the text from rune i on, cut to a length no match exceeds.
	window := func(i, w int) string {
		e := min(len(n), i+w)
		return str[off[i]:off[e]]
	}
	// runeEnd turns a byte offset in window(i) into a rune offset.
	runeEnd := func(i, b int) int {
		j := i
		for off[j]-off[i] < b {
			j++
		}
		return j
	}
	bedFrom := 0 // bed matches already covered up to here
	for i, r := range n {
		switch {
		case r == '@':
			st := i
			for st > 0 && (isASCIIAlnum(n[st-1]) || strings.ContainsRune(emailLocal, n[st-1])) {
				st--
			}
			if m := emailRe.FindStringIndex(window(st, 256)); m != nil && st < i {
				s.add(st, runeEnd(st, m[1]), RedactEmail)
			}
		case r == '床':
			if m := bedKeyRe.FindStringSubmatchIndex(window(i, 48)); m != nil {
				s.add(runeEnd(i, m[2]), runeEnd(i, m[3]), RedactBedNumber)
			}
		case keyedClass(r) == 'r':
			if r == 'I' && i > 0 && isASCIIAlnum(n[i-1]) {
				break
			}
			if m := recordRe.FindStringSubmatchIndex(window(i, 48)); m != nil {
				s.add(runeEnd(i, m[2]), runeEnd(i, m[3]), RedactRecord)
			}
		case keyedClass(r) == 'a':
			if r < 0x80 && i > 0 && isASCIIAlnum(n[i-1]) {
				break
			}
			if m := accountRe.FindStringSubmatchIndex(window(i, 48)); m != nil {
				s.add(runeEnd(i, m[2]), runeEnd(i, m[3]), RedactAccount)
			}
		case keyedClass(r) == 'p':
			if r < 0x80 && i > 0 && isASCIIAlnum(n[i-1]) {
				break
			}
			if m := phoneKeyRe.FindStringSubmatchIndex(window(i, 48)); m != nil {
				s.add(runeEnd(i, m[2]), runeEnd(i, m[3]), RedactPhone)
			}
		}
		// A bed or ward number ends in 床 or 病房/病区/病室: try the few
		// places before it where one can start, leftmost first.
		if (r == '床' || r == '病') && i >= bedFrom {
			for k := max(bedFrom, i-8); k <= i; k++ {
				if k > 0 && (n[k-1] == '加' || isDigit(n[k-1]) && isDigit(n[k]) || isLetter(n[k-1]) && isLetter(n[k])) {
					continue // not the start of a match
				}
				if m := bedRe.FindStringIndex(window(k, 24)); m != nil {
					if e := runeEnd(k, m[1]); e > i {
						s.add(k, e, RedactBedNumber)
						bedFrom = e
						break
					}
				}
			}
		}
	}
}

// ---- addresses ----

// divisionNameTable maps the full names of divisions (山东省, 菏泽市, 郓城县,
// 张营镇, 东华门街道) to whether they are below the county. Towns are kept
// only with a town suffix, and names of two characters only for 县 (义县),
// so that ordinary words are not taken for places.
type divisionNameTable struct {
	local map[string]bool
	final runeBits // the last runes of the names
	max   int      // longest name, in runes
}

var divisionNamesOnce = sync.OnceValue(buildDivisionNames)

func buildDivisionNames() *divisionNameTable {
	t := &divisionNameTable{local: map[string]bool{}}
	d, err := kernel.LoadDivisions()
	if err != nil {
		return t // corrupt embedded data fails LoadDivisions' own tests
	}
	for code, name := range d.All() {
		rs := []rune(name)
		if len(rs) < 2 || len(rs) == 2 && rs[1] != '县' || len(rs) > 12 {
			continue
		}
		isTown := d.Level(code) == kernel.LevelTown
		if isTown && !(strings.HasSuffix(name, "镇") || strings.HasSuffix(name, "乡") ||
			strings.HasSuffix(name, "街道") || strings.HasSuffix(name, "苏木") || strings.HasSuffix(name, "办事处")) {
			continue
		}
		t.local[name] = t.local[name] || isTown
		t.final.add(rs[len(rs)-1])
		t.max = max(t.max, len(rs))
	}
	return t
}

// Suffixes of named address parts; each with the runes that, following it,
// show it is an ordinary word instead (村民, 路费, 市场).
type suffix struct {
	text  []rune
	admin bool   // province, city or county: not an exact place by itself
	not   string // runes that void the suffix when they follow it
}

func suffixes(admin bool, not string, texts ...string) []suffix {
	out := make([]suffix, len(texts))
	for i, t := range texts {
		out[i] = suffix{text: []rune(t), admin: admin, not: not}
	}
	return out
}

// Longest first, so that 村委会 wins over 村 and 街道 over 街.
var namedSuffixes = sortSuffixes(slices.Concat(
	suffixes(false, "", "街道办事处", "村民委员会", "居民委员会", "村委会", "居委会", "嘎查", "苏木", "胡同", "大道", "大街", "小区", "花园", "公寓", "家园", "大厦", "宿舍", "家属院", "家属楼", "庄园", "新村", "社区", "街道"),
	suffixes(false, "上里下村亲间土长政", "镇", "乡"),
	suffixes(false, "民里医干子口头部级长", "村"),
	suffixes(false, "", "屯", "巷", "弄", "苑"),
	suffixes(false, "上费途边过线段人况程", "路"),
	suffixes(false, "上头坊边舞角", "街"),
	suffixes(true, "", "自治区", "自治州", "自治县", "地区"),
	suffixes(true, "场民区里政级内外立长委容", "市"),
	suffixes(true, "城里级医政委内外立长", "县"),
	suffixes(true, "域别里内外间分长划", "区"),
	suffixes(true, "份会内外长", "省"),
	suffixes(true, "帜子", "旗"),
))

var numberedSuffixes = sortSuffixes(slices.Concat(
	suffixes(false, "", "号楼", "号院", "单元"),
	suffixes(false, "码称召线", "号"),
	suffixes(false, "房", "栋", "幢"),
	suffixes(false, "位谈", "座"),
	suffixes(false, "次面楼级", "层"),
	suffixes(false, "上下梯道房层顶", "楼"),
	suffixes(false, "友内外厅", "室"),
	suffixes(false, "子间屋租产东源价", "房"),
	suffixes(false, "口籍主型", "户"),
	suffixes(false, "织长成合建员", "组"),
	suffixes(false, "员长伍", "队"),
	suffixes(false, "队名行", "排"),
))

func sortSuffixes(s []suffix) []suffix {
	slices.SortStableFunc(s, func(a, b suffix) int { return len(b.text) - len(a.text) })
	return s
}

// anchorSuffixes make a numbered part an address by itself (3号楼, 2单元,
// 501室), where 3号 or 5楼 alone could be a date or a floor of a hospital.
var anchorSuffixes = map[string]bool{"号楼": true, "号院": true, "栋": true, "幢": true, "座": true, "单元": true, "室": true}

// addressTriggers introduce an address: what follows them is parsed as one.
var addressTriggers = [][]rune{
	[]rune("家庭住址"), []rune("居住在"), []rune("居住于"), []rune("租住在"), []rune("暂住在"), []rune("老家在"), []rune("户籍地"),
	[]rune("家住"), []rune("住在"), []rune("住址"), []rune("地址"), []rune("居住"), []rune("现住"), []rune("现居"), []rune("住于"),
	[]rune("位于"), []rune("户籍"), []rune("租住"), []rune("暂住"), []rune("住所"), []rune("家在"), []rune("来自"),
	[]rune("搬到"), []rune("搬至"), []rune("迁至"), []rune("老家"),
}

// nameStop are runes that do not occur inside a place name but around one
// (住在, 的, 是): a name read leftwards or rightwards stops at them.
const nameStop = "在住于到从是的了和与及为把被向往去来回至之个名位也都又还就才已曾现原她他其该我你们等对给让这那些有无不没很说因而但并或患"

func isHan(r rune) bool { return r >= 0x3400 && r <= 0x9FFF || r >= 0xF900 && r <= 0xFAFF }

func isNameRune(r rune) bool { return isHan(r) && !nameStopSet.has(r) }

var nameStopSet = newRuneBits(nameStop)

// runeBits is a set of runes of the Basic Multilingual Plane, for tests
// that run on every rune of a story.
type runeBits [0x10000 / 64]uint64

func newRuneBits(s string) *runeBits {
	b := new(runeBits)
	for _, r := range s {
		b.add(r)
	}
	return b
}

func (b *runeBits) add(r rune) {
	if r >= 0 && r < 0x10000 {
		b[r/64] |= 1 << (r % 64)
	}
}

func (b *runeBits) has(r rune) bool { return r >= 0 && r < 0x10000 && b[r/64]&(1<<(r%64)) != 0 }

func isNumRune(r rune) bool {
	if r < 0x80 {
		return isASCIIAlnum(r)
	}
	switch r {
	case '零', '〇', '一', '二', '三', '四', '五', '六', '七', '八', '九', '十', '百', '千', '两':
		return true
	}
	return false
}

func isDash(r rune) bool { return r == '-' }

// addrScan holds the dictionary matches of one text: for each rune offset,
// the end of the longest division name starting there (0 for none) and
// whether it is a town.
type addrScan struct {
	*scrubber
	dictEnd   []int
	dictLocal []bool
	dictStart map[int]int // end → start of the longest name ending there
}

func (s *scrubber) scanAddresses() {
	t := divisionNamesOnce()
	n := len(s.norm)
	a := &addrScan{scrubber: s, dictEnd: make([]int, n+1), dictLocal: make([]bool, n+1), dictStart: map[int]int{}}
	str, off := s.normString()
	for j, r := range s.norm {
		if !t.final.has(r) {
			continue
		}
		for l := min(t.max, j+1); l >= 2; l-- {
			st := j + 1 - l
			local, ok := t.local[str[off[st]:off[j+1]]]
			if !ok || s.excluded(j+1, r) {
				continue
			}
			if j+1 > a.dictEnd[st] {
				a.dictEnd[st], a.dictLocal[st] = j+1, local
			}
			if _, seen := a.dictStart[j+1]; !seen {
				a.dictStart[j+1] = st
			}
			break
		}
	}
	for i := 0; i < n; {
		if e := a.dictEnd[i]; e > 0 {
			end, local := a.extendRight(e, true)
			if local || a.dictLocal[i] {
				s.add(a.extendLeft(i), end, RedactAddress)
				i = end
			} else {
				i = e
			}
			continue
		}
		if p, ok := a.trigger(i); ok {
			// After 住在, a number must still look like an address
			// (住在一栋两层楼的房子里 is not one).
			_, isNum := a.numbered(p)
			_, isAnchor := a.numberedAnchor(p)
			if end, local := a.extendRight(p, false); local && (a.dictEnd[p] > 0 || !isNum || isAnchor) {
				s.add(p, end, RedactAddress)
				i = end
				continue
			}
			i = p
			continue
		}
		if end, ok := a.numberedAnchor(i); ok {
			// From i, so that the anchor's suffix lets a bare room number
			// follow (7栋602).
			end, _ = a.extendRight(i, true)
			s.add(a.extendLeft(i), end, RedactAddress)
			i = end
			continue
		}
		i++
	}
}

// normString returns the normalized text as a string and the byte offset
// of each rune (one more entry for the end).
func (s *scrubber) normString() (string, []int) {
	if s.off != nil {
		return s.str, s.off
	}
	var b strings.Builder
	b.Grow(len(s.norm) * 3)
	off := make([]int, len(s.norm)+1)
	for i, r := range s.norm {
		off[i] = b.Len()
		b.WriteRune(r)
	}
	off[len(s.norm)] = b.Len()
	s.str, s.off = b.String(), off
	return s.str, s.off
}

// excluded reports whether the suffix ending at end is voided by the rune
// after it, for the division names (菏泽市场 is no 菏泽市).
func (s *scrubber) excluded(end int, last rune) bool {
	if end >= len(s.norm) {
		return false
	}
	for _, sf := range namedSuffixes {
		if len(sf.text) == 1 && sf.text[0] == last {
			return strings.ContainsRune(sf.not, s.norm[end])
		}
	}
	return false
}

func (s *scrubber) hasAt(p int, text []rune) bool {
	if p+len(text) > len(s.norm) {
		return false
	}
	for k, r := range text {
		if s.norm[p+k] != r {
			return false
		}
	}
	return true
}

// suffixAt returns the longest suffix of list at p not voided by the rune
// after it.
func (s *scrubber) suffixAt(p int, list []suffix) (suffix, bool) {
	for _, sf := range list {
		if s.hasAt(p, sf.text) {
			e := p + len(sf.text)
			if e < len(s.norm) && strings.ContainsRune(sf.not, s.norm[e]) {
				continue
			}
			return sf, true
		}
	}
	return suffix{}, false
}

var triggerFirst = func() *runeBits {
	b := new(runeBits)
	for _, tr := range addressTriggers {
		b.add(tr[0])
	}
	return b
}()

func (a *addrScan) trigger(i int) (int, bool) {
	if !triggerFirst.has(a.norm[i]) {
		return 0, false
	}
	for _, tr := range addressTriggers {
		if a.hasAt(i, tr) {
			p := i + len(tr)
			for p < len(a.norm) && strings.ContainsRune("在于是为: ", a.norm[p]) {
				p++
			}
			return p, true
		}
	}
	return 0, false
}

// numbered parses a numbered part at p: 第? then digits, Chinese numerals
// or letters (dashes allowed between them: 3-2-501), then a numbered suffix.
// Without a suffix it returns the end of the bare number and ok=false.
type numbered struct {
	end, bareEnd int
	suffix       string
	digits       int // ASCII digits
	alnum        int // ASCII digits and letters
	dashed, di   bool
}

func (s *scrubber) numbered(p int) (numbered, bool) {
	var nb numbered
	n := s.norm
	q := p
	if q < len(n) && n[q] == '第' {
		nb.di = true
		q++
	}
	start := q
	for q < len(n) && q-start < 10 {
		r := n[q]
		if isNumRune(r) {
			if r < 0x80 {
				nb.alnum++
			}
			if isDigit(r) {
				nb.digits++
			}
			q++
			continue
		}
		if isDash(r) && q > start && q+1 < len(n) && isNumRune(n[q+1]) {
			nb.dashed = true
			q++
			continue
		}
		break
	}
	if q == start {
		return nb, false
	}
	nb.bareEnd = q
	sf, ok := s.suffixAt(q, numberedSuffixes)
	if !ok {
		return nb, false
	}
	nb.suffix = string(sf.text)
	nb.end = q + len(sf.text)
	return nb, true
}

// numberedAnchor finds a numbered part at i that is an address by itself:
// 3号楼, 2单元, 501室, 中山路18号, 李庄村3组.
func (a *addrScan) numberedAnchor(i int) (int, bool) {
	n := a.norm
	if i >= len(n) || !(isNumRune(n[i]) || n[i] == '第') || i > 0 && (isNumRune(n[i-1]) || isDash(n[i-1])) {
		return 0, false
	}
	nb, ok := a.numbered(i)
	if !ok {
		return 0, false
	}
	prev := rune(0)
	if i > 0 {
		prev = n[i-1]
	}
	switch {
	case nb.suffix == "室":
		ok = nb.digits >= 3
	case anchorSuffixes[nb.suffix]:
		if nb.di {
			return 0, false
		}
		// 三号楼二单元 is an address, 一栋两层楼 a description.
		next, more := a.numbered(nb.end)
		ok = nb.alnum > 0 || nb.dashed || more && (next.alnum > 0 || anchorSuffixes[next.suffix])
	case nb.suffix == "号":
		ok = strings.ContainsRune("路街巷弄同道村屯组", prev)
	case nb.suffix == "组":
		ok = strings.ContainsRune("村区屯查", prev)
	default:
		ok = false
	}
	return nb.end, ok
}

// extendRight reads address parts from p for as long as they follow one
// another; inChain says that p ends a part already (an empty name before a
// suffix is then allowed: 大街+村). local reports a part below the county.
func (a *addrScan) extendRight(p int, inChain bool) (end int, local bool) {
	n := a.norm
	end = p
	lastSuffix := ""
	for {
		q := end
		if inChain && q < len(n) && n[q] == ' ' {
			q++
		}
		if q >= len(n) {
			return
		}
		if e := a.dictEnd[q]; e > 0 {
			end, local, inChain, lastSuffix = e, local || a.dictLocal[q], true, ""
			continue
		}
		nb, ok := a.numbered(q)
		if ok {
			end, local, inChain, lastSuffix = nb.end, true, true, nb.suffix
			continue
		}
		// A bare number after a building, unit or floor (2单元501) or a
		// dashed one (小区3-2-501), unless a unit of time or money follows.
		if inChain && nb.bareEnd > q && (nb.dashed || strings.Contains("号楼栋幢座单元层楼号院", lastSuffix) && lastSuffix != "") &&
			(nb.bareEnd >= len(n) || !strings.ContainsRune("年月日号元万千百岁天个次人口名位种项%.", n[nb.bareEnd])) {
			end, local, lastSuffix = nb.bareEnd, true, ""
			continue
		}
		if e, admin, ok := a.named(q, inChain); ok {
			end, local, inChain, lastSuffix = e, local || !admin, true, ""
			continue
		}
		return
	}
}

// named parses a named part at p: up to 8 name runes then a named suffix.
func (a *addrScan) named(p int, allowEmpty bool) (int, bool, bool) {
	n := a.norm
	for q := p; q < len(n) && q <= p+8; q++ {
		if q > p || allowEmpty {
			if sf, ok := a.suffixAt(q, namedSuffixes); ok {
				return q + len(sf.text), sf.admin, true
			}
		}
		if !isNameRune(n[q]) {
			break
		}
	}
	return 0, false, false
}

// extendLeft takes in the named parts that end where the address starts:
// the village and town before 3组, the road before 18号. A name read
// leftwards has 1 to 4 runes (2 to 4 for a province, city or county) and
// stops at nameStop runes.
func (a *addrScan) extendLeft(start int) int {
	n := a.norm
	for start > 0 {
		if st, ok := a.dictStart[start]; ok {
			start = st
			continue
		}
		moved := false
		for _, sf := range namedSuffixes {
			l := len(sf.text)
			if start-l < 1 || !a.hasAt(start-l, sf.text) {
				continue
			}
			q := start - l
			for q > 0 && start-l-q < 4 && isNameRune(n[q-1]) {
				q--
			}
			if name := start - l - q; name >= 1 && (!sf.admin || name >= 2) {
				start, moved = q, true
			}
			break
		}
		if !moved {
			return start
		}
	}
	return start
}

// ---- names ----

var compoundSurnames = []string{"欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "夏侯", "长孙", "宇文", "司徒", "轩辕", "独孤", "端木", "西门", "南宫", "呼延", "澹台", "万俟", "闻人", "赫连", "申屠", "钟离", "太史", "濮阳", "淳于", "单于", "百里", "东郭", "南门", "第五"}

// namePatterns returns the forms under which an entered name is removed:
// the full name; the nicknames 小丰 / 阿丰 (小梅 for 李梅); when the given
// name has 2+ characters, the given name alone and 张某丰 / 张三某.
func namePatterns(name string) [][]rune {
	var rs []rune
	for _, r := range name {
		if r = normRune(r); !IsNameSeparator(r) && r != ' ' {
			rs = append(rs, r)
		}
	}
	if len(rs) < 2 {
		return nil
	}
	sl := 1
	if len(rs) >= 3 && slices.Contains(compoundSurnames, string(rs[:2])) {
		sl = 2
	}
	surname, given := rs[:sl], rs[sl:]
	last := given[len(given)-1]
	pats := [][]rune{rs, {'小', last}, {'阿', last}}
	if len(given) >= 2 {
		pats = append(pats, given,
			slices.Concat(surname, []rune{'某', last}),
			slices.Concat(surname, []rune{given[0], '某'}))
	}
	return pats
}

func (s *scrubber) scanNames(names []string) {
	var pats [][]rune
	for _, nm := range names {
		pats = append(pats, namePatterns(nm)...)
		// A name written in parts (阿卜杜拉·买买提) is also removed part by
		// part, each of two characters or more.
		if parts := strings.FieldsFunc(nm, IsNameSeparator); len(parts) > 1 {
			for _, p := range parts {
				if utf8.RuneCountInString(p) >= 2 {
					pats = append(pats, []rune(p))
				}
			}
		}
	}
	if len(pats) == 0 {
		return
	}
	n := s.norm
	for i := 0; i < len(n); i++ {
		best := 0
		for _, p := range pats {
			if n[i] != p[0] {
				continue
			}
			if e := s.matchName(i, p); e > best {
				best = e
			}
		}
		if best > 0 {
			s.add(i, best, RedactName)
			i = best - 1
		}
	}
}

// scanPlaces removes every occurrence of the given place names (longest
// match first), joining adjacent ones into one span.
func (s *scrubber) scanPlaces(places []string) {
	if len(places) == 0 {
		return
	}
	pats := make([][]rune, 0, len(places))
	for _, p := range places {
		if p != "" {
			rs := []rune(p)
			for i, r := range rs {
				rs[i] = normRune(r)
			}
			pats = append(pats, rs)
		}
	}
	start, end := -1, -1
	for i := 0; i < len(s.norm); {
		best := 0
		for _, p := range pats {
			if len(p) > best && s.hasAt(i, p) {
				best = len(p)
			}
		}
		if best == 0 {
			i++
			continue
		}
		if i != end {
			s.add(start, end, RedactAddress)
			start = i
		}
		i += best
		end = i
	}
	s.add(start, end, RedactAddress)
}

// matchName matches p at i with any name separators between its runes and
// returns the end, or 0.
func (s *scrubber) matchName(i int, p []rune) int {
	n := s.norm
	j := i
	for k, r := range p {
		if k > 0 {
			for j < len(n) && IsNameSeparator(n[j]) {
				j++
			}
		}
		if j >= len(n) || n[j] != r {
			return 0
		}
		j++
	}
	return j
}
