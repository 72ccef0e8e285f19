package funds

import (
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
)

func TestDisclosedRegion(t *testing.T) {
	for _, tc := range []struct {
		name string
		need NeedState
		want string
	}{
		{"public region shown as projected", NeedState{RegionCode: "371725001", PublicRegionCode: "371700"}, "371700"},
		{"nationwide projection stays nationwide", NeedState{RegionCode: "430524", PublicRegionCode: kernel.NationalRegion}, kernel.NationalRegion},
		{"no public region shows the whole country, not the province", NeedState{RegionCode: "430524"}, kernel.NationalRegion},
		{"no region at all shows the whole country", NeedState{}, kernel.NationalRegion},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.need.DisclosedRegion(); got != tc.want {
				t.Errorf("DisclosedRegion() = %q, want %q", got, tc.want)
			}
		})
	}
}

// An allocation's payments are shared out among the donations that paid
// for it in order: a donor whose part is the allocation's second half sees
// only what fell on it.
func TestShareOfAnAllocationsPayments(t *testing.T) {
	pays := []TracePayment{{DisbursementID: "d1", AmountFen: 300}, {DisbursementID: "d2", AmountFen: 500}, {DisbursementID: "d3", AmountFen: 200}}
	cases := []struct {
		offset, amount int64
		want           map[string]int64
	}{
		{0, 1_000, map[string]int64{"d1": 300, "d2": 500, "d3": 200}},
		{0, 300, map[string]int64{"d1": 300}},
		{200, 400, map[string]int64{"d1": 100, "d2": 300}},
		{900, 600, map[string]int64{"d3": 100}},
		{1_000, 500, map[string]int64{}},
	}
	for _, c := range cases {
		got := map[string]int64{}
		for _, p := range shareOf(pays, c.offset, c.amount) {
			got[p.DisbursementID] = p.AmountFen
		}
		if len(got) != len(c.want) {
			t.Errorf("share [%d, +%d): %v, want %v", c.offset, c.amount, got, c.want)
			continue
		}
		for k, v := range c.want {
			if got[k] != v {
				t.Errorf("share [%d, +%d): %v, want %v", c.offset, c.amount, got, c.want)
			}
		}
	}
}
