package web

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// TestNeedUpdatesOnlyForItsBackers: a need's progress updates are read by
// its own social workers, the covering verifier, donors with a confirmed
// pledge to it and volunteers with an approved claim on it; other signed-in
// users get 404 (403 for roles that never read updates), anonymous 401.
func TestNeedUpdatesOnlyForItsBackers(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		worker, wp := env.user(kernel.RoleSocialWorker, nil)
		verifier, vp := env.user(kernel.RoleVerifier, nil)
		id := env.createNeed(worker, needBody())
		env.clearAndPublish(id, worker, verifier)
		env.advance(121 * time.Hour) // open: pledges and claims accepted
		worker, verifier = env.token(wp), env.token(vp)
		if r := env.do("POST", "/api/v1/needs/"+id+"/updates", worker, map[string]any{"text": "已完成第一次透析"}); r.Status != http.StatusCreated {
			t.Fatalf("update: %d %s", r.Status, r.Body)
		}
		donor, _ := env.user(kernel.RoleDonor, nil)
		otherDonor, _ := env.user(kernel.RoleDonor, nil)
		pendingDonor, _ := env.user(kernel.RoleDonor, nil)
		volunteer, _, vid := env.volunteerWith(t, "hospital_escort")
		env.clear(t, vid)
		otherVolunteer, _, _ := env.volunteerWith(t, "hospital_escort")
		otherWorker, _ := env.user(kernel.RoleSocialWorker, env.orgs[kernel.OrgCharity])
		staff, _ := env.user(kernel.RoleFederationStaff, nil)
		admin, _ := env.user(kernel.RoleAdmin, nil)
		read := func(token string) int { return env.do("GET", "/api/v1/needs/"+id+"/updates", token, nil).Status }

		for name, tok := range map[string]string{"donor": donor, "volunteer": volunteer} {
			if st := read(tok); st != http.StatusNotFound {
				t.Errorf("%s before giving or serving: %d, want 404", name, st)
			}
		}
		pledge := func(tok, key string) string {
			r := env.do("POST", "/api/v1/pledges", tok, map[string]any{"target_type": "need", "target_id": id, "amount_fen": 50_000}, "Idempotency-Key", key)
			if r.Status != http.StatusCreated {
				t.Fatalf("pledge: %d %s", r.Status, r.Body)
			}
			return r.JSON(t)["id"].(string)
		}
		p := pledge(donor, "give-1")
		pledge(pendingDonor, "give-2") // never confirmed
		if r := env.do("POST", "/api/v1/pledges/"+p+"/confirm", staff, nil); r.Status != 200 {
			t.Fatalf("confirm: %d %s", r.Status, r.Body)
		}
		r := env.do("POST", "/api/v1/needs/"+id+"/claims", volunteer, map[string]any{"service": "hospital_escort", "window_days": 7})
		if r.Status != http.StatusCreated {
			t.Fatalf("claim: %d %s", r.Status, r.Body)
		}
		if r := env.do("POST", "/api/v1/claims/"+r.JSON(t)["id"].(string)+"/approve", worker, nil); r.Status != 200 {
			t.Fatalf("approve: %d %s", r.Status, r.Body)
		}
		// A pending claim is not enough.
		if r := env.do("POST", "/api/v1/needs/"+id+"/claims", otherVolunteer, map[string]any{"service": "hospital_escort", "window_days": 7}); r.Status != http.StatusCreated {
			t.Fatalf("second claim: %d %s", r.Status, r.Body)
		}

		for _, tc := range []struct {
			who   string
			token string
			want  int
		}{
			{"posting social worker", worker, 200},
			{"covering verifier", verifier, 200},
			{"donor with a confirmed pledge", donor, 200},
			{"volunteer with an approved claim", volunteer, 200},
			{"donor who gave nothing", otherDonor, 404},
			{"donor whose pledge is unpaid", pendingDonor, 404},
			{"volunteer with a pending claim", otherVolunteer, 404},
			{"social worker of another organization", otherWorker, 404},
			{"federation staff of another organization", staff, 404},
			{"admin", admin, 403},
			{"anonymous", "", 401},
		} {
			r := env.do("GET", "/api/v1/needs/"+id+"/updates", tc.token, nil)
			if r.Status != tc.want {
				t.Errorf("%s: %d, want %d (%s)", tc.who, r.Status, tc.want, r.Body)
				continue
			}
			// The need's page shows the updates to the same readers only.
			b := newBrowser(env)
			if tc.token != "" {
				b.cookies[SessionCookie] = &http.Cookie{Name: SessionCookie, Value: tc.token}
			}
			if page := b.do(http.MethodGet, "/needs/"+id, nil); page.Code != 200 {
				t.Errorf("%s: need page %d", tc.who, page.Code)
			} else if shown := strings.Contains(page.Body.String(), "已完成第一次透析"); shown != (tc.want == 200) {
				t.Errorf("%s: need page shows the update: %v, want %v", tc.who, shown, tc.want == 200)
			}
			if tc.want == 200 {
				if items := r.JSON(t)["items"].([]any); len(items) != 1 || items[0].(map[string]any)["text"] != "已完成第一次透析" {
					t.Errorf("%s reads %s", tc.who, r.Body)
				}
			}
		}
	})
}
