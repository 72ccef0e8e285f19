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
