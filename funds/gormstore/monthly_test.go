package gormstore_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/funds"
	fstore "github.com/jiujinan/jiujinan/funds/gormstore"
	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// recordingNotifier keeps the events it is given; fail makes it refuse.
type recordingNotifier struct {
	mu     sync.Mutex
	events []funds.GiftEvent
	fail   bool
}

func (n *recordingNotifier) Notify(_ context.Context, e funds.GiftEvent) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.fail {
		return errors.New("the outbox is down")
	}
	n.events = append(n.events, e)
	return nil
}

func (n *recordingNotifier) got() []funds.GiftEvent {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]funds.GiftEvent(nil), n.events...)
}

// recordingCharger keeps the charges asked; fail makes the provider refuse.
type recordingCharger struct {
	mu   sync.Mutex
	reqs []funds.ChargeRequest
	fail bool
}

func (c *recordingCharger) Charge(_ context.Context, r funds.ChargeRequest) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reqs = append(c.reqs, r)
	if c.fail {
		return errors.New("the agreement was ended by the donor")
	}
	return nil
}

// restart is another instance of the service over the same database, as
// after a restart: the same keys and clock, nothing else shared.
func (f *fixture) restart(n funds.Notifier) *funds.Service {
	f.t.Helper()
	s := funds.NewService(fstore.New(f.db), f.svc.Cipher, f.svc.Divisions, f.svc.Now, newID)
	s.PayLinkKey, s.Notifier = f.svc.PayLinkKey, n
	return s
}

// dispatch runs the month's dispatch from n instances at once.
func dispatch(t *testing.T, svcs ...*funds.Service) {
	t.Helper()
	var wg sync.WaitGroup
	for _, s := range svcs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.DispatchMonths(context.Background()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}

// Each month's pledge is made once and its donor reminded once, with a
// link that opens that pledge for them alone until it expires, however
// many instances run and whichever of them stops half-way.
func TestMonthlyReminderOncePerMonthAcrossRestarts(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		fund := f.fund(kernel.Restrictions{})
		donor := f.user(kernel.RoleDonor, nil)
		r, err := f.svc.CreateRecurring(ctx, donor, funds.NewRecurring{TargetType: funds.TargetFund, TargetID: fund.PublicID, AmountFen: 5_000, DayOfMonth: 23}, nil)
		if err != nil {
			t.Fatal(err)
		}
		// The first instance makes the month's pledge, then stops while
		// telling the donor (the outbox refused).
		if _, err := f.svc.RunRecurring(ctx); err != nil {
			t.Fatal(err)
		}
		down := &recordingNotifier{fail: true}
		f.svc.Notifier = down
		if _, err := f.svc.DispatchMonths(ctx); err == nil {
			t.Fatal("a refused notification is not an error")
		}
		// Restarted at once: the month is leased to the instance that
		// stopped, and nobody tells the donor twice meanwhile.
		up := &recordingNotifier{}
		a, b := f.restart(up), f.restart(up)
		if _, err := a.RunRecurring(ctx); err != nil {
			t.Fatal(err)
		}
		dispatch(t, a, b)
		if got := up.got(); len(got) != 0 {
			t.Fatalf("reminded while another instance holds the month: %+v", got)
		}
		// Once the lease ends, one of them reminds the donor, once.
		f.advance(11 * time.Minute)
		dispatch(t, a, b, a, b)
		dispatch(t, a, b)
		got := up.got()
		ps := f.recurringPledges(r.PublicID)
		if len(ps) != 1 || len(got) != 1 {
			t.Fatalf("pledges %d, reminders %+v; want one of each", len(ps), got)
		}
		e := got[0]
		if e.Kind != funds.EventMonthlyGiftDue || e.Key != "monthly_gift_due:"+ps[0].PublicID || e.DonorID != donor.User.ID || e.PledgeID != ps[0].PublicID ||
			e.Period != "2026-11" || e.AmountFen != 5_000 || e.Reference != ps[0].Reference || !strings.HasPrefix(e.PayPath, "/my/pay/") || !e.ExpiresAt.Equal(ps[0].ExpiresAt) {
			t.Errorf("event %+v", e)
		}
		// The link opens the month's pledge for its donor only, until the
		// pledge expires; a link with another signature opens nothing.
		token := strings.TrimPrefix(e.PayPath, "/my/pay/")
		if p, err := a.OpenPayLink(ctx, donor, token); err != nil || p.PublicID != ps[0].PublicID {
			t.Errorf("the donor opens the link: %v, %v", p, err)
		}
		other := f.user(kernel.RoleDonor, nil)
		if _, err := a.OpenPayLink(ctx, other, token); !errors.Is(err, kernel.ErrNotFound) {
			t.Errorf("another donor opens the link: %v", err)
		}
		if _, err := a.OpenPayLink(ctx, donor, token[:len(token)-2]+"AA"); !errors.Is(err, kernel.ErrNotFound) {
			t.Errorf("a forged link opens: %v", err)
		}
		if _, err := a.OpenPayLink(ctx, donor, strings.Replace(token, ps[0].PublicID, newID(), 1)); !errors.Is(err, kernel.ErrNotFound) {
			t.Errorf("a link to another pledge opens: %v", err)
		}

		// December: the next month, its own reminder; the link of November
		// has expired.
		f.advance(30 * 24 * time.Hour)
		if _, err := a.RunRecurring(ctx); err != nil {
			t.Fatal(err)
		}
		dispatch(t, a, b)
		if got = up.got(); len(got) != 2 || got[1].Period != "2026-12" || got[1].Key == got[0].Key {
			t.Fatalf("December: %+v", got)
		}
		if _, err := a.OpenPayLink(ctx, donor, token); !errors.Is(err, funds.ErrPayLinkExpired) {
			t.Errorf("November's link in December: %v", err)
		}

		// Paused: January makes no pledge and reminds nobody.
		if _, err := a.SetRecurringStatus(ctx, donor, r.PublicID, funds.RecurringPaused); err != nil {
			t.Fatal(err)
		}
		f.advance(31 * 24 * time.Hour)
		if _, err := a.RunRecurring(ctx); err != nil {
			t.Fatal(err)
		}
		dispatch(t, a, b)
		if len(f.recurringPledges(r.PublicID)) != 2 || len(up.got()) != 2 {
			t.Errorf("paused in January: %d pledges, %d reminders", len(f.recurringPledges(r.PublicID)), len(up.got()))
		}

		// Stopped: a month made before the stop is not reminded of, and
		// no month comes after.
		s, err := a.CreateRecurring(ctx, donor, funds.NewRecurring{TargetType: funds.TargetFund, TargetID: fund.PublicID, AmountFen: 1_000, DayOfMonth: 23}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.RunRecurring(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := a.SetRecurringStatus(ctx, donor, s.PublicID, funds.RecurringCancelled); err != nil {
			t.Fatal(err)
		}
		dispatch(t, a, b)
		f.advance(31 * 24 * time.Hour)
		if _, err := a.RunRecurring(ctx); err != nil {
			t.Fatal(err)
		}
		dispatch(t, a, b)
		if len(f.recurringPledges(s.PublicID)) != 1 || len(up.got()) != 2 {
			t.Errorf("stopped: %d pledges, %d reminders", len(f.recurringPledges(s.PublicID)), len(up.got()))
		}
		if n, _ := a.DispatchMonths(ctx); n != 0 {
			t.Errorf("%d months left to dispatch", n)
		}
		f.verify()
	})
}

// A month paid before anyone reminded the donor closes without a reminder;
// the donor reads each month as paid, waiting, missed or skipped.
func TestMonthlyGiftMonthStates(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		rec := &recordingNotifier{}
		f.svc.Notifier = rec
		fund := f.fund(kernel.Restrictions{})
		donor := f.user(kernel.RoleDonor, nil)
		r, err := f.svc.CreateRecurring(ctx, donor, funds.NewRecurring{TargetType: funds.TargetFund, TargetID: fund.PublicID, AmountFen: 5_000, DayOfMonth: 23}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.RunRecurring(ctx); err != nil {
			t.Fatal(err)
		}
		ps := f.recurringPledges(r.PublicID)
		if _, err := f.svc.ConfirmPledge(ctx, f.staff, ps[0].PublicID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.DispatchMonths(ctx); err != nil {
			t.Fatal(err)
		}
		if got := rec.got(); len(got) != 0 {
			t.Errorf("reminded of a paid month: %+v", got)
		}
		// December waits, then January is made and December missed.
		f.advance(30 * 24 * time.Hour)
		if _, err := f.svc.RunRecurring(ctx); err != nil {
			t.Fatal(err)
		}
		states := func() []string {
			t.Helper()
			mine, err := f.svc.MyRecurring(ctx, donor)
			if err != nil || len(mine) != 1 {
				t.Fatalf("%+v %v", mine, err)
			}
			var out []string
			for _, run := range mine[0].Runs {
				out = append(out, run.Period+" "+run.State)
			}
			return out
		}
		if got := strings.Join(states(), ", "); got != "2026-12 waiting, 2026-11 paid" {
			t.Errorf("December: %s", got)
		}
		f.advance(31 * 24 * time.Hour)
		if _, err := f.svc.ExpirePledges(ctx); err != nil {
			t.Fatal(err)
		}
		// The fund closes: February is skipped, with its reason's code.
		if _, err := f.svc.RunRecurring(ctx); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(states(), ", "); got != "2027-01 waiting, 2026-12 missed, 2026-11 paid" {
			t.Errorf("January: %s", got)
		}
		if err := f.db.Gorm.Exec("UPDATE fund_sources SET status = 'closed' WHERE public_id = ?", fund.PublicID).Error; err != nil {
			t.Fatal(err)
		}
		f.advance(31 * 24 * time.Hour)
		if _, err := f.svc.RunRecurring(ctx); err != nil {
			t.Fatal(err)
		}
		mine, _ := f.svc.MyRecurring(ctx, donor)
		if feb := mine[0].Runs[0]; feb.Period != "2027-02" || feb.State != funds.MonthSkipped || feb.ReasonCode != funds.SkipSourceClosed {
			t.Errorf("February: %+v", feb)
		}
	})
}

// With an agreement, the month is charged through it once, and the donor
// reminded only when the provider refuses; without a Charger the donor is
// reminded.
func TestMonthlyGiftChargedThroughAnAgreement(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		rec := &recordingNotifier{}
		ch := &recordingCharger{}
		f.svc.Notifier, f.svc.Charger = rec, ch
		fund := f.fund(kernel.Restrictions{})
		donor := f.user(kernel.RoleDonor, nil)
		mk := func() *funds.Recurring {
			r, err := f.svc.CreateRecurring(ctx, donor, funds.NewRecurring{TargetType: funds.TargetFund, TargetID: fund.PublicID, AmountFen: 5_000, DayOfMonth: 23}, nil)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		charged, refused := mk(), mk()
		if err := f.svc.SetRecurringAgreement(ctx, charged.PublicID, funds.ChannelWeChatPay, "AGR-0001"); err != nil {
			t.Fatal(err)
		}
		for _, bad := range [][2]string{{"unionpay", "A1"}, {funds.ChannelAlipay, ""}, {"", "A1"}} {
			var ve *kernel.ValidationError
			if err := f.svc.SetRecurringAgreement(ctx, charged.PublicID, bad[0], bad[1]); !errors.As(err, &ve) {
				t.Errorf("agreement %v: %v", bad, err)
			}
		}
		if err := f.svc.SetRecurringAgreement(ctx, newID(), funds.ChannelAlipay, "A1"); !errors.Is(err, kernel.ErrNotFound) {
			t.Errorf("agreement of no monthly gift: %v", err)
		}
		if _, err := f.svc.RunRecurring(ctx); err != nil {
			t.Fatal(err)
		}
		dispatch(t, f.svc, f.svc, f.svc)
		p := f.recurringPledges(charged.PublicID)[0]
		if len(ch.reqs) != 1 || ch.reqs[0] != (funds.ChargeRequest{Channel: funds.ChannelWeChatPay, AgreementID: "AGR-0001", OrderNo: p.Reference,
			PledgeID: p.PublicID, AmountFen: 5_000, Period: "2026-11", OrgPublicID: f.fed.PublicID}) {
			t.Fatalf("charges %+v", ch.reqs)
		}
		if len(rec.got()) != 1 || rec.got()[0].Kind != funds.EventMonthlyGiftDue || rec.got()[0].PledgeID == p.PublicID {
			t.Fatalf("reminders %+v; want one, for the gift without an agreement", rec.got())
		}
		mine, _ := f.svc.MyRecurring(ctx, donor)
		for _, r := range mine {
			if want := map[string]string{charged.PublicID: funds.MonthCharging, refused.PublicID: funds.MonthWaiting}[r.PublicID]; r.Runs[0].State != want {
				t.Errorf("%s: %s, want %s", r.PublicID, r.Runs[0].State, want)
			}
		}
		// December: the provider refuses; the donor is reminded, with the
		// pay link, and the charge is not asked again.
		if err := f.svc.SetRecurringAgreement(ctx, refused.PublicID, funds.ChannelAlipay, "ALI-9"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SetRecurringStatus(ctx, donor, charged.PublicID, funds.RecurringPaused); err != nil {
			t.Fatal(err)
		}
		ch.fail = true
		f.advance(30 * 24 * time.Hour)
		if _, err := f.svc.RunRecurring(ctx); err != nil {
			t.Fatal(err)
		}
		dispatch(t, f.svc, f.svc)
		dispatch(t, f.svc)
		got := rec.got()
		if len(ch.reqs) != 2 || ch.reqs[1].Channel != funds.ChannelAlipay || len(got) != 2 || got[1].Kind != funds.EventMonthlyGiftChargeFailed || got[1].PayPath == "" {
			t.Fatalf("charges %+v, reminders %+v", ch.reqs, got)
		}
		// Without a Charger, an agreement changes nothing: the donor pays.
		f.svc.Charger = nil
		if _, err := f.svc.SetRecurringStatus(ctx, donor, charged.PublicID, funds.RecurringActive); err != nil {
			t.Fatal(err)
		}
		f.advance(31 * 24 * time.Hour)
		if _, err := f.svc.RunRecurring(ctx); err != nil {
			t.Fatal(err)
		}
		dispatch(t, f.svc)
		if got := rec.got(); len(ch.reqs) != 2 || len(got) != 4 || got[2].Kind != funds.EventMonthlyGiftDue || got[3].Kind != funds.EventMonthlyGiftDue {
			t.Errorf("without a charger: charges %d, reminders %+v", len(ch.reqs), got)
		}
	})
}
