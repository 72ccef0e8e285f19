package screening

import (
	"context"
	"time"

	"github.com/jiujinan/jiujinan/matching/record"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/marketplace"
)

// Source gives screening the statutory payments of a person: the
// payment record's store (matching/gormstore.Store) implements it.
type Source = record.PaymentReader

// ScreenedNeed is a need as screening loads it: the rules' view plus the
// row key and the posting organization.
type ScreenedNeed struct {
	// Key is the row id, internal to the store.
	Key int64
	// OrgID is the public id of the posting organization.
	OrgID string
	// RegionCode is the need's region: verifiers whose civil affairs
	// office covers it work on the need (marketplace.CoveringVerifier).
	RegionCode string
	// PersonState is marketplace.PersonStateOf the person's needs as read
	// with it (NeedWithPerson only).
	PersonState string
	// Household is the need's household as the needs store recorded it
	// (NeedWithPerson only): the beneficiary and every member entered with
	// an ID number. Empty for a need posted before households were and
	// not yet filled in: screening then sees the beneficiary alone.
	Household []Member
	Need
}

// Record is a stored screening with what the review queue needs. Its
// RoomFen is computed by each run and not stored (the screenings table
// keeps the checks, whose messages carry the amounts): a Record read back
// has RoomFen 0.
type Record struct {
	// Key is the row id, internal to the store.
	Key     int64
	NeedKey int64
	kernel.Screening
	// BlockFingerprint identifies the evidence of the blocks (see
	// Fingerprint); WarnFingerprint that of warnings and blocks.
	BlockFingerprint string
	WarnFingerprint  string
	// Latest is true for the need's own newest screening, false for the
	// older ones and for the screening of a request refused on its own
	// amount (Service.Screen), which never was the need's.
	Latest bool
	// Decision is a verifier's answer ("" while none).
	Decision  Decision
	DecidedBy string
	DecidedAt *time.Time
}

// Decision is a verifier's answer to a screening in the review queue.
type Decision string

// The decisions of the review queue.
const (
	// DecisionAcknowledge: the warnings were seen; nothing stops.
	DecisionAcknowledge Decision = "acknowledge"
	// DecisionOverride: the block is lifted for this evidence, with a
	// written reason; the same evidence later screens as warn.
	DecisionOverride Decision = "override"
	// DecisionUphold: the block stands.
	DecisionUphold Decision = "uphold"
)

// Override is a verifier's lifting of a block for one fingerprint.
type Override struct {
	NeedKey      int64
	ScreeningKey int64
	Verifier     string
	ReasonCT     []byte
	ReasonKID    string
	Fingerprint  string
	At           time.Time
}

// ReferralStatus is where a referral (转介) is.
type ReferralStatus string

// The referral statuses: open → accepted → closed, or open → closed.
const (
	ReferralOpen     ReferralStatus = "open"
	ReferralAccepted ReferralStatus = "accepted"
	ReferralClosed   ReferralStatus = "closed"
)

// Valid reports whether s is a known status.
func (s ReferralStatus) Valid() bool {
	return s == ReferralOpen || s == ReferralAccepted || s == ReferralClosed
}

// Referral is a referral of a household to a statutory programme.
type Referral struct {
	Key       int64
	ID        string
	NeedKey   int64
	NeedID    string
	Programme kernel.Programme
	Reason    string
	Status    ReferralStatus
	TakenBy   string
	NotesCT   []byte
	NotesKID  string
	CreatedAt time.Time
	UpdatedAt time.Time
	ClosedAt  *time.Time

	// NeedRegion is the region code of the need: verifiers whose office
	// covers it work on the referral.
	NeedRegion string
}

// NeedSummary is what the review queue shows of a need: public facts and
// amounts only, never an identity.
type NeedSummary struct {
	ID                 string            `json:"id"`
	OrgID              string            `json:"org_id"`
	Status             kernel.NeedStatus `json:"status"`
	Category           kernel.Category   `json:"category"`
	From               time.Time         `json:"from"`
	To                 time.Time         `json:"to"`
	VerifiedCostFen    int64             `json:"verified_cost_fen"`
	StatutoryReliefFen int64             `json:"statutory_relief_fen"`
	RequestedFen       int64             `json:"requested_fen"`
	FundedFen          int64             `json:"funded_fen"`
	RegionCode         string            `json:"region_code"`
	// RegionName is the full name of RegionCode (the service sets it).
	RegionName string `json:"region_name"`
}

// QueueQuery selects a page of the review queue.
type QueueQuery struct {
	RegionPrefixes []string
	// Rule, when not "", keeps the screenings with a check of this rule
	// that warns or blocks.
	Rule   string
	Limit  int
	Offset int
}

// Store keeps screenings, overrides and referrals, and reads the
// needs screening looks at. Methods that change something take the audit
// entries to append in the same transaction.
type Store interface {
	// NeedForScreening loads a need by public id; ErrNotFound.
	NeedForScreening(ctx context.Context, publicID string) (*ScreenedNeed, error)
	// NeedWithPerson loads a need by public id with its household, and the
	// person's other needs (same pseudonym, any organization); ErrNotFound.
	NeedWithPerson(ctx context.Context, publicID string) (*ScreenedNeed, []Need, error)
	// OverrideFor returns the newest override of the need for this
	// fingerprint; ErrNotFound when there is none.
	OverrideFor(ctx context.Context, needKey int64, fingerprint string) (*Override, error)
	// LatestScreening returns the need's newest screening; ErrNotFound.
	LatestScreening(ctx context.Context, needKey int64) (*Record, error)
	// SaveScreening stores rec and creates the referrals the need does not
	// have yet for their programme, in one transaction. When rec.Latest it
	// is the need's newest screening: the previous latest one is no longer,
	// and the need's screening_result and block_override are set from rec.
	// Otherwise (a refused request's screening) it is stored with latest
	// false and changes nothing of the need or its other screenings. It
	// sets rec.Key and each created referral's Key.
	SaveScreening(ctx context.Context, rec *Record, refs []Referral) error
	// Screenings returns the need's screenings, at most limit: its latest
	// first, then the others (older ones, refused requests) newest first.
	Screenings(ctx context.Context, needKey int64, limit int) ([]Record, error)
	// ScreeningByPublicID returns a screening; ErrNotFound.
	ScreeningByPublicID(ctx context.Context, publicID string) (*Record, error)
	// Decide records a decision on the screening (which must still be the
	// need's latest and undecided, else ErrConflict), with the override
	// when d is DecisionOverride, and the audit entry.
	Decide(ctx context.Context, screeningKey int64, d Decision, by string, reasonCT []byte, reasonKID string, ov *Override, at time.Time, audit marketplace.AuditEntry) error
	// ReviewQueue returns the latest, undecided warn and block screenings
	// (one per need: a need has one latest screening) of needs whose region
	// code starts with one of q.RegionPrefixes and, when q.Rule is set,
	// with a check of that rule that warns or blocks; blocks first then
	// oldest first, q.Offset skipped, at most q.Limit; and how many there
	// are in all.
	ReviewQueue(ctx context.Context, q QueueQuery) ([]Record, int, error)
	// NeedSummaries returns the needs with these public ids (unknown ids
	// are left out).
	NeedSummaries(ctx context.Context, publicIDs []string) ([]NeedSummary, error)
	// Referrals lists the referrals of needs whose region code starts
	// with one of regionPrefixes, with status when not "", oldest first.
	Referrals(ctx context.Context, status ReferralStatus, regionPrefixes []string, limit int) ([]Referral, error)
	// UpdateReferral loads the referral by public id with a lock, lets fn
	// change it, stores it and appends the audit entry fn returns;
	// ErrNotFound; fn's error aborts.
	UpdateReferral(ctx context.Context, publicID string, fn func(r *Referral) (marketplace.AuditEntry, error)) (*Referral, error)
}
