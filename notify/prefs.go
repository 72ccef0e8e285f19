package notify

import "slices"

// Channel is a way a message reaches someone.
type Channel string

// The channels. The inbox reaches every user always; e-mail and SMS as
// each user chooses, when the operator configured them.
const (
	ChannelInbox Channel = "inbox"
	ChannelEmail Channel = "email"
	ChannelSMS   Channel = "sms"
)

// Channels lists every channel.
var Channels = []Channel{ChannelInbox, ChannelEmail, ChannelSMS}

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool { return slices.Contains(Channels, c) }

// Choice is which of the optional channels a user wants for a kind.
type Choice struct {
	Email bool
	SMS   bool
}

// giftKinds are the donor's own money: told by e-mail unless the donor
// says otherwise.
var giftKinds = []Kind{KindPledgeConfirmed, KindGiftDisbursed, KindMonthlyGiftTaken, KindMonthlyGiftFailed, KindMonthlyGiftDue,
	KindMonthlyGiftChargeFailed}

// DefaultChoice is what a user who chose nothing gets for kind k (besides
// the inbox): e-mail for a donor's gift events, nothing else. SMS is never
// on by default: it needs a phone number the user gave and the box ticked.
func DefaultChoice(k Kind) Choice { return Choice{Email: slices.Contains(giftKinds, k)} }

// Choices are a user's choices by kind; a kind without one has its
// DefaultChoice.
type Choices map[Kind]Choice

// Of returns the choice for k.
func (c Choices) Of(k Kind) Choice {
	if ch, ok := c[k]; ok {
		return ch
	}
	return DefaultChoice(k)
}

// channelsFor returns the channels an event of kind k goes to for a user
// with choices, an e-mail address (or not) and a phone (or not), among the
// configured channels.
func channelsFor(k Kind, c Choices, hasEmail, hasPhone bool, configured func(Channel) bool) []Channel {
	out := []Channel{ChannelInbox}
	ch := c.Of(k)
	if ch.Email && hasEmail && configured(ChannelEmail) {
		out = append(out, ChannelEmail)
	}
	if ch.SMS && hasPhone && configured(ChannelSMS) {
		out = append(out, ChannelSMS)
	}
	return out
}

// MaskPhone shows a mainland mobile number as 138****5678.
func MaskPhone(p string) string {
	if len(p) < 7 {
		return "****"
	}
	return p[:3] + "****" + p[len(p)-4:]
}
