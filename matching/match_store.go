package matching

import (
	"context"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/marketplace"
)

// NeedRecord is what matching reads of a need: its facts and the public
// fields a match list shows. RegionCode is exact and never leaves the
// server; PublicRegionCode is the coarse one a list may show.
type NeedRecord struct {
	ID               string
	OrgID            int64
	Status           kernel.NeedStatus // as stored
	NoticeEndsAt     *time.Time
	Category         kernel.Category
	Urgency          kernel.Urgency
	RegionCode       string
	PublicRegionCode string
	AgeBand          kernel.AgeBand
	HouseholdTypes   []kernel.HouseholdType
	RequestedFen     int64
	FundedFen        int64
	ServiceNeeds     []kernel.Service
	Deadline         *time.Time
	PublishedAt      *time.Time
	Screening        kernel.ScreeningOutcome
	BlockOverride    bool

	// ConsentPublic: the household consented to publication, so the need
	// has a public page; without it only staff match it (through its
	// social worker), never a volunteer's own list.
	ConsentPublic bool

	// Person is the need's pseudonym: the same for every need posted for
	// the same person, by any organization. Plans fund one posting per
	// person with it; it never leaves the server.
	Person string
}

// Facts are the eligibility facts at now, as funds checks them for an
// allocation: the status the public need page shows (marketplace.PublicStatusAt:
// expired once the deadline passed unfunded, which funds refuses as
// need_ended; open once the notice ended), and a block a verifier overrode
// counts as a warning.
func (n *NeedRecord) Facts(now time.Time) kernel.NeedFacts {
	scr := n.Screening
	if scr == kernel.ScreenBlock && n.BlockOverride {
		scr = kernel.ScreenWarn
	}
	return kernel.NeedFacts{Status: n.StatusAt(now), Category: n.Category,
		RegionCode: n.RegionCode, HouseholdTypes: n.HouseholdTypes, RequestedFen: n.RequestedFen, FundedFen: n.FundedFen, Screening: scr}
}

// StatusAt is the need's status at now as the public need page shows it
// (marketplace.PublicStatusAt): expired, open once its notice ended, else
// as stored.
func (n *NeedRecord) StatusAt(now time.Time) kernel.NeedStatus {
	return marketplace.PublicStatusAt(n.Status, n.NoticeEndsAt, n.Deadline, n.RequestedFen, n.FundedFen, now)
}

// GivenKey names what one source gave the person of one need (public ids):
// see MatchStore.Given.
type GivenKey struct{ SourceID, NeedID string }

// PlanStatus is where a stored plan is.
type PlanStatus string

// Plan statuses: a plan executes once.
const (
	PlanPlanned   PlanStatus = "planned"
	PlanExecuting PlanStatus = "executing"
	PlanExecuted  PlanStatus = "executed"
)

// LineStatus is where a plan line is.
type LineStatus string

// Line statuses.
const (
	LinePlanned LineStatus = "planned"
	LineApplied LineStatus = "applied"
	LineRefused LineStatus = "refused"
)

// StoredPlan is a plan as it is kept for review and execution.
type StoredPlan struct {
	ID            int64            `json:"-"`
	PublicID      string           `json:"id"`
	OrgID         int64            `json:"-"`
	FundID        string           `json:"fund_id"`
	SourceIDs     []string         `json:"fund_ids"`
	MaxNeeds      int              `json:"max_needs"`
	Status        PlanStatus       `json:"status"`
	Totals        PlanTotals       `json:"totals"`
	GreedyCovered int64            `json:"greedy_urgency_covered"`
	CreatedBy     string           `json:"created_by"`
	CreatedAt     time.Time        `json:"created_at"`
	ExecutedBy    string           `json:"executed_by,omitempty"`
	ExecutedAt    *time.Time       `json:"executed_at"`
	Report        *ExecutionReport `json:"execution,omitempty"`
	Lines         []StoredLine     `json:"lines"`

	// LeftOut counts, when the plan is made, the needs within its funds'
	// categories, regions and household types that it could not consider
	// because they cannot take money now, and the other postings of a
	// person it funds through one (LeftOutSamePerson); it is not stored.
	LeftOut []LeftOut `json:"left_out,omitempty"`
}

// StoredLine is one line of a stored plan.
type StoredLine struct {
	ID           int64                  `json:"-"`
	Seq          int                    `json:"seq"`
	SourceKind   string                 `json:"source_kind"`
	SourceID     string                 `json:"fund_id"`
	NeedID       string                 `json:"need_id"`
	AmountFen    int64                  `json:"amount_fen"`
	Weight       int64                  `json:"weight"`
	Reasons      []string               `json:"reasons"`
	Status       LineStatus             `json:"status"`
	AllocationID string                 `json:"allocation_id,omitempty"`
	Refusal      []kernel.Ineligibility `json:"refusal,omitempty"`
	DoneAt       *time.Time             `json:"done_at"`
}

// ExecutionReport sums up an execution.
type ExecutionReport struct {
	Applied    int   `json:"applied_lines"`
	Refused    int   `json:"refused_lines"`
	AppliedFen int64 `json:"applied_fen"`
}

// MatchStore is what the matching service needs of the database.
type MatchStore interface {
	// OpenNeeds returns the needs that are open or in notice (whose notice
	// may have ended), oldest first.
	OpenNeeds(ctx context.Context) ([]NeedRecord, error)
	// NeedRecord returns one need; marketplace.ErrNotFound.
	NeedRecord(ctx context.Context, publicID string) (*NeedRecord, error)
	// Given sums, for each of the needs and each of the sources, what the
	// source gave the need's person: its allocations (not reversed) and
	// confirmed matching gifts to every need posted for the same person
	// (the same pseudonym), this one included, as funds' own check counts
	// them. A fund's per-need cap
	// holds per person, so this is the givenFen the eligibility rule
	// (kernel.Restrictions) takes; the postings of one person carry the
	// same value. An empty list does not filter that side.
	Given(ctx context.Context, sourceIDs, needIDs []string) (map[GivenKey]int64, error)
	// InsertPlan stores a plan with its lines in one transaction.
	InsertPlan(ctx context.Context, p *StoredPlan) error
	// Plan returns a plan with its lines; marketplace.ErrNotFound.
	Plan(ctx context.Context, publicID string) (*StoredPlan, error)
	// Plans returns the newest plans of the organizations with these row
	// ids, at most limit, without their lines.
	Plans(ctx context.Context, orgIDs []int64, limit int) ([]StoredPlan, error)
	// StartExecution moves a plan from planned to executing, recording who
	// and when; marketplace.ErrConflict if it is not planned any more.
	StartExecution(ctx context.Context, planID int64, by string, at time.Time) error
	// SaveLine records a line's outcome.
	SaveLine(ctx context.Context, planID int64, l *StoredLine) error
	// FinishExecution marks the plan executed with the report.
	FinishExecution(ctx context.Context, planID int64, r ExecutionReport) error
}
