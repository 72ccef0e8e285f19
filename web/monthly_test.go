package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/kernel"
)

func init() {
	// The pay link is signed for one donor: another donor learns nothing,
	// staff may not open a donor's page.
	pageScopeProbes["GET /my/pay/:token"] = func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.donorB, path: fx.payLink, want: 404}, {who: fx.staffB, path: fx.payLink, want: 403}}
	}
}

// giftEvents keeps the notification events the funds service writes.
type giftEvents struct {
	mu     sync.Mutex
	events []funds.GiftEvent
}

func (g *giftEvents) Notify(_ context.Context, e funds.GiftEvent) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.events = append(g.events, e)
	return nil
}

func (g *giftEvents) all() []funds.GiftEvent {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]funds.GiftEvent(nil), g.events...)
}

// A donor's monthly gift in one place: each month's state, the reminder's
// one-tap link to that month's pledge, and pause, resume and stop.
func TestMonthlyGiftOnMyGiving(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		events := &giftEvents{}
		env.funds.Notifier = events
		_, staff := env.user(kernel.RoleFederationStaff, nil)
		fund := env.fundWithBalance(staff, kernel.Restrictions{}, 100)
		dtok, donor := env.user(kernel.RoleDonor, nil)
		// Day 23: today's month is due at once.
		r := env.do(http.MethodPost, "/api/v1/recurring-pledges", dtok, map[string]any{"target_type": "fund", "target_id": fund, "amount_fen": 3_000, "day_of_month": 23})
		if r.Status != http.StatusCreated {
			t.Fatalf("monthly gift: %d %s", r.Status, r.Body)
		}
		gift := r.JSON(t)["id"].(string)
		for range 2 {
			if _, err := env.funds.RunRecurring(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := env.funds.DispatchMonths(ctx); err != nil {
				t.Fatal(err)
			}
		}
		got := events.all()
		if len(got) != 1 || got[0].Kind != funds.EventMonthlyGiftDue || got[0].DonorPublicID != donor.User.PublicID {
			t.Fatalf("reminders %+v; want one", got)
		}
		month := got[0].PledgeID

		b := newBrowser(env)
		b.login(donor)
		page := b.do(http.MethodGet, "/my/giving", nil).Body.String()
		for _, want := range []string{"待付款", `href="/my/pledges/` + month + `" class="pay-now"`, "去付款", "每月提醒您付款", "进行中", "2026-11"} {
			if !strings.Contains(page, want) {
				t.Errorf("my giving lacks %q", want)
			}
		}
		months := env.do(http.MethodGet, "/api/v1/me/recurring-pledges", env.token(donor), nil).JSON(t)["recurring_pledges"].([]any)[0].(map[string]any)["months"].([]any)
		if m := months[0].(map[string]any); m["state"] != funds.MonthWaiting || m["pledge_id"] != month {
			t.Errorf("the API's month: %v", m)
		}

		// The reminder's link: the month's pledge page for the donor.
		res := b.do(http.MethodGet, got[0].PayPath, nil)
		if res.Code != http.StatusSeeOther || res.Header().Get("Location") != "/my/pledges/"+month {
			t.Fatalf("pay link: %d %s", res.Code, res.Header().Get("Location"))
		}
		if res := b.do(http.MethodGet, res.Header().Get("Location"), nil); res.Code != 200 || !strings.Contains(res.Body.String(), "¥30.00") {
			t.Errorf("the month's pledge page: %d", res.Code)
		}
		// Signed out, the link asks to sign in and comes back.
		anon := newBrowser(env)
		if res := anon.do(http.MethodGet, got[0].PayPath, nil); res.Code != http.StatusSeeOther || res.Header().Get("Location") != "/login?next="+url.QueryEscape(got[0].PayPath) {
			t.Errorf("signed out: %d %s", res.Code, res.Header().Get("Location"))
		}
		// Another donor's link, a damaged one: not found.
		_, other := env.user(kernel.RoleDonor, nil)
		ob := newBrowser(env)
		ob.login(other)
		if res := ob.do(http.MethodGet, got[0].PayPath, nil); res.Code != http.StatusNotFound {
			t.Errorf("another donor: %d", res.Code)
		}
		if res := b.do(http.MethodGet, got[0].PayPath+"x", nil); res.Code != http.StatusNotFound {
			t.Errorf("a damaged link: %d", res.Code)
		}

		// Pause, resume, stop: one tap each.
		tap := func(status, flash, state string) {
			t.Helper()
			res := b.form("/my/recurring/"+gift, url.Values{"status": {status}})
			if res.Code != http.StatusSeeOther || res.Header().Get("Location") != "/my/giving#monthly-"+gift {
				t.Fatalf("%s: %d %s", status, res.Code, res.Header().Get("Location"))
			}
			body := b.do(http.MethodGet, "/my/giving", nil).Body.String()
			if !strings.Contains(body, flash) || !strings.Contains(body, `<span class="tag status monthly-status">`+state+`</span>`) {
				t.Errorf("after %s, my giving lacks %q or %q", status, flash, state)
			}
		}
		tap("paused", "每月捐赠已暂停", "已暂停")
		tap("active", "每月捐赠已恢复", "进行中")
		tap("cancelled", "每月捐赠已停止", "已停止")
		if body := b.do(http.MethodGet, "/my/giving", nil).Body.String(); strings.Contains(body, `action="/my/recurring/`+gift+`"`) {
			t.Error("a stopped gift still offers its buttons")
		}
		// Stopped: December makes nothing, reminds nobody.
		env.advance(31 * 24 * time.Hour)
		if _, err := env.funds.RunRecurring(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := env.funds.DispatchMonths(ctx); err != nil {
			t.Fatal(err)
		}
		if len(events.all()) != 1 {
			t.Errorf("a stopped gift reminded again: %+v", events.all())
		}
		// November's link has expired with its pledge.
		b.login(donor)
		if res := b.do(http.MethodGet, got[0].PayPath, nil); res.Code != http.StatusGone || !strings.Contains(res.Body.String(), "付款链接已过期") {
			t.Errorf("an expired link: %d", res.Code)
		}
		if _, err := env.funds.OpenPayLink(ctx, donor, strings.TrimPrefix(got[0].PayPath, "/my/pay/")); !errors.Is(err, funds.ErrPayLinkExpired) {
			t.Errorf("expired: %v", err)
		}
		if body := b.do(http.MethodGet, "/my/giving", nil).Body.String(); !strings.Contains(body, "未付款") {
			t.Error("the unpaid month does not read as not paid")
		}
	})
}
