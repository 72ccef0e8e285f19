package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace/anonymize"
)

// TestDemoNeedsCoverTheLifecycle: the demo's needs reach every status the
// need lifecycle owns, went through it (audit chains intact), and their
// public text is scrubbed. On SQLite only: TestServeDemoEndToEnd loads the
// demo on MySQL too.
func TestDemoNeedsCoverTheLifecycle(t *testing.T) {
	env := demoEnv(t)
	m := mustOpenMain(t, env)
	var rows []struct {
		Status string
		N      int
	}
	if err := m.DB.Gorm.Raw("SELECT status, COUNT(*) AS n FROM needs GROUP BY status").Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	got, total := map[string]int{}, 0
	for _, r := range rows {
		got[r.Status], total = r.N, total+r.N
	}
	if total != 3*demoNeedsPerCounty {
		t.Errorf("%d demo needs, want %d", total, 3*demoNeedsPerCounty)
	}
	for _, st := range []kernel.NeedStatus{kernel.NeedSubmitted, kernel.NeedCleared, kernel.NeedReferred, kernel.NeedRejected,
		kernel.NeedNotice, kernel.NeedOpen, kernel.NeedWithdrawn} {
		if got[string(st)] == 0 {
			t.Errorf("no demo need is %s (%v)", st, got)
		}
	}
	var c struct{ Overdue, Ended, Private, Regions, Held int }
	// An objection holds its need in notice (issue 16), no longer suspends it.
	m.DB.Gorm.Raw("SELECT COUNT(*) FROM needs WHERE status = 'notice' AND open_objections > 0 AND notice_ends_at IS NULL").Scan(&c.Held)
	if c.Held == 0 {
		t.Error("no demo need is held in notice by an objection")
	}
	now := m.Now()
	m.DB.Gorm.Raw("SELECT COUNT(*) FROM needs WHERE status = 'submitted' AND clearance_due_at < ?", now).Scan(&c.Overdue)
	m.DB.Gorm.Raw("SELECT COUNT(*) FROM needs WHERE status = 'notice' AND notice_ends_at < ?", now).Scan(&c.Ended)
	m.DB.Gorm.Raw("SELECT COUNT(*) FROM needs WHERE published_at IS NOT NULL AND consent_public = 0").Scan(&c.Private)
	m.DB.Gorm.Raw("SELECT COUNT(DISTINCT public_region_code) FROM needs WHERE published_at IS NOT NULL").Scan(&c.Regions)
	if c.Overdue == 0 || c.Ended == 0 || c.Private == 0 || c.Regions < 3 {
		t.Errorf("overdue %d, notice ended %d, published without consent %d, public regions %d: want each present", c.Overdue, c.Ended, c.Private, c.Regions)
	}
	var texts []string
	m.DB.Gorm.Raw("SELECT public_title || ' ' || public_story FROM needs WHERE published_at IS NOT NULL").Scan(&texts)
	phone := regexp.MustCompile(`1[3-9]\d{9}`)
	scrubbed := 0
	for _, s := range texts {
		if phone.MatchString(s) || strings.Contains(s, "住院号ZY") {
			t.Errorf("public text not scrubbed: %s", s)
		}
		if strings.Contains(s, anonymize.ScrubNamePlaceholder) {
			scrubbed++
		}
	}
	if len(texts) == 0 || scrubbed != len(texts) {
		t.Errorf("%d of %d public texts have their names replaced", scrubbed, len(texts))
	}
	if code, out, errs := runCmd(t, env, "", "audit-verify"); code != 0 || !strings.Contains(out, "intact") {
		t.Fatalf("audit-verify after the demo: %d %q %q", code, out, errs)
	}
	// Re-projection: most public needs are shown at their county (k = 5),
	// and the demo left nothing for a pass to change.
	var lv struct{ Public, County int }
	public := "published_at IS NOT NULL AND consent_public = 1 AND status IN ('notice', 'open', 'funded', 'disbursed', 'closed')"
	m.DB.Gorm.Raw("SELECT COUNT(*) FROM needs WHERE " + public).Scan(&lv.Public)
	m.DB.Gorm.Raw("SELECT COUNT(*) FROM needs WHERE " + public + " AND public_region_code = SUBSTR(region_code, 1, 6)").Scan(&lv.County)
	if lv.Public == 0 || lv.County*10 < lv.Public*8 {
		t.Errorf("%d of %d public demo needs are shown at their county, want at least 80%%", lv.County, lv.Public)
	}
	// Refined to their county after being published coarser, needs name
	// their county's hospital again: no hospital name left redacted.
	var hidden, atCounty int
	m.DB.Gorm.Raw("SELECT COUNT(*) FROM needs WHERE " + public + " AND public_region_code = SUBSTR(region_code, 1, 6)").Scan(&atCounty)
	// A hidden place reads 【已隐去】 or, since issue 16, 当地.
	m.DB.Gorm.Raw("SELECT COUNT(*) FROM needs WHERE "+public+" AND public_region_code = SUBSTR(region_code, 1, 6) AND (public_story LIKE ? OR public_story LIKE ?)",
		"%"+anonymize.ScrubPlaceholder+"人民医院%", "%"+anonymize.PlaceWord+"人民医院%").Scan(&hidden)
	t.Logf("%d of %d needs shown at their county have the hospital redacted", hidden, atCounty)
	if hidden != 0 {
		t.Errorf("%d of %d needs shown at their county still redact their county's hospital", hidden, atCounty)
	}
	if code, out, errs := runCmd(t, env, "", "reproject"); code != 0 || !strings.Contains(out, ": 0 needs changed") {
		t.Errorf("reproject after the demo: %d %q %q", code, out, errs)
	}
}
