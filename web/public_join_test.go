package web

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace/gormstore/needfixture"
)

// mentions returns the parts of a public answer that mention id: for a
// JSON answer every object (at any depth) whose own fields hold it, else
// the answer whole; for a page every table row and list item that holds
// it, else the page whole if it does.
func mentions(body []byte, id string) []string {
	var v any
	if json.Unmarshal(body, &v) == nil {
		var out []string
		var walk func(any)
		walk = func(x any) {
			switch x := x.(type) {
			case map[string]any:
				b, _ := json.Marshal(x)
				own := false
				for _, f := range x {
					if s, ok := f.(string); ok && strings.Contains(s, id) {
						own = true
					}
					if l, ok := f.([]any); ok {
						for _, e := range l {
							if s, ok := e.(string); ok && strings.Contains(s, id) {
								own = true
							}
						}
					}
				}
				if own {
					out = append(out, string(b))
				}
				for _, f := range x {
					walk(f)
				}
			case []any:
				for _, f := range x {
					walk(f)
				}
			}
		}
		walk(v)
		return out
	}
	s := string(body)
	if !strings.Contains(s, id) {
		return nil
	}
	var out []string
	for _, re := range []*regexp.Regexp{regexp.MustCompile(`(?s)<tr>.*?</tr>`), regexp.MustCompile(`(?s)<li>.*?</li>`)} {
		for _, m := range re.FindAllString(s, -1) {
			if strings.Contains(m, id) {
				out = append(out, m)
			}
		}
	}
	if len(out) == 0 {
		out = append(out, s)
	}
	return out
}

// TestNoPublicSurfaceJoinsANeedBelowItsRegion is the property of issue 16:
// for every published need, no public surface that mentions it (its page
// and JSON, the list, the register of disclosures, the fund's books and
// page) names an organization or fund whose region does not cover the
// need's public region, nor a division finer than that region. Needs of
// one county's agency, paid from one county fund, are shown at the county,
// the city, the province and the whole country.
func TestNoPublicSurfaceJoinsANeedBelowItsRegion(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		_, staff := env.user(kernel.RoleFederationStaff, nil)
		fund := env.fundWithBalance(staff, kernel.Restrictions{}, 10_000)
		// A donor gives to the fund; the allocations below draw on their
		// gift, so their 我的捐赠 traces it to the needs.
		donorTok, donor := env.user(kernel.RoleDonor, nil)
		gift, err := env.funds.CreatePledge(ctx, donor, funds.NewPledge{TargetType: funds.TargetFund, TargetID: fund, AmountFen: 1_000_000}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.funds.ConfirmPledge(ctx, staff, gift.PublicID); err != nil {
			t.Fatal(err)
		}
		shownAt := []string{"371725", "371700", "370000", kernel.NationalRegion}
		needs := map[string]string{}
		for _, region := range shownAt {
			id := env.insertNeed(testNeed{public: true})
			if err := needfixture.Set(ctx, env.db.Gorm, id, map[string]any{"public_region_code": region,
				"notice_ends_at": env.now.Load().Add(-time.Hour), "public_org_shown": true}); err != nil {
				t.Fatal(err)
			}
			if _, err := env.funds.Allocate(ctx, staff, funds.KindFund, fund, id, 10_000, nil); err != nil {
				t.Fatalf("allocate to the need shown at %s: %v", region, err)
			}
			needs[id] = region
		}
		// Every organization and fund, with its region; and the divisions
		// the needs are in.
		type named struct{ name, region string }
		var all []named
		for _, o := range env.orgs {
			all = append(all, named{o.Name, o.RegionCode})
		}
		src, err := env.funds.Source(ctx, funds.KindFund, fund)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, named{src.Name, src.OrgRegion})
		places := []named{{"郓城", "371725"}, {"菏泽", "371700"}, {"山东", "370000"}}

		// The fund's own books, register and page are about the fund: a
		// need they mention is beside its name.
		about := map[string]named{"fund books": {src.Name, src.OrgRegion}, "fund disclosures": {src.Name, src.OrgRegion},
			"fund page": {src.Name, src.OrgRegion}, "the fund donor's giving": {src.Name, src.OrgRegion}}
		surfaces := func(id string) map[string][]byte {
			get := func(path string, html bool) []byte {
				var r response
				tok := ""
				if strings.HasPrefix(path, "/api/v1/me/") {
					tok = donorTok
				}
				if html {
					r = env.do(http.MethodGet, path, tok, nil, "Accept", "text/html")
				} else {
					r = env.do(http.MethodGet, path, tok, nil)
				}
				if r.Status != http.StatusOK {
					t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
				}
				return r.Body
			}
			return map[string][]byte{
				"need JSON":        get("/api/v1/needs/"+id, false),
				"need page":        get("/needs/"+id, true),
				"needs list":       get("/api/v1/needs?limit=100", false),
				"disclosures JSON": get("/api/v1/disclosures?limit=500", false),
				"disclosures page": get("/disclosures", true),
				"fund books":       get("/api/v1/funds/"+fund+"/ledger?limit=500", false),
				"fund disclosures": get("/api/v1/disclosures?fund="+fund+"&limit=500", false),
				"fund page":        get("/funds/"+fund, true),
				// Not public, but the donor of a fund is anyone: their
				// traces must not list the fund's needs finer either.
				"the fund donor's giving": get("/api/v1/me/giving", false),
			}
		}
		d := env.srv.Divisions
		for id, region := range needs {
			found := false
			for surface, body := range surfaces(id) {
				for _, m := range mentions(body, id) {
					found = true
					if sub, ok := about[surface]; ok && !d.Contains(sub.region, region) {
						t.Errorf("%s, about %s (%s), mentions the need shown at %s: %.400s", surface, sub.name, sub.region, region, m)
					}
					for _, n := range all {
						if strings.Contains(m, n.name) && !d.Contains(n.region, region) {
							t.Errorf("%s names %s (%s) beside the need shown at %s: %.400s", surface, n.name, n.region, region, m)
						}
					}
					for _, p := range places {
						if strings.Contains(m, p.name) && !d.Contains(p.region, region) {
							t.Errorf("%s names %s beside the need shown at %s: %.400s", surface, p.name, region, m)
						}
					}
				}
			}
			if !found {
				t.Errorf("no public surface mentions the need shown at %s: the test looks at nothing", region)
			}
		}
		// What may be named still is: the need shown at the county names its
		// agency and the fund.
		county := ""
		for id, r := range needs {
			if r == "371725" {
				county = id
			}
		}
		page := string(env.do(http.MethodGet, "/needs/"+county, "", nil, "Accept", "text/html").Body)
		if !strings.Contains(page, env.orgs[kernel.OrgSocialWorkAgency].Name) {
			t.Errorf("the need shown at its agency's county does not name the agency")
		}
		disc := string(env.do(http.MethodGet, "/api/v1/disclosures?limit=500", "", nil).Body)
		if strings.Count(disc, src.Name) != 1 {
			t.Errorf("the register names the fund %d times, want once (the county need's line): %s", strings.Count(disc, src.Name), disc)
		}
	})
}
