package notify

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/recovery"
)

var at = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func TestEventsOfTheConstructorsAreValid(t *testing.T) {
	n := NeedRef{ID: "n1", Region: "371725", Org: "o1", Category: kernel.CatMedical}
	for _, e := range []Event{
		ReportNew("r1", "371725001", "", at), ClearanceDue(n, at, at), ClearanceOverdue(n, at, at), ObjectionReceived("ob1", n, at),
		ObjectionResolved("ob1", "dismissed", n, at), ReferralOpened("rf1", kernel.ProgTekun, n, at),
		PledgeConfirmed(Gift{Pledge: "p1", DonorRow: 3, AmountFen: 100}, at), MonthlyGiftTaken(Gift{Pledge: "p2", DonorRow: 3}, at),
		MonthlyGiftFailed("m1", "2026-12", 3, 100, at), GiftDisbursed("d1", 9, 100, n, at), ClaimApproved("c1", "u1", kernel.SvcLegalAid, at, n, at),
		ImportFinished("b1", "u1", 1, 2, 3, at),
		MonthlyGiftReminder(MonthReminder{Kind: KindMonthlyGiftDue, Pledge: "p3", DonorRow: 3, AmountFen: 100, Period: "2026-12",
			Org: "某慈善总会", PayPath: "/my/pay/p3.abc.def", ExpiresAt: at}, at),
	} {
		if err := e.Validate(); err != nil {
			t.Errorf("%s: %v", e, err)
		}
	}
	// One kind per constructor, every kind covered.
	if got := MonthlyGiftTaken(Gift{Pledge: "p2"}, at).Params["period"]; got != "2026-12" {
		t.Errorf("period %q", got)
	}
}

func TestInvalidEventsAreRefused(t *testing.T) {
	ok := ReportNew("r1", "371725", "", at)
	for name, mutate := range map[string]func(e *Event){
		"unknown kind":         func(e *Event) { e.Kind = "gossip" },
		"no key":               func(e *Event) { e.Key = "" },
		"no time":              func(e *Event) { e.At = time.Time{} },
		"no region for staff":  func(e *Event) { e.Region = "" },
		"a control character":  func(e *Event) { e.Title = "a\nb" },
		"a link to elsewhere":  func(e *Event) { e.Link = "//evil.example/x" },
		"no user for a donor":  func(e *Event) { *e = PledgeConfirmed(Gift{Pledge: "p"}, at) },
		"no pledge for a gift": func(e *Event) { *e = GiftDisbursed("d", 0, 1, NeedRef{ID: "n"}, at) },
	} {
		e := ok
		mutate(&e)
		if err := e.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestKindsForRoles(t *testing.T) {
	for _, tc := range []struct {
		roles []kernel.Role
		want  []Kind
	}{
		{[]kernel.Role{kernel.RoleDonor}, []Kind{KindPledgeConfirmed, KindGiftDisbursed, KindMonthlyGiftDue, KindMonthlyGiftTaken,
			KindMonthlyGiftChargeFailed, KindMonthlyGiftFailed}},
		{[]kernel.Role{kernel.RoleVolunteer}, []Kind{KindClaimApproved}},
		{[]kernel.Role{kernel.RoleSocialWorker}, []Kind{KindReportNew, KindObjectionReceived, KindObjectionResolved}},
		{[]kernel.Role{kernel.RoleAuditor}, nil},
	} {
		if got := KindsFor(tc.roles); !slices.Equal(got, tc.want) {
			t.Errorf("%v: %v, want %v", tc.roles, got, tc.want)
		}
	}
}

func TestDefaultsAndChannels(t *testing.T) {
	all := func(Channel) bool { return true }
	for _, tc := range []struct {
		name         string
		kind         Kind
		choices      Choices
		email, phone bool
		offered      func(Channel) bool
		want         []Channel
	}{
		{"a donor's gift by default", KindGiftDisbursed, nil, true, true, all, []Channel{ChannelInbox, ChannelEmail}},
		{"staff by default", KindClearanceOverdue, nil, true, true, all, []Channel{ChannelInbox}},
		{"SMS chosen with a phone", KindReportNew, Choices{KindReportNew: {SMS: true}}, true, true, all, []Channel{ChannelInbox, ChannelSMS}},
		{"SMS chosen without a phone", KindReportNew, Choices{KindReportNew: {SMS: true}}, true, false, all, []Channel{ChannelInbox}},
		{"e-mail not configured", KindGiftDisbursed, nil, true, false, func(c Channel) bool { return c == ChannelInbox }, []Channel{ChannelInbox}},
		{"e-mail turned off", KindGiftDisbursed, Choices{KindGiftDisbursed: {}}, true, false, all, []Channel{ChannelInbox}},
	} {
		if got := channelsFor(tc.kind, tc.choices, tc.email, tc.phone, tc.offered); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestBackoffDoublesUpToTheCap(t *testing.T) {
	d := &Dispatcher{Backoff: 30 * time.Second, MaxBackoff: 5 * time.Minute}
	var got []time.Duration
	for i := 1; i <= 7; i++ {
		got = append(got, d.BackoffAfter(i))
	}
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 5 * time.Minute, 5 * time.Minute, 5 * time.Minute}
	if !slices.Equal(got, want) {
		t.Fatalf("%v", got)
	}
}

func TestReasons(t *testing.T) {
	for _, tc := range []struct {
		err       error
		reason    Reason
		permanent bool
	}{
		{errors.New("421 later"), ReasonTemporary, false},
		{Permanent(errors.New("550")), ReasonRefused, true},
		{Fail(ReasonRecipient, true, errors.New("no address")), ReasonRecipient, true},
		{&net.OpError{Op: "dial", Err: errors.New("refused")}, ReasonUnreachable, false},
		{context.DeadlineExceeded, ReasonUnreachable, false},
		{&recovery.PanicError{}, ReasonCrash, false},
	} {
		if ReasonOf(tc.err) != tc.reason || IsPermanent(tc.err) != tc.permanent {
			t.Errorf("%v: %s %v", tc.err, ReasonOf(tc.err), IsPermanent(tc.err))
		}
	}
}

// dir is a directory of a few people.
type dir struct{ members []Member }

func (d dir) StaffIn(_ context.Context, role kernel.Role, kinds []kernel.OrgKind, regions []string) ([]Member, error) {
	var out []Member
	for _, m := range d.members {
		if slices.Contains(regions, m.OrgRegion) && string(role) == m.PublicID[:len(role)] {
			out = append(out, m)
		}
	}
	return out, nil
}
func (d dir) StaffOf(context.Context, string, kernel.Role) ([]Recipient, error) { return nil, nil }
func (d dir) User(context.Context, string, int64) (*Recipient, error)           { return nil, kernel.ErrNotFound }
func (d dir) PledgeDonor(context.Context, int64) (*Recipient, error)            { return nil, kernel.ErrNotFound }

// Staff are reached when their organization's region is the event's or
// contains it: a province's office for a county's need, not a
// neighbouring county's; each person once, disabled accounts never.
func TestRecipientsByRegion(t *testing.T) {
	div, err := kernel.LoadDivisions()
	if err != nil {
		t.Fatal(err)
	}
	m := func(id int64, pub, region string, disabled bool) Member {
		return Member{Recipient: Recipient{UserID: id, PublicID: pub, Disabled: disabled}, OrgRegion: region}
	}
	d := dir{members: []Member{m(1, "verifier-county", "371725", false), m(2, "verifier-city", "371700", false), m(3, "verifier-province", "370000", false),
		m(4, "verifier-neighbour", "371702", false), m(5, "verifier-gone", "371725", true), m(1, "verifier-county-again", "371725", false)}}
	rs, err := Recipients(context.Background(), d, div, ClearanceOverdue(NeedRef{ID: "n", Region: "371725001"}, at, at))
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, r := range rs {
		got = append(got, r.UserID)
	}
	if !slices.Equal(got, []int64{1, 2, 3}) {
		t.Fatalf("recipients %v, want 1, 2, 3", got)
	}
}

// panicky is a store whose every pass panics; it ends the run after the
// second pass.
type panicky struct {
	Store
	passes int
	cancel func()
}

func (p *panicky) TakeLease(context.Context, string, string, time.Time, time.Duration) (bool, error) {
	p.passes++
	if p.passes == 2 {
		p.cancel()
	}
	panic("the database driver broke")
}

func (p *panicky) ReleaseLease(context.Context, string, string) error { return nil }

// A panic in a pass is logged and the dispatcher goes on (here: until its
// context ends); it never takes the process down.
func TestDispatcherSurvivesAPanic(t *testing.T) {
	var logs strings.Builder
	ctx, cancel := context.WithCancel(context.Background())
	store := &panicky{cancel: cancel}
	d := &Dispatcher{Store: store, Poll: time.Millisecond, Log: slog.New(slog.NewTextHandler(&logs, nil))}
	d.Run(ctx)
	if store.passes < 2 || !strings.Contains(logs.String(), "panic") || !strings.Contains(logs.String(), "the database driver broke") {
		t.Fatalf("%d passes, logs %s", store.passes, logs.String())
	}
}
