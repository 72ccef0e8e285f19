package marketplace

import (
	"sync"
	"time"
)

// LoginThrottle slows down password guessing without letting a stranger
// lock the owner out. Failures count per e-mail *and* source address: after
// Free failures in a row from one address, each further attempt from that
// address must wait, starting at BaseDelay and doubling up to MaxDelay.
// Someone failing from another address does not slow the owner down, and
// an unknown e-mail is throttled exactly like a known one, so the answer
// never tells whether an account exists.
//
// The counts live in this process: behind several instances each keeps its
// own, which multiplies the attempts an attacker gets by the instance count
// but never locks anyone out.
type LoginThrottle struct {
	Free      int
	BaseDelay time.Duration
	MaxDelay  time.Duration
	// MaxEntries bounds the memory: when full, entries whose delay has passed
	// are dropped first, then the oldest.
	MaxEntries int

	mu      sync.Mutex
	entries map[throttleKey]*throttleEntry
}

type throttleKey struct{ email, source string }

type throttleEntry struct {
	failures int
	until    time.Time
	last     time.Time
}

// NewLoginThrottle returns a throttle allowing free failures per e-mail and
// address before delays start, growing from one second to maxDelay.
func NewLoginThrottle(free int, maxDelay time.Duration) *LoginThrottle {
	return &LoginThrottle{Free: free, BaseDelay: time.Second, MaxDelay: maxDelay, MaxEntries: 100_000,
		entries: map[throttleKey]*throttleEntry{}}
}

// Wait returns the time until which attempts for email from source are
// refused, or the zero time when one may go ahead now.
func (t *LoginThrottle) Wait(email, source string, now time.Time) time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.entries[throttleKey{email, source}]
	if e == nil || !now.Before(e.until) {
		return time.Time{}
	}
	return e.until
}

// Fail records a failed attempt and returns the time until which further
// attempts are refused (zero while failures are still free).
func (t *LoginThrottle) Fail(email, source string, now time.Time) time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := throttleKey{email, source}
	e := t.entries[k]
	if e == nil {
		t.makeRoom(now)
		e = &throttleEntry{}
		t.entries[k] = e
	} else if !e.until.IsZero() && now.Sub(e.until) > t.MaxDelay {
		// Quiet for longer than the longest delay: start afresh.
		*e = throttleEntry{}
	}
	e.failures++
	e.last = now
	if over := e.failures - t.Free; over > 0 {
		d := t.BaseDelay
		for i := 1; i < over && d < t.MaxDelay; i++ {
			d *= 2
		}
		d = min(d, t.MaxDelay)
		e.until = now.Add(d)
	}
	return e.until
}

// Succeed forgets the failures of email from source.
func (t *LoginThrottle) Succeed(email, source string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.entries, throttleKey{email, source})
}

func (t *LoginThrottle) makeRoom(now time.Time) {
	if len(t.entries) < t.MaxEntries {
		return
	}
	var oldest throttleKey
	var oldestAt time.Time
	for k, e := range t.entries {
		if now.Sub(e.last) > t.MaxDelay && !now.Before(e.until) {
			delete(t.entries, k)
			continue
		}
		if oldestAt.IsZero() || e.last.Before(oldestAt) {
			oldest, oldestAt = k, e.last
		}
	}
	if len(t.entries) >= t.MaxEntries {
		delete(t.entries, oldest)
	}
}
