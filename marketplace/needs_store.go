package marketplace

import (
	"context"
	"time"

	"github.com/jiujinan/jiujinan/marketplace/anonymize"

	"github.com/jiujinan/jiujinan/kernel"
)

// NeedStore keeps beneficiaries, needs and their lifecycle records. Every
// method that changes something writes its audit entry (and, where the
// public projection may change, a search_outbox row) in the same
// transaction.
type NeedStore interface {
	// CreateNeed stores a beneficiary and its need, with the need's
	// household (n.Household) and first steps (n.OpenSteps), the first
	// event and audit entry, setting the row ids on b and n.
	CreateNeed(ctx context.Context, b *Beneficiary, n *Need, ev *NeedEvent, audit AuditEntry) error
	// NeedsWithoutHousehold returns, by row id, at most limit needs of row
	// id above afterID that have no household recorded (posted before the
	// household was), with their beneficiary's sealed identity.
	NeedsWithoutHousehold(ctx context.Context, afterID int64, limit int) ([]SealedHousehold, error)
	// SetHousehold records the household of a need that has none; a need
	// that has one already keeps it (false, no error), so that running it
	// twice changes nothing.
	SetHousehold(ctx context.Context, needID int64, members []HouseholdMember) (bool, error)
	// NeedByPublicID returns a need with its organization's public id and
	// name; ErrNotFound.
	NeedByPublicID(ctx context.Context, publicID string) (*Need, error)
	// BeneficiaryByID returns a beneficiary by row id; ErrNotFound.
	BeneficiaryByID(ctx context.Context, id int64) (*Beneficiary, error)
	// SaveNeed writes w in one transaction: the need's new state (only if its
	// stored version is still w.Need.Version, which it then increments;
	// ErrConflict otherwise), the event, the objection and update rows, the
	// audit entry and, with w.Outbox, a search_outbox row.
	SaveNeed(ctx context.Context, w NeedWrite) error
	// SetScreeningResult records the latest screening outcome of a need.
	SetScreeningResult(ctx context.Context, needID int64, result kernel.ScreeningOutcome) error
	// CountPublishedCell (orgID 0: of any organization; else only those
	// the organization posted) counts the published needs (published_at set,
	// consent to publication given) of category and age band whose region
	// code starts with regionPrefix and, when householdType is not empty,
	// that carry it.
	CountPublishedCell(ctx context.Context, category kernel.Category, ageBand kernel.AgeBand, regionPrefix string, householdType kernel.HouseholdType, orgID int64) (int, error)
	// ReprojectCell recomputes, in one transaction, the public projections
	// of the published needs of cell (published_at set, consent to
	// publication given, any status): it hands fn the needs grouped by exact
	// region, household types and current projection, and writes the new
	// projection of each group fn returns, with a search_outbox row for each
	// need changed (dated now). The needs of a change marked Retext get the
	// public title and story retext returns (when it is not nil and can
	// open them). It returns how many needs changed.
	ReprojectCell(ctx context.Context, cell anonymize.ProjectionCell, now time.Time, fn func([]anonymize.CellNeeds) []anonymize.ProjectionChange, retext Retexter) (int, error)
	// ProjectionCells lists the cells that hold published needs.
	ProjectionCells(ctx context.Context) ([]anonymize.ProjectionCell, error)
	// ServesNeed reports whether the user with row id userID is a volunteer
	// with an approved claim or an accepted service pledge on the need.
	ServesNeed(ctx context.Context, userID, needID int64) (bool, error)
	// ListNeeds returns needs matching q, newest first, and how many match.
	ListNeeds(ctx context.Context, q NeedQuery) ([]Need, int, error)
	// NeedEvents returns a need's events, oldest first.
	NeedEvents(ctx context.Context, needID int64) ([]NeedEvent, error)
	// Objections returns a need's objections, oldest first.
	Objections(ctx context.Context, needID int64) ([]Objection, error)
	// CountObjectionsFrom counts the objections raised from the client
	// address with keyed hash addrKey since since, on any need.
	CountObjectionsFrom(ctx context.Context, addrKey string, since time.Time) (int, error)
	// ObjectionByPublicID returns an objection with its need's public id
	// and region; ErrNotFound.
	ObjectionByPublicID(ctx context.Context, publicID string) (*Objection, error)
	// OpenObjectionsIn returns the open objections to needs whose region
	// starts with one of prefixes, with their need's public id and region,
	// the earliest due first, at most limit.
	OpenObjectionsIn(ctx context.Context, prefixes []string, limit int) ([]Objection, error)
	// NeedUpdates returns a need's progress updates, newest first.
	NeedUpdates(ctx context.Context, needID int64) ([]NeedUpdate, error)
	// CaseSteps returns the steps of the need or report with this public
	// id (a need's objections' steps included), by start, with their
	// escalations.
	CaseSteps(ctx context.Context, subjectID string) ([]CaseStep, error)
	// GroupDecisions returns a need's group decisions (一事一议), oldest first.
	GroupDecisions(ctx context.Context, needID int64) ([]GroupDecision, error)
	// EscalatedTo returns the open steps escalated to the offices of these
	// region codes (StepEscalation.RegionCode), the earliest due first, at
	// most limit, with their escalations and SubjectStatus.
	EscalatedTo(ctx context.Context, regions []string, limit int) ([]CaseStep, error)
}

// SealedHousehold is a need whose household is still to be recorded: the
// beneficiary's sealed identity (associated data: BeneficiaryPublicID),
// from which HouseholdOf derives it.
type SealedHousehold struct {
	NeedID              int64
	NeedPublicID        string
	BeneficiaryPublicID string
	IdentityCT          []byte
	IdentityKID         string
}

// NeedQuery selects needs for the private lists (an organization's needs,
// the clearance queue). Empty fields do not filter.
type NeedQuery struct {
	OrgIDs []int64
	// RegionPrefixes: the need's exact region starts with one of them.
	RegionPrefixes []string
	Statuses       []kernel.NeedStatus
	// DueBefore keeps needs whose clearance is due before it.
	DueBefore *time.Time
	// ByDue orders by clearance due time (oldest first) instead of newest first.
	ByDue bool
	// Queue, when not empty, keeps the needs one of its scopes selects
	// (an approval queue; see QueueScope).
	Queue []QueueScope
	// IDs, when not nil, keeps the needs with these row ids.
	IDs    []int64
	Limit  int
	Offset int
}

// NeedWrite is one change of a need, written in one transaction.
type NeedWrite struct {
	Need  *Need
	Event *NeedEvent
	Audit AuditEntry
	// Outbox: the public projection may have changed.
	Outbox bool
	// NewObjection is inserted; ResolveObjections are updated (status,
	// resolution time and resolver).
	NewObjection      *Objection
	ResolveObjections []Objection
	NewUpdate         *NeedUpdate
	// StartSteps are inserted (an objection's with NewObjection's row id);
	// EndSteps end the need's open steps they name.
	StartSteps []CaseStep
	EndSteps   []StepEnd
	// NewGroupDecision is inserted (一事一议).
	NewGroupDecision *GroupDecision
	// Reproject, when set, re-projects the published needs of this cell
	// with Reprojector after the change, in the same transaction (see
	// ReprojectCell, with Retexter), and reads the need's own projection
	// back into Need.
	Reproject   *anonymize.ProjectionCell
	Reprojector func([]anonymize.CellNeeds) []anonymize.ProjectionChange
	Retexter    Retexter
}

// Retexter returns the public title and story of a published need n (its
// sealed record and its beneficiary b as stored) for the region shown, as
// publication there would have made them; false when it cannot open them,
// and the stored text, redacted for a coarser region, stays. Re-projection
// calls it inside the store's transaction, so it must not use the store.
type Retexter func(n *Need, b *Beneficiary, shown string) (title, story string, ok bool)

// Screener runs and stores the screening of a need at a stage; the needs
// service calls it when a need is submitted and cleared (amountFen 0). The
// implementation is matching/screening's service, which cmd passes in. A
// Result of block stops the action with a *kernel.ScreeningBlockedError.
type Screener interface {
	Screen(ctx context.Context, needPublicID string, stage kernel.ScreeningStage, amountFen int64) (*kernel.Screening, error)
}

// ClearanceAcknowledger is what a Screener may also do: record that the
// verifier who cleared a need saw the warnings of the screening the
// clearance ran (screeningID), so that they leave the review queue.
// Blocks are not acknowledged this way; a screening that is no longer the
// need's latest, or is decided already, is left as it is.
type ClearanceAcknowledger interface {
	AcknowledgeAtClearance(ctx context.Context, by *kernel.Principal, needPublicID, screeningID string) error
}
