package marketplace

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jiujinan/jiujinan/kernel"
)

// BackgroundStatus is where a volunteer's background check stands. Only
// federation staff and administrators set it.
type BackgroundStatus string

// Background check states.
const (
	BackgroundNone    BackgroundStatus = "none"
	BackgroundPending BackgroundStatus = "pending"
	BackgroundCleared BackgroundStatus = "cleared"
	BackgroundExpired BackgroundStatus = "expired"
)

// BackgroundStatuses lists every state.
var BackgroundStatuses = []BackgroundStatus{BackgroundNone, BackgroundPending, BackgroundCleared, BackgroundExpired}

// Valid reports whether b is a known state.
func (b BackgroundStatus) Valid() bool { return slices.Contains(BackgroundStatuses, b) }

// SkillLevel is how well a volunteer masters a service: 1 basic, 2 skilled,
// 3 professional.
type SkillLevel int

// Skill levels.
const (
	LevelBasic        SkillLevel = 1
	LevelSkilled      SkillLevel = 2
	LevelProfessional SkillLevel = 3
)

var skillLevelNames = map[SkillLevel]string{LevelBasic: "basic", LevelSkilled: "skilled", LevelProfessional: "professional"}

// Name returns basic, skilled or professional ("" when invalid).
func (l SkillLevel) Name() string { return skillLevelNames[l] }

// Valid reports whether l is 1, 2 or 3.
func (l SkillLevel) Valid() bool { return l >= LevelBasic && l <= LevelProfessional }

// ParseSkillLevel accepts 1-3 or basic|skilled|professional.
func ParseSkillLevel(s string) (SkillLevel, bool) {
	s = strings.TrimSpace(s)
	for l, n := range skillLevelNames {
		if s == n || s == strconv.Itoa(int(l)) {
			return l, true
		}
	}
	return 0, false
}

// Certificate is a qualification backing a skill. Number is sealed at rest
// (NumberCT/NumberKID); it is shown only to the volunteer and to staff.
type Certificate struct {
	Name       string
	Number     string
	Issuer     string
	ValidUntil *time.Time // a date (UTC midnight), nil when it does not expire
	NumberCT   []byte
	NumberKID  string
}

// Skill is a service a volunteer offers, at a level, with an optional certificate.
type Skill struct {
	Service     kernel.Service
	Level       SkillLevel
	Certificate *Certificate
}

// Slot is a weekly availability window: Weekday 1 (Monday) to 7 (Sunday),
// From and To in minutes after midnight, From < To ≤ 1440.
type Slot struct {
	Weekday int
	From    int
	To      int
}

// FormatClock writes minutes after midnight as HH:MM.
func FormatClock(min int) string { return fmt.Sprintf("%02d:%02d", min/60, min%60) }

var clockRe = regexp.MustCompile(`^([01]\d|2[0-4]):([0-5]\d)$`)

// ParseClock reads HH:MM (00:00 to 24:00) as minutes after midnight.
func ParseClock(s string) (int, bool) {
	m := clockRe.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	h, _ := strconv.Atoi(m[1])
	mm, _ := strconv.Atoi(m[2])
	if h == 24 && mm != 0 {
		return 0, false
	}
	return h*60 + mm, true
}

// BackgroundCheck is a volunteer's check as staff last recorded it. The
// note is sealed (NoteCT/NoteKID) and shown only to staff.
type BackgroundCheck struct {
	Status    BackgroundStatus
	CheckedAt *time.Time
	SetBy     string // public id of the staff member
	Note      string
	NoteCT    []byte
	NoteKID   string
}

// Volunteer is a volunteer's profile. CurrentLoad is derived: the claims that
// are pending or approved with their window still running.
type Volunteer struct {
	ID           int64
	PublicID     string
	UserID       int64
	UserPublicID string // filled when read
	DisplayName  string // filled when read
	Skills       []Skill
	Regions      []string // division codes (6 or 9 digits)
	Availability []Slot
	LoadLimit    int
	CurrentLoad  int
	Background   BackgroundCheck
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// HasSkill returns the volunteer's skill for s, if any.
func (v *Volunteer) HasSkill(s kernel.Service) (Skill, bool) {
	for _, k := range v.Skills {
		if k.Service == s {
			return k, true
		}
	}
	return Skill{}, false
}

// Serves reports whether regionCode lies inside one of the volunteer's
// regions (by the division prefix).
func (v *Volunteer) Serves(d *kernel.Divisions, regionCode string) bool {
	for _, r := range v.Regions {
		if p := d.Prefix(r); p != "" && strings.HasPrefix(regionCode, p) {
			return true
		}
	}
	return false
}

// ProfileInput is what a volunteer writes about themselves.
type ProfileInput struct {
	Skills       []SkillInput
	Regions      []string
	Availability []SlotInput
	// LoadLimit is the most claims at once; 0 takes DefaultLoadLimit.
	LoadLimit int
}

// SkillInput is one skill as the API sends it.
type SkillInput struct {
	Service     string
	Level       string // 1-3 or basic|skilled|professional
	Certificate *CertificateInput
}

// CertificateInput is a certificate as the API sends it; ValidUntil is
// YYYY-MM-DD or empty.
type CertificateInput struct {
	Name, Number, Issuer, ValidUntil string
}

// SlotInput is an availability window as the API sends it.
type SlotInput struct {
	Weekday  int
	From, To string // HH:MM
}

// Profile limits.
const (
	DefaultLoadLimit = 3
	MaxLoadLimit     = 20
	MaxRegions       = 50
	MaxSlots         = 50
)

func cleanText(v *kernel.ValidationError, field, s string, max int, required bool) string {
	s = strings.TrimSpace(s)
	switch n := utf8.RuneCountInString(s); {
	case n == 0 && required:
		v.Add(field, "is required")
	case n > max:
		v.Add(field, "must be at most %d characters", max)
	case !utf8.ValidString(s) || strings.ContainsAny(s, "\x00<>"):
		v.Add(field, "must not contain NUL or angle brackets")
	}
	return s
}

// validateProfile checks a profile whole and returns it in domain form
// (certificate numbers not yet sealed).
func validateProfile(d *kernel.Divisions, in ProfileInput, now time.Time) (*Volunteer, error) {
	v := &kernel.ValidationError{}
	out := &Volunteer{LoadLimit: in.LoadLimit}
	if out.LoadLimit == 0 {
		out.LoadLimit = DefaultLoadLimit
	}
	if out.LoadLimit < 1 || out.LoadLimit > MaxLoadLimit {
		v.Add("load_limit", "must be between 1 and %d claims at once", MaxLoadLimit)
	}
	if len(in.Skills) > len(kernel.Services) {
		v.Add("skills", "at most one entry per service (%d)", len(kernel.Services))
	}
	seen := map[kernel.Service]bool{}
	for i, s := range in.Skills {
		f := fmt.Sprintf("skills[%d]", i)
		svc := kernel.Service(strings.TrimSpace(s.Service))
		if !svc.Valid() {
			v.Add(f+".service", "unknown service %q", s.Service)
		} else if seen[svc] {
			v.Add(f+".service", "%s is listed twice", svc)
		}
		seen[svc] = true
		lvl, ok := ParseSkillLevel(s.Level)
		if !ok {
			v.Add(f+".level", "must be 1-3 (basic, skilled or professional)")
		}
		sk := Skill{Service: svc, Level: lvl}
		if c := s.Certificate; c != nil {
			cert := &Certificate{
				Name:   cleanText(v, f+".certificate.name", c.Name, 100, true),
				Number: cleanText(v, f+".certificate.number", c.Number, 64, false),
				Issuer: cleanText(v, f+".certificate.issuer", c.Issuer, 100, false),
			}
			if vu := strings.TrimSpace(c.ValidUntil); vu != "" {
				t, err := time.Parse(time.DateOnly, vu)
				switch {
				case err != nil:
					v.Add(f+".certificate.valid_until", "must be a date YYYY-MM-DD")
				case t.Year() > now.Year()+100:
					v.Add(f+".certificate.valid_until", "is too far in the future")
				default:
					cert.ValidUntil = &t
				}
			}
			sk.Certificate = cert
		}
		out.Skills = append(out.Skills, sk)
	}
	if len(in.Regions) == 0 {
		v.Add("regions", "name at least one region you serve")
	}
	if len(in.Regions) > MaxRegions {
		v.Add("regions", "at most %d regions", MaxRegions)
	}
	seenR := map[string]bool{}
	for i, r := range in.Regions {
		r = strings.TrimSpace(r)
		if !kernel.RegionCodeFormatOK(r) || d == nil || !d.Known(r) {
			v.Add(fmt.Sprintf("regions[%d]", i), "no such administrative division: %q", r)
			continue
		}
		if !seenR[r] {
			seenR[r] = true
			out.Regions = append(out.Regions, r)
		}
	}
	if len(in.Availability) > MaxSlots {
		v.Add("availability", "at most %d windows", MaxSlots)
	}
	for i, s := range in.Availability {
		f := fmt.Sprintf("availability[%d]", i)
		from, ok1 := ParseClock(s.From)
		to, ok2 := ParseClock(s.To)
		switch {
		case s.Weekday < 1 || s.Weekday > 7:
			v.Add(f+".weekday", "must be 1 (Monday) to 7 (Sunday)")
		case !ok1:
			v.Add(f+".from", "must be a time HH:MM")
		case !ok2:
			v.Add(f+".to", "must be a time HH:MM (24:00 at most)")
		case from >= to:
			v.Add(f+".to", "must be after from")
		default:
			out.Availability = append(out.Availability, Slot{Weekday: s.Weekday, From: from, To: to})
		}
	}
	sort.SliceStable(out.Availability, func(i, j int) bool {
		a, b := out.Availability[i], out.Availability[j]
		return a.Weekday < b.Weekday || a.Weekday == b.Weekday && a.From < b.From
	})
	for i := 1; i < len(out.Availability); i++ {
		a, b := out.Availability[i-1], out.Availability[i]
		if a.Weekday == b.Weekday && b.From < a.To {
			v.Add("availability", "windows overlap on weekday %d: %s-%s and %s-%s", a.Weekday,
				FormatClock(a.From), FormatClock(a.To), FormatClock(b.From), FormatClock(b.To))
			break
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// HomeVisitServices are the services given in the household's home or alone
// with the person (escorting them): the ones the background check rule covers.
var HomeVisitServices = []kernel.Service{kernel.SvcDailyHelp, kernel.SvcEmotional, kernel.SvcHomeCare, kernel.SvcHospitalEscort, kernel.SvcTutoring, kernel.SvcHomeRepair}

// vulnerableHouseholds are the household types that mean a minor, an elderly
// or a disabled person lives there.
var vulnerableHouseholds = []kernel.HouseholdType{kernel.HHOrphan, kernel.HHUnsupportedChild, kernel.HHSevereDisability, kernel.HHElderlyAlone}

// NeedsBackgroundCheck is the hard rule shared by claims, service pledges
// and volunteer matching: a volunteer may give a home-visit service
// (HomeVisitServices) to a household with a minor (age band under_14 or
// 14_17, orphan, unsupported child), an elderly person (60_plus, elderly
// living alone) or a severely disabled person only with a cleared
// background check. It reports whether the check is required.
func NeedsBackgroundCheck(service kernel.Service, ageBand kernel.AgeBand, householdTypes []kernel.HouseholdType) bool {
	if !slices.Contains(HomeVisitServices, service) {
		return false
	}
	switch ageBand {
	case kernel.AgeUnder14, kernel.Age14to17, kernel.Age60Plus:
		return true
	}
	for _, h := range householdTypes {
		if slices.Contains(vulnerableHouseholds, h) {
			return true
		}
	}
	return false
}

// MayServe reports whether a volunteer with background status bg may give
// service to a need with ageBand and householdTypes under the rule of
// NeedsBackgroundCheck.
func MayServe(bg BackgroundStatus, service kernel.Service, ageBand kernel.AgeBand, householdTypes []kernel.HouseholdType) bool {
	return bg == BackgroundCleared || !NeedsBackgroundCheck(service, ageBand, householdTypes)
}
