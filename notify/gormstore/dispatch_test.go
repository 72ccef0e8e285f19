package gormstore_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	"gorm.io/gorm"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
	mstore "github.com/jiujinan/jiujinan/marketplace/gormstore"
	"github.com/jiujinan/jiujinan/notify"
	"github.com/jiujinan/jiujinan/notify/gormstore"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

func newID() string { return strings.ToLower(ulid.MustNew(ulid.Now(), rand.Reader).String()) }

// clock is a test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// recorder is a channel that records what it sent and fails as told.
type recorder struct {
	mu   sync.Mutex
	sent []notify.Message
	// fail answers each try; nil sends.
	fail func(m notify.Message) error
}

func (r *recorder) Send(_ context.Context, m notify.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		if err := r.fail(m); err != nil {
			return err
		}
	}
	r.sent = append(r.sent, m)
	return nil
}

func (r *recorder) to(email string) []notify.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []notify.Message
	for _, m := range r.sent {
		if m.To.Email == email {
			out = append(out, m)
		}
	}
	return out
}

// words is a renderer that says the kind and the title.
type words struct{}

func (words) Render(_ context.Context, e notify.Event, lang string) (notify.Rendered, error) {
	return notify.Rendered{Subject: string(e.Kind), Text: e.Title, Vars: map[string]string{"title": e.Title}}, nil
}

// fixture is a database with a civil affairs office and a social work
// agency in 郓城县 (371725), another civil affairs office in 牡丹区
// (371702), a verifier in each office, a social worker and a donor.
type fixture struct {
	db                       *sqldb.DB
	store                    *gormstore.Store
	clock                    *clock
	email                    *recorder
	verA, verB, worker, dnr  *kernel.Principal
	agency                   *kernel.Org
	accounts                 *marketplace.AccountService
	divisions                *kernel.Divisions
	dispatchers              []*notify.Dispatcher
	admin                    *kernel.Principal
	ctx                      context.Context
	t                        *testing.T
	quiet                    *slog.Logger
	verAEmail, verBEmail, sw string
}

func newFixture(t *testing.T, db *sqldb.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	div, err := kernel.LoadDivisions()
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, store: gormstore.New(db), clock: &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}, email: &recorder{},
		divisions: div, ctx: ctx, t: t, quiet: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ms := mstore.New(db)
	f.accounts = marketplace.NewAccountService(ms, f.clock.Now, newID)
	u, err := f.accounts.CreateAdmin(ctx, "admin@test.example", "admin-password-1", "管理员")
	if err != nil {
		t.Fatal(err)
	}
	if f.admin, err = ms.Principal(ctx, u.PublicID); err != nil {
		t.Fatal(err)
	}
	org := func(name string, kind kernel.OrgKind, region string) *kernel.Org {
		o, err := f.accounts.CreateOrg(ctx, f.admin, marketplace.NewOrg{Name: name, Kind: kind, RegionCode: region})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	member := func(o *kernel.Org, role kernel.Role, email string) *kernel.Principal {
		n := marketplace.NewUser{Email: email, Password: "password-12345", DisplayName: "用户", Role: role}
		var u *kernel.User
		var err error
		if o == nil {
			u, err = f.accounts.Register(ctx, n)
		} else {
			u, err = f.accounts.AddMember(ctx, f.admin, o.PublicID, n)
		}
		if err != nil {
			t.Fatal(err)
		}
		p, err := ms.Principal(ctx, u.PublicID)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	yc := org("郓城县民政局", kernel.OrgCivilAffairs, "371725")
	md := org("牡丹区民政局", kernel.OrgCivilAffairs, "371702")
	f.agency = org("郓城县社工站", kernel.OrgSocialWorkAgency, "371725")
	f.verAEmail, f.verBEmail, f.sw = "ver-a@test.example", "ver-b@test.example", "worker@test.example"
	f.verA = member(yc, kernel.RoleVerifier, f.verAEmail)
	f.verB = member(md, kernel.RoleVerifier, f.verBEmail)
	f.worker = member(f.agency, kernel.RoleSocialWorker, f.sw)
	f.dnr = member(nil, kernel.RoleDonor, "donor@test.example")
	return f
}

// dispatcher returns a dispatcher over the fixture's database (a store of
// its own, as another instance would have) sending e-mail to f.email.
func (f *fixture) dispatcher(holder string) *notify.Dispatcher {
	d := &notify.Dispatcher{Store: gormstore.New(f.db), Directory: f.store, Divisions: f.divisions,
		Senders: map[notify.Channel]notify.Sender{notify.ChannelEmail: f.email}, Render: words{}, Now: f.clock.Now, Log: f.quiet,
		Holder: holder, MaxAttempts: 4, Backoff: time.Minute, MaxBackoff: 3 * time.Minute}
	return d
}

func (f *fixture) pass(d *notify.Dispatcher) notify.Pass {
	f.t.Helper()
	p, err := d.RunOnce(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func (f *fixture) inbox(p *kernel.Principal) []notify.InboxItem {
	f.t.Helper()
	items, _, _, err := f.store.Inbox(f.ctx, p.User.ID, 100, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	return items
}

func overdue(need string) notify.Event {
	return notify.ClearanceOverdue(notify.NeedRef{ID: need, Region: "371725001", Title: "透析费用", Category: kernel.CatMedical},
		time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
}

// An event reaches the verifiers whose office covers its region, by rule:
// in the inbox, and by e-mail where they chose it; another county's
// verifier hears nothing; publishing the same event again, in a
// transaction or on its own, adds nothing.
func TestOutboxToInboxAndEmailOnce(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := f.ctx
		if err := f.store.SetChoices(ctx, f.verA.User.ID, notify.Choices{notify.KindClearanceOverdue: {Email: true}}, f.clock.Now()); err != nil {
			t.Fatal(err)
		}
		ev := overdue("need1")
		if err := db.Gorm.Transaction(func(tx *gorm.DB) error { return gormstore.Insert(tx, ev) }); err != nil {
			t.Fatal(err)
		}
		if err := f.store.Publish(ctx, ev, ev); err != nil {
			t.Fatal(err)
		}
		if err := db.Gorm.Transaction(func(tx *gorm.DB) error { return gormstore.Insert(tx, ev) }); err != nil {
			t.Fatal(err)
		}
		// A transaction that rolls back leaves no event.
		rolled := overdue("need2")
		_ = db.Gorm.Transaction(func(tx *gorm.DB) error {
			if err := gormstore.Insert(tx, rolled); err != nil {
				t.Fatal(err)
			}
			return errors.New("the change failed")
		})
		d := f.dispatcher("a")
		p := f.pass(d)
		if !p.Leader || p.FannedOut != 1 || p.Sent != 2 {
			t.Fatalf("pass: %+v, want 1 event fanned out and 2 deliveries sent (inbox, e-mail)", p)
		}
		if got := f.inbox(f.verA); len(got) != 1 || got[0].Event.Need != "need1" || got[0].ReadAt != nil {
			t.Fatalf("verifier A's inbox: %+v", got)
		}
		if got := f.inbox(f.verB); len(got) != 0 {
			t.Fatalf("another county's verifier was told: %+v", got)
		}
		if got := f.inbox(f.worker); len(got) != 0 {
			t.Fatalf("a social worker was told of a clearance: %+v", got)
		}
		if got := f.email.to(f.verAEmail); len(got) != 1 || got[0].Subject != "clearance_overdue" {
			t.Fatalf("e-mail to verifier A: %+v", got)
		}
		// Nothing more to do, however often it runs.
		if p := f.pass(d); p.FannedOut != 0 || p.Sent != 0 {
			t.Fatalf("second pass: %+v", p)
		}
		if got := f.inbox(f.verA); len(got) != 1 {
			t.Fatalf("inbox after a second pass: %d", len(got))
		}
		c, err := f.store.Counts(ctx)
		if err != nil || c.Sent != 2 || c.Pending != 0 || c.Failed != 0 || c.Waiting != 0 {
			t.Fatalf("counts: %+v %v", c, err)
		}
		// Read: the unread count goes down.
		if n, _ := f.store.Unread(ctx, f.verA.User.ID); n != 1 {
			t.Fatalf("unread %d", n)
		}
		if err := f.store.MarkRead(ctx, f.verB.User.ID, f.inbox(f.verA)[0].PublicID, f.clock.Now()); !errors.Is(err, kernel.ErrNotFound) {
			t.Fatalf("another user marks the message read: %v", err)
		}
		if err := f.store.MarkRead(ctx, f.verA.User.ID, f.inbox(f.verA)[0].PublicID, f.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if n, _ := f.store.Unread(ctx, f.verA.User.ID); n != 0 {
			t.Fatalf("unread after reading %d", n)
		}
	})
}

// A failing channel is tried again after 1, 2, then 3 minutes (doubling,
// capped), and given up after its fourth try with the error kept; the
// operator's retry sends it. The inbox went out at once meanwhile.
func TestFailingChannelBacksOffAndGivesUp(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := f.ctx
		if err := f.store.SetChoices(ctx, f.verA.User.ID, notify.Choices{notify.KindClearanceOverdue: {Email: true}}, f.clock.Now()); err != nil {
			t.Fatal(err)
		}
		tries := 0
		f.email.fail = func(notify.Message) error { tries++; return errors.New("421 4.7.0 try again later") }
		if err := f.store.Publish(ctx, overdue("need1")); err != nil {
			t.Fatal(err)
		}
		d := f.dispatcher("a")
		if p := f.pass(d); p.Sent != 1 || p.Retrying != 1 {
			t.Fatalf("first pass: %+v", p)
		}
		pending := func() notify.DeliveryView {
			t.Helper()
			ds, _, err := f.store.Deliveries(ctx, "", 10, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range ds {
				if x.Channel == notify.ChannelEmail {
					return x
				}
			}
			t.Fatal("no e-mail delivery")
			return notify.DeliveryView{}
		}
		start := f.clock.Now()
		if x := pending(); x.State != notify.StatePending || x.Attempts != 1 || !x.NextAt.Equal(start.Add(time.Minute)) ||
			x.LastError != "421 4.7.0 try again later" || x.LastReason != notify.ReasonTemporary || x.DisplayName == "" {
			t.Fatalf("after one failure: %+v", x)
		}
		// Not before its time.
		f.clock.Add(59 * time.Second)
		if p := f.pass(d); p.Sent+p.Retrying+p.GivenUp != 0 {
			t.Fatalf("tried before its time: %+v", p)
		}
		f.clock.Add(time.Second)
		f.pass(d)
		if x := pending(); x.Attempts != 2 || !x.NextAt.Equal(f.clock.Now().Add(2*time.Minute)) {
			t.Fatalf("after two failures: %+v", x)
		}
		f.clock.Add(2 * time.Minute)
		f.pass(d)
		if x := pending(); x.Attempts != 3 || !x.NextAt.Equal(f.clock.Now().Add(3*time.Minute)) {
			t.Fatalf("after three failures (capped at 3 min): %+v", x)
		}
		f.clock.Add(3 * time.Minute)
		if p := f.pass(d); p.GivenUp != 1 {
			t.Fatalf("fourth try: %+v", p)
		}
		if x := pending(); x.State != notify.StateFailed || x.Attempts != 4 || tries != 4 {
			t.Fatalf("after four failures: %+v, %d tries", x, tries)
		}
		f.clock.Add(time.Hour)
		if p := f.pass(d); p.Sent+p.Retrying+p.GivenUp != 0 {
			t.Fatalf("a given-up delivery was tried: %+v", p)
		}
		svc := &notify.Service{Store: f.store, Now: f.clock.Now}
		if err := svc.Retry(ctx, f.verA, pending().PublicID); !errors.Is(err, kernel.ErrForbidden) {
			t.Fatalf("a verifier retries: %v", err)
		}
		f.email.fail = nil
		if err := svc.Retry(ctx, f.admin, pending().PublicID); err != nil {
			t.Fatal(err)
		}
		if err := svc.Retry(ctx, f.admin, pending().PublicID); !errors.Is(err, kernel.ErrConflict) {
			t.Fatalf("retrying a pending delivery: %v", err)
		}
		if p := f.pass(d); p.Sent != 1 {
			t.Fatalf("after the retry: %+v", p)
		}
		if x := pending(); x.State != notify.StateSent || x.LastError != "" || len(f.email.to(f.verAEmail)) != 1 {
			t.Fatalf("after the retry: %+v", x)
		}
		if got := f.inbox(f.verA); len(got) != 1 {
			t.Fatalf("inbox: %d", len(got))
		}
	})
}

// A refusal no retry mends gives the delivery up at once.
func TestPermanentRefusalGivesUpAtOnce(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		if err := f.store.SetChoices(f.ctx, f.verA.User.ID, notify.Choices{notify.KindClearanceOverdue: {Email: true}}, f.clock.Now()); err != nil {
			t.Fatal(err)
		}
		f.email.fail = func(notify.Message) error { return notify.Permanent(errors.New("550 5.1.1 no such mailbox")) }
		if err := f.store.Publish(f.ctx, overdue("need1")); err != nil {
			t.Fatal(err)
		}
		if p := f.pass(f.dispatcher("a")); p.GivenUp != 1 || p.Sent != 1 {
			t.Fatalf("pass: %+v", p)
		}
		ds, n, err := f.store.Deliveries(f.ctx, notify.StateFailed, 10, 0)
		if err != nil || n != 1 || ds[0].Attempts != 1 || !strings.Contains(ds[0].LastError, "550") || ds[0].LastReason != notify.ReasonRefused {
			t.Fatalf("failed: %+v %d %v", ds, n, err)
		}
	})
}

// crashingStore loses the mark of the first sent delivery of channel on,
// as a crash between sending and marking would.
type crashingStore struct {
	notify.Store
	on      notify.Channel
	chans   map[int64]notify.Channel
	crashed bool
}

func (c *crashingStore) DueDeliveries(ctx context.Context, now time.Time, limit int) ([]notify.Delivery, error) {
	ds, err := c.Store.DueDeliveries(ctx, now, limit)
	if c.chans == nil {
		c.chans = map[int64]notify.Channel{}
	}
	for _, d := range ds {
		c.chans[d.ID] = d.Channel
	}
	return ds, err
}

func (c *crashingStore) MarkSent(ctx context.Context, id int64, attempts int, now time.Time) error {
	if !c.crashed && c.chans[id] == c.on {
		c.crashed = true
		return errors.New("the process died")
	}
	return c.Store.MarkSent(ctx, id, attempts, now)
}

// A crash between sending and marking sends again (at least once): the
// inbox keeps one message, the e-mail goes twice with the same Message-ID.
func TestCrashBetweenSendAndMarkResendsHarmlessly(t *testing.T) {
	for _, ch := range []notify.Channel{notify.ChannelInbox, notify.ChannelEmail} {
		t.Run(string(ch), func(t *testing.T) {
			sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
				f := newFixture(t, db)
				if ch == notify.ChannelEmail {
					if err := f.store.SetChoices(f.ctx, f.verA.User.ID, notify.Choices{notify.KindClearanceOverdue: {Email: true}}, f.clock.Now()); err != nil {
						t.Fatal(err)
					}
				}
				key := "need-" + string(ch)
				if err := f.store.Publish(f.ctx, overdue(key)); err != nil {
					t.Fatal(err)
				}
				crashing := f.dispatcher("a")
				crashing.Store = &crashingStore{Store: crashing.Store, on: ch}
				if _, err := crashing.RunOnce(f.ctx); err == nil || !strings.Contains(err.Error(), "died") {
					t.Fatalf("the crash: %v", err)
				}
				// The instance is gone; another takes over once the lease
				// and the claim ran out.
				f.clock.Add(31 * time.Second)
				other := f.dispatcher("b")
				for i := 0; i < 3; i++ {
					f.pass(other)
				}
				if got := f.inbox(f.verA); len(got) != 1 {
					t.Fatalf("inbox after the resend: %d messages", len(got))
				}
				ds, _, err := f.store.Deliveries(f.ctx, "", 10, 0)
				if err != nil {
					t.Fatal(err)
				}
				for _, x := range ds {
					if x.State != notify.StateSent {
						t.Fatalf("not sent after the resend: %+v", x)
					}
				}
				if ch == notify.ChannelEmail {
					ms := f.email.to(f.verAEmail)
					if len(ms) != 2 || ms[0].ID != ms[1].ID {
						t.Fatalf("e-mails: %+v", ms)
					}
				}
			})
		})
	}
}

// Two dispatchers on one database: only the lease's holder works, so each
// delivery goes once; when the holder stops, the other takes over at once
// (the lease given up), and when it dies, once the lease ran out.
func TestTwoDispatchersDoNotDoubleSend(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		if err := f.store.SetChoices(f.ctx, f.verA.User.ID, notify.Choices{notify.KindClearanceOverdue: {Email: true}}, f.clock.Now()); err != nil {
			t.Fatal(err)
		}
		a, b := f.dispatcher("a"), f.dispatcher("b")
		for i := 0; i < 5; i++ {
			if err := f.store.Publish(f.ctx, overdue(fmt.Sprintf("need%d", i))); err != nil {
				t.Fatal(err)
			}
		}
		// Both at once, many times.
		var wg sync.WaitGroup
		var mu sync.Mutex
		leaders := map[string]int{}
		for _, d := range []*notify.Dispatcher{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 5; i++ {
					p, err := d.RunOnce(f.ctx)
					if err != nil {
						t.Error(err)
						return
					}
					if p.Leader {
						mu.Lock()
						leaders[d.Holder]++
						mu.Unlock()
					}
				}
			}()
		}
		wg.Wait()
		if len(leaders) != 1 {
			t.Fatalf("leaders: %v, want one", leaders)
		}
		if got := f.email.to(f.verAEmail); len(got) != 5 {
			t.Fatalf("%d e-mails for 5 events", len(got))
		}
		if got := f.inbox(f.verA); len(got) != 5 {
			t.Fatalf("%d messages for 5 events", len(got))
		}
		holder, other := a, b
		if leaders["b"] > 0 {
			holder, other = b, a
		}
		if p := f.pass(other); p.Leader {
			t.Fatal("the other took the lease while it was held")
		}
		// The holder stops and gives the lease up: the other takes over.
		ctx, cancel := context.WithCancel(f.ctx)
		cancel()
		holder.Run(ctx)
		if p := f.pass(other); !p.Leader {
			t.Fatal("the lease was not given up")
		}
		// The new holder dies without giving it up: the old one waits
		// until it runs out.
		if p := f.pass(holder); p.Leader {
			t.Fatal("taken while held")
		}
		f.clock.Add(31 * time.Second)
		if p := f.pass(holder); !p.Leader {
			t.Fatal("not taken after it ran out")
		}
		if got := f.email.to(f.verAEmail); len(got) != 5 {
			t.Fatalf("%d e-mails for 5 events after the take-overs", len(got))
		}
	})
}
