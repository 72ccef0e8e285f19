package funds

import (
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/marketplace"
)

// SourceKind tells a named fund from a project; both hold money the same way.
type SourceKind string

const (
	KindFund    SourceKind = "fund"
	KindProject SourceKind = "project"
)

// SourceStatus is whether a fund or project takes and gives money.
type SourceStatus string

const (
	SourceActive SourceStatus = "active"
	SourceClosed SourceStatus = "closed"
)

// Source is a named fund (冠名基金) or a charity project: money held by an
// organization for needs that satisfy its restrictions (专款专用).
type Source struct {
	ID          int64
	PublicID    string
	Kind        SourceKind
	OrgID       int64
	OrgPublicID string
	OrgName     string
	// OrgRegion is the region of the organization that holds it.
	OrgRegion string `json:"-"`
	// Name is the fund's name or the project's title.
	Name string
	// Namer is the naming donor of a fund (冠名方).
	Namer string
	// Purpose is a fund's purpose or a project's description.
	Purpose      string
	Restrictions kernel.Restrictions
	// BudgetFen is a project's budget (0 for funds).
	BudgetFen  int64
	PeriodFrom *time.Time
	PeriodTo   *time.Time
	Status     SourceStatus
	Match      MatchOffer
	// LastReportAt is when the project last published a progress disclosure.
	LastReportAt *time.Time
	CreatedBy    int64
	CreatedAt    time.Time
	// BalanceFen is the ledger balance when read.
	BalanceFen int64
}

// MatchOffer is a fund's matching gift (配捐): it adds RatioPct percent of
// each eligible donor pledge to a need, up to DonorCapFen per donor and
// TotalCapFen in all. RatioPct 0 means no matching.
type MatchOffer struct {
	RatioPct    int64 `json:"ratio_pct"`
	DonorCapFen int64 `json:"per_donor_cap_fen"`
	TotalCapFen int64 `json:"total_cap_fen"`
}

// Running reports whether the source may take and give money at now: active,
// and for a project within its period.
func (s *Source) Running(now time.Time) bool {
	if s.Status != SourceActive {
		return false
	}
	if s.PeriodFrom != nil && now.Before(*s.PeriodFrom) {
		return false
	}
	if s.PeriodTo != nil && now.After(*s.PeriodTo) {
		return false
	}
	return true
}

// NeedState is what funds reads and writes of a need, locked in the
// transaction of a money movement.
type NeedState struct {
	ID       int64
	PublicID string
	OrgID    int64
	// Person is the pseudonym of the person the need is for: every need
	// posted for them has it.
	Person           string
	Status           kernel.NeedStatus // as stored
	Category         kernel.Category
	RegionCode       string
	PublicRegionCode string
	HouseholdTypes   []kernel.HouseholdType
	RequestedFen     int64
	FundedFen        int64
	DisbursedFen     int64
	Emergency        bool
	ConsentPublic    bool
	// Published: the need was published (its public projection exists).
	Published     bool
	NoticeEndsAt  *time.Time
	Screening     kernel.ScreeningOutcome
	BlockOverride bool
	// Deadline is when the need must be met; an open need past it that is
	// not fully funded has ended (EndReason).
	Deadline *time.Time
	// OpenObjections counts the objections raised in the need's public
	// notice that a verifier has not resolved: until then it takes no
	// money (ObjectionHold).
	OpenObjections int
}

// ObjectionHold refuses new money to a need with an open objection: it
// stays in notice, listed, until a covering verifier resolves it (nil
// when none is open).
func (n *NeedState) ObjectionHold() error {
	if n.OpenObjections > 0 {
		return ineligible("objection_open", nil, "an objection to the need is open; it takes no money until a verifier resolves it")
	}
	return nil
}

// Reasons a need ended before it could use its donors' money.
const (
	EndWithdrawn = marketplace.EndWithdrawn
	EndClosed    = marketplace.EndClosed
	EndExpired   = marketplace.EndExpired
	// EndUnapplied: the need could not take a gift's money when it arrived
	// (it had filled up meanwhile, or the person's limit was reached, or
	// its screening blocks); the money is held and the donor chooses.
	EndUnapplied = "unapplied"
)

// EndReason says why the money given to the need can no longer be used
// there, or "" while it can (marketplace.NeedEndReason, the rule the public
// projection shows as status expired). Donors of an ended need choose where
// their money goes (OpenRedirects).
func (n *NeedState) EndReason(now time.Time) string {
	return marketplace.NeedEndReason(n.Status, n.Deadline, n.RequestedFen, n.FundedFen, n.DisbursedFen, now)
}

// Facts builds the eligibility facts at now, with the effective status.
func (n *NeedState) Facts(now time.Time) kernel.NeedFacts {
	scr := n.Screening
	if scr == kernel.ScreenBlock && n.BlockOverride {
		scr = kernel.ScreenWarn
	}
	return kernel.NeedFacts{
		Status:         marketplace.EffectiveStatus(n.Status, n.NoticeEndsAt, now),
		Category:       n.Category,
		RegionCode:     n.RegionCode,
		HouseholdTypes: n.HouseholdTypes,
		RequestedFen:   n.RequestedFen,
		FundedFen:      n.FundedFen,
		Screening:      scr,
	}
}

// Remaining is what the need still lacks.
func (n *NeedState) Remaining() int64 { return max(n.RequestedFen-n.FundedFen, 0) }

// NoticeOver reports whether the public notice has ended at now, or the need
// is on the emergency path (先行救助), which pays first and discloses after.
func (n *NeedState) NoticeOver(now time.Time) bool {
	if n.Emergency {
		return true
	}
	return n.NoticeEndsAt != nil && !now.Before(*n.NoticeEndsAt)
}

// DisclosedRegion is the coarse region a disclosure shows: the need's public
// region, which publication and re-projection keep k-anonymous (see
// docs/privacy.md), or the whole country (marketplace.NationalRegion) when
// the need has none, e.g. money allocated to it before it was published.
// Its own province would be finer than k may allow: nothing counted it.
func (n *NeedState) DisclosedRegion() string {
	if n.PublicRegionCode != "" {
		return n.PublicRegionCode
	}
	return kernel.NationalRegion
}

// ParseHouseholdTypes reads the stored list (comma separated, or a JSON list).
func ParseHouseholdTypes(s string) []kernel.HouseholdType {
	s = strings.Trim(strings.TrimSpace(s), "[]")
	var out []kernel.HouseholdType
	for _, p := range strings.Split(s, ",") {
		p = strings.Trim(strings.TrimSpace(p), `"`)
		if p != "" {
			out = append(out, kernel.HouseholdType(p))
		}
	}
	return out
}

// TargetType is what a pledge is for.
type TargetType string

const (
	TargetNeed    TargetType = "need"
	TargetProject TargetType = "project"
	TargetFund    TargetType = "fund"
)

// PledgeStatus is where a pledge is.
type PledgeStatus string

const (
	PledgePending   PledgeStatus = "pending"
	PledgeConfirmed PledgeStatus = "confirmed"
	PledgeExpired   PledgeStatus = "expired"
	PledgeRefunded  PledgeStatus = "refunded"
)

// ConfirmVia is how a pledge's payment was confirmed.
type ConfirmVia string

const (
	ViaStaff          ConfirmVia = "staff"
	ViaNotification   ConfirmVia = "notification"
	ViaReconciliation ConfirmVia = "reconciliation"
	ViaRecurring      ConfirmVia = "recurring"
	// ViaMatch marks a fund's matching gift (配捐) to a donor's pledge.
	ViaMatch ConfirmVia = "match"
)

// Pledge is a donor's promise of money to a need, project or fund, and once
// confirmed the donation itself, to the receiving organization.
type Pledge struct {
	ID       int64
	PublicID string
	// Reference is the short code the donor writes on a bank transfer.
	Reference      string
	DonorID        int64
	DonorPublicID  string
	OrgID          int64
	OrgPublicID    string
	OrgName        string
	TargetType     TargetType
	SourceID       int64 // fund or project row, for those targets
	NeedID         int64 // need row, for need targets
	TargetPublicID string
	AmountFen      int64
	Status         PledgeStatus
	ConfirmedVia   ConfirmVia
	ConfirmedBy    int64
	// MatchedPledgeID is, for a matching gift, the donor pledge it matched.
	MatchedPledgeID int64
	RecurringID     int64
	CreatedAt       time.Time
	ExpiresAt       time.Time
	ConfirmedAt     *time.Time
	RefundedAt      *time.Time
	// ReceiptID is the public id of the receipt of a confirmed pledge.
	ReceiptID string
}

// AllocationStatus is where an allocation is.
type AllocationStatus string

const (
	AllocAllocated AllocationStatus = "allocated"
	AllocDisbursed AllocationStatus = "disbursed"
	AllocReversed  AllocationStatus = "reversed"
)

// PayeeType is who receives a disbursement.
type PayeeType string

const (
	PayeeProvider  PayeeType = "provider"
	PayeeHousehold PayeeType = "household"
)

// Allocation is money committed from a fund or project to a need, and
// later disbursed to a payee.
type Allocation struct {
	ID                int64
	PublicID          string
	SourceID          int64
	SourcePublicID    string
	SourceKind        SourceKind
	SourceName        string
	SourceOrgID       int64
	SourceOrgPublicID string
	NeedID            int64
	NeedPublicID      string
	AmountFen         int64
	Status            AllocationStatus
	CreatedBy         int64
	CreatedAt         time.Time
	Screening         kernel.ScreeningOutcome
	PayeeType         PayeeType
	PayeeCT           []byte
	PayeeKID          string
	// PayeeMasked is the only form of the payee's details ever shown.
	PayeeMasked string
	DisbursedBy int64
	DisbursedAt *time.Time
}

// DisclosureKind is what a line of the public register records.
type DisclosureKind string

const (
	DiscloseAllocation   DisclosureKind = "allocation"
	DiscloseDisbursement DisclosureKind = "disbursement"
	DiscloseDonation     DisclosureKind = "donation" // a pledge to a need, confirmed
	DiscloseRefund       DisclosureKind = "refund"
	DiscloseMatch        DisclosureKind = "match" // a fund's matching gift to a need
	// DiscloseMovedOut: a donor's money left an ended need (negative amount).
	DiscloseMovedOut DisclosureKind = "moved_out"
	// DiscloseMovedIn: a donor's money moved in from an ended need.
	DiscloseMovedIn DisclosureKind = "moved_in"
)

// Disclosure is one line of the public register: public ids, category,
// coarse region, amounts and dates; never personal data.
type Disclosure struct {
	ID           int64          `json:"-"`
	PublicID     string         `json:"id"`
	Kind         DisclosureKind `json:"kind"`
	NeedID       string         `json:"need_id"`
	Category     string         `json:"category"`
	RegionCode   string         `json:"region_code"`
	RegionName   string         `json:"region_name,omitempty"`
	AmountFen    int64          `json:"amount_fen"`
	SourceType   string         `json:"source_type"`
	SourceID     string         `json:"source_id"`
	SourceName   string         `json:"source_name"`
	RefID        string         `json:"ref_id"`
	Emergency    bool           `json:"emergency"`
	NoticeEndsAt *time.Time     `json:"notice_ends_at"`
	At           time.Time      `json:"at"`
}

// Receipt is the record of a donation receipt (捐赠票据信息).
type Receipt struct {
	ID             int64
	PublicID       string
	Number         string
	OrgID          int64
	Year           int
	PledgeID       int64
	PledgePublicID string
	DonorID        int64
	DonorName      string
	OrgName        string
	AmountFen      int64
	IssuedAt       time.Time
	VoidedAt       *time.Time
	// The details of issue 18 (receipt.go); receipts issued before them
	// have an empty DonorKind and their donor's display name.
	ReceiptDetails
}
