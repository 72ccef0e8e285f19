package web

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/marketplace"
)

// TestNoPageShowsAnIdentityToTheUnentitled walks every page as every kind
// of user: the household's name, ID number, phone and address appear only
// to the posting organization's social workers and the covering verifiers,
// and another organization's private list never shows the need.
func TestNoPageShowsAnIdentityToTheUnentitled(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		wtok, worker := env.user(kernel.RoleSocialWorker, nil)
		vtok, _ := env.user(kernel.RoleVerifier, nil)
		needID := env.createNeed(wtok, needBody())
		env.clearAndPublish(needID, wtok, vtok)
		second := env.createNeed(wtok, needBody()) // still submitted: private to its readers
		env.advance(121 * time.Hour)
		if _, err := env.indexer.Drain(t.Context()); err != nil {
			t.Fatal(err)
		}
		secrets := []string{"张建华", "王秀英", "张小明", idNumber("371725", "19800315", "123"), "13812345678", "李庄村"}
		pages := []string{"/", "/needs", "/needs/" + needID, "/needs/" + second, "/staff/needs/" + needID, "/staff/needs/" + second,
			"/staff/money/" + needID, "/worker/needs", "/verify", "/verify/review", "/verify/referrals", "/disclosures", "/funds",
			"/my/giving", "/volunteer", "/audit", "/audit/log", "/audit/ledger", "/audit/log?format=csv", "/audit/ledger?format=csv", "/report", "/report/status"}

		login := func(p *kernel.Principal) *browser { b := newBrowser(env); b.login(p); return b }
		_, otherWorker := env.user(kernel.RoleSocialWorker, env.orgs[kernel.OrgCharity])
		_, otherVerifier := env.user(kernel.RoleVerifier, mustOrg(t, env, "隆回县民政局", kernel.OrgCivilAffairs, "430524"))
		users := map[string]*browser{"anonymous": newBrowser(env), "other organization's worker": login(otherWorker),
			"verifier of another county": login(otherVerifier)}
		for _, role := range []kernel.Role{kernel.RoleDonor, kernel.RoleVolunteer, kernel.RoleFederationStaff, kernel.RoleAuditor, kernel.RoleAdmin} {
			_, p := env.user(role, nil)
			users[string(role)] = login(p)
		}
		for who, b := range users {
			for _, path := range pages {
				body := b.do(http.MethodGet, path, nil).Body.String()
				for _, s := range secrets {
					if strings.Contains(body, s) {
						t.Errorf("%s sees %q on %s", who, s, path)
					}
				}
			}
			if body := b.do(http.MethodGet, "/worker/needs", nil).Body.String(); strings.Contains(body, second) {
				t.Errorf("%s sees the unpublished need in a private list", who)
			}
		}
		// The entitled do see it (the check above can fail).
		_, verifier := env.user(kernel.RoleVerifier, nil)
		for who, p := range map[string]*kernel.Principal{"posting worker": worker, "covering verifier": verifier} {
			if body := login(p).do(http.MethodGet, "/staff/needs/"+second, nil).Body.String(); !strings.Contains(body, "张建华") {
				t.Errorf("the %s does not see the household", who)
			}
		}
	})
}

// mustOrg creates an organization.
func mustOrg(t *testing.T, env *testEnv, name string, kind kernel.OrgKind, region string) *kernel.Org {
	t.Helper()
	o, err := env.accounts.CreateOrg(t.Context(), env.admin, marketplace.NewOrg{Name: name, Kind: kind, RegionCode: region})
	if err != nil {
		t.Fatal(err)
	}
	return o
}
