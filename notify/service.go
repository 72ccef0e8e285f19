package notify

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// Service is what people do with notifications: read their inbox, choose
// how they are told, and, for the operator, watch and retry deliveries.
type Service struct {
	Store  Store
	Sealer Sealer
	Now    func() time.Time
	// Senders are the optional channels the operator configured (e-mail,
	// SMS; the dispatcher's): the only ones the preferences offer.
	Senders map[Channel]Sender
	// Wake, when set, wakes the dispatcher after a retry.
	Wake func()
}

// MaxPage bounds a page of the inbox or the operator's list.
const MaxPage = 100

func (s *Service) now() time.Time { return s.Now().UTC() }

func signedIn(by *kernel.Principal) error {
	if by == nil {
		return kernel.ErrUnauthorized
	}
	return nil
}

func page(limit, offset int) (int, int, error) {
	if limit == 0 {
		limit = 20
	}
	if limit < 1 || limit > MaxPage {
		return 0, 0, kernel.Invalid("limit", "must be between 1 and %d", MaxPage)
	}
	if offset < 0 {
		return 0, 0, kernel.Invalid("offset", "must not be negative")
	}
	return limit, offset, nil
}

// Inbox returns the caller's messages, newest first, with how many there
// are and how many are unread. ErrUnauthorized, ValidationError (paging).
func (s *Service) Inbox(ctx context.Context, by *kernel.Principal, limit, offset int) (items []InboxItem, total, unread int, err error) {
	if err := signedIn(by); err != nil {
		return nil, 0, 0, err
	}
	if limit, offset, err = page(limit, offset); err != nil {
		return nil, 0, 0, err
	}
	return s.Store.Inbox(ctx, by.User.ID, limit, offset)
}

// Unread counts the caller's unread messages (0 for nobody).
func (s *Service) Unread(ctx context.Context, by *kernel.Principal) (int, error) {
	if by == nil {
		return 0, nil
	}
	return s.Store.Unread(ctx, by.User.ID)
}

// MarkRead marks one of the caller's messages read: ErrNotFound for a
// message that is not theirs.
func (s *Service) MarkRead(ctx context.Context, by *kernel.Principal, itemID string) error {
	if err := signedIn(by); err != nil {
		return err
	}
	if itemID == "" || len(itemID) > 32 {
		return kernel.ErrNotFound
	}
	return s.Store.MarkRead(ctx, by.User.ID, itemID, s.now())
}

// MarkAllRead marks every message of the caller read.
func (s *Service) MarkAllRead(ctx context.Context, by *kernel.Principal) error {
	if err := signedIn(by); err != nil {
		return err
	}
	return s.Store.MarkAllRead(ctx, by.User.ID, s.now())
}

// KindSetting is how a user is told of one kind, and which optional
// channels can carry it.
type KindSetting struct {
	Kind Kind
	Choice
	EmailOffered, SMSOffered bool
}

// Settings are how a user is told: the kinds that may reach their roles
// with their choices, their e-mail address, whether they gave a phone
// number (masked) and which optional channels are offered.
type Settings struct {
	Kinds       []KindSetting
	Email       string
	PhoneSet    bool
	PhoneMasked string
	Offered     []Channel
}

// Offers reports whether the channel is offered.
func (st *Settings) Offers(ch Channel) bool {
	return ch == ChannelInbox || slices.Contains(st.Offered, ch)
}

func roles(by *kernel.Principal) []kernel.Role {
	var out []kernel.Role
	for _, r := range by.RoleNames() {
		out = append(out, kernel.Role(r))
	}
	return out
}

// Settings returns the caller's settings. ErrUnauthorized.
func (s *Service) Settings(ctx context.Context, by *kernel.Principal) (*Settings, error) {
	if err := signedIn(by); err != nil {
		return nil, err
	}
	c, err := s.Store.Choices(ctx, by.User.ID)
	if err != nil {
		return nil, err
	}
	st := &Settings{Email: by.User.Email}
	for _, k := range KindsFor(roles(by)) {
		ks := KindSetting{Kind: k, Choice: c.Of(k), EmailOffered: Offers(s.Senders, ChannelEmail, k), SMSOffered: Offers(s.Senders, ChannelSMS, k)}
		st.Kinds = append(st.Kinds, ks)
		if ks.EmailOffered && !slices.Contains(st.Offered, ChannelEmail) {
			st.Offered = append(st.Offered, ChannelEmail)
		}
		if ks.SMSOffered && !slices.Contains(st.Offered, ChannelSMS) {
			st.Offered = append(st.Offered, ChannelSMS)
		}
	}
	phone, err := s.phone(ctx, by)
	if err != nil {
		return nil, err
	}
	if phone != "" {
		st.PhoneSet, st.PhoneMasked = true, MaskPhone(phone)
	}
	return st, nil
}

func (s *Service) phone(ctx context.Context, by *kernel.Principal) (string, error) {
	ct, kid, err := s.Store.Phone(ctx, by.User.ID)
	if err != nil || len(ct) == 0 {
		return "", err
	}
	b, err := s.Sealer.Open(ct, kid, phoneAD(by.User.PublicID))
	if err != nil {
		return "", fmt.Errorf("notify: open phone: %w", err)
	}
	return string(b), nil
}

// SettingsInput changes a user's settings: the choices for the kinds
// given (others keep theirs), and the phone number when Phone is not nil
// ("" removes it).
type SettingsInput struct {
	Choices Choices
	Phone   *string
}

// SetSettings validates the whole input, then stores it: the phone number
// sealed. A kind that cannot reach the caller's roles, a phone number that
// is not a mainland mobile number, or SMS chosen without a number is a
// *ValidationError and changes nothing. ErrUnauthorized.
func (s *Service) SetSettings(ctx context.Context, by *kernel.Principal, in SettingsInput) (*Settings, error) {
	if err := signedIn(by); err != nil {
		return nil, err
	}
	v := &kernel.ValidationError{}
	mine := KindsFor(roles(by))
	for k := range in.Choices {
		if !slices.Contains(mine, k) {
			v.Add("preferences", "%q is not a kind of notice your roles receive (they are %v)", k, mine)
		}
	}
	phone := ""
	if in.Phone != nil {
		phone = strings.TrimSpace(*in.Phone)
		if phone != "" {
			if !kernel.ValidPhone(phone) {
				v.Add("phone", "must be a mainland mobile number")
			}
			phone = kernel.NormalizePhone(phone)
		}
	} else {
		var err error
		if phone, err = s.phone(ctx, by); err != nil {
			return nil, err
		}
	}
	if phone == "" {
		for _, c := range in.Choices {
			if c.SMS {
				v.Add("phone", "give a mobile number to be told by SMS")
				break
			}
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := s.now()
	if in.Phone != nil {
		var ct []byte
		var kid string
		if phone != "" {
			var err error
			if ct, kid, err = s.Sealer.Seal([]byte(phone), phoneAD(by.User.PublicID)); err != nil {
				return nil, err
			}
		}
		if err := s.Store.SetPhone(ctx, by.User.ID, ct, kid, now); err != nil {
			return nil, err
		}
	}
	if phone == "" {
		// Without a number no SMS can go: the stored choices say so too.
		old, err := s.Store.Choices(ctx, by.User.ID)
		if err != nil {
			return nil, err
		}
		for k, c := range old {
			if _, given := in.Choices[k]; !given && c.SMS {
				if in.Choices == nil {
					in.Choices = Choices{}
				}
				in.Choices[k] = Choice{Email: c.Email}
			}
		}
	}
	if len(in.Choices) > 0 {
		if err := s.Store.SetChoices(ctx, by.User.ID, in.Choices, now); err != nil {
			return nil, err
		}
	}
	return s.Settings(ctx, by)
}

// Deliveries lists deliveries in state (all when "") for the operator,
// the latest first, with their number and the counts of every state.
// Administrators only (ErrForbidden); ValidationError.
func (s *Service) Deliveries(ctx context.Context, by *kernel.Principal, state DeliveryState, limit, offset int) ([]DeliveryView, int, Counts, error) {
	if !by.Has(kernel.RoleAdmin) {
		return nil, 0, Counts{}, kernel.ErrForbidden
	}
	if state != "" && !slices.Contains(DeliveryStates, state) {
		return nil, 0, Counts{}, kernel.Invalid("state", "must be pending, failed or sent")
	}
	limit, offset, err := page(limit, offset)
	if err != nil {
		return nil, 0, Counts{}, err
	}
	ds, total, err := s.Store.Deliveries(ctx, state, limit, offset)
	if err != nil {
		return nil, 0, Counts{}, err
	}
	c, err := s.Store.Counts(ctx)
	return ds, total, c, err
}

// Retry sends a failed delivery again, from its first try: administrators
// only (ErrForbidden); ErrNotFound; ErrConflict when it is not failed.
func (s *Service) Retry(ctx context.Context, by *kernel.Principal, deliveryID string) error {
	if !by.Has(kernel.RoleAdmin) {
		return kernel.ErrForbidden
	}
	if deliveryID == "" || len(deliveryID) > 32 {
		return kernel.ErrNotFound
	}
	err := s.Store.Retry(ctx, deliveryID, s.now())
	if errors.Is(err, kernel.ErrConflict) {
		return kernel.Refuse(kernel.ErrConflict, "refusal_delivery_not_failed", nil, "only a delivery that was given up is tried again")
	}
	if err != nil {
		return err
	}
	if s.Wake != nil {
		s.Wake()
	}
	return nil
}
