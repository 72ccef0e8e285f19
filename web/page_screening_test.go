package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
)

func TestScreeningPages(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		// Two charities ask for the same hospital stay of the same person; the
		// state paid part of it, and the other charity's money is already
		// above what charity may give: the need's own screening blocks.
		needID := env.postNeed(screenedNeed{idNumber: screeningIDNumber, from: "2026-10-01", to: "2026-10-31", cost: 1_000_000, stat: 100_000, req: 900_000})
		env.postNeed(screenedNeed{org: env.orgs[kernel.OrgCharity], idNumber: screeningIDNumber, status: kernel.NeedOpen,
			from: "2026-10-15", to: "2026-11-15", cost: 1_000_000, stat: 100_000, req: 1_000_000, fund: 900_001})
		env.statutoryPayment(screeningIDNumber, kernel.ProgMedical, 100_000, "2026-10-31", "2026-10-31")
		if s, err := env.screening.Screen(context.Background(), needID, kernel.StageClear, 0); err != nil || s.Result != kernel.ScreenBlock {
			t.Fatalf("the need's own screening: %+v %v", s, err)
		}
		_, verifier := env.user(kernel.RoleVerifier, nil)
		v := newBrowser(env)
		v.login(verifier)

		q := v.do(http.MethodGet, "/verify/review", nil)
		body := q.Body.String()
		if q.Code != 200 || !strings.Contains(body, needID) || !strings.Contains(body, "多家慈善重复救助") || !strings.Contains(body, "阻止") || !strings.Contains(body, "医疗救助") {
			t.Fatalf("review queue: %d, lacks the blocked case with its evidence", q.Code)
		}
		if strings.Contains(body, screeningIDNumber) || strings.Contains(body, testPseudonyms.Of(screeningIDNumber)) {
			t.Error("the review queue shows an identity")
		}
		// A need not public is named generically, never by its raw id (issue 17).
		if !strings.Contains(body, `<a href="/staff/needs/`+needID+`">一户求助家庭</a>`) || strings.Contains(body, ">"+needID+"<") {
			t.Error("the review queue does not name the need by a title")
		}
		m := regexp.MustCompile(`action="/verify/review/([^"]+)"`).FindStringSubmatch(body)
		if m == nil {
			t.Fatal("no decision form")
		}
		if r := v.form("/verify/review/"+m[1], url.Values{"decision": {"override"}, "reason": {"短"}}); r.Code != http.StatusBadRequest {
			t.Errorf("an override without a real reason: %d", r.Code)
		}
		if r := v.form("/verify/review/"+m[1], url.Values{"decision": {"uphold"}}); r.Code != http.StatusSeeOther {
			t.Fatalf("decide: %d", r.Code)
		}
		if body := v.do(http.MethodGet, "/verify/review", nil).Body.String(); strings.Contains(body, needID) {
			t.Error("a decided case stays in the queue")
		}
		if r := v.do(http.MethodGet, "/verify/referrals", nil); r.Code != 200 {
			t.Errorf("referrals: %d", r.Code)
		}
		for _, role := range []kernel.Role{kernel.RoleDonor, kernel.RoleSocialWorker, kernel.RoleFederationStaff} {
			if r := signedIn(env, role).do(http.MethodGet, "/verify/review", nil); r.Code != http.StatusForbidden {
				t.Errorf("%s sees the review queue: %d", role, r.Code)
			}
		}
	})
}
