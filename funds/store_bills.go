package funds

import (
	"context"
	"time"
)

// ReconcileStore keeps the imports of bills: each run, what its lines came
// to, and what a bill is compared with.
type ReconcileStore interface {
	// InsertReconcileRun stores a new run (sets r.ID).
	InsertReconcileRun(ctx context.Context, r *ReconcileRun) error
	// AddReconcileLines stores lines of a run.
	AddReconcileLines(ctx context.Context, runID int64, lines []ReconcileLine) error
	// FinishReconcileRun writes a run's status, counts, period and end.
	FinishReconcileRun(ctx context.Context, r *ReconcileRun) error
	// ReconcileRun returns a run with its organization's and importer's
	// names; ErrNotFound.
	ReconcileRun(ctx context.Context, publicID string) (*ReconcileRun, error)
	// ReconcileRuns lists up to limit runs of the organizations orgIDs,
	// newest first.
	ReconcileRuns(ctx context.Context, orgIDs []int64, limit int) ([]ReconcileRun, error)
	// ReconcileLines lists up to limit lines of a run whose outcome (a
	// mismatch code or an Outcome*) is one of outcomes, in line order
	// (pledges missing from the bill last), with their pledges' public ids.
	ReconcileLines(ctx context.Context, runID int64, outcomes []string, limit int) ([]ReconcileLine, error)
	// EarlierReconcileRun returns the public id of the organization's
	// latest run of the file with this SHA-256, "" when none.
	EarlierReconcileRun(ctx context.Context, orgID int64, fileSHA256 string) (string, error)
	// ProviderConfirmedIn lists the organization's pledges confirmed in
	// [from, to) with a payment notification id that starts with prefix
	// (NotificationIDPrefix), refunded or not.
	ProviderConfirmedIn(ctx context.Context, orgID int64, from, to time.Time, prefix string) ([]Pledge, error)
	// PledgesInOtherRuns reports which of pledgeIDs a line of another run
	// of the organization than exceptRun names.
	PledgesInOtherRuns(ctx context.Context, orgID int64, pledgeIDs []int64, exceptRun int64) (map[int64]bool, error)
}

// MonthlyStore hands each month of a monthly pledge to one dispatcher,
// which reminds the donor or charges the month through the agreement.
type MonthlyStore interface {
	// UndispatchedMonths lists up to limit months with a pledge whose
	// dispatch is not done and whose lease was taken before staleBefore
	// (or never), oldest first.
	UndispatchedMonths(ctx context.Context, staleBefore time.Time, limit int) ([]Month, error)
	// ClaimMonth takes a month's lease at now, if the month is not
	// dispatched and its lease was taken before staleBefore (or never):
	// false when another dispatcher holds it or it is done.
	ClaimMonth(ctx context.Context, m Month, now, staleBefore time.Time) (bool, error)
	// MonthPledge returns a month's monthly pledge and pledge; ErrNotFound.
	MonthPledge(ctx context.Context, m Month) (*Recurring, *Pledge, error)
	// FinishMonth records a month as dispatched at with the charge's state.
	FinishMonth(ctx context.Context, m Month, chargeState string, at time.Time) error
	// SetChargeState records what charging a month did, before it is done.
	SetChargeState(ctx context.Context, m Month, chargeState string) error
	// SetRecurringAgreement records (or, with channel "", removes) the
	// provider agreement of a monthly pledge; ErrNotFound.
	SetRecurringAgreement(ctx context.Context, publicID, channel, agreementID string, at time.Time) error
}
