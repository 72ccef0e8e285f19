package web

import (
	"net/http"
	"sync"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
)

// TestNeedTransitionsRaceToOneWinner: two verifiers deciding the same need
// at once, or two workers publishing it, produce exactly one transition; the
// other gets 409 and the audit chain has one entry for it.
func TestNeedTransitionsRaceToOneWinner(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		worker, _ := env.user(kernel.RoleSocialWorker, nil)
		worker2, _ := env.user(kernel.RoleSocialWorker, nil)
		v1, _ := env.user(kernel.RoleVerifier, nil)
		v2, _ := env.user(kernel.RoleVerifier, nil)
		for round := 0; round < 3; round++ {
			id := env.createNeed(worker, needBody())
			race := func(calls ...func() response) []int {
				var wg sync.WaitGroup
				out := make([]int, len(calls))
				for i, c := range calls {
					wg.Add(1)
					go func() { defer wg.Done(); out[i] = c().Status }()
				}
				wg.Wait()
				return out
			}
			st := race(
				func() response {
					return env.do("POST", "/api/v1/needs/"+id+"/clearance", v1, map[string]any{"decision": "cleared"})
				},
				func() response {
					return env.do("POST", "/api/v1/needs/"+id+"/clearance", v2, map[string]any{"decision": "rejected", "note": "不符合条件"})
				},
			)
			if !(st[0] == 200 && st[1] == http.StatusConflict) && !(st[0] == http.StatusConflict && st[1] == 200) {
				t.Fatalf("round %d: clearance statuses %v, want one 200 and one 409", round, st)
			}
			if st[0] == 200 {
				st = race(
					func() response { return env.do("POST", "/api/v1/needs/"+id+"/publish", worker, nil) },
					func() response { return env.do("POST", "/api/v1/needs/"+id+"/publish", worker2, nil) },
				)
				if !(st[0] == 200 && st[1] == http.StatusConflict) && !(st[0] == http.StatusConflict && st[1] == 200) {
					t.Fatalf("round %d: publish statuses %v, want one 200 and one 409", round, st)
				}
			}
			var clearances, publishes int64
			env.db.Gorm.Raw("SELECT COUNT(*) FROM audit_log WHERE stream = ? AND action = 'need.clearance'", "need:"+id).Scan(&clearances)
			env.db.Gorm.Raw("SELECT COUNT(*) FROM audit_log WHERE stream = ? AND action = 'need.publish'", "need:"+id).Scan(&publishes)
			if clearances != 1 || publishes > 1 {
				t.Errorf("round %d: %d clearance and %d publish entries", round, clearances, publishes)
			}
		}
	})
}
