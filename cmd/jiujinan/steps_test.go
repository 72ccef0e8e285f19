package main

import (
	"context"
	"io"
	"strings"
	"testing"
)

// TestStepSettings: the approval steps, the limits in working days and the
// 一事一议 amount reach the services; a bad value names its variable.
func TestStepSettings(t *testing.T) {
	env := map[string]string{"JIUJINAN_DATA_DIR": t.TempDir(), "JIUJINAN_LOG_LEVEL": "warn", "JIUJINAN_APPROVAL_STEPS": "two",
		"JIUJINAN_CASE_DAYS": "45", "JIUJINAN_TOWN_REVIEW_DAYS": "3", "JIUJINAN_OBJECTION_DAYS": "7", "JIUJINAN_REPORT_FOLLOWUP_DAYS": "1",
		"JIUJINAN_GROUP_DECISION_ABOVE_FEN": "2000000"}
	cfg, err := loadConfig(newFlagSet("test", io.Discard, ""), nil, env)
	if err != nil {
		t.Fatal(err)
	}
	m, err := openMain(context.Background(), cfg, io.Discard, true, true)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	c := m.Needs.Config
	if !c.TwoStep || c.CaseWorkingDays != 45 || c.TownReviewWorkingDays != 3 || c.ClearanceWorkingDays != 2 || c.ObjectionResolveWorkingDays != 7 ||
		c.GroupDecisionAboveFen != 2_000_000 || c.Calendar != m.Calendar {
		t.Errorf("need config %+v", c)
	}
	if m.People.ReportFollowUpWorkingDays != 1 || m.People.Calendar != m.Calendar {
		t.Errorf("report follow-up %d", m.People.ReportFollowUpWorkingDays)
	}
	if m.Steps == nil || m.Steps.Calendar != m.Calendar || m.Needs.Offices == nil {
		t.Error("the time-limit job or the town offices are not wired")
	}
	for k, v := range map[string]string{"JIUJINAN_APPROVAL_STEPS": "three", "JIUJINAN_CASE_DAYS": "0"} {
		bad := map[string]string{"JIUJINAN_DATA_DIR": t.TempDir(), k: v}
		if _, err := loadConfig(newFlagSet("test", io.Discard, ""), nil, bad); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: %v", k, v, err)
		}
	}
}
