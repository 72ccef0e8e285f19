package funds

import (
	"fmt"
	"math"
	"time"
)

// AccountKind is what an account of the ledger holds. Balances are signed
// sums of entries: money arriving in an account adds to it. The external
// accounts (donations received, money paid out) mirror the world, so that
// all balances together always sum to zero.
type AccountKind string

const (
	// AccountFund holds a named fund's money; never below zero.
	AccountFund AccountKind = "fund"
	// AccountProject holds a project's money; never below zero.
	AccountProject AccountKind = "project"
	// AccountNeed holds money committed to a need and not yet disbursed;
	// never below zero. Its balance is the need's funded less disbursed.
	AccountNeed AccountKind = "need"
	// AccountHeld holds money an organization received for a need that
	// could not take it (fully funded, closed): to be moved or refunded.
	AccountHeld AccountKind = "held"
	// AccountDonations is the donor clearing account of an organization:
	// confirmed donations leave it (it goes negative), refunds return.
	AccountDonations AccountKind = "donations"
	// AccountPayable is what an organization owes payees between a
	// disbursement decision and the payment.
	AccountPayable AccountKind = "payable"
	// AccountPaid is money an organization paid out to providers and households.
	AccountPaid AccountKind = "paid"
)

// NonNegative reports whether accounts of kind k may never go below zero.
func (k AccountKind) NonNegative() bool {
	switch k {
	case AccountFund, AccountProject, AccountNeed, AccountHeld:
		return true
	}
	return false
}

// Account names one ledger account by its code, "kind:public id".
type Account struct {
	Kind AccountKind
	// Owner is the public id of the fund, project, need or organization.
	Owner string
}

// Code is the account's unique code.
func (a Account) Code() string { return string(a.Kind) + ":" + a.Owner }

// SourceAccount is the account of a fund or project.
func SourceAccount(s *Source) Account {
	if s.Kind == KindProject {
		return Account{AccountProject, s.PublicID}
	}
	return Account{AccountFund, s.PublicID}
}

// NeedAccount is a need's committed-money account.
func NeedAccount(needPublicID string) Account { return Account{AccountNeed, needPublicID} }

// OrgAccount is one of an organization's accounts (donations, held, payable, paid).
func OrgAccount(kind AccountKind, orgPublicID string) Account { return Account{kind, orgPublicID} }

// Entry moves AmountFen into Account (negative: out of it).
type Entry struct {
	Account   Account
	AmountFen int64
}

// TxKind is what a journal transaction records.
type TxKind string

const (
	TxDonation   TxKind = "donation"     // a pledge confirmed: donations → fund/project/need
	TxAllocation TxKind = "allocation"   // fund/project → need
	TxDisburse   TxKind = "disbursement" // need → payable
	TxPayout     TxKind = "payout"       // payable → paid
	TxRefund     TxKind = "refund"       // reversal of a donation
	TxMatch      TxKind = "match"        // a fund's matching gift: fund → need
	TxReversal   TxKind = "reversal"     // a reversal of any other transaction
	TxMove       TxKind = "move"         // held money moved to another need or fund
)

// JournalTx is one balanced, immutable journal transaction.
type JournalTx struct {
	ID       int64
	PublicID string
	Kind     TxKind
	// ReversesID is the transaction this one reverses, if any.
	ReversesID int64
	// RefType and RefID name the business object (pledge, allocation).
	RefType string
	RefID   string
	Memo    string
	At      time.Time
	Entries []Entry
}

// Validate checks that the transaction can be posted: at least two entries,
// no zero amounts, no overflow, and a sum of zero (ErrUnbalanced).
func (t *JournalTx) Validate() error {
	if len(t.Entries) < 2 {
		return fmt.Errorf("%w: a transaction needs at least two entries", ErrUnbalanced)
	}
	var sum int64
	for _, e := range t.Entries {
		if e.AmountFen == 0 {
			return fmt.Errorf("ledger: zero entry on %s", e.Account.Code())
		}
		if e.Account.Kind == "" || e.Account.Owner == "" {
			return fmt.Errorf("ledger: entry without account")
		}
		if (e.AmountFen > 0 && sum > math.MaxInt64-e.AmountFen) || (e.AmountFen < 0 && sum < math.MinInt64-e.AmountFen) {
			return fmt.Errorf("ledger: amount overflow")
		}
		sum += e.AmountFen
	}
	if sum != 0 {
		return fmt.Errorf("%w (off by %d fen)", ErrUnbalanced, sum)
	}
	return nil
}

// transfer is a two-entry transaction moving amount from one account to another.
func transfer(from, to Account, amount int64) []Entry {
	return []Entry{{from, -amount}, {to, amount}}
}

// Reverse returns the entries that undo t.
func (t *JournalTx) Reverse() []Entry {
	out := make([]Entry, len(t.Entries))
	for i, e := range t.Entries {
		out[i] = Entry{e.Account, -e.AmountFen}
	}
	return out
}

// LedgerLine is one entry of an account's public books.
type LedgerLine struct {
	TxID        string    `json:"transaction_id"`
	Kind        TxKind    `json:"kind"`
	AmountFen   int64     `json:"amount_fen"`
	Counterpart []string  `json:"counterparts"`
	RefType     string    `json:"ref_type,omitempty"`
	RefID       string    `json:"ref_id,omitempty"`
	At          time.Time `json:"at"`
}
