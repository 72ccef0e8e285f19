package record

import (
	"time"

	"github.com/jiujinan/jiujinan/notify"
)

// importNotices tell the verifier who uploaded batch b (from the web) that
// its import is done, with its counts. An import from the command line
// tells nobody: its operator watched it.
func importNotices(b ImportBatch, now time.Time) []notify.Event {
	if b.Source != SourceWeb || b.CreatedBy == "" || b.CreatedBy == "cli" {
		return nil
	}
	return []notify.Event{notify.ImportFinished(b.ID, b.CreatedBy, b.Accepted, b.Duplicates, b.Rejected, now)}
}
