package kernel

import "fmt"

// Refusal is a domain refusal that users read: Kind is what it is
// (ErrNotFound, ErrForbidden, ErrConflict or an error wrapping one of them),
// Key names its message in web's zh/en catalogue and Args fill that
// message's template. Text is the English reason for logs and Go callers.
type Refusal struct {
	Kind error
	Key  string
	Args map[string]any
	Text string
}

// Refuse builds a Refusal of kind. The English reason is format with a, the
// user's message is the catalogue's key with args (an arg named Status is a
// status the catalogue translates, one ending in Fen an amount shown in yuan).
func Refuse(kind error, key string, args map[string]any, format string, a ...any) *Refusal {
	return &Refusal{Kind: kind, Key: key, Args: args, Text: fmt.Sprintf(format, a...)}
}

// Error is the kind followed by the reason, as fmt.Errorf("%w: …") said.
func (r *Refusal) Error() string { return r.Kind.Error() + ": " + r.Text }

// Unwrap makes errors.Is(err, r.Kind) hold.
func (r *Refusal) Unwrap() error { return r.Kind }
