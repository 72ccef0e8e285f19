package kernel

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Domain errors. Every package of the project wraps these (or its own, for
// funds and matching) with context; web/errors.go maps them to HTTP status.
var (
	// ErrNotFound: the object does not exist, or the caller may not know that it does.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the request clashes with the current state (a duplicate, a
	// transition not allowed from the current status, a lost race).
	ErrConflict = errors.New("conflict")
	// ErrUnauthorized: no valid credentials.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrForbidden: valid credentials without the right to do this.
	ErrForbidden = errors.New("forbidden")
	// ErrTooMany: the caller has done this too often for now (a limit per
	// client address or per object); trying later may succeed.
	ErrTooMany = errors.New("too many requests")
)

// ValidationError lists what is wrong with a request, field by field. Nothing
// is written when one is returned.
type ValidationError struct {
	Fields map[string]string
	// Reasons holds each field's message before formatting, so that a page
	// can say it in the reader's language: web/i18n/reasons.zh.toml
	// translates every Text the code passes to Add (a test finds them all).
	Reasons map[string]Reason
}

// Text is the English format of a validation message (fmt verbs allowed).
// It is its own type so that only constants, which the translation test
// can find, are passed as formats; a message computed at run time must be
// converted on purpose, with its own translation.
type Text string

// Reason is one field's message: its format and the values it quotes.
type Reason struct {
	Format Text
	Args   []any
}

// String is the message in English.
func (r Reason) String() string { return fmt.Sprintf(string(r.Format), r.Args...) }

// Error makes a Reason an error, for checks that return one (ParseIDNumber)
// and whose callers add it to a field with AddErr.
func (r Reason) Error() string { return r.String() }

// Because is an error that carries its message's format, so that AddErr
// keeps it translatable.
func Because(format Text, args ...any) error { return Reason{Format: format, Args: args} }

// Error lists the fields in a stable order.
func (e *ValidationError) Error() string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + e.Fields[k]
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Add records a problem with field unless one is already recorded for it.
func (e *ValidationError) Add(field string, format Text, args ...any) {
	if e.Fields == nil {
		e.Fields = map[string]string{}
		e.Reasons = map[string]Reason{}
	}
	if _, ok := e.Fields[field]; !ok {
		r := Reason{Format: format, Args: args}
		e.Fields[field] = r.String()
		e.Reasons[field] = r
	}
}

// AddErr records err as field's problem: its Reason when it carries one
// (Because), else its text as is.
func (e *ValidationError) AddErr(field string, err error) {
	var r Reason
	if errors.As(err, &r) {
		e.Add(field, r.Format, r.Args...)
		return
	}
	e.Add(field, "%s", err.Error())
}

// Merge adds o's problems for the fields e does not have yet.
func (e *ValidationError) Merge(o *ValidationError) {
	if o == nil {
		return
	}
	for _, f := range sortedFields(o.Fields) {
		r, ok := o.Reasons[f]
		if !ok {
			r = Reason{Format: "%s", Args: []any{o.Fields[f]}}
		}
		e.Add(f, r.Format, r.Args...)
	}
}

func sortedFields(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Err returns e when it holds a problem and nil otherwise.
func (e *ValidationError) Err() error {
	if e == nil || len(e.Fields) == 0 {
		return nil
	}
	return e
}

// Invalid is a shorthand for a ValidationError about one field.
func Invalid(field string, format Text, args ...any) error {
	v := &ValidationError{}
	v.Add(field, format, args...)
	return v
}

// LockedError says that login attempts must wait until Until after repeated
// failures (for one e-mail from one address).
type LockedError struct {
	Until time.Time
	// RetryAfter is how long from now that is, by the service's clock.
	RetryAfter time.Duration
}

func (e *LockedError) Error() string {
	return "too many failed logins; try again after " + e.Until.UTC().Format(time.RFC3339)
}

// ErrUnauthorizedf wraps ErrUnauthorized with a message for the client.
func ErrUnauthorizedf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrUnauthorized}, args...)...)
}

// ScreeningBlockedError is the one "screening blocks" refusal of every
// package: the screening at Stage blocks the action (a clearance, a
// disbursement; at an allocation or a gift, the screening of the request
// with its amount, which is the need's own only when the amount alone does
// not make it worse). Screening carries its evidence.
type ScreeningBlockedError struct {
	Stage     ScreeningStage
	Screening *Screening
}

func (e *ScreeningBlockedError) Error() string {
	switch e.Stage {
	case StageDisburse:
		return "disbursement stopped for review: screening blocks it"
	case StageAllocate:
		return "screening blocks this allocation"
	case StageGift:
		return "screening blocks this gift"
	}
	return "the need's screening blocks this action; correct the need or have a verifier override the block"
}
