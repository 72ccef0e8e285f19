package funds

import (
	"context"
	"time"
)

// ReceiptDetails is what a receipt says beyond the amount and the date
// (receipt.go), as it was when the receipt was issued.
type ReceiptDetails struct {
	// Seq is the receipt's number within its charity's year, from 1
	// without gaps.
	Seq        int64
	TargetType TargetType
	DonorKind  DonorKind
	// DonorIDNumber is a person's ID number, opened from DonorCT.
	DonorIDNumber   string
	DonorCreditCode string
	// DonorCT and DonorKID seal a person's name and ID number; DonorName
	// is stored empty for them.
	DonorCT  []byte `json:"-"`
	DonorKID string `json:"-"`
	// OrgCreditCode and OrgRegisteredName are the charity's registration.
	OrgCreditCode     string
	OrgRegisteredName string
	// Purpose is what the gift was for: the need's public title, or the
	// fund's or project's name (GenericNeedPurpose for a need without a
	// public title).
	Purpose string
}

// ReceiptStore is what the receipts need of the database besides the
// issue and void in a transaction (Tx.IssueReceipt, Tx.VoidReceipt).
type ReceiptStore interface {
	// DonorProfile returns a donor's receipt details, sealed; ErrNotFound
	// when they never saved any.
	DonorProfile(ctx context.Context, userID int64) (*DonorProfile, error)
	// SaveDonorProfile replaces a donor's receipt details.
	SaveDonorProfile(ctx context.Context, userID int64, p *DonorProfile) error
	// PledgeReceiptAs returns what the donor chose for the receipt of a
	// pledge when pledging; ErrNotFound when they chose nothing.
	PledgeReceiptAs(ctx context.Context, pledgeID int64) (*ReceiptAs, error)
	// OrgReceipts lists the receipts an organization issued in [from, to),
	// voided ones too, by year and number.
	OrgReceipts(ctx context.Context, orgID int64, from, to time.Time) ([]Receipt, error)
}
