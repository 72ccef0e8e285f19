package marketplace

import (
	"context"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/notify"
)

// The notifications of the marketplace (package notify). A change that
// tells someone carries its events in its audit entry's Notices, which the
// store writes in the change's transaction; the time limits of clearance
// are told by ClearanceNotices, which the dispatcher scans.

// noticeRef is what a notification says of n: its public title only when
// the public may read it (published with consent), else its category.
func noticeRef(n *Need) notify.NeedRef {
	title := ""
	if n.PublishedAt != nil && n.ConsentPublic {
		title = n.PublicTitle
	}
	return notify.NeedRef{ID: n.PublicID, Region: n.RegionCode, Org: n.OrgPublicID, Title: title, Category: n.Category}
}

// noticeRefOf is noticeRef of a need the people rules read.
func noticeRefOf(n *NeedRef) notify.NeedRef {
	return notify.NeedRef{ID: n.PublicID, Region: n.RegionCode, Org: n.OrgPublicID}
}

// ClearanceDueWithin is how early before its time limit a submitted need's
// verifiers are told that its clearance is due.
const ClearanceDueWithin = 24 * time.Hour

// ClearanceNotices returns, for every submitted need whose clearance is
// due within ClearanceDueWithin of now, a clearance-due notice, or an
// overdue one once the time limit passed: one key per need and kind, so
// that the dispatcher may scan every minute and each need's verifiers are
// told once of each.
func (s *NeedService) ClearanceNotices(ctx context.Context, now time.Time) ([]notify.Event, error) {
	due := now.Add(ClearanceDueWithin)
	const page = 500
	var out []notify.Event
	for offset := 0; ; offset += page {
		ns, _, err := s.Store.ListNeeds(ctx, NeedQuery{Statuses: []kernel.NeedStatus{kernel.NeedSubmitted}, DueBefore: &due, ByDue: true,
			Limit: page, Offset: offset})
		if err != nil {
			return nil, err
		}
		for i := range ns {
			n := &ns[i]
			if n.ClearanceDueAt == nil {
				continue
			}
			if now.Before(*n.ClearanceDueAt) {
				out = append(out, notify.ClearanceDue(noticeRef(n), *n.ClearanceDueAt, now))
			} else {
				out = append(out, notify.ClearanceOverdue(noticeRef(n), *n.ClearanceDueAt, now))
			}
		}
		if len(ns) < page {
			return out, nil
		}
	}
}
