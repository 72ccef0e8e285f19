package notify

import (
	"context"
	"errors"
	"net"

	"github.com/jiujinan/jiujinan/recovery"
)

// Rendered is an event worded for people: a subject, the plain text and
// HTML of an e-mail, and the named values an SMS template fills in.
type Rendered struct {
	Subject string
	Text    string
	HTML    string
	Vars    map[string]string
}

// Renderer words an event in a language ("zh" or "en") from the catalogue.
type Renderer interface {
	Render(ctx context.Context, e Event, lang string) (Rendered, error)
}

// Message is one delivery to send on a channel.
type Message struct {
	// ID is the delivery's public id: the same on every try, so that a
	// mail client can tell a resend (Message-ID).
	ID    string
	Kind  Kind
	To    Recipient
	Phone string
	Rendered
}

// Sender sends messages on one channel (e-mail, SMS).
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// Reason is why a delivery failed, as the operator's page words it (the
// error's own text is kept for the API and the log).
type Reason string

// The reasons of failure.
const (
	// ReasonRefused: the server or provider refused it for good.
	ReasonRefused Reason = "refused"
	// ReasonRecipient: no address or number, or the account is gone.
	ReasonRecipient Reason = "recipient"
	// ReasonSetup: the channel is not set up for it (no template, no key).
	ReasonSetup Reason = "setup"
	// ReasonTemporary: a passing refusal or fault; tried again.
	ReasonTemporary Reason = "temporary"
	// ReasonUnreachable: the server could not be reached; tried again.
	ReasonUnreachable Reason = "unreachable"
	// ReasonCrash: the sending code failed (a panic); tried again.
	ReasonCrash Reason = "crash"
)

// Reasons lists every reason.
var Reasons = []Reason{ReasonRefused, ReasonRecipient, ReasonSetup, ReasonTemporary, ReasonUnreachable, ReasonCrash}

// failure is an error with its reason, and whether a retry can mend it.
type failure struct {
	reason    Reason
	permanent bool
	err       error
}

func (f failure) Error() string { return f.err.Error() }
func (f failure) Unwrap() error { return f.err }

// Permanent marks err as a refusal no retry mends (a number the provider
// refuses, a mailbox that does not exist): the dispatcher gives the
// delivery up at once instead of trying again.
func Permanent(err error) error { return Fail(ReasonRefused, true, err) }

// Fail gives err a reason and says whether a retry can mend it.
func Fail(reason Reason, permanent bool, err error) error {
	if err == nil {
		return nil
	}
	return failure{reason: reason, permanent: permanent, err: err}
}

// IsPermanent reports whether err was marked as one no retry mends.
func IsPermanent(err error) bool {
	var f failure
	return errors.As(err, &f) && f.permanent
}

// ReasonOf says why err happened: its own reason, a crash for a panic,
// unreachable for a network failure, else temporary.
func ReasonOf(err error) Reason {
	var f failure
	var pe *recovery.PanicError
	var ne net.Error
	switch {
	case errors.As(err, &f):
		return f.reason
	case errors.As(err, &pe):
		return ReasonCrash
	case errors.As(err, &ne), errors.Is(err, context.DeadlineExceeded):
		return ReasonUnreachable
	}
	return ReasonTemporary
}

// KindSender is a Sender that carries some kinds only (SMS: those the
// operator has a template for).
type KindSender interface {
	Sender
	Supports(k Kind) bool
}

// Offers reports whether an event of kind k can go out on ch with these
// senders: the inbox always, another channel when a sender carries k.
func Offers(senders map[Channel]Sender, ch Channel, k Kind) bool {
	if ch == ChannelInbox {
		return true
	}
	s := senders[ch]
	if s == nil {
		return false
	}
	if ks, ok := s.(KindSender); ok {
		return ks.Supports(k)
	}
	return true
}
