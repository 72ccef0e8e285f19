package marketplace

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
)

func TestPseudonymizer(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	p, err := NewPseudonymizer(key)
	if err != nil {
		t.Fatal(err)
	}
	id := "11010519491231002X"
	base := p.Of(id)
	if len(base) != 64 {
		t.Fatalf("pseudonym %q is not 64 hex characters", base)
	}
	if _, err := hex.DecodeString(base); err != nil {
		t.Fatalf("pseudonym is not hex: %v", err)
	}
	if strings.Contains(base, id) {
		t.Fatal("pseudonym contains the number")
	}
	for name, spelling := range map[string]string{
		"lowercase x":    strings.ToLower(id),
		"full-width":     "１１０１０５１９４９１２３１００２Ｘ",
		"full-width x":   "１１０１０５１９４９１２３１００２ｘ",
		"spaces, dashes": id[:6] + " " + id[6:14] + "-" + id[14:],
	} {
		if got := p.Of(spelling); got != base {
			t.Errorf("%s: pseudonym differs from the canonical spelling", name)
		}
	}
	if p.Of("110105194912310038") == base {
		t.Error("different numbers give the same pseudonym")
	}
	other, _ := NewPseudonymizer(bytes.Repeat([]byte{8}, 32))
	if other.Of(id) == base {
		t.Error("different keys give the same pseudonym")
	}
	if got := string(p.AppendOf(nil, []byte(kernel.NormalizeIDNumber(id)))); got != base {
		t.Errorf("AppendOf = %s, want %s", got, base)
	}
	if got := string(p.AppendOf([]byte("x:"), []byte(id))); got != "x:"+base {
		t.Errorf("AppendOf does not append: %s", got)
	}
	// The caller's key may change afterwards without changing pseudonyms.
	key[0] = 9
	if p.Of(id) != base {
		t.Error("pseudonymizer shares the caller's key slice")
	}
	if _, err := NewPseudonymizer(make([]byte, 31)); err == nil {
		t.Error("a 31-byte key was accepted")
	}
}

func TestCipher(t *testing.T) {
	k1 := DataKey{ID: "k1", Key: bytes.Repeat([]byte{1}, 32)}
	k2 := DataKey{ID: "k2", Key: bytes.Repeat([]byte{2}, 32)}
	old, err := NewCipher([]DataKey{k1})
	if err != nil {
		t.Fatal(err)
	}
	ad := []byte("beneficiary:01jabc:identity")
	plain := []byte(`{"name":"张三丰","id":"11010519491231002X"}`)

	ct, keyID, err := old.Seal(plain, ad)
	if err != nil || keyID != "k1" {
		t.Fatalf("Seal: key %q, %v", keyID, err)
	}
	if bytes.Contains(ct, plain) || bytes.Contains(ct, []byte("张三丰")) {
		t.Fatal("ciphertext contains the plaintext")
	}

	t.Run("round trip", func(t *testing.T) {
		got, err := old.Open(ct, keyID, ad)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("Open = %q, %v", got, err)
		}
	})
	t.Run("fresh nonce each time", func(t *testing.T) {
		ct2, _, _ := old.Seal(plain, ad)
		if bytes.Equal(ct, ct2) {
			t.Fatal("two seals of the same plaintext are equal")
		}
	})
	t.Run("tampered ciphertext refused", func(t *testing.T) {
		for _, i := range []int{0, 12, len(ct) - 1} {
			bad := bytes.Clone(ct)
			bad[i] ^= 1
			if _, err := old.Open(bad, keyID, ad); err == nil {
				t.Errorf("a flipped byte at %d was accepted", i)
			}
		}
		if _, err := old.Open(ct[:len(ct)-1], keyID, ad); err == nil {
			t.Error("a truncated ciphertext was accepted")
		}
		if _, err := old.Open(ct[:5], keyID, ad); err == nil {
			t.Error("a ciphertext shorter than the nonce was accepted")
		}
	})
	t.Run("wrong associated data refused", func(t *testing.T) {
		if _, err := old.Open(ct, keyID, []byte("beneficiary:01jother:identity")); err == nil {
			t.Error("ciphertext moved to another record was accepted")
		}
		if _, err := old.Open(ct, keyID, nil); err == nil {
			t.Error("ciphertext opened without associated data")
		}
	})
	t.Run("key rotation", func(t *testing.T) {
		ring, err := NewCipher([]DataKey{k1, k2})
		if err != nil {
			t.Fatal(err)
		}
		got, err := ring.Open(ct, "k1", ad)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("rotated ring cannot open old data: %v", err)
		}
		ct2, id2, err := ring.Seal(plain, ad)
		if err != nil || id2 != "k2" {
			t.Fatalf("rotated ring seals with %q, want k2 (%v)", id2, err)
		}
		if _, err := old.Open(ct2, id2, ad); err == nil {
			t.Error("a ring without k2 opened data sealed with k2")
		}
		if _, err := ring.Open(ct2, "k1", ad); err == nil {
			t.Error("data sealed with k2 opened under k1")
		}
		newOnly, _ := NewCipher([]DataKey{k2})
		if _, err := newOnly.Open(ct, "k1", ad); err == nil || !strings.Contains(err.Error(), "unknown key id") {
			t.Errorf("retired key: %v, want unknown key id", err)
		}
	})
	t.Run("bad key rings refused", func(t *testing.T) {
		for name, keys := range map[string][]DataKey{
			"none":       nil,
			"short key":  {{ID: "k", Key: make([]byte, 31)}},
			"long key":   {{ID: "k", Key: make([]byte, 33)}},
			"missing id": {{Key: make([]byte, 32)}},
		} {
			if _, err := NewCipher(keys); err == nil {
				t.Errorf("%s: accepted", name)
			}
		}
	})
	t.Run("errors do not echo plaintext", func(t *testing.T) {
		bad := bytes.Clone(ct)
		bad[len(bad)-1] ^= 1
		_, err := old.Open(bad, keyID, ad)
		if err == nil || strings.Contains(err.Error(), "张三丰") {
			t.Errorf("error %v", err)
		}
	})
}
