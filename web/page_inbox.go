package web

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/notify"
)

// The pages of notifications (issue 18): every user's inbox with the
// unread count in the navigation, their choices of how they are told
// (/my/notifications), and the operator's view of the outbox
// (/admin/notifications). The same rules as the API: one's own inbox and
// settings only; deliveries for administrators.

// inboxPerPage is the number of messages a page of the inbox shows.
const inboxPerPage = 20

// registerNotifyPages adds the pages (none without the service).
func (s *Server) registerNotifyPages() {
	if s.Notify == nil {
		return
	}
	e := s.Echo
	e.GET("/inbox", s.handleInboxPage, requireAuth)
	e.POST("/inbox/read-all", s.handleInboxReadAllForm, requireAuth)
	e.POST("/inbox/:id/read", s.handleInboxReadForm, requireAuth)
	e.GET("/my/notifications", s.handleNotifySettingsPage, requireAuth)
	e.POST("/my/notifications", s.handleNotifySettingsForm, requireAuth)
	admin := []echo.MiddlewareFunc{requireAuth, requireRole(kernel.RoleAdmin)}
	e.GET("/admin/notifications", s.handleDeliveriesPage, admin...)
	e.POST("/admin/notifications/:id/retry", s.handleDeliveryRetryForm, admin...)
}

// unread is the signed-in user's unread count for the navigation (0 on
// any trouble: the page is shown all the same).
func (s *Server) unread(c echo.Context) int {
	if s.Notify == nil || PrincipalOf(c) == nil {
		return 0
	}
	n, err := s.Notify.Unread(c.Request().Context(), PrincipalOf(c))
	if err != nil {
		s.log.Warn("unread count", "error", err.Error())
		return 0
	}
	return n
}

// inboxItemView is a message as the inbox shows it.
type inboxItemView struct {
	ID, Subject, Body, Link string
	At                      time.Time
	Read                    bool
}

// inboxPage is a page of the inbox.
type inboxPage struct {
	Items  []inboxItemView
	Unread int
	Pager  pager
}

// handleInboxPage shows a page of the caller's messages, newest first.
func (s *Server) handleInboxPage(c echo.Context) error {
	page := atoiDefault(c.QueryParam("page"), 1)
	ctx := c.Request().Context()
	items, total, unread, err := s.Notify.Inbox(ctx, PrincipalOf(c), inboxPerPage, (page-1)*inboxPerPage)
	if err != nil {
		return err
	}
	d := inboxPage{Unread: unread, Pager: newPager("/inbox", c.QueryParams(), page, inboxPerPage, total)}
	for _, it := range items {
		n := s.notices.Word(ctx, it.Event, pageLang(c))
		n.Link = linkFor(PrincipalOf(c), n.Link)
		d.Items = append(d.Items, inboxItemView{ID: it.PublicID, Subject: n.Subject, Body: n.Body, Link: n.Link, At: it.CreatedAt, Read: it.ReadAt != nil})
	}
	return s.render(c, http.StatusOK, "inbox", d)
}

// inboxBack is the page of the inbox a form came from.
func inboxBack(c echo.Context) string {
	if p := atoiDefault(c.FormValue("page"), 1); p > 1 {
		return "/inbox?page=" + url.QueryEscape(c.FormValue("page"))
	}
	return "/inbox"
}

// handleInboxReadForm marks one message read (404 for another's).
func (s *Server) handleInboxReadForm(c echo.Context) error {
	if err := s.Notify.MarkRead(c.Request().Context(), PrincipalOf(c), c.Param("id")); err != nil {
		return err
	}
	s.setFlash(c, "flash_inbox_read")
	return c.Redirect(http.StatusSeeOther, inboxBack(c))
}

// handleInboxReadAllForm marks every message of the caller read.
func (s *Server) handleInboxReadAllForm(c echo.Context) error {
	if err := s.Notify.MarkAllRead(c.Request().Context(), PrincipalOf(c)); err != nil {
		return err
	}
	s.setFlash(c, "flash_inbox_all_read")
	return c.Redirect(http.StatusSeeOther, inboxBack(c))
}

// notifySettingsPage is the form of how one is told.
type notifySettingsPage struct {
	Settings *notify.Settings
	// Phone is the number typed in a form shown again.
	Phone        string
	Errors       map[string]string
	FormErrorMsg string
}

// Field names of the form: one checkbox per kind and channel.
func (d notifySettingsPage) EmailField(k notify.Kind) string { return "email_" + string(k) }
func (d notifySettingsPage) SMSField(k notify.Kind) string   { return "sms_" + string(k) }

// Err is the error of a field ("" when none).
func (d notifySettingsPage) Err(k string) string { return d.Errors[k] }

// handleNotifySettingsPage shows the caller's settings.
func (s *Server) handleNotifySettingsPage(c echo.Context) error {
	st, err := s.Notify.Settings(c.Request().Context(), PrincipalOf(c))
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "my_notifications", notifySettingsPage{Settings: st, Errors: map[string]string{}})
}

// handleNotifySettingsForm stores the caller's choices (each kind shown,
// each offered channel ticked or not) and phone number: a new one typed,
// removed when asked, kept otherwise.
func (s *Server) handleNotifySettingsForm(c echo.Context) error {
	ctx, p := c.Request().Context(), PrincipalOf(c)
	st, err := s.Notify.Settings(ctx, p)
	if err != nil {
		return err
	}
	in := notify.SettingsInput{Choices: notify.Choices{}}
	var d notifySettingsPage
	for _, k := range st.Kinds {
		ch := k.Choice
		if k.EmailOffered {
			ch.Email = c.FormValue(d.EmailField(k.Kind)) == "on"
		}
		if k.SMSOffered {
			ch.SMS = c.FormValue(d.SMSField(k.Kind)) == "on"
		}
		in.Choices[k.Kind] = ch
	}
	phone := c.FormValue("phone")
	switch {
	case c.FormValue("remove_phone") == "on":
		empty := ""
		in.Phone = &empty
	case phone != "":
		in.Phone = &phone
	}
	_, err = s.Notify.SetSettings(ctx, p, in)
	var ve *kernel.ValidationError
	switch {
	case err == nil:
		s.setFlash(c, "flash_notify_saved")
		return c.Redirect(http.StatusSeeOther, "/my/notifications")
	case !errors.As(err, &ve):
		return err
	}
	d = notifySettingsPage{Settings: st, Phone: phone, Errors: map[string]string{}, FormErrorMsg: s.pageT(c, "form_has_errors")}
	s.fieldErrors(c, ve, nil, d.Errors)
	// What was ticked, shown again.
	for i, k := range st.Kinds {
		st.Kinds[i].Choice = in.Choices[k.Kind]
	}
	return s.render(c, http.StatusBadRequest, "my_notifications", d)
}

// deliveriesPerPage is the number of deliveries a page shows.
const deliveriesPerPage = 50

// deliveryStates are the tabs of the operator's page, in order.
var deliveryStates = []string{string(notify.StateFailed), string(notify.StatePending), string(notify.StateSent)}

// deliveriesPage is the operator's view of the outbox.
type deliveriesPage struct {
	State  string
	States []string
	Counts notify.Counts
	Items  []notify.DeliveryView
	Pager  pager
}

// Count is the number of deliveries in a state.
func (d deliveriesPage) Count(state string) int {
	switch notify.DeliveryState(state) {
	case notify.StatePending:
		return d.Counts.Pending
	case notify.StateFailed:
		return d.Counts.Failed
	case notify.StateSent:
		return d.Counts.Sent
	}
	return 0
}

// handleDeliveriesPage lists the deliveries of one state (failed first).
func (s *Server) handleDeliveriesPage(c echo.Context) error {
	d := deliveriesPage{State: c.QueryParam("state"), States: deliveryStates}
	if d.State != string(notify.StatePending) && d.State != string(notify.StateSent) {
		d.State = string(notify.StateFailed)
	}
	page := atoiDefault(c.QueryParam("page"), 1)
	items, total, counts, err := s.Notify.Deliveries(c.Request().Context(), PrincipalOf(c), notify.DeliveryState(d.State),
		deliveriesPerPage, (page-1)*deliveriesPerPage)
	if err != nil {
		return err
	}
	d.Items, d.Counts = items, counts
	d.Pager = newPager("/admin/notifications", c.QueryParams(), page, deliveriesPerPage, total)
	return s.render(c, http.StatusOK, "admin_notifications", d)
}

// handleDeliveryRetryForm sends a given-up delivery again.
func (s *Server) handleDeliveryRetryForm(c echo.Context) error {
	if err := s.Notify.Retry(c.Request().Context(), PrincipalOf(c), c.Param("id")); err != nil {
		return err
	}
	s.setFlash(c, "flash_delivery_retried")
	return c.Redirect(http.StatusSeeOther, "/admin/notifications?state=failed")
}
