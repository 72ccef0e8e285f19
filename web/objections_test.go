package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// objectFrom raises an objection to need id from client address addr.
func (env *testEnv) objectFrom(id, addr string, body map[string]any) response {
	env.t.Helper()
	return env.do(http.MethodPost, "/api/v1/needs/"+id+"/objections", "", body, remoteAddrHeader, addr+":40000")
}

// A stranger's objection neither hides the need nor restarts its notice,
// but no money reaches it until a covering verifier resolves it; when the
// resolution comes after the original end, the need opens then.
func TestObjectionKeepsNeedListedButRefusesMoney(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		worker, wp := env.user(kernel.RoleSocialWorker, nil)
		verifier, vp := env.user(kernel.RoleVerifier, nil)
		_, staff := env.user(kernel.RoleFederationStaff, nil)
		fund := env.fundWithBalance(staff, kernel.Restrictions{}, 1_000_000)
		id := env.createNeed(worker, needBody())
		env.clearAndPublish(id, worker, verifier)
		env.advance(24 * time.Hour)
		o := env.objectFrom(id, "198.51.100.7", map[string]any{"text": "该户在县城有商铺", "anonymous": true})
		if o.Status != http.StatusCreated {
			t.Fatalf("objection: %d %s", o.Status, o.Body)
		}
		if o.JSON(t)["token"] == "" || o.JSON(t)["due_at"] == nil {
			t.Errorf("no receipt: %s", o.Body)
		}
		// Past the original end of notice the need is still in notice, listed.
		env.advance(120 * time.Hour)
		donor, _ := env.user(kernel.RoleDonor, nil)
		if r := env.do(http.MethodGet, "/api/v1/needs/"+id, "", nil); r.Status != 200 || r.JSON(t)["status"] != "notice" {
			t.Errorf("need during the objection: %d %s", r.Status, r.Body)
		}
		// Money is refused with the objection's reason, in Chinese.
		r := env.do(http.MethodPost, "/api/v1/funds/"+fund+"/allocations", env.token(staff), map[string]any{"need_id": id, "amount_fen": 10_000},
			"Idempotency-Key", testID(), "Accept-Language", "zh-CN")
		if r.Status != http.StatusConflict || !strings.Contains(string(r.Body), "objection_open") || !strings.Contains(string(r.Body), "异议正在核查") {
			t.Errorf("allocation during the objection: %d %s", r.Status, r.Body)
		}
		r = env.do(http.MethodPost, "/api/v1/pledges", donor, map[string]any{"target_type": "need", "target_id": id, "amount_fen": 10_000}, "Idempotency-Key", testID())
		if r.Status != http.StatusConflict || !strings.Contains(string(r.Body), "objection_open") {
			t.Errorf("pledge during the objection: %d %s", r.Status, r.Body)
		}
		// Dismissed after the original end: the need opens at the resolution.
		verifier = env.token(vp)
		r = env.do(http.MethodPost, "/api/v1/needs/"+id+"/objections/"+o.JSON(t)["id"].(string)+"/resolve", verifier, map[string]any{"decision": "dismissed", "note": "经入户核实，商铺为租用"})
		if r.Status != 200 || r.JSON(t)["status"] != "open" || r.JSON(t)["notice_ends_at"] != env.now.Load().Format(time.RFC3339) {
			t.Fatalf("dismissal after the original end: %d %s", r.Status, r.Body)
		}
		if _, err := env.funds.Allocate(ctx, staff, "fund", fund, id, 10_000, nil); err != nil {
			t.Errorf("allocation after the dismissal: %v", err)
		}
		_ = wp
	})
}

// One address cannot flood objections across needs, nor strangers pile
// anonymous objections on one need; the refusals are 429 in Chinese.
func TestObjectionFloodIsRefused(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		worker, _ := env.user(kernel.RoleSocialWorker, nil)
		verifier, _ := env.user(kernel.RoleVerifier, nil)
		var ids []string
		for range 5 {
			id := env.createNeed(worker, needBody())
			env.clearAndPublish(id, worker, verifier)
			ids = append(ids, id)
		}
		for i := range 3 {
			if r := env.objectFrom(ids[i], "203.0.113.9", map[string]any{"text": "不实", "anonymous": true}); r.Status != http.StatusCreated {
				t.Fatalf("objection %d: %d %s", i, r.Status, r.Body)
			}
		}
		r := env.objectFrom(ids[3], "203.0.113.9", map[string]any{"text": "不实", "anonymous": true})
		if r.Status != http.StatusTooManyRequests || !strings.Contains(string(r.Body), "一天内最多提出3条异议") {
			t.Errorf("fourth objection from one address: %d %s", r.Status, r.Body)
		}
		// The refused objection held nothing.
		if r := env.do(http.MethodGet, "/api/v1/needs/"+ids[3], "", nil); r.JSON(t)["notice_ends_at"] == nil {
			t.Errorf("a refused objection held the notice: %s", r.Body)
		}
		// A day later the address may object again.
		env.advance(25 * time.Hour)
		if r := env.objectFrom(ids[3], "203.0.113.9", map[string]any{"text": "不实", "anonymous": true}); r.Status != http.StatusCreated {
			t.Errorf("a day later: %d %s", r.Status, r.Body)
		}
		// Per need: three open anonymous objections, then only with a contact.
		for i, addr := range []string{"192.0.2.11", "192.0.2.12", "192.0.2.13"} {
			if r := env.objectFrom(ids[4], addr, map[string]any{"text": "不实", "anonymous": true}); r.Status != http.StatusCreated {
				t.Fatalf("anonymous objection %d: %d %s", i, r.Status, r.Body)
			}
		}
		if r := env.objectFrom(ids[4], "192.0.2.14", map[string]any{"text": "不实", "anonymous": true}); r.Status != http.StatusTooManyRequests ||
			!strings.Contains(string(r.Body), "暂不接受新的匿名异议") {
			t.Errorf("fourth anonymous objection: %d %s", r.Status, r.Body)
		}
		if r := env.objectFrom(ids[4], "192.0.2.14", map[string]any{"text": "我是邻居，可以作证", "contact": "13700001234"}); r.Status != http.StatusCreated {
			t.Errorf("objection with a contact: %d %s", r.Status, r.Body)
		}
		// A contact or anonymous, not both, not neither.
		for _, b := range []map[string]any{{"text": "不实"}, {"text": "不实", "anonymous": true, "contact": "13700001234"}} {
			if r := env.objectFrom(ids[4], "192.0.2.15", b); r.Status != http.StatusBadRequest {
				t.Errorf("%v: %d %s", b, r.Status, r.Body)
			}
		}
	})
}

// The contact is sealed at rest and shown only to a covering verifier;
// the objector looks the outcome up with the receipt; every step is audited.
func TestObjectionContactOutcomeAndAudit(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		const phone = "13811112222"
		worker, _ := env.user(kernel.RoleSocialWorker, nil)
		verifier, _ := env.user(kernel.RoleVerifier, nil)
		otherVer, _ := env.civilAffairsVerifier("牡丹区民政局", "371702")
		id := env.createNeed(worker, needBody())
		env.clearAndPublish(id, worker, verifier)
		o := env.objectFrom(id, "198.51.100.20", map[string]any{"text": "该户儿子在外打工收入不低", "contact": phone})
		if o.Status != http.StatusCreated {
			t.Fatalf("objection: %d %s", o.Status, o.Body)
		}
		oid, token := o.JSON(t)["id"].(string), o.JSON(t)["token"].(string)

		// At rest: in no column but the sealed one, and nowhere in the logs.
		var hits int64
		env.db.Gorm.Raw("SELECT COUNT(*) FROM need_objections WHERE contact_ct IS NOT NULL AND contact_kid <> '' AND public_id = ?", oid).Scan(&hits)
		if hits != 1 {
			t.Errorf("the contact is not sealed: %d", hits)
		}
		for _, tbl := range []string{"need_objections", "need_events", "audit_log", "needs"} {
			var rows []map[string]any
			env.db.Gorm.Raw("SELECT * FROM " + tbl).Scan(&rows)
			for _, row := range rows {
				for col, v := range row {
					if s, ok := v.(string); ok && strings.Contains(s, phone) {
						t.Errorf("%s.%s holds the contact in plaintext", tbl, col)
					}
					if b, ok := v.([]byte); ok && strings.Contains(string(b), phone) {
						t.Errorf("%s.%s holds the contact in plaintext", tbl, col)
					}
				}
			}
		}
		if strings.Contains(env.logs.String(), phone) {
			t.Error("the contact is in the logs")
		}

		// The covering verifier reads it, unscrubbed; nobody else does.
		q := env.do(http.MethodGet, "/api/v1/objection-queue", verifier, nil)
		if q.Status != 200 || !strings.Contains(string(q.Body), phone) || !strings.Contains(string(q.Body), oid) {
			t.Errorf("covering verifier's queue: %d %s", q.Status, q.Body)
		}
		if q := env.do(http.MethodGet, "/api/v1/objection-queue", otherVer, nil); q.Status != 200 || strings.Contains(string(q.Body), oid) {
			t.Errorf("another county's queue: %d %s", q.Status, q.Body)
		}
		for _, tok := range []string{worker, verifier} {
			if r := env.do(http.MethodGet, "/api/v1/needs/"+id+"/objections", tok, nil); r.Status != 200 || strings.Contains(string(r.Body), phone) {
				t.Errorf("objection list shows the contact: %d %s", r.Status, r.Body)
			}
			if r := env.do(http.MethodGet, "/api/v1/needs/"+id+"/private", tok, nil); strings.Contains(string(r.Body), phone) {
				t.Errorf("private record shows the contact: %s", r.Body)
			}
		}
		if r := env.do(http.MethodPost, "/api/v1/needs/"+id+"/objections/"+oid+"/resolve", otherVer, map[string]any{"decision": "dismissed"}); r.Status != http.StatusNotFound {
			t.Errorf("another county's verifier resolves: %d", r.Status)
		}

		// The outcome by receipt: open, then dismissed; a wrong token is 404.
		out := func(tok string) response {
			return env.do(http.MethodPost, "/api/v1/objections/"+oid+"/outcome", "", map[string]any{"token": tok})
		}
		if r := out(token); r.Status != 200 || r.JSON(t)["status"] != "open" || strings.Contains(string(r.Body), phone) {
			t.Errorf("outcome while open: %d %s", r.Status, r.Body)
		}
		if r := out(strings.Repeat("0", 32)); r.Status != http.StatusNotFound {
			t.Errorf("wrong token: %d", r.Status)
		}
		r := env.do(http.MethodPost, "/api/v1/needs/"+id+"/objections/"+oid+"/resolve", verifier, map[string]any{"decision": "dismissed", "note": "已电话回访核实"})
		if r.Status != 200 {
			t.Fatalf("dismissal: %d %s", r.Status, r.Body)
		}
		if r := out(token); r.Status != 200 || r.JSON(t)["status"] != "dismissed" || r.JSON(t)["resolved_at"] == nil {
			t.Errorf("outcome after dismissal: %d %s", r.Status, r.Body)
		}

		// Audited: the objection and the decision, without the contact.
		var actions []string
		env.db.Gorm.Raw("SELECT action FROM audit_log WHERE stream = ? ORDER BY id", "need:"+id).Scan(&actions)
		joined := strings.Join(actions, " ")
		if !strings.Contains(joined, "need.objection ") || !strings.Contains(joined, "need.objection.dismissed") {
			t.Errorf("audit stream: %v", actions)
		}
	})
}

// The need page takes an objection with a contact and gives a receipt; the
// objector looks the outcome up on its page; the covering verifier sees the
// contact on the objection queue page and resolves it there.
func TestObjectionPages(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		const phone = "13599998888"
		worker, _ := env.user(kernel.RoleSocialWorker, nil)
		verifier, vp := env.user(kernel.RoleVerifier, nil)
		_, otherP := env.civilAffairsVerifier("牡丹区民政局", "371702")
		id := env.createNeed(worker, needBody())
		env.clearAndPublish(id, worker, verifier)

		anon := newBrowser(env)
		page := anon.do(http.MethodGet, "/needs/"+id, nil).Body.String()
		if !strings.Contains(page, `name="contact"`) || !strings.Contains(page, `name="anonymous"`) {
			t.Fatal("the objection form asks for no contact")
		}
		if r := anon.form("/needs/"+id+"/objection", url.Values{"text": {"有异议"}}); r.Code != http.StatusBadRequest ||
			!strings.Contains(r.Body.String(), "请留下联系方式") {
			t.Errorf("no contact, not anonymous: %d", r.Code)
		}
		r := anon.form("/needs/"+id+"/objection", url.Values{"text": {"该户有营运车辆"}, "contact": {phone}})
		body := r.Body.String()
		if r.Code != http.StatusCreated || !strings.Contains(body, "查询码") {
			t.Fatalf("receipt: %d %s", r.Code, body)
		}
		oid := between(body, `<dt>异议编号</dt><dd><code>`, `</code>`)
		token := between(body, `<dt>查询码</dt><dd><code>`, `</code>`)
		if oid == "" || token == "" {
			t.Fatalf("receipt without id or token: %s", body)
		}
		// Still listed, in notice, with the hold said.
		if p := anon.do(http.MethodGet, "/needs/"+id, nil); p.Code != 200 || !strings.Contains(p.Body.String(), "异议正在核查") {
			t.Errorf("need page during the objection: %d", p.Code)
		}
		if r := anon.form("/objections/"+oid, url.Values{"token": {"wrong"}}); r.Code != http.StatusNotFound || !strings.Contains(r.Body.String(), "查询码不对") {
			t.Errorf("wrong token page: %d", r.Code)
		}
		if r := anon.form("/objections/"+oid, url.Values{"token": {token}}); r.Code != 200 || !strings.Contains(r.Body.String(), "核查中") {
			t.Errorf("outcome page: %d", r.Code)
		}

		other := newBrowser(env)
		other.login(otherP)
		if p := other.do(http.MethodGet, "/verify/objections", nil).Body.String(); strings.Contains(p, phone) || strings.Contains(p, oid) {
			t.Error("another county's verifier sees the objection")
		}
		v := newBrowser(env)
		v.login(vp)
		q := v.do(http.MethodGet, "/verify/objections", nil)
		if q.Code != 200 || !strings.Contains(q.Body.String(), phone) || !strings.Contains(q.Body.String(), oid) {
			t.Fatalf("queue page: %d", q.Code)
		}
		if r := v.form("/verify/objections/"+oid, url.Values{"need": {id}, "decision": {"upheld"}, "note": {"查实有营运车辆"}}); r.Code != http.StatusSeeOther {
			t.Fatalf("resolve on the page: %d %s", r.Code, r.Body)
		}
		if r := anon.form("/objections/"+oid, url.Values{"token": {token}}); !strings.Contains(r.Body.String(), "异议成立") {
			t.Errorf("outcome after upholding: %s", r.Body)
		}
		if st := env.status(id, env.token(vp)); st != "rejected" {
			t.Errorf("upheld on the page: %s", st)
		}
	})
}

// between returns the text of s between the first a and the b after it.
func between(s, a, b string) string {
	_, rest, ok := strings.Cut(s, a)
	if !ok {
		return ""
	}
	out, _, _ := strings.Cut(rest, b)
	return out
}
