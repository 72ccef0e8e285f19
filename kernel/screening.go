package kernel

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ScreeningOutcome is the answer of a screening or one of its checks.
type ScreeningOutcome string

const (
	ScreenClear ScreeningOutcome = "clear"
	ScreenWarn  ScreeningOutcome = "warn"
	ScreenBlock ScreeningOutcome = "block"
)

// ScreeningStage is the moment a screening ran.
type ScreeningStage string

const (
	StageSubmit   ScreeningStage = "submit"
	StageClear    ScreeningStage = "clear"
	StageAllocate ScreeningStage = "allocate"
	StageDisburse ScreeningStage = "disburse"
	// StageGift screens a donor's gift to a need, at pledge time and again
	// when its money is confirmed: money about to move, like an allocation.
	StageGift ScreeningStage = "gift"
)

// The screening rules of DESIGN.md.
const (
	RuleStatutoryOverlap      = "statutory_overlap"
	RuleCrossCharityDuplicate = "cross_charity_duplicate"
	RuleOverAllocation        = "over_allocation"
	RuleMissedRelief          = "missed_relief"
)

// ScreeningCheck is one rule's answer with its evidence.
type ScreeningCheck struct {
	Rule     string              `json:"rule"`
	Result   ScreeningOutcome    `json:"result"`
	Message  string              `json:"message"`
	Evidence []ScreeningEvidence `json:"evidence"`
}

// ScreeningEvidence is a payment or need a check found: public ids,
// programmes, categories, periods and amounts only, never identities. A
// statutory payment to another member of the need's household than the
// beneficiary names the member by role only (Member).
type ScreeningEvidence struct {
	Kind      string     `json:"kind"` // statutory_payment | need | allocation
	ID        string     `json:"id"`
	Programme Programme  `json:"programme,omitempty"`
	Category  Category   `json:"category,omitempty"`
	From      *time.Time `json:"from,omitempty"`
	To        *time.Time `json:"to,omitempty"`
	AmountFen int64      `json:"amount_fen"`
	Status    string     `json:"status,omitempty"`
	// Member is the role of the household member a statutory payment was
	// paid to, when that is not the beneficiary ("" for the beneficiary's
	// own payments and for other kinds of evidence).
	Member HouseholdRole `json:"member,omitempty"`
}

// Screening is one run of every check for a need.
type Screening struct {
	ID     string           `json:"id"`
	NeedID string           `json:"need_id"`
	Stage  ScreeningStage   `json:"stage"`
	Result ScreeningOutcome `json:"result"`
	Checks []ScreeningCheck `json:"checks"`
	// AmountFen is the money about to move at allocate/disburse stages.
	AmountFen int64     `json:"amount_fen"`
	At        time.Time `json:"at"`
	// Overridden is set when a verifier overrode a block with a reason;
	// Result is then warn.
	Overridden bool `json:"overridden"`
	// PersonState is PersonStateOf the person's needs as the screening
	// read them (internal, never shown). A caller that moves money after
	// screening compares it with the state under its lock: when they
	// differ, another movement for the same person came between, and the
	// screening must run again (funds.Allocate does).
	PersonState string `json:"-"`
	// RoomFen is how much more charity money the person's hardship may
	// take as the screening read it (verified cost − statutory relief −
	// what every live posting of the person for it already holds, never
	// below zero), not counting AmountFen. A caller that moves money under
	// the person's lock, with PersonState unchanged, never moves more than
	// RoomFen (a gift's matching money included). It is computed by each
	// screening run and not stored (the screenings table keeps the checks,
	// whose messages carry the amounts): a screening read back has 0.
	RoomFen int64 `json:"room_fen"`
}

// PersonNeedState is what of a need of the person screened decides
// whether a screening still holds: its row id, version (bumped by every
// change of its amounts or status), status and funded money.
type PersonNeedState struct {
	ID        int64
	Version   int64
	Status    NeedStatus
	FundedFen int64
}

// PersonStateOf fingerprints the needs of one person (every need with the
// same pseudonym, the screened one included), in any order. Screening and
// the money movements that follow compute it from their own reads.
func PersonStateOf(needs []PersonNeedState) string {
	ns := slices.Clone(needs)
	slices.SortFunc(ns, func(a, b PersonNeedState) int { return cmp.Compare(a.ID, b.ID) })
	var b strings.Builder
	for _, n := range ns {
		fmt.Fprintf(&b, "%d:%d:%s:%d;", n.ID, n.Version, n.Status, n.FundedFen)
	}
	return b.String()
}
