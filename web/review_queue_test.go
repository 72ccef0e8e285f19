package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
)

type queuePageBody struct {
	queueBody
	Total      int  `json:"total"`
	Limit      int  `json:"limit"`
	Offset     int  `json:"offset"`
	NextOffset *int `json:"next_offset"`
}

// TestClearanceTakesItsWarningsOffTheQueue: a worker declares 20,000 yuan
// of statutory relief where the record holds 15,000 (a warning). Cleared
// with the figure corrected, or cleared as declared by a verifier who saw
// the warning, the case leaves the review queue; a block stays.
func TestClearanceTakesItsWarningsOffTheQueue(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		env.needs.Screener = env.screening
		env.funds.Screener = env.screening
		worker, _ := env.user(kernel.RoleSocialWorker, nil)
		verifier, _ := env.user(kernel.RoleVerifier, nil)
		post := func(seq string, recordFen int64) string {
			b := needBody()
			ben := b["beneficiary"].(map[string]any)
			ben["id_number"] = idNumber("371725", "19800315", seq)
			ben["household_types"] = []string{"expenditure_hardship"}
			n := env.createNeed(worker, b)
			env.statutoryPaymentOf(n, kernel.ProgMedical, recordFen, "2026-12-01", "2026-12-01")
			// The payment reached the record after the need was posted: a
			// verifier's re-check finds it.
			if r := env.do(http.MethodPost, "/api/v1/needs/"+n+"/screening/run", verifier, nil); r.Status != http.StatusCreated {
				t.Fatalf("re-check: %d %s", r.Status, r.Body)
			}
			return n
		}
		corrected := post("311", 1_500_000)
		seen := post("313", 1_500_000)
		// 25,000 on record: at most 25,000 may be asked, and 30,000 is.
		blocked := post("315", 2_500_000)
		q := decodeInto[queuePageBody](t, env.do(http.MethodGet, "/api/v1/review-queue", verifier, nil))
		if q.Total != 3 || len(q.Items) != 3 || q.Items[0].Need.ID != blocked {
			t.Fatalf("queue before clearance: total %d, %+v", q.Total, q.Items)
		}
		if r := env.do(http.MethodPost, "/api/v1/needs/"+corrected+"/clearance", verifier, map[string]any{"decision": "cleared", "statutory_relief_fen": 1_500_000, "reference": "民救2026-1"}); r.Status != http.StatusOK {
			t.Fatalf("clear with the corrected figure: %d %s", r.Status, r.Body)
		}
		if r := env.do(http.MethodPost, "/api/v1/needs/"+seen+"/clearance", verifier, map[string]any{"decision": "cleared", "reference": "民救2026-2"}); r.Status != http.StatusOK {
			t.Fatalf("clear as declared: %d %s", r.Status, r.Body)
		}
		if r := env.do(http.MethodPost, "/api/v1/needs/"+blocked+"/clearance", verifier, map[string]any{"decision": "cleared", "reference": "民救2026-3"}); r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("clear a blocked need: %d %s", r.Status, r.Body)
		}
		q = decodeInto[queuePageBody](t, env.do(http.MethodGet, "/api/v1/review-queue", verifier, nil))
		if q.Total != 1 || len(q.Items) != 1 || q.Items[0].Need.ID != blocked || q.NextOffset != nil {
			t.Fatalf("queue after clearance: total %d, items %+v", q.Total, q.Items)
		}
		if q.Items[0].Need.RegionCode != "371725" || q.Items[0].Need.RegionName == "" {
			t.Errorf("the case has no region: %+v", q.Items[0].Need)
		}
		var acts []struct{ Actor, Action string }
		env.db.Gorm.Raw(`SELECT actor, action FROM audit_log WHERE stream = ? AND action LIKE 'screening.%' ORDER BY seq`, "need:"+seen).Scan(&acts)
		if len(acts) != 1 || acts[0].Action != "screening.acknowledge" {
			t.Errorf("audit of the need cleared with its warning: %+v", acts)
		}
		for _, tc := range []struct {
			name, query string
			want        int
		}{
			{"an unknown rule", "?rule=fraud", 400},
			{"a negative offset", "?offset=-1", 400},
			{"a region that is no code", "?region=37%25", 400},
			{"a rule and a region", "?rule=statutory_overlap&region=3717&limit=1", 200},
		} {
			if r := env.do(http.MethodGet, "/api/v1/review-queue"+tc.query, verifier, nil); r.Status != tc.want {
				t.Errorf("%s: %d, want %d: %s", tc.name, r.Status, tc.want, r.Body)
			}
		}
		q = decodeInto[queuePageBody](t, env.do(http.MethodGet, "/api/v1/review-queue?rule=over_allocation", verifier, nil))
		if q.Total != 0 || len(q.Items) != 0 {
			t.Errorf("over-allocation cases: %d", q.Total)
		}
	})
}

// TestReviewPagePagesAndFilters: the verifier's page shows 20 cases at a
// time with the need's category, region and amounts and the checks'
// messages in Chinese, links to the next and previous pages that keep the
// filters, and filters by rule.
func TestReviewPagePagesAndFilters(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		blocked := env.postNeed(screenedNeed{idNumber: screeningIDNumber, from: "2026-10-01", to: "2026-10-31", cost: 1_000_000, stat: 100_000, req: 900_000})
		env.postNeed(screenedNeed{org: env.orgs[kernel.OrgCharity], idNumber: screeningIDNumber, status: kernel.NeedOpen,
			from: "2026-10-15", to: "2026-11-15", cost: 1_000_000, stat: 100_000, req: 1_000_000, fund: 900_001})
		env.statutoryPayment(screeningIDNumber, kernel.ProgMedical, 100_000, "2026-10-31", "2026-10-31")
		if s, err := env.screening.Screen(ctx, blocked, kernel.StageClear, 0); err != nil || s.Result != kernel.ScreenBlock {
			t.Fatalf("the blocked need: %+v %v", s, err)
		}
		// 23 needs whose declared relief (1,000 yuan) differs from the record (500).
		for i := range 23 {
			id := idNumber("371725", "19700101", fmt.Sprintf("%03d", 500+2*i))
			n := env.postNeed(screenedNeed{idNumber: id, from: "2026-10-01", to: "2026-10-31", cost: 1_000_000, stat: 100_000, req: 800_000})
			env.statutoryPayment(id, kernel.ProgMedical, 50_000, "2026-10-20", "2026-10-20")
			if s, err := env.screening.Screen(ctx, n, kernel.StageClear, 0); err != nil || s.Result != kernel.ScreenWarn {
				t.Fatalf("need %d: %+v %v", i, s, err)
			}
		}
		_, verifier := env.user(kernel.RoleVerifier, nil)
		v := newBrowser(env)
		v.login(verifier)
		cards := func(body string) int { return strings.Count(body, `<section class="card review">`) }

		r := v.do(http.MethodGet, "/verify/review", nil)
		body := r.Body.String()
		if r.Code != 200 || cards(body) != 20 {
			t.Fatalf("first page: %d, %d cards, want 20", r.Code, cards(body))
		}
		if first := strings.Index(body, `<section class="card review">`); !strings.Contains(body[first:first+400], blocked) {
			t.Error("the block is not the first card")
		}
		for _, want := range []string{"共 24 件待复核", "山东省菏泽市郓城县", "医疗",
			"政府救助发放记录中，本类别、本期间的救助为 ¥500.00（1 笔），社工申报为 ¥1,000.00。",
			"同一困难的慈善资金将达 ¥9,000.01", "上限 ¥9,000.00",
			`href="/verify/review?page=2" rel="next"`} {
			if !strings.Contains(body, want) {
				t.Errorf("the first page lacks %q", want)
			}
		}
		r = v.do(http.MethodGet, "/verify/review?page=2", nil)
		body = r.Body.String()
		if r.Code != 200 || cards(body) != 4 || !strings.Contains(body, `href="/verify/review" rel="prev"`) || strings.Contains(body, `rel="next"`) {
			t.Errorf("second page: %d, %d cards, want 4 with a link back", r.Code, cards(body))
		}
		r = v.do(http.MethodGet, "/verify/review?rule=over_allocation", nil)
		body = r.Body.String()
		if r.Code != 200 || cards(body) != 1 || !strings.Contains(body, blocked) || strings.Contains(body, `rel="next"`) {
			t.Errorf("over-allocation cases: %d, %d cards", r.Code, cards(body))
		}
		r = v.do(http.MethodGet, "/verify/review?rule=statutory_overlap&region=3717", nil)
		body = r.Body.String()
		if r.Code != 200 || cards(body) != 20 || !strings.Contains(body, `href="/verify/review?page=2&amp;region=3717&amp;rule=statutory_overlap" rel="next"`) {
			t.Errorf("statutory-overlap cases in 3717: %d, %d cards, or the next link loses the filters", r.Code, cards(body))
		}
		if r := v.do(http.MethodGet, "/verify/review?region=1101", nil); r.Code != 200 || cards(r.Body.String()) != 0 {
			t.Errorf("another province: %d, %d cards", r.Code, cards(r.Body.String()))
		}
		if r := v.do(http.MethodGet, "/verify/review?rule=fraud", nil); r.Code != http.StatusBadRequest || cards(r.Body.String()) != 20 {
			t.Errorf("an unknown rule: %d, %d cards", r.Code, cards(r.Body.String()))
		}
	})
}
