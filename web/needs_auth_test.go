package web

import (
	"context"
	"net/http"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/marketplace"
)

// newOrg creates another organization for authorization tests.
func (env *testEnv) newOrg(kind kernel.OrgKind, region string) *kernel.Org {
	env.t.Helper()
	o, err := env.accounts.CreateOrg(context.Background(), env.admin, marketplace.NewOrg{Name: "其他" + string(kind) + region, Kind: kind, RegionCode: region})
	if err != nil {
		env.t.Fatal(err)
	}
	return o
}

// TestNeedObjectAuthorization: a need's private record and its transitions
// are closed to everyone but the posting organization and the verifiers
// covering its region, whatever role they hold elsewhere.
func TestNeedObjectAuthorization(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		worker, _ := env.user(kernel.RoleSocialWorker, nil)
		verifier, _ := env.user(kernel.RoleVerifier, nil)
		otherWorker, _ := env.user(kernel.RoleSocialWorker, env.newOrg(kernel.OrgSocialWorkAgency, "371725"))
		farVerifier, _ := env.user(kernel.RoleVerifier, env.newOrg(kernel.OrgCivilAffairs, "430524"))
		// A provincial civil affairs office covers the county: 370000 is a prefix-ancestor of 371725.
		provVerifier, _ := env.user(kernel.RoleVerifier, env.newOrg(kernel.OrgCivilAffairs, "370000"))
		donor, _ := env.user(kernel.RoleDonor, nil)
		volunteer, _ := env.user(kernel.RoleVolunteer, nil)
		staff, _ := env.user(kernel.RoleFederationStaff, nil) // another organization than the poster's
		submitted := env.createNeed(worker, needBody())

		outsiders := map[string]string{"other org's social worker": otherWorker, "verifier of another county": farVerifier,
			"donor": donor, "volunteer": volunteer, "federation staff of another org": staff, "anonymous": ""}
		calls := []struct {
			name, method, path string
			body               any
		}{
			{"private", "GET", "/private", nil},
			{"preview", "GET", "/preview", nil},
			{"clear", "POST", "/clearance", map[string]any{"decision": "cleared"}},
			{"publish", "POST", "/publish", nil},
			{"withdraw", "POST", "/withdraw", map[string]any{"note": "x"}},
			{"objections list", "GET", "/objections", nil},
			{"update", "POST", "/updates", map[string]any{"text": "进展"}},
			{"confirm", "POST", "/confirm-still-needed", nil},
		}
		for who, tok := range outsiders {
			for _, c := range calls {
				r := env.do(c.method, "/api/v1/needs/"+submitted+c.path, tok, c.body)
				want := map[int]bool{http.StatusForbidden: true, http.StatusNotFound: true}
				if tok == "" {
					want = map[int]bool{http.StatusUnauthorized: true}
				}
				if !want[r.Status] {
					t.Errorf("%s %s: %d %s", who, c.name, r.Status, r.Body)
				}
			}
		}
		// Nothing changed.
		if r := env.do("GET", "/api/v1/needs/"+submitted+"/private", worker, nil); r.JSON(t)["status"] != "submitted" {
			t.Fatalf("need changed by outsiders: %s", r.Body)
		}
		// The poster may not clear its own need; the verifier may read but not withdraw.
		if r := env.do("POST", "/api/v1/needs/"+submitted+"/clearance", worker, map[string]any{"decision": "cleared"}); r.Status != http.StatusForbidden {
			t.Errorf("worker clears: %d", r.Status)
		}
		if r := env.do("GET", "/api/v1/needs/"+submitted+"/private", verifier, nil); r.Status != 200 {
			t.Errorf("covering verifier reads private: %d", r.Status)
		}
		if r := env.do("GET", "/api/v1/needs/"+submitted+"/private", provVerifier, nil); r.Status != 200 {
			t.Errorf("provincial verifier reads private: %d", r.Status)
		}
		if r := env.do("POST", "/api/v1/needs/"+submitted+"/withdraw", verifier, map[string]any{}); r.Status != http.StatusForbidden {
			t.Errorf("verifier withdraws: %d", r.Status)
		}
		// Objections are resolved only by a covering verifier.
		id := env.createNeed(worker, needBody())
		env.clearAndPublish(id, worker, verifier)
		o := env.do("POST", "/api/v1/needs/"+id+"/objections", "", map[string]any{"text": "此户有人在外地做生意，收入较高", "anonymous": true})
		if o.Status != http.StatusCreated {
			t.Fatalf("objection: %d %s", o.Status, o.Body)
		}
		oid := o.JSON(t)["id"].(string)
		for who, tok := range map[string]string{"far verifier": farVerifier, "worker": worker, "donor": donor} {
			r := env.do("POST", "/api/v1/needs/"+id+"/objections/"+oid+"/resolve", tok, map[string]any{"decision": "dismissed"})
			if r.Status != http.StatusForbidden && r.Status != http.StatusNotFound {
				t.Errorf("%s resolves: %d", who, r.Status)
			}
		}
		// Private lists show only one's own organization's needs.
		if r := env.do("GET", "/api/v1/orgs/me/needs", otherWorker, nil); r.JSON(t)["total"] != float64(0) {
			t.Errorf("other org lists needs: %s", r.Body)
		}
		if r := env.do("GET", "/api/v1/clearance-queue", farVerifier, nil); r.JSON(t)["total"] != float64(0) {
			t.Errorf("far verifier's queue: %s", r.Body)
		}
		if r := env.do("GET", "/api/v1/clearance-queue", provVerifier, nil); r.JSON(t)["total"] != float64(1) {
			t.Errorf("provincial verifier's queue: %s", r.Body)
		}
	})
}
