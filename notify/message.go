package notify

import (
	"context"
	"errors"
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

// permanent marks an error no retry can mend.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent marks err as one that no retry mends (a number the provider
// refuses, a template missing): the dispatcher gives the delivery up at
// once instead of trying again.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanent{err}
}

// IsPermanent reports whether err was marked Permanent.
func IsPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
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
