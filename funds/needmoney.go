package funds

import (
	"time"
)

// LotKind says where a sum of money a need holds came from.
type LotKind string

const (
	// LotAllocation: a fund's or project's allocation.
	LotAllocation LotKind = "allocation"
	// LotGift: a donor's gift, given to the need or moved in from another.
	LotGift LotKind = "gift"
	// LotMatch: a fund's matching gift (配捐) to a donor's gift.
	LotMatch LotKind = "match"
)

// Lot is one sum of money a need holds, by its origin. AmountFen is what
// of it the need holds now (returns and moves lower it), PaidFen what of
// it was paid out. For every need, the lots' amounts sum to its funded
// amount and their paid amounts to its disbursed amount (VerifyLedger).
type Lot struct {
	ID     int64
	NeedID int64
	Kind   LotKind
	// SourceID is the fund or project of an allocation or a matching gift.
	SourceID     int64
	AllocationID int64
	// PledgeID is the pledge whose money this is: the donor's (gift) or the
	// matching gift's (match).
	PledgeID int64
	// RootPledgeID is the donor's pledge: the gift's own, or the one a
	// matching gift matched. A matching gift's money follows it.
	RootPledgeID int64
	AmountFen    int64
	PaidFen      int64
	CreatedAt    time.Time
}

// Unpaid is what of the lot the need may still pay out.
func (l *Lot) Unpaid() int64 { return l.AmountFen - l.PaidFen }

// ProviderKind is the kind of service provider a disbursement pays.
type ProviderKind string

const (
	ProviderHospital ProviderKind = "hospital"
	ProviderSchool   ProviderKind = "school"
	ProviderLandlord ProviderKind = "landlord"
	ProviderShop     ProviderKind = "shop"
	ProviderOther    ProviderKind = "other"
)

// Valid reports whether k is a known provider kind.
func (k ProviderKind) Valid() bool {
	switch k {
	case ProviderHospital, ProviderSchool, ProviderLandlord, ProviderShop, ProviderOther:
		return true
	}
	return false
}

// Disbursement is one payment out of a need's money: to a provider against
// its invoice or receipt, or to the household with a recorded reason.
// What it paid is drawn from the need's lots in order (Parts).
type Disbursement struct {
	ID           int64
	PublicID     string
	NeedID       int64
	NeedPublicID string
	// OrgID is the organization that paid (its staff decided it).
	OrgID       int64
	OrgPublicID string
	// AllocationID is set when it paid one allocation (Service.Disburse).
	AllocationID       int64
	AllocationPublicID string
	AmountFen          int64
	PayeeType          PayeeType
	ProviderKind       ProviderKind
	PayeeCT            []byte
	PayeeKID           string
	// PayeeMasked is the only form of the payee ever shown; ReferenceMasked
	// is the invoice or receipt reference to its last four characters.
	PayeeMasked     string
	ReferenceMasked string
	CreatedBy       int64
	CreatedAt       time.Time
	Parts           []DisbursementPart
}

// DisbursementPart is what one lot gave to a disbursement.
type DisbursementPart struct {
	LotID int64
	// Kind is the origin of the lot's money (allocation, gift, match).
	Kind      LotKind
	AmountFen int64
}

// NeedMoney is a need's money as its staff see it: the lots, the
// disbursements, and what is left to pay out.
type NeedMoney struct {
	Need          *NeedState
	ReceivingOrg  string // public id of the organization whose staff pay it out
	Lots          []Lot
	Disbursements []Disbursement
	UnpaidFen     int64
}
