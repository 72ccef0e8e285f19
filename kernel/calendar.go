package kernel

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/6tail/lunar-go/HolidayUtil"
)

// Calendar says which days are working days in China: Monday to Friday,
// except the public holidays, plus the make-up working days (调休) the
// State Council announces each year. The holidays and make-up days come
// from github.com/6tail/lunar-go's table (maintained, from 2001); an
// operator adds or corrects days for a year the table does not have yet
// (a new year's announcement) with an overrides file (LoadCalendarDays).
// The zero Calendar and a nil *Calendar use the table alone.
type Calendar struct {
	over map[string]CalendarDay
}

// CalendarDay is one day an operator sets: a holiday (Work false) or a
// make-up working day (Work true), with the holiday's name.
type CalendarDay struct {
	Date string // 2006-01-02
	Work bool
	Name string
}

// NewCalendar is the table with days set over it.
func NewCalendar(days []CalendarDay) *Calendar {
	c := &Calendar{over: make(map[string]CalendarDay, len(days))}
	for _, d := range days {
		c.over[d.Date] = d
	}
	return c
}

// IsWorkingDay reports whether the China calendar day that holds t is a
// working day.
func (c *Calendar) IsWorkingDay(t time.Time) bool {
	d := t.In(ChinaTime)
	key := d.Format("2006-01-02")
	if c != nil {
		if o, ok := c.over[key]; ok {
			return o.Work
		}
	}
	if h := HolidayUtil.GetHolidayByYmd(d.Year(), int(d.Month()), d.Day()); h != nil {
		return h.IsWork()
	}
	wd := d.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// Holiday names the holiday the day of t belongs to (春节, 国庆节; the
// holiday a make-up working day makes up for), or "".
func (c *Calendar) Holiday(t time.Time) string {
	d := t.In(ChinaTime)
	if c != nil {
		if o, ok := c.over[d.Format("2006-01-02")]; ok {
			return o.Name
		}
	}
	if h := HolidayUtil.GetHolidayByYmd(d.Year(), int(d.Month()), d.Day()); h != nil {
		return h.GetName()
	}
	return ""
}

// AddWorkingDays is t plus n working days, keeping the time of day in
// China: the deadline of a step that must be done within n working days
// of t (n ≥ 0; 0 is t itself).
func (c *Calendar) AddWorkingDays(t time.Time, n int) time.Time {
	d := t.In(ChinaTime)
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if c.IsWorkingDay(d) {
			n--
		}
	}
	return d.UTC()
}

// WorkingDaysBetween counts the working days after the day of from up to
// and including the day of to (0 when to is not after from): how many
// working days a step took.
func (c *Calendar) WorkingDaysBetween(from, to time.Time) int {
	a, b := ChinaDay(from), ChinaDay(to)
	n := 0
	for d := a.AddDate(0, 0, 1); !d.After(b); d = d.AddDate(0, 0, 1) {
		if c.IsWorkingDay(d) {
			n++
		}
	}
	return n
}

// LoadCalendarDays reads an operator's overrides file: CSV (UTF-8), one
// day per line, "date,kind,name" with kind 休 or holiday for a day off and
// 班 or workday for a make-up working day; a first line that is a header
// (日期,… or date,…) and lines starting with # are skipped.
//
//	日期,类型,名称
//	2028-10-01,休,国庆节
//	2028-10-08,班,国庆节
func LoadCalendarDays(path string) ([]CalendarDay, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("calendar: %w", err)
	}
	defer f.Close()
	return ReadCalendarDays(f)
}

// ReadCalendarDays reads the overrides of LoadCalendarDays from r.
func ReadCalendarDays(r io.Reader) ([]CalendarDay, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.Comment = '#'
	var out []CalendarDay
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("calendar: line %d: %w", line, err)
		}
		for i := range rec {
			rec[i] = strings.TrimSpace(strings.TrimPrefix(rec[i], "\ufeff"))
		}
		if line == 1 && (rec[0] == "日期" || strings.EqualFold(rec[0], "date")) {
			continue
		}
		if len(rec) < 2 {
			return nil, fmt.Errorf("calendar: line %d: want date,kind[,name]", line)
		}
		d, err := time.ParseInLocation("2006-01-02", rec[0], ChinaTime)
		if err != nil {
			return nil, fmt.Errorf("calendar: line %d: %q is not a date YYYY-MM-DD", line, rec[0])
		}
		day := CalendarDay{Date: d.Format("2006-01-02")}
		switch strings.ToLower(rec[1]) {
		case "休", "holiday", "off":
		case "班", "workday", "work":
			day.Work = true
		default:
			return nil, fmt.Errorf("calendar: line %d: kind %q is neither 休 (holiday) nor 班 (workday)", line, rec[1])
		}
		if len(rec) > 2 {
			day.Name = rec[2]
		}
		out = append(out, day)
	}
}
