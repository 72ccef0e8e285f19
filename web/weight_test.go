package web

import (
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/marketplace"
)

// firstLoadBudget is what a first visit may download: the HTML of the page
// and every stylesheet and script it links (people on phones and old office
// PCs; htmx alone is about 52 KB).
const firstLoadBudget = 100 * 1024

var assetRe = regexp.MustCompile(`(?:href|src)="(/assets/[^"]+\.(?:css|js))"`)

// TestFirstLoadWeight: the main public pages, full of needs, stay under the
// budget uncompressed. JIUJINAN_WEIGHT_REPORT=FILE writes the table.
func TestFirstLoadWeight(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	var needs []marketplace.PublicNeed
	for i := 1; i <= 20; i++ {
		needs = append(needs, samplePublicNeed(i, "独居老人住院手术费用缺口较大", strings.Repeat("老人独自生活，近日因病住院，需要手术，医保报销和医疗救助之后仍有缺口。", 6)))
	}
	env.withPublicNeeds(needs...)
	b := newBrowser(env)
	var report strings.Builder
	report.WriteString("| page | HTML | CSS + JS | total | budget |\n|---|---|---|---|---|\n")
	for _, path := range []string{"/", "/needs", "/needs/" + needs[0].ID, "/login"} {
		r := b.do(http.MethodGet, path, nil)
		if r.Code != 200 {
			t.Fatalf("%s: %d", path, r.Code)
		}
		html := r.Body.Len()
		assets := 0
		for _, m := range assetRe.FindAllStringSubmatch(r.Body.String(), -1) {
			a := b.do(http.MethodGet, m[1], nil)
			if a.Code != 200 {
				t.Fatalf("%s: %d", m[1], a.Code)
			}
			assets += a.Body.Len()
		}
		total := html + assets
		fmt.Fprintf(&report, "| `%s` | %.1f KB | %.1f KB | %.1f KB | %d KB |\n", path, kb(html), kb(assets), kb(total), firstLoadBudget/1024)
		if total > firstLoadBudget {
			t.Errorf("%s weighs %.1f KB on first load, budget %d KB", path, kb(total), firstLoadBudget/1024)
		}
	}
	if f := os.Getenv("JIUJINAN_WEIGHT_REPORT"); f != "" {
		if err := os.WriteFile(f, []byte(report.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func kb(n int) float64 { return float64(n) / 1024 }
