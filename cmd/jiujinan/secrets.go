package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/web"
)

// Secrets are the service's keys, kept in one JSON file with mode 0600. The
// file is created with fresh keys only by "keys init" or by serve on an
// empty database: keys made for a database that holds data sealed with
// other keys would read none of it and match none of its pseudonyms.
// Losing the file makes every encrypted identity unreadable and every
// pseudonym unmatchable: back it up apart from the database.
type Secrets struct {
	// TokenKeys sign login tokens (Ed25519); the newest unretired one signs.
	TokenKeys []secretKey `json:"token_keys"`
	// DataKeys encrypt identities and private text (AES-256-GCM); the newest signs new data.
	DataKeys []secretKey `json:"data_keys"`
	// PseudonymKey keys the HMAC-SHA256 of ID numbers. It must never change:
	// screening compares pseudonyms made months apart.
	PseudonymKey []byte `json:"pseudonym_key"`
	// WebhookSecret authenticates payment notifications (HMAC over the body).
	WebhookSecret []byte `json:"webhook_secret"`
}

type secretKey struct {
	ID        string     `json:"id"`
	Key       []byte     `json:"key"`
	CreatedAt time.Time  `json:"created_at"`
	RetiredAt *time.Time `json:"retired_at,omitempty"`
}

func random(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return b
}

func newKeyID(prefix string, now time.Time) string {
	return fmt.Sprintf("%s%s-%x", prefix, now.UTC().Format("20060102"), random(3))
}

func newSecrets(now time.Time) *Secrets {
	return &Secrets{
		TokenKeys:     []secretKey{{ID: newKeyID("t", now), Key: random(ed25519.SeedSize), CreatedAt: now}},
		DataKeys:      []secretKey{{ID: newKeyID("d", now), Key: random(32), CreatedAt: now}},
		PseudonymKey:  random(32),
		WebhookSecret: random(32),
	}
}

// errNoSecrets is loadSecrets' answer when the key file does not exist.
var errNoSecrets = errors.New("does not exist")

// loadSecrets reads the key file. It never creates one: a missing file is
// errNoSecrets, wrapped with the path.
func loadSecrets(path string) (*Secrets, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("secrets file %s %w", path, errNoSecrets)
	}
	if err != nil {
		return nil, fmt.Errorf("secrets file %s: %v", path, pathErr(err))
	}
	var s Secrets
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("secrets file %s: not valid JSON: %v", path, err)
	}
	if len(s.TokenKeys) == 0 || len(s.DataKeys) == 0 || len(s.PseudonymKey) < 32 || len(s.WebhookSecret) < 32 {
		return nil, fmt.Errorf("secrets file %s: incomplete (token_keys, data_keys, pseudonym_key and webhook_secret are required)", path)
	}
	for _, k := range s.TokenKeys {
		if len(k.Key) != ed25519.SeedSize {
			return nil, fmt.Errorf("secrets file %s: token key %s is not a 32-byte Ed25519 seed", path, k.ID)
		}
	}
	for _, k := range s.DataKeys {
		if len(k.Key) != 32 {
			return nil, fmt.Errorf("secrets file %s: data key %s is not 32 bytes", path, k.ID)
		}
	}
	return &s, nil
}

// createSecrets writes a key file with fresh keys; it fails when the file
// exists already, so that it never replaces keys that data was sealed with.
func createSecrets(path string, now time.Time) (*Secrets, error) {
	s := newSecrets(now)
	if err := writeSecrets(path, s, false); err != nil {
		return nil, err
	}
	return s, nil
}

// saveSecrets writes the key file atomically with mode 0600.
func saveSecrets(path string, s *Secrets) error { return writeSecrets(path, s, true) }

// writeSecrets writes the key file atomically with mode 0600, over an
// existing one only when replace is set.
func writeSecrets(path string, s *Secrets, replace bool) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("secrets file: %v", pathErr(err))
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".secrets-*")
	if err != nil {
		return fmt.Errorf("secrets file: %v", pathErr(err))
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if replace {
		return os.Rename(tmp.Name(), path)
	}
	// A hard link, unlike a rename, fails when path exists.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("secrets file %s exists already: it is kept", path)
		}
		return fmt.Errorf("secrets file: %v", pathErr(err))
	}
	return nil
}

// holdsData reports whether the database holds anything made with keys:
// accounts (and through them needs, people and money), or statutory
// payments and their imports (pseudonyms). A database without the schema
// holds nothing.
func holdsData(ctx context.Context, db *sqldb.DB) (bool, error) {
	for _, table := range []string{"users", "beneficiaries", "statutory_payments", "payment_import_batches"} {
		if !db.Gorm.Migrator().HasTable(table) {
			continue
		}
		var n int64
		if err := db.Gorm.WithContext(ctx).Raw("SELECT COUNT(*) FROM (SELECT 1 FROM " + table + " LIMIT 1) x").Scan(&n).Error; err != nil {
			return false, fmt.Errorf("%s: %w", table, err)
		}
		if n > 0 {
			return true, nil
		}
	}
	return false, nil
}

// keysOpenData checks that the keys are the ones the data was made with:
// the newest beneficiary's identity opens with the data keys, and its ID
// number gives its stored pseudonym back. A database without beneficiaries
// passes.
func (m *Main) keysOpenData(ctx context.Context) error {
	var rows []struct {
		PublicID    string `gorm:"column:public_id"`
		Pseudonym   string `gorm:"column:pseudonym"`
		IdentityCT  []byte `gorm:"column:identity_ct"`
		IdentityKID string `gorm:"column:identity_kid"`
	}
	if err := m.DB.Gorm.WithContext(ctx).Raw("SELECT public_id, pseudonym, identity_ct, identity_kid FROM beneficiaries ORDER BY id DESC LIMIT 1").
		Scan(&rows).Error; err != nil {
		return err
	}
	if len(rows) == 0 {
		return nil
	}
	r := rows[0]
	b, err := m.Needs.Cipher.Open(r.IdentityCT, r.IdentityKID, []byte(r.PublicID))
	if err != nil {
		return fmt.Errorf("the data keys of %s cannot open beneficiary %s: %w", m.Config.SecretsFile, r.PublicID, err)
	}
	var id marketplace.Identity
	if err := json.Unmarshal(b, &id); err != nil {
		return fmt.Errorf("beneficiary %s: identity: %w", r.PublicID, err)
	}
	if m.Needs.Pseudonymizer.Of(id.IDNumber) != r.Pseudonym {
		return fmt.Errorf("the pseudonym key of %s is not the one beneficiary %s was recorded with", m.Config.SecretsFile, r.PublicID)
	}
	return nil
}

// signingKeys converts the token keys for the web package.
func (s *Secrets) signingKeys() []web.SigningKey {
	out := make([]web.SigningKey, len(s.TokenKeys))
	for i, k := range s.TokenKeys {
		out[i] = web.SigningKey{ID: k.ID, Private: ed25519.NewKeyFromSeed(k.Key), CreatedAt: k.CreatedAt, RetiredAt: k.RetiredAt}
	}
	return out
}

// rotateTokenKey adds a new signing key and retires the current one; tokens
// it signed keep verifying until they expire.
func (s *Secrets) rotateTokenKey(now time.Time) string {
	for i := range s.TokenKeys {
		if s.TokenKeys[i].RetiredAt == nil {
			t := now
			s.TokenKeys[i].RetiredAt = &t
		}
	}
	k := secretKey{ID: newKeyID("t", now), Key: random(ed25519.SeedSize), CreatedAt: now}
	s.TokenKeys = append(s.TokenKeys, k)
	return k.ID
}

// rotateDataKey adds a new encryption key for new data; older keys stay to
// decrypt what they encrypted.
func (s *Secrets) rotateDataKey(now time.Time) string {
	for i := range s.DataKeys {
		if s.DataKeys[i].RetiredAt == nil {
			t := now
			s.DataKeys[i].RetiredAt = &t
		}
	}
	k := secretKey{ID: newKeyID("d", now), Key: random(32), CreatedAt: now}
	s.DataKeys = append(s.DataKeys, k)
	return k.ID
}
