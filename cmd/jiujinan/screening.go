package main

import (
	"context"
	"fmt"
	"log/slog"

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

// householdBackfillBatch is how many needs the household backfill reads
// at a time.
const householdBackfillBatch = 200

// backfillHouseholds records the household of the needs posted before
// households were (marketplace.NeedService.BackfillHouseholds), so that
// screening counts a payment to the head for them too. Serve runs it once
// at startup, in the background: until it is done, screening sees the
// beneficiary of such a need alone, as it did before. It logs counts and
// need ids only, never an identity.
func (m *Main) backfillHouseholds(ctx context.Context) error {
	res, err := m.Needs.BackfillHouseholds(ctx, householdBackfillBatch)
	if res.Written > 0 {
		m.Log.Info("recorded the households of earlier needs", slog.Int("needs", res.Written))
	}
	if n := len(res.Unopened); n > 0 {
		m.Log.Warn("could not open the identity of needs to record their households; screening sees their beneficiary alone",
			slog.Int("needs", n), slog.Any("need_ids", res.Unopened[:min(n, 20)]))
	}
	if err != nil {
		return fmt.Errorf("household backfill: %w", err)
	}
	return nil
}
