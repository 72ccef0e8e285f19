package web

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
)

// statsWorld is three counties of one city (菏泽市 3717: 郓城县, 牡丹区, 曹县)
// over the last four months of 2026 and the start of 2027, built through
// the API and the services as people would: needs posted in the counties'
// towns, cleared on time or late, rejected, referred, withdrawn; published,
// objected to and resolved on time or late; screened into referrals that
// are taken and closed; funded by donors' gifts, a fund's matching gifts,
// the counties' and the city's funds and a charity's; paid out in full and
// in part; closed. Each county has a social work agency, a civil affairs
// office and a charity federation; the city a federation and a civil
// affairs office; a charity of 郓城县 holds a fund of its own; and a
// federation of another city (济南市 3701) has nothing of it.
type statsWorld struct {
	env      *testEnv
	counties []*statsCounty
	// The city's federation and civil affairs office (371700), and the
	// province's civil affairs office (370000).
	cityFed, cityVer, provVer *kernel.Principal
	cityFedOrg                *kernel.Org
	cityFund                  string
	// A charity of 郓城县 with a fund: its staff read its money only.
	charity      *kernel.Org
	charityStaff *kernel.Principal
	charityFund  string
	// A federation and a verifier of another city (济南市).
	otherFed, otherVer *kernel.Principal
	seq                int
}

type statsCounty struct {
	code  string
	towns []string
	// sw, ver and fed are staff of the county's social work agency, civil
	// affairs office and charity federation.
	sw, ver, fed *kernel.Principal
	fedOrg       *kernel.Org
	fund         string
	// posted are the county's needs, in the order they were posted.
	posted []string
}

// at sets the clock to a day of a month of 2026 (or 2027 for month 13)
// at 09:00 in China.
func (w *statsWorld) at(month, day int) {
	y := 2026
	if month > 12 {
		y, month = 2027, month-12
	}
	t := time.Date(y, time.Month(month), day, 1, 0, 0, 0, time.UTC)
	if t.Before(*w.env.now.Load()) {
		w.env.t.Fatalf("the clock would go back to %v", t)
	}
	w.env.now.Store(&t)
}

func (w *statsWorld) do(method, path string, p *kernel.Principal, body any, want int) response {
	w.env.t.Helper()
	tok := ""
	if p != nil {
		tok = w.env.token(p)
	}
	r := w.env.do(method, path, tok, body, remoteAddrHeader, fmt.Sprintf("10.9.%d.%d:4000", w.seq/200, w.seq%200))
	w.seq++
	if r.Status != want {
		w.env.t.Fatalf("%s %s: %d, want %d: %s", method, path, r.Status, want, r.Body)
	}
	return r
}

// post posts a need of the county for a household of town, costing costFen
// of which the state paid 20,000 fen.
func (w *statsWorld) post(c *statsCounty, town string, cat kernel.Category, costFen int64) string {
	w.env.t.Helper()
	w.seq++
	b := needBody()
	ben := b["beneficiary"].(map[string]any)
	ben["id_number"] = idNumber(c.code, fmt.Sprintf("19%02d0101", 40+w.seq%50), fmt.Sprintf("%03d", w.seq%1000))
	ben["region_code"] = town
	ben["members"] = []map[string]any{}
	b["category"], b["verified_cost_fen"], b["statutory_relief_fen"] = string(cat), costFen, 20_000
	b["deadline"] = "2027-12-31"
	b["consent"].(map[string]any)["at"] = w.env.now.Load().In(kernel.ChinaTime).Format(time.DateOnly)
	b["cost_period"] = map[string]any{"from": "2026-08-01", "to": "2027-06-30"}
	id := w.do(http.MethodPost, "/api/v1/needs", c.sw, b, http.StatusCreated).JSON(w.env.t)["id"].(string)
	c.posted = append(c.posted, id)
	return id
}

func (w *statsWorld) clear(c *statsCounty, id, decision string) {
	w.env.t.Helper()
	body := map[string]any{"decision": decision, "reference": "菏民救〔2026〕1号"}
	if decision != "cleared" {
		body["note"] = "经核实不符合慈善救助条件"
	}
	w.do(http.MethodPost, "/api/v1/needs/"+id+"/clearance", c.ver, body, http.StatusOK)
}

func (w *statsWorld) publish(c *statsCounty, id string) {
	w.env.t.Helper()
	w.do(http.MethodPost, "/api/v1/needs/"+id+"/publish", c.sw, nil, http.StatusOK)
}

// requested reads a need's requested and funded amounts.
func (w *statsWorld) requested(id string) (requested, funded int64) {
	w.env.t.Helper()
	n, err := w.env.funds.Store.Need(context.Background(), id)
	if err != nil {
		w.env.t.Fatal(err)
	}
	return n.RequestedFen, n.FundedFen
}

// give has a new donor pledge amount to a need and the county's federation
// (the receiving organization) confirm it.
func (w *statsWorld) give(c *statsCounty, need string, amount int64) {
	w.env.t.Helper()
	ctx := context.Background()
	_, donor := w.env.user(kernel.RoleDonor, nil)
	p, err := w.env.funds.CreatePledge(ctx, donor, funds.NewPledge{TargetType: funds.TargetNeed, TargetID: need, AmountFen: amount}, nil)
	if err != nil {
		w.env.t.Fatal(err)
	}
	if _, err := w.env.funds.ConfirmPledge(ctx, c.fed, p.PublicID); err != nil {
		w.env.t.Fatal(err)
	}
}

// fill creates a fund held by staff's organization and fills it with a
// donation.
func (w *statsWorld) fill(staff *kernel.Principal, name string, r kernel.Restrictions, m funds.MatchOffer, amount int64) string {
	w.env.t.Helper()
	ctx := context.Background()
	f, err := w.env.funds.CreateSource(ctx, staff, funds.NewSource{Kind: funds.KindFund, Name: name, Namer: "爱心企业", Purpose: "救急难", Restrictions: r, Match: m})
	if err != nil {
		w.env.t.Fatal(err)
	}
	_, donor := w.env.user(kernel.RoleDonor, nil)
	p, err := w.env.funds.CreatePledge(ctx, donor, funds.NewPledge{TargetType: funds.TargetFund, TargetID: f.PublicID, AmountFen: amount}, nil)
	if err != nil {
		w.env.t.Fatal(err)
	}
	if _, err := w.env.funds.ConfirmPledge(ctx, staff, p.PublicID); err != nil {
		w.env.t.Fatal(err)
	}
	return f.PublicID
}

func (w *statsWorld) allocate(staff *kernel.Principal, fund, need string, amount int64) {
	w.env.t.Helper()
	if _, err := w.env.funds.Allocate(context.Background(), staff, funds.KindFund, fund, need, amount, nil); err != nil {
		w.env.t.Fatalf("allocate %d to %s: %v", amount, need, err)
	}
}

func (w *statsWorld) pay(c *statsCounty, need string, amount int64) {
	w.env.t.Helper()
	if _, err := w.env.funds.DisburseNeed(context.Background(), c.fed, need, funds.NewDisbursement{AmountFen: amount, ProviderKind: funds.ProviderHospital,
		Payee: funds.Payee{Type: funds.PayeeProvider, Name: "县人民医院", Reference: fmt.Sprintf("FP-%d", w.seq)}}, nil); err != nil {
		w.env.t.Fatalf("pay %d of %s: %v", amount, need, err)
	}
	w.seq++
}

// org creates an organization with a Chinese name, as real ones have.
func (w *statsWorld) org(kind kernel.OrgKind, region, name string) *kernel.Org {
	w.env.t.Helper()
	o, err := w.env.accounts.CreateOrg(context.Background(), w.env.admin, marketplace.NewOrg{Name: name, Kind: kind, RegionCode: region})
	if err != nil {
		w.env.t.Fatal(err)
	}
	return o
}

// newStatsWorld builds the world; months is how many months of 2026 from
// September it runs (4 for all of them).
func newStatsWorld(t *testing.T, env *testEnv, months int) *statsWorld {
	t.Helper()
	w := &statsWorld{env: env}
	// The world starts before the harness's clock: set it back once.
	start := time.Date(2026, 9, 1, 1, 0, 0, 0, time.UTC)
	env.now.Store(&start)
	d := env.srv.Divisions
	for i, code := range []string{"371725", "371702", "371721"} {
		c := &statsCounty{code: code, towns: d.Children(code)[:2]}
		sw, ca, fed := env.orgs[kernel.OrgSocialWorkAgency], env.orgs[kernel.OrgCivilAffairs], env.orgs[kernel.OrgCharityFederation]
		if i > 0 {
			name := d.Name(code)
			sw, ca, fed = w.org(kernel.OrgSocialWorkAgency, code, name+"社工站"), w.org(kernel.OrgCivilAffairs, code, name+"民政局"),
				w.org(kernel.OrgCharityFederation, code, name+"慈善总会")
		}
		_, c.sw = env.user(kernel.RoleSocialWorker, sw)
		_, c.ver = env.user(kernel.RoleVerifier, ca)
		_, c.fed = env.user(kernel.RoleFederationStaff, fed)
		c.fedOrg = fed
		c.fund = w.fill(c.fed, "县助医基金", kernel.Restrictions{RegionPrefixes: []string{code}}, funds.MatchOffer{}, 2_000_000)
		w.counties = append(w.counties, c)
	}
	w.cityFedOrg = w.org(kernel.OrgCharityFederation, "371700", "菏泽市慈善总会")
	_, w.cityFed = env.user(kernel.RoleFederationStaff, w.cityFedOrg)
	_, w.cityVer = env.user(kernel.RoleVerifier, w.org(kernel.OrgCivilAffairs, "371700", "菏泽市民政局"))
	_, w.provVer = env.user(kernel.RoleVerifier, w.org(kernel.OrgCivilAffairs, "370000", "山东省民政厅"))
	w.cityFund = w.fill(w.cityFed, "市救急难基金", kernel.Restrictions{}, funds.MatchOffer{}, 5_000_000)
	w.charity = w.org(kernel.OrgCharity, "371725", "郓城县助学会")
	_, w.charityStaff = env.user(kernel.RoleFederationStaff, w.charity)
	w.charityFund = w.fill(w.charityStaff, "助学基金", kernel.Restrictions{}, funds.MatchOffer{}, 500_000)
	// The county federation of 郓城县 matches every gift to its needs by half.
	a := w.counties[0]
	w.fill(a.fed, "配捐基金", kernel.Restrictions{RegionPrefixes: []string{a.code}}, funds.MatchOffer{RatioPct: 50, DonorCapFen: 200_000, TotalCapFen: 2_000_000}, 600_000)
	_, w.otherFed = env.user(kernel.RoleFederationStaff, w.org(kernel.OrgCharityFederation, "370100", "济南市慈善总会"))
	_, w.otherVer = env.user(kernel.RoleVerifier, w.org(kernel.OrgCivilAffairs, "370100", "济南市民政局"))

	cats := []kernel.Category{kernel.CatMedical, kernel.CatEducation, kernel.CatBasicLiving}
	late := ""                  // a need posted at a month's end, decided next month
	lateCounty := w.counties[1] // by 牡丹区
	for m := 9; m < 9+months; m++ {
		w.at(m, 1)
		for _, c := range w.counties {
			for i := range 3 {
				w.post(c, c.towns[i%2], cats[(i+m)%3], int64(100_000+i*10_000+m*1_000))
			}
		}
		// Two reports of people in hardship in a town of 郓城县: one taken
		// up on day 5, one on day 16 (past its follow-up limit).
		var reports []string
		for i := range 2 {
			rc, err := env.people.SubmitReport(context.Background(), nil, marketplace.ReportInput{RegionCode: a.towns[i], Category: "care",
				Description: "村里一位老人独居，冬天没有取暖。"})
			if err != nil {
				t.Fatal(err)
			}
			reports = append(reports, rc.ID)
		}
		w.at(m, 2)
		for ci, c := range w.counties {
			n := c.posted[len(c.posted)-3:]
			w.clear(c, n[0], "cleared")
			w.clear(c, n[1], "cleared")
			w.publish(c, n[0])
			w.publish(c, n[1])
			switch (m + ci) % 3 {
			case 0:
				w.clear(c, n[2], "rejected")
			case 1:
				w.clear(c, n[2], "referred")
			}
			// Screening finds the household (低保) without 低保 on the
			// record: a referral.
			w.do(http.MethodPost, "/api/v1/needs/"+n[1]+"/screening/run", c.ver, nil, http.StatusCreated)
		}
		if late != "" {
			w.clear(lateCounty, late, "cleared")
			late = ""
		}
		w.at(m, 3)
		obj := w.do(http.MethodPost, "/api/v1/needs/"+a.posted[len(a.posted)-3]+"/objections", nil, map[string]any{"text": "该户家里有车", "contact": "13900001111"},
			http.StatusCreated).JSON(t)["id"].(string)
		resolve := func() {
			w.do(http.MethodPost, "/api/v1/needs/"+a.posted[len(a.posted)-3]+"/objections/"+obj+"/resolve", a.ver,
				map[string]any{"decision": "dismissed", "note": "核实无误"}, http.StatusOK)
		}
		if m < 11 {
			w.at(m, 5)
			resolve()
		}
		w.at(m, 5)
		w.do(http.MethodPost, "/api/v1/reports/"+reports[0], a.sw, map[string]any{"status": "accepted", "note": "已上门了解"}, http.StatusOK)
		w.at(m, 9)
		for ci, c := range w.counties {
			n := c.posted[len(c.posted)-3:]
			if (m+ci)%3 == 2 { // decided late, and published
				w.clear(c, n[2], "cleared")
				w.publish(c, n[2])
			}
		}
		if m >= 11 {
			w.at(m, 14) // past the objection's due date (5 working days)
			resolve()
		}
		w.at(m, 16)
		w.do(http.MethodPost, "/api/v1/reports/"+reports[1], a.sw, map[string]any{"status": "accepted", "note": "已上门了解"}, http.StatusOK)
		w.at(m, 16)
		for ci, c := range w.counties {
			n := c.posted[len(c.posted)-3:]
			req0, _ := w.requested(n[0])
			if ci == 0 {
				w.give(c, n[0], req0/2) // and the matching fund adds a quarter
			} else {
				w.give(c, n[0], req0)
			}
			req1, _ := w.requested(n[1])
			w.allocate(c.fed, c.fund, n[1], req1/2)
			w.allocate(w.cityFed, w.cityFund, n[1], req1-req1/2)
			if (m+ci)%3 == 2 {
				w.allocate(w.charityStaff, w.charityFund, n[2], 10_000)
			}
		}
		w.at(m, 20)
		for ci, c := range w.counties {
			n := c.posted[len(c.posted)-3:]
			_, funded0 := w.requested(n[0])
			w.pay(c, n[0], funded0)
			req1, _ := w.requested(n[1])
			w.pay(c, n[1], req1/3)
			_ = ci
		}
		w.at(m, 22)
		for ci, c := range w.counties {
			if m == 12 {
				break // December's referrals stay open
			}
			var refs referralsBody
			refs = decodeInto[referralsBody](t, w.do(http.MethodGet, "/api/v1/referrals?status=open", c.ver, nil, http.StatusOK))
			for _, r := range refs.Items {
				status := "accepted"
				if ci == 2 {
					status = "closed"
				}
				w.do(http.MethodPost, "/api/v1/referrals/"+r.ID, c.ver, map[string]any{"status": status, "note": "已转民政办理"}, http.StatusOK)
			}
		}
		w.at(m, 25)
		for ci, c := range w.counties {
			n := c.posted[len(c.posted)-3:]
			if ci > 0 {
				w.do(http.MethodPost, "/api/v1/needs/"+n[0]+"/close", c.sw, map[string]any{"note": "已支付完毕，结案"}, http.StatusOK)
			}
		}
		// A need posted at the month's end waits past its due date into
		// the next month; another is withdrawn.
		b := w.counties[1]
		late = w.post(b, b.towns[0], kernel.CatHousing, 90_000)
		gone := w.post(b, b.towns[1], kernel.CatCare, 80_000)
		w.at(m, 26)
		w.do(http.MethodPost, "/api/v1/needs/"+gone+"/withdraw", b.sw, map[string]any{"note": "家庭情况好转，撤回"}, http.StatusOK)
	}
	// January 2027: the month now running.
	w.at(13, 15)
	c := w.counties[2]
	w.post(c, c.towns[0], kernel.CatDisaster, 150_000)
	return w
}
