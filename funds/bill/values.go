package bill

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/kernel"
)

// parseYuan reads an amount in yuan as bills write it: "0.01", "-0.01"
// (an Alipay refund), "+0.01", "1,234.50", "¥12", "12元", "200.000", and
// a spreadsheet's stored number, whose binary fraction may show as
// "200.09999999999999". It returns fen, signed; false for anything else:
// more than two decimals that are not a rounding of the stored number,
// letters, an amount above funds.MaxAmountFen.
func parseYuan(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(s, "元")
	neg := false
	switch {
	case strings.HasPrefix(s, "-"):
		neg, s = true, s[1:]
	case strings.HasPrefix(s, "−"):
		neg, s = true, strings.TrimPrefix(s, "−")
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(s, "¥"), "￥"))
	whole, frac, _ := strings.Cut(s, ".")
	if strings.Contains(whole, ",") {
		groups := strings.Split(whole, ",")
		for i, g := range groups {
			if (i == 0 && (len(g) < 1 || len(g) > 3)) || (i > 0 && len(g) != 3) {
				return 0, false
			}
		}
		whole = strings.Join(groups, "")
	}
	if whole == "" || !digits(whole) || !digits(frac) || len(whole) > 15 {
		return 0, false
	}
	cents := frac
	var rest string
	if len(frac) > 2 {
		cents, rest = frac[:2], frac[2:]
	}
	for len(cents) < 2 {
		cents += "0"
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	c, _ := strconv.ParseInt(cents, 10, 64)
	fen := w*100 + c
	switch {
	case strings.Trim(rest, "0") == "":
	case len(rest) >= 6 && strings.HasPrefix(rest, "99999"):
		fen++ // 200.09999999999999 is 200.10
	case len(rest) >= 6 && strings.HasPrefix(rest, "00000"):
		// 200.10000000000002 is 200.10
	default:
		return 0, false
	}
	if fen > funds.MaxAmountFen {
		return 0, false
	}
	if neg {
		fen = -fen
	}
	return fen, true
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// timeLayouts are the ways bills write a time, China time.
var timeLayouts = []string{
	"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02", "2006-1-2 15:04:05", "2006-1-2",
	"2006/01/02 15:04:05", "2006/01/02 15:04", "2006/01/02", "2006/1/2 15:04:05", "2006/1/2 15:04", "2006/1/2",
	"2006.01.02 15:04:05", "2006.01.02", "20060102150405", "20060102", "2006-01-02T15:04:05",
	"2006年1月2日 15:04:05", "2006年1月2日 15:04", "2006年1月2日", "2006年01月02日",
}

// parseTime reads a bill's time (China time when it names no zone), or a
// spreadsheet's date serial number.
func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), true
	}
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, s, kernel.ChinaTime); err == nil {
			return t.UTC(), true
		}
	}
	// Excel's serial: days since 1899-12-30, the fraction the time of day.
	if v, err := strconv.ParseFloat(s, 64); err == nil && v >= 20000 && v < 80000 && !strings.ContainsAny(s, "eE") {
		days := math.Floor(v)
		secs := math.Round((v - days) * 86400)
		t := time.Date(1899, 12, 30, 0, 0, 0, 0, kernel.ChinaTime).AddDate(0, 0, int(days)).Add(time.Duration(secs) * time.Second)
		return t.UTC(), true
	}
	return time.Time{}, false
}
