package kernel

import (
	"strings"
	"testing"
	"time"
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
		want            AgeBand
	}{
		{"newborn", "2026-11-23", "2026-11-23", AgeUnder14},
		{"day before 14th birthday", "2012-11-23", "2026-11-22", AgeUnder14},
		{"on 14th birthday", "2012-11-23", "2026-11-23", Age14to17},
		{"month before 14th birthday", "2012-12-01", "2026-11-30", AgeUnder14},
		{"day before 18th birthday", "2008-11-24", "2026-11-23", Age14to17},
		{"on 18th birthday", "2008-11-23", "2026-11-23", Age18to59},
		{"day before 60th birthday", "1966-11-24", "2026-11-23", Age18to59},
		{"on 60th birthday", "1966-11-23", "2026-11-23", Age60Plus},
		{"very old", "1920-01-01", "2026-11-23", Age60Plus},
		{"leap-day birth, 28 February", "2012-02-29", "2026-02-28", AgeUnder14},
		{"leap-day birth, 1 March", "2012-02-29", "2026-03-01", Age14to17},
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

// validID completes 17 digits with their check character.
func validID(first17 string) string { return first17 + string(IDCheckChar(first17)) }

// fullWidth writes ASCII digits and letters in their full-width forms.
func fullWidth(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r > ' ' && r < 0x7f {
			r += 0xFEE0
		}
		b.WriteRune(r)
	}
	return b.String()
}
