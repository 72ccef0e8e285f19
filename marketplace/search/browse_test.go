package search

import (
	"context"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
)

// oneByOne reads needs one at a time only (no NeedsReader).
type oneByOne map[string]string

func (o oneByOne) PublicNeed(_ context.Context, id string, _ time.Time) (*marketplace.PublicNeed, error) {
	switch t, ok := o[id]; {
	case id == "broken":
		return nil, errors.New("disk on fire")
	case !ok:
		return nil, kernel.ErrNotFound
	default:
		return &marketplace.PublicNeed{ID: id, Title: t}, nil
	}
}

func TestBrowseTitles(t *testing.T) {
	b := &Browse{Needs: oneByOne{"A": "尿毒症透析费用", "B": "白血病化疗费用"}, Now: time.Now}
	for _, tc := range []struct {
		name    string
		ids     []string
		want    map[string]string
		wantErr bool
	}{
		{"public needs have their titles", []string{"A", "B"}, map[string]string{"A": "尿毒症透析费用", "B": "白血病化疗费用"}, false},
		{"a need not public has no entry", []string{"A", "hidden"}, map[string]string{"A": "尿毒症透析费用"}, false},
		{"no ids, no titles", nil, map[string]string{}, false},
		{"a failing read is an error", []string{"A", "broken"}, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := b.Titles(context.Background(), tc.ids)
			if (err != nil) != tc.wantErr || !tc.wantErr && !maps.Equal(got, tc.want) {
				t.Errorf("Titles(%v) = %v, %v; want %v", tc.ids, got, err, tc.want)
			}
		})
	}
}
