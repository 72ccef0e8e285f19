package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/matching/screening"
)

// loadScreeningConfig returns the defaults, changed by the file at path
// when path is not empty. The file is TOML (.toml) or JSON (any other
// name); a key it sets replaces that key of the defaults (a programme or
// household type given with an empty list maps to nothing), keys it leaves
// out keep their defaults. Unknown keys and codes are errors.
func loadScreeningConfig(path string) (screening.Config, error) {
	cfg := screening.DefaultConfig()
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
		NamedProgrammes     map[string][]string                         `json:"named_programme_categories" toml:"named_programme_categories"`
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
	for name, cats := range f.NamedProgrammes {
		cfg.NamedProgrammeCategories[name] = slices.Clone(cats)
	}
	if f.LookBackMonths != nil {
		cfg.LookBackMonths = *f.LookBackMonths
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("screening config %s: %w", path, err)
	}
	return cfg, nil
}
