package funds

import (
	"errors"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
)

// A run is for one receiving organization: the caller's only federation,
// or the one named among theirs; staff of several must name it, and
// nobody reconciles another's bills.
func TestReconcileOrg(t *testing.T) {
	a := &kernel.Org{ID: 1, PublicID: "a"}
	b := &kernel.Org{ID: 2, PublicID: "b"}
	staff := func(orgs ...*kernel.Org) *kernel.Principal {
		p := &kernel.Principal{}
		for _, o := range orgs {
			p.Memberships = append(p.Memberships, kernel.Membership{Role: kernel.RoleFederationStaff, Org: o})
		}
		return p
	}
	donor := &kernel.Principal{Memberships: []kernel.Membership{{Role: kernel.RoleDonor}}}
	var ve *kernel.ValidationError
	for _, tc := range []struct {
		name string
		by   *kernel.Principal
		org  string
		want *kernel.Org
		err  func(error) bool
	}{
		{"the only federation", staff(a), "", a, nil},
		{"the one named", staff(a, b), "b", b, nil},
		{"staff of two name none", staff(a, b), "", nil, func(err error) bool { return errors.As(err, &ve) && ve.Fields["org"] != "" }},
		{"another federation", staff(a), "b", nil, func(err error) bool { return errors.Is(err, kernel.ErrForbidden) }},
		{"a donor", donor, "", nil, func(err error) bool { return errors.Is(err, kernel.ErrForbidden) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := reconcileOrg(tc.by, tc.org)
			if tc.err == nil {
				if err != nil || got != tc.want {
					t.Fatalf("%v, %v; want %v", got, err, tc.want)
				}
				return
			}
			if !tc.err(err) || got != nil {
				t.Fatalf("%v, %v", got, err)
			}
		})
	}
}
