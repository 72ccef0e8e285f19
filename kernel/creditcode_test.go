package kernel

import (
	"errors"
	"testing"
)

// Codes in the published form of real registrations: a foundation (53…,
// 民政 registration, 基金会), companies (91…), and the standard's own example.
var validCreditCodes = []string{
	"53100000500021676K",
	"91350100M000100Y43",
	"91110000802100433B",
	"91440300708461136T",
	"91110108551385082Q",
}

func TestCheckCreditCode(t *testing.T) {
	cases := []struct {
		name, in string
		want     error
	}{
		{"a foundation's code", "53100000500021676K", nil},
		{"the standard's example", "91350100M000100Y43", nil},
		{"written in lowercase with spaces", "9135 0100 m000 100y 43", nil},
		{"written in full-width characters", "９１３５０１００Ｍ０００１００Ｙ４３", nil},
		{"the check character is 0", checkZeroCode(t), nil},
		{"a wrong check character", "53100000500021676J", ErrCreditCodeCheck},
		{"a wrong digit in the body", "53100000500021686K", ErrCreditCodeCheck},
		{"two digits swapped", "53100000500026176K", ErrCreditCodeCheck},
		{"the letter O for zero", "531O0000500021676K", ErrCreditCodeAlphabet},
		{"the letter I for one", "53I00000500021676K", ErrCreditCodeAlphabet},
		{"the letters S, V, Z are not used", "5310000050002167SK", ErrCreditCodeAlphabet},
		{"a Chinese character", "5310000050002167号K", ErrCreditCodeAlphabet},
		{"punctuation", "53100000500021676.", ErrCreditCodeAlphabet},
		{"17 characters", "5310000050002167K", ErrCreditCodeLength},
		{"19 characters", "531000005000216761K", ErrCreditCodeLength},
		{"an old 9-character organization code", "50002167-6", ErrCreditCodeLength},
		{"empty", "", ErrCreditCodeLength},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := CheckCreditCode(NormalizeCreditCode(tc.in)); !errors.Is(got, tc.want) || (tc.want == nil) != (got == nil) {
				t.Errorf("CheckCreditCode(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

// checkZeroCode finds a code whose check character is 0 ((31 - 0) mod 31):
// the one value the modulo folds.
func checkZeroCode(t *testing.T) string {
	t.Helper()
	for c := range 31 {
		body := "5310000050002167" + string(creditAlphabet[c])
		if ch, _ := CreditCodeCheckChar(body); ch == '0' {
			return body + "0"
		}
	}
	t.Fatal("no body with check 0")
	return ""
}

// TestCreditCodeCheckCatchesEverySingleMistake: the weights are units mod
// 31, so every change of one character, and every swap of two neighbouring
// different characters in the first 17, is refused.
func TestCreditCodeCheckCatchesEverySingleMistake(t *testing.T) {
	for _, code := range validCreditCodes {
		if err := CheckCreditCode(code); err != nil {
			t.Fatalf("%s: %v", code, err)
		}
		for i := range 18 {
			for _, c := range []byte(creditAlphabet) {
				if c == code[i] {
					continue
				}
				bad := code[:i] + string(c) + code[i+1:]
				if err := CheckCreditCode(bad); !errors.Is(err, ErrCreditCodeCheck) {
					t.Errorf("%s (position %d changed) accepted: %v", bad, i+1, err)
				}
			}
		}
		for i := range 16 {
			if code[i] == code[i+1] {
				continue
			}
			b := []byte(code)
			b[i], b[i+1] = b[i+1], b[i]
			if err := CheckCreditCode(string(b)); !errors.Is(err, ErrCreditCodeCheck) {
				t.Errorf("%s (positions %d and %d swapped) accepted: %v", b, i+1, i+2, err)
			}
		}
	}
}
