package funds

import (
	"errors"
	"strconv"
	"strings"
)

// ParseYuan reads an amount in yuan with at most two decimals ("200",
// "200.5", "1,200.00") into fen, exactly, without floating point.
func ParseYuan(s string) (int64, error) {
	s = strings.TrimPrefix(strings.TrimPrefix(strings.ReplaceAll(strings.TrimSpace(s), ",", ""), "¥"), "￥")
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 2 || strings.HasPrefix(whole, "-") || strings.HasPrefix(whole, "+") {
		return 0, errors.New("want a positive amount in yuan with at most two decimals")
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, err1 := strconv.ParseInt(whole, 10, 64)
	f, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil || w > MaxAmountFen/100 {
		return 0, errors.New("want a positive amount in yuan with at most two decimals")
	}
	fen := w*100 + f
	if fen <= 0 || fen > MaxAmountFen {
		return 0, errors.New("amount out of range")
	}
	return fen, nil
}

// FormatYuan writes fen as yuan with two decimals.
func FormatYuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return sign + strconv.FormatInt(fen/100, 10) + "." + strings.Repeat("0", 2-len(strconv.FormatInt(fen%100, 10))) + strconv.FormatInt(fen%100, 10)
}
