package marketplace

import (
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// Reasons a need ended before it could use its donors' money (NeedEndReason).
const (
	EndWithdrawn = "withdrawn"
	EndClosed    = "closed"
	EndExpired   = "expired"
)

// NeedEndReason says why money given to a need can no longer be used there
// at now, or "" while it can: the need was withdrawn; it was closed with
// money committed and not disbursed; or its deadline passed while it was
// open (or in notice) and not fully funded. It is the one rule both funds
// (which refuses pledges and allocations and offers donors a choice) and the
// public projection (status "expired", see PublicStatusAt) apply.
func NeedEndReason(stored kernel.NeedStatus, deadline *time.Time, requestedFen, fundedFen, disbursedFen int64, now time.Time) string {
	switch stored {
	case kernel.NeedWithdrawn:
		return EndWithdrawn
	case kernel.NeedClosed:
		if fundedFen > disbursedFen {
			return EndClosed
		}
	case kernel.NeedOpen, kernel.NeedNotice:
		if deadline != nil && now.After(*deadline) && fundedFen < requestedFen {
			return EndExpired
		}
	}
	return ""
}

// PublicStatusAt is the status the public sees of a need at now: expired
// when it ended at its deadline (NeedEndReason), else EffectiveStatus.
func PublicStatusAt(stored kernel.NeedStatus, noticeEndsAt, deadline *time.Time, requestedFen, fundedFen int64, now time.Time) kernel.NeedStatus {
	if NeedEndReason(stored, deadline, requestedFen, fundedFen, 0, now) == EndExpired {
		return kernel.NeedExpired
	}
	return EffectiveStatus(stored, noticeEndsAt, now)
}

// EffectiveStatus is the status a need has at now: a need in notice whose
// notice has ended is open, at once, without waiting for a background job.
func EffectiveStatus(stored kernel.NeedStatus, noticeEndsAt *time.Time, now time.Time) kernel.NeedStatus {
	if stored == kernel.NeedNotice && noticeEndsAt != nil && !now.Before(*noticeEndsAt) {
		return kernel.NeedOpen
	}
	return stored
}

// PublicNeed is the public projection of a need: the only thing any public
// endpoint, page, search index, disclosure or log ever sees of it. It is
// built in one place from a need (see the anonymization code) and holds no
// identity, no exact region below the k-anonymous cell and no unscrubbed text.
type PublicNeed struct {
	ID                 string                 `json:"id"`
	Status             kernel.NeedStatus      `json:"status"`
	Category           kernel.Category        `json:"category"`
	RegionCode         string                 `json:"region_code"`
	RegionName         string                 `json:"region_name"`
	AgeBand            kernel.AgeBand         `json:"age_band"`
	HouseholdTypes     []kernel.HouseholdType `json:"household_types"`
	Title              string                 `json:"title"`
	Story              string                 `json:"story"`
	VerifiedCostFen    int64                  `json:"verified_cost_fen"`
	StatutoryReliefFen int64                  `json:"statutory_relief_fen"`
	RequestedFen       int64                  `json:"requested_fen"`
	FundedFen          int64                  `json:"funded_fen"`
	RemainingFen       int64                  `json:"remaining_fen"`
	Urgency            kernel.Urgency         `json:"urgency"`
	Deadline           *time.Time             `json:"deadline"`
	ServiceNeeds       []kernel.Service       `json:"service_needs"`
	Emergency          bool                   `json:"emergency"`
	NoticeEndsAt       *time.Time             `json:"notice_ends_at"`
	PublishedAt        *time.Time             `json:"published_at"`
	// OrgID and OrgName name the organization that posted the need, only
	// when its region covers the need's public region (ShownOrg: an
	// organization of a finer region would put the need back in it) and
	// publication found k needs of the cell posted by it (the name is a
	// quasi-identifier; NeedService.project). Else both are empty and
	// OrgKind lets a page say 一家社会工作服务机构.
	OrgID   string         `json:"org_id"`
	OrgName string         `json:"org_name"`
	OrgKind kernel.OrgKind `json:"org_kind"`
}

// ShownOrg reports whether a public surface may name an organization of
// orgRegion beside a need shown at publicRegion: only when the
// organization's region covers the need's public region, so that naming it
// says no more of where the household lives than the region shown does.
// Funds and projects follow the region of the organization that holds
// them.
func ShownOrg(d *kernel.Divisions, orgRegion, publicRegion string) bool {
	return d != nil && orgRegion != "" && d.Contains(orgRegion, publicRegion)
}
