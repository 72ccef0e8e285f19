package gormstore_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/marketplace/anonymize"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/marketplace/gormstore"
	"github.com/jiujinan/jiujinan/marketplace/gormstore/needfixture"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// TestReprojectCell: the needs published before a cell reached k are shown
// finer once it does, never finer than k allows, every change with its
// search outbox row; needs outside the cell, unpublished or without consent
// are neither counted nor touched.
func TestReprojectCell(t *testing.T) {
	d, err := kernel.LoadDivisions()
	if err != nil {
		t.Fatal(err)
	}
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		s := gormstore.New(db)
		base := needfixture.Setup(t, db, "阳光社工站")
		const k = 5
		fn := func(g []anonymize.CellNeeds) []anonymize.ProjectionChange { return anonymize.Reproject(g, k, d) }
		cell := anonymize.ProjectionCell{Category: kernel.CatMedical, AgeBand: kernel.Age18to59, Province: "370000"}
		old := func(region string) needfixture.Need { // as publication used to leave it: nationwide, no household types
			return needfixture.Need{RegionCode: region, HouseholdTypes: "dibao", PublicRegionCode: kernel.NationalRegion, NoOutbox: true}
		}
		withdrawn := old("371725004")
		withdrawn.Status = string(kernel.NeedWithdrawn)
		county, _ := base.Insert(t, db, old("371725"), old("371725"), old("371725004"), withdrawn)
		sameCity, _ := base.Insert(t, db, old("371702"))
		untouched := []needfixture.Need{
			{RegionCode: "371725", HouseholdTypes: "dibao", PublicRegionCode: "110000", Unpublished: true, NoOutbox: true},
			{RegionCode: "371725", HouseholdTypes: "dibao", PublicRegionCode: "110000", NoConsent: true, NoOutbox: true},
			{RegionCode: "371725", HouseholdTypes: "dibao", PublicRegionCode: "110000", Category: string(kernel.CatEducation), NoOutbox: true},
			{RegionCode: "371725", HouseholdTypes: "dibao", PublicRegionCode: "110000", AgeBand: string(kernel.Age60Plus), NoOutbox: true},
			{RegionCode: "430524", HouseholdTypes: "dibao", PublicRegionCode: "110000", NoOutbox: true},
		}
		others, _ := base.Insert(t, db, untouched...)
		projection := func(id int64) (string, string) {
			var r struct{ PublicRegionCode, PublicHouseholdTypes string }
			if err := db.Gorm.Raw("SELECT public_region_code, public_household_types FROM needs WHERE id = ?", id).Scan(&r).Error; err != nil {
				t.Fatal(err)
			}
			return r.PublicRegionCode, r.PublicHouseholdTypes
		}
		outbox := func() []int64 {
			var ids []int64
			if err := db.Gorm.Raw("SELECT need_id FROM search_outbox ORDER BY need_id").Scan(&ids).Error; err != nil {
				t.Fatal(err)
			}
			return ids
		}
		check := func(step string, ids []int64, wantRegion, wantTypes string) {
			t.Helper()
			for _, id := range ids {
				if r, ty := projection(id); r != wantRegion || ty != wantTypes {
					t.Errorf("%s: need %d shown at %q with %q, want %q with %q", step, id, r, ty, wantRegion, wantTypes)
				}
			}
		}

		// 4 in the county (the withdrawn one counts: it was published), 5 in the city.
		n, err := s.ReprojectCell(ctx, cell, time.Now().UTC(), fn, nil)
		if err != nil || n != 5 {
			t.Fatalf("first pass: %d changed, %v; want 5", n, err)
		}
		check("county below k", county, "371700", "")
		check("county below k", sameCity, "371700", "")
		check("outside the cell", others, "110000", "")
		if got, want := outbox(), slices.Sorted(slices.Values(append(slices.Clone(county), sameCity...))); !slices.Equal(got, want) {
			t.Errorf("outbox after the first pass: %v, want %v", got, want)
		}

		// A fifth need in the county: the county's needs are shown at the county, with their household type.
		fifth, _ := base.Insert(t, db, old("371725"))
		n, err = s.ReprojectCell(ctx, cell, time.Now().UTC(), fn, nil)
		if err != nil || n != 5 {
			t.Fatalf("second pass: %d changed, %v; want 5", n, err)
		}
		check("county at k", append(slices.Clone(county), fifth...), "371725", "dibao")
		check("city need", sameCity, "371700", "")
		if got := outbox(); len(got) != 10 || !slices.Contains(got, fifth[0]) {
			t.Errorf("outbox after the second pass: %v, want 10 rows with need %d", got, fifth[0])
		}

		// Nothing changed: nothing written.
		if n, err := s.ReprojectCell(ctx, cell, time.Now().UTC(), fn, nil); err != nil || n != 0 {
			t.Errorf("third pass: %d changed, %v; want 0", n, err)
		}
		if got := outbox(); len(got) != 10 {
			t.Errorf("outbox after a pass without change: %d rows, want 10", len(got))
		}

		cells, err := s.ProjectionCells(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := []anonymize.ProjectionCell{
			{Category: kernel.CatEducation, AgeBand: kernel.Age18to59, Province: "370000"},
			{Category: kernel.CatMedical, AgeBand: kernel.Age18to59, Province: "370000"},
			{Category: kernel.CatMedical, AgeBand: kernel.Age18to59, Province: "430000"},
			{Category: kernel.CatMedical, AgeBand: kernel.Age60Plus, Province: "370000"},
		}
		slices.SortFunc(cells, func(a, b anonymize.ProjectionCell) int {
			return cmpCell(a, b)
		})
		slices.SortFunc(want, cmpCell)
		if !slices.Equal(cells, want) {
			t.Errorf("ProjectionCells = %v, want %v", cells, want)
		}
	})
}

func cmpCell(a, b anonymize.ProjectionCell) int {
	for _, p := range [][2]string{{string(a.Category), string(b.Category)}, {string(a.AgeBand), string(b.AgeBand)}, {a.Province, b.Province}} {
		if p[0] != p[1] {
			if p[0] < p[1] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// BenchmarkReprojectAll times a full re-projection pass (what serve runs
// every 10 minutes and jiujinan reproject once) over 20,000 published
// needs in 5 counties of 3 provinces, 6 categories and 3 age bands: the
// first pass, which refines every need published nationwide, and a pass
// that finds nothing to change.
func BenchmarkReprojectAll(b *testing.B) {
	d, err := kernel.LoadDivisions()
	if err != nil {
		b.Fatal(err)
	}
	db := sqldbtest.MustOpenSQLite(b)
	s := gormstore.New(db)
	base := needfixture.Setup(b, db, "阳光社工站")
	counties := []string{"371725", "371702", "370102", "430524", "610524"}
	cats := []kernel.Category{kernel.CatMedical, kernel.CatEducation, kernel.CatHousing, kernel.CatBasicLiving, kernel.CatCare, kernel.CatFuneral}
	bands := []kernel.AgeBand{kernel.Age14to17, kernel.Age18to59, kernel.Age60Plus}
	const n = 20_000
	needs := make([]needfixture.Need, n)
	for i := range needs {
		needs[i] = needfixture.Need{RegionCode: counties[i%len(counties)], Category: string(cats[(i/5)%len(cats)]), AgeBand: string(bands[(i/30)%len(bands)]),
			HouseholdTypes: "dibao,expenditure_hardship", PublicRegionCode: kernel.NationalRegion, NoOutbox: true}
	}
	base.Insert(b, db, needs...)
	svc := marketplace.NewNeedService(s, nil, nil, d, time.Now, needfixture.NewID, marketplace.NeedConfig{K: 5})
	ctx := context.Background()
	pass := func(b *testing.B, wantChanged int) {
		c0 := cpuTime()
		t0 := time.Now()
		cells, changed, err := svc.ReprojectAll(ctx)
		if err != nil || changed != wantChanged {
			b.Fatalf("pass: %d cells, %d changed, %v; want %d changed", cells, changed, err, wantChanged)
		}
		b.ReportMetric(float64(time.Since(t0).Microseconds())/1000, "wall-ms")
		b.ReportMetric(float64((cpuTime()-c0).Microseconds())/1000, "cpu-ms")
		b.ReportMetric(float64(cells), "cells")
	}
	b.Run("first pass, 20000 changed", func(b *testing.B) {
		for b.Loop() {
			pass(b, n)
			b.StopTimer()
			if err := db.Gorm.Exec("UPDATE needs SET public_region_code = ?, public_household_types = ''", kernel.NationalRegion).Error; err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	})
	if _, _, err := svc.ReprojectAll(ctx); err != nil {
		b.Fatal(err)
	}
	b.Run("nothing to change", func(b *testing.B) {
		for b.Loop() {
			pass(b, 0)
		}
	})
}

// A larger k that coarsens needs shown at their county also removes the
// names of the county and city from their public title and story.
func TestReprojectCoarserHidesPlaceNames(t *testing.T) {
	d, err := kernel.LoadDivisions()
	if err != nil {
		t.Fatal(err)
	}
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		s := gormstore.New(db)
		base := needfixture.Setup(t, db, "阳光社工站")
		shown := needfixture.Need{RegionCode: "371725", HouseholdTypes: "dibao", PublicRegionCode: "371725", PublicHouseholdTypes: "dibao",
			PublicTitle: "郓城县患者透析求助", PublicStory: "在郓城县人民医院透析，菏泽人，山东省内转诊。", NoOutbox: true}
		ids, _ := base.Insert(t, db, shown, shown, shown, shown, shown)
		cell := anonymize.ProjectionCell{Category: kernel.CatMedical, AgeBand: kernel.Age18to59, Province: "370000"}
		fn := func(g []anonymize.CellNeeds) []anonymize.ProjectionChange { return anonymize.Reproject(g, 6, d) }
		if n, err := s.ReprojectCell(ctx, cell, time.Now().UTC(), fn, nil); err != nil || n != 5 {
			t.Fatalf("pass with k = 6: %d changed, %v; want 5", n, err)
		}
		for _, id := range ids {
			var r struct{ PublicRegionCode, PublicTitle, PublicStory string }
			if err := db.Gorm.Raw("SELECT public_region_code, public_title, public_story FROM needs WHERE id = ?", id).Scan(&r).Error; err != nil {
				t.Fatal(err)
			}
			if r.PublicRegionCode != kernel.NationalRegion {
				t.Errorf("need %d shown at %q, want nationwide", id, r.PublicRegionCode)
			}
			for _, name := range []string{"郓城", "菏泽", "山东"} {
				if strings.Contains(r.PublicTitle+r.PublicStory, name) {
					t.Errorf("need %d still names %q: %s %s", id, name, r.PublicTitle, r.PublicStory)
				}
			}
			if !strings.Contains(r.PublicStory, "人民医院透析") {
				t.Errorf("need %d lost its story: %s", id, r.PublicStory)
			}
		}
	})
}

// Needs shown finer get the text the Retexter derives for their new region,
// with their outbox row; a need it cannot open keeps its stored text; needs
// shown coarser, or whose household types alone change, are not retexted.
func TestReprojectFinerRetexts(t *testing.T) {
	d, err := kernel.LoadDivisions()
	if err != nil {
		t.Fatal(err)
	}
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		s := gormstore.New(db)
		base := needfixture.Setup(t, db, "阳光社工站")
		cell := anonymize.ProjectionCell{Category: kernel.CatMedical, AgeBand: kernel.Age18to59, Province: "370000"}
		redacted := needfixture.Need{RegionCode: "371725", HouseholdTypes: "dibao", PublicRegionCode: kernel.NationalRegion,
			PublicTitle: "【已隐去】患者透析求助", PublicStory: "在【已隐去】人民医院透析。", NoOutbox: true}
		sealed := redacted
		sealed.PrivateCT = []byte("unopenable")
		noConsent := redacted
		noConsent.NoConsent = true
		ids, _ := base.Insert(t, db, redacted, redacted, redacted, redacted, sealed, noConsent)
		type call struct {
			id     int64
			region string
		}
		var calls []call
		retext := func(n *marketplace.Need, b *marketplace.Beneficiary, shown string) (string, string, bool) {
			calls = append(calls, call{n.ID, shown})
			if string(n.PrivateCT) == "unopenable" || b == nil || b.ID != n.BeneficiaryID {
				return "", "", false
			}
			return "郓城县患者透析求助", "在郓城县人民医院透析。", true
		}
		fn := func(g []anonymize.CellNeeds) []anonymize.ProjectionChange { return anonymize.Reproject(g, 5, d) }
		if n, err := s.ReprojectCell(ctx, cell, time.Now().UTC(), fn, retext); err != nil || n != 5 {
			t.Fatalf("pass: %d changed, %v; want 5", n, err)
		}
		if len(calls) != 5 {
			t.Errorf("retexter called %d times, want 5 (the needs with consent): %v", len(calls), calls)
		}
		for _, c := range calls {
			if c.region != "371725" || c.id == ids[5] {
				t.Errorf("retexter called for need %d at %q", c.id, c.region)
			}
		}
		text := func(id int64) (region, title, story string) {
			var r struct{ PublicRegionCode, PublicTitle, PublicStory string }
			if err := db.Gorm.Raw("SELECT public_region_code, public_title, public_story FROM needs WHERE id = ?", id).Scan(&r).Error; err != nil {
				t.Fatal(err)
			}
			return r.PublicRegionCode, r.PublicTitle, r.PublicStory
		}
		for _, id := range ids[:4] {
			if region, title, story := text(id); region != "371725" || title != "郓城县患者透析求助" || story != "在郓城县人民医院透析。" {
				t.Errorf("need %d: %q %q %q", id, region, title, story)
			}
		}
		if region, title, story := text(ids[4]); region != "371725" || title != redacted.PublicTitle || story != redacted.PublicStory {
			t.Errorf("unopenable need: %q %q %q, want its stored text", region, title, story)
		}
		if region, _, story := text(ids[5]); region != kernel.NationalRegion || story != redacted.PublicStory {
			t.Errorf("need without consent touched: %q %q", region, story)
		}
		var outbox []int64
		if err := db.Gorm.Raw("SELECT need_id FROM search_outbox ORDER BY need_id").Scan(&outbox).Error; err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(outbox, ids[:5]) {
			t.Errorf("outbox %v, want %v", outbox, ids[:5])
		}

		// k = 6 coarsens them (HidePlaces, no retext); k = 5 again refines.
		calls = nil
		six := func(g []anonymize.CellNeeds) []anonymize.ProjectionChange { return anonymize.Reproject(g, 6, d) }
		if n, err := s.ReprojectCell(ctx, cell, time.Now().UTC(), six, retext); err != nil || n != 5 || len(calls) != 0 {
			t.Fatalf("coarser pass: %d changed, %v, %d retexts; want 5, none", n, err, len(calls))
		}
		if _, _, story := text(ids[0]); strings.Contains(story, "郓城") {
			t.Errorf("coarsened need names its county: %s", story)
		}
		if n, err := s.ReprojectCell(ctx, cell, time.Now().UTC(), fn, retext); err != nil || n != 5 || len(calls) != 5 {
			t.Fatalf("refining pass: %d changed, %v, %d retexts; want 5, 5", n, err, len(calls))
		}
		if _, _, story := text(ids[0]); story != "在郓城县人民医院透析。" {
			t.Errorf("refined again: %s", story)
		}
	})
}
