package screening

import (
	"time"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/matching/record"
)

// AnyCategory in ProgrammeCategories says that a programme pays for every
// category (temporary relief, 临时救助, meets any sudden hardship).
const AnyCategory = "*"

// Config is the configuration of the screening rules. The zero
// value is not useful: start from DefaultConfig (cmd reads an
// operator's changes over it from JIUJINAN_SCREENING_CONFIG).
type Config struct {
	// ProgrammeCategories maps a statutory programme to the need categories
	// its payments pay for ("*" = every category). A payment of a programme
	// reduces what charity may give only to needs of these categories.
	ProgrammeCategories map[kernel.Programme][]string
	// NamedProgrammeCategories maps the name of a programme that the
	// payment record holds under its own name (an import did not know it:
	// docs/payment-import.md) to the need categories its payments pay for,
	// as ProgrammeCategories does for a code. A name not mapped pays for no
	// category: it is on record, but screening does not count it.
	NamedProgrammeCategories map[string][]string
	// EligibleProgrammes maps a household type to the statutory programmes
	// such a household is entitled to; none on record is missed relief.
	EligibleProgrammes map[kernel.HouseholdType][]kernel.Programme
	// LookBackMonths is the missed-relief window: a payment of the programme
	// whose period reaches into the last LookBackMonths months counts.
	LookBackMonths int
}

// DefaultConfig returns the documented defaults (docs/screening.md):
//
//	dibao      → basic_living            tekun     → basic_living, care, funeral
//	temporary  → every category          medical   → medical
//	education  → education               housing   → housing
//	employment → employment              disaster  → disaster, housing
//	orphan     → basic_living            unsupported → basic_living
//	disability → basic_living            severe_care → care
//	price      → basic_living            aged        → basic_living
//	elderly_poor → basic_living, care
//
// households typed dibao are eligible for dibao, tekun for tekun; the
// look-back window is 3 months.
func DefaultConfig() Config {
	return Config{
		ProgrammeCategories: map[kernel.Programme][]string{
			kernel.ProgDibao:              {string(kernel.CatBasicLiving)},
			kernel.ProgTekun:              {string(kernel.CatBasicLiving), string(kernel.CatCare), string(kernel.CatFuneral)},
			kernel.ProgTemporary:          {AnyCategory},
			kernel.ProgMedical:            {string(kernel.CatMedical)},
			kernel.ProgEducation:          {string(kernel.CatEducation)},
			kernel.ProgHousing:            {string(kernel.CatHousing)},
			kernel.ProgEmployment:         {string(kernel.CatEmployment)},
			kernel.ProgDisaster:           {string(kernel.CatDisaster), string(kernel.CatHousing)},
			kernel.ProgOrphan:             {string(kernel.CatBasicLiving)},
			kernel.ProgUnsupportedChild:   {string(kernel.CatBasicLiving)},
			kernel.ProgDisabilityLiving:   {string(kernel.CatBasicLiving)},
			kernel.ProgDisabilityCare:     {string(kernel.CatCare)},
			kernel.ProgPriceSubsidy:       {string(kernel.CatBasicLiving)},
			kernel.ProgElderlyAllowance:   {string(kernel.CatBasicLiving)},
			kernel.ProgElderlyPoorSubsidy: {string(kernel.CatBasicLiving), string(kernel.CatCare)},
		},
		NamedProgrammeCategories: map[string][]string{},
		EligibleProgrammes: map[kernel.HouseholdType][]kernel.Programme{
			kernel.HHDibao: {kernel.ProgDibao},
			kernel.HHTekun: {kernel.ProgTekun},
		},
		LookBackMonths: 3,
	}
}

// Covers reports whether a payment of programme p pays for category c.
func (c Config) Covers(p kernel.Programme, cat kernel.Category) bool {
	cats := c.ProgrammeCategories[p]
	if p.Named() {
		for name, named := range c.NamedProgrammeCategories {
			if kernel.NamedProgramme(kernel.NormalizeProgrammeName(name)) == p {
				cats = named
				break
			}
		}
	}
	for _, x := range cats {
		if x == AnyCategory || x == string(cat) {
			return true
		}
	}
	return false
}

// LookBackStart returns the first moment of the missed-relief window ending
// at now: the same calendar day (UTC+8) LookBackMonths months earlier.
func (c Config) LookBackStart(now time.Time) time.Time {
	d := kernel.ChinaDay(now)
	return d.AddDate(0, -c.LookBackMonths, 0)
}

// Validate checks every code against DOMAIN.md's lists.
func (c Config) Validate() error {
	v := &kernel.ValidationError{}
	for p, cats := range c.ProgrammeCategories {
		if !p.Valid() {
			v.Add("programme_categories", "unknown programme %q", p)
		}
		for _, x := range cats {
			if x != AnyCategory && !kernel.Category(x).Valid() {
				v.Add("programme_categories."+string(p), "unknown category %q", x)
			}
		}
	}
	for name, cats := range c.NamedProgrammeCategories {
		p, _, reason := record.ParseProgramme(name)
		switch {
		case reason != "":
			v.Add("named_programme_categories", "programme name %q: %s", name, reason)
		case !p.Named():
			v.Add("named_programme_categories", "%q is the programme %q: map its code in programme_categories", name, p)
		}
		for _, x := range cats {
			if x != AnyCategory && !kernel.Category(x).Valid() {
				v.Add("named_programme_categories."+name, "unknown category %q", x)
			}
		}
	}
	for h, progs := range c.EligibleProgrammes {
		if !h.Valid() {
			v.Add("eligible_programmes", "unknown household type %q", h)
		}
		for _, p := range progs {
			if !p.Valid() {
				v.Add("eligible_programmes."+string(h), "unknown programme %q", p)
			}
		}
	}
	if c.LookBackMonths < 1 || c.LookBackMonths > 120 {
		v.Add("look_back_months", "must be between 1 and 120")
	}
	return v.Err()
}
