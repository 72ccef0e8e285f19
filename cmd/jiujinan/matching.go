package main

import (
	"github.com/jiujinan/jiujinan/matching"
	mstore "github.com/jiujinan/jiujinan/matching/gormstore"
)

// openMatching builds the matching service over the funds service (the one
// place money moves), the volunteer profiles and the matching store.
func (m *Main) openMatching() {
	st := mstore.NewMatches(m.DB)
	m.Matching = &matching.Service{Store: st, Sources: &matching.FundsSources{Funds: m.Funds, OrgRegion: st.OrgRegion, Now: m.Now},
		Volunteers: &matching.PeopleVolunteers{People: m.People}, Divisions: m.Divisions, Now: m.Now, NewID: newID}
}
