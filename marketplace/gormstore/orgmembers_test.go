package gormstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/marketplace/gormstore"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// An administrator's page of organizations counts their members, and one
// organization's page lists its staff in the order they were added;
// donors, volunteers and administrators belong to no organization.
func TestOrgMembersAndCounts(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		store := gormstore.New(db)
		ctx := context.Background()
		now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
		org := func(id, name string, kind kernel.OrgKind) *kernel.Org {
			t.Helper()
			o := &kernel.Org{PublicID: id, Name: name, Kind: kind, RegionCode: "371725", CreatedAt: now}
			if err := store.CreateOrg(ctx, o, marketplace.AuditEntry{Stream: "accounts", Action: "org.create"}); err != nil {
				t.Fatal(err)
			}
			return o
		}
		agency := org("org-agency", "郓城县社工站", kernel.OrgSocialWorkAgency)
		fed := org("org-fed", "郓城县慈善总会", kernel.OrgCharityFederation)
		empty := org("org-empty", "郓城县民政局", kernel.OrgCivilAffairs)
		user := func(id, name string, ms ...kernel.Membership) {
			t.Helper()
			u := &kernel.User{PublicID: id, Email: id + "@test.example", PasswordHash: "x", DisplayName: name, CreatedAt: now}
			if err := store.CreateUser(ctx, u, ms, marketplace.AuditEntry{Stream: "accounts", Action: "user.create"}); err != nil {
				t.Fatal(err)
			}
		}
		user("u-zhang", "张社工", kernel.Membership{Role: kernel.RoleSocialWorker, Org: agency})
		user("u-li", "李社工", kernel.Membership{Role: kernel.RoleSocialWorker, Org: agency})
		user("u-wang", "王会计", kernel.Membership{Role: kernel.RoleFederationStaff, Org: fed}, kernel.Membership{Role: kernel.RoleAuditor, Org: fed})
		user("u-donor", "捐赠人", kernel.Membership{Role: kernel.RoleDonor})
		user("u-admin", "管理员", kernel.Membership{Role: kernel.RoleAdmin})

		counts, err := store.OrgMemberCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(counts) != 2 || counts[agency.ID] != 2 || counts[fed.ID] != 2 || counts[empty.ID] != 0 {
			t.Errorf("counts: %v", counts)
		}
		ms, err := store.OrgMembers(ctx, agency.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) != 2 || ms[0].UserPublicID != "u-zhang" || ms[0].DisplayName != "张社工" || ms[0].Email != "u-zhang@test.example" ||
			ms[0].Role != kernel.RoleSocialWorker || ms[1].UserPublicID != "u-li" || !ms[0].Since.Equal(now) {
			t.Errorf("the agency's members: %+v", ms)
		}
		ms, err = store.OrgMembers(ctx, fed.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) != 2 || ms[0].Role != kernel.RoleFederationStaff || ms[1].Role != kernel.RoleAuditor || ms[1].UserPublicID != "u-wang" {
			t.Errorf("the federation's members: %+v", ms)
		}
		if ms, err := store.OrgMembers(ctx, empty.ID); err != nil || len(ms) != 0 {
			t.Errorf("an organization without members: %v %+v", err, ms)
		}
	})
}
