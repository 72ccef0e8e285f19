package kernel

import (
	"errors"
	"strings"
)

// The unified social credit code (统一社会信用代码) of GB 32100-2015: 18
// characters from a 31-character alphabet (the digits and the capitals
// without I, O, S, V and Z, which read like 1, 0, 5, U and 2), the last a
// check character over the first 17 (weights 3^i mod 31).

// creditAlphabet is the code's alphabet, in the order of the values the
// check computes with.
const creditAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var creditWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// Why a credit code is refused, so that a page can say which mistake it is.
var (
	// ErrCreditCodeLength: not 18 characters.
	ErrCreditCodeLength = errors.New("a unified social credit code has 18 characters")
	// ErrCreditCodeAlphabet: a character outside the code's alphabet (I, O,
	// S, V, Z and anything but digits and capitals).
	ErrCreditCodeAlphabet = errors.New("a unified social credit code uses digits and capitals other than I, O, S, V and Z")
	// ErrCreditCodeCheck: the 18th character is not the check of the first 17.
	ErrCreditCodeCheck = errors.New("the check character of the unified social credit code does not match")
)

// NormalizeCreditCode turns a credit code as people write it into its
// canonical form: full-width characters made ASCII, spaces and dashes
// dropped, letters made capitals. It does not validate.
func NormalizeCreditCode(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '０' && r <= '９':
			b.WriteRune('0' + (r - '０'))
		case r >= 'Ａ' && r <= 'Ｚ':
			b.WriteRune('A' + (r - 'Ａ'))
		case r >= 'ａ' && r <= 'ｚ':
			b.WriteRune('A' + (r - 'ａ'))
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		case r == ' ' || r == '-' || r == '\u3000' || r == '\t':
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// CreditCodeCheckChar computes the GB 32100-2015 check character of the
// first 17 characters of code, which must be from the code's alphabet
// (ok false otherwise).
func CreditCodeCheckChar(first17 string) (byte, bool) {
	if len(first17) < 17 {
		return 0, false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(creditAlphabet, first17[i])
		if v < 0 {
			return 0, false
		}
		sum += v * creditWeights[i]
	}
	return creditAlphabet[(31-sum%31)%31], true
}

// CheckCreditCode validates a unified social credit code in canonical form
// (NormalizeCreditCode): ErrCreditCodeLength, ErrCreditCodeAlphabet or
// ErrCreditCodeCheck, nil when it is well formed. Whether an organization
// holds it is the registration authority's question.
func CheckCreditCode(code string) error {
	if len(code) != 18 || strings.ContainsFunc(code, func(r rune) bool { return r >= 0x80 }) {
		if len([]rune(code)) != 18 {
			return ErrCreditCodeLength
		}
		return ErrCreditCodeAlphabet
	}
	for i := 0; i < 18; i++ {
		if strings.IndexByte(creditAlphabet, code[i]) < 0 {
			return ErrCreditCodeAlphabet
		}
	}
	if c, _ := CreditCodeCheckChar(code[:17]); c != code[17] {
		return ErrCreditCodeCheck
	}
	return nil
}

// AddCreditCodeProblem records on v, under field, why code (canonical) is
// not a unified social credit code, if it is not.
func AddCreditCodeProblem(v *ValidationError, field, code string) {
	switch err := CheckCreditCode(code); {
	case errors.Is(err, ErrCreditCodeLength):
		v.Add(field, "must be the 18 characters of a unified social credit code")
	case errors.Is(err, ErrCreditCodeAlphabet):
		v.Add(field, "uses only digits and capital letters other than I, O, S, V and Z")
	case errors.Is(err, ErrCreditCodeCheck):
		v.Add(field, "check character is wrong (GB 32100)")
	}
}

// OrgRegistration is how a charity is registered: its unified social
// credit code and registered name (登记名称), which its receipts carry.
type OrgRegistration struct {
	CreditCode     string
	RegisteredName string
}

// Set reports whether receipts can name the charity as registered.
func (r OrgRegistration) Set() bool { return r.CreditCode != "" && r.RegisteredName != "" }
