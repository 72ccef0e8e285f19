package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/notify"
)

// registerNotifyRoutes adds notifications under /api/v1: the caller's
// inbox and settings (every signed-in user, their own only), and the
// operator's view of deliveries with their retry (administrators).
func (s *Server) registerNotifyRoutes(g *echo.Group) {
	if s.Notify == nil {
		return
	}
	s.signedIn(g, http.MethodGet, "/inbox", s.handleInboxList)
	s.signedIn(g, http.MethodPost, "/inbox/:id/read", s.handleInboxRead)
	s.signedIn(g, http.MethodGet, "/me/notification-settings", s.handleNotifySettingsGet)
	s.signedIn(g, http.MethodPut, "/me/notification-settings", s.handleNotifySettingsPut)
	s.only(g, http.MethodGet, "/admin/notifications", s.handleDeliveryList, kernel.RoleAdmin)
	s.only(g, http.MethodPost, "/admin/notifications/:id/retry", s.handleDeliveryRetry, kernel.RoleAdmin)
}

type inboxItemJSON struct {
	ID        string      `json:"id"`
	Kind      notify.Kind `json:"kind"`
	Subject   string      `json:"subject"`
	Body      string      `json:"body"`
	Link      string      `json:"link"`
	CreatedAt time.Time   `json:"created_at"`
	ReadAt    *time.Time  `json:"read_at"`
}

// handleInboxList returns the caller's messages, newest first, worded in
// the request's language: ?limit (1–100, 20) and ?offset.
func (s *Server) handleInboxList(c echo.Context) error {
	limit, err := queryIntIn(c, "limit", 20, 1, notify.MaxPage)
	if err != nil {
		return err
	}
	offset, err := queryIntIn(c, "offset", 0, 0, 1<<30)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	items, total, unread, err := s.Notify.Inbox(ctx, PrincipalOf(c), limit, offset)
	if err != nil {
		return err
	}
	out := make([]inboxItemJSON, len(items))
	for i, it := range items {
		n := s.notices.Word(ctx, it.Event, pageLang(c))
		n.Link = linkFor(PrincipalOf(c), n.Link)
		out[i] = inboxItemJSON{ID: it.PublicID, Kind: it.Event.Kind, Subject: n.Subject, Body: n.Body, Link: n.Link, CreatedAt: it.CreatedAt, ReadAt: it.ReadAt}
	}
	return c.JSON(http.StatusOK, map[string]any{"items": out, "total": total, "unread": unread})
}

// handleInboxRead marks one of the caller's messages read (404 for
// another's) and answers how many are left unread.
func (s *Server) handleInboxRead(c echo.Context) error {
	ctx, p := c.Request().Context(), PrincipalOf(c)
	if err := s.Notify.MarkRead(ctx, p, c.Param("id")); err != nil {
		return err
	}
	n, err := s.Notify.Unread(ctx, p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"unread": n})
}

type kindSettingJSON struct {
	Kind         notify.Kind `json:"kind"`
	Inbox        bool        `json:"inbox"`
	Email        bool        `json:"email"`
	SMS          bool        `json:"sms"`
	EmailOffered bool        `json:"email_offered"`
	SMSOffered   bool        `json:"sms_offered"`
}

type notifySettingsJSON struct {
	Email       string            `json:"email"`
	PhoneSet    bool              `json:"phone_set"`
	PhoneMasked string            `json:"phone_masked"`
	Channels    []notify.Channel  `json:"channels"`
	Preferences []kindSettingJSON `json:"preferences"`
}

func toNotifySettingsJSON(st *notify.Settings) notifySettingsJSON {
	out := notifySettingsJSON{Email: st.Email, PhoneSet: st.PhoneSet, PhoneMasked: st.PhoneMasked,
		Channels: append([]notify.Channel{notify.ChannelInbox}, st.Offered...), Preferences: []kindSettingJSON{}}
	for _, k := range st.Kinds {
		out.Preferences = append(out.Preferences, kindSettingJSON{Kind: k.Kind, Inbox: true, Email: k.Email, SMS: k.SMS,
			EmailOffered: k.EmailOffered, SMSOffered: k.SMSOffered})
	}
	return out
}

// handleNotifySettingsGet returns how the caller is told of each kind of
// event their roles receive.
func (s *Server) handleNotifySettingsGet(c echo.Context) error {
	st, err := s.Notify.Settings(c.Request().Context(), PrincipalOf(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toNotifySettingsJSON(st))
}

type notifySettingsRequest struct {
	// Phone, when present, replaces the number SMS goes to ("" removes it).
	Phone       *string `json:"phone"`
	Preferences []struct {
		Kind  notify.Kind `json:"kind"`
		Email bool        `json:"email"`
		SMS   bool        `json:"sms"`
	} `json:"preferences"`
}

// handleNotifySettingsPut changes the caller's choices for the kinds it
// names and, with phone, the number SMS goes to.
func (s *Server) handleNotifySettingsPut(c echo.Context) error {
	var req notifySettingsRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	in := notify.SettingsInput{Phone: req.Phone, Choices: notify.Choices{}}
	for _, p := range req.Preferences {
		in.Choices[p.Kind] = notify.Choice{Email: p.Email, SMS: p.SMS}
	}
	st, err := s.Notify.SetSettings(c.Request().Context(), PrincipalOf(c), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toNotifySettingsJSON(st))
}

type deliveryJSON struct {
	ID         string               `json:"id"`
	Kind       notify.Kind          `json:"kind"`
	Channel    notify.Channel       `json:"channel"`
	State      notify.DeliveryState `json:"state"`
	Attempts   int                  `json:"attempts"`
	NextAt     *time.Time           `json:"next_attempt_at"`
	SentAt     *time.Time           `json:"sent_at"`
	LastError  string               `json:"last_error"`
	LastReason notify.Reason        `json:"last_reason"`
	CreatedAt  time.Time            `json:"created_at"`
	Recipient  struct {
		ID          string `json:"id"`
		DisplayName string `json:"display_name"`
	} `json:"recipient"`
}

func toDeliveryJSON(d *notify.DeliveryView) deliveryJSON {
	out := deliveryJSON{ID: d.PublicID, Kind: d.Event.Kind, Channel: d.Channel, State: d.State, Attempts: d.Attempts, SentAt: d.SentAt,
		LastError: d.LastError, LastReason: d.LastReason, CreatedAt: d.CreatedAt}
	if d.State == notify.StatePending {
		next := d.NextAt
		out.NextAt = &next
	}
	out.Recipient.ID, out.Recipient.DisplayName = d.UserPublicID, d.DisplayName
	return out
}

// handleDeliveryList lists deliveries for the operator, the latest first:
// ?state=pending|failed|sent, ?limit, ?offset; with the counts of each
// state and the events waiting to be fanned out.
func (s *Server) handleDeliveryList(c echo.Context) error {
	limit, err := queryIntIn(c, "limit", 50, 1, notify.MaxPage)
	if err != nil {
		return err
	}
	offset, err := queryIntIn(c, "offset", 0, 0, 1<<30)
	if err != nil {
		return err
	}
	ds, total, counts, err := s.Notify.Deliveries(c.Request().Context(), PrincipalOf(c), notify.DeliveryState(c.QueryParam("state")), limit, offset)
	if err != nil {
		return err
	}
	out := make([]deliveryJSON, len(ds))
	for i := range ds {
		out[i] = toDeliveryJSON(&ds[i])
	}
	return c.JSON(http.StatusOK, map[string]any{"items": out, "total": total, "counts": map[string]int{
		"pending": counts.Pending, "failed": counts.Failed, "sent": counts.Sent, "waiting_events": counts.Waiting}})
}

// handleDeliveryRetry sends a delivery that was given up again, from its
// first try (409 for one that is not failed).
func (s *Server) handleDeliveryRetry(c echo.Context) error {
	if err := s.Notify.Retry(c.Request().Context(), PrincipalOf(c), c.Param("id")); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"id": c.Param("id"), "state": notify.StatePending})
}
