package kernel

import "time"

// ChinaTime is the zone in which the domain counts calendar days, months and
// years (UTC+8, no daylight saving): a receipt's year, a screening period, a
// working day, the date a page shows.
var ChinaTime = time.FixedZone("CST", 8*3600)

// ChinaDay is the start (00:00 in ChinaTime) of the calendar day that holds t.
func ChinaDay(t time.Time) time.Time {
	c := t.In(ChinaTime)
	return time.Date(c.Year(), c.Month(), c.Day(), 0, 0, 0, 0, ChinaTime)
}
