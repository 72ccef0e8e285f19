package gormstore_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/marketplace/gormstore"
	"github.com/jiujinan/jiujinan/marketplace/gormstore/needfixture"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// The auditor's browser reads the log newest first, a page at a time with
// every entry once, filtered by chain, object, actor, action (or family)
// and time, and scoped to the chains about places in the auditor's region.
func TestBrowseAuditFiltersPagesAndScopes(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		store := gormstore.New(db)
		base := needfixture.Setup(t, db, "审计测试社工站")
		_, ids := base.Insert(t, db, needfixture.Need{RegionCode: "371725001"}, needfixture.Need{RegionCode: "430524"})
		here, there := ids[0], ids[1]
		report := needfixture.NewID()
		if err := db.Gorm.Exec(`INSERT INTO reports (public_id, region_code, category, description_ct, description_kid, token_hash, status, created_at, updated_at)
			VALUES (?, '371725', 'care', ?, 'k1', ?, 'new', ?, ?)`, report, []byte{1}, fmt.Sprintf("%064d", 1), time.Now().UTC(), time.Now().UTC()).Error; err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)
		type entry struct {
			stream, actor, action, object string
			at                            time.Time
		}
		entries := []entry{
			{"need:" + here, "sw1", "need.submit", here, t0},
			{"need:" + there, "sw2", "need.submit", there, t0.Add(time.Minute)},
			{"accounts", "admin1", "org.create", "org1", t0.Add(2 * time.Minute)},
			{"need:" + here, "ver1", "screening.acknowledge", "scr1", t0.Add(24 * time.Hour)},
			{"need:" + here, "ver1", "need.clearance", here, t0.Add(25 * time.Hour)},
			{"report:" + report, "anonymous", "report.submit", report, t0.Add(26 * time.Hour)},
			{"charity-aid", "ver1", "charity_aid.export", "371725", t0.Add(27 * time.Hour)},
			{"charity-aid", "ver9", "charity_aid.export", "430524", t0.Add(28 * time.Hour)},
			{"need:" + there, "ver2", "need.clearance", there, t0.Add(48 * time.Hour)},
		}
		for _, e := range entries {
			err := db.Gorm.Transaction(func(tx *gorm.DB) error {
				return gormstore.AppendAudit(tx, &marketplace.AuditEntry{Stream: e.stream, At: e.at, Actor: e.actor, Action: e.action,
					ObjectType: "test", ObjectID: e.object, Detail: "{}"})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		// actions lists what a query finds, as stream-kind/action/actor.
		browse := func(q marketplace.AuditQuery) []string {
			t.Helper()
			if q.Limit == 0 {
				q.Limit = 100
			}
			rs, err := store.BrowseAudit(ctx, q)
			if err != nil {
				t.Fatalf("%+v: %v", q, err)
			}
			var out []string
			for i, r := range rs {
				if i > 0 && r.Key >= rs[i-1].Key {
					t.Errorf("not newest first: key %d after %d", r.Key, rs[i-1].Key)
				}
				kind, _ := marketplace.StreamSubject(r.Stream)
				out = append(out, kind+"/"+r.Action+"/"+r.Actor)
			}
			return out
		}
		want := func(name string, got []string, want ...string) {
			t.Helper()
			if !slices.Equal(got, want) {
				t.Errorf("%s:\n got %v\nwant %v", name, got, want)
			}
		}

		all := browse(marketplace.AuditQuery{})
		if len(all) != len(entries) || all[0] != "need/need.clearance/ver2" || all[len(all)-1] != "need/need.submit/sw1" {
			t.Errorf("whole log, newest first: %v", all)
		}
		// Pages of two, each entry once, in order.
		var paged []string
		before := int64(0)
		for pages := 0; ; pages++ {
			rs, err := store.BrowseAudit(ctx, marketplace.AuditQuery{Before: before, Limit: 2})
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) == 0 || pages > 10 {
				break
			}
			for _, r := range rs {
				kind, _ := marketplace.StreamSubject(r.Stream)
				paged = append(paged, kind+"/"+r.Action+"/"+r.Actor)
			}
			before = rs[len(rs)-1].Key
		}
		want("paged", paged, all...)

		want("stream", browse(marketplace.AuditQuery{Stream: "need:" + here}),
			"need/need.clearance/ver1", "need/screening.acknowledge/ver1", "need/need.submit/sw1")
		want("object", browse(marketplace.AuditQuery{ObjectID: "scr1"}), "need/screening.acknowledge/ver1")
		want("actor", browse(marketplace.AuditQuery{Actor: "ver1"}),
			"charity-aid/charity_aid.export/ver1", "need/need.clearance/ver1", "need/screening.acknowledge/ver1")
		want("action", browse(marketplace.AuditQuery{Action: "need.clearance"}), "need/need.clearance/ver2", "need/need.clearance/ver1")
		want("action family", browse(marketplace.AuditQuery{Action: "need."}),
			"need/need.clearance/ver2", "need/need.clearance/ver1", "need/need.submit/sw2", "need/need.submit/sw1")
		want("no such family", browse(marketplace.AuditQuery{Action: "need"}))
		want("time", browse(marketplace.AuditQuery{From: t0.Add(24 * time.Hour), To: t0.Add(26 * time.Hour)}),
			"need/need.clearance/ver1", "need/screening.acknowledge/ver1")

		// Scope: 371725 sees its need's chain, its report and its export;
		// not the need in 430524, the other export or the accounts chain.
		want("scope 371725", browse(marketplace.AuditQuery{Regions: []string{"371725"}}),
			"charity-aid/charity_aid.export/ver1", "report/report.submit/anonymous", "need/need.clearance/ver1",
			"need/screening.acknowledge/ver1", "need/need.submit/sw1")
		want("scope 43 with a filter", browse(marketplace.AuditQuery{Regions: []string{"43"}, Action: "need.clearance"}), "need/need.clearance/ver2")
		want("scope of two", browse(marketplace.AuditQuery{Regions: []string{"4305", "3717"}, Action: "need.submit"}),
			"need/need.submit/sw2", "need/need.submit/sw1")
		want("scope elsewhere", browse(marketplace.AuditQuery{Regions: []string{"11"}}))
		want("empty scope", browse(marketplace.AuditQuery{Regions: []string{}}))
		want("out-of-scope chain asked for", browse(marketplace.AuditQuery{Regions: []string{"371725"}, Stream: "need:" + there}))
	})
}

// Actors are named with their display name and every role they hold.
func TestAuditActorsNamesUsersWithTheirRoles(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		store := gormstore.New(db)
		accounts := marketplace.NewAccountService(store, time.Now, needfixture.NewID)
		admin, err := accounts.CreateAdmin(ctx, "admin@test.example", "admin-password-1", "管理员")
		if err != nil {
			t.Fatal(err)
		}
		ap, err := store.Principal(ctx, admin.PublicID)
		if err != nil {
			t.Fatal(err)
		}
		org, err := accounts.CreateOrg(ctx, ap, marketplace.NewOrg{Name: "郓城县慈善总会", Kind: kernel.OrgCharityFederation, RegionCode: "371725"})
		if err != nil {
			t.Fatal(err)
		}
		staff, err := accounts.AddMember(ctx, ap, org.PublicID, marketplace.NewUser{Email: "s@test.example", Password: "password-staff-1",
			DisplayName: "王会计", Role: kernel.RoleFederationStaff})
		if err != nil {
			t.Fatal(err)
		}
		got, err := store.AuditActors(ctx, []string{staff.PublicID, admin.PublicID, "nobody"})
		if err != nil {
			t.Fatal(err)
		}
		if a := got[staff.PublicID]; a.Name != "王会计" || !slices.Equal(a.Roles, []kernel.Role{kernel.RoleFederationStaff}) {
			t.Errorf("staff: %+v", a)
		}
		if a := got[admin.PublicID]; a.Name != "管理员" || !slices.Equal(a.Roles, []kernel.Role{kernel.RoleAdmin}) {
			t.Errorf("admin: %+v", a)
		}
		if _, ok := got["nobody"]; ok || len(got) != 2 {
			t.Errorf("unknown ids named: %+v", got)
		}
	})
}
