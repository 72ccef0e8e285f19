package gormstore

import (
	"time"

	"github.com/jiujinan/jiujinan/funds"
)

// unsupported is the part of funds.Tx a batch does not serve (batch.go): a
// call that uses any of it runs again alone through InTx.
type unsupported struct{ hit bool }

func (u *unsupported) no() error { u.hit = true; return errUnsupported }

func (u *unsupported) LockNeedByID(int64) (*funds.NeedState, error)  { return nil, u.no() }
func (u *unsupported) SourceByID(int64) (*funds.Source, error)       { return nil, u.no() }
func (u *unsupported) DonationTx(string) (*funds.JournalTx, error)   { return nil, u.no() }
func (u *unsupported) InsertPledge(*funds.Pledge) error              { return u.no() }
func (u *unsupported) LockPledge(string) (*funds.Pledge, error)      { return nil, u.no() }
func (u *unsupported) UpdatePledge(*funds.Pledge) error              { return u.no() }
func (u *unsupported) MatchedFen(int64, int64) (int64, int64, error) { return 0, 0, u.no() }
func (u *unsupported) MatchingFunds() ([]funds.Source, error)        { return nil, u.no() }
func (u *unsupported) IsMember(int64, int64) (bool, error)           { return false, u.no() }
func (u *unsupported) MatchesOf(int64) ([]funds.Pledge, error)       { return nil, u.no() }
func (u *unsupported) AllocationTx(string) (*funds.JournalTx, error) { return nil, u.no() }
func (u *unsupported) PledgeTx(string, funds.TxKind) (*funds.JournalTx, error) {
	return nil, u.no()
}
func (u *unsupported) LockAllocation(string) (*funds.Allocation, error)  { return nil, u.no() }
func (u *unsupported) UpdateAllocation(*funds.Allocation) error          { return u.no() }
func (u *unsupported) IssueReceipt(*funds.Receipt, string) error         { return u.no() }
func (u *unsupported) VoidReceipt(int64, time.Time) error                { return u.no() }
func (u *unsupported) RecordNotification(string, int64, time.Time) error { return u.no() }
func (u *unsupported) InsertRecurring(*funds.Recurring) error            { return u.no() }
func (u *unsupported) LockRecurring(string) (*funds.Recurring, error)    { return nil, u.no() }
func (u *unsupported) UpdateRecurring(*funds.Recurring) error            { return u.no() }
func (u *unsupported) InsertRecurringRun(int64, *funds.RecurringRun, int64) error {
	return u.no()
}
func (u *unsupported) FinishRecurringRun(int64, *funds.RecurringRun, int64) error {
	return u.no()
}
func (u *unsupported) InsertRedirect(*funds.Redirect) error                { return u.no() }
func (u *unsupported) LockRedirect(string) (*funds.Redirect, error)        { return nil, u.no() }
func (u *unsupported) LastRedirect(int64) (*funds.Redirect, error)         { return nil, u.no() }
func (u *unsupported) UpdateRedirect(*funds.Redirect) error                { return u.no() }
func (u *unsupported) GeneralFund(int64, time.Time) (*funds.Source, error) { return nil, u.no() }
func (u *unsupported) NeedLots(int64) ([]funds.Lot, error)                 { return nil, u.no() }
func (u *unsupported) UpdateLot(*funds.Lot) error                          { return u.no() }
func (u *unsupported) InsertDisbursement(*funds.Disbursement) error        { return u.no() }
func (u *unsupported) SetAllocationsPaid([]int64, int64, time.Time) error  { return u.no() }

// SetPledgeReceiptAs: a pledge is made alone (receipts.go).
func (u *unsupported) SetPledgeReceiptAs(int64, funds.ReceiptAs) error { return u.no() }
