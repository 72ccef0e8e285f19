package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/marketplace/gormstore/needfixture"
)

// namedVolunteer registers a volunteer called name who offers services in
// 郓城县, and returns their token, principal and profile id.
func (env *testEnv) namedVolunteer(t *testing.T, name string, services ...string) (string, *kernel.Principal, string) {
	t.Helper()
	ctx := context.Background()
	env.n++
	u, err := env.accounts.Register(ctx, marketplace.NewUser{Email: "named" + itoa(int64(env.n)) + "@test.example", Password: "password-volunteer",
		DisplayName: name, Role: kernel.RoleVolunteer})
	if err != nil {
		t.Fatal(err)
	}
	p, err := env.store.Principal(ctx, u.PublicID)
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := env.srv.Tokens.Issue(u.PublicID, p.RoleNames(), testID())
	if err != nil {
		t.Fatal(err)
	}
	var skills []map[string]any
	for _, s := range services {
		skills = append(skills, map[string]any{"service": s, "level": 2})
	}
	r := env.do(http.MethodPut, "/api/v1/volunteers/me", tok, map[string]any{"skills": skills, "regions": []string{"371725"}, "load_limit": 3})
	if r.Status != http.StatusOK {
		t.Fatalf("profile: %d %s", r.Status, r.Body)
	}
	return tok, p, r.JSON(t)["id"].(string)
}

// titledNeed is an open public need of the default agency asking for
// services, with a public title.
func (env *testEnv) titledNeed(t *testing.T, title string, n testNeed) string {
	t.Helper()
	n.public = true
	id := env.insertNeed(n)
	if err := needfixture.Set(context.Background(), env.db.Gorm, id, map[string]any{"public_title": title, "public_region_code": "371725"}); err != nil {
		t.Fatal(err)
	}
	return id
}

// claimOn has the volunteer claim a service of a need for seven days.
func (env *testEnv) claimOn(t *testing.T, volTok, need, service string) string {
	t.Helper()
	r := env.do(http.MethodPost, "/api/v1/needs/"+need+"/claims", volTok, map[string]any{"service": service, "window_days": 7})
	if r.Status != http.StatusCreated {
		t.Fatalf("claim: %d %s", r.Status, r.Body)
	}
	return r.JSON(t)["id"].(string)
}

// A social worker finds the volunteers' claims on the organization's needs
// in the queue, named by need title and volunteer, approves one, turns one
// down with a reason (not without), and is told why an approval the rules
// no longer allow is refused. Another agency's worker neither sees nor
// decides them (404); other roles are refused the page (403).
func TestWorkerDecidesClaimsOnThePages(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		legal := env.titledNeed(t, "王大爷需要法律咨询", testNeed{services: "legal_aid"})
		tutor := env.titledNeed(t, "留守儿童课业辅导", testNeed{services: "tutoring"})
		care := env.titledNeed(t, "独居老人上门照料", testNeed{services: "home_care", ageBand: kernel.Age60Plus})
		liTok, _, _ := env.namedVolunteer(t, "李志愿", "legal_aid")
		zhaoTok, _, _ := env.namedVolunteer(t, "赵志愿", "tutoring")
		chenTok, _, chenID := env.namedVolunteer(t, "陈志愿", "home_care")
		env.clear(t, chenID)
		approve := env.claimOn(t, liTok, legal, "legal_aid")
		reject := env.claimOn(t, zhaoTok, tutor, "tutoring")
		lapsed := env.claimOn(t, chenTok, care, "home_care")
		// The check lapses after the claim: the approval must be refused.
		staff, _ := env.user(kernel.RoleFederationStaff, nil)
		if r := env.do(http.MethodPost, "/api/v1/volunteers/"+chenID+"/background-check", staff,
			map[string]any{"status": "expired", "checked_at": "2026-11-01"}); r.Status != http.StatusOK {
			t.Fatalf("expire the check: %d %s", r.Status, r.Body)
		}
		status := func(id string) marketplace.ClaimStatus {
			t.Helper()
			c, err := env.store.ClaimByPublicID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return c.Status
		}

		_, sw := env.user(kernel.RoleSocialWorker, nil)
		b := newBrowser(env)
		b.login(sw)
		queue := b.do(http.MethodGet, "/worker/claims", nil).Body.String()
		for _, want := range []string{"王大爷需要法律咨询", "留守儿童课业辅导", "李志愿", "赵志愿", "法律援助", "助学辅导", "7 天", "/worker/claims/" + approve} {
			if !strings.Contains(queue, want) {
				t.Errorf("the queue does not show %q", want)
			}
		}
		if home := b.do(http.MethodGet, "/worker/needs", nil).Body.String(); !strings.Contains(home, `href="/worker/claims"`) {
			t.Error("the worker's needs page does not lead to the claims")
		}

		// Approve.
		r := b.form("/worker/claims/"+approve, url.Values{"action": {"approve"}})
		if r.Code != http.StatusSeeOther || r.Header().Get("Location") != "/worker/claims" {
			t.Fatalf("approve: %d %s %.500s", r.Code, r.Header().Get("Location"), r.Body.String())
		}
		page := b.do(http.MethodGet, "/worker/claims", nil).Body.String()
		if !strings.Contains(page, "已批准认领") || strings.Contains(page, "/worker/claims/"+approve) {
			t.Errorf("after approving: %.3000s", page[strings.Index(page, "<main"):])
		}
		if st := status(approve); st != marketplace.ClaimApproved {
			t.Errorf("the approved claim is %s", st)
		}
		if page := b.do(http.MethodGet, "/worker/claims?status=approved", nil).Body.String(); !strings.Contains(page, "已批准，服务中") ||
			!strings.Contains(page, "王大爷需要法律咨询") || !strings.Contains(page, " 至 ") {
			t.Errorf("the approved tab: %.3000s", page[strings.Index(page, "<main"):])
		}

		// Reject: without a reason the form comes back with the field
		// marked; with one the claim is turned down and the reason kept.
		r = b.form("/worker/claims/"+reject, url.Values{"action": {"reject"}})
		if r.Code != http.StatusBadRequest || !strings.Contains(r.Body.String(), `id="reason-`+reject+`-error"`) ||
			!strings.Contains(r.Body.String(), `aria-invalid="true"`) {
			t.Fatalf("reject without a reason: %d %.3000s", r.Code, r.Body.String())
		}
		if st := status(reject); st != marketplace.ClaimPending {
			t.Fatalf("a rejection without a reason left the claim %s", st)
		}
		r = b.form("/worker/claims/"+reject, url.Values{"action": {"reject"}, "reason": {"schedule"}})
		if r.Code != http.StatusSeeOther {
			t.Fatalf("reject: %d %.500s", r.Code, r.Body.String())
		}
		if page := b.do(http.MethodGet, "/worker/claims", nil).Body.String(); !strings.Contains(page, "已不批准这条认领") {
			t.Error("no message after rejecting")
		}
		if st := status(reject); st != marketplace.ClaimRejected {
			t.Errorf("the rejected claim is %s", st)
		}
		entries, err := env.store.AuditEntries(ctx, "claim:"+reject)
		if err != nil {
			t.Fatal(err)
		}
		if last := entries[len(entries)-1]; last.Action != "claim.reject" || !strings.Contains(last.Detail, `"reason":"schedule"`) {
			t.Errorf("the rejection's audit entry: %+v", last)
		}

		// A lapsed check: the approval is refused with the reason, on the
		// queue, and the claim still waits.
		r = b.form("/worker/claims/"+lapsed, url.Values{"action": {"approve"}})
		if r.Code != http.StatusForbidden || !strings.Contains(r.Body.String(), "需要先通过背景审查") || !strings.Contains(r.Body.String(), "独居老人上门照料") {
			t.Errorf("approving a volunteer whose check lapsed: %d %.3000s", r.Code, r.Body.String())
		}
		if st := status(lapsed); st != marketplace.ClaimPending {
			t.Errorf("the refused claim is %s", st)
		}

		// Another agency's social worker.
		_, other := env.user(kernel.RoleSocialWorker, env.newOrg(kernel.OrgSocialWorkAgency, "430524"))
		o := newBrowser(env)
		o.login(other)
		if page := o.do(http.MethodGet, "/worker/claims?status=all", nil).Body.String(); strings.Contains(page, lapsed) || strings.Contains(page, "独居老人上门照料") {
			t.Error("another agency's worker sees the claims")
		}
		for _, v := range []url.Values{{"action": {"approve"}}, {"action": {"reject"}, "reason": {"other"}}} {
			if r := o.form("/worker/claims/"+lapsed, v); r.Code != http.StatusNotFound {
				t.Errorf("another agency's worker %s: %d, want 404", v.Get("action"), r.Code)
			}
		}
		if st := status(lapsed); st != marketplace.ClaimPending {
			t.Errorf("after another agency's worker: %s", st)
		}

		// Other roles.
		for _, role := range []kernel.Role{kernel.RoleFederationStaff, kernel.RoleVolunteer, kernel.RoleAdmin} {
			_, p := env.user(role, nil)
			x := newBrowser(env)
			x.login(p)
			if r := x.do(http.MethodGet, "/worker/claims", nil); r.Code != http.StatusForbidden {
				t.Errorf("%s opens the claims: %d", role, r.Code)
			}
			if r := x.form("/worker/claims/"+lapsed, url.Values{"action": {"reject"}, "reason": {"other"}}); r.Code != http.StatusForbidden {
				t.Errorf("%s decides a claim: %d", role, r.Code)
			}
		}
		if st := status(lapsed); st != marketplace.ClaimPending {
			t.Errorf("after other roles: %s", st)
		}
	})
}
