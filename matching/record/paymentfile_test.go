package record

import (
	"encoding/hex"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/marketplace"
)

func TestParseYuan(t *testing.T) {
	cases := []struct {
		in     string
		fen    int64
		reason string
	}{
		{"850", 85000, ""},
		{"850.5", 85050, ""},
		{"850.05", 85005, ""},
		{"1,234.50", 123450, ""},
		{"1,234,567", 0, "too large (more than 1,000,000 yuan)"},
		{"999,999.99", 99999999, ""},
		{"1000000", 100000000, ""},
		{"1000000.01", 0, "too large (more than 1,000,000 yuan)"},
		{"1234.5元", 123450, ""},
		{" ¥12 ", 1200, ""},
		{"-5", 0, "negative"},
		{"5.555", 0, "more than two decimals"},
		{"0", 0, "zero"},
		{"0.00", 0, "zero"},
		{"", 0, "empty"},
		{"12,34", 0, "not a number"},
		{"1.", 0, "not a number"},
		{"abc", 0, "not a number"},
		{"99999999999999999999", 0, "too large"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			fen, reason := ParseYuan(tc.in)
			if fen != tc.fen || reason != tc.reason {
				t.Fatalf("ParseYuan(%q) = %d, %q; want %d, %q", tc.in, fen, reason, tc.fen, tc.reason)
			}
		})
	}
}

func TestParseDateOrMonth(t *testing.T) {
	d := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	cases := []struct {
		in       string
		from, to string
		bad      bool
	}{
		{"2026-01-15", "2026-01-15", "2026-01-15", false},
		{"2026/1/5", "2026-01-05", "2026-01-05", false},
		{"2026.01.15", "2026-01-15", "2026-01-15", false},
		{"20260115", "2026-01-15", "2026-01-15", false},
		{"2026年1月15日", "2026-01-15", "2026-01-15", false},
		{"2026/1/15 0:00:00", "2026-01-15", "2026-01-15", false},
		{"2026-02", "2026-02-01", "2026-02-28", false},
		{"2024年2月", "2024-02-01", "2024-02-29", false},
		{"202612", "2026-12-01", "2026-12-31", false},
		{"2026-02-30", "", "", true},
		{"2026-13", "", "", true},
		{"15/01/2026", "", "", true},
		{"yesterday", "", "", true},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			from, to, reason := parseDateOrMonth(tc.in)
			if tc.bad {
				if reason == "" {
					t.Fatalf("%q accepted as %v–%v", tc.in, from, to)
				}
				return
			}
			if reason != "" || !from.Equal(d(tc.from)) || !to.Equal(d(tc.to)) {
				t.Fatalf("%q = %v–%v %q", tc.in, from, to, reason)
			}
		})
	}
}

func TestPartOfSplitsTheKeySpaceInOrder(t *testing.T) {
	if PartOf("00ff", 256) != 0 || PartOf("ff00", 256) != 255 || PartOf("80aa", 2) != 1 || PartOf("7f", 2) != 0 || PartOf("ab", 1) != 0 {
		t.Fatal("PartOf is off")
	}
	prev := -1
	for i := 0; i < 256; i++ {
		p := PartOf(string("0123456789abcdef"[i>>4])+string("0123456789abcdef"[i&15]), 16)
		if p < prev || p != i>>4 {
			t.Fatalf("PartOf(%02x, 16) = %d", i, p)
		}
		prev = p
	}
}

func TestPseudonymHasherGivesThePseudonym(t *testing.T) {
	pz, err := marketplace.NewPseudonymizer([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	h := pz.NewHasher()
	for _, id := range []string{"371725198001011235", "37172519820501004X", "430524197512300024"} {
		if got := hex.EncodeToString(h.AppendSum(nil, id)); got != pz.Of(id) {
			t.Fatalf("hasher %s, Of %s", got, pz.Of(id))
		}
	}
}

func TestPartOfKeepsTheLeadingBits(t *testing.T) {
	for _, c := range []struct {
		pseudonym string
		parts     int
		want      int
	}{
		{"ffff00", 1, 0}, {"ffff00", 2, 1}, {"7fff00", 2, 0}, {"ab1200", 256, 0xab}, {"ab1200", 4096, 0xab1}, {"0012", 4096, 1},
	} {
		if got := PartOf(c.pseudonym, c.parts); got != c.want {
			t.Errorf("PartOf(%s, %d) = %d, want %d", c.pseudonym, c.parts, got, c.want)
		}
		var r rec
		hex.Decode(r[:2], []byte(c.pseudonym[:4]))
		if got := partOfRec(&r, c.parts); got != c.want {
			t.Errorf("partOfRec(%s, %d) = %d, want %d", c.pseudonym, c.parts, got, c.want)
		}
	}
}
