package marketplace

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

var idNow = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func TestIDCheckChar(t *testing.T) {
	// The first two are the standard's published examples; the third was
	// summed by hand. The weighted sum mod 11 indexes "10X98765432".
	tests := []struct{ first17, want string }{
		{"11010519491231002", "X"},
		{"44052418800101001", "4"},
		{"37072519900101123", "9"}, // sum 256, 256 mod 11 = 3
	}
	for _, tc := range tests {
		if got := string(IDCheckChar(tc.first17)); got != tc.want {
			t.Errorf("IDCheckChar(%s) = %s, want %s", tc.first17, got, tc.want)
		}
	}
}

func TestParseIDNumber(t *testing.T) {
	male := validID("37072519900101123")   // 17th digit 3: male
	female := validID("44190019851231456") // 17th digit 6: female
	withX := validID("11010519491231002")
	wrong := male[:17] + string("0123456789X"[(strings.IndexByte("0123456789X", male[17])+1)%11])
	tests := []struct {
		name   string
		in     string
		ok     bool
		number string
		birth  string
		isMale bool
	}{
		{"valid male", male, true, male, "1990-01-01", true},
		{"valid female", female, true, female, "1985-12-31", false},
		{"check character X", withX, true, withX, "1949-12-31", false},
		{"lowercase x", strings.ToLower(withX), true, withX, "1949-12-31", false},
		{"full-width digits", fullWidth(male), true, male, "1990-01-01", true},
		{"full-width lowercase x", fullWidth(strings.ToLower(withX)), true, withX, "1949-12-31", false},
		{"spaces and dashes", male[:6] + " " + male[6:14] + "-" + male[14:], true, male, "1990-01-01", true},
		{"old region code still valid", validID("32081119800101123"), true, validID("32081119800101123"), "1980-01-01", true},
		{"wrong check character", wrong, false, "", "", false},
		{"impossible date 19990230", validID("37072519990230123"), false, "", "", false},
		{"month 13", validID("37072519991301123"), false, "", "", false},
		{"future birth date", validID("37072520261124123"), false, "", "", false},
		{"born today is fine", validID("37072520261123123"), true, validID("37072520261123123"), "2026-11-23", true},
		{"before 1900", validID("37072518991231123"), false, "", "", false},
		{"17 characters", male[:17], false, "", "", false},
		{"19 characters", male + "1", false, "", "", false},
		{"letter inside", male[:5] + "A" + male[6:], false, "", "", false},
		{"X not last", "X" + male[1:], false, "", "", false},
		{"15-digit old number", "370725900101123", false, "", "", false},
		{"empty", "", false, "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			info, err := ParseIDNumber(tc.in, idNow)
			if !tc.ok {
				if err == nil {
					t.Fatalf("ParseIDNumber(%q) accepted", tc.in)
				}
				if n := NormalizeIDNumber(tc.in); len(n) >= 6 && strings.Contains(err.Error(), n) {
					t.Errorf("error %q echoes the number", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseIDNumber(%q): %v", tc.in, err)
			}
			if info.Number != tc.number || info.Region != tc.number[:6] || info.BirthDate.Format("2006-01-02") != tc.birth || info.Male != tc.isMale {
				t.Errorf("got %+v, want number %s birth %s male %v", info, tc.number, tc.birth, tc.isMale)
			}
		})
	}
}

func TestAgeBandAt(t *testing.T) {
	day := func(s string) time.Time {
		d, err := time.Parse("2006-01-02", s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	tests := []struct {
		name, birth, at string
		want            kernel.AgeBand
	}{
		{"newborn", "2026-11-23", "2026-11-23", kernel.AgeUnder14},
		{"day before 14th birthday", "2012-11-23", "2026-11-22", kernel.AgeUnder14},
		{"on 14th birthday", "2012-11-23", "2026-11-23", kernel.Age14to17},
		{"month before 14th birthday", "2012-12-01", "2026-11-30", kernel.AgeUnder14},
		{"day before 18th birthday", "2008-11-24", "2026-11-23", kernel.Age14to17},
		{"on 18th birthday", "2008-11-23", "2026-11-23", kernel.Age18to59},
		{"day before 60th birthday", "1966-11-24", "2026-11-23", kernel.Age18to59},
		{"on 60th birthday", "1966-11-23", "2026-11-23", kernel.Age60Plus},
		{"very old", "1920-01-01", "2026-11-23", kernel.Age60Plus},
		{"leap-day birth, 28 February", "2012-02-29", "2026-02-28", kernel.AgeUnder14},
		{"leap-day birth, 1 March", "2012-02-29", "2026-03-01", kernel.Age14to17},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := AgeBandAt(day(tc.birth), day(tc.at)); got != tc.want {
				t.Errorf("AgeBandAt(%s, %s) = %s, want %s", tc.birth, tc.at, got, tc.want)
			}
		})
	}
}

func TestValidPhone(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"13812345678", true},
		{"19912345678", true},
		{"+8613812345678", true},
		{"+86 138-1234-5678", true},
		{"0086 138 1234 5678", true},
		{"１３８１２３４５６７８", true},
		{"12812345678", false}, // second digit 2
		{"1381234567", false},
		{"138123456789", false},
		{"0530-6581234", false}, // landline
		{"23812345678", false},
		{"", false},
		{"1381234567a", false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := ValidPhone(tc.in); got != tc.want {
				t.Errorf("ValidPhone(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
	if got := NormalizePhone("+86 １３８-1234 5678"); got != "13812345678" {
		t.Errorf("NormalizePhone = %q", got)
	}
}

func TestPseudonymizer(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	p, err := NewPseudonymizer(key)
	if err != nil {
		t.Fatal(err)
	}
	id := validID("11010519491231002")
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
		"full-width":     fullWidth(id),
		"full-width x":   fullWidth(strings.ToLower(id)),
		"spaces, dashes": id[:6] + " " + id[6:14] + "-" + id[14:],
	} {
		if got := p.Of(spelling); got != base {
			t.Errorf("%s: pseudonym differs from the canonical spelling", name)
		}
	}
	if p.Of(validID("11010519491231003")) == base {
		t.Error("different numbers give the same pseudonym")
	}
	other, _ := NewPseudonymizer(bytes.Repeat([]byte{8}, 32))
	if other.Of(id) == base {
		t.Error("different keys give the same pseudonym")
	}
	if got := string(p.AppendOf(nil, []byte(NormalizeIDNumber(id)))); got != base {
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

// The birth date inside an ID number must be a real calendar date between
// 1900 and now; the check character is verified after it.
func TestParseIDNumberChecksTheBirthDate(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	num := func(birth string) string {
		first := "371725" + birth + "123"
		return first + string(IDCheckChar(first))
	}
	for birth, want := range map[string]string{
		"19800229": "", // 1980 was a leap year
		"19810229": "birth date is not a real date",
		"19801301": "birth date is not a real date",
		"19800001": "birth date is not a real date",
		"19800100": "birth date is not a real date",
		"19800431": "birth date is not a real date",
		"18991231": "birth date is out of range",
		"20260302": "birth date is out of range",
		"00000101": "birth date is out of range",
	} {
		_, err := ParseIDNumber(num(birth), now)
		if want == "" {
			if err != nil {
				t.Errorf("%s: %v, want valid", birth, err)
			}
			continue
		}
		if err == nil || err.Error() != want {
			t.Errorf("%s: %v, want %q", birth, err, want)
		}
	}
	info, err := ParseIDNumber(num("20000131"), now)
	if err != nil || !info.BirthDate.Equal(time.Date(2000, 1, 31, 0, 0, 0, 0, time.UTC)) || info.Region != "371725" {
		t.Fatalf("parse: %+v %v", info, err)
	}
}
