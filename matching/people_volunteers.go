package matching

import (
	"context"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/marketplace"
)

// PeopleVolunteers gives the matching service the volunteer profiles of the
// people service.
type PeopleVolunteers struct {
	People *marketplace.PeopleService
}

var _ Volunteers = (*PeopleVolunteers)(nil)

// FromProfile converts a stored profile: regions (division codes) become
// their prefixes, weekdays 1 (Monday) … 7 (Sunday) become time.Weekday.
func FromProfile(d *kernel.Divisions, p *marketplace.Volunteer) Volunteer {
	v := Volunteer{ID: p.PublicID, LoadLimit: p.LoadLimit, ActiveLoad: p.CurrentLoad, BackgroundCheck: BackgroundCheck(p.Background.Status)}
	for _, s := range p.Skills {
		v.Skills = append(v.Skills, Skill{Service: s.Service, Level: int(s.Level)})
	}
	for _, r := range p.Regions {
		pre := r
		if d != nil {
			if x := d.Prefix(r); x != "" {
				pre = x
			}
		}
		v.RegionPrefixes = append(v.RegionPrefixes, pre)
	}
	for _, s := range p.Availability {
		v.Availability = append(v.Availability, Slot{Weekday: time.Weekday(s.Weekday % 7), From: s.From, To: s.To})
	}
	return v
}

// VolunteersServing implements Volunteers.
func (p *PeopleVolunteers) VolunteersServing(ctx context.Context, code string, services []kernel.Service) ([]Volunteer, error) {
	vs, err := p.People.CandidateVolunteers(ctx, code, services, 5000)
	if err != nil {
		return nil, err
	}
	out := make([]Volunteer, len(vs))
	for i := range vs {
		out[i] = FromProfile(p.People.Divisions, &vs[i])
	}
	return out, nil
}

// VolunteerOf implements Volunteers.
func (p *PeopleVolunteers) VolunteerOf(ctx context.Context, userID int64) (*Volunteer, error) {
	v, err := p.People.Store.VolunteerByUser(ctx, userID, p.People.Now().UTC())
	if err != nil {
		return nil, err
	}
	out := FromProfile(p.People.Divisions, v)
	return &out, nil
}
