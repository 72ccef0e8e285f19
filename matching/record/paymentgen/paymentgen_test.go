package paymentgen_test

import (
	"bytes"
	"encoding/csv"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/jiujinan/jiujinan/matching/record/paymentgen"
)

func gen(t *testing.T, opt paymentgen.Options) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := paymentgen.Write(&b, opt); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestTheSameSeedGivesTheSameFile(t *testing.T) {
	a := gen(t, paymentgen.Options{Rows: 500, Seed: 42, BadShare: 0.1})
	b := gen(t, paymentgen.Options{Rows: 500, Seed: 42, BadShare: 0.1})
	c := gen(t, paymentgen.Options{Rows: 500, Seed: 43, BadShare: 0.1})
	if !bytes.Equal(a, b) {
		t.Fatal("same seed, different files")
	}
	if bytes.Equal(a, c) {
		t.Fatal("different seeds, same file")
	}
}

func TestRowsHaveValidIDNumbersOfRealCountiesAndTheProgrammesShapes(t *testing.T) {
	div, err := kernel.LoadDivisions()
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(gen(t, paymentgen.Options{Rows: 5000, Seed: 1}))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 5001 {
		t.Fatalf("%d records, want header + 5000", len(recs))
	}
	progs := map[string]int{}
	perPerson := map[string]int{}
	for _, r := range recs[1:] {
		if _, err := kernel.ParseIDNumber(r[0], time.Now()); err != nil {
			t.Fatalf("invalid ID number: %v", err)
		}
		if !div.Known(r[5]) || r[0][:6] != r[5] {
			t.Fatalf("region %s unknown or not the ID's", r[5])
		}
		progs[r[2]]++
		perPerson[r[0]+r[2]]++
	}
	for _, p := range []string{"临时救助", "医疗救助"} {
		if progs[p] == 0 {
			t.Errorf("no %s rows", p)
		}
	}
	if progs["低保金"]+progs["最低生活保障金"] < 1000 {
		t.Errorf("only %d 低保 rows", progs["低保金"]+progs["最低生活保障金"])
	}
	months := 0
	for k, n := range perPerson {
		if n >= 6 && (bytes.Contains([]byte(k), []byte("低保")) || bytes.Contains([]byte(k), []byte("最低"))) {
			months++
		}
	}
	if months == 0 {
		t.Error("no one gets 低保 for many months")
	}
}

func TestBadShareAndGBK(t *testing.T) {
	data := gen(t, paymentgen.Options{Rows: 4000, Seed: 5, BadShare: 0.25, Encoding: "gbk"})
	utf, err := simplifiedchinese.GBK.NewDecoder().Bytes(data)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(utf, []byte("身份证号,")) {
		t.Fatalf("GBK file does not decode to the header: %q", utf[:20])
	}
	recs, err := csv.NewReader(bytes.NewReader(utf)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	bad := 0
	for _, r := range recs[1:] {
		if _, err := kernel.ParseIDNumber(r[0], time.Now()); err != nil || r[3] == "" || r[3][0] == '-' || r[2] == "" || r[5] == "990101" || r[3] == "12.345" || r[4][:7] == "2025-13" {
			bad++
		}
	}
	if bad < 800 || bad > 1200 {
		t.Fatalf("%d bad rows of 4000, want about 1000", bad)
	}
}
