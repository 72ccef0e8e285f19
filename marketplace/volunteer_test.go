package marketplace

import (
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
)

func TestNeedsBackgroundCheck(t *testing.T) {
	tests := []struct {
		name    string
		service kernel.Service
		age     kernel.AgeBand
		types   []kernel.HouseholdType
		want    bool
	}{
		{"home care to a child", kernel.SvcHomeCare, kernel.AgeUnder14, nil, true},
		{"tutoring a teenager", kernel.SvcTutoring, kernel.Age14to17, nil, true},
		{"home repair for the elderly", kernel.SvcHomeRepair, kernel.Age60Plus, nil, true},
		{"hospital escort of a disabled adult", kernel.SvcHospitalEscort, kernel.Age18to59, []kernel.HouseholdType{kernel.HHDibao, kernel.HHSevereDisability}, true},
		{"daily help for an orphan's household", kernel.SvcDailyHelp, kernel.Age18to59, []kernel.HouseholdType{kernel.HHOrphan}, true},
		{"emotional support to an elderly person alone", kernel.SvcEmotional, kernel.Age18to59, []kernel.HouseholdType{kernel.HHElderlyAlone}, true},
		{"home care to an adult without vulnerable members", kernel.SvcHomeCare, kernel.Age18to59, []kernel.HouseholdType{kernel.HHDibao}, false},
		{"legal aid to a child", kernel.SvcLegalAid, kernel.AgeUnder14, []kernel.HouseholdType{kernel.HHOrphan}, false},
		{"job guidance to the elderly", kernel.SvcJobGuidance, kernel.Age60Plus, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := NeedsBackgroundCheck(tc.service, tc.age, tc.types); got != tc.want {
				t.Errorf("NeedsBackgroundCheck = %v, want %v", got, tc.want)
			}
			if tc.want && MayServe(BackgroundPending, tc.service, tc.age, tc.types) {
				t.Error("a pending check may serve")
			}
			if !MayServe(BackgroundCleared, tc.service, tc.age, tc.types) {
				t.Error("a cleared check may not serve")
			}
		})
	}
}

func TestParseClock(t *testing.T) {
	for s, want := range map[string]int{"00:00": 0, "09:30": 570, "24:00": 1440} {
		if got, ok := ParseClock(s); !ok || got != want {
			t.Errorf("ParseClock(%q) = %d, %v", s, got, ok)
		}
	}
	for _, s := range []string{"24:01", "9:30", "25:00", "12:60", "", "12:00:00"} {
		if _, ok := ParseClock(s); ok {
			t.Errorf("ParseClock(%q) accepted", s)
		}
	}
}

func TestHoursToMinutes(t *testing.T) {
	for _, tc := range []struct {
		h    float64
		want int
		ok   bool
	}{{0.5, 30, true}, {200, 12000, true}, {12.25, 735, true}, {0.49, 0, false}, {200.01, 0, false}, {-1, 0, false}, {1.00001, 0, false}} {
		got, ok := hoursToMinutes(tc.h, MinPledgeMinutes, MaxPledgeMinutes)
		if ok != tc.ok || got != tc.want {
			t.Errorf("hoursToMinutes(%v) = %d, %v; want %d, %v", tc.h, got, ok, tc.want, tc.ok)
		}
	}
}
