package funds

import (
	"context"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// CalendarEntry is a project's next disclosure under the Charity Law
// (慈善法 art. 72): a project running over six months discloses its progress
// at least every three months, and a finished project discloses within
// three months of its end.
type CalendarEntry struct {
	ProjectID    string     `json:"project_id"`
	Title        string     `json:"title"`
	PeriodFrom   *time.Time `json:"period_from"`
	PeriodTo     *time.Time `json:"period_to"`
	LastReportAt *time.Time `json:"last_report_at"`
	// Kind is "progress" (every three months) or "final" (after the end).
	Kind  string    `json:"kind"`
	DueAt time.Time `json:"due_at"`
	// State is "due" (before DueAt), "overdue" or "done" (final disclosed).
	State string `json:"state"`
}

// DisclosureDue computes a project's calendar entry at now; ok is false when
// the project owes no disclosure (six months or shorter and still running).
func DisclosureDue(p *Source, now time.Time) (CalendarEntry, bool) {
	e := CalendarEntry{ProjectID: p.PublicID, Title: p.Name, PeriodFrom: p.PeriodFrom, PeriodTo: p.PeriodTo, LastReportAt: p.LastReportAt}
	if p.PeriodFrom == nil || p.PeriodTo == nil {
		return e, false
	}
	if !now.Before(*p.PeriodTo) {
		e.Kind, e.DueAt = "final", p.PeriodTo.AddDate(0, 3, 0)
		switch {
		case p.LastReportAt != nil && !p.LastReportAt.Before(*p.PeriodTo):
			e.State = "done"
		case now.After(e.DueAt):
			e.State = "overdue"
		default:
			e.State = "due"
		}
		return e, true
	}
	if !p.PeriodTo.After(p.PeriodFrom.AddDate(0, 6, 0)) {
		return e, false
	}
	last := *p.PeriodFrom
	if p.LastReportAt != nil && p.LastReportAt.After(last) {
		last = *p.LastReportAt
	}
	e.Kind, e.DueAt, e.State = "progress", last.AddDate(0, 3, 0), "due"
	if now.After(e.DueAt) {
		e.State = "overdue"
	}
	return e, true
}

// DisclosureCalendar lists, for federation staff, the disclosures their
// organizations' projects owe, overdue first.
func (s *Service) DisclosureCalendar(ctx context.Context, by *kernel.Principal) ([]CalendarEntry, error) {
	now := s.now()
	out := []CalendarEntry{}
	for offset := 0; ; offset += 500 {
		ps, err := s.Store.Sources(ctx, KindProject, 500, offset)
		if err != nil {
			return nil, err
		}
		for i := range ps {
			if !staffOf(by, ps[i].OrgID) {
				continue
			}
			if e, ok := DisclosureDue(&ps[i], now); ok {
				out = append(out, e)
			}
		}
		if len(ps) < 500 {
			break
		}
	}
	rank := map[string]int{"overdue": 0, "due": 1, "done": 2}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && (rank[out[j].State] < rank[out[j-1].State] ||
			rank[out[j].State] == rank[out[j-1].State] && out[j].DueAt.Before(out[j-1].DueAt)); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out, nil
}

// RecordProjectReport notes that staff of the holder published a progress
// or final disclosure of a project now.
func (s *Service) RecordProjectReport(ctx context.Context, by *kernel.Principal, projectID string) (*Source, error) {
	p, err := s.Source(ctx, KindProject, projectID)
	if err != nil {
		return nil, err
	}
	if !staffOf(by, p.OrgID) {
		return nil, kernel.Refuse(kernel.ErrForbidden, "refusal_disclose_holder_only", nil, "only staff of the holder disclose its projects")
	}
	now := s.now()
	if err := s.Store.SetSourceReport(ctx, p.ID, now); err != nil {
		return nil, err
	}
	p.LastReportAt = &now
	return p, nil
}
