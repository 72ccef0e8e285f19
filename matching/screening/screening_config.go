package screening

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/BurntSushi/toml"
)

// AnyCategory in ProgrammeCategories says that a programme pays for every
// category (temporary relief, 临时救助, meets any sudden hardship).
const AnyCategory = "*"

// ScreeningConfig is the configuration of the screening rules. The zero
// value is not useful: start from DefaultScreeningConfig (LoadScreeningConfig
// does).
type ScreeningConfig struct {
	// ProgrammeCategories maps a statutory programme to the need categories
	// its payments pay for ("*" = every category). A payment of a programme
	// reduces what charity may give only to needs of these categories.
	ProgrammeCategories map[kernel.Programme][]string `json:"programme_categories" toml:"programme_categories"`
	// EligibleProgrammes maps a household type to the statutory programmes
	// such a household is entitled to; none on record is missed relief.
	EligibleProgrammes map[kernel.HouseholdType][]kernel.Programme `json:"eligible_programmes" toml:"eligible_programmes"`
	// LookBackMonths is the missed-relief window: a payment of the programme
	// whose period reaches into the last LookBackMonths months counts.
	LookBackMonths int `json:"look_back_months" toml:"look_back_months"`
}

// DefaultScreeningConfig returns the documented defaults (docs/screening.md):
//
//	dibao      → basic_living            tekun     → basic_living, care, funeral
//	temporary  → every category          medical   → medical
//	education  → education               housing   → housing
//	employment → employment              disaster  → disaster, housing
//
// households typed dibao are eligible for dibao, tekun for tekun; the
// look-back window is 3 months.
func DefaultScreeningConfig() ScreeningConfig {
	return ScreeningConfig{
		ProgrammeCategories: map[kernel.Programme][]string{
			kernel.ProgDibao:      {string(kernel.CatBasicLiving)},
			kernel.ProgTekun:      {string(kernel.CatBasicLiving), string(kernel.CatCare), string(kernel.CatFuneral)},
			kernel.ProgTemporary:  {AnyCategory},
			kernel.ProgMedical:    {string(kernel.CatMedical)},
			kernel.ProgEducation:  {string(kernel.CatEducation)},
			kernel.ProgHousing:    {string(kernel.CatHousing)},
			kernel.ProgEmployment: {string(kernel.CatEmployment)},
			kernel.ProgDisaster:   {string(kernel.CatDisaster), string(kernel.CatHousing)},
		},
		EligibleProgrammes: map[kernel.HouseholdType][]kernel.Programme{
			kernel.HHDibao: {kernel.ProgDibao},
			kernel.HHTekun: {kernel.ProgTekun},
		},
		LookBackMonths: 3,
	}
}

// Covers reports whether a payment of programme p pays for category c.
func (c ScreeningConfig) Covers(p kernel.Programme, cat kernel.Category) bool {
	for _, x := range c.ProgrammeCategories[p] {
		if x == AnyCategory || x == string(cat) {
			return true
		}
	}
	return false
}

// LookBackStart returns the first moment of the missed-relief window ending
// at now: the same calendar day (UTC+8) LookBackMonths months earlier.
func (c ScreeningConfig) LookBackStart(now time.Time) time.Time {
	d := kernel.ChinaDay(now)
	return d.AddDate(0, -c.LookBackMonths, 0)
}

// Validate checks every code against DOMAIN.md's lists.
func (c ScreeningConfig) Validate() error {
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

// LoadScreeningConfig returns the defaults, changed by the file at path
// when path is not empty. The file is TOML (.toml) or JSON (any other
// name); a key it sets replaces that key of the defaults (a programme or
// household type given with an empty list maps to nothing), keys it leaves
// out keep their defaults. Unknown keys and codes are errors.
func LoadScreeningConfig(path string) (ScreeningConfig, error) {
	cfg := DefaultScreeningConfig()
	if path == "" {
		return cfg, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return cfg, fmt.Errorf("screening config: %w", err)
	}
	var f struct {
		ProgrammeCategories map[kernel.Programme][]string               `json:"programme_categories" toml:"programme_categories"`
		EligibleProgrammes  map[kernel.HouseholdType][]kernel.Programme `json:"eligible_programmes" toml:"eligible_programmes"`
		LookBackMonths      *int                                        `json:"look_back_months" toml:"look_back_months"`
	}
	if strings.EqualFold(filepath.Ext(path), ".toml") {
		md, err := toml.Decode(string(b), &f)
		if err != nil {
			return cfg, fmt.Errorf("screening config %s: %w", path, err)
		}
		if und := md.Undecoded(); len(und) > 0 {
			return cfg, fmt.Errorf("screening config %s: unknown key %s", path, und[0])
		}
	} else {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			return cfg, fmt.Errorf("screening config %s: %w", path, err)
		}
	}
	for p, cats := range f.ProgrammeCategories {
		cfg.ProgrammeCategories[p] = slices.Clone(cats)
	}
	for h, progs := range f.EligibleProgrammes {
		cfg.EligibleProgrammes[h] = slices.Clone(progs)
	}
	if f.LookBackMonths != nil {
		cfg.LookBackMonths = *f.LookBackMonths
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("screening config %s: %w", path, err)
	}
	return cfg, nil
}
