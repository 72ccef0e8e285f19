package web

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// TestNeedPastDeadlineShowsExpired: an open need whose deadline passed
// before it was fully funded (the rule funds refuses pledges by) shows as
// expired at once, without a reindex: not listed as open (nor by default),
// listed by status=expired, expired in GET /needs/{id}, and its page has no
// pledge form but says the deadline passed and donors' money is offered
// back to them.
func TestNeedPastDeadlineShowsExpired(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		f := newBrowseFixture(t, env)
		_, donorP := env.user(kernel.RoleDonor, nil)
		donor := newBrowser(env)
		donor.login(donorP)
		if _, got := f.list(t, "status=open"); !slices.Contains(got, "leukemia") {
			t.Fatalf("leukemia not open before its deadline: %v", got)
		}
		if page := donor.do(http.MethodGet, "/needs/"+f.ids["leukemia"], nil).Body.String(); !strings.Contains(page, "pledge-form") {
			t.Fatalf("no pledge form before the deadline")
		}
		env.advance(2*24*time.Hour + time.Minute) // leukemia's deadline (2 days) passed, 100,000 of 900,000 fen funded
		if _, got := f.list(t, "status=open"); slices.Contains(got, "leukemia") || !slices.Contains(got, "chemo") {
			t.Errorf("status=open after leukemia's deadline: %v", got)
		}
		if _, got := f.list(t, ""); slices.Contains(got, "leukemia") {
			t.Errorf("default listing shows the expired need: %v", got)
		}
		b, got := f.list(t, "status=expired")
		if !slices.Equal(got, []string{"leukemia"}) || b.Items[0].Status != kernel.NeedExpired {
			t.Errorf("status=expired: %v %+v", got, b.Items)
		}
		if m := env.do(http.MethodGet, "/api/v1/needs/"+f.ids["leukemia"], "", nil).JSON(t); m["status"] != "expired" {
			t.Errorf("GET: status %v, want expired", m["status"])
		}
		if m := env.do(http.MethodGet, "/api/v1/needs/"+f.ids["chemo"], "", nil).JSON(t); m["status"] != "open" {
			t.Errorf("GET chemo: status %v, want open", m["status"])
		}
		donor = newBrowser(env) // the first session is two days old
		donor.login(donorP)
		page := donor.do(http.MethodGet, "/needs/"+f.ids["leukemia"], nil).Body.String()
		if strings.Contains(page, "pledge-form") || strings.Contains(page, `action="/pledge"`) {
			t.Errorf("the expired need's page offers a pledge form")
		}
		for _, want := range []string{"已截止", `id="need-ended"`, "去向"} {
			if !strings.Contains(page, want) {
				t.Errorf("the expired need's page lacks %q", want)
			}
		}
		if page := donor.do(http.MethodGet, "/needs/"+f.ids["chemo"], nil).Body.String(); !strings.Contains(page, "pledge-form") || strings.Contains(page, `id="need-ended"`) {
			t.Errorf("the open need's page changed")
		}
	})
}
