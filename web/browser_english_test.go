package web

import (
	"regexp"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/jiujinan/jiujinan/kernel"
)

// TestBrowserEveryRoleInEnglish: each role switches the pages to English
// with the button every page has, and every page of its path is in English
// as the browser renders it: lang="en", a heading, and no message id of
// the catalogue showing where its text should be.
func TestBrowserEveryRoleInEnglish(t *testing.T) {
	raw, err := catalogFS.ReadFile("i18n/active.en.toml")
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]any{}
	if err := toml.Unmarshal(raw, &keys); err != nil {
		t.Fatal(err)
	}
	env := newTestEnv(t, mustSQLite(t))
	withPayments(t, env)
	s := newSite(t, env)
	env.insertNeed(testNeed{public: true})
	paths := map[kernel.Role][]string{
		kernel.RoleDonor:           {"/", "/needs", "/my/giving", "/funds", "/disclosures", "/report"},
		kernel.RoleVolunteer:       {"/volunteer"},
		kernel.RoleSocialWorker:    {"/worker/needs", "/worker/needs/new", "/worker/claims", "/worker/reports"},
		kernel.RoleVerifier:        {"/verify", "/verify/review", "/verify/imports", "/verify/objections", "/verify/referrals", "/verify/charity-aid", "/stats", "/verify/notices"},
		kernel.RoleFederationStaff: {"/staff", "/staff/pledges", "/staff/reconcile", "/staff/org", "/staff/volunteers", "/staff/sources/new", "/staff/payouts", "/stats", "/staff/counties"},
		kernel.RoleAuditor:         {"/audit", "/audit/log", "/audit/ledger", "/stats"},
		kernel.RoleAdmin:           {"/admin"},
	}
	idRe := regexp.MustCompile(`\b[a-z]+(_[a-z0-9]+)+\b`)
	for _, role := range kernel.Roles {
		list, ok := paths[role]
		if !ok {
			continue
		}
		_, p := env.user(role, nil)
		b := s.tab(t)
		b.login(p.User.Email, "password-"+string(role))
		b.click(`form[action="/prefs"] input[name="lang"][value="en"] ~ button`)
		b.waitJS(`document.documentElement.lang === "en"`)
		for _, path := range list {
			b.open(path)
			if lang := evalIn[string](b, `document.documentElement.lang`); lang != "en" {
				t.Errorf("%s %s: lang %q", role, path, lang)
			}
			if h := strings.TrimSpace(b.text("h1")); h == "" {
				t.Errorf("%s %s: no heading", role, path)
			}
			text := evalIn[string](b, `document.body.innerText`)
			for _, id := range idRe.FindAllString(text, -1) {
				if _, isKey := keys[id]; isKey {
					t.Errorf("%s %s shows the message id %q instead of its text", role, path, id)
				}
			}
		}
	}
}
