package marketplace

import (
	"testing"
	"time"
)

func TestAddWorkingDaysSkipsWeekendsInChinaTime(t *testing.T) {
	cases := []struct {
		name    string
		from    string // UTC
		days    int
		wantUTC string
	}{
		{"Monday to Wednesday", "2026-11-23T09:00:00Z", 2, "2026-11-25T09:00:00Z"},
		{"Thursday to Monday", "2026-11-26T09:00:00Z", 2, "2026-11-30T09:00:00Z"},
		{"Friday to Tuesday", "2026-11-27T09:00:00Z", 2, "2026-12-01T09:00:00Z"},
		{"Saturday to Tuesday", "2026-11-28T09:00:00Z", 2, "2026-12-01T09:00:00Z"},
		// Friday 20:00 UTC is Saturday 04:00 in China: the weekend has begun there.
		{"Friday evening UTC is Saturday in China", "2026-11-27T20:00:00Z", 2, "2026-11-30T20:00:00Z"},
		{"Thursday evening UTC is Friday in China", "2026-11-26T20:00:00Z", 1, "2026-11-29T20:00:00Z"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			from, _ := time.Parse(time.RFC3339, tc.from)
			if got := AddWorkingDays(from, tc.days).Format(time.RFC3339); got != tc.wantUTC {
				t.Errorf("AddWorkingDays(%s, %d) = %s, want %s", tc.from, tc.days, got, tc.wantUTC)
			}
		})
	}
}
