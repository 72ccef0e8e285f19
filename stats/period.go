package stats

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// Period is a calendar month or a calendar year in China time, the unit
// civil affairs report in (月报, 年报).
type Period struct {
	Year int
	// Month is 1 to 12, or 0 for the whole year.
	Month int
}

// Years a period may name.
const (
	MinYear = 2000
	MaxYear = 2100
)

// ParsePeriod reads "2026-11" (a month) or "2026" (a year). It returns a
// *kernel.ValidationError (field "period") for anything else.
func ParsePeriod(s string) (Period, error) {
	s = strings.TrimSpace(s)
	ys, ms, month := strings.Cut(s, "-")
	y, err := strconv.Atoi(ys)
	if err != nil || len(ys) != 4 || y < MinYear || y > MaxYear {
		return Period{}, kernel.Invalid("period", "must be a month (2026-11) or a year (2026) between %d and %d", MinYear, MaxYear)
	}
	p := Period{Year: y}
	if month {
		m, err := strconv.Atoi(ms)
		if err != nil || len(ms) != 2 || m < 1 || m > 12 {
			return Period{}, kernel.Invalid("period", "must be a month (2026-11) or a year (2026) between %d and %d", MinYear, MaxYear)
		}
		p.Month = m
	}
	return p, nil
}

// MonthOf is the month that holds t in China.
func MonthOf(t time.Time) Period {
	c := t.In(kernel.ChinaTime)
	return Period{Year: c.Year(), Month: int(c.Month())}
}

// IsYear reports whether p is a whole year.
func (p Period) IsYear() bool { return p.Month == 0 }

// String is the period as ParsePeriod reads it.
func (p Period) String() string {
	if p.IsYear() {
		return strconv.Itoa(p.Year)
	}
	return fmt.Sprintf("%04d-%02d", p.Year, p.Month)
}

// Start is the first instant of the period (00:00 China time).
func (p Period) Start() time.Time {
	m := p.Month
	if m == 0 {
		m = 1
	}
	return time.Date(p.Year, time.Month(m), 1, 0, 0, 0, 0, kernel.ChinaTime)
}

// End is the first instant after the period.
func (p Period) End() time.Time {
	if p.IsYear() {
		return p.Start().AddDate(1, 0, 0)
	}
	return p.Start().AddDate(0, 1, 0)
}

// Months are the months of the period: twelve for a year, itself for a month.
func (p Period) Months() []Period {
	if !p.IsYear() {
		return []Period{p}
	}
	out := make([]Period, 12)
	for i := range out {
		out[i] = Period{Year: p.Year, Month: i + 1}
	}
	return out
}

// Bounds are the instants that cut the period into its months: the start
// of each month and the period's end (13 for a year, 2 for a month), in
// UTC as the database keeps time.
func (p Period) Bounds() []time.Time {
	var out []time.Time
	for _, m := range p.Months() {
		out = append(out, m.Start().UTC())
	}
	return append(out, p.End().UTC())
}

// Prev and Next are the periods before and after p, of the same length.
func (p Period) Prev() Period {
	if p.IsYear() {
		return Period{Year: p.Year - 1}
	}
	s := p.Start().AddDate(0, -1, 0)
	return Period{Year: s.Year(), Month: int(s.Month())}
}

// Next is the period after p, of the same length.
func (p Period) Next() Period {
	if p.IsYear() {
		return Period{Year: p.Year + 1}
	}
	s := p.End()
	return Period{Year: s.Year(), Month: int(s.Month())}
}

// Valid reports whether p is within the years a period may name.
func (p Period) Valid() bool {
	return p.Year >= MinYear && p.Year <= MaxYear && p.Month >= 0 && p.Month <= 12
}
