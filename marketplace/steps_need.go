package marketplace

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// The steps of a need's case: the needs service starts and ends them with
// the need's own changes (NeedWrite.StartSteps, EndSteps), and reads them
// back for its private readers.

// OfficeFinder finds organizations by region: the civil affairs offices of
// a town, for the first step of two-step approval. The gorm store
// implements it (the same method as PeopleStore.OrgsCovering).
type OfficeFinder interface {
	OrgsCovering(ctx context.Context, codes []string, kinds []kernel.OrgKind) ([]kernel.Org, error)
}

// offices is the service's office finder: Offices, else the store when it
// is one.
func (s *NeedService) offices() OfficeFinder {
	if s.Offices != nil {
		return s.Offices
	}
	if f, ok := s.Store.(OfficeFinder); ok {
		return f
	}
	return nil
}

// firstStep is the approval step a need of region starts at, and its
// limit: the clearance with one step; with two, the town's review when the
// region is a town with a civil affairs office of its own, else the
// county's approval at once (a need filed at county level, or in a town
// whose office is not on the platform: nobody would review it).
func (s *NeedService) firstStep(ctx context.Context, region string) (StepKind, int, error) {
	if !s.Config.TwoStep {
		return StepClearance, s.Config.ClearanceWorkingDays, nil
	}
	if s.Divisions == nil || s.Divisions.Level(region) != kernel.LevelTown {
		return StepCountyApproval, s.Config.ClearanceWorkingDays, nil
	}
	if f := s.offices(); f != nil {
		orgs, err := f.OrgsCovering(ctx, []string{region}, []kernel.OrgKind{kernel.OrgCivilAffairs})
		if err != nil {
			return "", 0, fmt.Errorf("town office: %w", err)
		}
		if len(orgs) == 0 {
			return StepCountyApproval, s.Config.ClearanceWorkingDays, nil
		}
	}
	return StepTownReview, s.Config.TownReviewWorkingDays, nil
}

// newStep is step k of need n, started at start, due at due.
func (s *NeedService) newStep(n *Need, k StepKind, start time.Time, days int, due time.Time) CaseStep {
	return CaseStep{PublicID: s.NewID(), Step: k, SubjectID: n.PublicID, RegionCode: n.RegionCode, Level: k.Level(), LimitDays: days,
		StartedAt: start, DueAt: due}
}

// endCase ends the steps a need ending at now (outcome: its final status)
// still has open: its approval step when it is still submitted, and the
// case.
func (s *NeedService) endCase(n *Need, by *kernel.Principal, now time.Time, outcome string) []StepEnd {
	var out []StepEnd
	if n.ApprovalStep != "" {
		out = append(out, StepEnd{Step: n.ApprovalStep, At: now, Outcome: outcome, By: actorOf(by)})
		n.ApprovalStep, n.EscalatedLevel = "", ""
	}
	return append(out, StepEnd{Step: StepCase, At: now, Outcome: outcome, By: actorOf(by)})
}

// review records the town's review that passes a need on to the county's
// approval (the need stays submitted): the town step ends, the county's
// starts, due in ClearanceWorkingDays, and the figures the town corrected
// are kept.
func (s *NeedService) review(ctx context.Context, by *kernel.Principal, n *Need, in ClearanceInput, statutory, requested int64, now time.Time) (*Need, error) {
	overdue := n.ClearanceDueAt != nil && now.After(*n.ClearanceDueAt)
	days := s.Config.ClearanceWorkingDays
	due := s.Config.Calendar.AddWorkingDays(now, days)
	n.StatutoryReliefFen, n.RequestedFen, n.UpdatedAt = statutory, requested, now
	n.ApprovalStep, n.EscalatedLevel, n.ClearanceDueAt = StepCountyApproval, "", &due
	ev, err := s.event(n, by, "need.review", n.Status, n.Status, &eventNote{Note: in.Note, Reference: in.Reference})
	if err != nil {
		return nil, err
	}
	a := s.audit(n, by, ev, map[string]any{"decision": OutcomePassed, "step": StepTownReview, "overdue": overdue,
		"statutory_relief_fen": statutory, "requested_fen": requested, "county_due_at": due})
	w := NeedWrite{Need: n, Event: ev, Audit: a,
		EndSteps:   []StepEnd{{Step: StepTownReview, At: now, Outcome: OutcomePassed, By: actorOf(by)}},
		StartSteps: []CaseStep{s.newStep(n, StepCountyApproval, now, days, due)}}
	if err := s.Store.SaveNeed(ctx, w); err != nil {
		return nil, fmt.Errorf("needs: town review: %w", err)
	}
	return n, nil
}

// groupDecision builds the 一事一议 recorded with the county's decision at
// step, its reasoning sealed.
func (s *NeedService) groupDecision(n *Need, by *kernel.Principal, step StepKind, in ClearanceInput, now time.Time) (*GroupDecision, error) {
	g := &GroupDecision{PublicID: s.NewID(), NeedID: n.ID, Step: step, Decision: in.Decision, DecidedOn: in.Group.DecidedOn,
		Members: in.Group.Members, RequestedFen: n.RequestedFen, RecordedBy: actorOf(by), RecordedAt: now}
	var err error
	if g.ReasoningCT, g.ReasoningKID, err = s.seal(in.Group.Reasoning, "group:"+g.PublicID); err != nil {
		return nil, err
	}
	return g, nil
}

// NeedSteps is a need's case steps and 一事一议, for its private readers.
type NeedSteps struct {
	Steps          []CaseStep
	GroupDecisions []GroupDecision
}

// Steps returns the steps of a need's case (objections' included), by
// start, and its group decisions with their reasoning opened, to those who
// may see the need privately (ErrNotFound for anyone else).
func (s *NeedService) Steps(ctx context.Context, by *kernel.Principal, publicID string) (*NeedSteps, error) {
	n, err := s.load(ctx, by, publicID)
	if err != nil {
		return nil, err
	}
	steps, err := s.Store.CaseSteps(ctx, n.PublicID)
	if err != nil {
		return nil, fmt.Errorf("needs: steps: %w", err)
	}
	gds, err := s.Store.GroupDecisions(ctx, n.ID)
	if err != nil {
		return nil, fmt.Errorf("needs: group decisions: %w", err)
	}
	for i := range gds {
		if err := s.open(gds[i].ReasoningCT, gds[i].ReasoningKID, "group:"+gds[i].PublicID, &gds[i].Reasoning); err != nil {
			return nil, fmt.Errorf("needs: open group decision: %w", err)
		}
	}
	if steps == nil {
		steps = []CaseStep{}
	}
	// The case's own step, which runs over all the others, comes last.
	slices.SortStableFunc(steps, func(a, b CaseStep) int {
		switch {
		case a.Step == StepCase && b.Step != StepCase:
			return 1
		case a.Step != StepCase && b.Step == StepCase:
			return -1
		}
		return 0
	})
	if gds == nil {
		gds = []GroupDecision{}
	}
	return &NeedSteps{Steps: steps, GroupDecisions: gds}, nil
}

// GroupDecisionRequired reports whether the county's decision on n needs a
// group decision (一事一议) under the service's configuration.
func (s *NeedService) GroupDecisionRequired(n *Need) bool {
	return s.Config.GroupDecisionAboveFen > 0 && n.RequestedFen > s.Config.GroupDecisionAboveFen && n.ApprovalStep != StepTownReview
}

// EscalatedStep is an open step escalated to one of the caller's offices,
// with the title of its need ("" for a report's step).
type EscalatedStep struct {
	Step  CaseStep
	Title string
}

// Escalations lists the open steps escalated to the civil affairs offices
// where by is a verifier (督办: a town review or a report not followed up
// at the county, a county decision at the city, a case not closed in time
// at the county), the earliest due first, at most limit. ErrForbidden for
// anyone else.
func (s *NeedService) Escalations(ctx context.Context, by *kernel.Principal, limit int) ([]EscalatedStep, error) {
	var regions []string
	for _, o := range by.OrgsWith(kernel.RoleVerifier) {
		if o.Kind == kernel.OrgCivilAffairs {
			regions = append(regions, o.RegionCode)
		}
	}
	if len(regions) == 0 {
		return nil, kernel.ErrForbidden
	}
	if limit <= 0 || limit > 200 {
		limit = 100
	}
	steps, err := s.Store.EscalatedTo(ctx, regions, limit)
	if err != nil {
		return nil, fmt.Errorf("needs: escalations: %w", err)
	}
	var ids []int64
	for _, st := range steps {
		if st.NeedID != 0 {
			ids = append(ids, st.NeedID)
		}
	}
	titles := map[int64]string{}
	if len(ids) > 0 {
		ns, _, err := s.Store.ListNeeds(ctx, NeedQuery{IDs: ids, Limit: len(ids)})
		if err != nil {
			return nil, fmt.Errorf("needs: escalations: %w", err)
		}
		sums, err := s.summaries(ns)
		if err != nil {
			return nil, err
		}
		for _, x := range sums {
			titles[x.Need.ID] = x.Title
		}
	}
	out := make([]EscalatedStep, len(steps))
	for i, st := range steps {
		out[i] = EscalatedStep{Step: st, Title: titles[st.NeedID]}
	}
	return out, nil
}

// CaseOpen reports whether the need's case is still running against its
// limit (CaseDueAt): it has one and has not ended (closed, rejected,
// referred or withdrawn).
func (n *Need) CaseOpen() bool {
	switch n.Status {
	case kernel.NeedClosed, kernel.NeedRejected, kernel.NeedReferred, kernel.NeedWithdrawn:
		return false
	}
	return n.CaseDueAt != nil
}
