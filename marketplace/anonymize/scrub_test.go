package anonymize

import (
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/jiujinan/jiujinan/kernel"
)

// validID completes 17 digits with their check character.
func validID(first17 string) string { return first17 + string(kernel.IDCheckChar(first17)) }

// fullWidth writes ASCII digits and letters in their full-width forms.
func fullWidth(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r > ' ' && r < 0x7f {
			r += 0xFEE0
		}
		b.WriteRune(r)
	}
	return b.String()
}

var testNames = []string{"张三丰", "李梅", "欧阳娜娜"}

func TestScrub(t *testing.T) {
	id := validID("37072519900101123")  // ends in a digit
	idX := validID("11010519491231002") // ends in X
	if !strings.HasSuffix(idX, "X") {
		t.Fatalf("test data: %s should end in X", idX)
	}
	const P = ScrubPlaceholder
	tests := []struct {
		name string
		in   string
		want string
	}{
		// ID numbers
		{"id plain", "身份证号" + id + "。", "身份证号" + P + "。"},
		{"id with X", "身份证" + idX + "，", "身份证" + P + "，"},
		{"id with lowercase x", "身份证" + strings.ToLower(idX) + "，", "身份证" + P + "，"},
		{"id full-width", "身份证：" + fullWidth(id), "身份证：" + P},
		{"id full-width x", "证件号" + fullWidth(strings.ToLower(idX)) + "。", "证件号" + P + "。"},
		{"id grouped with spaces", "身份证 370725 19900101 " + id[14:] + " 已核实", "身份证 " + P + " 已核实"},
		{"id grouped with dashes", "身份证370725-1990-0101-" + id[14:], "身份证" + P},
		{"id wrong check character still removed", "身份证370725199001011230", "身份证" + P},
		{"old 15-digit id", "旧身份证370725900101123。", "旧身份证" + P + "。"},
		// phones
		{"mobile plain", "电话13812345678。", "电话" + P + "。"},
		{"mobile +86", "手机+8613812345678", "手机" + P},
		{"mobile +86 spaced", "手机 +86 138 1234 5678 联系", "手机 " + P + " 联系"},
		{"mobile 0086", "拨0086-138-1234-5678", "拨" + P},
		{"mobile dashed", "138-1234-5678", P},
		{"mobile full-width", "联系１３８１２３４５６７８。", "联系" + P + "。"},
		{"mobile inside text", "他的号码是13912345678吗", "他的号码是" + P + "吗"},
		{"landline with area code", "座机0530-6581234", "座机" + P},
		{"landline in parentheses", "电话(0728)3312345", "电话" + P},
		{"landline Beijing", "010-12345678", P},
		{"local number after keyword", "联系电话：6581234。", "联系电话：" + P + "。"},
		// bank cards and long numbers
		{"bank card 19 digits", "卡号后请转入6222021234567890123", "卡号后请转入" + P},
		{"bank card grouped", "银行卡 6222 0212 3456 7890 123 收款", "银行卡 " + P + " 收款"},
		{"bank card 16 digits", "账户：4392 2500 1234 5678", "账户：" + P},
		{"long account number", "医保号码1234567890", "医保号码" + P},
		// e-mail
		{"email", "邮箱 zhang.sf@example.com.cn，", "邮箱 " + P + "，"},
		{"email full-width at", "邮箱zhangsf＠qq.com", "邮箱" + P},
		// addresses
		{"rural address after 家住", "家住山东省菏泽市郓城县张营街道李庄村3组，", "家住" + P + "，"},
		{"rural address without trigger", "老人在山东省菏泽市郓城县张营街道李庄村3组独居", "老人在" + P + "独居"},
		{"urban address down to the room", "现住北京市朝阳区建国路88号院3号楼1单元1201室。", "现住" + P + "。"},
		{"room without 室", "住北京市朝阳区建国路88号院3号楼1单元1201，", "住" + P + "，"},
		{"chinese numerals in building and unit", "住在幸福小区三号楼二单元501", "住在" + P},
		{"full-width building numbers", "住在幸福小区３号楼２单元５０１室", "住在" + P},
		{"building chain without trigger", "租的房子在3号楼2单元501室", "租的房子在" + P},
		{"road and number", "在中山路18号开小卖部", "在" + P + "开小卖部"},
		{"chinese numerals in house number", "在中山路十八号开小卖部", "在" + P + "开小卖部"},
		{"chinese numerals in village group", "是前进村三组的村民", "是" + P + "的村民"},
		{"unknown town and village after trigger", "家住红旗乡前进村。", "家住" + P + "。"},
		{"village and group without trigger", "是前进村5组的村民", "是" + P + "的村民"},
		{"municipality address", "现居上海市浦东新区张江镇", "现居" + P},
		{"county under province", "地址：湖北省仙桃市干河街道复州大道18号", "地址：" + P},
		{"dashed room in estate", "住在阳光花园3-2-501", "住在" + P},
		{"street of a district", "河南省郑州市金水区文化路街道经三路12号", P},
		{"city without counties", "广东省东莞市东城街道", P},
		{"trigger at the end", "家住", "家住"},
		{"house description kept", "住在一栋两层楼的房子里", "住在一栋两层楼的房子里"},
		{"county alone kept", "在郓城县打工多年", "在郓城县打工多年"},
		{"city hospital kept", "在菏泽市立医院治疗", "在菏泽市立医院治疗"},
		{"province and city kept", "来自山东省菏泽市。", "来自山东省菏泽市。"},
		// hospital numbers and beds
		{"admission number", "住院号：ZY2026001234，", "住院号：" + P + "，"},
		{"record number", "病案号 123456", "病案号 " + P},
		{"outpatient number", "门诊号为A12345。", "门诊号为" + P + "。"},
		{"ID followed by digits", "患者ID：88231，", "患者ID：" + P + "，"},
		{"outpatient number with letters and dashes", "门诊号:MZ-2026-00123", "门诊号:" + P},
		{"QQ number", "QQ号123456789，", "QQ号" + P + "，"},
		{"WeChat id", "微信号：wx_zhang123。", "微信号：" + P + "。"},
		{"Alipay account", "支付宝 zhangsf@163.com", "支付宝 " + P},
		{"hospital unit with letters kept", "在儿科PICC室治疗", "在儿科PICC室治疗"},
		{"bed number after keyword", "床号12", "床号" + P},
		{"bed number before 床", "住在12床", "住在" + P},
		{"bed with 号", "3号床的病人", P + "的病人"},
		{"extra bed", "只能睡加床", "只能睡" + P},
		{"extra bed with number", "加12床", P},
		{"bed in chinese numerals", "十二号床", P},
		{"ward and bed", "心内科3病区12床", "心内科" + P + P},
		{"bed after a ward name", "患者ICU3床", "患者ICU" + P},
		{"long email", "邮箱 a.very.long.local.part.for.testing.purposes@mail.department.example.org.cn。", "邮箱 " + P + "。"},
		{"hospital room", "住在305病房", "住在" + P},
		// names
		{"full name", "张三丰今年六十多", "某某今年六十多"},
		{"name with spaces", "张 三 丰今年", "某某今年"},
		{"name with middle dots", "张·三·丰今年", "某某今年"},
		{"name with ideographic space", "张　三丰", "某某"},
		{"given name alone", "三丰说", "某某说"},
		{"surname 某 given", "张某丰说", "某某说"},
		{"nickname", "大家叫他小丰", "大家叫他某某"},
		{"surname 某某 stays", "张某某说", "张某某说"},
		{"surname 某 stays", "张某说", "张某说"},
		{"two-character name", "妻子李梅患病", "妻子某某患病"},
		{"two-character name spaced", "妻子李 梅患病", "妻子某某患病"},
		{"nickname of a two-character name", "大家都叫她小梅、阿梅", "大家都叫她某某、某某"},
		{"single given character stays", "梅花开了", "梅花开了"},
		{"compound surname", "女儿欧阳娜娜", "女儿某某"},
		{"compound surname given name", "娜娜上学", "某某上学"},
		{"compound surname 某某 stays", "欧阳某某上学", "欧阳某某上学"},
		// what must survive
		{"amount in 万元", "医疗费用共计5万元", "医疗费用共计5万元"},
		{"amount in yuan", "花费50000元，已报销12,345.67元", "花费50000元，已报销12,345.67元"},
		{"year and month", "2026年3月确诊", "2026年3月确诊"},
		{"date with 号", "2026年3月18号住院", "2026年3月18号住院"},
		{"ISO date", "2026-03-01入院", "2026-03-01入院"},
		// An exact age is written as its band (issue 16); durations stay.
		{"age becomes its band", "张三丰今年六十岁", "某某今年60岁以上"},
		{"ages and durations", "3岁的孩子住院15天，卧床3年", "未成年的孩子住院15天，卧床3年"},
		{"county hospital", "在县医院住院", "在县医院住院"},
		{"lesson unit", "学到了第三单元", "学到了第三单元"},
		{"flat layout", "两室一厅", "两室一厅"},
		{"floor of a building", "住院部5楼", "住院部5楼"},
		{"villagers", "村民们捐了款", "村民们捐了款"},
		{"day of month after a place", "在医院5号出院，家里5号有人", "在医院5号出院，家里5号有人"},
		{"subway line", "坐地铁3号线", "坐地铁3号线"},
		{"percent", "报销比例70%", "报销比例70%"},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Scrub(tc.in, testNames)
			if got != tc.want {
				t.Errorf("Scrub(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestScrubPreviewKinds(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want RedactionKind
	}{
		{"name", "张三丰", RedactName},
		{"id number", validID("37072519900101123"), RedactIDNumber},
		{"old id number", "370725900101123", RedactIDNumber},
		{"mobile", "13812345678", RedactPhone},
		{"landline", "0530-6581234", RedactPhone},
		{"bank card", "6222021234567890123", RedactBankCard},
		{"other long number", "1234567890", RedactNumber},
		{"email", "a@b.cn", RedactEmail},
		{"address", "家住前进村", RedactAddress},
		{"record", "住院号ZY123", RedactRecord},
		{"bed", "12床", RedactBedNumber},
		{"account", "微信号wx_123456", RedactAccount},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, reds := ScrubPreview(tc.in, testNames)
			if len(reds) != 1 || reds[0].Kind != tc.want {
				t.Errorf("ScrubPreview(%q) redactions %v, want one %s", tc.in, reds, tc.want)
			}
		})
	}
}

func TestScrubNamesInParts(t *testing.T) {
	got := Scrub("阿卜杜拉·买买提的儿子买买提和阿卜杜拉", []string{"阿卜杜拉·买买提"})
	if want := "某某的儿子某某和某某"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestScrubConcurrent(t *testing.T) {
	story := benchStory(t)
	want := Scrub(story, testNames)
	done := make(chan string)
	for range 8 {
		go func() { done <- Scrub(story, testNames) }()
	}
	for range 8 {
		if got := <-done; got != want {
			t.Error("concurrent scrubs differ")
		}
	}
}

func TestScrubPreviewOffsets(t *testing.T) {
	in := "张三丰，电话13812345678，家住前进村3组。"
	out, reds := ScrubPreview(in, testNames)
	want := []RedactionKind{RedactName, RedactPhone, RedactAddress}
	if len(reds) != len(want) {
		t.Fatalf("redactions %v, want kinds %v", reds, want)
	}
	rs := []rune(out)
	for i, r := range reds {
		if r.Kind != want[i] {
			t.Errorf("redaction %d kind %s, want %s", i, r.Kind, want[i])
		}
		ph := string(rs[r.Start:r.End])
		if ph != ScrubPlaceholder && ph != ScrubNamePlaceholder {
			t.Errorf("redaction %d covers %q, not a placeholder", i, ph)
		}
	}
	if got := Scrub(in, testNames); got != out {
		t.Errorf("Scrub and ScrubPreview differ: %q vs %q", got, out)
	}
	if _, reds := ScrubPreview("没有要隐去的内容", testNames); reds != nil {
		t.Errorf("clean text has redactions %v", reds)
	}
	if !utf8.ValidString(out) {
		t.Error("output is not valid UTF-8")
	}
}

// benchStory is a 2,000-character story of the kind a social worker
// writes, with a few identifiers in it.
func benchStory(tb testing.TB) string {
	tb.Helper()
	paras := []string{
		"张三丰，男，1958年生，家住山东省菏泽市郓城县张营街道李庄村3组，联系电话138 1234 5678。",
		"2026年3月因突发脑梗在菏泽市立医院住院治疗，住院号ZY2026001234，心内科3病区12床，住院15天。",
		"医疗费用共计5万元，城乡居民医保报销2.8万元，医疗救助已支付6000元，个人仍需负担约1.6万元。",
		"老人与妻子李梅共同生活，妻子患有慢性病，常年服药，每月药费约800元，家庭主要收入为低保金和少量种植收入。",
		"女儿欧阳娜娜在外地打工，收入微薄，身份证号" + validID("37172519850612345") + "，无力承担父亲的医疗费用。",
		"老人出院后需要康复训练和定期复查，行动不便，希望能有志愿者提供陪诊和上门照料服务，帮助其恢复生活自理能力。",
		"村委会和镇民政办已多次走访，确认家庭情况属实，申请社会力量救助，用于支付剩余医疗费用和康复期间的基本生活开支。",
	}
	var b strings.Builder
	for utf8.RuneCountInString(b.String()) < 2000 {
		for _, p := range paras {
			b.WriteString(p)
		}
	}
	return string([]rune(b.String())[:2000])
}

func BenchmarkScrub(b *testing.B) {
	story := benchStory(b)
	Scrub(story, testNames) // load the division names once, outside the timing
	b.SetBytes(int64(len(story)))
	b.ReportAllocs()
	// On a shared machine wall time per op mostly measures the other
	// tenants; the thread's own CPU time is reported beside it.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cpu0 := threadCPU()
	for b.Loop() {
		Scrub(story, testNames)
	}
	if cpu0 >= 0 {
		b.ReportMetric(float64(threadCPU()-cpu0)/float64(b.N), "cpu-ns/op")
	}
}

func BenchmarkScrubPreview(b *testing.B) {
	story := benchStory(b)
	ScrubPreview(story, testNames)
	b.ReportAllocs()
	for b.Loop() {
		ScrubPreview(story, testNames)
	}
}

func TestScrubBenchStory(t *testing.T) {
	out := Scrub(benchStory(t), testNames)
	for _, leak := range []string{"张三丰", "李梅", "娜娜", "1234 5678", "ZY2026001234", "李庄村", "12床"} {
		if strings.Contains(out, leak) {
			t.Errorf("scrubbed story still has %q", leak)
		}
	}
	for _, keep := range []string{"5万元", "2026年3月", "6000元", "菏泽市立医院"} {
		if !strings.Contains(out, keep) {
			t.Errorf("scrubbed story lost %q", keep)
		}
	}
}

// BenchmarkScrubFirstUse is the one-time cost of the first Scrub in a
// process: building the table of division names (divisions already loaded).
func BenchmarkScrubFirstUse(b *testing.B) {
	mustDivisions(b)
	for b.Loop() {
		buildDivisionNames()
	}
}
