package web

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/golang-jwt/jwt/v5"
)

// SigningKey is one Ed25519 key of the token key ring. Keys are never
// deleted while tokens they signed may still be valid: a retired key only
// verifies, and only until RetiredAt plus the token lifetime.
type SigningKey struct {
	ID        string
	Private   ed25519.PrivateKey
	CreatedAt time.Time
	RetiredAt *time.Time
}

// Tokens issues and verifies the signed session tokens. The algorithm is
// pinned to EdDSA; keys come only from the key ring, never from the token.
type Tokens struct {
	Issuer   string
	Audience string
	TTL      time.Duration
	Now      func() time.Time

	active SigningKey
	verify map[string]ed25519.PublicKey
}

// Claims are what a token says: the user's public id in "sub" and, for the
// client's convenience, their roles. Authorization never trusts the roles
// claim: it reloads the user's memberships from the store.
type Claims struct {
	Roles []string `json:"roles,omitempty"`
	// SessionVersion is the user's session version when the token was
	// issued; a token whose version is behind the user's is refused.
	SessionVersion int64 `json:"sv,omitempty"`
	jwt.RegisteredClaims
}

// NewTokens builds a token service from the key ring. The newest key that is
// not retired signs; every key not retired for longer than ttl verifies.
func NewTokens(keys []SigningKey, issuer, audience string, ttl time.Duration, now func() time.Time) (*Tokens, error) {
	t := &Tokens{Issuer: issuer, Audience: audience, TTL: ttl, Now: now, verify: map[string]ed25519.PublicKey{}}
	sorted := append([]SigningKey(nil), keys...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].CreatedAt.Before(sorted[j].CreatedAt) })
	for _, k := range sorted {
		if len(k.Private) != ed25519.PrivateKeySize || k.ID == "" {
			return nil, fmt.Errorf("token key %q: not an Ed25519 private key with an id", k.ID)
		}
		if k.RetiredAt == nil {
			t.active = k
		}
		if k.RetiredAt == nil || now().Before(k.RetiredAt.Add(ttl)) {
			t.verify[k.ID] = k.Private.Public().(ed25519.PublicKey)
		}
	}
	if t.active.ID == "" {
		return nil, errors.New("token key ring has no active key")
	}
	return t, nil
}

// csrfKey derives the key of the forms' CSRF tokens from the active signing
// key, so that every instance sharing the key ring makes the same tokens
// and no other secret has to be configured.
func (t *Tokens) csrfKey() []byte {
	h := sha256.New()
	h.Write([]byte("jiujinan csrf v1\x00"))
	h.Write(t.active.Private.Seed())
	return h.Sum(nil)
}

// Issue signs a token for the user with the given public id and roles, at
// session version 0.
func (t *Tokens) Issue(userPublicID string, roles []string, jti string) (string, time.Time, error) {
	return t.issue(userPublicID, roles, jti, 0)
}

// IssueFor signs a token for p at p's current session version.
func (t *Tokens) IssueFor(p *kernel.Principal, jti string) (string, time.Time, error) {
	return t.issue(p.User.PublicID, p.RoleNames(), jti, p.User.SessionVersion)
}

func (t *Tokens) issue(userPublicID string, roles []string, jti string, sv int64) (string, time.Time, error) {
	now := t.Now().UTC().Truncate(time.Second)
	exp := now.Add(t.TTL)
	c := Claims{Roles: roles, SessionVersion: sv, RegisteredClaims: jwt.RegisteredClaims{
		Issuer: t.Issuer, Subject: userPublicID, Audience: jwt.ClaimStrings{t.Audience},
		ExpiresAt: jwt.NewNumericDate(exp), NotBefore: jwt.NewNumericDate(now), IssuedAt: jwt.NewNumericDate(now), ID: jti,
	}}
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
	tok.Header["kid"] = t.active.ID
	s, err := tok.SignedString(t.active.Private)
	return s, exp, err
}

// Verify checks a token's signature (EdDSA only, key by kid from the ring),
// expiry, not-before, issuer and audience, and returns its claims.
func (t *Tokens) Verify(raw string) (*Claims, error) {
	var c Claims
	_, err := jwt.ParseWithClaims(raw, &c, func(tok *jwt.Token) (any, error) {
		for _, h := range []string{"jku", "x5u", "jwk", "x5c"} {
			if _, ok := tok.Header[h]; ok {
				return nil, fmt.Errorf("token header %q is refused", h)
			}
		}
		kid, _ := tok.Header["kid"].(string)
		key, ok := t.verify[kid]
		if !ok {
			return nil, fmt.Errorf("unknown key id %q", kid)
		}
		return key, nil
	},
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithIssuer(t.Issuer),
		jwt.WithAudience(t.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(t.Now),
		jwt.WithLeeway(5*time.Second),
	)
	if err != nil {
		return nil, err
	}
	if c.Subject == "" {
		return nil, errors.New("token has no subject")
	}
	return &c, nil
}
