package web

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
)

// The posting organization is a quasi-identifier: a published need names
// it only when at least k (5) published needs of its cell (public region ×
// category × age band) were posted by it. Five needs of one agency in one
// county: the fifth is shown at the county and names the agency (the
// first four were shown coarser, where a county agency is never named); a
// sixth need of the cell from another agency of the county is shown at the
// county too, but names no agency.
func TestTheOrganizationIsNamedOnlyAmongKOfItsOwnNeeds(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		worker, _ := env.user(kernel.RoleSocialWorker, nil)
		verifier, _ := env.user(kernel.RoleVerifier, nil)
		otherOrg, err := env.srv.Accounts.CreateOrg(t.Context(), env.admin,
			marketplace.NewOrg{Name: "郓城县春晖社会工作服务中心", Kind: kernel.OrgSocialWorkAgency, RegionCode: "371725"})
		if err != nil {
			t.Fatal(err)
		}
		otherWorker, _ := env.user(kernel.RoleSocialWorker, otherOrg)
		publish := func(tok string, seq int) map[string]any {
			body := needBody()
			ben := body["beneficiary"].(map[string]any)
			ben["id_number"] = idNumber("371725", "19800315", fmt.Sprintf("%03d", 100+seq))
			ben["members"] = []map[string]any{}
			id := env.createNeed(tok, body)
			env.clearAndPublish(id, tok, verifier)
			r := env.do(http.MethodGet, "/api/v1/needs/"+id, "", nil)
			if r.Status != http.StatusOK {
				t.Fatalf("public need: %d %s", r.Status, r.Body)
			}
			return r.JSON(t)
		}
		agency := env.orgs[kernel.OrgSocialWorkAgency].Name
		for i := 1; i <= 5; i++ {
			n := publish(worker, i)
			named := n["org_name"] == agency
			if i < 5 && (named || n["region_code"] == "371725") {
				t.Errorf("need %d: shown at %v naming %q, want coarser and unnamed", i, n["region_code"], n["org_name"])
			}
			if i == 5 && (!named || n["region_code"] != "371725") {
				t.Errorf("the fifth need: shown at %v naming %q, want the county and %s", n["region_code"], n["org_name"], agency)
			}
		}
		n := publish(otherWorker, 6)
		if n["region_code"] != "371725" || n["org_name"] != "" || n["org_kind"] != "social_work_agency" {
			t.Errorf("the other agency's need: shown at %v naming %q (%v)", n["region_code"], n["org_name"], n["org_kind"])
		}
	})
}
