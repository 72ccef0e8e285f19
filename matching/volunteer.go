package matching

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/marketplace"
)

// BackgroundCheck is the state of a volunteer's background check.
type BackgroundCheck string

// Background check states; only cleared lets a volunteer visit vulnerable
// households at home.
const (
	CheckNone    BackgroundCheck = "none"
	CheckPending BackgroundCheck = "pending"
	CheckCleared BackgroundCheck = "cleared"
	CheckFailed  BackgroundCheck = "failed"
	CheckExpired BackgroundCheck = "expired"
)

// Skill is a service a volunteer offers at a level (1 basic, 2 experienced,
// 3 professional).
type Skill struct {
	Service kernel.Service `json:"service"`
	Level   int            `json:"level"`
}

// Slot is a weekly time window, minutes from midnight, [From, To).
type Slot struct {
	Weekday time.Weekday `json:"weekday"`
	From    int          `json:"from_min"`
	To      int          `json:"to_min"`
}

// Volunteer is what matching looks at of a volunteer's profile.
type Volunteer struct {
	ID     string
	Skills []Skill
	// RegionPrefixes are the division code prefixes (2, 4, 6 or 9 digits)
	// the volunteer serves.
	RegionPrefixes []string
	Availability   []Slot
	// LoadLimit is the most active assignments the volunteer takes; 0 means
	// no limit. ActiveLoad is how many they have now.
	LoadLimit       int
	ActiveLoad      int
	BackgroundCheck BackgroundCheck
}

// ServiceNeed is what matching looks at of a need when matching volunteers.
type ServiceNeed struct {
	ID             string
	Category       kernel.Category
	RegionCode     string
	AgeBand        kernel.AgeBand
	HouseholdTypes []kernel.HouseholdType
	Services       []kernel.Service
	// MinLevel is the lowest skill level the need accepts (0 or 1: any).
	MinLevel int
	// Schedule is when the help is wanted; empty means any time.
	Schedule    []Slot
	Urgency     kernel.Urgency
	Deadline    *time.Time
	PublishedAt *time.Time
}

// Reasons a volunteer may not serve a need.
const (
	FailSkillMissing    = "skill_missing"
	FailLevelTooLow     = "level_too_low"
	FailRegionNotServed = "region_not_served"
	FailNoAvailability  = "no_availability_overlap"
	FailLoadFull        = "load_full"
	FailBackgroundCheck = "background_check_required"
)

// VulnerableHousehold reports whether the household has a minor, an elderly
// or a disabled member as far as the need shows.
func VulnerableHousehold(n ServiceNeed) bool {
	switch n.AgeBand {
	case kernel.AgeUnder14, kernel.Age14to17, kernel.Age60Plus:
		return true
	}
	for _, h := range n.HouseholdTypes {
		switch h {
		case kernel.HHElderlyAlone, kernel.HHSevereDisability, kernel.HHOrphan, kernel.HHUnsupportedChild:
			return true
		}
	}
	return false
}

// RequiresClearedCheck reports whether only volunteers with a cleared
// background check may serve the need: a home visit to minors, the elderly
// or the disabled. It is the rule claims and service pledges apply
// (marketplace.NeedsBackgroundCheck for any of the need's services), and
// also holds for the care category. A hard constraint, never traded against
// a score.
func RequiresClearedCheck(n ServiceNeed) bool {
	for _, s := range n.Services {
		if marketplace.NeedsBackgroundCheck(s, n.AgeBand, n.HouseholdTypes) {
			return true
		}
	}
	return n.Category == kernel.CatCare && VulnerableHousehold(n)
}

// VolunteerFails returns every reason the volunteer may not serve the need;
// none means eligible.
func VolunteerFails(n ServiceNeed, v *Volunteer) []kernel.Ineligibility {
	var out []kernel.Ineligibility
	has, levelOK := false, false
	for _, s := range v.Skills {
		if slices.Contains(n.Services, s.Service) {
			has = true
			if s.Level >= n.MinLevel {
				levelOK = true
			}
		}
	}
	switch {
	case !has:
		out = append(out, kernel.Ineligibility{Code: FailSkillMissing, Message: fmt.Sprintf("offers none of the services asked: %v", n.Services)})
	case !levelOK:
		out = append(out, kernel.Ineligibility{Code: FailLevelTooLow, Message: fmt.Sprintf("skill level below the level %d asked", n.MinLevel)})
	}
	if servesLevel(v.RegionPrefixes, n.RegionCode) == 0 {
		out = append(out, kernel.Ineligibility{Code: FailRegionNotServed, Message: "does not serve the need's region"})
	}
	if len(n.Schedule) > 0 && overlapMinutes(v.Availability, n.Schedule) == 0 {
		out = append(out, kernel.Ineligibility{Code: FailNoAvailability, Message: "no free time overlaps the need's schedule"})
	}
	if v.LoadLimit > 0 && v.ActiveLoad >= v.LoadLimit {
		out = append(out, kernel.Ineligibility{Code: FailLoadFull, Message: fmt.Sprintf("already at the load limit of %d", v.LoadLimit)})
	}
	if RequiresClearedCheck(n) && v.BackgroundCheck != CheckCleared {
		out = append(out, kernel.Ineligibility{Code: FailBackgroundCheck, Message: "home visits to minors, the elderly or the disabled need a cleared background check"})
	}
	return out
}

// volunteerAllows is VolunteerFails(n, v) == nil without building reasons.
func volunteerAllows(n *ServiceNeed, v *Volunteer, vulnerableVisit bool) bool {
	if vulnerableVisit && v.BackgroundCheck != CheckCleared {
		return false
	}
	if v.LoadLimit > 0 && v.ActiveLoad >= v.LoadLimit {
		return false
	}
	levelOK := false
	for _, s := range v.Skills {
		if s.Level >= n.MinLevel && slices.Contains(n.Services, s.Service) {
			levelOK = true
			break
		}
	}
	return levelOK && servesLevel(v.RegionPrefixes, n.RegionCode) > 0 && (len(n.Schedule) == 0 || overlapMinutes(v.Availability, n.Schedule) > 0)
}

// servesLevel is how closely the prefixes serve code: 4 for the code's
// county (6 digits or more), 3 city, 2 province, 0 not at all. A 9-digit
// town prefix counts as a county match.
func servesLevel(prefixes []string, code string) int {
	best := 0
	for _, p := range prefixes {
		if !strings.HasPrefix(code, p) {
			continue
		}
		l := 2
		switch {
		case len(p) >= 6:
			l = 4
		case len(p) >= 4:
			l = 3
		}
		best = max(best, l)
	}
	return best
}

// overlapMinutes is the weekly overlap of availability with a schedule; an
// empty schedule means any time, so it is the total availability.
func overlapMinutes(avail, schedule []Slot) int {
	total := 0
	if len(schedule) == 0 {
		for _, a := range avail {
			total += max(a.To-a.From, 0)
		}
		return total
	}
	for _, a := range avail {
		for _, s := range schedule {
			if a.Weekday == s.Weekday {
				total += max(min(a.To, s.To)-max(a.From, s.From), 0)
			}
		}
	}
	return total
}

// scheduleMinutes is the length of a schedule (a week when empty).
func scheduleMinutes(s []Slot) int {
	if len(s) == 0 {
		return 7 * 24 * 60
	}
	t := 0
	for _, x := range s {
		t += max(x.To-x.From, 0)
	}
	return t
}
