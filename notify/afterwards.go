package notify

import (
	"context"
	"log/slog"
)

// Afterwards records the events of changes that have committed already,
// for sources whose store offers no transaction to write them in (the
// screening's referrals, a finished import, the time scan): right after
// the change, keyed, so that publishing again is harmless. What it cannot
// record it logs rather than returns: the change stands either way.
type Afterwards struct {
	Outbox Outbox
	Log    *slog.Logger
	// Wake, when set, is called after events were recorded (the
	// dispatcher's Wake), so that they go out at once.
	Wake func()
}

// Publish records events; a nil a records nothing.
func (a *Afterwards) Publish(ctx context.Context, events ...Event) {
	if a == nil || a.Outbox == nil || len(events) == 0 {
		return
	}
	if err := a.Outbox.Publish(context.WithoutCancel(ctx), events...); err != nil {
		log := a.Log
		if log == nil {
			log = slog.Default()
		}
		for _, e := range events {
			log.Error("notify: an event could not be recorded; nobody is told of it", slog.String("event", e.String()), slog.String("error", err.Error()))
		}
		return
	}
	if a.Wake != nil {
		a.Wake()
	}
}
