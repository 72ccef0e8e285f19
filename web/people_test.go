package web

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/marketplace/gormstore"
	"github.com/jiujinan/jiujinan/marketplace/gormstore/needfixture"
)

func init() {
	addRouteAccess(map[string][]string{
		"PUT /api/v1/volunteers/me":                    {"volunteer"},
		"GET /api/v1/volunteers/me":                    {"volunteer"},
		"GET /api/v1/volunteers/me/claims":             {"volunteer"},
		"GET /api/v1/volunteers/me/service":            {"volunteer"},
		"GET /api/v1/volunteers":                       {"federation_staff", "admin"},
		"POST /api/v1/volunteers/:id/background-check": {"federation_staff", "admin"},
		"POST /api/v1/reports":                         {"*"},
		"GET /api/v1/reports/:id/status":               {"*"},
		"GET /api/v1/reports":                          {"social_worker", "verifier"},
		"GET /api/v1/reports/:id":                      {"social_worker", "verifier"},
		"POST /api/v1/reports/:id":                     {"social_worker", "verifier"},
		"POST /api/v1/needs/:id/claims":                {"volunteer"},
		"GET /api/v1/needs/:id/claims":                 {"social_worker"},
		"POST /api/v1/claims/:id/approve":              {"social_worker"},
		"POST /api/v1/claims/:id/reject":               {"social_worker"},
		"POST /api/v1/claims/:id/release":              {"volunteer"},
		"GET /api/v1/claims/:id/contact":               {"volunteer"},
		"POST /api/v1/service-pledges":                 {"volunteer"},
		"POST /api/v1/service-pledges/:id/accept":      {"social_worker"},
		"POST /api/v1/service-pledges/:id/decline":     {"social_worker"},
		"POST /api/v1/service-pledges/:id/log":         {"volunteer", "social_worker"},
		"GET /api/v1/needs/:id/service-pledges":        {"*"},
	})
}

// newTestPeople builds the people service over store with the needs'
// cipher (revealing a household's contact opens what the needs sealed).
func newTestPeople(t testing.TB, store *gormstore.Store, c *marketplace.Cipher, now func() time.Time) *marketplace.PeopleService {
	t.Helper()
	d, err := kernel.LoadDivisions()
	if err != nil {
		t.Fatal(err)
	}
	return marketplace.NewPeopleService(store, c, d, now, testID)
}

// The household of the test needs: none of this may reach a public answer
// or a log line.
const (
	hhName    = "张小明"
	hhPhone   = "13812345678"
	hhAddress = "郓城县郓州街道幸福路88号3单元502室"
)

type testNeed struct {
	status   kernel.NeedStatus
	org      *kernel.Org
	ageBand  kernel.AgeBand
	types    string
	services string
	region   string
	public   bool
}

// insertNeed writes a need and its beneficiary straight into the tables of
// migration 00002, the identity sealed as the needs service seals it (JSON,
// associated data = the beneficiary's public id), and returns the need's id.
// Each need is for a person of its own (its own pseudonym): plans fund one
// posting per person.
func (env *testEnv) insertNeed(n testNeed) string {
	env.t.Helper()
	if n.org == nil {
		n.org = env.orgs[kernel.OrgSocialWorkAgency]
	}
	if n.region == "" {
		n.region = "371725001"
	}
	if n.status == "" {
		n.status = kernel.NeedOpen
	}
	if n.ageBand == "" {
		n.ageBand = kernel.Age18to59
	}
	db := env.db.Gorm
	now := *env.now.Load()
	bid, nid := testID(), testID()
	pseudonym := fmt.Sprintf("%064x", sha256.Sum256([]byte(bid)))
	ident, _ := json.Marshal(map[string]any{"id_number": "371725199001011234", "name": hhName, "phone": hhPhone, "address": hhAddress})
	ct, kid, err := env.people.Cipher.Seal(ident, []byte(bid))
	if err != nil {
		env.t.Fatal(err)
	}
	if err := db.Exec(`INSERT INTO beneficiaries (public_id, org_id, pseudonym, identity_ct, identity_kid, region_code, age_band, sex, household_types, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, 'm', ?, ?)`, bid, n.org.ID, pseudonym, ct, kid, n.region, n.ageBand, n.types, now).Error; err != nil {
		env.t.Fatal(err)
	}
	var benID int64
	if err := db.Raw("SELECT id FROM beneficiaries WHERE public_id = ?", bid).Scan(&benID).Error; err != nil {
		env.t.Fatal(err)
	}
	var published *time.Time
	if n.public {
		published = &now
	}
	if err := needfixture.Create(context.Background(), db, map[string]any{"public_id": nid, "org_id": n.org.ID, "created_by": env.admin.User.ID,
		"beneficiary_id": benID, "pseudonym": pseudonym, "status": n.status, "category": "care", "urgency": "normal",
		"region_code": n.region, "age_band": n.ageBand, "household_types": n.types, "private_ct": []byte("x"), "private_kid": "k",
		"public_story": "", "verified_cost_fen": 100000, "statutory_relief_fen": 0, "requested_fen": 100000, "cost_from": now,
		"cost_to": now, "service_needs": n.services, "consent_public": n.public, "published_at": published, "created_at": now,
		"updated_at": now}); err != nil {
		env.t.Fatal(err)
	}
	return nid
}

func (env *testEnv) volunteerWith(t *testing.T, services ...string) (string, *kernel.Principal, string) {
	t.Helper()
	tok, p := env.user(kernel.RoleVolunteer, nil)
	var skills []map[string]any
	for _, s := range services {
		skills = append(skills, map[string]any{"service": s, "level": 2})
	}
	r := env.do("PUT", "/api/v1/volunteers/me", tok, map[string]any{"skills": skills, "regions": []string{"371725"}, "load_limit": 3})
	if r.Status != 200 {
		t.Fatalf("profile: %d %s", r.Status, r.Body)
	}
	return tok, p, r.JSON(t)["id"].(string)
}

func (env *testEnv) clear(t *testing.T, volunteerID string) {
	t.Helper()
	staff, _ := env.user(kernel.RoleFederationStaff, nil)
	r := env.do("POST", "/api/v1/volunteers/"+volunteerID+"/background-check", staff,
		map[string]any{"status": "cleared", "checked_at": "2026-11-01", "note": "无犯罪记录证明"})
	if r.Status != 200 {
		t.Fatalf("background check: %d %s", r.Status, r.Body)
	}
}

func TestVolunteerProfile(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		tok, _ := env.user(kernel.RoleVolunteer, nil)
		if r := env.do("GET", "/api/v1/volunteers/me", tok, nil); r.Status != 404 {
			t.Fatalf("before any profile: %d, want 404", r.Status)
		}
		good := map[string]any{
			"skills": []map[string]any{
				{"service": "home_care", "level": "professional", "certificate": map[string]any{"name": "养老护理员", "number": "NC-2023-778899", "issuer": "人社局", "valid_until": "2028-06-30"}},
				{"service": "tutoring", "level": 1},
			},
			"regions":      []string{"371725", "371725001"},
			"availability": []map[string]any{{"weekday": 6, "from": "09:00", "to": "12:00"}, {"weekday": 6, "from": "12:00", "to": "17:30"}, {"weekday": 1, "from": "19:00", "to": "24:00"}},
			"load_limit":   4,
		}
		r := env.do("PUT", "/api/v1/volunteers/me", tok, good)
		if r.Status != 200 {
			t.Fatalf("save: %d %s", r.Status, r.Body)
		}
		var v volunteerJSON
		if err := json.Unmarshal(r.Body, &v); err != nil {
			t.Fatal(err)
		}
		if len(v.Skills) != 2 || v.Skills[0].Service != "home_care" || v.Skills[0].Level != 3 || v.Skills[0].LevelName != "professional" ||
			v.Skills[0].Certificate == nil || v.Skills[0].Certificate.Number != "NC-2023-778899" || v.Skills[0].Certificate.ValidUntil != "2028-06-30" {
			t.Errorf("skills: %+v", v.Skills)
		}
		if len(v.Regions) != 2 || v.Regions[0].Name != "山东省菏泽市郓城县" || len(v.Availability) != 3 || v.Availability[0].Weekday != 1 ||
			v.LoadLimit != 4 || v.CurrentLoad != 0 || v.BackgroundCheck.Status != "none" {
			t.Errorf("profile: %+v", v)
		}
		// The certificate number is sealed at rest.
		var n int64
		env.db.Gorm.Raw("SELECT COUNT(*) FROM volunteer_skills WHERE cert_name = ? AND cert_number_ct IS NOT NULL", "养老护理员").Scan(&n)
		if n != 1 {
			t.Errorf("certificate number not stored sealed")
		}
		// Tables matching reads.
		var prefixes []string
		env.db.Gorm.Raw("SELECT region_prefix FROM volunteer_regions ORDER BY region_prefix").Scan(&prefixes)
		if strings.Join(prefixes, ",") != "371725,371725001" {
			t.Errorf("region prefixes %v", prefixes)
		}

		bad := []struct {
			name  string
			body  map[string]any
			field string
		}{
			{"unknown region", map[string]any{"regions": []string{"999999"}}, "regions[0]"},
			{"no region", map[string]any{"regions": []string{}}, "regions"},
			{"bad level", map[string]any{"regions": []string{"371725"}, "skills": []map[string]any{{"service": "home_care", "level": 4}}}, "skills[0].level"},
			{"level word", map[string]any{"regions": []string{"371725"}, "skills": []map[string]any{{"service": "home_care", "level": "expert"}}}, "skills[0].level"},
			{"level number as a string", map[string]any{"regions": []string{"371725"}, "skills": []map[string]any{{"service": "home_care", "level": "1"}}}, "skills[0].level"},
			{"level as true", map[string]any{"regions": []string{"371725"}, "skills": []map[string]any{{"service": "home_care", "level": true}}}, "skills[0].level"},
			{"unknown service", map[string]any{"regions": []string{"371725"}, "skills": []map[string]any{{"service": "magic", "level": 1}}}, "skills[0].service"},
			{"duplicate service", map[string]any{"regions": []string{"371725"}, "skills": []map[string]any{{"service": "tutoring", "level": 1}, {"service": "tutoring", "level": 2}}}, "skills[1].service"},
			{"overlapping availability", map[string]any{"regions": []string{"371725"}, "availability": []map[string]any{{"weekday": 2, "from": "09:00", "to": "12:00"}, {"weekday": 2, "from": "11:00", "to": "13:00"}}}, "availability"},
			{"bad weekday", map[string]any{"regions": []string{"371725"}, "availability": []map[string]any{{"weekday": 8, "from": "09:00", "to": "12:00"}}}, "availability[0].weekday"},
			{"backwards window", map[string]any{"regions": []string{"371725"}, "availability": []map[string]any{{"weekday": 1, "from": "12:00", "to": "09:00"}}}, "availability[0].to"},
			{"bad clock", map[string]any{"regions": []string{"371725"}, "availability": []map[string]any{{"weekday": 1, "from": "9am", "to": "12:00"}}}, "availability[0].from"},
			{"load limit", map[string]any{"regions": []string{"371725"}, "load_limit": 500}, "load_limit"},
			{"negative load limit", map[string]any{"regions": []string{"371725"}, "load_limit": -1}, "load_limit"},
			{"bad certificate date", map[string]any{"regions": []string{"371725"}, "skills": []map[string]any{{"service": "home_care", "level": 1, "certificate": map[string]any{"name": "x", "valid_until": "2028-13-01"}}}}, "skills[0].certificate.valid_until"},
			{"injection", map[string]any{"regions": []string{"371725' OR 1=1 --"}}, "regions[0]"},
		}
		for _, tc := range bad {
			t.Run(tc.name, func(t *testing.T) {
				r := env.do("PUT", "/api/v1/volunteers/me", tok, tc.body)
				if r.Status != 400 || !strings.Contains(string(r.Body), `"`+tc.field+`"`) {
					t.Fatalf("%d %s, want 400 naming %s", r.Status, r.Body, tc.field)
				}
			})
		}
		// Nothing of the bad requests was written.
		r = env.do("GET", "/api/v1/volunteers/me", tok, nil)
		if err := json.Unmarshal(r.Body, &v); err != nil || len(v.Skills) != 2 || v.LoadLimit != 4 || len(v.Availability) != 3 {
			t.Errorf("profile changed by bad requests: %s", r.Body)
		}

		// Background check: staff only, validated, audited.
		if r := env.do("POST", "/api/v1/volunteers/"+v.ID+"/background-check", tok, map[string]any{"status": "cleared"}); r.Status != 403 {
			t.Errorf("volunteer sets own check: %d", r.Status)
		}
		staff, _ := env.user(kernel.RoleFederationStaff, nil)
		for _, body := range []map[string]any{{"status": "great"}, {"status": "cleared"}, {"status": "cleared", "checked_at": "2099-01-01"}} {
			if r := env.do("POST", "/api/v1/volunteers/"+v.ID+"/background-check", staff, body); r.Status != 400 {
				t.Errorf("bad check %v: %d", body, r.Status)
			}
		}
		env.clear(t, v.ID)
		r = env.do("GET", "/api/v1/volunteers/me", tok, nil)
		if !strings.Contains(string(r.Body), `"status":"cleared"`) || strings.Contains(string(r.Body), "无犯罪记录证明") {
			t.Errorf("volunteer sees: %s", r.Body)
		}
		r = env.do("GET", "/api/v1/volunteers?background_check=cleared", staff, nil)
		if !strings.Contains(string(r.Body), v.ID) || !strings.Contains(string(r.Body), "无犯罪记录证明") {
			t.Errorf("staff list: %s", r.Body)
		}
	})
}

func TestReportsAreRoutedAndPrivate(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		mk := func(kind kernel.OrgKind, region string) *kernel.Org {
			o, err := env.accounts.CreateOrg(ctx, env.admin, marketplace.NewOrg{Name: "机构" + region + string(kind), Kind: kind, RegionCode: region})
			if err != nil {
				t.Fatal(err)
			}
			return o
		}
		city := mk(kernel.OrgCharity, "371700")
		prov := mk(kernel.OrgCharityFederation, "370000")
		elsewhere := mk(kernel.OrgSocialWorkAgency, "430524")
		local := env.orgs[kernel.OrgSocialWorkAgency]

		const secret = "村里王大爷独居，腿摔伤了没人照顾，电话13900001111"
		r := env.do("POST", "/api/v1/reports", "", map[string]any{"region_code": "371725001", "category": "care", "description": secret, "contact": "139 0000 2222"})
		if r.Status != 201 {
			t.Fatalf("report: %d %s", r.Status, r.Body)
		}
		m := r.JSON(t)
		id, token := m["id"].(string), m["status_token"].(string)
		if len(m) != 3 || m["status"] != "new" || token == "" {
			t.Errorf("anonymous reporter gets %v", m)
		}
		// Stored sealed.
		var n int64
		env.db.Gorm.Raw("SELECT COUNT(*) FROM reports WHERE description_ct LIKE ?", "%王大爷%").Scan(&n)
		if n != 0 {
			t.Error("description stored in clear")
		}

		// Routed to the county (the report names a town in it), city and
		// province organizations of the routed kinds, nearest first: the
		// county's civil affairs office among them (issue 19).
		swLocal, _ := env.user(kernel.RoleSocialWorker, local)
		r = env.do("GET", "/api/v1/reports", swLocal, nil)
		var list struct{ Items []reportJSON }
		_ = json.Unmarshal(r.Body, &list)
		if r.Status != 200 || len(list.Items) != 1 || list.Items[0].Description != secret || list.Items[0].Contact != "" {
			t.Fatalf("local worker list: %d %s", r.Status, r.Body)
		}
		var routed []string
		for _, rt := range list.Items[0].RoutedTo {
			routed = append(routed, fmt.Sprintf("%s:%d", rt.OrgID, rt.Distance))
		}
		want := []string{
			env.orgs[kernel.OrgCharityFederation].PublicID + ":1", env.orgs[kernel.OrgCharity].PublicID + ":1", local.PublicID + ":1",
			env.orgs[kernel.OrgCivilAffairs].PublicID + ":1", city.PublicID + ":2", prov.PublicID + ":3",
		}
		if len(routed) != len(want) || routed[4] != want[4] || routed[5] != want[5] {
			t.Errorf("routed %v, want (in any order at distance 1) %v", routed, want)
		}
		for _, w := range want[:4] {
			if !strings.Contains(strings.Join(routed[:4], " "), w) {
				t.Errorf("routes %v miss %s", routed, w)
			}
		}
		if strings.Contains(string(r.Body), elsewhere.PublicID) {
			t.Errorf("routed to another county: %s", r.Body)
		}

		// Other county's worker and other roles do not see it.
		swElse, _ := env.user(kernel.RoleSocialWorker, elsewhere)
		if r := env.do("GET", "/api/v1/reports", swElse, nil); !strings.Contains(string(r.Body), `"items":[]`) {
			t.Errorf("other county sees: %s", r.Body)
		}
		if r := env.do("GET", "/api/v1/reports/"+id, swElse, nil); r.Status != 404 {
			t.Errorf("other county reads: %d", r.Status)
		}
		if r := env.do("POST", "/api/v1/reports/"+id, swElse, map[string]any{"status": "accepted"}); r.Status != 404 {
			t.Errorf("other county accepts: %d", r.Status)
		}
		// The one report read shows the contact.
		r = env.do("GET", "/api/v1/reports/"+id, swLocal, nil)
		if r.Status != 200 || !strings.Contains(string(r.Body), "13900002222") {
			t.Errorf("detail: %d %s", r.Status, r.Body)
		}
		// Status by token only.
		if r := env.do("GET", "/api/v1/reports/"+id+"/status", "", nil, "X-Report-Token", "wrong"); r.Status != 404 {
			t.Errorf("wrong token: %d", r.Status)
		}
		r = env.do("GET", "/api/v1/reports/"+id+"/status", "", nil, "X-Report-Token", token)
		if r.Status != 200 || strings.Contains(string(r.Body), "王大爷") || r.JSON(t)["status"] != "new" {
			t.Errorf("status: %d %s", r.Status, r.Body)
		}

		// First asked, responsible: the city charity accepts; the local agency may not take over.
		swCity, _ := env.user(kernel.RoleSocialWorker, city)
		if r := env.do("POST", "/api/v1/reports/"+id, swCity, map[string]any{"status": "maybe"}); r.Status != 400 {
			t.Errorf("bad status: %d", r.Status)
		}
		if r := env.do("POST", "/api/v1/reports/"+id, swCity, map[string]any{"status": "accepted", "note": "已联系村委"}); r.Status != 200 {
			t.Fatalf("accept: %d %s", r.Status, r.Body)
		}
		if r := env.do("POST", "/api/v1/reports/"+id, swLocal, map[string]any{"status": "no_action"}); r.Status != 403 {
			t.Errorf("another routed org takes over: %d %s", r.Status, r.Body)
		}
		if r := env.do("POST", "/api/v1/reports/"+id, swCity, map[string]any{"status": "need_posted"}); r.Status != 200 {
			t.Errorf("need posted: %d %s", r.Status, r.Body)
		}
		if r := env.do("POST", "/api/v1/reports/"+id, swCity, map[string]any{"status": "accepted"}); r.Status != 409 {
			t.Errorf("back to accepted: %d", r.Status)
		}
		if r := env.do("GET", "/api/v1/reports/"+id+"/status", "", nil, "X-Report-Token", token); r.JSON(t)["status"] != "need_posted" {
			t.Errorf("status after handling: %s", r.Body)
		}

		// Bad reports.
		for name, body := range map[string]map[string]any{
			"unknown region": {"region_code": "371799", "description": "x"},
			"empty":          {"region_code": "371725", "description": "  "},
			"too long":       {"region_code": "371725", "description": strings.Repeat("难", 2001)},
			"bad phone":      {"region_code": "371725", "description": "x", "contact": "12345"},
			"bad category":   {"region_code": "371725", "description": "x", "category": "lottery"},
		} {
			if r := env.do("POST", "/api/v1/reports", "", body); r.Status != 400 {
				t.Errorf("%s: %d %s", name, r.Status, r.Body)
			}
		}
		if strings.Contains(env.logs.String(), "王大爷") || strings.Contains(env.logs.String(), "13900002222") || strings.Contains(env.logs.String(), token) {
			t.Error("personal data or the token in the logs")
		}
	})
}

func TestClaimsRevealContactOnlyWhileApproved(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		need := env.insertNeed(testNeed{services: "home_care,tutoring,legal_aid", public: true})
		vtok, vp, vid := env.volunteerWith(t, "home_care", "legal_aid")
		sw, swp := env.user(kernel.RoleSocialWorker, nil)
		swOther, _ := env.user(kernel.RoleSocialWorker, env.orgs[kernel.OrgCharity])

		// Bad claims.
		for name, tc := range map[string]struct {
			body   map[string]any
			status int
		}{
			"window too long":   {map[string]any{"service": "home_care", "window_days": 31}, 400},
			"window zero":       {map[string]any{"service": "home_care", "window_days": 0}, 400},
			"service not asked": {map[string]any{"service": "job_guidance", "window_days": 7}, 400},
			"skill not offered": {map[string]any{"service": "tutoring", "window_days": 7}, 400},
			"unknown service":   {map[string]any{"service": "x", "window_days": 7}, 400},
		} {
			if r := env.do("POST", "/api/v1/needs/"+need+"/claims", vtok, tc.body); r.Status != tc.status {
				t.Errorf("%s: %d %s", name, r.Status, r.Body)
			}
		}
		r := env.do("POST", "/api/v1/needs/"+need+"/claims", vtok, map[string]any{"service": "home_care", "window_days": 7})
		if r.Status != 201 {
			t.Fatalf("claim: %d %s", r.Status, r.Body)
		}
		claim := r.JSON(t)["id"].(string)
		if r := env.do("POST", "/api/v1/needs/"+need+"/claims", vtok, map[string]any{"service": "home_care", "window_days": 7}); r.Status != 409 {
			t.Errorf("second claim of the same: %d", r.Status)
		}
		if r := env.do("GET", "/api/v1/volunteers/me", vtok, nil); r.JSON(t)["current_load"] != float64(1) {
			t.Errorf("load: %s", r.Body)
		}
		// Not before approval.
		if r := env.do("GET", "/api/v1/claims/"+claim+"/contact", vtok, nil); r.Status != 403 || strings.Contains(string(r.Body), hhPhone) {
			t.Errorf("contact before approval: %d %s", r.Status, r.Body)
		}
		// Another organization's worker cannot approve, nor see the claims.
		if r := env.do("POST", "/api/v1/claims/"+claim+"/approve", swOther, nil); r.Status != 404 {
			t.Errorf("other org approves: %d", r.Status)
		}
		if r := env.do("GET", "/api/v1/needs/"+need+"/claims", swOther, nil); r.Status != 404 {
			t.Errorf("other org lists: %d", r.Status)
		}
		if r := env.do("GET", "/api/v1/needs/"+need+"/claims", sw, nil); r.Status != 200 || !strings.Contains(string(r.Body), claim) {
			t.Errorf("posting org lists: %d %s", r.Status, r.Body)
		}
		if r := env.do("POST", "/api/v1/claims/"+claim+"/approve", sw, nil); r.Status != 200 || r.JSON(t)["status"] != "approved" {
			t.Fatalf("approve: %d %s", r.Status, r.Body)
		}
		if r := env.do("POST", "/api/v1/claims/"+claim+"/reject", sw, nil); r.Status != 409 {
			t.Errorf("reject after approve: %d", r.Status)
		}
		// Another volunteer never sees it.
		otherVol, ovp, _ := env.volunteerWith(t, "home_care")
		if r := env.do("GET", "/api/v1/claims/"+claim+"/contact", otherVol, nil); r.Status != 404 {
			t.Errorf("other volunteer: %d", r.Status)
		}
		r = env.do("GET", "/api/v1/claims/"+claim+"/contact", vtok, nil)
		if r.Status != 200 || !strings.Contains(string(r.Body), hhPhone) || !strings.Contains(string(r.Body), hhAddress) || !strings.Contains(string(r.Body), hhName) {
			t.Fatalf("contact while approved: %d %s", r.Status, r.Body)
		}
		// Every reveal audited.
		var reveals int64
		env.db.Gorm.Raw("SELECT COUNT(*) FROM audit_log WHERE action = 'claim.contact.reveal' AND object_id = ?", claim).Scan(&reveals)
		if reveals != 1 {
			t.Errorf("%d reveals audited, want 1", reveals)
		}
		// Hidden again when the window ends.
		env.advance(7*24*time.Hour - time.Minute)
		vtok, sw, otherVol = env.token(vp), env.token(swp), env.token(ovp)
		if r := env.do("GET", "/api/v1/claims/"+claim+"/contact", vtok, nil); r.Status != 200 {
			t.Errorf("a minute before the end: %d", r.Status)
		}
		env.advance(time.Minute)
		vtok = env.token(vp)
		if r := env.do("GET", "/api/v1/claims/"+claim+"/contact", vtok, nil); r.Status != 403 || strings.Contains(string(r.Body), hhPhone) {
			t.Errorf("contact after the window: %d %s", r.Status, r.Body)
		}
		if r := env.do("GET", "/api/v1/volunteers/me/claims", vtok, nil); !strings.Contains(string(r.Body), `"status":"ended"`) {
			t.Errorf("claim not ended: %s", r.Body)
		}
		if r := env.do("GET", "/api/v1/volunteers/me", vtok, nil); r.JSON(t)["current_load"] != float64(0) {
			t.Errorf("load after the end: %s", r.Body)
		}

		// Release: a new claim, approved, released: hidden at once.
		r = env.do("POST", "/api/v1/needs/"+need+"/claims", vtok, map[string]any{"service": "legal_aid", "window_days": 30})
		c2 := r.JSON(t)["id"].(string)
		env.do("POST", "/api/v1/claims/"+c2+"/approve", sw, nil)
		if r := env.do("POST", "/api/v1/claims/"+c2+"/release", otherVol, nil); r.Status != 404 {
			t.Errorf("other volunteer releases: %d", r.Status)
		}
		if r := env.do("POST", "/api/v1/claims/"+c2+"/release", vtok, nil); r.Status != 200 {
			t.Errorf("release: %d %s", r.Status, r.Body)
		}
		if r := env.do("GET", "/api/v1/claims/"+c2+"/contact", vtok, nil); r.Status != 403 {
			t.Errorf("contact after release: %d", r.Status)
		}

		// Load limit.
		env.do("PUT", "/api/v1/volunteers/me", vtok, map[string]any{"skills": []map[string]any{{"service": "home_care", "level": 1}, {"service": "legal_aid", "level": 1}}, "regions": []string{"371725"}, "load_limit": 1})
		if r := env.do("POST", "/api/v1/needs/"+need+"/claims", vtok, map[string]any{"service": "legal_aid", "window_days": 3}); r.Status != 201 {
			t.Fatalf("claim: %d %s", r.Status, r.Body)
		}
		if r := env.do("POST", "/api/v1/needs/"+need+"/claims", vtok, map[string]any{"service": "home_care", "window_days": 3}); r.Status != 409 {
			t.Errorf("over the load limit: %d %s", r.Status, r.Body)
		}

		// A need that is not public, or not open, cannot be claimed.
		draft := env.insertNeed(testNeed{services: "home_care", status: kernel.NeedSubmitted})
		if r := env.do("POST", "/api/v1/needs/"+draft+"/claims", otherVol, map[string]any{"service": "home_care", "window_days": 3}); r.Status != 404 {
			t.Errorf("claim a submitted need: %d", r.Status)
		}
		if strings.Contains(env.logs.String(), hhPhone) || strings.Contains(env.logs.String(), hhName) {
			t.Error("household data in the logs")
		}
		_ = vid
	})
}

func TestHomeVisitsToVulnerableHouseholdsNeedACheck(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		sw, _ := env.user(kernel.RoleSocialWorker, nil)
		vtok, _, vid := env.volunteerWith(t, "home_care", "legal_aid", "tutoring")
		needs := map[string]string{
			"minor":    env.insertNeed(testNeed{services: "home_care,legal_aid", ageBand: kernel.AgeUnder14, public: true}),
			"teen":     env.insertNeed(testNeed{services: "tutoring", ageBand: kernel.Age14to17, public: true}),
			"elderly":  env.insertNeed(testNeed{services: "home_care", ageBand: kernel.Age60Plus, public: true}),
			"disabled": env.insertNeed(testNeed{services: "home_care", types: "dibao,severe_disability", public: true}),
			"orphan":   env.insertNeed(testNeed{services: "home_care", types: "orphan", public: true}),
		}
		for name, need := range needs {
			svc := "home_care"
			if name == "teen" {
				svc = "tutoring"
			}
			r := env.do("POST", "/api/v1/needs/"+need+"/claims", vtok, map[string]any{"service": svc, "window_days": 3})
			if r.Status != 403 {
				t.Errorf("%s: claim without a check: %d %s", name, r.Status, r.Body)
			}
			r = env.do("POST", "/api/v1/service-pledges", vtok, map[string]any{"need_id": need, "skill": svc, "hours": 4})
			if r.Status != 403 {
				t.Errorf("%s: pledge without a check: %d %s", name, r.Status, r.Body)
			}
		}
		// Not a home visit: no check needed.
		if r := env.do("POST", "/api/v1/needs/"+needs["minor"]+"/claims", vtok, map[string]any{"service": "legal_aid", "window_days": 3}); r.Status != 201 {
			t.Errorf("legal aid to a minor's household: %d %s", r.Status, r.Body)
		}
		// Pending check is not enough; expired is not either.
		staff, _ := env.user(kernel.RoleFederationStaff, nil)
		env.do("POST", "/api/v1/volunteers/"+vid+"/background-check", staff, map[string]any{"status": "pending"})
		if r := env.do("POST", "/api/v1/needs/"+needs["elderly"]+"/claims", vtok, map[string]any{"service": "home_care", "window_days": 3}); r.Status != 403 {
			t.Errorf("pending check: %d", r.Status)
		}
		env.clear(t, vid)
		r := env.do("POST", "/api/v1/needs/"+needs["elderly"]+"/claims", vtok, map[string]any{"service": "home_care", "window_days": 3})
		if r.Status != 201 {
			t.Fatalf("cleared: %d %s", r.Status, r.Body)
		}
		claim := r.JSON(t)["id"].(string)
		// The check expires before approval: approval refused.
		env.do("POST", "/api/v1/volunteers/"+vid+"/background-check", staff, map[string]any{"status": "expired", "checked_at": "2026-11-02"})
		if r := env.do("POST", "/api/v1/claims/"+claim+"/approve", sw, nil); r.Status != 403 {
			t.Errorf("approve with an expired check: %d %s", r.Status, r.Body)
		}
		// Cleared again, approved, then expired: the contact is hidden.
		env.clear(t, vid)
		if r := env.do("POST", "/api/v1/claims/"+claim+"/approve", sw, nil); r.Status != 200 {
			t.Fatalf("approve: %d %s", r.Status, r.Body)
		}
		if r := env.do("GET", "/api/v1/claims/"+claim+"/contact", vtok, nil); r.Status != 200 {
			t.Errorf("contact: %d", r.Status)
		}
		env.do("POST", "/api/v1/volunteers/"+vid+"/background-check", staff, map[string]any{"status": "expired", "checked_at": "2026-11-03"})
		if r := env.do("GET", "/api/v1/claims/"+claim+"/contact", vtok, nil); r.Status != 403 || strings.Contains(string(r.Body), hhPhone) {
			t.Errorf("contact after the check expired: %d %s", r.Status, r.Body)
		}
	})
}

func TestServicePledges(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		need := env.insertNeed(testNeed{services: "legal_aid,job_guidance", public: true})
		vtok, _, _ := env.volunteerWith(t, "legal_aid", "job_guidance")
		sw, _ := env.user(kernel.RoleSocialWorker, nil)
		swOther, _ := env.user(kernel.RoleSocialWorker, env.orgs[kernel.OrgCharity])
		donor, _ := env.user(kernel.RoleDonor, nil)

		for name, body := range map[string]map[string]any{
			"too few hours":   {"need_id": need, "skill": "legal_aid", "hours": 0.25},
			"too many hours":  {"need_id": need, "skill": "legal_aid", "hours": 200.5},
			"negative":        {"need_id": need, "skill": "legal_aid", "hours": -3},
			"huge":            {"need_id": need, "skill": "legal_aid", "hours": 1e300},
			"odd seconds":     {"need_id": need, "skill": "legal_aid", "hours": 1.00001},
			"skill not asked": {"need_id": need, "skill": "home_care", "hours": 2},
			"no need":         {"skill": "legal_aid", "hours": 2},
		} {
			if r := env.do("POST", "/api/v1/service-pledges", vtok, body); r.Status != 400 {
				t.Errorf("%s: %d %s", name, r.Status, r.Body)
			}
		}
		r := env.do("POST", "/api/v1/service-pledges", vtok, map[string]any{"need_id": need, "skill": "legal_aid", "hours": 12.5})
		if r.Status != 201 {
			t.Fatalf("pledge: %d %s", r.Status, r.Body)
		}
		p1 := r.JSON(t)["id"].(string)
		r = env.do("POST", "/api/v1/service-pledges", vtok, map[string]any{"need_id": need, "skill": "job_guidance", "hours": 4})
		p2 := r.JSON(t)["id"].(string)

		if r := env.do("POST", "/api/v1/service-pledges/"+p1+"/log", vtok, map[string]any{"hours": 2, "date": "2026-11-23"}); r.Status != 409 {
			t.Errorf("log before acceptance: %d", r.Status)
		}
		if r := env.do("POST", "/api/v1/service-pledges/"+p1+"/accept", swOther, nil); r.Status != 404 {
			t.Errorf("other org accepts: %d", r.Status)
		}
		if r := env.do("POST", "/api/v1/service-pledges/"+p1+"/accept", sw, nil); r.Status != 200 {
			t.Fatalf("accept: %d %s", r.Status, r.Body)
		}
		if r := env.do("POST", "/api/v1/service-pledges/"+p2+"/decline", sw, nil); r.Status != 200 {
			t.Fatalf("decline: %d %s", r.Status, r.Body)
		}
		if r := env.do("POST", "/api/v1/service-pledges/"+p2+"/accept", sw, nil); r.Status != 409 {
			t.Errorf("accept after decline: %d", r.Status)
		}
		for name, body := range map[string]map[string]any{
			"future":        {"hours": 2, "date": "2026-12-01"},
			"before pledge": {"hours": 2, "date": "2026-11-01"},
			"bad date":      {"hours": 2, "date": "23/11/2026"},
			"too long":      {"hours": 25, "date": "2026-11-23"},
			"too short":     {"hours": 0.1, "date": "2026-11-23"},
		} {
			if r := env.do("POST", "/api/v1/service-pledges/"+p1+"/log", vtok, body); r.Status != 400 {
				t.Errorf("%s: %d %s", name, r.Status, r.Body)
			}
		}
		if r := env.do("POST", "/api/v1/service-pledges/"+p1+"/log", swOther, map[string]any{"hours": 2, "date": "2026-11-23"}); r.Status != 404 {
			t.Errorf("other org logs: %d", r.Status)
		}
		otherVol, _, _ := env.volunteerWith(t, "legal_aid")
		if r := env.do("POST", "/api/v1/service-pledges/"+p1+"/log", otherVol, map[string]any{"hours": 2, "date": "2026-11-23"}); r.Status != 404 {
			t.Errorf("other volunteer logs: %d", r.Status)
		}
		if r := env.do("POST", "/api/v1/service-pledges/"+p1+"/log", vtok, map[string]any{"hours": 2, "date": "2026-11-23", "note": "帮张小明写了申请书"}); r.Status != 201 {
			t.Fatalf("volunteer logs: %d %s", r.Status, r.Body)
		}
		if r := env.do("POST", "/api/v1/service-pledges/"+p1+"/log", sw, map[string]any{"hours": 1.5, "date": "2026-11-23"}); r.Status != 201 {
			t.Fatalf("worker logs: %d %s", r.Status, r.Body)
		}

		// Public: totals by skill, no names, no notes.
		for _, tok := range []string{"", donor, swOther} {
			r := env.do("GET", "/api/v1/needs/"+need+"/service-pledges", tok, nil)
			if r.Status != 200 {
				t.Fatalf("public: %d", r.Status)
			}
			body := string(r.Body)
			if !strings.Contains(body, `{"skill":"legal_aid","pledges":1,"hours":12.5,"logged_hours":3.5}`) || strings.Contains(body, "job_guidance") ||
				strings.Contains(body, "volunteer") || strings.Contains(body, "张小明") || strings.Contains(body, `"pledges":[`) {
				t.Errorf("public view: %s", body)
			}
		}
		// Posting org: the full list.
		r = env.do("GET", "/api/v1/needs/"+need+"/service-pledges", sw, nil)
		if !strings.Contains(string(r.Body), `"pledges":[`) || !strings.Contains(string(r.Body), "帮张小明写了申请书") || !strings.Contains(string(r.Body), p2) {
			t.Errorf("posting org view: %s", r.Body)
		}
		// The volunteer's record.
		r = env.do("GET", "/api/v1/volunteers/me/service", vtok, nil)
		m := r.JSON(t)
		if m["hours"] != 12.5 || m["logged_hours"] != 3.5 || len(m["pledges"].([]any)) != 2 {
			t.Errorf("record: %s", r.Body)
		}
		// A need that is not public shows nothing to the public.
		hidden := env.insertNeed(testNeed{services: "legal_aid", status: kernel.NeedSubmitted})
		if r := env.do("GET", "/api/v1/needs/"+hidden+"/service-pledges", "", nil); r.Status != 404 {
			t.Errorf("hidden need: %d", r.Status)
		}
		if strings.Contains(env.logs.String(), "张小明") {
			t.Error("note in the logs")
		}
	})
}

// TestClaimOfANeedPostedThroughTheNeedsAPI runs the people rules over a need
// as the needs service writes it: posted, cleared, published, open after the
// notice; the contact an approved volunteer sees is the one the worker entered.
func TestClaimOfANeedPostedThroughTheNeedsAPI(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		worker, wp := env.user(kernel.RoleSocialWorker, nil)
		verifier, _ := env.user(kernel.RoleVerifier, nil)
		body := needBody()
		body["service_needs"] = []string{"hospital_escort", "legal_aid"}
		id := env.createNeed(worker, body)
		env.clearAndPublish(id, worker, verifier)
		vtok, vp, _ := env.volunteerWith(t, "legal_aid", "hospital_escort")
		// In notice: not yet open for volunteers.
		if r := env.do("POST", "/api/v1/needs/"+id+"/claims", vtok, map[string]any{"service": "legal_aid", "window_days": 5}); r.Status != 409 {
			t.Errorf("claim during notice: %d %s", r.Status, r.Body)
		}
		env.advance(121 * time.Hour)
		vtok, worker = env.token(vp), env.token(wp)
		r := env.do("POST", "/api/v1/needs/"+id+"/claims", vtok, map[string]any{"service": "hospital_escort", "window_days": 5})
		if r.Status != 201 {
			t.Fatalf("claim: %d %s", r.Status, r.Body)
		}
		claim := r.JSON(t)["id"].(string)
		if r := env.do("POST", "/api/v1/claims/"+claim+"/approve", worker, nil); r.Status != 200 {
			t.Fatalf("approve: %d %s", r.Status, r.Body)
		}
		r = env.do("GET", "/api/v1/claims/"+claim+"/contact", vtok, nil)
		if r.Status != 200 {
			t.Fatalf("contact: %d %s", r.Status, r.Body)
		}
		c := r.JSON(t)
		if c["name"] != "张建华" || c["phone"] != "13812345678" || c["address"] != "山东省菏泽市郓城县唐庙镇李庄村3组15号" {
			t.Errorf("contact: %v", c)
		}
		// Pledge, accept, log; the public sees totals only.
		r = env.do("POST", "/api/v1/service-pledges", vtok, map[string]any{"need_id": id, "skill": "legal_aid", "hours": 6})
		if r.Status != 201 {
			t.Fatalf("pledge: %d %s", r.Status, r.Body)
		}
		pledge := r.JSON(t)["id"].(string)
		env.do("POST", "/api/v1/service-pledges/"+pledge+"/accept", worker, nil)
		r = env.do("GET", "/api/v1/needs/"+id+"/service-pledges", "", nil)
		if r.Status != 200 || !strings.Contains(string(r.Body), `"hours":6`) {
			t.Errorf("public pledges: %d %s", r.Status, r.Body)
		}
		for _, path := range []string{"/api/v1/needs/" + id, "/api/v1/needs/" + id + "/service-pledges"} {
			body := string(env.do("GET", path, "", nil).Body)
			for _, secret := range []string{"张建华", "13812345678", "李庄村", "volunteer"} {
				if strings.Contains(body, secret) {
					t.Errorf("%s shows %q: %s", path, secret, body)
				}
			}
		}
		if strings.Contains(env.logs.String(), "张建华") || strings.Contains(env.logs.String(), "13812345678") {
			t.Error("household data in the logs")
		}
	})
}

// TestClaimLoadLimitUnderConcurrency: many claims at once by one volunteer
// never exceed the load limit, and one need and service is claimed once.
func TestClaimLoadLimitUnderConcurrency(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		var needs []string
		for i := 0; i < 8; i++ {
			needs = append(needs, env.insertNeed(testNeed{services: "legal_aid", public: true}))
		}
		vtok, _, _ := env.volunteerWith(t, "legal_aid")
		var wg sync.WaitGroup
		statuses := make(chan int, 2*len(needs))
		for _, n := range append(needs, needs...) {
			wg.Add(1)
			go func(n string) {
				defer wg.Done()
				statuses <- env.do("POST", "/api/v1/needs/"+n+"/claims", vtok, map[string]any{"service": "legal_aid", "window_days": 3}).Status
			}(n)
		}
		wg.Wait()
		close(statuses)
		count := map[int]int{}
		for s := range statuses {
			count[s]++
		}
		if count[201] != 3 || count[409] != 2*len(needs)-3 {
			t.Errorf("statuses %v, want 3 created (the load limit) and the rest 409", count)
		}
		var n int64
		env.db.Gorm.Raw("SELECT COUNT(*) FROM volunteer_claims").Scan(&n)
		if n != 3 {
			t.Errorf("%d claims stored, want 3", n)
		}
	})
}

// TestVolunteersCannotServeANeedPastItsDeadline: a need whose deadline
// passed unfunded shows as expired on its public page; volunteers can no
// longer claim its services or pledge hours to it (409), as its matches
// already leave it out.
func TestVolunteersCannotServeANeedPastItsDeadline(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		worker, wp := env.user(kernel.RoleSocialWorker, nil)
		verifier, _ := env.user(kernel.RoleVerifier, nil)
		body := needBody()
		body["service_needs"] = []string{"hospital_escort", "legal_aid"}
		body["deadline"] = env.now.Load().In(kernel.ChinaTime).AddDate(0, 0, 8).Format("2006-01-02")
		id := env.createNeed(worker, body)
		env.clearAndPublish(id, worker, verifier)
		vtok, vp, _ := env.volunteerWith(t, "legal_aid", "hospital_escort")
		env.advance(121 * time.Hour) // notice over: open, before the deadline
		vtok, worker = env.token(vp), env.token(wp)
		r := env.do("POST", "/api/v1/needs/"+id+"/claims", vtok, map[string]any{"service": "hospital_escort", "window_days": 2})
		if r.Status != 201 {
			t.Fatalf("claim before the deadline: %d %s", r.Status, r.Body)
		}
		env.advance(6 * 24 * time.Hour) // the deadline passed, nothing funded
		vtok = env.token(vp)
		if got := env.do("GET", "/api/v1/needs/"+id, "", nil).JSON(t)["status"]; got != "expired" {
			t.Fatalf("public status after the deadline: %v", got)
		}
		if r := env.do("POST", "/api/v1/needs/"+id+"/claims", vtok, map[string]any{"service": "legal_aid", "window_days": 2}); r.Status != 409 {
			t.Errorf("claim after the deadline: %d %s, want 409", r.Status, r.Body)
		}
		if r := env.do("POST", "/api/v1/service-pledges", vtok, map[string]any{"need_id": id, "skill": "legal_aid", "hours": 3}); r.Status != 409 {
			t.Errorf("service pledge after the deadline: %d %s, want 409", r.Status, r.Body)
		}
		if r := env.do("GET", "/api/v1/needs/"+id+"/service-pledges", "", nil); r.Status != 200 {
			t.Errorf("the expired need's public pledges: %d, want 200 (it is still shown)", r.Status)
		}
	})
}
