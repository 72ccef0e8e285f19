package marketplace

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// DataKey is one AES-256 key of the data key ring.
type DataKey struct {
	ID  string
	Key []byte // 32 bytes
}

// Cipher seals private data (identities, stories) with AES-256-GCM. The key
// id is stored beside each ciphertext, so that rotated keys still open old
// data. Associated data binds a ciphertext to its row and column, so that it
// cannot be moved to another record.
type Cipher struct {
	active string
	aeads  map[string]cipher.AEAD
}

// NewCipher builds a cipher over the ring; the last key seals.
func NewCipher(keys []DataKey) (*Cipher, error) {
	if len(keys) == 0 {
		return nil, errors.New("cipher: no data key")
	}
	c := &Cipher{aeads: map[string]cipher.AEAD{}}
	for _, k := range keys {
		if len(k.Key) != 32 || k.ID == "" {
			return nil, fmt.Errorf("cipher: key %q must be 32 bytes with an id", k.ID)
		}
		block, err := aes.NewCipher(k.Key)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		c.aeads[k.ID] = aead
		c.active = k.ID
	}
	return c, nil
}

// Seal encrypts plaintext bound to ad and returns the ciphertext (nonce
// first) and the id of the key used.
func (c *Cipher) Seal(plaintext, ad []byte) (ciphertext []byte, keyID string, err error) {
	aead := c.aeads[c.active]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, "", err
	}
	return aead.Seal(nonce, nonce, plaintext, ad), c.active, nil
}

// Open decrypts what Seal returned. It fails when the key id is unknown,
// the data was altered, or ad differs.
func (c *Cipher) Open(ciphertext []byte, keyID string, ad []byte) ([]byte, error) {
	aead, ok := c.aeads[keyID]
	if !ok {
		return nil, fmt.Errorf("cipher: unknown key id %q", keyID)
	}
	if len(ciphertext) < aead.NonceSize() {
		return nil, errors.New("cipher: ciphertext too short")
	}
	ns := aead.NonceSize()
	pt, err := aead.Open(nil, ciphertext[:ns], ciphertext[ns:], ad)
	if err != nil {
		return nil, errors.New("cipher: cannot open: wrong key or altered data")
	}
	return pt, nil
}
