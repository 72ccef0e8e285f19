// Package gormstore keeps the notification outbox, the deliveries, the
// inbox, the users' choices and sealed phone numbers and the dispatcher's
// lease, on SQLite or MySQL/MariaDB. Insert is how other stores write
// events in their own transactions. It reads the accounts (users,
// memberships, organizations) and the donors of pledges to find
// recipients (notify.Directory).
package gormstore

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"
	"gorm.io/gorm"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/notify"
	"github.com/jiujinan/jiujinan/sqldb"
)

// Store is the gorm store of notifications.
type Store struct {
	db *gorm.DB
	// Wake, when set, is called after Publish recorded events on its own.
	Wake func()
}

var (
	_ notify.Store     = (*Store)(nil)
	_ notify.Directory = (*Store)(nil)
)

// New returns the store over db.
func New(db *sqldb.DB) *Store { return &Store{db: db.Gorm} }

func newID() string { return strings.ToLower(ulid.MustNew(ulid.Now(), rand.Reader).String()) }

func us(t time.Time) int64 { return t.UTC().UnixMicro() }

func fromUS(v int64) time.Time { return time.UnixMicro(v).UTC() }

func fromUSPtr(v *int64) *time.Time {
	if v == nil {
		return nil
	}
	t := fromUS(*v)
	return &t
}

// onConflictIgnore is the tail of an INSERT that keeps the existing row
// on a duplicate key, in the dialect of g.
func insertIgnore(g *gorm.DB, table, cols, values string) string {
	if g.Dialector.Name() == "mysql" {
		first, _, _ := strings.Cut(cols, ",")
		return "INSERT INTO " + table + " (" + cols + ") VALUES " + values + " ON DUPLICATE KEY UPDATE " + first + " = " + first
	}
	return "INSERT INTO " + table + " (" + cols + ") VALUES " + values + " ON CONFLICT DO NOTHING"
}

// Insert writes events to the outbox inside tx, the transaction of the
// change that caused them; an event whose key is recorded already is
// dropped. *ValidationError for an event that is not valid (the
// transaction is then the caller's to roll back).
func Insert(tx *gorm.DB, events ...notify.Event) error {
	for i := range events {
		e := &events[i]
		e.At = e.At.UTC().Truncate(time.Microsecond)
		if err := e.Validate(); err != nil {
			return fmt.Errorf("notify: %s: %w", e.Key, err)
		}
		body, err := json.Marshal(e)
		if err != nil {
			return err
		}
		q := insertIgnore(tx, "notify_events", "dedup_key, kind, body, created_us, fanned, recipients", "(?, ?, ?, ?, 0, 0)")
		if err := tx.Exec(q, e.Key, string(e.Kind), string(body), us(e.At)).Error; err != nil {
			return fmt.Errorf("notify: record %s: %w", e, err)
		}
	}
	return nil
}

// Publish implements notify.Outbox on its own transaction: the events of
// a change that committed already. Keys recorded already are not written
// again (one read for all), so that a scan publishing the same events
// every minute costs one query.
func (s *Store) Publish(ctx context.Context, events ...notify.Event) error {
	if len(events) == 0 {
		return nil
	}
	for i := range events {
		if err := events[i].Validate(); err != nil {
			return fmt.Errorf("notify: %s: %w", events[i].Key, err)
		}
	}
	wrote := false
	for start := 0; start < len(events); start += 500 {
		batch := events[start:min(start+500, len(events))]
		keys := make([]string, len(batch))
		for i, e := range batch {
			keys[i] = e.Key
		}
		var have []string
		if err := s.db.WithContext(ctx).Raw("SELECT dedup_key FROM notify_events WHERE dedup_key IN ?", keys).Scan(&have).Error; err != nil {
			return err
		}
		known := make(map[string]bool, len(have))
		for _, k := range have {
			known[k] = true
		}
		var fresh []notify.Event
		for _, e := range batch {
			if !known[e.Key] {
				known[e.Key] = true
				fresh = append(fresh, e)
			}
		}
		if len(fresh) == 0 {
			continue
		}
		err := sqldb.RetryTx(ctx, func() error {
			return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error { return Insert(tx, fresh...) })
		})
		if err != nil {
			return err
		}
		wrote = true
	}
	if wrote && s.Wake != nil {
		s.Wake()
	}
	return nil
}

// ---- the lease

// TakeLease implements notify.Store.
func (s *Store) TakeLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	var got string
	err := sqldb.RetryTx(ctx, func() error {
		return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			until := us(now.Add(ttl))
			if err := tx.Exec(insertIgnore(tx, "notify_leases", "name, holder, expires_us", "(?, ?, ?)"), name, holder, until).Error; err != nil {
				return err
			}
			if err := tx.Exec("UPDATE notify_leases SET holder = ?, expires_us = ? WHERE name = ? AND (holder = ? OR expires_us < ?)",
				holder, until, name, holder, us(now)).Error; err != nil {
				return err
			}
			// The holder as it is now: a row updated to the same values
			// counts as no row changed on MySQL, so the count cannot say.
			return tx.Raw("SELECT holder FROM notify_leases WHERE name = ?", name).Scan(&got).Error
		})
	})
	return got == holder, err
}

// ReleaseLease implements notify.Store.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	return s.db.WithContext(ctx).Exec("DELETE FROM notify_leases WHERE name = ? AND holder = ?", name, holder).Error
}

// ---- events and their fan-out

type eventRow struct {
	ID   int64
	Body string
}

func decodeEvent(body string) (notify.Event, error) {
	var e notify.Event
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		return e, fmt.Errorf("notify: stored event: %w", err)
	}
	return e, nil
}

// WaitingEvents implements notify.Store.
func (s *Store) WaitingEvents(ctx context.Context, limit int) ([]notify.StoredEvent, error) {
	var rows []eventRow
	if err := s.db.WithContext(ctx).Raw("SELECT id, body FROM notify_events WHERE fanned = 0 ORDER BY id LIMIT ?", limit).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]notify.StoredEvent, 0, len(rows))
	for _, r := range rows {
		e, err := decodeEvent(r.Body)
		if err != nil {
			// Left for the dispatcher to mark fanned out to nobody.
			e = notify.Event{}
		}
		out = append(out, notify.StoredEvent{ID: r.ID, Event: e})
	}
	return out, nil
}

// FanOut implements notify.Store.
func (s *Store) FanOut(ctx context.Context, eventID int64, ds []notify.NewDelivery, recipients int, now time.Time) error {
	return sqldb.RetryTx(ctx, func() error {
		return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			q := insertIgnore(tx, "notify_deliveries", "public_id, event_id, user_id, channel, state, attempts, next_us, last_error, created_us, updated_us",
				"(?, ?, ?, ?, ?, 0, ?, '', ?, ?)")
			for _, d := range ds {
				if err := tx.Exec(q, newID(), eventID, d.UserID, string(d.Channel), string(notify.StatePending), us(now), us(now), us(now)).Error; err != nil {
					return err
				}
			}
			return tx.Exec("UPDATE notify_events SET fanned = 1, recipients = ?, fanned_us = ? WHERE id = ?", recipients, us(now), eventID).Error
		})
	})
}

// ---- deliveries

type deliveryRow struct {
	ID         int64
	PublicID   string
	EventID    int64
	UserID     int64
	Channel    string
	State      string
	Attempts   int
	NextUs     int64
	LastReason string
	LastError  string
	CreatedUs  int64
	SentUs     *int64
	Body       string
	// The recipient, for the operator's list.
	UserPublicID string
	DisplayName  string
}

func (r deliveryRow) delivery() notify.Delivery {
	e, _ := decodeEvent(r.Body)
	return notify.Delivery{ID: r.ID, PublicID: r.PublicID, EventID: r.EventID, UserID: r.UserID, Channel: notify.Channel(r.Channel),
		State: notify.DeliveryState(r.State), Attempts: r.Attempts, NextAt: fromUS(r.NextUs), LastReason: notify.Reason(r.LastReason), LastError: r.LastError,
		CreatedAt: fromUS(r.CreatedUs), SentAt: fromUSPtr(r.SentUs), Event: e}
}

const deliveryCols = `d.id, d.public_id, d.event_id, d.user_id, d.channel, d.state, d.attempts, d.next_us, d.last_reason, d.last_error, d.created_us,
	d.sent_us, e.body`

// DueDeliveries implements notify.Store.
func (s *Store) DueDeliveries(ctx context.Context, now time.Time, limit int) ([]notify.Delivery, error) {
	var rows []deliveryRow
	err := s.db.WithContext(ctx).Raw(`SELECT `+deliveryCols+` FROM notify_deliveries d JOIN notify_events e ON e.id = d.event_id
		WHERE d.state = ? AND d.next_us <= ? ORDER BY d.next_us, d.id LIMIT ?`, string(notify.StatePending), us(now), limit).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]notify.Delivery, len(rows))
	for i, r := range rows {
		out[i] = r.delivery()
	}
	return out, nil
}

// ClaimDelivery implements notify.Store.
func (s *Store) ClaimDelivery(ctx context.Context, id int64, was, until time.Time) (bool, error) {
	var n int64
	err := sqldb.RetryTx(ctx, func() error {
		res := s.db.WithContext(ctx).Exec("UPDATE notify_deliveries SET next_us = ? WHERE id = ? AND state = ? AND next_us = ?",
			us(until), id, string(notify.StatePending), us(was))
		n = res.RowsAffected
		return res.Error
	})
	return n == 1, err
}

// MarkSent implements notify.Store.
func (s *Store) MarkSent(ctx context.Context, id int64, attempts int, now time.Time) error {
	return sqldb.RetryTx(ctx, func() error {
		return s.db.WithContext(ctx).Exec("UPDATE notify_deliveries SET state = ?, attempts = ?, sent_us = ?, updated_us = ?, last_reason = '', last_error = '' WHERE id = ?",
			string(notify.StateSent), attempts, us(now), us(now), id).Error
	})
}

// MarkFailed implements notify.Store.
func (s *Store) MarkFailed(ctx context.Context, id int64, attempts int, next *time.Time, reason notify.Reason, errText string, now time.Time) error {
	state, nextUs := notify.StateFailed, us(now)
	if next != nil {
		state, nextUs = notify.StatePending, us(*next)
	}
	return sqldb.RetryTx(ctx, func() error {
		return s.db.WithContext(ctx).Exec("UPDATE notify_deliveries SET state = ?, attempts = ?, next_us = ?, last_reason = ?, last_error = ?, updated_us = ? WHERE id = ?",
			string(state), attempts, nextUs, string(reason), errText, us(now), id).Error
	})
}

// Deliveries implements notify.Store.
func (s *Store) Deliveries(ctx context.Context, state notify.DeliveryState, limit, offset int) ([]notify.DeliveryView, int, error) {
	where, args := "", []any{}
	if state != "" {
		where, args = " WHERE d.state = ?", append(args, string(state))
	}
	var total int64
	if err := s.db.WithContext(ctx).Raw("SELECT COUNT(*) FROM notify_deliveries d"+where, args...).Scan(&total).Error; err != nil {
		return nil, 0, err
	}
	var rows []deliveryRow
	err := s.db.WithContext(ctx).Raw(`SELECT `+deliveryCols+`, u.public_id AS user_public_id, u.display_name
		FROM notify_deliveries d JOIN notify_events e ON e.id = d.event_id JOIN users u ON u.id = d.user_id`+where+
		` ORDER BY d.id DESC LIMIT ? OFFSET ?`, append(args, limit, offset)...).Scan(&rows).Error
	if err != nil {
		return nil, 0, err
	}
	out := make([]notify.DeliveryView, len(rows))
	for i, r := range rows {
		out[i] = notify.DeliveryView{Delivery: r.delivery(), UserPublicID: r.UserPublicID, DisplayName: r.DisplayName}
	}
	return out, int(total), nil
}

// Counts implements notify.Store.
func (s *Store) Counts(ctx context.Context) (notify.Counts, error) {
	var c notify.Counts
	var rows []struct {
		State string
		N     int
	}
	if err := s.db.WithContext(ctx).Raw("SELECT state, COUNT(*) AS n FROM notify_deliveries GROUP BY state").Scan(&rows).Error; err != nil {
		return c, err
	}
	for _, r := range rows {
		switch notify.DeliveryState(r.State) {
		case notify.StatePending:
			c.Pending = r.N
		case notify.StateFailed:
			c.Failed = r.N
		case notify.StateSent:
			c.Sent = r.N
		}
	}
	var w int64
	if err := s.db.WithContext(ctx).Raw("SELECT COUNT(*) FROM notify_events WHERE fanned = 0").Scan(&w).Error; err != nil {
		return c, err
	}
	c.Waiting = int(w)
	return c, nil
}

// Retry implements notify.Store.
func (s *Store) Retry(ctx context.Context, deliveryPublicID string, now time.Time) error {
	return sqldb.RetryTx(ctx, func() error {
		return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			var state string
			if err := tx.Raw("SELECT state FROM notify_deliveries WHERE public_id = ?", deliveryPublicID).Scan(&state).Error; err != nil {
				return err
			}
			switch notify.DeliveryState(state) {
			case "":
				return kernel.ErrNotFound
			case notify.StateFailed:
			default:
				return kernel.ErrConflict
			}
			return tx.Exec("UPDATE notify_deliveries SET state = ?, attempts = 0, next_us = ?, updated_us = ? WHERE public_id = ? AND state = ?",
				string(notify.StatePending), us(now), us(now), deliveryPublicID, string(notify.StateFailed)).Error
		})
	})
}

// ---- the inbox

// DeliverInbox implements notify.Store.
func (s *Store) DeliverInbox(ctx context.Context, eventID, userID int64, now time.Time) error {
	return sqldb.RetryTx(ctx, func() error {
		g := s.db.WithContext(ctx)
		return g.Exec(insertIgnore(g, "notify_inbox", "public_id, user_id, event_id, created_us", "(?, ?, ?, ?)"), newID(), userID, eventID, us(now)).Error
	})
}

type inboxRow struct {
	PublicID  string
	CreatedUs int64
	ReadUs    *int64
	Body      string
}

// Inbox implements notify.Store.
func (s *Store) Inbox(ctx context.Context, userID int64, limit, offset int) ([]notify.InboxItem, int, int, error) {
	var total, unread int64
	g := s.db.WithContext(ctx)
	if err := g.Raw("SELECT COUNT(*) FROM notify_inbox WHERE user_id = ?", userID).Scan(&total).Error; err != nil {
		return nil, 0, 0, err
	}
	if err := g.Raw("SELECT COUNT(*) FROM notify_inbox WHERE user_id = ? AND read_us IS NULL", userID).Scan(&unread).Error; err != nil {
		return nil, 0, 0, err
	}
	var rows []inboxRow
	err := g.Raw(`SELECT i.public_id, i.created_us, i.read_us, e.body FROM notify_inbox i JOIN notify_events e ON e.id = i.event_id
		WHERE i.user_id = ? ORDER BY i.id DESC LIMIT ? OFFSET ?`, userID, limit, offset).Scan(&rows).Error
	if err != nil {
		return nil, 0, 0, err
	}
	out := make([]notify.InboxItem, 0, len(rows))
	for _, r := range rows {
		e, err := decodeEvent(r.Body)
		if err != nil {
			return nil, 0, 0, err
		}
		out = append(out, notify.InboxItem{PublicID: r.PublicID, CreatedAt: fromUS(r.CreatedUs), ReadAt: fromUSPtr(r.ReadUs), Event: e})
	}
	return out, int(total), int(unread), nil
}

// Unread implements notify.Store.
func (s *Store) Unread(ctx context.Context, userID int64) (int, error) {
	var n int64
	err := s.db.WithContext(ctx).Raw("SELECT COUNT(*) FROM notify_inbox WHERE user_id = ? AND read_us IS NULL", userID).Scan(&n).Error
	return int(n), err
}

// MarkRead implements notify.Store.
func (s *Store) MarkRead(ctx context.Context, userID int64, itemPublicID string, now time.Time) error {
	return sqldb.RetryTx(ctx, func() error {
		return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			var n int64
			if err := tx.Raw("SELECT COUNT(*) FROM notify_inbox WHERE public_id = ? AND user_id = ?", itemPublicID, userID).Scan(&n).Error; err != nil {
				return err
			}
			if n == 0 {
				return kernel.ErrNotFound
			}
			return tx.Exec("UPDATE notify_inbox SET read_us = ? WHERE public_id = ? AND user_id = ? AND read_us IS NULL", us(now), itemPublicID, userID).Error
		})
	})
}

// MarkAllRead implements notify.Store.
func (s *Store) MarkAllRead(ctx context.Context, userID int64, now time.Time) error {
	return sqldb.RetryTx(ctx, func() error {
		return s.db.WithContext(ctx).Exec("UPDATE notify_inbox SET read_us = ? WHERE user_id = ? AND read_us IS NULL", us(now), userID).Error
	})
}

// ---- choices and phones

// Choices implements notify.Store.
func (s *Store) Choices(ctx context.Context, userID int64) (notify.Choices, error) {
	var rows []struct {
		Kind  string
		Email bool
		SMS   bool `gorm:"column:sms"`
	}
	if err := s.db.WithContext(ctx).Raw("SELECT kind, email, sms FROM notify_choices WHERE user_id = ?", userID).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := notify.Choices{}
	for _, r := range rows {
		out[notify.Kind(r.Kind)] = notify.Choice{Email: r.Email, SMS: r.SMS}
	}
	return out, nil
}

// SetChoices implements notify.Store.
func (s *Store) SetChoices(ctx context.Context, userID int64, c notify.Choices, now time.Time) error {
	return sqldb.RetryTx(ctx, func() error {
		return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			for k, ch := range c {
				if err := tx.Exec("DELETE FROM notify_choices WHERE user_id = ? AND kind = ?", userID, string(k)).Error; err != nil {
					return err
				}
				if err := tx.Exec("INSERT INTO notify_choices (user_id, kind, email, sms, updated_us) VALUES (?, ?, ?, ?, ?)",
					userID, string(k), ch.Email, ch.SMS, us(now)).Error; err != nil {
					return err
				}
			}
			return nil
		})
	})
}

// Phone implements notify.Store.
func (s *Store) Phone(ctx context.Context, userID int64) ([]byte, string, error) {
	var rows []struct {
		PhoneCt  []byte
		PhoneKid string
	}
	if err := s.db.WithContext(ctx).Raw("SELECT phone_ct, phone_kid FROM notify_phones WHERE user_id = ?", userID).Scan(&rows).Error; err != nil {
		return nil, "", err
	}
	if len(rows) == 0 {
		return nil, "", nil
	}
	return rows[0].PhoneCt, rows[0].PhoneKid, nil
}

// SetPhone implements notify.Store.
func (s *Store) SetPhone(ctx context.Context, userID int64, ct []byte, keyID string, now time.Time) error {
	return sqldb.RetryTx(ctx, func() error {
		return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			if err := tx.Exec("DELETE FROM notify_phones WHERE user_id = ?", userID).Error; err != nil {
				return err
			}
			if len(ct) == 0 {
				return nil
			}
			return tx.Exec("INSERT INTO notify_phones (user_id, phone_ct, phone_kid, updated_us) VALUES (?, ?, ?, ?)", userID, ct, keyID, us(now)).Error
		})
	})
}

// ---- the directory

type memberRow struct {
	ID          int64
	PublicID    string
	DisplayName string
	Email       string
	Disabled    bool
	RegionCode  string
}

func (r memberRow) recipient() notify.Recipient {
	return notify.Recipient{UserID: r.ID, PublicID: r.PublicID, DisplayName: r.DisplayName, Email: r.Email, Disabled: r.Disabled}
}

const userCols = "u.id, u.public_id, u.display_name, u.email, u.disabled"

// StaffIn implements notify.Directory.
func (s *Store) StaffIn(ctx context.Context, role kernel.Role, kinds []kernel.OrgKind, regions []string) ([]notify.Member, error) {
	if len(regions) == 0 {
		return nil, nil
	}
	q := `SELECT ` + userCols + `, o.region_code FROM memberships m JOIN users u ON u.id = m.user_id JOIN organizations o ON o.id = m.org_id
		WHERE m.role = ? AND o.region_code IN ?`
	args := []any{string(role), regions}
	if len(kinds) > 0 {
		ks := make([]string, len(kinds))
		for i, k := range kinds {
			ks[i] = string(k)
		}
		q += " AND o.kind IN ?"
		args = append(args, ks)
	}
	var rows []memberRow
	if err := s.db.WithContext(ctx).Raw(q+" ORDER BY u.id", args...).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]notify.Member, len(rows))
	for i, r := range rows {
		out[i] = notify.Member{Recipient: r.recipient(), OrgRegion: r.RegionCode}
	}
	return out, nil
}

// StaffOf implements notify.Directory.
func (s *Store) StaffOf(ctx context.Context, orgPublicID string, role kernel.Role) ([]notify.Recipient, error) {
	var rows []memberRow
	err := s.db.WithContext(ctx).Raw(`SELECT `+userCols+` FROM memberships m JOIN users u ON u.id = m.user_id JOIN organizations o ON o.id = m.org_id
		WHERE o.public_id = ? AND m.role = ? ORDER BY u.id`, orgPublicID, string(role)).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]notify.Recipient, len(rows))
	for i, r := range rows {
		out[i] = r.recipient()
	}
	return out, nil
}

func (s *Store) oneUser(ctx context.Context, q string, arg any) (*notify.Recipient, error) {
	var rows []memberRow
	if err := s.db.WithContext(ctx).Raw(q, arg).Scan(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, kernel.ErrNotFound
	}
	r := rows[0].recipient()
	return &r, nil
}

// User implements notify.Directory.
func (s *Store) User(ctx context.Context, publicID string, row int64) (*notify.Recipient, error) {
	if publicID != "" {
		return s.oneUser(ctx, "SELECT "+userCols+" FROM users u WHERE u.public_id = ?", publicID)
	}
	if row == 0 {
		return nil, kernel.ErrNotFound
	}
	return s.oneUser(ctx, "SELECT "+userCols+" FROM users u WHERE u.id = ?", row)
}

// PledgeDonor implements notify.Directory.
func (s *Store) PledgeDonor(ctx context.Context, pledgeRow int64) (*notify.Recipient, error) {
	r, err := s.oneUser(ctx, "SELECT "+userCols+" FROM pledges p JOIN users u ON u.id = p.donor_id WHERE p.id = ?", pledgeRow)
	if errors.Is(err, kernel.ErrNotFound) {
		return nil, fmt.Errorf("notify: the donor of pledge %d: %w", pledgeRow, err)
	}
	return r, err
}
