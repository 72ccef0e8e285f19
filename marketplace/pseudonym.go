package marketplace

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"

	"github.com/jiujinan/jiujinan/kernel"
)

// Pseudonymizer turns an ID number into the keyed pseudonym that screening
// compares: HMAC-SHA256 of the normalized number, hex. The key must never
// change, or pseudonyms made before and after stop matching.
type Pseudonymizer struct {
	key []byte
}

// NewPseudonymizer returns a pseudonymizer with key (at least 32 bytes).
func NewPseudonymizer(key []byte) (*Pseudonymizer, error) {
	if len(key) < 32 {
		return nil, fmt.Errorf("pseudonym key must be at least 32 bytes")
	}
	return &Pseudonymizer{key: append([]byte(nil), key...)}, nil
}

// Of returns the pseudonym of an ID number, normalized first so that a
// lowercase x or full-width digits give the same pseudonym.
func (p *Pseudonymizer) Of(idNumber string) string {
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte(kernel.NormalizeIDNumber(idNumber)))
	return hex.EncodeToString(m.Sum(nil))
}

// AppendOf is Of for hot loops: it appends the 64 hex characters to dst and
// reuses nothing shared, so it is safe for concurrent use.
func (p *Pseudonymizer) AppendOf(dst []byte, normalizedID []byte) []byte {
	m := hmac.New(sha256.New, p.key)
	m.Write(normalizedID)
	var sum [sha256.Size]byte
	return hex.AppendEncode(dst, m.Sum(sum[:0]))
}

// PseudonymHasher computes pseudonyms with one HMAC state reused from
// row to row (bulk imports); it is not safe for concurrent use: one per
// goroutine.
type PseudonymHasher struct {
	m hash.Hash
}

// NewHasher returns a PseudonymHasher with the pseudonymizer's key.
func (p *Pseudonymizer) NewHasher() *PseudonymHasher {
	return &PseudonymHasher{m: hmac.New(sha256.New, p.key)}
}

// AppendSum appends the 32 bytes of the pseudonym of a normalized ID number
// to dst: the pseudonym is their hex (AppendOf).
func (h *PseudonymHasher) AppendSum(dst []byte, normalizedID string) []byte {
	h.m.Reset()
	_, _ = io.WriteString(h.m, normalizedID)
	return h.m.Sum(dst)
}
