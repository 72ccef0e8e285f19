package marketplace

import (
	"fmt"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// Need is a need as the store keeps it. Private text (title, story,
// consent) is in PrivateCT, sealed with the need's public id as associated
// data; the public columns hold the published projection once published.
type Need struct {
	ID          int64
	PublicID    string
	OrgID       int64
	OrgPublicID string // filled when read
	OrgName     string // filled when read
	// OrgRegionCode is the posting organization's region (filled when read).
	OrgRegionCode string
	CreatedBy     int64
	// BeneficiaryID is the row id of the beneficiary.
	BeneficiaryID int64
	Pseudonym     string
	// Household is the household as screening compares it (HouseholdOf
	// the sealed identity), which CreateNeed writes with the need; the
	// readers of needs leave it empty.
	Household []HouseholdMember

	Status           kernel.NeedStatus
	Category         kernel.Category
	Urgency          kernel.Urgency
	RegionCode       string
	PublicRegionCode string
	// PublicOrgShown: public surfaces may name the posting organization
	// (Projection.OrgShown, decided at publication).
	PublicOrgShown       bool
	AgeBand              kernel.AgeBand
	HouseholdTypes       []kernel.HouseholdType
	PublicHouseholdTypes []kernel.HouseholdType
	PrivateCT            []byte
	PrivateKID           string
	PublicTitle          string
	PublicStory          string

	VerifiedCostFen    int64
	StatutoryReliefFen int64
	RequestedFen       int64
	FundedFen          int64
	DisbursedFen       int64
	CostFrom, CostTo   time.Time
	ServiceNeeds       []kernel.Service
	Deadline           *time.Time
	Emergency          bool
	ConsentPublic      bool
	ScreeningResult    kernel.ScreeningOutcome
	BlockOverride      bool

	SubmittedAt *time.Time
	// ClearanceDueAt is when the approval step the need waits at is due
	// (ApprovalStep).
	ClearanceDueAt *time.Time
	// ApprovalStep is the step a submitted need waits at: StepClearance
	// (one step), StepTownReview or StepCountyApproval; "" once decided
	// (and for needs submitted before steps were recorded).
	ApprovalStep StepKind
	// EscalatedLevel is the level the approval step escalated to past its
	// limit ("" when it has not).
	EscalatedLevel kernel.DivisionLevel
	// CaseDueAt is when the whole case should have ended (办结时限; nil for
	// needs submitted before it was recorded).
	CaseDueAt *time.Time
	// OpenSteps are the steps CreateNeed starts with the need (transient).
	OpenSteps    []CaseStep
	ClearedAt    *time.Time
	NoticeEndsAt *time.Time
	PublishedAt  *time.Time
	ClosedAt     *time.Time
	// StillNeededAt is when the posting organization last confirmed that
	// the need is still there (funds require a recent one before paying).
	StillNeededAt *time.Time
	// SuspendedFrom is the status a suspended need returns to when its
	// objections are dismissed; NoticeLeft the notice time it still had.
	SuspendedFrom kernel.NeedStatus
	NoticeLeft    time.Duration
	// OpenObjections counts the need's open objections. While there is one
	// the notice is held: NoticeEndsAt is nil (the need stays in notice and
	// takes no money) and NoticePlannedEnd keeps the end it was published
	// with; the last resolution sets NoticeEndsAt to the later of the two,
	// so that an objection never restarts the notice.
	OpenObjections   int
	NoticePlannedEnd *time.Time
	CreatedAt        time.Time
	UpdatedAt        time.Time
	Version          int64
}

// Facts returns what eligibility looks at of the need at now.
func (n *Need) Facts(now time.Time) kernel.NeedFacts {
	return kernel.NeedFacts{Status: EffectiveStatus(n.Status, n.NoticeEndsAt, now), Category: n.Category, RegionCode: n.RegionCode,
		HouseholdTypes: n.HouseholdTypes, RequestedFen: n.RequestedFen, FundedFen: n.FundedFen, Screening: n.ScreeningResult}
}

// UnpaidFen is the money given to the need and not paid out of it (what
// closing the need sends back, see NeedRules.CloseUnpaid).
func (n *Need) UnpaidFen() int64 {
	return max(n.FundedFen-n.DisbursedFen, 0)
}

// Beneficiary is the person a need is for. Identity is sealed in
// IdentityCT (associated data: the beneficiary's public id); the rest is
// what may be derived without revealing who they are.
type Beneficiary struct {
	ID             int64
	PublicID       string
	OrgID          int64
	Pseudonym      string
	IdentityCT     []byte
	IdentityKID    string
	RegionCode     string
	AgeBand        kernel.AgeBand
	Sex            string // "m" or "f"
	HouseholdTypes []kernel.HouseholdType
	CreatedAt      time.Time
}

// Identity is a beneficiary's identity as it is sealed: never logged,
// never public.
type Identity struct {
	IDNumber  string   `json:"id_number"`
	Name      string   `json:"name"`
	Phone     string   `json:"phone"`
	Address   string   `json:"address"`
	BirthDate string   `json:"birth_date"` // YYYY-MM-DD
	Members   []Member `json:"members"`
}

// Member is a household member entered with the beneficiary.
type Member struct {
	Name     string `json:"name"`
	Relation string `json:"relation"`
	IDNumber string `json:"id_number,omitempty"`
}

// Consent records the household's consent to publication (PIPL art. 25,
// 29, 31): who gave it, in what relation to the beneficiary, to whom (the
// posting organization), how and when.
type Consent struct {
	Given    bool       `json:"given"`
	GivenBy  string     `json:"given_by"`
	Relation string     `json:"relation"`
	Method   string     `json:"method"`
	At       *time.Time `json:"at"`
	// ToOrg is the public id of the organization the consent was given to.
	ToOrg string `json:"to_org"`
}

// Consent relations and methods the API accepts.
var (
	ConsentRelations = []string{"self", "guardian", "parent", "spouse", "child", "relative", "legal_agent"}
	ConsentMethods   = []string{"written", "oral_recorded", "electronic_signature", "thumbprint"}
)

// needPrivate is the sealed private record of a need.
type needPrivate struct {
	Title   string  `json:"title"`
	Story   string  `json:"story"`
	Consent Consent `json:"consent"`
}

// NeedEvent is one transition or action on a need: who, when, what and why.
// The note (why) is sealed, since a verifier's note may name people.
type NeedEvent struct {
	ID       int64
	PublicID string
	NeedID   int64
	At       time.Time
	Actor    string // a user's public id, or "system"
	Action   string
	From, To kernel.NeedStatus
	NoteCT   []byte
	NoteKID  string
}

// ObjectionStatus is where an objection is.
type ObjectionStatus string

// Objection statuses.
const (
	ObjectionOpen      ObjectionStatus = "open"
	ObjectionUpheld    ObjectionStatus = "upheld"
	ObjectionDismissed ObjectionStatus = "dismissed"
)

// Objection is an objection raised during a need's public notice. Its text
// is sealed; PublicText is the scrubbed form. The objector's contact is
// sealed too (ContactCT, nil for an anonymous objection) and opened only
// for a verifier covering the need's region.
type Objection struct {
	ID         int64
	PublicID   string
	NeedID     int64
	CreatedAt  time.Time
	CreatedBy  string // a user's public id, or "" for an anonymous caller
	TextCT     []byte
	TextKID    string
	PublicText string
	Status     ObjectionStatus
	ResolvedAt *time.Time
	ResolvedBy string
	Anonymous  bool
	ContactCT  []byte
	ContactKID string
	// AddrKey is a keyed hash of the client address (the per-address
	// limit), never the address.
	AddrKey string
	// DueAt is when the covering verifier should have resolved it.
	DueAt *time.Time
	// TokenHash is the SHA-256 (hex) of the receipt token the objector
	// looks the outcome up with.
	TokenHash string
	// NeedPublicID and NeedRegionCode are filled by the readers that list
	// objections across needs.
	NeedPublicID   string
	NeedRegionCode string
}

// NeedUpdate is a progress update by the posting organization: the raw text
// sealed, the scrubbed text for donors and volunteers.
type NeedUpdate struct {
	ID         int64
	PublicID   string
	NeedID     int64
	CreatedAt  time.Time
	CreatedBy  string
	TextCT     []byte
	TextKID    string
	PublicText string
}

// TransitionError says that an action is not allowed from a need's status.
// It wraps ErrConflict.
type TransitionError struct {
	Action string
	From   kernel.NeedStatus
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("conflict: cannot %s a need that is %s", e.Action, e.From)
}

// Unwrap makes errors.Is(err, ErrConflict) true.
func (e *TransitionError) Unwrap() error { return kernel.ErrConflict }
