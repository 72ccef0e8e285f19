package web

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/kernel"
)

// barrierScreener holds the first n screenings at the allocate stage until
// all n have run, so that n allocations screen on the same picture before
// any of them commits: the race the allocation's transaction must close.
type barrierScreener struct {
	inner funds.Screener
	mu    sync.Mutex
	left  int
	all   chan struct{}
}

func newBarrierScreener(inner funds.Screener, n int) *barrierScreener {
	return &barrierScreener{inner: inner, left: n, all: make(chan struct{})}
}

func (b *barrierScreener) Screen(ctx context.Context, need string, st kernel.ScreeningStage, amt int64) (*kernel.Screening, error) {
	s, err := b.inner.Screen(ctx, need, st, amt)
	if st != kernel.StageAllocate {
		return s, err
	}
	b.mu.Lock()
	wait := b.left > 0
	if wait {
		if b.left--; b.left == 0 {
			close(b.all)
		}
	}
	b.mu.Unlock()
	if wait {
		<-b.all
	}
	return s, err
}

// interleavingScreener runs then, once, right after the first screening at
// stage returns and before the money movement that asked for it goes on:
// what another request for the same need at that moment does (then's own
// screenings pass straight through).
type interleavingScreener struct {
	inner funds.Screener
	stage kernel.ScreeningStage
	done  atomic.Bool
	then  func()
}

func (i *interleavingScreener) Screen(ctx context.Context, need string, st kernel.ScreeningStage, amt int64) (*kernel.Screening, error) {
	s, err := i.inner.Screen(ctx, need, st, amt)
	if st == i.stage && i.done.CompareAndSwap(false, true) {
		i.then()
	}
	return s, err
}

// statutoryPaymentOf records a payment of a completed import for the
// person a need is for.
func (env *testEnv) statutoryPaymentOf(needID string, prog kernel.Programme, fen int64, from, to string) {
	env.t.Helper()
	g := env.db.Gorm
	var n struct{ Pseudonym string }
	if err := g.Raw(`SELECT pseudonym FROM needs WHERE public_id = ?`, needID).Scan(&n).Error; err != nil || n.Pseudonym == "" {
		env.t.Fatalf("need %s: %v", needID, err)
	}
	env.statutoryPaymentFor(n.Pseudonym, prog, fen, from, to)
}

type blockBody struct {
	Error struct {
		Code    string           `json:"code"`
		Details kernel.Screening `json:"details"`
	} `json:"error"`
}

// blockedBy reports whether a 422 answer is a screening block by rule.
func blockedBy(r response, rule string) bool {
	var e blockBody
	if r.Status != http.StatusUnprocessableEntity || json.Unmarshal(r.Body, &e) != nil || e.Error.Code != "screening_block" ||
		e.Error.Details.Result != kernel.ScreenBlock {
		return false
	}
	for _, c := range e.Error.Details.Checks {
		if c.Rule == rule && c.Result == kernel.ScreenBlock {
			return true
		}
	}
	return false
}

// TestSimultaneousAllocationsToOnePersonAndDisbursementRescreen: two needs
// of the same person for the same hospital stay, posted by two
// organizations; two allocations to them screen at the same moment (each
// alone within the cost less statutory relief, together above it):
// exactly one goes through, the other gets 422 with the reasons. The
// refused allocation is the request's, not the need's: it is not in the
// review queue, and an over-amount allocation refused between another
// request's screening and its transaction stops neither a legitimate
// allocation nor a disbursement of the need. Then the statutory record
// shows a payment for the stay after the allocation: the disbursement
// stops with 422 for review.
func TestSimultaneousAllocationsToOnePersonAndDisbursementRescreen(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		env.needs.Screener = env.screening
		id := idNumberWithX(t)
		worker, _ := env.user(kernel.RoleSocialWorker, nil)
		otherWorker, _ := env.user(kernel.RoleSocialWorker, env.orgs[kernel.OrgCharity])
		verifier, _ := env.user(kernel.RoleVerifier, nil)
		// Cost 50,000 yuan − statutory 20,000: 30,000 yuan may come from charity.
		body := needBody()
		body["beneficiary"].(map[string]any)["id_number"] = id
		a := env.createNeed(worker, body)
		body = needBody()
		body["beneficiary"].(map[string]any)["id_number"] = strings.ToLower(id)
		b := env.createNeed(otherWorker, body)
		env.clearAndPublish(a, worker, verifier)
		env.clearAndPublish(b, otherWorker, verifier)
		env.advance(121 * time.Hour)
		staff, staffP := env.user(kernel.RoleFederationStaff, nil)
		verifier, _ = env.user(kernel.RoleVerifier, nil)
		fund := env.fundWithBalance(staffP, kernel.Restrictions{Categories: []kernel.Category{kernel.CatMedical}}, 10_000_000)
		allocate := func(need string, fen int64, key string) response {
			return env.do(http.MethodPost, "/api/v1/funds/"+fund+"/allocations", staff, map[string]any{"need_id": need, "amount_fen": fen}, "Idempotency-Key", key)
		}

		// 20,000 yuan to each, at the same moment: both screenings run
		// before either allocation commits.
		env.funds.Screener = newBarrierScreener(env.screening, 2)
		var wg sync.WaitGroup
		answers := map[string]response{}
		var mu sync.Mutex
		for _, need := range []string{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := allocate(need, 2_000_000, "alloc-"+need)
				mu.Lock()
				answers[need] = r
				mu.Unlock()
			}()
		}
		wg.Wait()
		var won, lost string
		for need, r := range answers {
			switch {
			case r.Status == http.StatusCreated:
				won = need
			case blockedBy(r, string(kernel.RuleOverAllocation)):
				lost = need
			default:
				t.Errorf("allocation to %s: %d %s", need, r.Status, r.Body)
			}
		}
		if won == "" || lost == "" {
			t.Fatalf("want one allocation through and one blocked: %v / %v", won, lost)
		}
		var funded struct{ Sum int64 }
		env.db.Gorm.Raw(`SELECT SUM(funded_fen) AS sum FROM needs WHERE public_id IN (?, ?)`, a, b).Scan(&funded)
		if funded.Sum != 2_000_000 {
			t.Errorf("funded together %d fen, want 2,000,000", funded.Sum)
		}
		refused := decodeInto[blockBody](t, answers[lost]).Error.Details.ID
		// Not in the queue: a refused allocation is no case to review, and
		// the losing need keeps its own screening (no block).
		notQueued := func(refused ...string) {
			t.Helper()
			q := decodeInto[queueBody](t, env.do(http.MethodGet, "/api/v1/review-queue", verifier, nil))
			for _, it := range q.Items {
				if slices.Contains(refused, it.Screening.ID) || it.Screening.Result == "block" {
					t.Errorf("a refused allocation put %s in the review queue: %+v", it.Need.ID, it.Screening)
				}
			}
		}
		notQueued(refused)
		if s := decodeInto[screeningBody](t, env.do(http.MethodGet, "/api/v1/needs/"+lost+"/screening", verifier, nil)); s.ID == refused || s.Result == "block" {
			t.Errorf("the losing need's screening: %+v", s)
		}

		// A legitimate allocation of 5,000 yuan to the winning need while an
		// allocation of 10,000.01 (more than the 10,000 left) to it is
		// refused between the first one's screening and its transaction:
		// the first goes through.
		var over response
		env.funds.Screener = &interleavingScreener{inner: env.screening, stage: kernel.StageAllocate, then: func() {
			over = allocate(won, 1_000_001, "alloc-over-"+won)
		}}
		legit := allocate(won, 500_000, "alloc-more-"+won)
		if legit.Status != http.StatusCreated {
			t.Fatalf("a legitimate allocation while another is refused: %d %s", legit.Status, legit.Body)
		}
		if !blockedBy(over, string(kernel.RuleOverAllocation)) {
			t.Fatalf("the over-amount allocation: %d %s", over.Status, over.Body)
		}
		// Likewise a disbursement while an allocation of 5,000.01 (more than
		// the 5,000 left) is refused.
		alloc := answers[won].JSON(t)["id"].(string)
		env.funds.Screener = &interleavingScreener{inner: env.screening, stage: kernel.StageDisburse, then: func() {
			over = allocate(won, 500_001, "alloc-over-2-"+won)
		}}
		if r := env.do(http.MethodPost, "/api/v1/allocations/"+alloc+"/disburse", staff, map[string]any{"payee_type": "provider",
			"payee_name": "郓城县人民医院", "reference": "INV-20261130"}, "Idempotency-Key", "disburse-"+alloc); r.Status != http.StatusOK {
			t.Fatalf("a disbursement while an allocation is refused: %d %s", r.Status, r.Body)
		}
		if !blockedBy(over, string(kernel.RuleOverAllocation)) {
			t.Fatalf("the second over-amount allocation: %d %s", over.Status, over.Body)
		}
		notQueued(refused, decodeInto[blockBody](t, over).Error.Details.ID)
		env.funds.Screener = env.screening
		if s := decodeInto[screeningBody](t, env.do(http.MethodGet, "/api/v1/needs/"+won+"/screening", verifier, nil)); s.Result == "block" {
			t.Errorf("the winning need's screening after refused allocations: %+v", s)
		}
		alloc = legit.JSON(t)["id"].(string)

		// The provincial export of the next month shows 35,000 yuan of
		// medical relief for the stay: charity may now pay 15,000 at most,
		// and the need holds 25,000. Disbursing the 5,000 still allocated
		// stops for review.
		env.statutoryPaymentOf(won, kernel.ProgMedical, 3_500_000, "2026-12-01", "2026-12-31")
		r := env.do(http.MethodPost, "/api/v1/allocations/"+alloc+"/disburse", staff, map[string]any{"payee_type": "provider",
			"payee_name": "郓城县人民医院", "reference": "INV-20261201"}, "Idempotency-Key", "disburse-"+alloc)
		if !blockedBy(r, string(kernel.RuleOverAllocation)) || !blockedBy(r, string(kernel.RuleStatutoryOverlap)) {
			t.Fatalf("disbursement after the statutory payment: %d %s", r.Status, r.Body)
		}
		var e blockBody
		_ = json.Unmarshal(r.Body, &e)
		if e.Error.Details.Stage != kernel.StageDisburse {
			t.Errorf("the block is not the disbursement's screening: %s", e.Error.Details.Stage)
		}
		q := decodeInto[queueBody](t, env.do(http.MethodGet, "/api/v1/review-queue", verifier, nil))
		found := false
		for _, it := range q.Items {
			if it.Need.ID == won && it.Screening.Result == "block" && it.Screening.ID == e.Error.Details.ID {
				found = true
			}
		}
		if !found {
			t.Errorf("the stopped disbursement is not in the review queue: %+v", q)
		}
		var st struct{ Status string }
		env.db.Gorm.Raw(`SELECT status FROM allocations WHERE public_id = ?`, alloc).Scan(&st)
		if st.Status != "allocated" {
			t.Errorf("allocation status %q after the stopped disbursement, want allocated", st.Status)
		}
		var paid struct{ N int64 }
		env.db.Gorm.Raw(`SELECT disbursed_fen AS n FROM needs WHERE public_id = ?`, won).Scan(&paid)
		if paid.N != 2_000_000 {
			t.Errorf("disbursed %d fen, want the first allocation's 2,000,000 only", paid.N)
		}
	})
}
