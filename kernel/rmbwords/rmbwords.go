package rmbwords

import (
	"errors"
	"math"
	"strings"
)

const digits = "零壹贰叁肆伍陆柒捌玖"

// digit is the capital numeral of d (0-9).
func digit(d uint64) string { return string([]rune(digits)[d]) }

// Capital writes fen (分) in capital numerals: 壹万零伍元整 for 1000500,
// 伍角 for 50, 零元整 for 0; a negative amount starts with 负.
func Capital(fen int64) string {
	if fen < 0 {
		// -MinInt64 overflows int64; its magnitude fits a uint64.
		return "负" + capital(uint64(-(fen+1))+1)
	}
	return capital(uint64(fen))
}

func capital(fen uint64) string {
	yuan, jiao, f := fen/100, fen/10%10, fen%10
	if fen == 0 {
		return "零元整"
	}
	var b strings.Builder
	if yuan > 0 {
		writeInteger(&b, yuan)
		b.WriteString("元")
	}
	switch {
	case jiao == 0 && f == 0:
		b.WriteString("整")
	case jiao == 0:
		if yuan > 0 {
			b.WriteString("零")
		}
		b.WriteString(digit(f) + "分")
	default:
		b.WriteString(digit(jiao) + "角")
		if f > 0 {
			b.WriteString(digit(f) + "分")
		}
	}
	return b.String()
}

// writeInteger writes n > 0: groups of eight digits joined by 亿 (亿亿
// above 10^16), each of two groups of four joined by 万.
func writeInteger(b *strings.Builder, n uint64) {
	const yi = 100_000_000
	if n >= yi {
		hi, lo := n/yi, n%yi
		writeInteger(b, hi)
		b.WriteString("亿")
		if lo == 0 {
			return
		}
		if lo < yi/10 {
			b.WriteString("零")
		}
		n = lo
	}
	const wan = 10_000
	if n >= wan {
		hi, lo := n/wan, n%wan
		writeGroup(b, hi)
		b.WriteString("万")
		if lo == 0 {
			return
		}
		if lo < wan/10 {
			b.WriteString("零")
		}
		n = lo
	}
	writeGroup(b, n)
}

// writeGroup writes 0 < n < 10000 without its leading zeros: 壹仟零伍,
// 壹拾, 叁佰贰拾.
func writeGroup(b *strings.Builder, n uint64) {
	units := [4]string{"仟", "佰", "拾", ""}
	ds := [4]uint64{n / 1000, n / 100 % 10, n / 10 % 10, n % 10}
	started, zero := false, false
	for i, d := range ds {
		switch {
		case d == 0:
			zero = started
		default:
			if zero {
				b.WriteString("零")
			}
			b.WriteString(digit(d) + units[i])
			started, zero = true, false
		}
	}
}

// ErrSyntax: the text is not an amount in capital numerals.
var ErrSyntax = errors.New("rmbwords: not an amount in capital numerals")

// ErrRange: the amount does not fit an int64 of fen.
var ErrRange = errors.New("rmbwords: amount out of range")

// Parse reads an amount in capital numerals back into fen: what Capital
// writes, with or without a leading 人民币, and the optional 零 and 整 the
// rules allow (壹佰元零伍角, 伍角整). ErrSyntax, ErrRange.
func Parse(s string) (int64, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "人民币")
	neg := false
	if rest, ok := strings.CutPrefix(s, "负"); ok {
		neg, s = true, rest
	}
	if s == "" {
		return 0, ErrSyntax
	}
	var yuan uint64
	frac := s
	if whole, rest, ok := strings.Cut(s, "元"); ok {
		if whole == "" {
			return 0, ErrSyntax
		}
		n, err := parseInteger(whole)
		if err != nil {
			return 0, err
		}
		yuan, frac = n, rest
	}
	small, err := parseFraction(frac, frac != s)
	if err != nil {
		return 0, err
	}
	if yuan > 1<<63/100 {
		return 0, ErrRange
	}
	total := yuan*100 + small // at most 2^63 + 99: no overflow
	switch {
	case neg && total <= 1<<63:
		return -int64(total-1) - 1, nil
	case !neg && total <= math.MaxInt64:
		return int64(total), nil
	}
	return 0, ErrRange
}

// parseFraction reads what follows 元 (afterYuan) or a whole amount below
// one yuan: 整, [零]X角[Y分][整], [零]Y分.
func parseFraction(s string, afterYuan bool) (uint64, error) {
	s = strings.TrimSuffix(s, "整")
	if s == "" {
		if afterYuan {
			return 0, nil
		}
		return 0, ErrSyntax
	}
	s = strings.TrimPrefix(s, "零")
	var out uint64
	for _, unit := range []struct {
		name string
		fen  uint64
	}{{"角", 10}, {"分", 1}} {
		r := []rune(s)
		if len(r) >= 2 && string(r[1]) == unit.name {
			d := strings.IndexRune(digits, r[0])
			if d < 0 {
				return 0, ErrSyntax
			}
			out += uint64(len([]rune(digits[:d]))) * unit.fen
			s = string(r[2:])
		}
	}
	if s != "" || out == 0 && !afterYuan {
		return 0, ErrSyntax
	}
	return out, nil
}

// parseInteger reads the words before 元.
func parseInteger(s string) (uint64, error) {
	if s == "零" {
		return 0, nil
	}
	if i := strings.LastIndex(s, "亿"); i >= 0 {
		hi, err := parseInteger(s[:i])
		if err != nil || hi == 0 {
			return 0, ErrSyntax
		}
		lo, err := parseBelow(s[i+len("亿"):], 100_000_000, parseWan)
		if err != nil {
			return 0, err
		}
		if hi > (math.MaxUint64-lo)/100_000_000 {
			return 0, ErrRange
		}
		return hi*100_000_000 + lo, nil
	}
	return parseWan(s)
}

// parseBelow reads the part after a 亿 (or 万), below limit, which may be
// empty or start with 零.
func parseBelow(s string, limit uint64, parse func(string) (uint64, error)) (uint64, error) {
	s = strings.TrimPrefix(s, "零")
	if s == "" {
		return 0, nil
	}
	n, err := parse(s)
	if err != nil || n >= limit || n == 0 {
		return 0, ErrSyntax
	}
	return n, nil
}

// parseWan reads a number below 10^8: [group 万][[零]group].
func parseWan(s string) (uint64, error) {
	if i := strings.Index(s, "万"); i >= 0 {
		hi, err := parseGroup(s[:i])
		if err != nil || hi == 0 {
			return 0, ErrSyntax
		}
		lo, err := parseBelow(s[i+len("万"):], 10_000, parseGroup)
		if err != nil {
			return 0, err
		}
		return hi*10_000 + lo, nil
	}
	return parseGroup(s)
}

// parseGroup reads a number below 10^4: digits each followed by its unit
// (仟, 佰, 拾, or none for the last), in falling order, 零 between.
func parseGroup(s string) (uint64, error) {
	var n uint64
	last := uint64(10_000)
	r := []rune(s)
	if len(r) == 0 {
		return 0, ErrSyntax
	}
	for i := 0; i < len(r); i++ {
		if r[i] == '零' {
			continue
		}
		d := strings.IndexRune(digits, r[i])
		if d <= 0 {
			return 0, ErrSyntax
		}
		dv := uint64(len([]rune(digits[:d])))
		unit := uint64(1)
		if i+1 < len(r) {
			switch r[i+1] {
			case '仟':
				unit = 1000
			case '佰':
				unit = 100
			case '拾':
				unit = 10
			}
			if unit > 1 {
				i++
			}
		}
		if unit >= last {
			return 0, ErrSyntax
		}
		last = unit
		n += dv * unit
	}
	return n, nil
}
