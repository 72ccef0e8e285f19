package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/marketplace/gormstore/needfixture"
)

// TestMoneyUnderConcurrency runs hundreds of concurrent requests against one
// fund and one need: donors pledging with retried Idempotency-Keys, staff
// confirming every pledge twice at once, allocations retried with their
// keys, disbursements sent twice. Afterwards every idempotent request took
// effect once, no fund is below zero, no need above its request, and the
// ledger proves.
func TestMoneyUnderConcurrency(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		staff, _ := env.user(kernel.RoleFederationStaff, nil)
		r := env.do("POST", "/api/v1/funds", staff, map[string]any{"name": "助医基金", "namer": "王先生", "purpose": "大病医疗",
			"restrictions": map[string]any{"categories": []string{"medical"}}})
		if r.Status != 201 {
			t.Fatalf("create fund: %d %s", r.Status, r.Body)
		}
		fund := r.JSON(t)["id"].(string)
		past := env.now.Load().Add(-time.Hour)
		base := needfixture.Setup(t, env.db, "社工站")
		const requested = 150_000
		_, ids := base.Insert(t, env.db, needfixture.Need{Status: "notice", NoticeEndsAt: &past, VerifiedCostFen: requested, RegionCode: "371725001"})
		need := ids[0]

		const fundDonors, needDonors, allocators = 30, 15, 45
		donors := make([]string, fundDonors+needDonors)
		for i := range donors {
			donors[i] = quickDonor(t, env)
		}
		var mu sync.Mutex
		pledgeIDs := map[int]map[string]bool{} // donor → pledge ids seen in answers
		refused := map[int]bool{}              // need donors refused because the need was full
		hits := 0
		allocIDs := map[string]bool{}
		disbursed := map[string]int{}
		var wg sync.WaitGroup
		sendTwice := func(n int, f func()) {
			var w sync.WaitGroup
			for range n {
				w.Add(1)
				go func() { defer w.Done(); f() }()
			}
			w.Wait()
		}
		for i, tok := range donors {
			wg.Add(1)
			go func() {
				defer wg.Done()
				target, tid, amount := "fund", fund, 5_000
				if i >= fundDonors {
					target, tid, amount = "need", need, 3_000
				}
				key := fmt.Sprintf("pledge-%d", i)
				var pid string
				for attempt := 0; attempt < 10 && pid == ""; attempt++ {
					sendTwice(3, func() {
						r := env.do("POST", "/api/v1/pledges", tok, map[string]any{"target_type": target, "target_id": tid, "amount_fen": amount}, "Idempotency-Key", key)
						mu.Lock()
						defer mu.Unlock()
						switch r.Status {
						case 201:
							var p pledgeJSON
							_ = json.Unmarshal(r.Body, &p)
							if pledgeIDs[i] == nil {
								pledgeIDs[i] = map[string]bool{}
							}
							pledgeIDs[i][p.ID] = true
							pid = p.ID
							if r.Header.Get("Idempotency-Hit") == "true" {
								hits++
							}
						case 409:
							// A need filled by the allocators meanwhile takes no
							// more pledges; that refusal is an answer too.
							if target == "need" && strings.Contains(string(r.Body), `"code":"ineligible"`) {
								refused[i] = true
							}
						default:
							t.Errorf("pledge: %d %s", r.Status, r.Body)
						}
					})
				}
				if pid == "" {
					mu.Lock()
					defer mu.Unlock()
					if !refused[i] {
						t.Errorf("donor %d: no pledge", i)
					}
					return
				}
				sendTwice(2, func() {
					r := env.do("POST", "/api/v1/pledges/"+pid+"/confirm", staff, nil)
					if r.Status != 200 && r.Status != 409 {
						t.Errorf("confirm: %d %s", r.Status, r.Body)
					}
				})
			}()
		}
		for j := range allocators {
			wg.Add(1)
			go func() {
				defer wg.Done()
				key := fmt.Sprintf("alloc-%d", j)
				var aid string
				for attempt := 0; attempt < 6 && aid == ""; attempt++ {
					sendTwice(2, func() {
						r := env.do("POST", "/api/v1/funds/"+fund+"/allocations", staff, map[string]any{"need_id": need, "amount_fen": 4_000}, "Idempotency-Key", key)
						switch r.Status {
						case 201:
							var a allocationJSON
							_ = json.Unmarshal(r.Body, &a)
							mu.Lock()
							aid = a.ID
							allocIDs[a.ID] = true
							mu.Unlock()
						case 409: // not enough money yet, the need is full, or the twin is running
						default:
							t.Errorf("allocate: %d %s", r.Status, r.Body)
						}
					})
					time.Sleep(2 * time.Millisecond)
				}
				if aid == "" {
					return
				}
				sendTwice(2, func() {
					r := env.do("POST", "/api/v1/allocations/"+aid+"/disburse", staff, map[string]any{"payee_type": "provider",
						"payee_name": "郓城县人民医院", "reference": "INV-" + aid[:8]}, "Idempotency-Key", "disburse-"+aid)
					if r.Status >= 500 {
						t.Errorf("disburse: %d %s", r.Status, r.Body)
					}
					if r.Status == 200 {
						mu.Lock()
						if r.Header.Get("Idempotency-Hit") != "true" {
							disbursed[aid]++
						}
						mu.Unlock()
					} else if r.Status != 409 {
						t.Errorf("disburse: %d %s", r.Status, r.Body)
					}
				})
			}()
		}
		wg.Wait()
		if t.Failed() {
			for _, l := range strings.Split(env.logs.String(), "\n") {
				if strings.Contains(l, "level=ERROR") {
					t.Log(l)
				}
			}
		}

		for i, seen := range pledgeIDs {
			if len(seen) != 1 {
				t.Errorf("donor %d: answers named %d pledges", i, len(seen))
			}
		}
		var pledges, confirmed int64
		env.db.Gorm.Raw("SELECT COUNT(*) FROM pledges").Scan(&pledges)
		env.db.Gorm.Raw("SELECT COUNT(*) FROM pledges WHERE status = 'confirmed'").Scan(&confirmed)
		if pledges != int64(len(donors)-len(refused)) || confirmed != pledges {
			t.Errorf("%d pledges, %d confirmed, %d refused (the need was full); want %d pledges and as many confirmed", pledges, confirmed, len(refused), len(donors)-len(refused))
		}
		var allocs, disbTx int64
		env.db.Gorm.Raw("SELECT COUNT(*) FROM allocations").Scan(&allocs)
		env.db.Gorm.Raw("SELECT COUNT(*) FROM ledger_transactions WHERE kind = 'disbursement'").Scan(&disbTx)
		if allocs != int64(len(allocIDs)) {
			t.Errorf("%d allocation rows, %d allocations answered", allocs, len(allocIDs))
		}
		for id, n := range disbursed {
			if n != 1 {
				t.Errorf("allocation %s disbursed %d times", id, n)
			}
		}
		if disbTx != int64(len(disbursed)) {
			t.Errorf("%d disbursement transactions for %d disbursed allocations", disbTx, len(disbursed))
		}
		var n struct{ FundedFen, RequestedFen, DisbursedFen int64 }
		env.db.Gorm.Raw("SELECT funded_fen, requested_fen, disbursed_fen FROM needs WHERE public_id = ?", need).Scan(&n)
		if n.FundedFen > n.RequestedFen || n.DisbursedFen > n.FundedFen {
			t.Errorf("need funded %d disbursed %d of %d", n.FundedFen, n.DisbursedFen, n.RequestedFen)
		}
		r = env.do("GET", "/api/v1/funds/"+fund, "", nil)
		bal := int64(r.JSON(t)["balance_fen"].(float64))
		if want := int64(fundDonors*5_000) - allocs*4_000; bal != want || bal < 0 {
			t.Errorf("fund balance %d, want %d", bal, want)
		}
		problems, facts, err := env.funds.VerifyLedger(context.Background())
		if err != nil || len(problems) > 0 {
			t.Fatalf("ledger: %v %v", problems, err)
		}
		t.Logf("%d pledges, %d idempotent replays, %d allocations, %d disbursements, need %d/%d, %d transactions",
			pledges, hits, allocs, len(disbursed), n.FundedFen, n.RequestedFen, facts.Transactions)
		_ = http.StatusOK
	})
}

// quickDonor creates a donor without the cost of hashing a password (the
// account only ever uses tokens) and returns a token for them.
func quickDonor(t *testing.T, env *testEnv) string {
	t.Helper()
	id := testID()
	u := &kernel.User{PublicID: id, Email: id + "@donor.example", PasswordHash: "x", DisplayName: "捐赠人", CreatedAt: *env.now.Load()}
	if err := env.store.CreateUser(context.Background(), u, []kernel.Membership{{Role: kernel.RoleDonor}},
		marketplace.AuditEntry{Stream: "accounts", At: u.CreatedAt, Actor: id, Action: "user.register", ObjectType: "user", ObjectID: id}); err != nil {
		t.Fatal(err)
	}
	tok, _, err := env.srv.Tokens.Issue(id, []string{"donor"}, testID())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
