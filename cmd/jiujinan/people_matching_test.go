package main

import (
	"context"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/matching"
)

// The demo volunteers reach volunteer matching through matching.PeopleVolunteers:
// the demo volunteer (郓城县, home care, hospital escort, emotional support)
// gets matched needs, and a need's matches list volunteers.
func TestDemoVolunteersAreMatched(t *testing.T) {
	env := demoEnv(t)
	m := mustOpenMain(t, env)
	ctx := context.Background()
	u, err := m.Store.UserByEmail(ctx, "volunteer@demo.jiujinan.cn")
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.Store.Principal(ctx, u.PublicID)
	if err != nil {
		t.Fatal(err)
	}
	mv, err := (&matching.PeopleVolunteers{People: m.People}).VolunteerOf(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if mv.BackgroundCheck != "cleared" || len(mv.Skills) != 3 || len(mv.RegionPrefixes) != 1 || mv.RegionPrefixes[0] != "371725" ||
		len(mv.Availability) != 2 || mv.Availability[1].Weekday != 0 /* Sunday */ {
		t.Errorf("volunteer as matching sees it: %+v", mv)
	}
	// Once the demo has open needs asking for the volunteer's services in
	// their county, matching must find some.
	var fitting int64
	m.DB.Gorm.Raw(`SELECT COUNT(*) FROM needs WHERE region_code LIKE '371725%' AND status IN ('notice', 'open') AND consent_public = 1
		AND (service_needs LIKE '%home_care%' OR service_needs LIKE '%hospital_escort%' OR service_needs LIKE '%emotional_support%')`).Scan(&fitting)
	items, total, err := m.Matching.VolunteerMatches(ctx, p, 0, 20)
	if err != nil {
		t.Fatal(err)
	}
	if fitting > 0 && (total == 0 || len(items) == 0) {
		t.Fatalf("%d demo needs fit the demo volunteer, matching found none", fitting)
	}
	t.Logf("%d fitting demo needs, %d matched", fitting, total)
	cands, err := m.People.CandidateVolunteers(ctx, "371725001", kernel.Services, 0)
	if err != nil || len(cands) < 4 {
		t.Errorf("candidates in 郓城县: %d, %v", len(cands), err)
	}
}
