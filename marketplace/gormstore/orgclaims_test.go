package gormstore_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/marketplace/gormstore"
	"github.com/jiujinan/jiujinan/marketplace/gormstore/needfixture"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// namedVolunteer stores a volunteer whose account is called name.
func namedVolunteer(tb testing.TB, store *gormstore.Store, n int, name string) *marketplace.Volunteer {
	tb.Helper()
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	u := &kernel.User{PublicID: fmt.Sprintf("cu%05d", n), Email: fmt.Sprintf("cv%d@test.example", n), PasswordHash: "x", DisplayName: name, CreatedAt: now}
	if err := store.CreateUser(ctx, u, []kernel.Membership{{Role: kernel.RoleVolunteer}}, marketplace.AuditEntry{Stream: "accounts", Action: "user.register"}); err != nil {
		tb.Fatal(err)
	}
	v := &marketplace.Volunteer{PublicID: fmt.Sprintf("cv%05d", n), UserID: u.ID, Regions: []string{"371725"}, LoadLimit: 5, CreatedAt: now, UpdatedAt: now,
		Skills: []marketplace.Skill{{Service: kernel.SvcLegalAid, Level: marketplace.LevelSkilled}, {Service: kernel.SvcTutoring, Level: marketplace.LevelSkilled}}}
	if err := store.SaveVolunteer(ctx, v, marketplace.AuditEntry{Stream: "volunteer:" + v.PublicID, Action: "volunteer.profile.save"}); err != nil {
		tb.Fatal(err)
	}
	return v
}

// The social worker's queue of claims reads the claims on the needs of
// their organizations only, by status, newest first, naming the need and
// the volunteer.
func TestClaimsForOrgs(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		store := gormstore.New(db)
		ctx := context.Background()
		now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
		a := needfixture.Setup(t, db, "郓城县社工站")
		b := needfixture.Setup(t, db, "隆回县社工站")
		aRows, aIDs := a.Insert(t, db, needfixture.Need{ServiceNeeds: "legal_aid,tutoring"}, needfixture.Need{ServiceNeeds: "tutoring"})
		bRows, _ := b.Insert(t, db, needfixture.Need{ServiceNeeds: "legal_aid"})
		li := namedVolunteer(t, store, 1, "李志愿")
		wang := namedVolunteer(t, store, 2, "王志愿")

		n := 0
		claim := func(needRow int64, v *marketplace.Volunteer, svc kernel.Service) *marketplace.Claim {
			t.Helper()
			n++
			at := now.Add(time.Duration(n) * time.Minute)
			c := &marketplace.Claim{PublicID: fmt.Sprintf("claim%02d", n), NeedID: needRow, VolunteerID: v.ID, Service: svc, WindowDays: 7,
				Status: marketplace.ClaimPending, CreatedAt: at, UpdatedAt: at}
			if err := store.CreateClaim(ctx, c, 5, at, marketplace.AuditEntry{Stream: "claim:" + c.PublicID, At: at, Action: "claim.create"}); err != nil {
				t.Fatal(err)
			}
			return c
		}
		c1 := claim(aRows[0], li, kernel.SvcLegalAid)
		c2 := claim(aRows[1], wang, kernel.SvcTutoring)
		c3 := claim(bRows[0], wang, kernel.SvcLegalAid)
		c4 := claim(aRows[0], wang, kernel.SvcTutoring)
		decided := now.Add(time.Hour)
		c4.Status, c4.DecidedBy, c4.DecidedAt, c4.UpdatedAt = marketplace.ClaimRejected, "u1", &decided, decided
		if err := store.UpdateClaim(ctx, c4, marketplace.ClaimPending, marketplace.AuditEntry{Stream: "claim:" + c4.PublicID, At: decided, Action: "claim.reject"}); err != nil {
			t.Fatal(err)
		}

		ids := func(cs []marketplace.Claim) []string {
			var out []string
			for _, c := range cs {
				out = append(out, c.PublicID)
			}
			return out
		}
		for _, tc := range []struct {
			name   string
			orgs   []int64
			status marketplace.ClaimStatus
			limit  int
			want   []string
		}{
			{"pending on one organization's needs, newest first", []int64{a.OrgID}, marketplace.ClaimPending, 10, []string{c2.PublicID, c1.PublicID}},
			{"every status", []int64{a.OrgID}, "", 10, []string{c4.PublicID, c2.PublicID, c1.PublicID}},
			{"rejected only", []int64{a.OrgID}, marketplace.ClaimRejected, 10, []string{c4.PublicID}},
			{"the other organization's", []int64{b.OrgID}, "", 10, []string{c3.PublicID}},
			{"both organizations", []int64{a.OrgID, b.OrgID}, marketplace.ClaimPending, 10, []string{c3.PublicID, c2.PublicID, c1.PublicID}},
			{"at most limit", []int64{a.OrgID, b.OrgID}, "", 2, []string{c4.PublicID, c3.PublicID}},
			{"no organization", nil, "", 10, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := store.ClaimsForOrgs(ctx, tc.orgs, tc.status, tc.limit)
				if err != nil {
					t.Fatal(err)
				}
				if g := ids(got); !slices.Equal(g, tc.want) {
					t.Errorf("got %v, want %v", g, tc.want)
				}
			})
		}
		got, err := store.ClaimsForOrgs(ctx, []int64{a.OrgID}, marketplace.ClaimPending, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[1].NeedPublicID != aIDs[0] || got[1].VolunteerName != "李志愿" || got[1].VolunteerPublicID != li.PublicID ||
			got[1].Service != kernel.SvcLegalAid || got[1].WindowDays != 7 || !got[1].CreatedAt.Equal(c1.CreatedAt) {
			t.Errorf("the claim as read: %+v", got)
		}
	})
}
