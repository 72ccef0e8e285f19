package main

import (
	"fmt"

	"github.com/jiujinan/jiujinan/matching/screening"

	"github.com/jiujinan/jiujinan/marketplace"
	sstore "github.com/jiujinan/jiujinan/matching/screening/gormstore"
)

// screeningCipher seals the free text of screening (override reasons,
// referral notes) with the data key ring: every key opens, the newest seals.
func screeningCipher(sec *Secrets) (*marketplace.Cipher, error) {
	keys := make([]marketplace.DataKey, 0, len(sec.DataKeys))
	for _, k := range sec.DataKeys {
		keys = append(keys, marketplace.DataKey{ID: k.ID, Key: k.Key})
	}
	return marketplace.NewCipher(keys)
}

// openScreening builds the screening service: its configuration from
// JIUJINAN_SCREENING_CONFIG (defaults when unset), the payment record as its
// source. The need lifecycle and funds take it as their Screener.
func (m *Main) openScreening() error {
	cfg, err := loadScreeningConfig(m.Config.ScreeningConfig)
	if err != nil {
		return fmt.Errorf("JIUJINAN_SCREENING_CONFIG: %w", err)
	}
	c, err := screeningCipher(m.Secrets)
	if err != nil {
		return err
	}
	scr := sstore.NewScreenings(m.DB)
	m.Screening = screening.NewService(scr, scr, cfg, c, m.Divisions, m.Now, newID)
	return nil
}
