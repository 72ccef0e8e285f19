package marketplace

import (
	"testing"
	"time"
)

// TestNeedEndReason is the one rule funds and the public projection share.
func TestNeedEndReason(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	past, future, exact := now.Add(-time.Minute), now.Add(time.Minute), now
	noticeEnd := now.Add(-time.Hour)
	for _, tc := range []struct {
		name                         string
		status                       NeedStatus
		deadline                     *time.Time
		requested, funded, disbursed int64
		reason                       string
		public                       NeedStatus
	}{
		{"open before deadline", NeedOpen, &future, 100, 10, 0, "", NeedOpen},
		{"open at deadline", NeedOpen, &exact, 100, 10, 0, "", NeedOpen},
		{"open past deadline unfunded", NeedOpen, &past, 100, 10, 0, EndExpired, NeedExpired},
		{"open past deadline nothing given", NeedOpen, &past, 100, 0, 0, EndExpired, NeedExpired},
		{"open past deadline fully funded", NeedOpen, &past, 100, 100, 0, "", NeedOpen},
		{"open without deadline", NeedOpen, nil, 100, 10, 0, "", NeedOpen},
		{"notice past deadline", NeedNotice, &past, 100, 0, 0, EndExpired, NeedExpired},
		{"notice before deadline (notice over)", NeedNotice, &future, 100, 0, 0, "", NeedOpen},
		{"funded past deadline", NeedFunded, &past, 100, 100, 0, "", NeedFunded},
		{"disbursed past deadline", NeedDisbursed, &past, 100, 50, 50, "", NeedDisbursed},
		{"withdrawn", NeedWithdrawn, nil, 100, 10, 0, EndWithdrawn, NeedWithdrawn},
		{"closed with undisbursed money", NeedClosed, nil, 100, 60, 50, EndClosed, NeedClosed},
		{"closed all disbursed", NeedClosed, &past, 100, 50, 50, "", NeedClosed},
		{"suspended past deadline", NeedSuspended, &past, 100, 10, 0, "", NeedSuspended},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := NeedEndReason(tc.status, tc.deadline, tc.requested, tc.funded, tc.disbursed, now); got != tc.reason {
				t.Errorf("NeedEndReason = %q, want %q", got, tc.reason)
			}
			if got := PublicStatusAt(tc.status, &noticeEnd, tc.deadline, tc.requested, tc.funded, now); got != tc.public {
				t.Errorf("PublicStatusAt = %q, want %q", got, tc.public)
			}
		})
	}
}
