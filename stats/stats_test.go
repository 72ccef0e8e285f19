package stats

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

func TestParsePeriod(t *testing.T) {
	for _, tc := range []struct {
		in         string
		want       string
		from, to   string
		months     int
		prev, next string
	}{
		{"2026-11", "2026-11", "2026-10-31T16:00:00Z", "2026-11-30T16:00:00Z", 1, "2026-10", "2026-12"},
		{"2026-01", "2026-01", "2025-12-31T16:00:00Z", "2026-01-31T16:00:00Z", 1, "2025-12", "2026-02"},
		{"2026-12", "2026-12", "2026-11-30T16:00:00Z", "2026-12-31T16:00:00Z", 1, "2026-11", "2027-01"},
		{" 2026 ", "2026", "2025-12-31T16:00:00Z", "2026-12-31T16:00:00Z", 12, "2025", "2027"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			p, err := ParsePeriod(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			b := p.Bounds()
			if p.String() != tc.want || b[0].Format(time.RFC3339) != tc.from || b[len(b)-1].Format(time.RFC3339) != tc.to ||
				len(b) != tc.months+1 || p.Prev().String() != tc.prev || p.Next().String() != tc.next {
				t.Errorf("%s: %s from %v to %v (%d bounds), prev %s next %s", tc.in, p, b[0], b[len(b)-1], len(b), p.Prev(), p.Next())
			}
		})
	}
	for _, bad := range []string{"", "26", "2026-13", "2026-00", "2026-1", "1999", "2101-01", "2026-11-01", "二〇二六"} {
		var ve *kernel.ValidationError
		if _, err := ParsePeriod(bad); !errors.As(err, &ve) || ve.Fields["period"] == "" {
			t.Errorf("%q: %v, want a validation error on period", bad, err)
		}
	}
	// A year's months begin in China: 1 March 00:00 CST is 28 Feb 16:00 UTC.
	if b := (Period{Year: 2026}).Bounds(); b[2].Format(time.RFC3339) != "2026-02-28T16:00:00Z" {
		t.Errorf("March begins at %v", b[2])
	}
}

func TestFormatPermille(t *testing.T) {
	for v, want := range map[int64]string{-1: "", 0: "0.0%", 985: "98.5%", 1000: "100.0%", 7: "0.7%"} {
		if got := FormatPermille(v); got != want {
			t.Errorf("%d: %q, want %q", v, got, want)
		}
	}
	if got := (Figures{ClearanceDecided: 3, ClearanceOnTime: 2}).ClearanceOnTimePct(); got != 666 {
		t.Errorf("2 of 3: %d, want 666 (rounded down)", got)
	}
	if got := (Figures{}).ObjectionsOnTimePct(); got != -1 {
		t.Errorf("none: %d, want -1", got)
	}
}

func principal(ms ...kernel.Membership) *kernel.Principal { return &kernel.Principal{Memberships: ms} }

func org(id int64, kind kernel.OrgKind, region string) *kernel.Org {
	return &kernel.Org{ID: id, Kind: kind, RegionCode: region, Name: string(kind) + region}
}

// TestAreas: who reads which region's statistics, and whose money.
func TestAreas(t *testing.T) {
	d, err := kernel.LoadDivisions()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		p    *kernel.Principal
		want string // region:org id of each area, "*" for all money
	}{
		{"a county verifier", principal(kernel.Membership{Role: kernel.RoleVerifier, Org: org(1, kernel.OrgCivilAffairs, "371725")}), "371725:*"},
		{"a city federation", principal(kernel.Membership{Role: kernel.RoleFederationStaff, Org: org(2, kernel.OrgCharityFederation, "371700")}), "3717:*"},
		{"a charity: its own money", principal(kernel.Membership{Role: kernel.RoleFederationStaff, Org: org(3, kernel.OrgCharity, "371725")}), "371725:3"},
		{"an auditor of a province's civil affairs", principal(kernel.Membership{Role: kernel.RoleAuditor, Org: org(4, kernel.OrgCivilAffairs, "370000")}), "37:*"},
		{"an auditor of a social work agency", principal(kernel.Membership{Role: kernel.RoleAuditor, Org: org(5, kernel.OrgSocialWorkAgency, "371725001")}), "371725001:5"},
		{"a social worker, a donor", principal(kernel.Membership{Role: kernel.RoleSocialWorker, Org: org(6, kernel.OrgSocialWorkAgency, "371725")},
			kernel.Membership{Role: kernel.RoleDonor}), ""},
		{"a verifier of a charity is none", principal(kernel.Membership{Role: kernel.RoleVerifier, Org: org(7, kernel.OrgCharity, "371725")}), ""},
		{"all money first where one region has both", principal(
			kernel.Membership{Role: kernel.RoleFederationStaff, Org: org(3, kernel.OrgCharity, "371725")},
			kernel.Membership{Role: kernel.RoleVerifier, Org: org(1, kernel.OrgCivilAffairs, "371725")}), "371725:*"},
		{"two places", principal(
			kernel.Membership{Role: kernel.RoleAuditor, Org: org(3, kernel.OrgCharity, "371702")},
			kernel.Membership{Role: kernel.RoleVerifier, Org: org(1, kernel.OrgCivilAffairs, "371725")}), "371725:*,371702:3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, a := range Areas(d, tc.p) {
				s := a.Prefix + ":*"
				if a.Org != nil {
					s = a.Prefix + ":" + string(rune('0'+a.Org.ID))
				}
				got = append(got, s)
			}
			if strings.Join(got, ",") != tc.want {
				t.Errorf("areas %v, want %s", got, tc.want)
			}
		})
	}
}

// fakeStore answers the service from fixed cells.
type fakeStore struct {
	CountyStore
	cells   []Cell
	overdue []Cell
	prefix  string
}

func (f *fakeStore) Cells(_ context.Context, prefix string, _ []time.Time) ([]Cell, error) {
	f.prefix = prefix
	return append([]Cell(nil), f.cells...), nil
}
func (f *fakeStore) Overdue(context.Context, string, time.Time) ([]Cell, error) {
	return f.overdue, nil
}
func (f *fakeStore) Orgs(_ context.Context, ids []int64) (map[int64]Org, error) {
	out := map[int64]Org{}
	for _, id := range ids {
		out[id] = Org{ID: id, PublicID: "o" + string(rune('0'+id)), Name: "机构" + string(rune('0'+id))}
	}
	return out, nil
}

// TestReportRollsUpTheCells: the cells sum into the total and every
// breakdown; a place under none of the children goes to the region's own
// line; another organization's money is left out of a limited area; a
// region outside is refused.
func TestReportRollsUpTheCells(t *testing.T) {
	d, err := kernel.LoadDivisions()
	if err != nil {
		t.Fatal(err)
	}
	town := d.Children("371725")[0]
	st := &fakeStore{cells: []Cell{
		{Bucket: 0, Region: town + "201", Category: kernel.CatMedical, OrgID: 1, Figures: Figures{Received: 2, ClearanceDecided: 2, ClearanceOnTime: 1}},
		{Bucket: 10, Region: "371725", Category: kernel.CatEducation, OrgID: 1, Figures: Figures{Received: 1}},
		{Bucket: 10, Region: "371725", OrgID: 3, Figures: Figures{RaisedFen: 500}},
		{Bucket: 11, Region: town, Category: kernel.CatMedical, OrgID: 2, Figures: Figures{AllocatedFen: 300, PaidFen: 100}},
		{Bucket: 3, Region: town, Category: kernel.CatMedical, OrgID: 1, Programme: kernel.ProgDibao, Figures: Figures{ReferralsMade: 1, ReferralsOpen: 1}},
	}, overdue: []Cell{{Region: town, Category: kernel.CatCare, OrgID: 1, Figures: Figures{ClearanceOverdue: 4}}}}
	now := time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC)
	s := &Service{Store: st, Divisions: d, Now: func() time.Time { return now }}
	ver := principal(kernel.Membership{Role: kernel.RoleVerifier, Org: org(9, kernel.OrgCivilAffairs, "371725")})
	r, err := s.Report(context.Background(), ver, Query{Period: Period{Year: 2026}})
	if err != nil {
		t.Fatal(err)
	}
	if st.prefix != "371725" || r.Region != "371725" || !r.AsOf.Equal(now) {
		t.Errorf("asked %s, report %s as of %v", st.prefix, r.Region, r.AsOf)
	}
	want := Figures{Received: 3, ClearanceDecided: 2, ClearanceOnTime: 1, RaisedFen: 500, AllocatedFen: 300, PaidFen: 100,
		ReferralsMade: 1, ReferralsOpen: 1, ClearanceOverdue: 4}
	if r.Total != want {
		t.Errorf("total %+v", r.Total)
	}
	var townRow, self *Row
	for i := range r.Regions {
		switch {
		case r.Regions[i].Key == town:
			townRow = &r.Regions[i]
		case r.Regions[i].Self:
			self = &r.Regions[i]
		}
	}
	if townRow == nil || townRow.Received != 2 || townRow.PaidFen != 100 || townRow.ClearanceOverdue != 4 || self == nil || self.Received != 1 || self.RaisedFen != 500 {
		t.Errorf("by place: town %+v, own line %+v", townRow, self)
	}
	if len(r.Months) != 12 || r.Months[10].Received != 1 || r.Months[11].PaidFen != 100 || r.Months[11].ClearanceOverdue != 4 || r.Months[0].ClearanceOverdue != 4 {
		t.Errorf("by month %+v", r.Months)
	}
	if len(r.Categories) != len(kernel.Categories) || r.Categories[1].Key != "medical" || r.Categories[1].Received != 2 || r.Categories[1].RaisedFen != 0 {
		t.Errorf("by category %+v", r.Categories)
	}
	if len(r.Orgs) != 3 || len(r.Programmes) != 1 || r.Programmes[0].Name != "低保金" {
		t.Errorf("by organization %+v, by programme %+v", r.Orgs, r.Programmes)
	}
	// A charity of the county: the needs, and its own money only.
	charity := principal(kernel.Membership{Role: kernel.RoleFederationStaff, Org: org(3, kernel.OrgCharity, "371725")})
	r, err = s.Report(context.Background(), charity, Query{Period: Period{Year: 2026}})
	if err != nil {
		t.Fatal(err)
	}
	if r.MoneyOf == nil || r.MoneyOf.ID != 3 || r.Total.RaisedFen != 500 || r.Total.AllocatedFen != 0 || r.Total.Received != 3 {
		t.Errorf("the charity's report %+v", r.Total)
	}
	// Outside, and nobody's.
	for _, q := range []Query{{Period: Period{Year: 2026}, Region: "371702"}, {Period: Period{Year: 2026}, Region: "3717"}} {
		if _, err := s.Report(context.Background(), ver, q); !errors.Is(err, kernel.ErrForbidden) {
			t.Errorf("%s: %v, want forbidden", q.Region, err)
		}
	}
	if _, err := s.Report(context.Background(), principal(kernel.Membership{Role: kernel.RoleDonor}), Query{Period: Period{Year: 2026}}); !errors.Is(err, kernel.ErrForbidden) {
		t.Errorf("a donor: %v", err)
	}
	var ve *kernel.ValidationError
	if _, err := s.Report(context.Background(), ver, Query{Period: Period{Year: 2026}, Region: "3717x"}); !errors.As(err, &ve) {
		t.Errorf("a bad region: %v", err)
	}
}

// TestReportRefusesCellsOutsideThePeriod: a store that answers a month
// with the cell of another is a defect the report says, not a panic.
func TestReportRefusesCellsOutsideThePeriod(t *testing.T) {
	d, err := kernel.LoadDivisions()
	if err != nil {
		t.Fatal(err)
	}
	st := &fakeStore{cells: []Cell{{Bucket: 3, Region: "371725", Figures: Figures{Received: 1}}}}
	s := &Service{Store: st, Divisions: d, Now: time.Now}
	ver := principal(kernel.Membership{Role: kernel.RoleVerifier, Org: org(9, kernel.OrgCivilAffairs, "371725")})
	if _, err := s.Report(context.Background(), ver, Query{Period: Period{Year: 2026, Month: 11}}); err == nil || !strings.Contains(err.Error(), "outside the period") {
		t.Errorf("a cell outside: %v", err)
	}
}
