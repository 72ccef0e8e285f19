package funds

import (
	"errors"
	"fmt"

	"github.com/jiujinan/jiujinan/kernel"
)

// Errors of the funds package besides marketplace's ErrNotFound,
// ErrForbidden, ErrConflict and *ValidationError.
var (
	// ErrInsufficientFunds: the account the money would leave holds less
	// than the amount. It is a conflict (409).
	ErrInsufficientFunds error = kernel.Refuse(kernel.ErrConflict, "refusal_insufficient_funds", nil, "insufficient funds")
	// ErrIdempotencyInFlight: a request with the same Idempotency-Key is
	// still running (409).
	ErrIdempotencyInFlight error = kernel.Refuse(kernel.ErrConflict, "refusal_idempotency_in_flight", nil, "a request with this Idempotency-Key is still in progress; retry later")
	// ErrReplayed: a payment notification was seen before.
	ErrReplayed error = kernel.Refuse(kernel.ErrConflict, "refusal_replayed", nil, "this notification was already received")
	// ErrUnbalanced: a journal transaction whose entries do not sum to zero.
	ErrUnbalanced = errors.New("ledger: entries do not sum to zero")
)

// IdempotencyMismatchError: the Idempotency-Key was used before with other
// request content.
type IdempotencyMismatchError struct{}

func (IdempotencyMismatchError) Error() string {
	return "this Idempotency-Key was used with a different request; use a new key"
}

// IneligibleError says why a need may not receive this money (409): the
// source's restrictions, the need's state, its remaining amount.
type IneligibleError struct {
	Reasons []kernel.Ineligibility
	// Args fill the catalogue message of the first reason's code.
	Args map[string]any
}

func (e *IneligibleError) Error() string {
	if len(e.Reasons) == 0 {
		return "not eligible"
	}
	msg := "not eligible: " + e.Reasons[0].Message
	if len(e.Reasons) > 1 {
		msg += fmt.Sprintf(" (and %d more reasons)", len(e.Reasons)-1)
	}
	return msg
}

// Unwrap lets errors.Is(err, marketplace.ErrConflict) hold.
func (e *IneligibleError) Unwrap() error { return kernel.ErrConflict }

func ineligible(code string, targs map[string]any, format string, args ...any) *IneligibleError {
	return &IneligibleError{Reasons: []kernel.Ineligibility{{Code: code, Message: fmt.Sprintf(format, args...)}}, Args: targs}
}
