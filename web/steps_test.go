package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
)

// The county's way of working (issue 19, docs/steps.md): town review →
// county approval, 一事一议, time limits in working days, escalation, reports
// routed to the town's civil affairs office.

func init() {
	addRouteAccess(map[string][]string{
		"GET /api/v1/needs/:id/steps": {"social_worker", "verifier", "federation_staff", "auditor"},
		"GET /api/v1/escalations":     {"verifier"},
	})
	routeScope["GET /api/v1/needs/:id/steps"] = "own_org|region"
	routeScope["GET /api/v1/escalations"] = "region"
	scopeProbes["GET /api/v1/needs/:id/steps"] = func(fx *scopeFixture) []scopeCall {
		p := "/api/v1/needs/" + fx.need + "/steps"
		return []scopeCall{{who: fx.swB, path: p, want: 404}, {who: fx.verB, path: p, want: 404}, {who: fx.staffB, path: p, want: 404}, {who: fx.auditorB, path: p, want: 404}}
	}
	scopeProbes["GET /api/v1/escalations"] = func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.verB, path: "/api/v1/escalations", want: 200, absent: fx.report}, {who: fx.verB, path: "/api/v1/escalations", want: 200, absent: fx.need}}
	}
	pageScopeProbes["GET /verify/reports"] = func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.verB, path: "/verify/reports", want: 200, absent: fx.report}}
	}
	pageScopeProbes["GET /verify/reports/:id"] = func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.verB, path: "/verify/reports/" + fx.report, want: 404}}
	}
	pageScopeProbes["POST /verify/reports/:id"] = func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.verB, path: "/verify/reports/" + fx.report, body: map[string]string{"status": "accepted"}, want: 404}}
	}
}

// Towns of 郓城县 (371725).
const (
	townA = "371725001" // 郓州街道
	townB = "371725002" // 唐塔街道
)

// townNeedBody is needBody for a household of town, with consent given on
// consentDay.
func townNeedBody(town, consentDay string) map[string]any {
	b := needBody()
	b["beneficiary"].(map[string]any)["region_code"] = town
	b["consent"].(map[string]any)["at"] = consentDay
	return b
}

// groupBody is a 一事一议 of three members on day.
func groupBody(day string) map[string]any {
	return map[string]any{"members": []map[string]any{{"name": "王立新", "role": "局长"}, {"name": "李红", "role": "社会救助科科长"},
		{"name": "赵明", "role": "经办人"}}, "date": day, "reasoning": "支出型困难，医疗费用负担重，经集体研究同意救助。"}
}

// stepsBody is GET /needs/{id}/steps.
type stepsBody struct {
	Steps []struct {
		Step        string     `json:"step"`
		DueAt       time.Time  `json:"due_at"`
		EndedAt     *time.Time `json:"ended_at"`
		Outcome     string     `json:"outcome"`
		LimitDays   int        `json:"limit_days"`
		WithinLimit *bool      `json:"within_limit"`
		Overdue     bool       `json:"overdue"`
		Escalations []struct {
			Level      string `json:"level"`
			RegionCode string `json:"region_code"`
		} `json:"escalations"`
	} `json:"steps"`
	GroupDecisions []struct {
		Decision  string `json:"decision"`
		Date      string `json:"date"`
		Reasoning string `json:"reasoning"`
		Members   []struct {
			Name string `json:"name"`
			Role string `json:"role"`
		} `json:"members"`
	} `json:"group_decisions"`
}

// step returns the step named step, failing when there is none.
func (b stepsBody) step(t *testing.T, step string) (i int) {
	t.Helper()
	for i := range b.Steps {
		if b.Steps[i].Step == step {
			return i
		}
	}
	t.Fatalf("no step %s in %+v", step, b.Steps)
	return -1
}

func (env *testEnv) steps(id, token string) stepsBody {
	env.t.Helper()
	r := env.do(http.MethodGet, "/api/v1/needs/"+id+"/steps", token, nil)
	if r.Status != http.StatusOK {
		env.t.Fatalf("steps: %d %s", r.Status, r.Body)
	}
	return decodeInto[stepsBody](env.t, r)
}

// auditActions lists the actions of a chain.
func (env *testEnv) auditActions(stream string) []string {
	env.t.Helper()
	es, err := env.store.AuditEntries(context.Background(), stream)
	if err != nil {
		env.t.Fatal(err)
	}
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Action
	}
	return out
}

// TestTownReviewThenCountyApprovalWithGroupDecision: with two steps, a need
// of a town waits for the town's office, then the county's, each decision
// recorded with who, when and the note, and the county's decision above
// the amount needs its 一事一议. A verifier of another town sees nothing
// (404); a town verifier may not approve (403); the county may not review
// before the town's limit has passed (403).
func TestTownReviewThenCountyApprovalWithGroupDecision(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		env.needs.Config.TwoStep = true
		env.needs.Config.GroupDecisionAboveFen = 2_000_000 // 20,000 yuan
		env.needs.Config.CaseWorkingDays = 45
		worker, workerP := env.user(kernel.RoleSocialWorker, nil)
		county, countyP := env.user(kernel.RoleVerifier, nil) // 测试民政局, 371725
		town, townP := env.civilAffairsVerifier("郓州街道民政办", townA)
		otherTown, _ := env.civilAffairsVerifier("唐塔街道民政办", townB)
		start := *env.now.Load()

		r := env.do(http.MethodPost, "/api/v1/needs", worker, townNeedBody(townA, "2026-11-20"))
		if r.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		created := r.JSON(t)
		id := created["id"].(string)
		// Monday 2026-11-23 17:00 in China: the town review is due on
		// Wednesday, the case 45 working days on.
		if created["approval_step"] != "town_review" || created["clearance_due_at"] != "2026-11-25T09:00:00Z" {
			t.Fatalf("created at %v due %v", created["approval_step"], created["clearance_due_at"])
		}
		if want := (*kernel.Calendar)(nil).AddWorkingDays(start, 45).Format(time.RFC3339); created["case_due_at"] != want {
			t.Errorf("case due %v, want %s", created["case_due_at"], want)
		}

		clear := func(tok string, body map[string]any) response {
			t.Helper()
			return env.do(http.MethodPost, "/api/v1/needs/"+id+"/clearance", tok, body)
		}
		if r := clear(otherTown, map[string]any{"decision": "passed"}); r.Status != http.StatusNotFound {
			t.Errorf("another town's verifier: %d, want 404", r.Status)
		}
		if r := clear(county, map[string]any{"decision": "passed"}); r.Status != http.StatusForbidden {
			t.Errorf("the county reviewing before the town's limit: %d, want 403: %s", r.Status, r.Body)
		}
		if r := clear(county, map[string]any{"decision": "cleared", "group_decision": groupBody("2026-11-23")}); r.Status != http.StatusConflict {
			t.Errorf("the county approving before the town's review: %d, want 409: %s", r.Status, r.Body)
		}
		if r := clear(town, map[string]any{"decision": "cleared"}); r.Status != http.StatusForbidden {
			t.Errorf("the town approving: %d, want 403: %s", r.Status, r.Body)
		}
		// The town's queue holds it, the county's does not yet.
		if !strings.Contains(string(env.do(http.MethodGet, "/api/v1/clearance-queue", town, nil).Body), id) {
			t.Error("the town's queue lacks the need")
		}
		if strings.Contains(string(env.do(http.MethodGet, "/api/v1/clearance-queue", county, nil).Body), id) {
			t.Error("the county's queue holds a need the town has not reviewed")
		}

		env.advance(time.Hour)
		town, county = env.token(townP), env.token(countyP)
		r = clear(town, map[string]any{"decision": "passed", "reference": "郓州审〔2026〕3号", "note": "入户核实属实"})
		if r.Status != http.StatusOK {
			t.Fatalf("town review: %d %s", r.Status, r.Body)
		}
		reviewed := r.JSON(t)
		// Reviewed Monday 18:00 China: the county's 2 working days run to Wednesday.
		if reviewed["status"] != "submitted" || reviewed["approval_step"] != "county_approval" || reviewed["clearance_due_at"] != "2026-11-25T10:00:00Z" {
			t.Fatalf("after the town's review: %v %v %v", reviewed["status"], reviewed["approval_step"], reviewed["clearance_due_at"])
		}
		if !strings.Contains(string(env.do(http.MethodGet, "/api/v1/clearance-queue", county, nil).Body), id) {
			t.Error("the county's queue lacks the reviewed need")
		}
		if strings.Contains(string(env.do(http.MethodGet, "/api/v1/clearance-queue", town, nil).Body), id) {
			t.Error("the town's queue still holds the reviewed need")
		}
		if r := clear(town, map[string]any{"decision": "cleared", "group_decision": groupBody("2026-11-23")}); r.Status != http.StatusForbidden {
			t.Errorf("a town verifier approving at county level: %d, want 403: %s", r.Status, r.Body)
		}
		if r := clear(town, map[string]any{"decision": "rejected", "note": "不符合"}); r.Status != http.StatusForbidden {
			t.Errorf("a town verifier rejecting at county level: %d, want 403: %s", r.Status, r.Body)
		}

		// Above 20,000 yuan the county decides as a group.
		r = clear(county, map[string]any{"decision": "cleared"})
		if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "group_decision") {
			t.Fatalf("without 一事一议: %d %s", r.Status, r.Body)
		}
		two := groupBody("2026-11-23")
		two["members"] = two["members"].([]map[string]any)[:2]
		if r := clear(county, map[string]any{"decision": "cleared", "group_decision": two}); r.Status != http.StatusBadRequest ||
			!strings.Contains(string(r.Body), "group_decision.members") {
			t.Fatalf("two members: %d %s", r.Status, r.Body)
		}
		if r := clear(county, map[string]any{"decision": "cleared", "group_decision": groupBody("2026-11-30")}); r.Status != http.StatusBadRequest {
			t.Fatalf("a decision dated in the future: %d %s", r.Status, r.Body)
		}
		env.advance(time.Hour)
		town, county = env.token(townP), env.token(countyP)
		worker = env.token(workerP)
		r = clear(county, map[string]any{"decision": "cleared", "reference": "郓民救〔2026〕12号", "group_decision": groupBody("2026-11-23")})
		if r.Status != http.StatusOK || r.JSON(t)["status"] != "cleared" || r.JSON(t)["approval_step"] != "" {
			t.Fatalf("county approval: %d %s", r.Status, r.Body)
		}

		st := env.steps(id, county)
		tr, ca, cs := st.step(t, "town_review"), st.step(t, "county_approval"), st.step(t, "case_completion")
		if s := st.Steps[tr]; s.Outcome != "passed" || s.EndedAt == nil || s.WithinLimit == nil || !*s.WithinLimit || s.LimitDays != 2 {
			t.Errorf("town review step: %+v", s)
		}
		if s := st.Steps[ca]; s.Outcome != "cleared" || s.EndedAt == nil || !*s.WithinLimit {
			t.Errorf("county approval step: %+v", s)
		}
		if s := st.Steps[cs]; s.EndedAt != nil || s.LimitDays != 45 {
			t.Errorf("case step: %+v", s)
		}
		if len(st.GroupDecisions) != 1 || len(st.GroupDecisions[0].Members) != 3 || st.GroupDecisions[0].Date != "2026-11-23" ||
			st.GroupDecisions[0].Decision != "cleared" || !strings.Contains(st.GroupDecisions[0].Reasoning, "集体研究") {
			t.Errorf("group decisions: %+v", st.GroupDecisions)
		}
		// Each decision is an event and an audit entry; the reasoning
		// is not in the audit log.
		acts := strings.Join(env.auditActions("need:"+id), " ")
		if !strings.Contains(acts, "need.review") || !strings.Contains(acts, "need.clearance") {
			t.Errorf("audit: %s", acts)
		}
		es, _ := env.store.AuditEntries(context.Background(), "need:"+id)
		for _, e := range es {
			if strings.Contains(e.Detail, "集体研究") {
				t.Errorf("the reasoning reached the audit log: %s", e.Detail)
			}
			if e.Action == "need.clearance" && !strings.Contains(e.Detail, `"group_members":3`) {
				t.Errorf("the clearance's audit entry lacks the group decision: %s", e.Detail)
			}
		}
		priv := env.do(http.MethodGet, "/api/v1/needs/"+id+"/private", county, nil).JSON(t)
		var review map[string]any
		for _, e := range priv["events"].([]any) {
			if ev := e.(map[string]any); ev["action"] == "need.review" {
				review = ev
			}
		}
		if review == nil || review["note"] != "入户核实属实" || review["reference"] != "郓州审〔2026〕3号" || review["actor"] == "" {
			t.Errorf("the town's review event: %v", review)
		}

		// The town rejecting ends the case.
		id2 := env.createNeed(worker, townNeedBody(townA, "2026-11-20"))
		r = env.do(http.MethodPost, "/api/v1/needs/"+id2+"/clearance", town, map[string]any{"decision": "rejected", "note": "家庭收入超过标准"})
		if r.Status != http.StatusOK || r.JSON(t)["status"] != "rejected" {
			t.Fatalf("town rejection: %d %s", r.Status, r.Body)
		}
		st = env.steps(id2, town)
		if s := st.Steps[st.step(t, "town_review")]; s.Outcome != "rejected" {
			t.Errorf("town step after the rejection: %+v", s)
		}
		if s := st.Steps[st.step(t, "case_completion")]; s.Outcome != "rejected" || s.EndedAt == nil {
			t.Errorf("case after the town's rejection: %+v", s)
		}
		for _, s := range st.Steps {
			if s.Step == "county_approval" {
				t.Error("a rejected need went on to the county")
			}
		}
	})
}

// TestTwoStepsWithoutATownOffice: a town without a civil affairs office on
// the platform, or a need filed at county level, goes to the county at
// once; with one step, any covering verifier clears as before.
func TestTwoStepsWithoutATownOffice(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		worker, _ := env.user(kernel.RoleSocialWorker, nil)
		county, _ := env.user(kernel.RoleVerifier, nil)
		one := env.do(http.MethodPost, "/api/v1/needs", worker, townNeedBody(townB, "2026-11-20")).JSON(t)
		if one["approval_step"] != "clearance" {
			t.Errorf("one step: %v", one["approval_step"])
		}
		env.needs.Config.TwoStep = true
		r := env.do(http.MethodPost, "/api/v1/needs", worker, townNeedBody(townB, "2026-11-20")).JSON(t)
		if r["approval_step"] != "county_approval" {
			t.Errorf("a town without an office: %v", r["approval_step"])
		}
		r = env.do(http.MethodPost, "/api/v1/needs", worker, needBody()).JSON(t)
		if r["approval_step"] != "county_approval" {
			t.Errorf("a need of the county: %v", r["approval_step"])
		}
		if got := env.do(http.MethodPost, "/api/v1/needs/"+one["id"].(string)+"/clearance", county, map[string]any{"decision": "cleared"}); got.Status != http.StatusOK {
			t.Errorf("the one-step clearance after switching to two steps: %d %s", got.Status, got.Body)
		}
	})
}

// recordingNotifier keeps the notices of the time-limit job.
type recordingNotifier struct {
	mu      sync.Mutex
	notices []marketplace.StepNotice
}

func (n *recordingNotifier) NotifyStep(_ context.Context, x marketplace.StepNotice) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.notices = append(n.notices, x)
	return nil
}

func (n *recordingNotifier) count(kind marketplace.StepNoticeKind) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	c := 0
	for _, x := range n.notices {
		if x.Kind == kind {
			c++
		}
	}
	return c
}

// stepJob is the time-limit job over the environment's store and clock.
func (env *testEnv) stepJob(n marketplace.Notifier) *marketplace.StepService {
	d, err := kernel.LoadDivisions()
	if err != nil {
		env.t.Fatal(err)
	}
	return &marketplace.StepService{Store: env.store, Divisions: d, Now: func() time.Time { return *env.now.Load() }, NewID: testID, Notifier: n}
}

func (env *testEnv) runSteps(job *marketplace.StepService) marketplace.StepRun {
	env.t.Helper()
	run, err := job.Run(context.Background())
	if err != nil {
		env.t.Fatalf("time-limit job: %v", err)
	}
	return run
}

func (env *testEnv) count(query string, args ...any) int64 {
	env.t.Helper()
	var n int64
	if err := env.db.Gorm.Raw(query, args...).Scan(&n).Error; err != nil {
		env.t.Fatal(err)
	}
	return n
}

// TestTimeLimitsCrossNationalDay: a need submitted the day before 国庆 is
// due two working days after it, not during it; the job leaves it alone
// during the holiday, reminds the town the working day before, and once
// the limit passes escalates the town review to the county once, however
// often it runs; the county's queue then shows it and the county may take
// the review over.
func TestTimeLimitsCrossNationalDay(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		// Wednesday 2026-09-30, 09:00 in China.
		eve := time.Date(2026, 9, 30, 1, 0, 0, 0, time.UTC)
		env.now.Store(&eve)
		env.needs.Config.TwoStep = true
		worker, _ := env.user(kernel.RoleSocialWorker, nil)
		_, countyP := env.user(kernel.RoleVerifier, nil)
		_, townP := env.civilAffairsVerifier("郓州街道民政办", townA)
		created := env.do(http.MethodPost, "/api/v1/needs", worker, townNeedBody(townA, "2026-09-29")).JSON(t)
		id := created["id"].(string)
		// 10-01 to 10-07 are the holiday: two working days after 09-30 is
		// Friday 10-09, not Friday 10-02.
		if created["clearance_due_at"] != "2026-10-09T01:00:00Z" {
			t.Fatalf("town review due %v", created["clearance_due_at"])
		}
		note := &recordingNotifier{}
		job := env.stepJob(note)

		// 10-05, in the middle of the holiday: nothing is due yet.
		mid := time.Date(2026, 10, 5, 1, 0, 0, 0, time.UTC)
		env.now.Store(&mid)
		if run := env.runSteps(job); run.Escalated != 0 || run.Reminded != 0 {
			t.Errorf("during the holiday: %+v", run)
		}
		b := newBrowser(env)
		b.login(townP)
		page := b.do(http.MethodGet, "/staff/needs/"+id, nil).Body.String()
		if !strings.Contains(page, "剩余 2 个工作日") || strings.Contains(page, "已超时") {
			t.Errorf("the town's page during the holiday does not say 2 working days left")
		}
		if !strings.Contains(page, "乡镇审核") {
			t.Error("the page does not say the need is at the town review")
		}

		// 10-08 09:30, the working day before: a reminder, once.
		before := time.Date(2026, 10, 8, 1, 30, 0, 0, time.UTC)
		env.now.Store(&before)
		if run := env.runSteps(job); run.Reminded != 1 || run.Escalated != 0 {
			t.Errorf("the day before: %+v", run)
		}
		if run := env.runSteps(job); run.Reminded != 0 {
			t.Errorf("a second pass reminded again: %+v", run)
		}

		// 10-09 10:00: past the limit. Two passes escalate once.
		late := time.Date(2026, 10, 9, 2, 0, 0, 0, time.UTC)
		env.now.Store(&late)
		if run := env.runSteps(job); run.Escalated != 1 {
			t.Fatalf("past the limit: %+v", run)
		}
		if run := env.runSteps(job); run.Escalated != 0 {
			t.Errorf("the second pass escalated again: %+v", run)
		}
		if n := env.count("SELECT COUNT(*) FROM step_escalations"); n != 1 {
			t.Errorf("%d escalation rows, want 1", n)
		}
		if n := env.count("SELECT COUNT(*) FROM need_events WHERE action = 'need.escalated'"); n != 1 {
			t.Errorf("%d escalation events, want 1", n)
		}
		if note.count(marketplace.NoticeStepEscalated) != 1 || note.count(marketplace.NoticeStepDueSoon) != 1 {
			t.Errorf("notices: %+v", note.notices)
		}
		for _, n := range note.notices {
			if n.Step.SubjectID != id || n.Office != townA || (n.Kind == marketplace.NoticeStepEscalated && (len(n.To) != 1 || n.To[0].RegionCode != "371725")) {
				t.Errorf("notice %+v: not the town review of the need, at the town, escalated to the county", n)
			}
		}
		acts := strings.Join(env.auditActions("need:"+id), " ")
		if strings.Count(acts, "need.escalated") != 1 {
			t.Errorf("audit: %s", acts)
		}

		county := env.token(countyP)
		q := env.do(http.MethodGet, "/api/v1/clearance-queue", county, nil)
		if !strings.Contains(string(q.Body), id) || !strings.Contains(string(q.Body), `"escalated_to":"county"`) {
			t.Fatalf("the county's queue lacks the escalated review: %s", q.Body)
		}
		esc := env.do(http.MethodGet, "/api/v1/escalations", county, nil)
		if esc.Status != http.StatusOK || !strings.Contains(string(esc.Body), id) || !strings.Contains(string(esc.Body), `"step":"town_review"`) {
			t.Errorf("escalations: %d %s", esc.Status, esc.Body)
		}
		st := env.steps(id, county)
		if s := st.Steps[st.step(t, "town_review")]; len(s.Escalations) != 1 || s.Escalations[0].Level != "county" || s.Escalations[0].RegionCode != "371725" || !s.Overdue {
			t.Errorf("town step: %+v", s)
		}
		cb := newBrowser(env)
		cb.login(countyP)
		vq := cb.do(http.MethodGet, "/verify", nil).Body.String()
		if !strings.Contains(vq, "已上报县级督办") || !strings.Contains(vq, "已超时") {
			t.Errorf("the county's queue page does not show the escalation")
		}
		// The county takes the overdue review over.
		if r := env.do(http.MethodPost, "/api/v1/needs/"+id+"/clearance", county, map[string]any{"decision": "passed", "note": "县级督办后审核"}); r.Status != http.StatusOK {
			t.Fatalf("the county taking over the review: %d %s", r.Status, r.Body)
		}
		st = env.steps(id, county)
		if s := st.Steps[st.step(t, "town_review")]; s.WithinLimit == nil || *s.WithinLimit {
			t.Errorf("the late review counts as within its limit: %+v", s)
		}
		if r := env.do(http.MethodGet, "/api/v1/needs/"+id+"/private", county, nil).JSON(t); r["escalated_to"] != "" || r["approval_step"] != "county_approval" {
			t.Errorf("after the review: %v %v", r["approval_step"], r["escalated_to"])
		}
	})
}

// TestReportsReachTheTownsCivilAffairsOffice: an active-discovery report
// goes to the civil affairs office of its town too, with a due date; its
// verifiers have an inbox and the social workers' actions; another town's
// verifier sees nothing; a report not followed up in time escalates to the
// town's office and the county's, once.
func TestReportsReachTheTownsCivilAffairsOffice(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		town, townP := env.civilAffairsVerifier("郓州街道民政办", townA)
		other, otherP := env.civilAffairsVerifier("唐塔街道民政办", townB)
		_, countyP := env.user(kernel.RoleVerifier, nil)
		r := env.do(http.MethodPost, "/api/v1/reports", "", map[string]any{"region_code": townA, "category": "care", "description": "村里老人独居，冬天没有取暖", "contact": "13900002222"})
		if r.Status != http.StatusCreated {
			t.Fatalf("report: %d %s", r.Status, r.Body)
		}
		id := r.JSON(t)["id"].(string)
		second := env.do(http.MethodPost, "/api/v1/reports", "", map[string]any{"region_code": townA, "description": "一户因病致贫，孩子辍学"}).JSON(t)["id"].(string)

		list := env.do(http.MethodGet, "/api/v1/reports", town, nil)
		if list.Status != http.StatusOK || !strings.Contains(string(list.Body), id) {
			t.Fatalf("the town's office lacks the report: %d %s", list.Status, list.Body)
		}
		items := decodeInto[reportItems](t, list)
		// Monday 17:00 + 2 working days: Wednesday.
		if len(items.Items) != 2 || items.Items[0].FollowUpDueAt == nil || !items.Items[0].FollowUpDueAt.Equal(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)) {
			t.Fatalf("items: %+v", items.Items)
		}
		if strings.Contains(string(env.do(http.MethodGet, "/api/v1/reports", other, nil).Body), id) {
			t.Error("another town's office sees the report")
		}
		if r := env.do(http.MethodGet, "/api/v1/reports/"+id, other, nil); r.Status != http.StatusNotFound {
			t.Errorf("another town's verifier reading it: %d", r.Status)
		}
		if r := env.do(http.MethodPost, "/api/v1/reports/"+id, other, map[string]any{"status": "accepted"}); r.Status != http.StatusNotFound {
			t.Errorf("another town's verifier taking it: %d", r.Status)
		}

		// The inbox on the web: due dates, the report with its contact.
		b := newBrowser(env)
		b.login(townP)
		inbox := b.do(http.MethodGet, "/verify/reports", nil)
		if inbox.Code != http.StatusOK || !strings.Contains(inbox.Body.String(), "/verify/reports/"+id) || !strings.Contains(inbox.Body.String(), "剩余 2 个工作日") {
			t.Fatalf("inbox: %d", inbox.Code)
		}
		one := b.do(http.MethodGet, "/verify/reports/"+id, nil)
		if one.Code != http.StatusOK || !strings.Contains(one.Body.String(), "13900002222") {
			t.Fatalf("report page: %d", one.Code)
		}
		if rec := b.form("/verify/reports/"+id, url.Values{"status": {"accepted"}, "note": {"已电话联系，明天入户"}}); rec.Code != http.StatusSeeOther ||
			rec.Header().Get("Location") != "/verify/reports/"+id+"?saved=1" {
			t.Fatalf("taking it up: %d %s", rec.Code, rec.Header().Get("Location"))
		}
		ob := newBrowser(env)
		ob.login(otherP)
		if rec := ob.do(http.MethodGet, "/verify/reports/"+id, nil); rec.Code != http.StatusNotFound {
			t.Errorf("another town's page: %d", rec.Code)
		}

		// The second report is not followed up: past Wednesday it goes
		// to the town's office and the county's, once.
		env.advance(3 * 24 * time.Hour)
		job := env.stepJob(nil)
		if run := env.runSteps(job); run.Escalated != 1 {
			t.Fatalf("escalated %d, want 1 (the report taken up in time stays)", run.Escalated)
		}
		env.runSteps(job)
		if n := env.count("SELECT COUNT(*) FROM step_escalations"); n != 2 {
			t.Errorf("%d escalation rows, want the town's and the county's", n)
		}
		esc := env.do(http.MethodGet, "/api/v1/escalations", env.token(countyP), nil)
		if !strings.Contains(string(esc.Body), second) || strings.Contains(string(esc.Body), id) {
			t.Errorf("county escalations: %s", esc.Body)
		}
		if !strings.Contains(string(env.do(http.MethodGet, "/api/v1/escalations", env.token(townP), nil).Body), second) {
			t.Error("the town's office is not told of its report")
		}
		if strings.Contains(string(env.do(http.MethodGet, "/api/v1/escalations", env.token(otherP), nil).Body), second) {
			t.Error("another town's office is told of the report")
		}
		if acts := strings.Join(env.auditActions("report:"+second), " "); strings.Count(acts, "report.escalated") != 1 {
			t.Errorf("report audit: %s", acts)
		}
		// The step of the report taken up ended within its limit.
		var ended struct {
			Outcome string
			N       int64
		}
		env.db.Gorm.Raw("SELECT outcome, COUNT(*) AS n FROM case_steps WHERE subject_id = ? AND ended_at IS NOT NULL AND ended_at <= due_at GROUP BY outcome", id).Scan(&ended)
		if ended.Outcome != "accepted" || ended.N != 1 {
			t.Errorf("the follow-up step of the report taken up: %+v", ended)
		}
	})
}

// reportItems is GET /reports with the follow-up's due.
type reportItems struct {
	Items []struct {
		ID            string     `json:"id"`
		FollowUpDueAt *time.Time `json:"followup_due_at"`
	} `json:"items"`
}

// TestObjectionAndCaseSteps: an objection is a step with its limit, ended
// by its resolution; the case ends when the need is closed or withdrawn.
func TestObjectionAndCaseSteps(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		env.needs.Config.ObjectionResolveWorkingDays = 3
		worker, _ := env.user(kernel.RoleSocialWorker, nil)
		verifier, _ := env.user(kernel.RoleVerifier, nil)
		id := env.createNeed(worker, needBody())
		env.clearAndPublish(id, worker, verifier)
		r := env.do(http.MethodPost, "/api/v1/needs/"+id+"/objections", "", map[string]any{"text": "该户家里有车", "anonymous": true})
		if r.Status != http.StatusCreated {
			t.Fatalf("objection: %d %s", r.Status, r.Body)
		}
		oid := r.JSON(t)["id"].(string)
		st := env.steps(id, verifier)
		o := st.Steps[st.step(t, "objection")]
		// Monday 17:00 + 3 working days: Thursday.
		if o.EndedAt != nil || o.LimitDays != 3 || !o.DueAt.Equal(time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)) {
			t.Fatalf("objection step: %+v", o)
		}
		if r := env.do(http.MethodPost, "/api/v1/needs/"+id+"/objections/"+oid+"/resolve", verifier, map[string]any{"decision": "dismissed", "note": "核实无车"}); r.Status != http.StatusOK {
			t.Fatalf("resolve: %d %s", r.Status, r.Body)
		}
		st = env.steps(id, verifier)
		if o := st.Steps[st.step(t, "objection")]; o.Outcome != "dismissed" || o.WithinLimit == nil || !*o.WithinLimit {
			t.Errorf("resolved objection step: %+v", o)
		}
		id2 := env.createNeed(worker, needBody())
		if r := env.do(http.MethodPost, "/api/v1/needs/"+id2+"/withdraw", worker, map[string]any{"note": "家属已自行解决"}); r.Status != http.StatusOK {
			t.Fatalf("withdraw: %d %s", r.Status, r.Body)
		}
		st = env.steps(id2, worker)
		for _, k := range []string{"clearance", "case_completion"} {
			if s := st.Steps[st.step(t, k)]; s.Outcome != "withdrawn" || s.EndedAt == nil {
				t.Errorf("%s after withdrawal: %+v", k, s)
			}
		}
	})
}
