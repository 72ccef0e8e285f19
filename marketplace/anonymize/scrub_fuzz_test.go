package anonymize

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/jiujinan/jiujinan/kernel"
)

// normalizedForCheck is how the fuzz test looks for leaks: full-width forms
// made ASCII, x made X, and every separator the scrubber tolerates dropped.
func normalizedForCheck(s string, drop func(rune) bool) string {
	var b strings.Builder
	for _, r := range s {
		r = normRune(r)
		if r == 'x' {
			r = 'X'
		}
		if drop(r) {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// fuzzName makes a usable household name from arbitrary input: 2 to 4 Han
// characters, none of which the placeholders themselves contain.
func fuzzName(s string) (string, bool) {
	var rs []rune
	for _, r := range s {
		if isHan(r) && !strings.ContainsRune("某已隐去", r) {
			rs = append(rs, r)
		}
		if len(rs) == 4 {
			break
		}
	}
	return string(rs), len(rs) >= 2
}

func spread(s string, sep string) string {
	rs := []rune(s)
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = string(r)
	}
	return strings.Join(parts, sep)
}

func FuzzScrub(f *testing.F) {
	f.Add("家住", "，电话", "张三丰", uint64(37072519900101123), uint64(3812345678), uint8(0))
	f.Add("患者", "医疗费用共计5万元，2026年3月", "李梅", uint64(11010519491231002), uint64(9912345678), uint8(1))
	f.Add("12 ", " 34", "欧阳娜娜", uint64(44190019801231456), uint64(5000000000), uint8(2))
	f.Add("3号楼2单元501室", "住院号ZY2026", "王强", uint64(1), uint64(0), uint8(3))
	f.Add("", "", "赵 钱", uint64(99999999999999999), uint64(9999999999), uint8(4))
	f.Add("张三", "+86", "三丰张", uint64(12345678901234567), uint64(3000000000), uint8(5))
	f.Fuzz(func(t *testing.T, a, b, rawName string, idSeed, phoneSeed uint64, style uint8) {
		// Any text and any name: no panic, placeholders where the preview says.
		out, reds := ScrubPreview(a+rawName+b, []string{rawName, a})
		checkRedactions(t, out, reds)

		name, ok := fuzzName(rawName)
		if !ok {
			return
		}
		id := validID(fmt.Sprintf("%017d", idSeed%1e17))
		phone := fmt.Sprintf("1%d%09d", 3+phoneSeed%7, phoneSeed%1e9)
		var idW, phoneW, nameW string
		switch style % 6 {
		case 0:
			idW, phoneW, nameW = id, phone, name
		case 1:
			idW, phoneW, nameW = strings.ToLower(id), "+86"+phone, spread(name, " ")
		case 2:
			idW, phoneW, nameW = fullWidth(id), fullWidth(phone), spread(name, "·")
		case 3:
			idW, phoneW, nameW = id[:6]+" "+id[6:14]+" "+id[14:], phone[:3]+" "+phone[3:7]+" "+phone[7:], spread(name, "　")
		case 4:
			idW, phoneW, nameW = id[:6]+"-"+id[6:14]+"-"+id[14:], "0086-"+phone[:3]+"-"+phone[3:7]+"-"+phone[7:], spread(name, " · ")
		case 5:
			idW, phoneW, nameW = fullWidth(strings.ToLower(id[:6]))+" "+id[6:], "(+86)"+phone, name
		}
		in := a + nameW + b + idW + a + phoneW + b
		out, reds = ScrubPreview(in, []string{name})

		if strings.Contains(normalizedForCheck(out, IsNameSeparator), name) {
			t.Errorf("name %q left in %q (input %q)", name, out, in)
		}
		numbers := normalizedForCheck(out, IsNumberSeparator)
		if strings.Contains(numbers, id) {
			t.Errorf("ID number %s left in %q (input %q)", id, out, in)
		}
		if strings.Contains(numbers, phone) {
			t.Errorf("phone %s left in %q (input %q)", phone, out, in)
		}
		if utf8.ValidString(in) && !utf8.ValidString(out) {
			t.Errorf("output is not valid UTF-8")
		}
		checkRedactions(t, out, reds)
	})
}

func checkRedactions(t *testing.T, out string, reds []Redaction) {
	t.Helper()
	rs := []rune(out)
	prev := 0
	for _, r := range reds {
		if r.Start < prev || r.End > len(rs) || r.Start >= r.End {
			t.Fatalf("redaction %v out of order or range of %d runes", r, len(rs))
		}
		if ph := string(rs[r.Start:r.End]); !isReplacement(ph) {
			t.Errorf("redaction %v covers %q", r, ph)
		}
		prev = r.End
	}
}

// isReplacement reports whether ph is something the scrubber writes in
// place of what it removed: a placeholder, an age band, a generic place,
// school or workplace.
func isReplacement(ph string) bool {
	if ph == ScrubPlaceholder || ph == ScrubNamePlaceholder || ph == PlaceWord {
		return true
	}
	for _, b := range []kernel.AgeBand{kernel.AgeUnder14, kernel.Age14to17, kernel.Age18to59, kernel.Age60Plus} {
		if ph == ageBandWords(b) {
			return true
		}
	}
	for _, sf := range slices.Concat(schoolSuffixes, workSuffixes) {
		if ph == sf.repl {
			return true
		}
	}
	return ph == "当地一所中学"
}
