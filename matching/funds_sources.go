package matching

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/funds"
)

// FundsSources gives the matching service the funds and projects of the
// funds service, and allocates through it: the one place money moves.
type FundsSources struct {
	Funds *funds.Service
	// OrgRegion returns an organization's region code (for proximity); nil
	// or an error leave it empty.
	OrgRegion func(ctx context.Context, orgID int64) (string, error)
	Now       func() time.Time
}

var _ Sources = (*FundsSources)(nil)

func (f *FundsSources) info(ctx context.Context, s *funds.Source) SourceInfo {
	si := SourceInfo{Kind: string(s.Kind), ID: s.PublicID, Name: s.Name, OrgID: s.OrgID, Restrictions: s.Restrictions,
		BalanceFen: s.BalanceFen, Running: s.Running(f.Now())}
	if f.OrgRegion != nil {
		si.RegionCode, _ = f.OrgRegion(ctx, s.OrgID)
	}
	return si
}

// AllSources implements Sources.
func (f *FundsSources) AllSources(ctx context.Context) ([]SourceInfo, error) {
	var out []SourceInfo
	regions := map[int64]string{}
	for _, kind := range []funds.SourceKind{funds.KindFund, funds.KindProject} {
		for offset := 0; ; offset += 500 {
			page, err := f.Funds.Sources(ctx, kind, 500, offset)
			if err != nil {
				return nil, err
			}
			for i := range page {
				si := SourceInfo{Kind: string(page[i].Kind), ID: page[i].PublicID, Name: page[i].Name, OrgID: page[i].OrgID,
					Restrictions: page[i].Restrictions, BalanceFen: page[i].BalanceFen, Running: page[i].Running(f.Now())}
				r, ok := regions[si.OrgID]
				if !ok && f.OrgRegion != nil {
					r, _ = f.OrgRegion(ctx, si.OrgID)
					regions[si.OrgID] = r
				}
				si.RegionCode = r
				out = append(out, si)
			}
			if len(page) < 500 {
				break
			}
		}
	}
	return out, nil
}

// SourceInfo implements Sources.
func (f *FundsSources) SourceInfo(ctx context.Context, publicID string) (*SourceInfo, error) {
	s, err := f.Funds.Store.Source(ctx, publicID)
	if err != nil {
		return nil, err
	}
	si := f.info(ctx, s)
	return &si, nil
}

// Allocate implements Sources through funds.Service.Allocate, turning the
// funds service's refusals into a *RefusalError with their reasons.
func (f *FundsSources) Allocate(ctx context.Context, by *kernel.Principal, kind, sourceID, needID string, amountFen int64) (string, error) {
	a, err := f.Funds.Allocate(ctx, by, funds.SourceKind(kind), sourceID, needID, amountFen, nil)
	if err == nil {
		return a.PublicID, nil
	}
	var inel *funds.IneligibleError
	var blk *kernel.ScreeningBlockedError
	var val *kernel.ValidationError
	switch {
	case errors.As(err, &inel):
		return "", &RefusalError{Reasons: inel.Reasons}
	case errors.As(err, &blk):
		return "", &RefusalError{Reasons: []kernel.Ineligibility{{Code: kernel.FailScreening, Message: "screening blocks this allocation now"}}}
	case errors.Is(err, funds.ErrInsufficientFunds):
		return "", &RefusalError{Reasons: []kernel.Ineligibility{{Code: "insufficient_funds", Message: "the fund's balance is too low now"}}}
	case errors.Is(err, kernel.ErrForbidden):
		return "", &RefusalError{Reasons: []kernel.Ineligibility{{Code: "forbidden", Message: "only staff of the fund's organization allocate its money"}}}
	case errors.As(err, &val):
		return "", &RefusalError{Reasons: []kernel.Ineligibility{{Code: "invalid", Message: val.Error()}}}
	case errors.Is(err, kernel.ErrConflict):
		return "", &RefusalError{Reasons: []kernel.Ineligibility{{Code: "conflict", Message: fmt.Sprint("the need or the fund changed: ", err)}}}
	}
	return "", err
}
