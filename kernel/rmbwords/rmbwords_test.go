package rmbwords

import (
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

func TestCapital(t *testing.T) {
	cases := []struct {
		fen  int64
		want string
	}{
		{0, "零元整"},
		{1, "壹分"},
		{5, "伍分"},
		{10, "壹角"},
		{50, "伍角"},
		{55, "伍角伍分"},
		{100, "壹元整"},
		{1_000, "壹拾元整"},
		{1_005, "壹拾元零伍分"},
		{1_050, "壹拾元伍角"},
		{1_100, "壹拾壹元整"},
		{2_000, "贰拾元整"},
		{10_050, "壹佰元伍角"},
		{11_000, "壹佰壹拾元整"},
		{32_504, "叁佰贰拾伍元零肆分"},
		{100_000, "壹仟元整"},
		{101_000, "壹仟零壹拾元整"},
		{100_100, "壹仟零壹元整"},
		{123_450, "壹仟贰佰叁拾肆元伍角"},
		{168_032, "壹仟陆佰捌拾元叁角贰分"},
		{1_000_500, "壹万零伍元整"},
		{1_640_902, "壹万陆仟肆佰零玖元零贰分"},
		{10_000_000, "壹拾万元整"},
		{10_001_000, "壹拾万零壹拾元整"},
		{10_700_053, "壹拾万柒仟元伍角叁分"},
		{100_000_001, "壹佰万元零壹分"},
		{100_100_000, "壹佰万壹仟元整"},
		{100_010_000, "壹佰万零壹佰元整"},
		{1_000_100_000, "壹仟万壹仟元整"},
		{10_000_000_000, "壹亿元整"},
		{10_000_000_100, "壹亿零壹元整"},
		{10_001_000_000, "壹亿零壹万元整"},
		{11_000_000_000, "壹亿壹仟万元整"},
		{100_010_000_000, "壹拾亿零壹拾万元整"},
		{1_234_567_890_123, "壹佰贰拾叁亿肆仟伍佰陆拾柒万捌仟玖佰零壹元贰角叁分"},
		{1_000_000_000_000_000, "壹拾万亿元整"},
		{-1_000_500, "负壹万零伍元整"},
		{math.MaxInt64, "玖亿贰仟贰佰叁拾叁万柒仟贰佰零叁亿陆仟捌佰伍拾肆万柒仟柒佰伍拾捌元零柒分"},
	}
	for _, tc := range cases {
		t.Run(strconv.FormatInt(tc.fen, 10), func(t *testing.T) {
			if got := Capital(tc.fen); got != tc.want {
				t.Errorf("Capital(%d) = %s, want %s", tc.fen, got, tc.want)
			}
			if back, err := Parse(tc.want); err != nil || back != tc.fen {
				t.Errorf("Parse(%s) = %d, %v; want %d", tc.want, back, err, tc.fen)
			}
		})
	}
}

func TestParseAcceptsTheOptionalForms(t *testing.T) {
	cases := []struct {
		in   string
		want int64
	}{
		{"人民币壹万零伍元整", 1_000_500},
		{"壹佰元零伍角", 10_050},
		{"伍角整", 50},
		{"壹拾万零柒仟元伍角叁分", 10_700_053},
		{"壹仟陆佰捌拾元零叁角贰分", 168_032},
	}
	for _, tc := range cases {
		if got, err := Parse(tc.in); err != nil || got != tc.want {
			t.Errorf("Parse(%s) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

func TestParseRefusesWhatIsNotAnAmount(t *testing.T) {
	for _, in := range []string{"", "元整", "整", "壹", "拾元整", "壹贰元整", "壹拾佰元整", "伍角伍", "1元整", "壹仟壹仟元整",
		"壹万壹万元整", "伍分伍角", "零", "零角", "亿元整", "玖亿亿亿亿元整"} {
		if got, err := Parse(in); !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrRange) {
			t.Errorf("Parse(%q) = %d, want an error", in, got)
		}
	}
}

// TestCapitalProperties writes random amounts of every size and checks
// that they read back, name every non-zero digit in order, and keep the
// rules of the form.
func TestCapitalProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(18, 22))
	for i := 0; i < 200_000; i++ {
		// Log-uniform sizes, then runs of zeros: the amounts that test the
		// 零 rules are those with many zeros.
		fen := r.Int64N(int64(math.Pow10(1+r.IntN(18)))) + 0
		if r.IntN(2) == 0 {
			fen = withZeros(r, fen)
		}
		checkForm(t, fen)
		if t.Failed() {
			return
		}
	}
	for _, fen := range []int64{math.MaxInt64, math.MinInt64, -1, 99, 100, 9_999, 10_000} {
		checkForm(t, fen)
	}
}

// withZeros replaces random digits of fen by 0.
func withZeros(r *rand.Rand, fen int64) int64 {
	b := []byte(strconv.FormatInt(fen, 10))
	for j := range b {
		if j > 0 && r.IntN(3) > 0 {
			b[j] = '0'
		}
	}
	n, _ := strconv.ParseInt(string(b), 10, 64)
	return n
}

func checkForm(t *testing.T, fen int64) {
	t.Helper()
	s := Capital(fen)
	back, err := Parse(s)
	if err != nil || back != fen {
		t.Fatalf("Capital(%d) = %s reads back as %d, %v", fen, s, back, err)
	}
	body := strings.TrimPrefix(s, "负")
	if (fen < 0) != (body != s) {
		t.Fatalf("%d: sign in %s", fen, s)
	}
	mag := strconv.FormatInt(fen, 10)
	mag = strings.TrimPrefix(mag, "-")
	// Every non-zero digit, in order, and nothing else.
	var want, got strings.Builder
	for _, c := range mag {
		if c != '0' {
			want.WriteRune(c)
		}
	}
	rs := []rune(body)
	for i, c := range rs {
		d := strings.IndexRune(digits, c)
		switch {
		case d > 0:
			got.WriteString(strconv.Itoa(len([]rune(digits[:d]))))
		case d == 0: // 零: never twice, never before a unit, never first
			if body == "零元整" {
				continue
			}
			if i == 0 || i+1 == len(rs) || strings.IndexRune(digits, rs[i+1]) <= 0 {
				t.Fatalf("%d: misplaced 零 in %s", fen, s)
			}
		case strings.ContainsRune("拾佰仟", c):
			if i == 0 || strings.IndexRune(digits, rs[i-1]) <= 0 {
				t.Fatalf("%d: %c without its digit in %s", fen, c, s)
			}
		case !strings.ContainsRune("万亿元角分整", c):
			t.Fatalf("%d: %c in %s", fen, c, s)
		}
	}
	if got.String() != want.String() {
		t.Fatalf("%d: %s names the digits %s, want %s", fen, s, got.String(), want.String())
	}
	abs := uint64(fen)
	if fen < 0 {
		abs = uint64(-(fen + 1)) + 1
	}
	if strings.HasSuffix(s, "整") != (abs%100 == 0) {
		t.Fatalf("%d: 整 in %s", fen, s)
	}
	if strings.Contains(s, "元") != (abs >= 100 || abs == 0) {
		t.Fatalf("%d: 元 in %s", fen, s)
	}
	if strings.Contains(s, "角") != (abs/10%10 != 0) || strings.Contains(s, "分") != (abs%10 != 0) {
		t.Fatalf("%d: 角分 in %s", fen, s)
	}
}
