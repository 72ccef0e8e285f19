package screening

import (
	"time"

	"github.com/jiujinan/jiujinan/notify"
)

// referralNotices tell the verifiers covering need n of the referrals the
// screening created (those SaveScreening gave a Key: a programme the need
// had a referral of already creates none).
func referralNotices(n *ScreenedNeed, refs []Referral, now time.Time) []notify.Event {
	var out []notify.Event
	for _, r := range refs {
		if r.Key == 0 {
			continue
		}
		out = append(out, notify.ReferralOpened(r.ID, r.Programme, notify.NeedRef{ID: n.ID, Region: n.RegionCode, Org: n.OrgID, Category: n.Category}, now))
	}
	return out
}
