package marketplace

import (
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// TestNeedEndReason is the one rule funds and the public projection share.
func TestNeedEndReason(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	past, future, exact := now.Add(-time.Minute), now.Add(time.Minute), now
	noticeEnd := now.Add(-time.Hour)
	for _, tc := range []struct {
		name                         string
		status                       kernel.NeedStatus
		deadline                     *time.Time
		requested, funded, disbursed int64
		reason                       string
		public                       kernel.NeedStatus
	}{
		{"open before deadline", kernel.NeedOpen, &future, 100, 10, 0, "", kernel.NeedOpen},
		{"open at deadline", kernel.NeedOpen, &exact, 100, 10, 0, "", kernel.NeedOpen},
		{"open past deadline unfunded", kernel.NeedOpen, &past, 100, 10, 0, EndExpired, kernel.NeedExpired},
		{"open past deadline nothing given", kernel.NeedOpen, &past, 100, 0, 0, EndExpired, kernel.NeedExpired},
		{"open past deadline fully funded", kernel.NeedOpen, &past, 100, 100, 0, "", kernel.NeedOpen},
		{"open without deadline", kernel.NeedOpen, nil, 100, 10, 0, "", kernel.NeedOpen},
		{"notice past deadline", kernel.NeedNotice, &past, 100, 0, 0, EndExpired, kernel.NeedExpired},
		{"notice before deadline (notice over)", kernel.NeedNotice, &future, 100, 0, 0, "", kernel.NeedOpen},
		{"funded past deadline", kernel.NeedFunded, &past, 100, 100, 0, "", kernel.NeedFunded},
		{"disbursed past deadline", kernel.NeedDisbursed, &past, 100, 50, 50, "", kernel.NeedDisbursed},
		{"withdrawn", kernel.NeedWithdrawn, nil, 100, 10, 0, EndWithdrawn, kernel.NeedWithdrawn},
		{"closed with undisbursed money", kernel.NeedClosed, nil, 100, 60, 50, EndClosed, kernel.NeedClosed},
		{"closed all disbursed", kernel.NeedClosed, &past, 100, 50, 50, "", kernel.NeedClosed},
		{"suspended past deadline", kernel.NeedSuspended, &past, 100, 10, 0, "", kernel.NeedSuspended},
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
