package kernel

import (
	"math/rand/v2"
	"testing"
)

// Allows is the fast form of Fails; they must never disagree.
func TestAllowsAgreesWithFails(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	regions := []string{"370102", "370103", "371725", "110101", "371725001"}
	prefixes := []string{"37", "3701", "370102", "11", "371725001"}
	statuses := []NeedStatus{NeedOpen, NeedOpen, NeedOpen, NeedNotice, NeedFunded}
	screens := []ScreeningOutcome{"", ScreenClear, ScreenWarn, ScreenBlock}
	pick := func(n int) int { return rng.IntN(n) }
	for i := 0; i < 20000; i++ {
		var r Restrictions
		for range pick(3) {
			r.Categories = append(r.Categories, Categories[pick(len(Categories))])
		}
		for range pick(3) {
			r.RegionPrefixes = append(r.RegionPrefixes, prefixes[pick(len(prefixes))])
		}
		for range pick(3) {
			r.HouseholdTypes = append(r.HouseholdTypes, HouseholdTypes[pick(len(HouseholdTypes))])
		}
		if pick(2) == 0 {
			r.PerNeedCapFen = int64(pick(5)) * 100
		}
		n := NeedFacts{
			Status:       statuses[pick(len(statuses))],
			Category:     Categories[pick(len(Categories))],
			RegionCode:   regions[pick(len(regions))],
			RequestedFen: int64(pick(5)) * 100,
			FundedFen:    int64(pick(5)) * 100,
			Screening:    screens[pick(len(screens))],
		}
		for range pick(3) {
			n.HouseholdTypes = append(n.HouseholdTypes, HouseholdTypes[pick(len(HouseholdTypes))])
		}
		given := int64(pick(5)) * 100
		if got, want := r.Allows(n, given), len(r.Fails(n, given)) == 0; got != want {
			t.Fatalf("Allows=%v but Fails=%v for %+v, %+v, given %d", got, r.Fails(n, given), r, n, given)
		}
	}
}
