package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/recovery"
)

// LeaseName is the lease a dispatcher must hold to work: one per cluster.
const LeaseName = "notify.dispatcher"

// Dispatcher turns the events of the outbox into deliveries and sends
// them, in the background, never inside a request. Several instances may
// run one each: only the holder of the lease works, and a delivery is
// claimed before it is sent, so that no two send it at once.
type Dispatcher struct {
	Store     Store
	Directory Directory
	Divisions *kernel.Divisions
	// Senders are the configured channels besides the inbox (e-mail, SMS);
	// a channel without one is not offered.
	Senders map[Channel]Sender
	Render  Renderer
	// Sealer opens the phone numbers SMS goes to.
	Sealer Sealer
	Now    func() time.Time
	Log    *slog.Logger
	// Holder names this dispatcher in the lease (random by default).
	Holder string
	// LeaseTTL is how long a lease lasts without renewal (default 30 s); a
	// delivery is claimed for as long.
	LeaseTTL time.Duration
	// Poll is how often Run looks for work when nobody wakes it (2 s).
	Poll time.Duration
	// MaxAttempts is how many tries a delivery gets before it is given up
	// (default 8); Backoff the pause after the first failed try, doubling
	// after each up to MaxBackoff (defaults 30 s and 1 h).
	MaxAttempts int
	Backoff     time.Duration
	MaxBackoff  time.Duration
	// Batch is how many events and deliveries one pass takes (100).
	Batch int
	// Scan, when set, returns the events due by time (clearance due and
	// overdue); it runs every ScanEvery (1 min) while this dispatcher
	// holds the lease, and publishing them again is harmless (their keys).
	Scan      func(ctx context.Context, now time.Time) ([]Event, error)
	ScanEvery time.Duration

	wake     chan struct{}
	lastScan time.Time
	scanned  bool
}

// Pass is what one pass did.
type Pass struct {
	// Leader: this dispatcher held the lease and worked.
	Leader                        bool
	Scanned, FannedOut            int
	Sent, Retrying, GivenUp, Lost int
	// More: a batch was full; there may be more to do at once.
	More bool
}

func (d *Dispatcher) defaults() {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Holder == "" {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		d.Holder = hex.EncodeToString(b)
	}
	if d.LeaseTTL <= 0 {
		d.LeaseTTL = 30 * time.Second
	}
	if d.Poll <= 0 {
		d.Poll = 2 * time.Second
	}
	if d.MaxAttempts <= 0 {
		d.MaxAttempts = 8
	}
	if d.Backoff <= 0 {
		d.Backoff = 30 * time.Second
	}
	if d.MaxBackoff <= 0 {
		d.MaxBackoff = time.Hour
	}
	if d.Batch <= 0 {
		d.Batch = 100
	}
	if d.ScanEvery <= 0 {
		d.ScanEvery = time.Minute
	}
	if d.wake == nil {
		d.wake = make(chan struct{}, 1)
	}
}

// Wake tells Run that there is work (an event was published); it never
// blocks.
func (d *Dispatcher) Wake() {
	d.defaults()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// BackoffAfter is the pause after the attempts-th failed try.
func (d *Dispatcher) BackoffAfter(attempts int) time.Duration {
	d.defaults()
	b := d.Backoff
	for i := 1; i < attempts && b < d.MaxBackoff; i++ {
		b *= 2
	}
	return min(b, d.MaxBackoff)
}

// RunOnce takes or renews the lease and, holding it, runs the scan when
// it is due, fans out waiting events and sends due deliveries, once.
func (d *Dispatcher) RunOnce(ctx context.Context) (Pass, error) {
	d.defaults()
	var p Pass
	now := d.Now().UTC()
	held, err := d.Store.TakeLease(ctx, LeaseName, d.Holder, now, d.LeaseTTL)
	if err != nil || !held {
		return p, err
	}
	p.Leader = true
	if d.Scan != nil && (!d.scanned || now.Sub(d.lastScan) >= d.ScanEvery) {
		evs, err := d.Scan(ctx, now)
		if err != nil {
			return p, fmt.Errorf("notify: scan: %w", err)
		}
		if err := d.Store.Publish(ctx, evs...); err != nil {
			return p, fmt.Errorf("notify: scan: %w", err)
		}
		d.lastScan, d.scanned, p.Scanned = now, true, len(evs)
	}
	evs, err := d.Store.WaitingEvents(ctx, d.Batch)
	if err != nil {
		return p, err
	}
	for _, e := range evs {
		if err := d.fanOut(ctx, e, now); err != nil {
			return p, err
		}
		p.FannedOut++
	}
	ds, err := d.Store.DueDeliveries(ctx, now, d.Batch)
	if err != nil {
		return p, err
	}
	for _, dl := range ds {
		if err := d.deliver(ctx, dl, &p); err != nil {
			return p, err
		}
	}
	p.More = len(evs) == d.Batch || len(ds) == d.Batch
	return p, nil
}

// fanOut creates the deliveries of one event.
func (d *Dispatcher) fanOut(ctx context.Context, e StoredEvent, now time.Time) error {
	if err := e.Validate(); err != nil {
		// Nobody can be told of it; it stays visible as fanned out to none.
		d.Log.Error("notify: an event in the outbox is not valid; nobody is told", slog.Int64("event", e.ID), slog.String("error", err.Error()))
		return d.Store.FanOut(ctx, e.ID, nil, 0, now)
	}
	rs, err := Recipients(ctx, d.Directory, d.Divisions, e.Event)
	if err != nil {
		return fmt.Errorf("notify: recipients of %s: %w", e.Event, err)
	}
	var ds []NewDelivery
	for _, r := range rs {
		choices, err := d.Store.Choices(ctx, r.UserID)
		if err != nil {
			return err
		}
		ct, _, err := d.Store.Phone(ctx, r.UserID)
		if err != nil {
			return err
		}
		offers := func(ch Channel) bool { return Offers(d.Senders, ch, e.Kind) }
		for _, ch := range channelsFor(e.Kind, choices, r.Email != "", len(ct) > 0, offers) {
			ds = append(ds, NewDelivery{UserID: r.UserID, Channel: ch})
		}
	}
	return d.Store.FanOut(ctx, e.ID, ds, len(rs), now)
}

// deliver sends one due delivery, if it can claim it, and records how it went.
func (d *Dispatcher) deliver(ctx context.Context, dl Delivery, p *Pass) error {
	now := d.Now().UTC()
	ok, err := d.Store.ClaimDelivery(ctx, dl.ID, dl.NextAt, now.Add(d.LeaseTTL))
	if err != nil || !ok {
		return err
	}
	attempts := dl.Attempts + 1
	sendErr := recovery.Run(d.Log, "notify: send", func() error { return d.send(ctx, dl) })
	if sendErr == nil {
		if err := d.Store.MarkSent(ctx, dl.ID, attempts, d.Now().UTC()); err != nil {
			// Sent but not marked: the claim runs out and it is sent again
			// (at least once); the inbox keeps one copy.
			return fmt.Errorf("notify: mark sent: %w", err)
		}
		p.Sent++
		return nil
	}
	if ctx.Err() != nil {
		// Stopping: the claim runs out and the next holder tries again,
		// without this try counted.
		return ctx.Err()
	}
	now = d.Now().UTC()
	var next *time.Time
	if !IsPermanent(sendErr) && attempts < d.MaxAttempts {
		t := now.Add(d.BackoffAfter(attempts))
		next = &t
		p.Retrying++
	} else {
		p.GivenUp++
	}
	text := oneLine(sendErr.Error())
	d.Log.Warn("notify: delivery failed", slog.String("delivery", dl.PublicID), slog.String("channel", string(dl.Channel)),
		slog.String("kind", string(dl.Event.Kind)), slog.Int("attempts", attempts), slog.Bool("given_up", next == nil),
		slog.String("reason", string(ReasonOf(sendErr))), slog.String("error", text))
	return d.Store.MarkFailed(ctx, dl.ID, attempts, next, ReasonOf(sendErr), text, now)
}

// errGone is the refusal of a delivery whose recipient is gone.
var errGone = Fail(ReasonRecipient, true, errors.New("the recipient's account is gone or disabled"))

// send sends dl on its channel.
func (d *Dispatcher) send(ctx context.Context, dl Delivery) error {
	if dl.Channel == ChannelInbox {
		return d.Store.DeliverInbox(ctx, dl.EventID, dl.UserID, d.Now().UTC())
	}
	s := d.Senders[dl.Channel]
	if s == nil {
		return Fail(ReasonSetup, true, fmt.Errorf("the %s channel is not configured", dl.Channel))
	}
	u, err := d.Directory.User(ctx, "", dl.UserID)
	if errors.Is(err, kernel.ErrNotFound) || err == nil && u.Disabled {
		return errGone
	}
	if err != nil {
		return err
	}
	m := Message{ID: dl.PublicID, Kind: dl.Event.Kind, To: *u}
	switch dl.Channel {
	case ChannelEmail:
		if u.Email == "" {
			return Fail(ReasonRecipient, true, errors.New("the recipient has no e-mail address"))
		}
	case ChannelSMS:
		ct, kid, err := d.Store.Phone(ctx, dl.UserID)
		if err != nil {
			return err
		}
		if len(ct) == 0 {
			return Fail(ReasonRecipient, true, errors.New("the recipient has no phone number any more"))
		}
		if d.Sealer == nil {
			return Fail(ReasonSetup, true, errors.New("no key to open phone numbers"))
		}
		phone, err := d.Sealer.Open(ct, kid, phoneAD(u.PublicID))
		if err != nil {
			return Fail(ReasonSetup, true, fmt.Errorf("the phone number does not open: %w", err))
		}
		m.Phone = string(phone)
	}
	if m.Rendered, err = d.Render.Render(ctx, dl.Event, "zh"); err != nil {
		return Fail(ReasonSetup, true, fmt.Errorf("render: %w", err))
	}
	return s.Send(ctx, m)
}

// oneLine keeps an error's text short and on one line for the operator.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > 500 {
		s = string([]rune(s)[:500])
	}
	return s
}

// Run works until ctx ends: a pass at once, whenever Wake is called, every
// Poll, and again at once while there is more to do. A failing pass is
// logged and tried again after a growing pause (up to a minute); a panic is
// one too. On the way out it gives the lease up, so that another instance
// takes over without waiting for it to run out.
func (d *Dispatcher) Run(ctx context.Context) {
	d.defaults()
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := d.Store.ReleaseLease(rctx, LeaseName, d.Holder); err != nil {
			d.Log.Warn("notify: could not give the lease up", slog.String("error", err.Error()))
		}
	}()
	pause := d.Poll
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.wake:
		case <-t.C:
		}
		var p Pass
		err := recovery.Run(d.Log, "notify: dispatcher", func() error {
			var err error
			p, err = d.RunOnce(ctx)
			return err
		})
		next := d.Poll
		switch {
		case err != nil && ctx.Err() == nil:
			d.Log.Error("notify: dispatcher pass failed; will retry", slog.String("error", err.Error()), slog.Duration("retry_in", pause))
			next, pause = pause, min(2*pause, time.Minute)
		case p.More:
			next, pause = 0, d.Poll
		default:
			pause = d.Poll
		}
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
		t.Reset(next)
	}
}
