package funds

import (
	"context"
	"errors"
	"strings"

	"github.com/jiujinan/jiujinan/kernel"
)

// What the staff who pay a need's money out need besides NeedMoney and
// DisburseNeed: the needs waiting for them, and the names of the funds and
// projects a need's money came from.

// MaxNeedsToPay bounds the list NeedsToPay returns.
const MaxNeedsToPay = 500

// needsToPayBatch is how many candidates of a region are read at a time.
const needsToPayBatch = 200

// NeedsToPay lists, oldest first and at most limit (1..MaxNeedsToPay), the
// needs holding money not yet paid out whose donations an organization of
// by receives (the one MayDisburseNeed names): the needs by's staff pay out.
// Needs that were withdrawn or closed are left out: their money waits for
// their donors' choices, not for a payment. It is empty for anyone who is
// not federation staff of a charity federation.
func (s *Service) NeedsToPay(ctx context.Context, by *kernel.Principal, limit int) ([]NeedState, error) {
	if limit <= 0 || limit > MaxNeedsToPay {
		limit = MaxNeedsToPay
	}
	out := []NeedState{}
	seen := map[int64]bool{}
	// The receiving organization of a need depends on its county only.
	receiver := map[string]int64{}
	for _, org := range by.OrgsWith(kernel.RoleFederationStaff) {
		if org.Kind != kernel.OrgCharityFederation {
			continue
		}
		prefix := s.regionPrefix(org.RegionCode)
		if prefix == "" {
			continue
		}
		for after := int64(0); len(out) < limit; {
			ns, err := s.Store.NeedsToPay(ctx, prefix, after, needsToPayBatch)
			if err != nil {
				return nil, err
			}
			for _, n := range ns {
				after = n.ID
				if seen[n.ID] || len(n.RegionCode) < 6 || len(out) == limit {
					continue
				}
				id, ok := receiver[n.RegionCode[:6]]
				if !ok {
					id, _, _, err = s.Store.ReceivingOrg(ctx, n.RegionCode)
					if errors.Is(err, kernel.ErrNotFound) {
						id, err = 0, nil
					}
					if err != nil {
						return nil, err
					}
					receiver[n.RegionCode[:6]] = id
				}
				if id == org.ID {
					seen[n.ID] = true
					out = append(out, n)
				}
			}
			if len(ns) < needsToPayBatch {
				break
			}
		}
	}
	return out, nil
}

// regionPrefix is the prefix of every region code inside an organization's
// region: "37" for a province, "3717" for a city, the county's code.
func (s *Service) regionPrefix(code string) string {
	if s.Divisions != nil {
		if p := s.Divisions.Prefix(code); p != "" {
			return p
		}
	}
	switch {
	case len(code) != 6:
		return ""
	case strings.HasSuffix(code, "0000"):
		return code[:2]
	case strings.HasSuffix(code, "00"):
		return code[:4]
	}
	return code
}

// SourceRef names a fund or project.
type SourceRef struct {
	ID       int64
	PublicID string
	Kind     SourceKind
	Name     string
}

// LotSources names the fund or project each lot came from, for the lots
// that have one (allocations and matching gifts), by the lot's SourceID.
// Funds and projects are public: it asks for no principal.
func (s *Service) LotSources(ctx context.Context, lots []Lot) (map[int64]SourceRef, error) {
	var ids []int64
	seen := map[int64]bool{}
	for _, l := range lots {
		if l.SourceID != 0 && !seen[l.SourceID] {
			seen[l.SourceID] = true
			ids = append(ids, l.SourceID)
		}
	}
	out := map[int64]SourceRef{}
	if len(ids) == 0 {
		return out, nil
	}
	refs, err := s.Store.SourceRefs(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, r := range refs {
		out[r.ID] = r
	}
	return out, nil
}

// PayeeShown is the name part of a disbursement's masked payee
// (Payee.Masked): the provider's name, or the household's first character;
// the account and the reference are shown apart from it.
func PayeeShown(masked string) string {
	name, _, _ := strings.Cut(masked, " · ")
	return name
}
