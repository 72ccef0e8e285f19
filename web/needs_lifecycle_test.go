package web

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace/gormstore/needfixture"
)

// fakeScreener answers every screening with result.
type fakeScreener struct {
	result kernel.ScreeningOutcome
	calls  []kernel.ScreeningStage
}

func (f *fakeScreener) Screen(ctx context.Context, needID string, stage kernel.ScreeningStage, amountFen int64) (*kernel.Screening, error) {
	f.calls = append(f.calls, stage)
	return &kernel.Screening{ID: testID(), NeedID: needID, Stage: stage, Result: f.result, At: time.Now(),
		Checks: []kernel.ScreeningCheck{{Rule: kernel.RuleCrossCharityDuplicate, Result: f.result, Message: "test", Evidence: []kernel.ScreeningEvidence{}}}}, nil
}

func (env *testEnv) status(id, token string) string {
	env.t.Helper()
	r := env.do("GET", "/api/v1/needs/"+id+"/private", token, nil)
	if r.Status != 200 {
		env.t.Fatalf("private: %d %s", r.Status, r.Body)
	}
	return r.JSON(env.t)["status"].(string)
}

// An objection keeps the need in notice and public; dismissing the last one
// ends the notice at its original end, never later (issue 16).
func TestNeedObjectionHoldsNoticeWithoutRestartingIt(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		worker, wp := env.user(kernel.RoleSocialWorker, nil)
		verifier, vp := env.user(kernel.RoleVerifier, nil)
		id := env.createNeed(worker, needBody())
		env.clearAndPublish(id, worker, verifier)
		originalEnd := env.now.Load().Add(120 * time.Hour).Format(time.RFC3339)
		env.advance(20 * time.Hour) // 100h of notice left
		worker, verifier = env.token(wp), env.token(vp)
		o := env.do("POST", "/api/v1/needs/"+id+"/objections", "", map[string]any{"text": "该户有车有房", "anonymous": true})
		if o.Status != http.StatusCreated {
			t.Fatalf("objection: %d %s", o.Status, o.Body)
		}
		if st := env.status(id, worker); st != "notice" {
			t.Fatalf("after objection: %s", st)
		}
		if r := env.do("GET", "/api/v1/needs/"+id, "", nil); r.Status != http.StatusOK || r.JSON(t)["status"] != "notice" {
			t.Errorf("a need objected to stays public in notice: %d %s", r.Status, r.Body)
		}
		o2 := env.do("POST", "/api/v1/needs/"+id+"/objections", "", map[string]any{"text": "补充：子女有收入", "contact": "13900001111"})
		if o2.Status != http.StatusCreated {
			t.Fatalf("second objection: %d %s", o2.Status, o2.Body)
		}
		env.advance(48 * time.Hour)
		worker, verifier = env.token(wp), env.token(vp)
		r := env.do("POST", "/api/v1/needs/"+id+"/objections/"+o.JSON(t)["id"].(string)+"/resolve", verifier, map[string]any{"decision": "dismissed", "note": "经核实不属实"})
		if r.Status != 200 || r.JSON(t)["status"] != "notice" || r.JSON(t)["notice_ends_at"] != nil {
			t.Fatalf("first dismissal (another open): %d %s", r.Status, r.Body)
		}
		r = env.do("POST", "/api/v1/needs/"+id+"/objections/"+o2.JSON(t)["id"].(string)+"/resolve", verifier, map[string]any{"decision": "dismissed"})
		if r.Status != 200 {
			t.Fatalf("second dismissal: %d %s", r.Status, r.Body)
		}
		if n := r.JSON(t); n["status"] != "notice" || n["notice_ends_at"] != originalEnd {
			t.Errorf("after dismissal: %v until %v, want notice until the original end %s", n["status"], n["notice_ends_at"], originalEnd)
		}
		// Resolving twice is a conflict.
		if r := env.do("POST", "/api/v1/needs/"+id+"/objections/"+o2.JSON(t)["id"].(string)+"/resolve", verifier, map[string]any{"decision": "upheld"}); r.Status != http.StatusConflict {
			t.Errorf("second resolution: %d", r.Status)
		}
		// An upheld objection rejects the need.
		o3 := env.do("POST", "/api/v1/needs/"+id+"/objections", "", map[string]any{"text": "再次异议", "anonymous": true})
		r = env.do("POST", "/api/v1/needs/"+id+"/objections/"+o3.JSON(t)["id"].(string)+"/resolve", verifier, map[string]any{"decision": "upheld", "note": "查实"})
		if r.Status != 200 || r.JSON(t)["status"] != "rejected" {
			t.Fatalf("upheld: %d %s", r.Status, r.Body)
		}
		// After notice, no objections.
		id2 := env.createNeed(worker, needBody())
		env.clearAndPublish(id2, worker, verifier)
		env.advance(121 * time.Hour)
		if r := env.do("POST", "/api/v1/needs/"+id2+"/objections", "", map[string]any{"text": "晚了", "anonymous": true}); r.Status != http.StatusConflict {
			t.Errorf("objection after notice: %d %s", r.Status, r.Body)
		}
		if r := env.do("POST", "/api/v1/needs/"+id2+"/objections", "", map[string]any{"text": "", "anonymous": true}); r.Status != http.StatusBadRequest {
			t.Errorf("empty objection: %d", r.Status)
		}
	})
}

func TestNeedEmergencyPathConsentAndWithdraw(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		worker, _ := env.user(kernel.RoleSocialWorker, nil)
		verifier, _ := env.user(kernel.RoleVerifier, nil)
		// Emergency and small (≤ 3,000 yuan): open at once.
		small := with(func(b map[string]any) {
			b["emergency"] = true
			b["verified_cost_fen"] = 2_300_000
			b["requested_fen"] = 300_000
		})
		id := env.createNeed(worker, small)
		if p := env.clearAndPublish(id, worker, verifier); p["status"] != "open" || p["notice_ends_at"] != nil {
			t.Errorf("emergency path: %v, notice until %v", p["status"], p["notice_ends_at"])
		}
		// Emergency but above the limit: notice as usual.
		big := with(func(b map[string]any) { b["emergency"] = true })
		if p := env.clearAndPublish(env.createNeed(worker, big), worker, verifier); p["status"] != "notice" {
			t.Errorf("large emergency: %v", p["status"])
		}
		// Without consent to publication: published for staff, never public.
		noConsent := with(func(b map[string]any) { b["consent"] = map[string]any{"given": false} })
		nc := env.createNeed(worker, noConsent)
		p := env.clearAndPublish(nc, worker, verifier)
		if p["consent_public"] != false || p["published_at"] == nil {
			t.Errorf("no consent: %v", p)
		}
		if _, err := env.indexer.Drain(context.Background()); err != nil {
			t.Fatal(err)
		}
		if r := env.do("GET", "/api/v1/needs/"+nc, "", nil); r.Status != http.StatusNotFound {
			t.Errorf("need without consent is public: %d", r.Status)
		}
		if r := env.do("GET", "/api/v1/needs/"+id, "", nil); r.Status != 200 {
			t.Errorf("consented need not public: %d %s", r.Status, r.Body)
		}
		// Withdrawing an open need hides it and writes the outbox.
		var before int64
		env.db.Gorm.Raw("SELECT COUNT(*) FROM search_outbox").Scan(&before)
		if r := env.do("POST", "/api/v1/needs/"+id+"/withdraw", worker, map[string]any{"note": "家属已筹得费用"}); r.Status != 200 || r.JSON(t)["status"] != "withdrawn" {
			t.Fatalf("withdraw: %d %s", r.Status, r.Body)
		}
		var after int64
		env.db.Gorm.Raw("SELECT COUNT(*) FROM search_outbox").Scan(&after)
		if after != before+1 {
			t.Errorf("outbox rows %d → %d, want one more", before, after)
		}
		if r := env.do("GET", "/api/v1/needs/"+id, "", nil); r.Status != http.StatusNotFound {
			t.Errorf("withdrawn need is public: %d", r.Status)
		}
		// A funded need cannot be withdrawn.
		fid := env.createNeed(worker, needBody())
		env.clearAndPublish(fid, worker, verifier)
		if err := needfixture.Set(t.Context(), env.db.Gorm, fid, map[string]any{"funded_fen": 1000}); err != nil {
			t.Fatal(err)
		}
		if r := env.do("POST", "/api/v1/needs/"+fid+"/withdraw", worker, map[string]any{}); r.Status != http.StatusConflict {
			t.Errorf("withdraw with money allocated: %d", r.Status)
		}
	})
}

func TestNeedClearanceRulesAndQueue(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		worker, wp := env.user(kernel.RoleSocialWorker, nil)
		verifier, vp := env.user(kernel.RoleVerifier, nil)
		// Created on Friday 17:00 China time: due Tuesday (weekend skipped).
		fri := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
		env.now.Store(&fri)
		worker, verifier = env.token(wp), env.token(vp)
		late := env.createNeed(worker, needBody())
		env.advance(24 * time.Hour)
		worker, verifier = env.token(wp), env.token(vp)
		early := env.createNeed(worker, needBody()) // Saturday: due Tuesday at the same time; ties go by posting order
		q := env.do("GET", "/api/v1/clearance-queue", verifier, nil).JSON(t)
		items := q["items"].([]any)
		if len(items) != 2 || items[0].(map[string]any)["id"] != late {
			t.Fatalf("queue: %v", q)
		}
		if due := items[0].(map[string]any)["clearance_due_at"]; due != "2026-12-01T09:00:00Z" {
			t.Errorf("Friday's need due %v, want Tuesday 2026-12-01T09:00:00Z", due)
		}
		if r := env.do("GET", "/api/v1/clearance-queue?overdue=true", verifier, nil).JSON(t); r["total"] != float64(0) {
			t.Errorf("overdue before the limit: %v", r["total"])
		}
		env.advance(4 * 24 * time.Hour) // Wednesday 09:00 UTC: Friday's need is overdue, Saturday's too (due Tuesday)
		worker, verifier = env.token(wp), env.token(vp)
		r := env.do("GET", "/api/v1/clearance-queue?overdue=true", verifier, nil).JSON(t)
		if r["total"] != float64(2) {
			t.Fatalf("overdue: %v", r)
		}
		first := r["items"].([]any)[0].(map[string]any)
		if first["overdue"] != true || first["clearance_seconds_left"].(float64) >= 0 || first["title"] == "" {
			t.Errorf("overdue item: %v", first)
		}
		if r := env.do("GET", "/api/v1/clearance-queue?overdue=maybe", verifier, nil); r.Status != http.StatusBadRequest {
			t.Errorf("bad overdue filter: %d", r.Status)
		}
		// Statutory relief updated at clearance lowers the request.
		c := env.do("POST", "/api/v1/needs/"+late+"/clearance", verifier, map[string]any{"decision": "cleared", "statutory_relief_fen": 4_000_000, "reference": "民救2026-88"})
		if c.Status != 200 {
			t.Fatalf("clear: %d %s", c.Status, c.Body)
		}
		if n := c.JSON(t); n["statutory_relief_fen"] != float64(4_000_000) || n["requested_fen"] != float64(1_000_000) {
			t.Errorf("after new relief: %v / %v", n["statutory_relief_fen"], n["requested_fen"])
		}
		// A blocking screening refuses clearance with 422 and the screening.
		scr := &fakeScreener{result: kernel.ScreenBlock}
		env.needs.Screener = scr
		b := env.do("POST", "/api/v1/needs/"+early+"/clearance", verifier, map[string]any{"decision": "cleared"})
		if b.Status != http.StatusUnprocessableEntity || b.ErrorCode() != "screening_block" {
			t.Fatalf("blocked clearance: %d %s", b.Status, b.Body)
		}
		var e errorBody
		_ = jsonUnmarshal(b.Body, &e)
		if d, _ := e.Error.Details.(map[string]any); d == nil || d["result"] != "block" {
			t.Errorf("details: %v", e.Error.Details)
		}
		if st := env.status(early, verifier); st != "submitted" {
			t.Errorf("blocked need moved to %s", st)
		}
		// Rejecting is still possible.
		if r := env.do("POST", "/api/v1/needs/"+early+"/clearance", verifier, map[string]any{"decision": "referred", "note": "先申请临时救助"}); r.Status != 200 || r.JSON(t)["status"] != "referred" {
			t.Errorf("refer: %d %s", r.Status, r.Body)
		}
		// The screening answer of a new need is in the 201.
		scr.result = kernel.ScreenWarn
		cr := env.do("POST", "/api/v1/needs", worker, needBody()).JSON(t)
		if s, _ := cr["screening"].(map[string]any); s == nil || s["result"] != "warn" || cr["screening_result"] != "warn" {
			t.Errorf("screening in 201: %v", cr["screening"])
		}
		if len(scr.calls) != 2 || scr.calls[0] != kernel.StageClear || scr.calls[1] != kernel.StageSubmit {
			t.Errorf("screener calls: %v", scr.calls)
		}
	})
}

func TestNeedUpdatesConfirmationAndOrgList(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		worker, _ := env.user(kernel.RoleSocialWorker, nil)
		verifier, _ := env.user(kernel.RoleVerifier, nil)
		volunteer, _ := env.user(kernel.RoleVolunteer, nil)
		id := env.createNeed(worker, needBody())
		other := env.createNeed(worker, needBody())
		env.clearAndPublish(id, worker, verifier)
		if r := env.do("POST", "/api/v1/needs/"+id+"/updates", worker, map[string]any{"text": "已完成第一次透析"}); r.Status != http.StatusCreated {
			t.Fatalf("update: %d %s", r.Status, r.Body)
		}
		u := env.do("GET", "/api/v1/needs/"+id+"/updates", verifier, nil)
		if items, _ := u.JSON(t)["items"].([]any); u.Status != 200 || len(items) != 1 || items[0].(map[string]any)["text"] != "已完成第一次透析" {
			t.Errorf("updates: %d %s", u.Status, u.Body)
		}
		// A volunteer who does not serve the need does not read them (see TestNeedUpdatesOnlyForItsBackers).
		if r := env.do("GET", "/api/v1/needs/"+id+"/updates", volunteer, nil); r.Status != http.StatusNotFound {
			t.Errorf("updates to a volunteer without a claim: %d", r.Status)
		}
		// Updates of an unpublished need are not for everyone.
		if r := env.do("GET", "/api/v1/needs/"+other+"/updates", volunteer, nil); r.Status != http.StatusNotFound {
			t.Errorf("updates of unpublished need: %d", r.Status)
		}
		c := env.do("POST", "/api/v1/needs/"+id+"/confirm-still-needed", worker, nil)
		if c.Status != 200 || c.JSON(t)["still_needed_confirmed_at"] != env.now.Load().Format(time.RFC3339) {
			t.Errorf("confirm: %d %s", c.Status, c.Body)
		}
		at, err := env.needs.StillNeededConfirmedAt(context.Background(), id)
		if err != nil || at == nil || !at.Equal(*env.now.Load()) {
			t.Errorf("StillNeededConfirmedAt = %v, %v", at, err)
		}
		l := env.do("GET", "/api/v1/orgs/me/needs?status=submitted", worker, nil).JSON(t)
		if l["total"] != float64(1) || l["items"].([]any)[0].(map[string]any)["id"] != other {
			t.Errorf("org list (submitted): %v", l)
		}
		if l := env.do("GET", "/api/v1/orgs/me/needs?limit=1", worker, nil).JSON(t); l["total"] != float64(2) || len(l["items"].([]any)) != 1 {
			t.Errorf("org list paging: %v", l)
		}
		if r := env.do("GET", "/api/v1/orgs/me/needs?status=nonsense", worker, nil); r.Status != http.StatusBadRequest {
			t.Errorf("bad status filter: %d", r.Status)
		}
	})
}

func TestNeedRegionCoarsenedUntilKShareTheCell(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		worker, _ := env.user(kernel.RoleSocialWorker, nil)
		verifier, _ := env.user(kernel.RoleVerifier, nil)
		var regions, ids []string
		for i := 0; i < 5; i++ {
			id := env.createNeed(worker, needBody())
			ids = append(ids, id)
			p := env.clearAndPublish(id, worker, verifier)
			regions = append(regions, p["public_region_code"].(string))
			if i == 0 && len(p["public_household_types"].([]any)) != 0 {
				t.Errorf("first need keeps rare household types: %v", p["public_household_types"])
			}
			if i == 3 {
				// Four in the cell: still nationwide, everywhere it is shown.
				for _, id := range ids {
					if r := env.do("GET", "/api/v1/needs/"+id, "", nil).JSON(t); r["region_code"] != kernel.NationalRegion || len(r["household_types"].([]any)) != 0 {
						t.Errorf("with 4 in the cell need %s is shown at %v with %v", id, r["region_code"], r["household_types"])
					}
				}
				if _, err := env.indexer.Drain(context.Background()); err != nil {
					t.Fatal(err)
				}
				if res := env.do("GET", "/api/v1/needs?region=371725", "", nil).JSON(t); res["total"] != float64(0) {
					t.Errorf("with 4 in the cell search by county finds %v needs, want 0", res["total"])
				}
			}
		}
		// k = 5: the first four are alone in every cell up to the province (national), the fifth has its county.
		if regions[0] != kernel.NationalRegion || regions[4] != "371725" {
			t.Errorf("public regions %v", regions)
		}
		// Publishing the fifth re-projects the four published before it.
		for _, id := range ids {
			r := env.do("GET", "/api/v1/needs/"+id, "", nil).JSON(t)
			if r["region_code"] != "371725" || fmt.Sprint(r["household_types"]) != "[dibao expenditure_hardship]" {
				t.Errorf("after the fifth, need %s is shown at %v with %v, want 371725 with both household types", id, r["region_code"], r["household_types"])
			}
		}
		// The search index got the change.
		if _, err := env.indexer.Drain(context.Background()); err != nil {
			t.Fatal(err)
		}
		res := env.do("GET", "/api/v1/needs?region=371725", "", nil).JSON(t)
		if res["total"] != float64(5) {
			t.Errorf("search by county finds %v needs, want 5", res["total"])
		}
	})
}
