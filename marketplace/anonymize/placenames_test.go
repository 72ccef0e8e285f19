package anonymize

import (
	"slices"
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
)

func TestHiddenPlaceNames(t *testing.T) {
	d, err := kernel.LoadDivisions()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, fine, shown string
		want              []string
	}{
		{"nationwide hides province, city and county", "430524", kernel.NationalRegion, []string{"湖南省", "邵阳市", "隆回县", "湖南", "邵阳", "隆回"}},
		{"province shown hides city and county", "430524", "430000", []string{"邵阳市", "隆回县", "邵阳", "隆回"}},
		{"county shown hides nothing", "430524", "430524", nil},
		{"town is hidden even under its county", "430524101", "430524", []string{"小沙江镇", "小沙江"}},
		{"short form inside a shown name is kept", "430523", "430500", []string{"邵阳县"}},
		{"short form that is a word is kept", "421022", "420000", []string{"荆州市", "公安县", "荆州"}},
		{"autonomous region short form", "450102", kernel.NationalRegion, []string{"广西壮族自治区", "兴宁区", "南宁市", "广西", "兴宁", "南宁"}},
		{"autonomous county short form", "630224", "630000", []string{"化隆回族自治县", "海东市", "化隆", "海东"}},
		{"municipality district", "110105", "110000", []string{"朝阳区"}},
		{"unknown division", "999999", kernel.NationalRegion, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := HiddenPlaceNames(d, tc.fine, tc.shown)
			a, b := slices.Clone(got), slices.Clone(tc.want)
			slices.Sort(a)
			slices.Sort(b)
			if !slices.Equal(a, b) {
				t.Errorf("HiddenPlaceNames(%s, %s) = %q, want %q", tc.fine, tc.shown, got, tc.want)
			}
		})
	}
}

func TestScrubHidingRemovesHiddenPlaces(t *testing.T) {
	d, err := kernel.LoadDivisions()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, fine, shown, text string
		gone                    []string
		kept                    []string
	}{
		{"county hospital under nationwide", "430524", kernel.NationalRegion, "现于隆回县人民医院血液科化疗，隆回人。",
			[]string{"隆回"}, []string{"人民医院血液科化疗"}},
		{"city and province chain takes one placeholder", "430524", kernel.NationalRegion, "湖南省邵阳市隆回县的家庭",
			[]string{"湖南", "邵阳", "隆回"}, []string{ScrubPlaceholder + "的家庭"}},
		{"county kept when shown", "430524", "430524", "在隆回县人民医院", nil, []string{"隆回县人民医院"}},
		{"city hospital under the province", "430524", "430000", "转到邵阳市中心医院，后回湖南省", []string{"邵阳"}, []string{"湖南省", "中心医院"}},
		{"ordinary words stay", "421022", kernel.NationalRegion, "派出所公安民警和湖北荆州的医生", []string{"荆州", "湖北"}, []string{"公安民警"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, reds := ScrubPreviewHiding(tc.text, nil, HiddenPlaceNames(d, tc.fine, tc.shown))
			for _, g := range tc.gone {
				if strings.Contains(out, g) {
					t.Errorf("%q still names %q", out, g)
				}
			}
			for _, k := range tc.kept {
				if !strings.Contains(out, k) {
					t.Errorf("%q lost %q", out, k)
				}
			}
			if len(tc.gone) > 0 && len(reds) == 0 {
				t.Errorf("no redaction listed for %q", out)
			}
		})
	}
}
