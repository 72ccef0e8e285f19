package web

import (
	"strings"
	"testing"
)

// The bank statement the reconcile page describes (转账附言、金额（元）、日期),
// saved by Excel with a BOM, is read with its header skipped; an English
// header too.
func TestParseStatementTakesTheHeaderThePageDescribes(t *testing.T) {
	for _, file := range []string{
		"\uFEFF转账附言,金额（元）,日期\nJJ0123456789,200.00,2026-11-23\n",
		"reference,amount,date\nJJ0123456789,200.00,2026-11-23\n",
		"JJ0123456789,200.00,2026-11-23\n",
	} {
		lines, err := parseStatement(strings.NewReader(file))
		if err != nil {
			t.Fatalf("%q: %v", file, err)
		}
		if len(lines) != 1 || lines[0].Reference != "JJ0123456789" || lines[0].AmountFen != 20_000 {
			t.Fatalf("%q: %+v", file, lines)
		}
	}
	if _, err := parseStatement(strings.NewReader("附言X,200,2026-11-23\nfoo,bar,baz\n")); err == nil {
		t.Fatal("a bad line is accepted")
	}
}
