package anonymize

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/jiujinan/jiujinan/kernel"
)

// Place names hidden by the coarsening. A need shown under a region coarser
// than its own (隆回县 shown as 全国) would give the hidden divisions away if
// its title, story or updates named them ("现于隆回县人民医院化疗"), so the
// scrubber removes, besides what it always removes, every name of the need's
// divisions finer than the shown one: the full name (隆回县, 邵阳市) and the
// common short form (隆回, 邵阳, 广西 for 广西壮族自治区).
//
// Short forms are left out where removing them would destroy ordinary text:
// forms of one character (义县 → 义), forms that are ordinary words
// (公安县 → 公安, 和平区 → 和平; see ordinaryPlaceWords), and any name that
// is part of a name still shown (吉林市 → 吉林 when 吉林省 is shown, 邵阳县 →
// 邵阳 when 邵阳市 is): the shown name says as much.

// HiddenPlaceNames returns the names to remove from the public text of a
// need whose own division is fine (county or town) and which is shown under
// shown (a coarser division, the same one, or NationalRegion): the full
// and short names of fine's divisions below shown, longest first. It is
// empty when nothing is hidden or fine is unknown.
func HiddenPlaceNames(d *kernel.Divisions, fine, shown string) []string {
	if d == nil || !d.Known(fine) {
		return nil
	}
	shownRank := 0 // NationalRegion or unknown: every level is hidden
	if d.Known(shown) {
		shownRank = d.Level(shown).Rank()
	}
	var hidden, visible []string
	prev := ""
	for _, level := range []kernel.DivisionLevel{kernel.LevelTown, kernel.LevelCounty, kernel.LevelCity, kernel.LevelProvince} {
		code := d.Coarsen(fine, level)
		if code == "" || code == prev {
			continue
		}
		prev = code
		name := d.Name(code)
		names := []string{name}
		if s := shortPlaceName(name); s != "" {
			names = append(names, s)
		}
		if code != shown && d.Level(code).Rank() > shownRank {
			hidden = append(hidden, names...)
		} else {
			visible = append(visible, names...)
		}
	}
	out := hidden[:0]
	for _, h := range hidden {
		if utf8.RuneCountInString(h) < 2 || slices.Contains(out, h) ||
			slices.ContainsFunc(visible, func(v string) bool { return strings.Contains(v, h) }) {
			continue
		}
		out = append(out, h)
	}
	slices.SortStableFunc(out, func(a, b string) int { return utf8.RuneCountInString(b) - utf8.RuneCountInString(a) })
	return out
}

// placeSuffixes are the administrative suffixes a short name drops, longest
// first.
var placeSuffixes = []string{"特别行政区", "街道办事处", "自治区", "自治州", "自治县", "自治旗", "办事处", "街道", "地区", "苏木",
	"省", "市", "县", "区", "盟", "旗", "镇", "乡"}

// ethnicNames are the peoples named in autonomous divisions (广西壮族自治区,
// 恩施土家族苗族自治州), longest first, which the short name drops too.
var ethnicNames = []string{"柯尔克孜", "维吾尔", "哈萨克", "达斡尔", "塔吉克", "鄂温克", "鄂伦春", "蒙古", "土家", "布依", "哈尼",
	"傈僳", "拉祜", "东乡", "纳西", "景颇", "仫佬", "布朗", "撒拉", "毛南", "仡佬", "锡伯", "阿昌", "普米", "德昂", "保安", "裕固",
	"独龙", "赫哲", "门巴", "珞巴", "基诺", "朝鲜", "各族", "壮", "回", "苗", "彝", "藏", "侗", "瑶", "白", "傣", "黎", "佤", "畲",
	"水", "羌", "土", "怒", "京", "满"}

// ordinaryPlaceWords are short names that are ordinary words (or name
// something else far more often than the division), kept in public text.
var ordinaryPlaceWords = map[string]bool{
	"和平": true, "新华": true, "白云": true, "朝阳": true, "东方": true, "安康": true, "太平": true, "长安": true, "中山": true,
	"城关": true, "光明": true, "红旗": true, "胜利": true, "前进": true, "民主": true, "团结": true, "友谊": true, "幸福": true,
	"解放": true, "新城": true, "城中": true, "城东": true, "城西": true, "城南": true, "城北": true, "东城": true, "西城": true,
	"南城": true, "北城": true, "市中": true, "开发": true, "高新": true, "经济": true, "新区": true, "中心": true, "东区": true,
	"西区": true, "南区": true, "北区": true, "中区": true, "永安": true, "平安": true, "人民": true, "建设": true, "复兴": true,
	"振兴": true, "长寿": true, "安宁": true, "万年": true, "新建": true, "新民": true, "大方": true, "和顺": true, "乐业": true,
	"合作": true, "公安": true, "南岸": true, "白银": true, "新星": true, "文明": true, "安定": true, "仁爱": true, "如意": true,
	"江南": true, "江北": true, "河东": true, "河西": true, "城郊": true, "郊区": true, "矿区": true, "林区": true, "工农": true,
	"铁西": true, "铁东": true, "向阳": true, "红星": true, "东风": true, "先锋": true, "长青": true, "青山": true, "永和": true,
	"仁和": true, "太和": true, "吉利": true, "富民": true, "安居": true, "永定": true, "大同": true, "普通": true, "中卫": true,
}

// shortPlaceName returns the common short form of a division's name (隆回
// for 隆回县, 广西 for 广西壮族自治区), or "" when there is none or it is
// one character or an ordinary word.
func shortPlaceName(name string) string {
	s := name
	for _, suf := range placeSuffixes {
		if t, ok := strings.CutSuffix(s, suf); ok && t != "" {
			s = t
			if strings.HasPrefix(suf, "自治") {
				s = cutEthnic(s)
			}
			break
		}
	}
	if s == name || utf8.RuneCountInString(s) < 2 || ordinaryPlaceWords[s] {
		return ""
	}
	return s
}

// cutEthnic cuts an autonomous division's name before the first people it
// names (恩施土家族苗族 → 恩施), keeping at least two runes.
func cutEthnic(s string) string {
	rs := []rune(s)
	for i := 2; i < len(rs); i++ {
		rest := string(rs[i:])
		for _, e := range ethnicNames {
			if strings.HasPrefix(rest, e) && (strings.HasPrefix(rest[len(e):], "族") || rest[len(e):] == "") {
				return string(rs[:i])
			}
		}
	}
	return s
}
