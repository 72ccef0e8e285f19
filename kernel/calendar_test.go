package kernel

import (
	"strings"
	"testing"
	"time"
)

func cst(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, ChinaTime)
	if err != nil {
		panic(err)
	}
	return t
}

// Working days follow China's holiday table: a need submitted before 国庆
// or 春节 is due after the holiday, and the make-up Saturdays and Sundays
// (调休) count as working days.
func TestWorkingDaysFollowChinasHolidays(t *testing.T) {
	var c *Calendar // the table alone
	cases := []struct {
		name, from string
		n          int
		want       string
	}{
		{"an ordinary week", "2026-11-23 10:00", 2, "2026-11-25 10:00"},
		{"over a weekend", "2026-11-27 10:00", 2, "2026-12-01 10:00"},
		{"before 国庆 2026: the holiday is not counted", "2026-09-30 10:00", 2, "2026-10-09 10:00"},
		{"国庆 2026's make-up Saturday counts", "2026-10-09 10:00", 1, "2026-10-10 10:00"},
		{"国庆 2026's make-up Sunday before it counts", "2026-09-18 10:00", 1, "2026-09-20 10:00"},
		{"before 春节 2026: its make-up Saturday, then after the holiday", "2026-02-13 10:00", 2, "2026-02-24 10:00"},
		{"春节 2026's second make-up Saturday", "2026-02-27 10:00", 1, "2026-02-28 10:00"},
		{"元旦 2026", "2025-12-31 10:00", 1, "2026-01-04 10:00"},
		{"before 春节 2027", "2027-02-04 10:00", 2, "2027-02-15 10:00"},
		{"春节 2027's make-up Sunday before it", "2027-01-29 10:00", 1, "2027-01-31 10:00"},
		{"before 国庆 2027", "2027-09-30 10:00", 1, "2027-10-08 10:00"},
		{"国庆 2027's make-up Saturday", "2027-10-08 10:00", 1, "2027-10-09 10:00"},
	}
	for _, tc := range cases {
		if got := c.AddWorkingDays(cst(tc.from), tc.n); !got.Equal(cst(tc.want)) {
			t.Errorf("%s: %s + %d working days = %s, want %s", tc.name, tc.from, tc.n, got.In(ChinaTime).Format("2006-01-02 15:04 Mon"), tc.want)
		}
	}
	for _, d := range []string{"2026-10-01", "2026-10-07", "2026-02-17", "2027-02-06", "2027-10-05"} {
		if c.IsWorkingDay(cst(d + " 12:00")) {
			t.Errorf("%s is a working day", d)
		}
	}
	if got := c.Holiday(cst("2026-10-03 12:00")); got != "国庆节" {
		t.Errorf("2026-10-03 is %q", got)
	}
	// Monday 2026-10-05 00:30 in China is Sunday 16:30 UTC: China's day counts.
	if c.IsWorkingDay(time.Date(2026, 10, 4, 16, 30, 0, 0, time.UTC)) {
		t.Error("a holiday in China counted as a working day by its UTC date")
	}
	if got := c.WorkingDaysBetween(cst("2026-09-30 09:00"), cst("2026-10-12 09:00")); got != 4 {
		t.Errorf("working days from 30 Sep to 12 Oct 2026: %d, want 4 (8, 9, the make-up 10 and 12 Oct)", got)
	}
}

// An operator's file sets days the table lacks or has wrong, and wins.
func TestAnOperatorsCalendarFileSetsDays(t *testing.T) {
	days, err := ReadCalendarDays(strings.NewReader("\ufeff日期,类型,名称\n# a new year's announcement\n2028-10-02,休,国庆节\n2028-10-07,班,国庆节\n2026-10-10,holiday,改为休息\n"))
	if err != nil {
		t.Fatal(err)
	}
	c := NewCalendar(days)
	if c.IsWorkingDay(cst("2028-10-02 12:00")) || !c.IsWorkingDay(cst("2028-10-07 12:00")) || c.IsWorkingDay(cst("2026-10-10 12:00")) {
		t.Error("the operator's days are not applied")
	}
	if got := c.AddWorkingDays(cst("2026-10-09 10:00"), 1); !got.Equal(cst("2026-10-12 10:00")) {
		t.Errorf("with 10 Oct 2026 made a holiday, 9 Oct + 1 = %s", got.In(ChinaTime))
	}
	for _, bad := range []string{"2028-13-01,休\n", "2028-10-01,maybe\n", "2028-10-01\n", "\"unterminated\n"} {
		if _, err := ReadCalendarDays(strings.NewReader(bad)); err == nil {
			t.Errorf("%q is accepted", bad)
		}
	}
}
