package main

import "testing"

// TestDemoShowsMoneyMovingAndAPlan: out of the box the demo has needs
// funded in full and paid out, allocations still waiting, and a stored
// batch plan with lines for the demo staff to review; and the books it
// wrote prove (audit-verify).
func TestDemoShowsMoneyMovingAndAPlan(t *testing.T) {
	env := demoEnv(t)
	m := mustOpenMain(t, env)
	var c struct{ Disbursed, Waiting, FullyFunded, Plans, Lines int }
	m.DB.Gorm.Raw("SELECT COUNT(*) FROM allocations WHERE status = 'disbursed'").Scan(&c.Disbursed)
	m.DB.Gorm.Raw("SELECT COUNT(*) FROM allocations WHERE status = 'allocated'").Scan(&c.Waiting)
	m.DB.Gorm.Raw("SELECT COUNT(*) FROM needs WHERE funded_fen >= requested_fen AND requested_fen > 0").Scan(&c.FullyFunded)
	m.DB.Gorm.Raw("SELECT COUNT(*) FROM plans").Scan(&c.Plans)
	m.DB.Gorm.Raw("SELECT COUNT(*) FROM plan_lines").Scan(&c.Lines)
	if c.Disbursed == 0 || c.Waiting == 0 || c.FullyFunded == 0 || c.Plans == 0 || c.Lines == 0 {
		t.Errorf("demo money: %+v: want disbursed and waiting allocations, a fully funded need and a plan with lines", c)
	}
	if code, out, errs := runCmd(t, env, "", "audit-verify"); code != 0 {
		t.Fatalf("audit-verify after the demo: %s %s", out, errs)
	}
}
