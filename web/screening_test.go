package web

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/matching/screening"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/marketplace/gormstore/needfixture"
	sstore "github.com/jiujinan/jiujinan/matching/screening/gormstore"
	"github.com/jiujinan/jiujinan/sqldb"
)

func init() {
	addRouteAccess(map[string][]string{
		"GET /api/v1/needs/:id/screening":         {"verifier", "federation_staff", "social_worker"},
		"POST /api/v1/needs/:id/screening/run":    {"verifier"},
		"GET /api/v1/review-queue":                {"verifier"},
		"GET /api/v1/charity-aid":                 {"verifier"},
		"POST /api/v1/review-queue/:id/decisions": {"verifier"},
		"GET /api/v1/referrals":                   {"verifier"},
		"POST /api/v1/referrals/:id":              {"verifier"},
	})
}

// testPseudonyms makes the pseudonyms of the screening tests' ID numbers.
var testPseudonyms, _ = marketplace.NewPseudonymizer([]byte("screening-test-pseudonym-key-0123456789"))

// newTestScreening builds the screening service of the test server over
// the real statutory payment store.
func newTestScreening(env *testEnv, db *sqldb.DB, now func() time.Time) *screening.Service {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	c, err := marketplace.NewCipher([]marketplace.DataKey{{ID: "test-data", Key: key}})
	if err != nil {
		env.t.Fatal(err)
	}
	d, err := kernel.LoadDivisions()
	if err != nil {
		env.t.Fatal(err)
	}
	store := sstore.NewScreenings(db)
	env.screening = screening.NewService(store, store, screening.DefaultConfig(), c, d, now, testID)
	return env.screening
}

type screenedNeed struct {
	org *kernel.Org
	// region is the need's region code (371725 when "").
	region     string
	idNumber   string
	status     kernel.NeedStatus
	category   kernel.Category
	from, to   string
	cost, stat int64
	req, fund  int64
	households string
}

func isoDay(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// postNeed writes a beneficiary and a need straight into the tables, as the
// need lifecycle would, and returns the need's public id.
func (env *testEnv) postNeed(n screenedNeed) string {
	env.t.Helper()
	if n.org == nil {
		n.org = env.orgs[kernel.OrgSocialWorkAgency]
	}
	if n.status == "" {
		n.status = kernel.NeedSubmitted
	}
	if n.category == "" {
		n.category = kernel.CatMedical
	}
	if n.region == "" {
		n.region = "371725"
	}
	g := env.db.Gorm
	p := testPseudonyms.Of(n.idNumber)
	now := *env.now.Load()
	bid := testID()
	if err := g.Exec(`INSERT INTO beneficiaries (public_id, org_id, pseudonym, identity_ct, identity_kid, region_code, age_band, sex, household_types, created_at)
		VALUES (?, ?, ?, ?, 'test-data', '371725', '18_59', 'F', ?, ?)`, bid, n.org.ID, p, []byte{1}, n.households, now).Error; err != nil {
		env.t.Fatal(err)
	}
	var ben struct{ ID int64 }
	g.Raw(`SELECT id FROM beneficiaries WHERE public_id = ?`, bid).Scan(&ben)
	id := testID()
	if err := needfixture.Create(context.Background(), g, map[string]any{"public_id": id, "org_id": n.org.ID, "created_by": env.admin.User.ID,
		"beneficiary_id": ben.ID, "pseudonym": p, "status": string(n.status), "category": string(n.category), "urgency": "normal",
		"region_code": n.region, "age_band": "18_59", "household_types": n.households, "private_ct": []byte{1}, "private_kid": "test-data",
		"public_story": "", "verified_cost_fen": n.cost, "statutory_relief_fen": n.stat, "requested_fen": n.req, "funded_fen": n.fund,
		"cost_from": isoDay(n.from), "cost_to": isoDay(n.to), "created_at": now, "updated_at": now}); err != nil {
		env.t.Fatal(err)
	}
	return id
}

// statutoryPayment records a payment of a completed import.
func (env *testEnv) statutoryPayment(idNumber string, prog kernel.Programme, fen int64, from, to string) {
	env.t.Helper()
	env.statutoryPaymentFor(testPseudonyms.Of(idNumber), prog, fen, from, to)
}

// statutoryPaymentFor records a payment of a completed import to the
// person with this pseudonym.
func (env *testEnv) statutoryPaymentFor(pseudonym string, prog kernel.Programme, fen int64, from, to string) {
	env.t.Helper()
	g := env.db.Gorm
	now := *env.now.Load()
	bid := testID()
	if err := g.Exec(`INSERT INTO payment_import_batches (public_id, file_sha256, status, created_at, updated_at) VALUES (?, ?, 'done', ?, ?)`,
		bid, bid, now, now).Error; err != nil {
		env.t.Fatal(err)
	}
	var b struct{ ID int64 }
	g.Raw(`SELECT id FROM payment_import_batches WHERE public_id = ?`, bid).Scan(&b)
	if err := g.Exec(`INSERT INTO statutory_payments (pseudonym, programme, period_from, period_to, amount_fen, region_code, batch_id) VALUES (?, ?, ?, ?, ?, '371725', ?)`,
		pseudonym, string(prog), from, to, fen, b.ID).Error; err != nil {
		env.t.Fatal(err)
	}
}

const screeningIDNumber = "11010519491231002X"

type screeningBody struct {
	ID         string                  `json:"id"`
	NeedID     string                  `json:"need_id"`
	Result     string                  `json:"result"`
	Overridden bool                    `json:"overridden"`
	Decision   string                  `json:"decision"`
	Checks     []kernel.ScreeningCheck `json:"checks"`
	History    []json.RawMessage       `json:"history"`
}

func decodeInto[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("%v: %s", err, r.Body)
	}
	return v
}

func TestNeedScreeningAccess(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		id := env.postNeed(screenedNeed{idNumber: screeningIDNumber, from: "2026-10-01", to: "2026-10-31", cost: 1_000_000, req: 1_000_000})
		if _, err := env.screening.Screen(context.Background(), id, kernel.StageSubmit, 0); err != nil {
			t.Fatal(err)
		}
		worker, _ := env.user(kernel.RoleSocialWorker, nil)
		otherWorker, _ := env.user(kernel.RoleSocialWorker, env.orgs[kernel.OrgCharity])
		verifier, _ := env.user(kernel.RoleVerifier, nil)
		staff, _ := env.user(kernel.RoleFederationStaff, nil)
		donor, _ := env.user(kernel.RoleDonor, nil)
		volunteer, _ := env.user(kernel.RoleVolunteer, nil)
		auditor, _ := env.user(kernel.RoleAuditor, nil)
		path := "/api/v1/needs/" + id + "/screening"
		for _, tc := range []struct {
			name, token string
			want        int
		}{
			{"the posting organization's social worker", worker, 200},
			{"a verifier", verifier, 200},
			{"federation staff", staff, 200},
			{"a social worker of another organization", otherWorker, 404},
			{"a donor", donor, 403},
			{"a volunteer", volunteer, 403},
			{"an auditor", auditor, 403},
			{"anonymous", "", 401},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := env.do(http.MethodGet, path, tc.token, nil)
				if r.Status != tc.want {
					t.Fatalf("status %d, want %d: %s", r.Status, tc.want, r.Body)
				}
				if tc.want == 200 {
					s := decodeInto[screeningBody](t, r)
					if s.NeedID != id || s.Result != "clear" || len(s.Checks) != 4 {
						t.Errorf("screening: %+v", s)
					}
				}
			})
		}
		if r := env.do(http.MethodGet, "/api/v1/needs/01jjnotanid000000000000000/screening", verifier, nil); r.Status != 404 {
			t.Errorf("unknown need: %d", r.Status)
		}
		if r := env.do(http.MethodPost, "/api/v1/needs/"+id+"/screening/run", worker, nil); r.Status != 403 {
			t.Errorf("a social worker re-ran screening: %d", r.Status)
		}
		r := env.do(http.MethodPost, "/api/v1/needs/"+id+"/screening/run", verifier, nil)
		if r.Status != 201 {
			t.Fatalf("run: %d %s", r.Status, r.Body)
		}
		r = env.do(http.MethodGet, path+"?all=1", verifier, nil)
		if s := decodeInto[screeningBody](t, r); len(s.History) != 2 {
			t.Errorf("history: %d entries, want 2", len(s.History))
		}
		for _, all := range []string{"abc", "yes", "2"} {
			wantInvalid(t, env.do(http.MethodGet, path+"?all="+all, verifier, nil), "all")
		}
		if s := decodeInto[screeningBody](t, env.do(http.MethodGet, path+"?all=false", verifier, nil)); len(s.History) != 0 {
			t.Errorf("all=false gave a history of %d", len(s.History))
		}
	})
}

type queueBody struct {
	Items []struct {
		Screening screeningBody           `json:"screening"`
		Need      screening.NeedSummary   `json:"need"`
		Related   []screening.NeedSummary `json:"related"`
	} `json:"items"`
}

func TestReviewQueueDecisions(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		verifier, vp := env.user(kernel.RoleVerifier, nil)
		// Two charities ask for the same hospital stay of the same person
		// (once with a lowercase x); the state paid 1,000 yuan of it, so
		// charity may give 9,000, and the other charity already gave 9,000.01:
		// the need's own screening blocks.
		a := env.postNeed(screenedNeed{idNumber: screeningIDNumber, from: "2026-10-01", to: "2026-10-31", cost: 1_000_000, stat: 100_000, req: 900_000})
		b := env.postNeed(screenedNeed{org: env.orgs[kernel.OrgCharity], idNumber: strings.ToLower(screeningIDNumber), status: kernel.NeedOpen,
			from: "2026-10-15", to: "2026-11-15", cost: 1_000_000, stat: 100_000, req: 1_000_000, fund: 900_001})
		env.statutoryPayment(screeningIDNumber, kernel.ProgMedical, 100_000, "2026-10-31", "2026-10-31")
		s, err := env.screening.Screen(ctx, a, kernel.StageClear, 0)
		if err != nil {
			t.Fatal(err)
		}
		if s.Result != kernel.ScreenBlock || s.Checks[2].Result != kernel.ScreenBlock {
			t.Fatalf("want an over-allocation block: %+v", s.Checks)
		}
		r := env.do(http.MethodGet, "/api/v1/review-queue", verifier, nil)
		if r.Status != 200 {
			t.Fatalf("queue: %d %s", r.Status, r.Body)
		}
		q := decodeInto[queueBody](t, r)
		if len(q.Items) != 1 || q.Items[0].Screening.ID != s.ID || q.Items[0].Need.ID != a || len(q.Items[0].Related) != 1 || q.Items[0].Related[0].ID != b ||
			q.Items[0].Related[0].FundedFen != 900_001 || q.Items[0].Related[0].OrgID != env.orgs[kernel.OrgCharity].PublicID {
			t.Fatalf("queue: %s", r.Body)
		}
		// Neither the ID number nor its pseudonym is anywhere in the answer.
		for _, secret := range []string{screeningIDNumber, strings.ToLower(screeningIDNumber), testPseudonyms.Of(screeningIDNumber)} {
			if strings.Contains(string(r.Body), secret) {
				t.Fatalf("the queue shows an identity: %s", r.Body)
			}
		}
		path := "/api/v1/review-queue/" + s.ID + "/decisions"
		for _, tc := range []struct {
			name string
			body any
			want int
		}{
			{"an override without a reason", map[string]any{"decision": "override"}, 400},
			{"an override with a 9-character reason", map[string]any{"decision": "override", "reason": "123456789"}, 400},
			{"an unknown decision", map[string]any{"decision": "approve", "reason": "because I say so"}, 400},
			{"acknowledging a block", map[string]any{"decision": "acknowledge"}, 400},
			{"an unknown field", map[string]any{"decision": "uphold", "note": "x"}, 400},
			{"an injection string", map[string]any{"decision": "override'; DROP TABLE screenings; --"}, 400},
		} {
			if r := env.do(http.MethodPost, path, verifier, tc.body); r.Status != tc.want {
				t.Errorf("%s: %d, want %d: %s", tc.name, r.Status, tc.want, r.Body)
			}
		}
		if r := env.do(http.MethodPost, "/api/v1/review-queue/01jjnotanid000000000000000/decisions", verifier, map[string]any{"decision": "uphold"}); r.Status != 404 {
			t.Errorf("unknown screening: %d", r.Status)
		}
		reason := "两家机构分担同一住院费用，已电话核实"
		r = env.do(http.MethodPost, path, verifier, map[string]any{"decision": "override", "reason": reason})
		if r.Status != 200 {
			t.Fatalf("override: %d %s", r.Status, r.Body)
		}
		if d := decodeInto[screeningBody](t, r); d.Decision != "override" {
			t.Errorf("decision: %+v", d)
		}
		if r := env.do(http.MethodPost, path, verifier, map[string]any{"decision": "uphold"}); r.Status != 409 {
			t.Errorf("second decision: %d", r.Status)
		}
		if q := decodeInto[queueBody](t, env.do(http.MethodGet, "/api/v1/review-queue", verifier, nil)); len(q.Items) != 0 {
			t.Errorf("queue after the override: %d items", len(q.Items))
		}
		// The same evidence re-checked: the override holds.
		r = env.do(http.MethodPost, "/api/v1/needs/"+a+"/screening/run", verifier, nil)
		if s2 := decodeInto[screeningBody](t, r); s2.Result != "warn" || !s2.Overridden {
			t.Errorf("same evidence: %s overridden=%v", s2.Result, s2.Overridden)
		}
		// Money on top of it is refused on its own: the request blocks, the
		// override and the need's place out of the queue stay.
		if s, _ := env.screening.Screen(ctx, a, kernel.StageAllocate, 100); s.Result != kernel.ScreenBlock || s.Overridden {
			t.Errorf("an allocation above the limit: %s overridden=%v", s.Result, s.Overridden)
		}
		if q := decodeInto[queueBody](t, env.do(http.MethodGet, "/api/v1/review-queue", verifier, nil)); len(q.Items) != 0 {
			t.Errorf("queue after a refused allocation: %d items", len(q.Items))
		}
		if s := decodeInto[screeningBody](t, env.do(http.MethodGet, "/api/v1/needs/"+a+"/screening", verifier, nil)); s.Result != "warn" || !s.Overridden {
			t.Errorf("the need's screening after a refused allocation: %+v", s)
		}
		// Another charity's new money changes the evidence: blocked again.
		if err := needfixture.Set(ctx, env.db.Gorm, b, map[string]any{"funded_fen": 950_000}); err != nil {
			t.Fatal(err)
		}
		r = env.do(http.MethodPost, "/api/v1/needs/"+a+"/screening/run", verifier, nil)
		s3 := decodeInto[screeningBody](t, r)
		if s3.Result != "block" || s3.Overridden {
			t.Errorf("new evidence: %+v", s3)
		}
		if q := decodeInto[queueBody](t, env.do(http.MethodGet, "/api/v1/review-queue", verifier, nil)); len(q.Items) != 1 || q.Items[0].Screening.ID != s3.ID {
			t.Errorf("queue after new evidence: %+v", q)
		}
		// The decision is on the need's audit chain, without its reason.
		entries, err := env.store.AuditEntries(ctx, "need:"+a)
		if err != nil || len(entries) != 1 || entries[0].Action != "screening.override" || entries[0].Actor != vp.User.PublicID {
			t.Fatalf("audit: %+v %v", entries, err)
		}
		if strings.Contains(entries[0].Detail, "住院") {
			t.Error("the reason is in the audit log")
		}
		if strings.Contains(env.logs.String(), "住院") || strings.Contains(env.logs.String(), screeningIDNumber) {
			t.Error("the logs hold the reason or the ID number")
		}
	})
}

type referralsBody struct {
	Items []struct {
		ID        string `json:"id"`
		NeedID    string `json:"need_id"`
		Programme string `json:"programme"`
		Status    string `json:"status"`
		TakenBy   string `json:"taken_by"`
		Notes     []struct {
			Text string `json:"text"`
		} `json:"notes"`
	} `json:"items"`
}

func TestReferrals(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		verifier, vp := env.user(kernel.RoleVerifier, nil)
		worker, _ := env.user(kernel.RoleSocialWorker, nil)
		a := env.postNeed(screenedNeed{idNumber: screeningIDNumber, category: kernel.CatBasicLiving, from: "2026-11-01", to: "2026-11-30",
			cost: 200_000, req: 200_000, households: "tekun"})
		r := env.do(http.MethodPost, "/api/v1/needs/"+a+"/screening/run", verifier, nil)
		if s := decodeInto[screeningBody](t, r); s.Result != "warn" || s.Checks[3].Result != kernel.ScreenWarn {
			t.Fatalf("missed relief: %s", r.Body)
		}
		if r := env.do(http.MethodGet, "/api/v1/referrals?status=open", worker, nil); r.Status != 403 {
			t.Errorf("a social worker listed referrals: %d", r.Status)
		}
		if r := env.do(http.MethodGet, "/api/v1/referrals?status=lost", verifier, nil); r.Status != 400 {
			t.Errorf("unknown status: %d", r.Status)
		}
		rs := decodeInto[referralsBody](t, env.do(http.MethodGet, "/api/v1/referrals?status=open", verifier, nil))
		if len(rs.Items) != 1 || rs.Items[0].NeedID != a || rs.Items[0].Programme != "tekun" || rs.Items[0].Status != "open" {
			t.Fatalf("referrals: %+v", rs)
		}
		path := "/api/v1/referrals/" + rs.Items[0].ID
		if r := env.do(http.MethodPost, path, verifier, map[string]any{"status": "done"}); r.Status != 400 {
			t.Errorf("unknown status: %d", r.Status)
		}
		for _, note := range []string{"已联系\x00乡镇", "已联系\x07乡镇"} {
			wantInvalid(t, env.do(http.MethodPost, path, verifier, map[string]any{"status": "accepted", "note": note}), "note")
		}
		if r := env.do(http.MethodPost, "/api/v1/referrals/01jjnotanid000000000000000", verifier, map[string]any{"status": "accepted"}); r.Status != 404 {
			t.Errorf("unknown referral: %d", r.Status)
		}
		r = env.do(http.MethodPost, path, verifier, map[string]any{"status": "accepted", "note": "已联系乡镇民政办"})
		if r.Status != 200 {
			t.Fatalf("accept: %d %s", r.Status, r.Body)
		}
		r = env.do(http.MethodPost, path, verifier, map[string]any{"status": "closed", "note": "已纳入特困供养"})
		if r.Status != 200 {
			t.Fatalf("close: %d %s", r.Status, r.Body)
		}
		if r := env.do(http.MethodPost, path, verifier, map[string]any{"status": "open"}); r.Status != 409 {
			t.Errorf("reopen a closed referral: %d", r.Status)
		}
		rs = decodeInto[referralsBody](t, env.do(http.MethodGet, "/api/v1/referrals?status=closed", verifier, nil))
		if len(rs.Items) != 1 || rs.Items[0].TakenBy != vp.User.PublicID || len(rs.Items[0].Notes) != 2 || rs.Items[0].Notes[1].Text != "已纳入特困供养" {
			t.Errorf("closed: %+v", rs)
		}
		if rs := decodeInto[referralsBody](t, env.do(http.MethodGet, "/api/v1/referrals?status=open", verifier, nil)); len(rs.Items) != 0 {
			t.Errorf("still open: %+v", rs)
		}
		entries, _ := env.store.AuditEntries(context.Background(), "need:"+a)
		if len(entries) != 2 || entries[0].Action != "referral.accepted" || entries[1].Action != "referral.closed" {
			t.Errorf("audit: %+v", entries)
		}
	})
}

// idNumberWithX returns a valid ID number of 371725 whose check character
// is X.
func idNumberWithX(t *testing.T) string {
	for seq := 100; seq < 1000; seq++ {
		s := "37172519800315" + strconv.Itoa(seq)
		if kernel.IDCheckChar(s) == 'X' {
			return s + "X"
		}
	}
	t.Fatal("no ID number with X")
	return ""
}

// TestTwoCharitiesCannotPayTheSameHardshipTwice runs the whole path with
// screening wired into the need lifecycle and funds: a need is posted,
// cleared, funded to its limit; another charity posts the same hospital
// stay for the same person (ID number with a lowercase x); its allocation
// stops with 422 and the evidence, and the verifier sees the second need's
// own warning with the first need beside it (not the refused request).
func TestTwoCharitiesCannotPayTheSameHardshipTwice(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		env.needs.Screener = env.screening
		env.funds.Screener = env.screening
		id := idNumberWithX(t)
		worker, _ := env.user(kernel.RoleSocialWorker, nil)
		otherWorker, _ := env.user(kernel.RoleSocialWorker, env.orgs[kernel.OrgCharity])
		verifier, _ := env.user(kernel.RoleVerifier, nil)
		body := needBody()
		body["beneficiary"].(map[string]any)["id_number"] = id
		r := env.do(http.MethodPost, "/api/v1/needs", worker, body)
		if r.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		var created struct {
			ID        string            `json:"id"`
			Screening *kernel.Screening `json:"screening"`
		}
		_ = json.Unmarshal(r.Body, &created)
		if created.Screening == nil || created.Screening.Stage != kernel.StageSubmit {
			t.Fatalf("no screening at submit: %s", r.Body)
		}
		a := created.ID
		env.clearAndPublish(a, worker, verifier)
		env.advance(121 * time.Hour)
		// Tokens live an hour: sign in again after the notice period.
		worker, _ = env.user(kernel.RoleSocialWorker, nil)
		otherWorker, _ = env.user(kernel.RoleSocialWorker, env.orgs[kernel.OrgCharity])
		verifier, _ = env.user(kernel.RoleVerifier, nil)
		staff, _ := env.user(kernel.RoleFederationStaff, nil)
		donor, _ := env.user(kernel.RoleDonor, nil)

		r = env.do(http.MethodPost, "/api/v1/funds", staff, map[string]any{"name": "春晖助医基金", "namer": "春晖公司", "purpose": "大病医疗救助",
			"restrictions": map[string]any{"categories": []string{"medical"}}})
		if r.Status != http.StatusCreated {
			t.Fatalf("fund: %d %s", r.Status, r.Body)
		}
		fund := r.JSON(t)["id"].(string)
		r = env.do(http.MethodPost, "/api/v1/pledges", donor, map[string]any{"target_type": "fund", "target_id": fund, "amount_fen": 10_000_000}, "Idempotency-Key", "pledge-"+fund)
		if r.Status != http.StatusCreated {
			t.Fatalf("pledge: %d %s", r.Status, r.Body)
		}
		if r := env.do(http.MethodPost, "/api/v1/pledges/"+r.JSON(t)["id"].(string)+"/confirm", staff, nil); r.Status != 200 {
			t.Fatalf("confirm: %d %s", r.Status, r.Body)
		}
		// Cost 50,000 yuan − statutory 20,000: 30,000 yuan may come from charity.
		if r := env.do(http.MethodPost, "/api/v1/funds/"+fund+"/allocations", staff, map[string]any{"need_id": a, "amount_fen": 3_000_000}, "Idempotency-Key", "alloc-a"); r.Status != http.StatusCreated {
			t.Fatalf("allocate to the first need: %d %s", r.Status, r.Body)
		}

		// Another charity posts the same stay, the ID typed with a lowercase x.
		body = needBody()
		body["beneficiary"].(map[string]any)["id_number"] = strings.ToLower(id)
		body["cost_period"] = map[string]any{"from": "2027-01-01", "to": "2027-02-28"}
		r = env.do(http.MethodPost, "/api/v1/needs", otherWorker, body)
		if r.Status != http.StatusCreated {
			t.Fatalf("create the second need: %d %s", r.Status, r.Body)
		}
		_ = json.Unmarshal(r.Body, &created)
		b := created.ID
		if created.Screening == nil || created.Screening.Checks[1].Result != kernel.ScreenWarn || created.Screening.Checks[1].Evidence[0].ID != a {
			t.Fatalf("the duplicate is not seen at submit: %s", r.Body)
		}
		env.clearAndPublish(b, otherWorker, verifier)
		env.advance(121 * time.Hour)
		staff, _ = env.user(kernel.RoleFederationStaff, nil)
		verifier, _ = env.user(kernel.RoleVerifier, nil)
		r = env.do(http.MethodPost, "/api/v1/funds/"+fund+"/allocations", staff, map[string]any{"need_id": b, "amount_fen": 100}, "Idempotency-Key", "alloc-b")
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("second charity's allocation: %d %s", r.Status, r.Body)
		}
		refused := decodeInto[blockBody](t, r).Error.Details.ID
		var e struct {
			Error struct {
				Code    string           `json:"code"`
				Details kernel.Screening `json:"details"`
			} `json:"error"`
		}
		_ = json.Unmarshal(r.Body, &e)
		if e.Error.Code != "screening_block" || e.Error.Details.Result != kernel.ScreenBlock || e.Error.Details.Checks[2].Rule != kernel.RuleOverAllocation ||
			e.Error.Details.Checks[2].Result != kernel.ScreenBlock {
			t.Fatalf("422 without the screening: %s", r.Body)
		}
		for _, secret := range []string{id, strings.ToLower(id), "张建华"} {
			if strings.Contains(string(r.Body), secret) {
				t.Fatalf("the answer shows an identity: %s", r.Body)
			}
		}
		// The refused allocation is the request's, not the need's: the
		// verifier sees the second need's own warning (the same hardship
		// posted twice), with the first need and its money side by side.
		q := decodeInto[queueBody](t, env.do(http.MethodGet, "/api/v1/review-queue", verifier, nil))
		found := false
		for _, it := range q.Items {
			if it.Screening.ID == refused || it.Screening.Result == "block" {
				t.Errorf("a refused request is in the review queue: %+v", it.Screening)
			}
			if it.Need.ID == b && it.Screening.Result == "warn" && it.Screening.Checks[1].Rule == kernel.RuleCrossCharityDuplicate &&
				it.Screening.Checks[1].Result == kernel.ScreenWarn && len(it.Related) == 1 && it.Related[0].ID == a && it.Related[0].FundedFen == 3_000_000 {
				found = true
			}
		}
		if !found {
			t.Errorf("the duplicate is not in the review queue side by side: %+v", q)
		}
		if s := decodeInto[screeningBody](t, env.do(http.MethodGet, "/api/v1/needs/"+b+"/screening", verifier, nil)); s.ID == refused || s.Result != "warn" {
			t.Errorf("the second need's screening after the refused allocation: %+v", s)
		}
		if strings.Contains(env.logs.String(), id) {
			t.Error("the logs hold the ID number")
		}
	})
}
