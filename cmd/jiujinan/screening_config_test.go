package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
)

func TestLoadScreeningConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	def, err := loadScreeningConfig("")
	if err != nil || def.LookBackMonths != 3 || !def.Covers(kernel.ProgTemporary, kernel.CatLegal) {
		t.Fatalf("defaults: %+v %v", def, err)
	}
	cfg, err := loadScreeningConfig(write("s.toml", "look_back_months = 6\n[programme_categories]\nmedical = [\"medical\", \"care\"]\n[eligible_programmes]\norphan = [\"temporary\"]\ntekun = []\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.LookBackMonths != 6 || !cfg.Covers(kernel.ProgMedical, kernel.CatCare) || !cfg.Covers(kernel.ProgDibao, kernel.CatBasicLiving) {
		t.Errorf("toml: %+v", cfg)
	}
	if len(cfg.EligibleProgrammes[kernel.HHTekun]) != 0 || cfg.EligibleProgrammes[kernel.HHOrphan][0] != kernel.ProgTemporary {
		t.Errorf("toml eligible: %+v", cfg.EligibleProgrammes)
	}
	cfg, err = loadScreeningConfig(write("s.json", `{"programme_categories": {"housing": ["housing", "heating"]}}`))
	if err != nil || !cfg.Covers(kernel.ProgHousing, kernel.CatHeating) || cfg.LookBackMonths != 3 {
		t.Errorf("json: %+v %v", cfg, err)
	}
	for name, body := range map[string]string{
		"bad-programme.json": `{"programme_categories": {"lottery": ["medical"]}}`,
		"bad-category.json":  `{"programme_categories": {"medical": ["cosmetics"]}}`,
		"bad-household.toml": "[eligible_programmes]\nrich = [\"dibao\"]\n",
		"bad-window.json":    `{"look_back_months": 0}`,
		"unknown-key.toml":   "lookback = 3\n",
		"unknown-key.json":   `{"lookback": 3}`,
	} {
		if _, err := loadScreeningConfig(write(name, body)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := loadScreeningConfig(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("a missing file was accepted")
	}
}
