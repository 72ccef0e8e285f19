package kernel

import (
	"strconv"
	"strings"
)

// Fen is an amount in fen (分) that prints as yuan, "¥1,234.50": a
// validation message quotes an amount as a Fen so that every language
// reads it in yuan.
type Fen int64

// String formats f as yuan with two decimals and thousands separators.
func (f Fen) String() string { return FormatYuan(int64(f)) }

// FormatYuan formats fen as "¥1,234.50" (a minus sign before the ¥).
func FormatYuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	whole := strconv.FormatInt(fen/100, 10)
	var b strings.Builder
	b.WriteString(sign)
	b.WriteString("¥")
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	cents := fen % 100
	b.WriteByte('.')
	b.WriteByte(byte('0' + cents/10))
	b.WriteByte(byte('0' + cents%10))
	return b.String()
}
