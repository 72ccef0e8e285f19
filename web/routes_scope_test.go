package web

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/marketplace"
)

// The scopes of routeScope: which of the users a role admits (routeAccess)
// pass for a given object.
//
//	none        no object of another party: public data, the caller's own
//	            organization named by the token, or a create
//	self        the caller's own records, found through the token only
//	own_org     staff (of the role) of the organization the object belongs to
//	region      a verifier of a civil affairs office whose region contains
//	            the need's (marketplace.CoveringVerifier)
//	own_record  the user who made the record (donor, volunteer)
//	federation  any federation staff
//	receiving_org  federation staff of the organization receiving the
//	            need's donations (funds.MayDisburseNeed: the county's
//	            charity federation, else the city's, else the province's)
//	org_region  an auditor whose organization's region contains the
//	            need's (or report's) region (marketplace.AuditorRegions)
//
// A route with several rules lists them joined by "|". An out-of-scope user
// gets 404 for an object that is not public (so that it does not learn the
// object exists) and 403 for acting on a public one (a fund or project).
var routeScope = map[string]string{
	"POST /api/v1/auth/register":    "none",
	"POST /api/v1/auth/login":       "none",
	"POST /api/v1/auth/logout":      "none",
	"GET /api/v1/auth/me":           "self",
	"POST /api/v1/orgs":             "none",
	"GET /api/v1/orgs":              "none",
	"POST /api/v1/orgs/:id/members": "none",
	// Federation staff set their own organization's account; an
	// administrator any organization's.
	"PUT /api/v1/orgs/:id/collection-account": "own_org",

	// Needs.
	"POST /api/v1/needs":                             "none",
	"POST /api/v1/needs/preview":                     "none",
	"GET /api/v1/needs/:id/preview":                  "own_org|region",
	"GET /api/v1/needs/:id/private":                  "own_org|region",
	"POST /api/v1/needs/:id/clearance":               "region",
	"POST /api/v1/needs/:id/publish":                 "own_org|region",
	"POST /api/v1/needs/:id/withdraw":                "own_org",
	"POST /api/v1/needs/:id/close":                   "own_org",
	"POST /api/v1/needs/:id/confirm-still-needed":    "own_org",
	"POST /api/v1/needs/:id/objections":              "none",
	"GET /api/v1/needs/:id/objections":               "own_org|region",
	"POST /api/v1/needs/:id/objections/:oid/resolve": "region",
	"GET /api/v1/objection-queue":                    "region",
	// The receipt's token is the objector's own record's key.
	"POST /api/v1/objections/:id/outcome": "own_record",
	"POST /api/v1/needs/:id/updates":      "own_org",
	"GET /api/v1/needs/:id/updates":       "own_org|region|own_record",
	"GET /api/v1/orgs/me/needs":           "own_org",
	"GET /api/v1/clearance-queue":         "region",

	// Browse.
	"GET /api/v1/needs":     "none",
	"GET /api/v1/needs/:id": "none",
	"GET /api/v1/regions":   "none",
	"GET /api/v1/codes":     "none",

	// Screening.
	"GET /api/v1/needs/:id/screening":         "own_org|region|federation",
	"POST /api/v1/needs/:id/screening/run":    "region",
	"GET /api/v1/review-queue":                "region",
	"GET /api/v1/charity-aid":                 "region",
	"POST /api/v1/review-queue/:id/decisions": "region",
	"GET /api/v1/referrals":                   "region",
	"POST /api/v1/referrals/:id":              "region",

	// Payments: the statutory record is one file for every county.
	"POST /api/v1/statutory-payments/imports":            "none",
	"GET /api/v1/statutory-payments/imports":             "none",
	"GET /api/v1/statutory-payments/imports/:id":         "none",
	"POST /api/v1/statutory-payments/imports/:id/resume": "none",

	// People.
	"PUT /api/v1/volunteers/me":                    "self",
	"GET /api/v1/volunteers/me":                    "self",
	"GET /api/v1/volunteers/me/claims":             "self",
	"GET /api/v1/volunteers/me/service":            "self",
	"GET /api/v1/volunteers":                       "none",
	"POST /api/v1/volunteers/:id/background-check": "none",
	"POST /api/v1/reports":                         "none",
	"GET /api/v1/reports/:id/status":               "none",
	"GET /api/v1/reports":                          "own_org",
	"GET /api/v1/reports/:id":                      "own_org",
	"POST /api/v1/reports/:id":                     "own_org",
	"POST /api/v1/needs/:id/claims":                "none",
	"GET /api/v1/needs/:id/claims":                 "own_org",
	"POST /api/v1/claims/:id/approve":              "own_org",
	"POST /api/v1/claims/:id/reject":               "own_org",
	"POST /api/v1/claims/:id/release":              "own_record",
	"GET /api/v1/claims/:id/contact":               "own_record",
	"POST /api/v1/service-pledges":                 "none",
	"POST /api/v1/service-pledges/:id/accept":      "own_org",
	"POST /api/v1/service-pledges/:id/decline":     "own_org",
	"POST /api/v1/service-pledges/:id/log":         "own_record|own_org",
	"GET /api/v1/needs/:id/service-pledges":        "none",

	// Funds.
	"POST /api/v1/funds":                        "none",
	"GET /api/v1/funds":                         "none",
	"GET /api/v1/funds/:id":                     "none",
	"GET /api/v1/funds/:id/ledger":              "none",
	"POST /api/v1/funds/:id/allocations":        "own_org",
	"POST /api/v1/projects":                     "none",
	"GET /api/v1/projects":                      "none",
	"GET /api/v1/projects/disclosure-calendar":  "own_org",
	"GET /api/v1/projects/:id":                  "none",
	"GET /api/v1/projects/:id/ledger":           "none",
	"POST /api/v1/projects/:id/allocations":     "own_org",
	"POST /api/v1/projects/:id/reports":         "own_org",
	"GET /api/v1/allocations/:id":               "own_org",
	"POST /api/v1/allocations/:id/disburse":     "own_org",
	"GET /api/v1/needs/:id/money":               "receiving_org",
	"POST /api/v1/needs/:id/disbursements":      "receiving_org",
	"POST /api/v1/pledges":                      "none",
	"GET /api/v1/pledges/:id":                   "own_record|own_org",
	"POST /api/v1/pledges/:id/confirm":          "own_org",
	"POST /api/v1/pledges/:id/refund":           "own_org",
	"POST /api/v1/pledges/:id/redirect":         "own_record",
	"POST /api/v1/pledges/reconciliations":      "own_org",
	"POST /api/v1/payment-notifications":        "none",
	"GET /api/v1/receipts/:id":                  "own_record|own_org",
	"GET /api/v1/me/giving":                     "self",
	"POST /api/v1/recurring-pledges":            "none",
	"GET /api/v1/me/recurring-pledges":          "self",
	"POST /api/v1/recurring-pledges/:id/pause":  "own_record",
	"POST /api/v1/recurring-pledges/:id/resume": "own_record",
	"POST /api/v1/recurring-pledges/:id/cancel": "own_record",
	"GET /api/v1/disclosures":                   "none",

	// Matching.
	"GET /api/v1/needs/:id/matches":     "own_org|region|federation",
	"GET /api/v1/funds/:id/matches":     "none",
	"GET /api/v1/projects/:id/matches":  "none",
	"GET /api/v1/volunteers/me/matches": "self",
	"POST /api/v1/funds/:id/plans":      "own_org",
	"GET /api/v1/plans/:id":             "own_org",
	"POST /api/v1/plans/:id/execute":    "own_org",

	// The auditor's browsers: the audit log of the chains about places in
	// the auditor's organization's region, the ledger of its own books.
	"GET /api/v1/audit-log": "org_region",
	"GET /api/v1/ledger":    "own_org",

	// Notifications: the caller's own inbox and settings; the outbox's
	// deliveries are the operator's, over every organization.
	"GET /api/v1/inbox":                          "self",
	"POST /api/v1/inbox/:id/read":                "own_record",
	"GET /api/v1/me/notification-settings":       "self",
	"PUT /api/v1/me/notification-settings":       "self",
	"GET /api/v1/admin/notifications":            "none",
	"POST /api/v1/admin/notifications/:id/retry": "none",
}

var knownScopes = map[string]bool{"none": true, "self": true, "own_org": true, "region": true, "own_record": true, "federation": true, "receiving_org": true, "org_region": true}

// scopedRoute reports whether a route has an object scope that an
// out-of-scope user of an admitted role must be tried against.
func scopedRoute(scope string) bool { return scope != "none" && scope != "self" }

// TestEveryRouteHasAScope: the route table says for every route which scope
// passes, next to the roles of routeAccess.
func TestEveryRouteHasAScope(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	declared := map[string]bool{}
	for _, r := range env.srv.Routes() {
		k := r.Method + " " + r.Path
		declared[k] = true
		scope, ok := routeScope[k]
		if !ok {
			t.Errorf("route %s has no entry in routeScope", k)
			continue
		}
		for _, s := range strings.Split(scope, "|") {
			if !knownScopes[s] {
				t.Errorf("%s: unknown scope %q", k, s)
			}
		}
		if scopedRoute(scope) && scopeProbes[k] == nil {
			t.Errorf("%s is scoped (%s) but has no out-of-scope probe in scopeProbes", k, scope)
		}
	}
	var stale []string
	for k := range routeScope {
		if !declared[k] {
			stale = append(stale, k)
		}
	}
	sort.Strings(stale)
	for _, k := range stale {
		t.Errorf("routeScope lists %s, which the server does not register", k)
	}
}

// scopeFixture holds objects of one organization and county (郓城县 371725)
// and users of every staff role elsewhere: another social work agency (隆回县
// 430524), another county's civil affairs office (牡丹区 371702), another
// charity federation, another donor and another volunteer.
type scopeFixture struct {
	need, publicNeed, screenedNeed, moneyNeed string
	// objection is an open objection, with a contact, to objectionNeed.
	objection, objectionNeed                  string
	screening, referral, report               string
	claim, servicePledge                      string
	fund, project, allocation, plan           string
	pledge, pledgeRef, receipt, recurring     string
	swB, verB, staffB, donorB, volB, auditorB string
	// fedOrg is the charity federation of 郓城县, whose staff is staffA.
	fedOrg string
	// inboxItem is a message in swA's inbox (the report's notice).
	inboxItem string
	// as holds the principal of each out-of-scope user's token, for pages.
	as map[string]*kernel.Principal
	// pay holds the payment channels' objects (paychan_test.go).
	pay *paychanScope

	// reconcileRun is staffA's import of a bill; payLink the signed link
	// to pay pledge (donorA's).
	reconcileRun, payLink string
}

func newScopeFixture(t *testing.T, env *testEnv) *scopeFixture {
	t.Helper()
	ctx := context.Background()
	fx := &scopeFixture{fedOrg: env.orgs[kernel.OrgCharityFederation].PublicID}
	swA, swAP := env.user(kernel.RoleSocialWorker, nil)
	verA, _ := env.user(kernel.RoleVerifier, nil)
	_, staffA := env.user(kernel.RoleFederationStaff, nil)

	fx.need = env.createNeed(swA, needBody())
	fx.publicNeed = env.insertNeed(testNeed{services: "legal_aid", public: true})
	fx.screenedNeed = env.postNeed(screenedNeed{idNumber: screeningIDNumber, category: kernel.CatBasicLiving, from: "2026-11-01", to: "2026-11-30",
		cost: 200_000, req: 200_000, households: "tekun"})
	r := env.do(http.MethodPost, "/api/v1/needs/"+fx.screenedNeed+"/screening/run", verA, nil)
	fx.screening = decodeInto[screeningBody](t, r).ID
	fx.referral = decodeInto[referralsBody](t, env.do(http.MethodGet, "/api/v1/referrals", verA, nil)).Items[0].ID
	// An open need on the public pages, which money goes to.
	fx.moneyNeed = env.createNeed(swA, needBody())
	env.clearAndPublish(fx.moneyNeed, swA, verA)
	fx.objectionNeed = env.createNeed(swA, needBody())
	env.clearAndPublish(fx.objectionNeed, swA, verA)
	r = env.do(http.MethodPost, "/api/v1/needs/"+fx.objectionNeed+"/objections", "", map[string]any{"text": "该户有车", "contact": scopeObjectorPhone})
	if r.Status != http.StatusCreated {
		t.Fatalf("objection: %d %s", r.Status, r.Body)
	}
	fx.objection = r.JSON(t)["id"].(string)
	env.advance(121 * time.Hour)
	// Tokens live an hour: the users below sign in after the notice.
	donorA, _ := env.user(kernel.RoleDonor, nil)
	r = env.do(http.MethodPost, "/api/v1/reports", "", map[string]any{"region_code": "371725001", "category": "care", "description": "村里老人独居需要照顾", "contact": "139 0000 2222"})
	if r.Status != http.StatusCreated {
		t.Fatalf("report: %d %s", r.Status, r.Body)
	}
	fx.report = r.JSON(t)["id"].(string)
	fx.inboxItem = env.firstInboxItem(t, swAP)

	volA, _, _ := env.volunteerWith(t, "legal_aid")
	r = env.do(http.MethodPost, "/api/v1/needs/"+fx.publicNeed+"/claims", volA, map[string]any{"service": "legal_aid", "window_days": 7})
	if r.Status != http.StatusCreated {
		t.Fatalf("claim: %d %s", r.Status, r.Body)
	}
	fx.claim = r.JSON(t)["id"].(string)
	r = env.do(http.MethodPost, "/api/v1/service-pledges", volA, map[string]any{"need_id": fx.publicNeed, "skill": "legal_aid", "hours": 2})
	if r.Status != http.StatusCreated {
		t.Fatalf("service pledge: %d %s", r.Status, r.Body)
	}
	fx.servicePledge = r.JSON(t)["id"].(string)

	fx.fund = env.fundWithBalance(staffA, kernel.Restrictions{}, 2_000_000)
	from, to := env.now.Load().AddDate(0, 0, -1), env.now.Load().AddDate(1, 0, 0)
	p, err := env.funds.CreateSource(ctx, staffA, funds.NewSource{Kind: funds.KindProject, Name: "助学项目", Namer: "爱心企业", Purpose: "助学",
		BudgetFen: 1_000_000, PeriodFrom: &from, PeriodTo: &to})
	if err != nil {
		t.Fatal(err)
	}
	fx.project = p.PublicID
	a, err := env.funds.Allocate(ctx, staffA, funds.KindFund, fx.fund, fx.moneyNeed, 10_000, nil)
	if err != nil {
		t.Fatal(err)
	}
	fx.allocation = a.PublicID
	r = env.do(http.MethodPost, "/api/v1/funds/"+fx.fund+"/plans", env.token(staffA), map[string]any{})
	if r.Status != http.StatusCreated {
		t.Fatalf("plan: %d %s", r.Status, r.Body)
	}
	fx.plan = r.JSON(t)["id"].(string)
	r = env.do(http.MethodPost, "/api/v1/pledges", donorA, map[string]any{"target_type": "fund", "target_id": fx.fund, "amount_fen": 10_000})
	if r.Status != http.StatusCreated {
		t.Fatalf("pledge: %d %s", r.Status, r.Body)
	}
	fx.pledge, fx.pledgeRef = r.JSON(t)["id"].(string), r.JSON(t)["reference"].(string)
	paid := env.do(http.MethodPost, "/api/v1/pledges", donorA, map[string]any{"target_type": "fund", "target_id": fx.fund, "amount_fen": 20_000}).JSON(t)["id"].(string)
	if _, err := env.funds.ConfirmPledge(ctx, staffA, paid); err != nil {
		t.Fatal(err)
	}
	for _, l := range env.do(http.MethodGet, "/api/v1/me/giving", donorA, nil).JSON(t)["pledges"].([]any) {
		if id, _ := l.(map[string]any)["receipt_id"].(string); id != "" {
			fx.receipt = id
		}
	}
	r = env.do(http.MethodPost, "/api/v1/recurring-pledges", donorA, map[string]any{"target_type": "fund", "target_id": fx.fund, "amount_fen": 3_000, "day_of_month": 1})
	if r.Status != http.StatusCreated {
		t.Fatalf("recurring: %d %s", r.Status, r.Body)
	}
	fx.recurring = r.JSON(t)["id"].(string)
	r = env.postBill("/api/v1/reconciliations", env.token(staffA), "statement.csv", []byte("reference,amount,date\n"+fx.pledgeRef+",1.00,2026-11-23\n"))
	if r.Status != http.StatusCreated {
		t.Fatalf("reconciliation: %d %s", r.Status, r.Body)
	}
	fx.reconcileRun = r.JSON(t)["id"].(string)
	pl, err := env.funds.Store.Pledge(ctx, fx.pledge)
	if err != nil {
		t.Fatal(err)
	}
	fx.payLink = env.funds.PayLink(pl)
	if fx.receipt == "" {
		t.Fatal("no receipt")
	}

	fx.as = map[string]*kernel.Principal{}
	keep := func(tok string, p *kernel.Principal) string { fx.as[tok] = p; return tok }
	elsewhere, err := env.accounts.CreateOrg(ctx, env.admin, marketplace.NewOrg{Name: "隆回县社工站", Kind: kernel.OrgSocialWorkAgency, RegionCode: "430524"})
	if err != nil {
		t.Fatal(err)
	}
	fx.swB = keep(env.user(kernel.RoleSocialWorker, elsewhere))
	fx.verB = keep(env.civilAffairsVerifier("牡丹区民政局", "371702"))
	fedB, err := env.accounts.CreateOrg(ctx, env.admin, marketplace.NewOrg{Name: "另一慈善总会", Kind: kernel.OrgCharityFederation, RegionCode: "430524"})
	if err != nil {
		t.Fatal(err)
	}
	fx.staffB = keep(env.user(kernel.RoleFederationStaff, fedB))
	fx.auditorB = keep(env.user(kernel.RoleAuditor, fedB))
	fx.donorB = keep(env.user(kernel.RoleDonor, nil))
	volB, volBP, _ := env.volunteerWith(t, "legal_aid")
	fx.volB = keep(volB, volBP)
	fx.pay = newPaychanScope(t, env, fx)
	return fx
}

// scopeObjectorPhone is the contact of the fixture's objection: no
// out-of-scope reader may see it.
const scopeObjectorPhone = "13912345678"

// scopeCall is one request of an out-of-scope user: want is the status, and
// absent an id the answer must not hold (for lists).
type scopeCall struct {
	who    string
	path   string
	body   any
	want   int
	absent string
	// csv sends body as text/csv.
	csv bool
}

// scopeProbes gives, for every scoped route, the calls an out-of-scope user
// of each admitted role makes on the fixture's objects.
var scopeProbes = map[string]func(fx *scopeFixture) []scopeCall{
	"GET /api/v1/needs/:id/preview": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.swB, path: "/api/v1/needs/" + fx.need + "/preview", want: 404}, {who: fx.verB, path: "/api/v1/needs/" + fx.need + "/preview", want: 404}}
	},
	"GET /api/v1/needs/:id/private": func(fx *scopeFixture) []scopeCall {
		p := "/api/v1/needs/" + fx.need + "/private"
		return []scopeCall{{who: fx.swB, path: p, want: 404}, {who: fx.verB, path: p, want: 404}, {who: fx.staffB, path: p, want: 404}, {who: fx.auditorB, path: p, want: 404}}
	},
	"POST /api/v1/needs/:id/clearance": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.verB, path: "/api/v1/needs/" + fx.need + "/clearance", body: map[string]any{"decision": "rejected", "note": "不符合条件"}, want: 404}}
	},
	"POST /api/v1/needs/:id/publish": func(fx *scopeFixture) []scopeCall {
		p := "/api/v1/needs/" + fx.need + "/publish"
		return []scopeCall{{who: fx.swB, path: p, want: 404}, {who: fx.verB, path: p, want: 404}}
	},
	"POST /api/v1/needs/:id/withdraw": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.swB, path: "/api/v1/needs/" + fx.need + "/withdraw", body: map[string]any{"note": "撤回"}, want: 404}}
	},
	"POST /api/v1/needs/:id/close": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.swB, path: "/api/v1/needs/" + fx.publicNeed + "/close", body: map[string]any{"note": "结案"}, want: 404}}
	},
	"POST /api/v1/needs/:id/confirm-still-needed": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.swB, path: "/api/v1/needs/" + fx.publicNeed + "/confirm-still-needed", want: 404}}
	},
	"GET /api/v1/needs/:id/objections": func(fx *scopeFixture) []scopeCall {
		p := "/api/v1/needs/" + fx.need + "/objections"
		return []scopeCall{{who: fx.swB, path: p, want: 404}, {who: fx.verB, path: p, want: 404}, {who: fx.staffB, path: p, want: 404}, {who: fx.auditorB, path: p, want: 404}}
	},
	"POST /api/v1/needs/:id/objections/:oid/resolve": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.verB, path: "/api/v1/needs/" + fx.need + "/objections/" + fx.need + "/resolve", body: map[string]any{"decision": "dismissed", "note": "核实无误"}, want: 404}}
	},
	"POST /api/v1/needs/:id/updates": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.swB, path: "/api/v1/needs/" + fx.publicNeed + "/updates", body: map[string]any{"text": "近况更新"}, want: 404}}
	},
	"GET /api/v1/needs/:id/updates": func(fx *scopeFixture) []scopeCall {
		p := "/api/v1/needs/" + fx.need + "/updates"
		return []scopeCall{{who: fx.swB, path: p, want: 404}, {who: fx.verB, path: p, want: 404}, {who: fx.donorB, path: p, want: 404}, {who: fx.volB, path: p, want: 404}}
	},
	"PUT /api/v1/orgs/:id/collection-account": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.staffB, path: "/api/v1/orgs/" + fx.fedOrg + "/collection-account",
			body: map[string]any{"account_name": "别人的户名", "bank": "某银行", "account_no": "123456789"}, want: 404}}
	},
	"GET /api/v1/orgs/me/needs": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.swB, path: "/api/v1/orgs/me/needs", want: 200, absent: fx.need}}
	},
	"GET /api/v1/objection-queue": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.verB, path: "/api/v1/objection-queue", want: 200, absent: fx.objection},
			{who: fx.verB, path: "/api/v1/objection-queue", want: 200, absent: scopeObjectorPhone}}
	},
	// Anyone with a wrong token, also a signed-in user, learns nothing.
	"POST /api/v1/objections/:id/outcome": func(fx *scopeFixture) []scopeCall {
		p := "/api/v1/objections/" + fx.objection + "/outcome"
		return []scopeCall{{who: fx.donorB, path: p, body: map[string]any{"token": "0123456789abcdef0123456789abcdef"}, want: 404},
			{who: fx.verB, path: p, body: map[string]any{"token": ""}, want: 404}}
	},
	"GET /api/v1/clearance-queue": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.verB, path: "/api/v1/clearance-queue", want: 200, absent: fx.need}}
	},
	"GET /api/v1/needs/:id/screening": func(fx *scopeFixture) []scopeCall {
		p := "/api/v1/needs/" + fx.screenedNeed + "/screening"
		return []scopeCall{{who: fx.swB, path: p, want: 404}, {who: fx.verB, path: p, want: 404}}
	},
	"POST /api/v1/needs/:id/screening/run": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.verB, path: "/api/v1/needs/" + fx.screenedNeed + "/screening/run", want: 404}}
	},
	"GET /api/v1/charity-aid": func(fx *scopeFixture) []scopeCall {
		p := "/api/v1/charity-aid?region=371725&from=2026-01-01&to=2027-12-31"
		return []scopeCall{{who: fx.verB, path: p, want: 403}, {who: fx.verB, path: p + "&format=xlsx", want: 403}}
	},
	"GET /api/v1/review-queue": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.verB, path: "/api/v1/review-queue", want: 200, absent: fx.screening}}
	},
	"POST /api/v1/review-queue/:id/decisions": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.verB, path: "/api/v1/review-queue/" + fx.screening + "/decisions", body: map[string]any{"decision": "acknowledge"}, want: 404}}
	},
	"GET /api/v1/referrals": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.verB, path: "/api/v1/referrals", want: 200, absent: fx.referral}}
	},
	"POST /api/v1/referrals/:id": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.verB, path: "/api/v1/referrals/" + fx.referral, body: map[string]any{"status": "accepted"}, want: 404}}
	},
	"GET /api/v1/reports": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.swB, path: "/api/v1/reports", want: 200, absent: fx.report}, {who: fx.verB, path: "/api/v1/reports", want: 200, absent: fx.report}}
	},
	"GET /api/v1/reports/:id": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.swB, path: "/api/v1/reports/" + fx.report, want: 404}, {who: fx.verB, path: "/api/v1/reports/" + fx.report, want: 404}}
	},
	"POST /api/v1/reports/:id": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.swB, path: "/api/v1/reports/" + fx.report, body: map[string]any{"status": "in_progress"}, want: 404},
			{who: fx.verB, path: "/api/v1/reports/" + fx.report, body: map[string]any{"status": "accepted"}, want: 404}}
	},
	"GET /api/v1/needs/:id/claims": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.swB, path: "/api/v1/needs/" + fx.publicNeed + "/claims", want: 404}}
	},
	"POST /api/v1/claims/:id/approve": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.swB, path: "/api/v1/claims/" + fx.claim + "/approve", want: 404}}
	},
	"POST /api/v1/claims/:id/reject": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.swB, path: "/api/v1/claims/" + fx.claim + "/reject", body: map[string]any{"reason": "不合适"}, want: 404}}
	},
	"POST /api/v1/claims/:id/release": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.volB, path: "/api/v1/claims/" + fx.claim + "/release", want: 404}}
	},
	"GET /api/v1/claims/:id/contact": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.volB, path: "/api/v1/claims/" + fx.claim + "/contact", want: 404}}
	},
	"POST /api/v1/service-pledges/:id/accept": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.swB, path: "/api/v1/service-pledges/" + fx.servicePledge + "/accept", want: 404}}
	},
	"POST /api/v1/service-pledges/:id/decline": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.swB, path: "/api/v1/service-pledges/" + fx.servicePledge + "/decline", want: 404}}
	},
	"POST /api/v1/service-pledges/:id/log": func(fx *scopeFixture) []scopeCall {
		p := "/api/v1/service-pledges/" + fx.servicePledge + "/log"
		b := map[string]any{"hours": 2, "date": "2026-11-23"}
		return []scopeCall{{who: fx.volB, path: p, body: b, want: 404}, {who: fx.swB, path: p, body: b, want: 404}}
	},
	"POST /api/v1/funds/:id/allocations": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.staffB, path: "/api/v1/funds/" + fx.fund + "/allocations", body: map[string]any{"need_id": fx.moneyNeed, "amount_fen": 100}, want: 403}}
	},
	"GET /api/v1/projects/disclosure-calendar": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.staffB, path: "/api/v1/projects/disclosure-calendar", want: 200, absent: fx.project}}
	},
	"POST /api/v1/projects/:id/allocations": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.staffB, path: "/api/v1/projects/" + fx.project + "/allocations", body: map[string]any{"need_id": fx.moneyNeed, "amount_fen": 100}, want: 403}}
	},
	"POST /api/v1/projects/:id/reports": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.staffB, path: "/api/v1/projects/" + fx.project + "/reports", body: map[string]any{"period": "2026-11", "text": "本月进展"}, want: 403}}
	},
	"GET /api/v1/allocations/:id": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.staffB, path: "/api/v1/allocations/" + fx.allocation, want: 404}}
	},
	"POST /api/v1/allocations/:id/disburse": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.staffB, path: "/api/v1/allocations/" + fx.allocation + "/disburse", body: map[string]any{"payee_type": "provider", "payee_name": "某医院", "reference": "X1"}, want: 404}}
	},
	// Another federation's staff are told whose staff pay the need's money
	// out (the need is public); the money is not shown, nothing is paid.
	"GET /api/v1/needs/:id/money": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.staffB, path: "/api/v1/needs/" + fx.moneyNeed + "/money", want: 403, absent: fx.allocation}}
	},
	"POST /api/v1/needs/:id/disbursements": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.staffB, path: "/api/v1/needs/" + fx.moneyNeed + "/disbursements",
			body: map[string]any{"amount_fen": 100, "payee_type": "provider", "provider_kind": "hospital", "payee_name": "某医院", "reference": "X1"}, want: 403}}
	},
	"GET /api/v1/pledges/:id": func(fx *scopeFixture) []scopeCall {
		p := "/api/v1/pledges/" + fx.pledge
		return []scopeCall{{who: fx.donorB, path: p, want: 404}, {who: fx.staffB, path: p, want: 404}}
	},
	"POST /api/v1/pledges/:id/confirm": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.staffB, path: "/api/v1/pledges/" + fx.pledge + "/confirm", want: 404}}
	},
	"POST /api/v1/pledges/:id/refund": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.staffB, path: "/api/v1/pledges/" + fx.pledge + "/refund", body: map[string]any{"reason": "捐赠人要求"}, want: 404}}
	},
	"POST /api/v1/pledges/:id/redirect": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.donorB, path: "/api/v1/pledges/" + fx.pledge + "/redirect", body: map[string]any{"action": "refund"}, want: 404}}
	},
	"POST /api/v1/pledges/reconciliations": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.staffB, path: "/api/v1/pledges/reconciliations", body: "reference,amount,date\n" + fx.pledgeRef + ",100.00,2026-11-23\n",
			csv: true, want: 200, absent: fx.pledge}}
	},
	"GET /api/v1/receipts/:id": func(fx *scopeFixture) []scopeCall {
		p := "/api/v1/receipts/" + fx.receipt
		return []scopeCall{{who: fx.donorB, path: p, want: 404}, {who: fx.staffB, path: p, want: 404}}
	},
	"POST /api/v1/recurring-pledges/:id/pause": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.donorB, path: "/api/v1/recurring-pledges/" + fx.recurring + "/pause", want: 404}}
	},
	"POST /api/v1/recurring-pledges/:id/resume": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.donorB, path: "/api/v1/recurring-pledges/" + fx.recurring + "/resume", want: 404}}
	},
	"POST /api/v1/recurring-pledges/:id/cancel": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.donorB, path: "/api/v1/recurring-pledges/" + fx.recurring + "/cancel", want: 404}}
	},
	"GET /api/v1/needs/:id/matches": func(fx *scopeFixture) []scopeCall {
		p := "/api/v1/needs/" + fx.need + "/matches"
		return []scopeCall{{who: fx.swB, path: p, want: 404}, {who: fx.verB, path: p, want: 404}}
	},
	"POST /api/v1/funds/:id/plans": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.staffB, path: "/api/v1/funds/" + fx.fund + "/plans", body: map[string]any{}, want: 403}}
	},
	"GET /api/v1/plans/:id": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.staffB, path: "/api/v1/plans/" + fx.plan, want: 404}}
	},
	"POST /api/v1/plans/:id/execute": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.staffB, path: "/api/v1/plans/" + fx.plan + "/execute", want: 404}}
	},
	// Another county's federation's auditor reads none of the needs of
	// 郓城县, not even by naming one's chain, and none of its fund's books.
	"GET /api/v1/audit-log": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.auditorB, path: "/api/v1/audit-log", want: 200, absent: fx.need},
			{who: fx.auditorB, path: "/api/v1/audit-log?stream=need:" + fx.moneyNeed, want: 200, absent: fx.moneyNeed},
			{who: fx.auditorB, path: "/api/v1/audit-log?format=csv", want: 200, absent: fx.objectionNeed}}
	},
	// Another user's message is no message of the caller's.
	"POST /api/v1/inbox/:id/read": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.swB, path: "/api/v1/inbox/" + fx.inboxItem + "/read", want: 404}, {who: fx.donorB, path: "/api/v1/inbox/" + fx.inboxItem + "/read", want: 404}}
	},
	"GET /api/v1/ledger": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.auditorB, path: "/api/v1/ledger", want: 200, absent: fx.fund},
			{who: fx.auditorB, path: "/api/v1/ledger?format=csv", want: 200, absent: fx.moneyNeed},
			{who: fx.auditorB, path: "/api/v1/ledger?source=" + fx.fund, want: 403, absent: fx.moneyNeed}}
	},
}

// TestRoutesRefuseOutOfScopeUsers tries every scoped route with a user of
// an admitted role outside the scope: another organization, another
// county, another donor or volunteer.
func TestRoutesRefuseOutOfScopeUsers(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		fx := newScopeFixture(t, env)
		for _, r := range env.srv.Routes() {
			key := r.Method + " " + r.Path
			probe := scopeProbes[key]
			if probe == nil {
				continue
			}
			for _, c := range probe(fx) {
				headers := []string{"Idempotency-Key", testID()}
				if c.csv {
					headers = append(headers, "Content-Type", "text/csv")
				}
				got := env.do(r.Method, c.path, c.who, c.body, headers...)
				if got.Status != c.want {
					t.Errorf("%s %s: %d, want %d: %s", r.Method, c.path, got.Status, c.want, got.Body)
				}
				if c.absent != "" && strings.Contains(string(got.Body), c.absent) {
					t.Errorf("%s %s shows %s, which is out of the caller's scope", r.Method, c.path, c.absent)
				}
			}
		}
	})
}

// pageScopeProbes gives, for every page under /staff, /verify, /worker, /my
// and /volunteer that shows or changes a scoped object (and for the lists
// of such objects), the requests an out-of-scope user makes: GETs with the
// page's Accept header, POSTs as forms with the CSRF token. Pages answer as
// the API does: 404 for an object the user may not see.
var pageScopeProbes = map[string]func(fx *scopeFixture) []scopeCall{
	"GET /worker/claims": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.swB, path: "/worker/claims?status=all", want: 200, absent: fx.claim}}
	},
	"POST /worker/claims/:id": func(fx *scopeFixture) []scopeCall {
		p := "/worker/claims/" + fx.claim
		return []scopeCall{{who: fx.swB, path: p, body: map[string]string{"action": "approve"}, want: 404},
			{who: fx.swB, path: p, body: map[string]string{"action": "reject", "reason": "other"}, want: 404}}
	},
	"GET /worker/reports/:id": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.swB, path: "/worker/reports/" + fx.report, want: 404}}
	},
	"POST /worker/reports/:id": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.swB, path: "/worker/reports/" + fx.report, body: map[string]string{"status": "accepted"}, want: 404}}
	},
	"GET /staff/needs/:id": func(fx *scopeFixture) []scopeCall {
		p := "/staff/needs/" + fx.need
		return []scopeCall{{who: fx.swB, path: p, want: 404}, {who: fx.verB, path: p, want: 404}, {who: fx.staffB, path: p, want: 404}, {who: fx.auditorB, path: p, want: 404}}
	},
	"POST /staff/needs/:id/clearance": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.verB, path: "/staff/needs/" + fx.need + "/clearance", body: map[string]string{"decision": "rejected", "note": "不符合条件"}, want: 404}}
	},
	"POST /staff/needs/:id/publish": func(fx *scopeFixture) []scopeCall {
		p := "/staff/needs/" + fx.need + "/publish"
		return []scopeCall{{who: fx.swB, path: p, body: map[string]string{}, want: 404}, {who: fx.verB, path: p, body: map[string]string{}, want: 404}}
	},
	"POST /staff/needs/:id/close": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.swB, path: "/staff/needs/" + fx.publicNeed + "/close", body: map[string]string{"note": "结案"}, want: 404}}
	},
	"GET /staff/money/:id": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.staffB, path: "/staff/money/" + fx.moneyNeed, want: 200, absent: fx.allocation}}
	},
	"POST /staff/money/:id/allocations": func(fx *scopeFixture) []scopeCall {
		// The fund is public: the page refuses with the reason and the
		// API's status for the same refusal (403).
		return []scopeCall{{who: fx.staffB, path: "/staff/money/" + fx.moneyNeed + "/allocations", body: map[string]string{"source": "fund:" + fx.fund, "amount": "1"}, want: 403, absent: fx.allocation}}
	},
	"POST /staff/money/:id/disbursements": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.staffB, path: "/staff/money/" + fx.moneyNeed + "/disbursements",
			body: map[string]string{"allocation": fx.allocation, "payee_type": "provider", "payee_name": "某医院", "reference": "X1"}, want: 404}}
	},
	// A need's money: another federation's staff read whose staff pay it
	// out, with the API's status (403), and see none of it.
	"GET /staff/needs/:id/money": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.staffB, path: "/staff/needs/" + fx.moneyNeed + "/money", want: 403, absent: "¥100.00"}}
	},
	"POST /staff/needs/:id/disbursements": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.staffB, path: "/staff/needs/" + fx.moneyNeed + "/disbursements",
			body: map[string]string{"amount": "1", "payee_type": "provider", "provider_kind": "hospital", "payee_name": "某医院", "reference": "X1"}, want: 403}}
	},
	"GET /staff/payouts": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.staffB, path: "/staff/payouts", want: 200, absent: fx.moneyNeed}}
	},
	"GET /staff/plans/:id": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.staffB, path: "/staff/plans/" + fx.plan, want: 404}}
	},
	"POST /staff/plans/:id/execute": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.staffB, path: "/staff/plans/" + fx.plan + "/execute", body: map[string]string{}, want: 404}}
	},
	"POST /staff/pledges/:id/confirm": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.staffB, path: "/staff/pledges/" + fx.pledge + "/confirm", body: map[string]string{}, want: 404}}
	},
	"POST /staff/service-pledges/:id": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.swB, path: "/staff/service-pledges/" + fx.servicePledge, body: map[string]string{"decision": "accept"}, want: 404}}
	},
	"GET /staff": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.staffB, path: "/staff", want: 200, absent: fx.pledge}}
	},
	"GET /verify": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.verB, path: "/verify", want: 200, absent: fx.need}}
	},
	// The region is the object: the form offers the verifier's own, and a
	// region asked for by hand gets the API's 403.
	"GET /verify/charity-aid": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.verB, path: "/verify/charity-aid", want: 200, absent: `value="371725"`}}
	},
	"GET /verify/charity-aid/file": func(fx *scopeFixture) []scopeCall {
		p := "/verify/charity-aid/file?region=371725&from=2026-01-01&to=2027-12-31"
		return []scopeCall{{who: fx.verB, path: p + "&format=csv", want: 403}, {who: fx.verB, path: p + "&format=xlsx", want: 403}}
	},
	"GET /verify/review": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.verB, path: "/verify/review", want: 200, absent: fx.screening}}
	},
	"POST /verify/review/:id": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.verB, path: "/verify/review/" + fx.screening, body: map[string]string{"decision": "acknowledge"}, want: 404}}
	},
	"GET /verify/objections": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.verB, path: "/verify/objections", want: 200, absent: fx.objection},
			{who: fx.verB, path: "/verify/objections", want: 200, absent: scopeObjectorPhone}}
	},
	"POST /verify/objections/:id": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.verB, path: "/verify/objections/" + fx.objection, body: map[string]string{"need": fx.objectionNeed, "decision": "dismissed"}, want: 404}}
	},
	"GET /verify/referrals": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.verB, path: "/verify/referrals", want: 200, absent: fx.referral}}
	},
	"POST /verify/referrals/:id": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.verB, path: "/verify/referrals/" + fx.referral, body: map[string]string{"status": "accepted"}, want: 404}}
	},
	"GET /worker/needs": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.swB, path: "/worker/needs", want: 200, absent: fx.need}}
	},
	"GET /my/pledges/:id": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.donorB, path: "/my/pledges/" + fx.pledge, want: 404}, {who: fx.staffB, path: "/my/pledges/" + fx.pledge, want: 404}}
	},
	"POST /my/pledges/:id/redirect": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.donorB, path: "/my/pledges/" + fx.pledge + "/redirect", body: map[string]string{"action": "refund"}, want: 404}}
	},
	"GET /my/receipts/:id": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.donorB, path: "/my/receipts/" + fx.receipt, want: 404}, {who: fx.staffB, path: "/my/receipts/" + fx.receipt, want: 404}}
	},
	"POST /my/recurring/:id": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.donorB, path: "/my/recurring/" + fx.recurring, body: map[string]string{"status": "cancelled"}, want: 404}}
	},
	// The auditor's browsers, as their API.
	"GET /audit/log": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.auditorB, path: "/audit/log", want: 200, absent: fx.need},
			{who: fx.auditorB, path: "/audit/log?stream=need:" + fx.moneyNeed + "&format=csv", want: 200, absent: fx.moneyNeed}}
	},
	"GET /audit/ledger": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.auditorB, path: "/audit/ledger", want: 200, absent: fx.fund},
			{who: fx.auditorB, path: "/audit/ledger?source=" + fx.fund, want: 403, absent: fx.moneyNeed}}
	},
	"POST /inbox/:id/read": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.swB, path: "/inbox/" + fx.inboxItem + "/read", body: map[string]string{}, want: 404}}
	},
	"POST /volunteer/service-pledges/:id/log": func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.volB, path: "/volunteer/service-pledges/" + fx.servicePledge + "/log", body: map[string]string{"hours": "2", "date": "2026-11-23"}, want: 404}}
	},
}

// TestPagesRefuseOutOfScopeUsers tries every page that shows or changes a
// scoped object with an out-of-scope user; every such page (one with an id
// under /staff, /verify, /worker, /my or /volunteer) must have a probe.
func TestPagesRefuseOutOfScopeUsers(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		fx := newScopeFixture(t, env)
		browsers := map[string]*browser{}
		for _, r := range env.srv.Echo.Routes() {
			key := r.Method + " " + r.Path
			if strings.HasPrefix(r.Path, "/api/") || !strings.Contains(r.Path, ":id") || strings.HasPrefix(r.Path, "/verify/imports/") ||
				strings.HasPrefix(r.Path, "/staff/volunteers/") {
				// The statutory record and its imports are one for every
				// county, and a volunteer belongs to no organization
				// (any federation staff or administrator records their
				// background check): no scope (routeScope "none").
				continue
			}
			if !strings.HasPrefix(r.Path, "/staff") && !strings.HasPrefix(r.Path, "/verify") && !strings.HasPrefix(r.Path, "/worker") &&
				!strings.HasPrefix(r.Path, "/my/") && !strings.HasPrefix(r.Path, "/volunteer") {
				continue
			}
			if pageScopeProbes[key] == nil {
				t.Errorf("page %s shows a scoped object but has no out-of-scope probe in pageScopeProbes", key)
			}
		}
		for key, probe := range pageScopeProbes {
			method, _, _ := strings.Cut(key, " ")
			for _, c := range probe(fx) {
				b := browsers[c.who]
				if b == nil {
					b = newBrowser(env)
					b.login(fx.as[c.who])
					browsers[c.who] = b
				}
				var code int
				var body string
				if method == http.MethodGet {
					rec := b.do(http.MethodGet, c.path, nil)
					code, body = rec.Code, rec.Body.String()
				} else {
					form := url.Values{"idempotency_key": {testID()}}
					for k, v := range c.body.(map[string]string) {
						form.Set(k, v)
					}
					rec := b.form(c.path, form)
					code, body = rec.Code, rec.Body.String()
				}
				if code != c.want {
					t.Errorf("%s %s: %d, want %d", method, c.path, code, c.want)
				}
				if c.absent != "" && strings.Contains(body, c.absent) {
					t.Errorf("%s %s shows %s, which is out of the caller's scope", method, c.path, c.absent)
				}
			}
		}
	})
}
