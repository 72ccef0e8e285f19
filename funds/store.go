package funds

import (
	"context"
	"time"

	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/notify"
)

// Store is what the funds service needs of the database. Every money
// movement runs in InTx: one database transaction holding the ledger
// postings, the business rows and the need's new amounts, or nothing.
type Store interface {
	// ReceiptStore keeps the details of receipts (receipt_store.go).
	ReceiptStore
	// InTx runs fn in one transaction. On a deadlock or a serialization
	// failure it runs fn again (fn must touch nothing outside tx), a few
	// times; an error from fn rolls everything back.
	InTx(ctx context.Context, fn func(tx Tx) error) error
	// InTxGrouped is InTx for hot paths: concurrent calls may share one
	// database transaction and its commit. A call whose fn fails leaves
	// nothing behind and gets its own error; fn may run more than once, as
	// with InTx. hint names the rows fn will touch, so that a store batching
	// calls can read and lock them for the whole batch at once; a call that
	// touches more than its hint runs alone, through InTx.
	InTxGrouped(ctx context.Context, hint GroupHint, fn func(tx Tx) error) error
	// SourceOwner returns what never changes of a fund or project: its kind
	// and holder organization; ErrNotFound.
	SourceOwner(ctx context.Context, publicID string) (SourceKind, int64, error)

	// Source returns a fund or project with its balance; ErrNotFound.
	Source(ctx context.Context, publicID string) (*Source, error)
	// Sources lists funds or projects with balances, newest first.
	Sources(ctx context.Context, kind SourceKind, limit, offset int) ([]Source, error)
	// CreateSource stores s and opens its ledger account.
	CreateSource(ctx context.Context, s *Source) error
	// SetSourceReport records a project's progress disclosure.
	SetSourceReport(ctx context.Context, sourceID int64, at time.Time) error

	// OrgIDByPublicID resolves an organization; ErrNotFound.
	OrgByPublicID(ctx context.Context, publicID string) (id int64, name string, kind string, err error)
	// ReceivingOrg picks the charity federation receiving donations for a
	// need in region: the one of its county, else city, else province; ErrNotFound.
	ReceivingOrg(ctx context.Context, regionCode string) (id int64, publicID, name string, err error)
	// UserName returns a user's display name.
	UserName(ctx context.Context, userID int64) (string, error)

	// Pledge returns a pledge; ErrNotFound.
	Pledge(ctx context.Context, publicID string) (*Pledge, error)
	// PledgeByReference returns a pledge by its transfer reference; ErrNotFound.
	PledgeByReference(ctx context.Context, ref string) (*Pledge, error)
	// DonorPledges lists a donor's pledges, newest first.
	// PendingPledgesOf lists up to limit pledges waiting for their money
	// that organizations orgIDs receive, those expiring first first.
	PendingPledgesOf(ctx context.Context, orgIDs []int64, limit int) ([]Pledge, error)
	DonorPledges(ctx context.Context, donorID int64) ([]Pledge, error)
	// ExpirePledges marks pending pledges whose time ran out as expired.
	ExpirePledges(ctx context.Context, now time.Time) (int64, error)
	// ConfirmedPledgesTo lists the confirmed (not refunded) pledges to a
	// source in confirmation order.
	ConfirmedPledgesTo(ctx context.Context, sourceID int64) ([]Pledge, error)

	// Allocation returns an allocation; ErrNotFound.
	Allocation(ctx context.Context, publicID string) (*Allocation, error)
	// AllocationsOf lists the allocations of a source (sourceID) or to a
	// need (needID) in creation order.
	AllocationsOf(ctx context.Context, sourceID, needID int64) ([]Allocation, error)

	// Need reads a need's state without locking; ErrNotFound.
	Need(ctx context.Context, publicID string) (*NeedState, error)

	// Disclosures lists the register, filtered, in time order.
	Disclosures(ctx context.Context, f DisclosureFilter) ([]Disclosure, error)
	// NameRegions returns, for each of names that names an organization or
	// a fund or project, the region codes of the organizations it names or
	// that hold it (a name may be several's).
	NameRegions(ctx context.Context, names []string) (map[string][]string, error)
	// AccountLines lists an account's entries, oldest first.
	AccountLines(ctx context.Context, code string, limit, offset int) ([]LedgerLine, error)

	// Receipt returns a receipt; ErrNotFound.
	Receipt(ctx context.Context, publicID string) (*Receipt, error)
	// DonorReceipts lists a donor's receipts.
	DonorReceipts(ctx context.Context, donorID int64) ([]Receipt, error)

	// BeginIdempotent records that a request with key started, or returns
	// the earlier record for that user and key.
	BeginIdempotent(ctx context.Context, rec *IdemRecord, lease time.Duration) (*IdemRecord, error)
	// AbortIdempotent forgets a started key whose request failed.
	AbortIdempotent(ctx context.Context, userID int64, key string) error
	// PurgeIdempotent deletes keys created before.
	PurgeIdempotent(ctx context.Context, before time.Time) (int64, error)

	// LedgerCheck computes what VerifyLedger compares.
	LedgerCheck(ctx context.Context) (*LedgerFacts, error)

	// Recurring returns a monthly pledge; ErrNotFound.
	Recurring(ctx context.Context, publicID string) (*Recurring, error)
	// DonorRecurring lists a donor's monthly pledges, newest first, each
	// with its latest twelve months.
	DonorRecurring(ctx context.Context, donorID int64) ([]Recurring, error)
	// DueRecurring lists up to limit active monthly pledges due at now.
	DueRecurring(ctx context.Context, now time.Time, limit int) ([]string, error)

	// RedirectCandidates lists up to limit confirmed donor pledges whose
	// money sits in a need that ended at now (NeedState.EndReason) and has
	// no choice recorded for that need yet.
	RedirectCandidates(ctx context.Context, now time.Time, limit int) ([]RedirectCandidate, error)
	// DueRedirects lists up to limit pending choices whose deadline passed.
	DueRedirects(ctx context.Context, now time.Time, limit int) ([]string, error)
	// LastRedirect returns the latest choice of a pledge; ErrNotFound.
	LastRedirect(ctx context.Context, pledgeID int64) (*Redirect, error)
	// DonorRedirects lists the choices of a donor's pledges, newest first.
	DonorRedirects(ctx context.Context, donorID int64) ([]Redirect, error)
	// StrandedAllocations lists up to limit allocations not disbursed to
	// needs that were withdrawn or closed.
	StrandedAllocations(ctx context.Context, limit int) ([]string, error)
	// StrandedMatches lists up to limit matching gifts (pledge public ids)
	// with money not paid out in needs that were withdrawn or closed, whose
	// donor's gift has nothing left unpaid there (a gift with money left
	// takes its matching gifts along when the donor's choice is applied).
	StrandedMatches(ctx context.Context, limit int) ([]string, error)
	// NeedLots reads a need's lots in order.
	NeedLots(ctx context.Context, needID int64) ([]Lot, error)
	// NeedDisbursements lists a need's disbursements with their parts, oldest first.
	NeedDisbursements(ctx context.Context, needID int64) ([]Disbursement, error)
	// PledgeLots lists the lots holding the money of these donor pledges
	// (their gifts and the matching gifts they drew; RootPledgeID), with
	// the need's public id.
	PledgeLots(ctx context.Context, pledgeIDs []int64) ([]Lot, map[int64]string, error)
	// AllocationLots reads the lots of these allocations.
	AllocationLots(ctx context.Context, allocationIDs []int64) ([]Lot, error)
	// LotDisbursements lists the disbursements that drew on these lots,
	// each with only its parts from them, oldest first.
	LotDisbursements(ctx context.Context, lotIDs []int64) ([]Disbursement, error)
	// NeedsToPay lists up to limit needs in row id order after afterID
	// whose region code starts with regionPrefix, holding money not paid
	// out (funded above disbursed), except withdrawn and closed ones.
	NeedsToPay(ctx context.Context, regionPrefix string, afterID int64, limit int) ([]NeedState, error)
	// SourceRefs names these funds and projects (row ids); unknown ids are
	// left out.
	SourceRefs(ctx context.Context, ids []int64) ([]SourceRef, error)
	// GeneralFund returns an organization's general fund: its oldest
	// active fund without restrictions; ErrNotFound.
	GeneralFund(ctx context.Context, orgID int64, now time.Time) (*Source, error)

	// ReconcileStore keeps the imports of bills (store_bills.go).
	ReconcileStore
	// MonthlyStore dispatches the months of monthly pledges (store_bills.go).
	MonthlyStore
}

// GroupHint names the rows of an InTxGrouped call: the fund or project
// money leaves, the need it goes to, and whether fn locks the need's
// person (Tx.LockPerson).
type GroupHint struct {
	Source string // public id
	Need   string // public id
	Person bool
}

// RedirectCandidate is a pledge whose money sits in an ended need.
type RedirectCandidate struct {
	PledgeID string // public id
	NeedID   int64
}

// Tx is the work inside one database transaction.
type Tx interface {
	// LockNeed reads and locks a need; ErrNotFound.
	LockNeed(publicID string) (*NeedState, error)
	// LockPerson locks every need of the person the need is for (same
	// pseudonym, in row id order) and returns marketplace.PersonStateOf
	// them; ErrNotFound. A transaction takes it before any other lock.
	LockPerson(needPublicID string) (string, error)
	// LockNeedByID reads and locks a need by row id.
	LockNeedByID(id int64) (*NeedState, error)
	// SaveNeedMoney writes the need's funded, disbursed and status, bumps
	// its version and queues it for the search index; change, when not
	// nil, is the status change (Service.saveNeed), whose event and audit
	// entry it writes too.
	SaveNeedMoney(n *NeedState, change *marketplace.StatusChange, now time.Time) error
	// Source reads a fund or project (with its balance). Inside
	// InTxGrouped the balance may predate postings made earlier in the same
	// batch; Post is what checks it.
	Source(publicID string) (*Source, error)
	// SourceByID reads a fund or project by row id.
	SourceByID(id int64) (*Source, error)
	// GivenFen sums what a source gave the person a need is for, across
	// every need posted for them (same pseudonym): the money of its
	// allocations and matching gifts those needs hold (lots, less what went
	// back). A fund's per-need cap is per person.
	GivenFen(sourceID, needID int64) (int64, error)
	// AddLot records money a need took (sets l.ID).
	AddLot(l *Lot) error
	// NeedLots reads the lots of a need, in order (the need is locked).
	NeedLots(needID int64) ([]Lot, error)
	// UpdateLot writes a lot's amount and paid amount.
	UpdateLot(l *Lot) error
	// InsertDisbursement stores d and its parts (sets d.ID).
	InsertDisbursement(d *Disbursement) error
	// SetAllocationsPaid marks allocations whose money was paid out in full
	// as disbursed, by and at.
	SetAllocationsPaid(ids []int64, by int64, at time.Time) error
	// Post validates and writes a journal transaction and updates the
	// balances; ErrInsufficientFunds when a non-negative account would go
	// below zero. It sets t.ID.
	Post(t *JournalTx) error
	// DonationTx returns the donation transaction of a pledge.
	DonationTx(pledgePublicID string) (*JournalTx, error)

	// InsertPledge stores p (sets ID).
	InsertPledge(p *Pledge) error
	// SetPledgeReceiptAs records the donor's choice for the receipt of a
	// pledge just inserted.
	SetPledgeReceiptAs(pledgeID int64, a ReceiptAs) error
	// LockPledge reads and locks a pledge; ErrNotFound.
	LockPledge(publicID string) (*Pledge, error)
	// UpdatePledge writes p's status fields.
	UpdatePledge(p *Pledge) error
	// MatchedFen sums a source's confirmed matching gifts, in all and for one donor.
	MatchedFen(sourceID, donorID int64) (total, donor int64, err error)
	// MatchingFunds lists active funds with a matching offer.
	MatchingFunds() ([]Source, error)
	// IsMember reports whether a user holds any role in an organization.
	IsMember(userID, orgID int64) (bool, error)
	// MatchesOf lists the confirmed matching gifts of a donor pledge.
	MatchesOf(pledgeID int64) ([]Pledge, error)
	// AllocationTx returns the transaction that posted an allocation.
	AllocationTx(allocationPublicID string) (*JournalTx, error)
	// PledgeTx returns the first transaction of kind posted for a pledge.
	PledgeTx(pledgePublicID string, kind TxKind) (*JournalTx, error)

	// InsertAllocation stores a (sets ID).
	InsertAllocation(a *Allocation) error
	// LockAllocation reads and locks an allocation; ErrNotFound.
	LockAllocation(publicID string) (*Allocation, error)
	// UpdateAllocation writes a's status and payee fields.
	UpdateAllocation(a *Allocation) error

	// InsertDisclosure adds a line to the public register.
	InsertDisclosure(d *Disclosure) error
	// IssueReceipt numbers and stores a receipt: the next number of its
	// organization's year, the counter locked for the rest of the
	// transaction (so numbers have no gaps: a transaction that fails takes
	// its number back). It fills in the organization's registration and the
	// purpose (ReceiptDetails) as they are now.
	IssueReceipt(r *Receipt, orgCode string) error
	// VoidReceipt marks the receipt of a pledge void.
	VoidReceipt(pledgeID int64, at time.Time) error
	// RecordNotification stores a payment notification id; ErrReplayed
	// when it was seen before.
	RecordNotification(notificationID string, pledgeID int64, at time.Time) error
	// FinishIdempotent stores the response of an idempotent request.
	FinishIdempotent(userID int64, key string, status int, body []byte, at time.Time) error

	// InsertRecurring stores r (sets ID).
	InsertRecurring(r *Recurring) error
	// LockRecurring reads and locks a monthly pledge; ErrNotFound.
	LockRecurring(publicID string) (*Recurring, error)
	// UpdateRecurring writes r's status, next due time and update time.
	UpdateRecurring(r *Recurring) error
	// InsertRecurringRun claims a month of a recurring pledge; ErrConflict
	// when that month was claimed before.
	InsertRecurringRun(recurringID int64, run *RecurringRun, pledgeID int64) error
	// FinishRecurringRun writes the month's outcome, reason and pledge.
	FinishRecurringRun(recurringID int64, run *RecurringRun, pledgeID int64) error

	// InsertRedirect stores a pending choice (sets ID); ErrConflict when the
	// pledge already has one for that need.
	InsertRedirect(r *Redirect) error
	// LockRedirect reads and locks a choice; ErrNotFound.
	LockRedirect(publicID string) (*Redirect, error)
	// LastRedirect returns the latest choice of a pledge; ErrNotFound.
	LastRedirect(pledgeID int64) (*Redirect, error)
	// GeneralFund is Store.GeneralFund read inside the transaction.
	GeneralFund(orgID int64, now time.Time) (*Source, error)
	// UpdateRedirect writes a choice's status, action, target and decision.
	UpdateRedirect(r *Redirect) error

	// Publish records notifications of the change in this transaction
	// (notify.Outbox): they exist if and only if the change commits.
	Publish(ctx context.Context, events ...notify.Event) error
}

// DisclosureFilter selects lines of the register.
type DisclosureFilter struct {
	SourceID     string // a fund's or project's public id
	SourceType   string // fund | project
	RegionPrefix string
	From, To     *time.Time
	Limit        int
	Offset       int
}

// IdemRecord is a stored Idempotency-Key.
type IdemRecord struct {
	UserID      int64
	Key         string
	RequestHash string
	Done        bool
	Status      int
	Body        []byte
	CreatedAt   time.Time
}

// LedgerFacts are the sums VerifyLedger checks.
type LedgerFacts struct {
	Transactions int64
	Entries      int64
	// Unbalanced lists public ids of transactions whose entries do not sum to zero.
	Unbalanced []string
	// BalanceMismatch lists account codes whose materialized balance differs
	// from the sum of their entries.
	BalanceMismatch []string
	// Negative lists non-negative accounts below zero.
	Negative []string
	// Overfunded lists needs funded above their requested amount, or
	// disbursed above their funded amount.
	Overfunded []string
	// NeedMismatch lists needs whose committed account differs from funded − disbursed.
	NeedMismatch []string
	// LotMismatch lists needs whose lots do not sum to their funded amount,
	// or whose lots' paid amounts do not sum to their disbursed amount.
	LotMismatch []string
	// DisbursementMismatch lists disbursements whose parts do not sum to
	// their amount.
	DisbursementMismatch []string
	// Total is the sum of every balance (must be zero).
	Total int64
}
