package kernel

import (
	"regexp"
	"strings"
	"time"
)

// NormalizeIDNumber turns a resident ID number as people write it into its
// canonical form: full-width digits and X made ASCII, spaces and dashes
// dropped, a lowercase x made upper. It does not validate.
func NormalizeIDNumber(s string) string {
	if idShaped(s) { // already canonical (nearly every number in a file)
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '０' && r <= '９':
			b.WriteRune('0' + (r - '０'))
		case r == 'x' || r == 'Ｘ' || r == 'ｘ':
			b.WriteByte('X')
		case r == ' ' || r == '-' || r == '\u3000' || r == '\t':
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const idCheckChars = "10X98765432"

// IDCheckChar computes the GB 11643 (ISO 7064 MOD 11-2) check character of
// the first 17 digits.
func IDCheckChar(first17 string) byte {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(first17[i]-'0') * idWeights[i]
	}
	return idCheckChars[sum%11]
}

// idShaped reports whether n is 17 ASCII digits and a digit or X.
func idShaped(n string) bool {
	if len(n) != 18 {
		return false
	}
	for i := 0; i < 17; i++ {
		if n[i] < '0' || n[i] > '9' {
			return false
		}
	}
	return n[17] >= '0' && n[17] <= '9' || n[17] == 'X'
}

// IDInfo is what a valid ID number says about its holder.
type IDInfo struct {
	Number    string // normalized
	Region    string // the 6-digit code at issue (may no longer exist)
	BirthDate time.Time
	Male      bool
}

// ParseIDNumber validates an 18-character resident ID number: shape, birth
// date (a real date, not in the future, not before 1900) and check
// character. The region prefix is not required to exist today: old codes
// stay valid on old cards. The error says what is wrong, never echoing the number.
func ParseIDNumber(s string, now time.Time) (IDInfo, error) {
	n := NormalizeIDNumber(s)
	if len(n) != 18 {
		return IDInfo{}, Because("must have 18 characters, has %d", len([]rune(n)))
	}
	if !idShaped(n) {
		return IDInfo{}, Because("must be 17 digits and a digit or X")
	}
	// The birth date, YYYYMMDD (digits: idShaped), must be a real date.
	y := int(n[6]-'0')*1000 + int(n[7]-'0')*100 + int(n[8]-'0')*10 + int(n[9]-'0')
	m := time.Month(int(n[10]-'0')*10 + int(n[11]-'0'))
	d := int(n[12]-'0')*10 + int(n[13]-'0')
	birth := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	if m < 1 || m > 12 || d < 1 || birth.Day() != d || birth.Month() != m {
		return IDInfo{}, Because("birth date is not a real date")
	}
	if birth.Year() < 1900 || birth.After(now) {
		return IDInfo{}, Because("birth date is out of range")
	}
	if IDCheckChar(n[:17]) != n[17] {
		return IDInfo{}, Because("check character is wrong (GB 11643)")
	}
	return IDInfo{Number: n, Region: n[:6], BirthDate: birth, Male: (n[16]-'0')%2 == 1}, nil
}

// AgeBandAt returns the age band of someone born on birth, at now.
func AgeBandAt(birth, now time.Time) AgeBand {
	age := now.Year() - birth.Year()
	if now.Month() < birth.Month() || (now.Month() == birth.Month() && now.Day() < birth.Day()) {
		age--
	}
	switch {
	case age < 14:
		return AgeUnder14
	case age < 18:
		return Age14to17
	case age < 60:
		return Age18to59
	}
	return Age60Plus
}

var phoneRe = regexp.MustCompile(`^1[3-9]\d{9}$`)

// NormalizePhone drops spaces, dashes and a +86 prefix and makes digits ASCII.
func NormalizePhone(s string) string {
	n := NormalizeIDNumber(s)
	n = strings.TrimPrefix(n, "+86")
	return strings.TrimPrefix(n, "0086")
}

// ValidPhone reports whether s is a mainland mobile number.
func ValidPhone(s string) bool { return phoneRe.MatchString(NormalizePhone(s)) }
