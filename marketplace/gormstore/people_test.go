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
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// seedVolunteer stores a user and a volunteer profile straight through the store.
func seedVolunteer(tb testing.TB, store *gormstore.Store, n int, regions []string, services []kernel.Service, bg marketplace.BackgroundStatus) *marketplace.Volunteer {
	tb.Helper()
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	u := &kernel.User{PublicID: fmt.Sprintf("u%06d", n), Email: fmt.Sprintf("v%d@test.example", n), PasswordHash: "x", DisplayName: "v", CreatedAt: now}
	if err := store.CreateUser(ctx, u, []kernel.Membership{{Role: kernel.RoleVolunteer}}, marketplace.AuditEntry{Stream: "accounts", Action: "user.register"}); err != nil {
		tb.Fatal(err)
	}
	v := &marketplace.Volunteer{PublicID: fmt.Sprintf("v%06d", n), UserID: u.ID, Regions: regions, LoadLimit: 3, CreatedAt: now, UpdatedAt: now,
		Availability: []marketplace.Slot{{Weekday: 6, From: 540, To: 720}}}
	for _, s := range services {
		v.Skills = append(v.Skills, marketplace.Skill{Service: s, Level: marketplace.LevelSkilled})
	}
	if err := store.SaveVolunteer(ctx, v, marketplace.AuditEntry{Stream: "volunteer:" + v.PublicID, Action: "volunteer.profile.save"}); err != nil {
		tb.Fatal(err)
	}
	if bg != "" {
		if err := store.SetBackgroundCheck(ctx, v.ID, marketplace.BackgroundCheck{Status: bg}, now, marketplace.AuditEntry{Stream: "volunteer:" + v.PublicID, Action: "volunteer.background_check"}); err != nil {
			tb.Fatal(err)
		}
	}
	return v
}

func TestVolunteersServing(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		store := gormstore.New(db)
		ctx := context.Background()
		now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
		county := seedVolunteer(t, store, 1, []string{"371725"}, []kernel.Service{kernel.SvcHomeCare}, marketplace.BackgroundCleared)
		city := seedVolunteer(t, store, 2, []string{"371700"}, []kernel.Service{kernel.SvcLegalAid, kernel.SvcTutoring}, "")
		town := seedVolunteer(t, store, 3, []string{"371725001"}, []kernel.Service{kernel.SvcTutoring}, "")
		province := seedVolunteer(t, store, 4, []string{"370000"}, []kernel.Service{kernel.SvcTutoring}, "")
		seedVolunteer(t, store, 5, []string{"430524"}, []kernel.Service{kernel.SvcTutoring, kernel.SvcHomeCare}, "")
		seedVolunteer(t, store, 6, []string{"371725002"}, []kernel.Service{kernel.SvcTutoring}, "")

		ids := func(vs []marketplace.Volunteer) []string {
			var out []string
			for _, v := range vs {
				out = append(out, v.PublicID)
			}
			slices.Sort(out)
			return out
		}
		for _, tc := range []struct {
			name     string
			region   string
			services []kernel.Service
			want     []string
		}{
			{"a town need, tutoring", "371725001", []kernel.Service{kernel.SvcTutoring}, []string{city.PublicID, town.PublicID, province.PublicID}},
			{"a county need, home care or legal aid", "371725", []kernel.Service{kernel.SvcHomeCare, kernel.SvcLegalAid}, []string{county.PublicID, city.PublicID}},
			{"another county", "371721", []kernel.Service{kernel.SvcHomeCare}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := store.VolunteersServing(ctx, marketplace.RegionPrefixesOf(tc.region), tc.services, 100, now)
				if err != nil {
					t.Fatal(err)
				}
				slices.Sort(tc.want)
				if g := ids(got); !slices.Equal(g, tc.want) {
					t.Errorf("got %v, want %v", g, tc.want)
				}
			})
		}
		got, _ := store.VolunteersServing(ctx, marketplace.RegionPrefixesOf("371725"), []kernel.Service{kernel.SvcHomeCare}, 100, now)
		if len(got) != 1 || got[0].Background.Status != marketplace.BackgroundCleared || len(got[0].Availability) != 1 || got[0].LoadLimit != 3 {
			t.Errorf("profile as loaded: %+v", got)
		}
	})
}

// BenchmarkVolunteersServing: candidates for a county need among 5,000
// volunteers spread over 50 counties (SQLite; MariaDB with
// JIUJINAN_TEST_MYSQL_DSN via -bench on the mysql subtest is not run here).
func BenchmarkVolunteersServing(b *testing.B) {
	db := sqldbtest.MustOpenSQLite(b)
	store := gormstore.New(db)
	services := kernel.Services
	for i := 0; i < 5000; i++ {
		region := fmt.Sprintf("3717%02d", 21+i%9)
		seedVolunteer(b, store, i, []string{region}, []kernel.Service{services[i%len(services)], services[(i+5)%len(services)]}, "")
	}
	ctx := context.Background()
	now := time.Now().UTC()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		vs, err := store.VolunteersServing(ctx, marketplace.RegionPrefixesOf("371725001"), []kernel.Service{kernel.SvcHomeCare}, 1000, now)
		if err != nil || len(vs) == 0 {
			b.Fatal(len(vs), err)
		}
	}
}
