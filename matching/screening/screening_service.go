package screening

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/notify"

	"github.com/jiujinan/jiujinan/marketplace"
)

// Service runs and stores screenings, keeps the review queue and
// the referrals. It implements marketplace.Screener, which the need
// lifecycle and funds call before they clear, allocate or disburse.
type Service struct {
	Store    Store
	Payments Source
	Config   Config
	// Cipher seals the free text verifiers write (reasons, notes).
	Cipher *marketplace.Cipher
	// Divisions tell which needs a verifier's office covers
	// (marketplace.CoveringVerifier).
	Divisions *kernel.Divisions
	Now       func() time.Time
	NewID     func() string
	// Notify records the notices of the referrals a screening opens, right
	// after they are stored (nil tells nobody).
	Notify *notify.Afterwards
}

var _ marketplace.ClearanceAcknowledger = (*Service)(nil)

// NewService returns a service over its stores.
func NewService(store Store, payments Source, cfg Config, c *marketplace.Cipher, d *kernel.Divisions, now func() time.Time, newID func() string) *Service {
	return &Service{Store: store, Payments: payments, Config: cfg, Cipher: c, Divisions: d, Now: now, NewID: newID}
}

// Screen implements marketplace.Screener: it gathers the need, the
// person's other needs and statutory payments, runs the rules, applies a
// verifier's override of the same evidence, stores the screening (with the
// referrals missed relief suggests) and returns it. ErrNotFound when the
// need does not exist; a negative amount is a ValidationError.
//
// At a stage that moves money (movesMoney: allocate, gift) the screening
// is of the request: the need with amountFen about to move. When the
// amount alone makes it worse than the need's own screening (the same
// picture with nothing moving), the request is refused on its own: its
// screening is stored as a request (Latest false), and the need's stored
// screening, its screening_result and block_override stay as they were, so
// that a refused request neither puts the need in the review queue nor
// stops other money for it. Otherwise it is stored as the need's latest.
// Either way the request's screening is returned: its Result decides
// whether the money moves.
func (s *Service) Screen(ctx context.Context, needPublicID string, stage kernel.ScreeningStage, amountFen int64) (*kernel.Screening, error) {
	switch stage {
	case kernel.StageSubmit, kernel.StageClear, kernel.StageAllocate, kernel.StageDisburse, kernel.StageGift:
	default:
		return nil, kernel.Invalid("stage", "unknown stage %q", stage)
	}
	if amountFen < 0 {
		return nil, kernel.Invalid("amount_fen", "must not be negative")
	}
	rec, err := s.screen(ctx, needPublicID, stage, amountFen)
	if err != nil {
		return nil, fmt.Errorf("matching: screen: %w", err)
	}
	return &rec.Screening, nil
}

func (s *Service) screen(ctx context.Context, needPublicID string, stage kernel.ScreeningStage, amountFen int64) (*Record, error) {
	n, others, err := s.Store.NeedWithPerson(ctx, needPublicID)
	if err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	from, to := n.Period.From, n.Period.To
	if to.Before(from) {
		to = from
	}
	if ws := s.Config.LookBackStart(now); ws.Before(from) {
		from = ws
	}
	if now.After(to) {
		to = now
	}
	// The household's payments: the beneficiary's and every member's.
	// The beneficiary is the need's pseudonym whether or not the household
	// is recorded (a need posted before households were).
	household := []Member{{Pseudonym: n.Pseudonym, Role: kernel.RoleBeneficiary}}
	for _, m := range n.Household {
		if m.Pseudonym != n.Pseudonym {
			household = append(household, m)
		}
	}
	pseudonyms := make([]string, len(household))
	for i, m := range household {
		pseudonyms[i] = m.Pseudonym
	}
	pays, err := s.Payments.PaymentsForAny(ctx, pseudonyms, from, to)
	if err != nil {
		return nil, err
	}
	in := Input{Need: n.Need, Household: household, Payments: pays, Others: others, Stage: stage, AmountFen: amountFen, Now: now}
	report := Screen(s.Config, in)
	rec := &Record{NeedKey: n.Key, Latest: true, Screening: kernel.Screening{
		ID: s.NewID(), NeedID: n.ID, Stage: stage, Result: report.Result, Checks: report.Checks, AmountFen: amountFen, At: now,
		PersonState: n.PersonState, RoomFen: report.RoomFen}}
	if err := s.applyOverrideFor(ctx, rec); err != nil {
		return nil, err
	}
	if movesMoney(stage) && amountFen > 0 {
		// The need's own screening: the same picture with nothing moving.
		in.AmountFen = 0
		own := Screen(s.Config, in)
		ownRec := &Record{NeedKey: n.Key, Screening: kernel.Screening{Result: own.Result, Checks: own.Checks}}
		if err := s.applyOverrideFor(ctx, ownRec); err != nil {
			return nil, err
		}
		rec.Latest = outcomeRank(rec.Result) <= outcomeRank(ownRec.Result)
	}
	// A decision on the same evidence carries over, so that re-running a
	// screening does not put a settled case back in the queue. A refused
	// request is never in the queue: nothing to carry.
	if rec.Latest && rec.Decision == "" && rec.Result != kernel.ScreenClear {
		prev, err := s.Store.LatestScreening(ctx, n.Key)
		switch {
		case err == nil:
			if prev.Decision != "" && prev.WarnFingerprint == rec.WarnFingerprint &&
				(prev.Decision != DecisionUphold || rec.Result == kernel.ScreenBlock) &&
				(prev.Decision != DecisionAcknowledge || rec.Result == kernel.ScreenWarn) &&
				prev.Decision != DecisionOverride {
				rec.Decision, rec.DecidedBy, rec.DecidedAt = prev.Decision, prev.DecidedBy, prev.DecidedAt
			}
		case !errors.Is(err, kernel.ErrNotFound):
			return nil, err
		}
	}
	var refs []Referral
	for _, r := range report.Referrals {
		refs = append(refs, Referral{ID: s.NewID(), NeedKey: n.Key, NeedID: n.ID, Programme: r.Programme, Reason: r.Reason,
			Status: ReferralOpen, CreatedAt: now, UpdatedAt: now})
	}
	if err := s.Store.SaveScreening(ctx, rec, refs); err != nil {
		return nil, err
	}
	s.Notify.Publish(ctx, referralNotices(n, refs, now)...)
	return rec, nil
}

// applyOverrideFor sets rec's fingerprints from its checks and, when it
// blocks, applies a verifier's override of exactly this evidence.
func (s *Service) applyOverrideFor(ctx context.Context, rec *Record) error {
	rec.BlockFingerprint = Fingerprint(rec.Checks)
	rec.WarnFingerprint = WarningFingerprint(rec.Checks)
	if rec.Result != kernel.ScreenBlock {
		return nil
	}
	ov, err := s.Store.OverrideFor(ctx, rec.NeedKey, rec.BlockFingerprint)
	switch {
	case err == nil:
		applyOverride(rec, ov)
	case !errors.Is(err, kernel.ErrNotFound):
		return err
	}
	return nil
}

// applyOverride turns the blocks of rec into warnings: a verifier lifted
// them for exactly this evidence.
func applyOverride(rec *Record, ov *Override) {
	rec.Result = kernel.ScreenClear
	for i := range rec.Checks {
		c := &rec.Checks[i]
		if c.Result == kernel.ScreenBlock {
			c.Result = kernel.ScreenWarn
			c.Message = "block overridden by a verifier for this evidence: " + c.Message
		}
		rec.Result = Worst(rec.Result, c.Result)
	}
	rec.Overridden = true
	at := ov.At
	rec.Decision, rec.DecidedBy, rec.DecidedAt = DecisionOverride, ov.Verifier, &at
}

// canSee reports whether p may read the screenings of n: verifiers whose
// office covers the need's region, federation staff (who allocate to any
// need), social workers of the posting organization.
func (s *Service) canSee(p *kernel.Principal, n *ScreenedNeed) bool {
	if p == nil {
		return false
	}
	for _, m := range p.Memberships {
		switch m.Role {
		case kernel.RoleFederationStaff:
			return true
		case kernel.RoleSocialWorker:
			if m.Org != nil && m.Org.PublicID == n.OrgID {
				return true
			}
		}
	}
	return s.covers(p, n.RegionCode)
}

// covers reports whether p is a verifier whose office covers region: the
// rule of clearance, for every verifier's work here.
func (s *Service) covers(p *kernel.Principal, region string) bool {
	return marketplace.CoveringVerifier(s.Divisions, p, region)
}

// Screenings returns the need's latest screening, or with all its history
// (at most 200: the latest first, then the older screenings and the
// screenings of refused requests, newest first). ErrNotFound when the need
// does not exist, has no screening, or p may not see it.
func (s *Service) Screenings(ctx context.Context, p *kernel.Principal, needPublicID string, all bool) ([]Record, error) {
	n, err := s.Store.NeedForScreening(ctx, needPublicID)
	if err != nil {
		return nil, fmt.Errorf("matching: screenings: %w", err)
	}
	if !s.canSee(p, n) {
		return nil, fmt.Errorf("matching: screenings: %w", kernel.ErrNotFound)
	}
	limit := 1
	if all {
		limit = 200
	}
	recs, err := s.Store.Screenings(ctx, n.Key, limit)
	if err != nil {
		return nil, fmt.Errorf("matching: screenings: %w", err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("matching: screenings: no screening yet: %w", kernel.ErrNotFound)
	}
	return recs, nil
}

// Rerun screens the need again now, at the clear stage (a verifier's
// re-check); only verifiers may, and only those whose office covers the
// need's region: ErrNotFound for the others.
func (s *Service) Rerun(ctx context.Context, p *kernel.Principal, needPublicID string) (*Record, error) {
	if !p.Has(kernel.RoleVerifier) {
		return nil, kernel.ErrForbidden
	}
	n, err := s.Store.NeedForScreening(ctx, needPublicID)
	if err != nil {
		return nil, fmt.Errorf("matching: rerun screening: %w", err)
	}
	if !s.covers(p, n.RegionCode) {
		return nil, fmt.Errorf("matching: rerun screening: %w", kernel.ErrNotFound)
	}
	rec, err := s.screen(ctx, needPublicID, kernel.StageClear, 0)
	if err != nil {
		return nil, fmt.Errorf("matching: rerun screening: %w", err)
	}
	return rec, nil
}

// QueueItem is one case of the review queue: the screening, the need and
// the needs its evidence names, side by side.
type QueueItem struct {
	Screening Record
	Need      NeedSummary
	Related   []NeedSummary
}

// QueueFilter selects a page of the review queue.
type QueueFilter struct {
	// Rule keeps the cases with a check of this rule that warns or blocks
	// (kernel.RuleStatutoryOverlap, …); "" keeps all.
	Rule string
	// Region keeps the needs in this region (a GB/T 2260 code; a prefix
	// of the codes inside it) within the regions the verifier's office
	// covers; "" keeps all of them.
	Region string
	// Limit is the page size (1..500, default 100); Offset the cases
	// skipped before it.
	Limit  int
	Offset int
}

// QueuePage is a page of the review queue and how many cases the filter
// selects in all.
type QueuePage struct {
	Items  []QueueItem
	Total  int
	Limit  int
	Offset int
}

// ReviewQueue returns the first limit cases of the review queue (see
// ReviewQueuePage).
func (s *Service) ReviewQueue(ctx context.Context, p *kernel.Principal, limit int) ([]QueueItem, error) {
	pg, err := s.ReviewQueuePage(ctx, p, QueueFilter{Limit: limit})
	if err != nil {
		return nil, err
	}
	return pg.Items, nil
}

// ReviewQueuePage returns the open cases of the needs in the regions p's
// civil affairs offices cover, one per need: the need's latest own
// screening when it warns or blocks and no verifier has decided it
// (clearing a need acknowledges the warnings of the clearance's screening,
// AcknowledgeAtClearance); blocks first, then oldest first, filtered by f.
// ErrForbidden for anyone who is not a verifier of a civil affairs office;
// a ValidationError for an unknown rule, a malformed region, a negative
// offset.
func (s *Service) ReviewQueuePage(ctx context.Context, p *kernel.Principal, f QueueFilter) (*QueuePage, error) {
	regions := marketplace.VerifierRegions(s.Divisions, p)
	if len(regions) == 0 {
		return nil, kernel.ErrForbidden
	}
	v := &kernel.ValidationError{}
	switch f.Rule {
	case "", kernel.RuleStatutoryOverlap, kernel.RuleCrossCharityDuplicate, kernel.RuleOverAllocation, kernel.RuleMissedRelief:
	default:
		v.Add("rule", "must be statutory_overlap, cross_charity_duplicate, over_allocation or missed_relief")
	}
	if f.Region != "" && !validRegion(f.Region) {
		v.Add("region", "must be a region code of 2 to 12 digits")
	}
	if f.Offset < 0 {
		v.Add("offset", "must not be negative")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	if f.Region != "" {
		// A known division stands for the codes inside it (370000 → 37);
		// anything else is taken as a prefix as it is.
		prefix := s.Divisions.Prefix(f.Region)
		if prefix == "" {
			prefix = f.Region
		}
		regions = narrowRegions(regions, prefix)
	}
	page := &QueuePage{Items: []QueueItem{}, Limit: f.Limit, Offset: f.Offset}
	if len(regions) == 0 {
		return page, nil
	}
	recs, total, err := s.Store.ReviewQueue(ctx, QueueQuery{RegionPrefixes: regions, Rule: f.Rule, Limit: f.Limit, Offset: f.Offset})
	if err != nil {
		return nil, fmt.Errorf("matching: review queue: %w", err)
	}
	page.Total = total
	var ids []string
	for _, r := range recs {
		ids = append(ids, r.NeedID)
		for _, c := range r.Checks {
			for _, e := range c.Evidence {
				if e.Kind == EvidenceNeed {
					ids = append(ids, e.ID)
				}
			}
		}
	}
	sums, err := s.Store.NeedSummaries(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("matching: review queue: %w", err)
	}
	byID := map[string]NeedSummary{}
	for _, n := range sums {
		n.RegionName = s.Divisions.FullName(n.RegionCode)
		byID[n.ID] = n
	}
	for _, r := range recs {
		it := QueueItem{Screening: r, Need: byID[r.NeedID], Related: []NeedSummary{}}
		seen := map[string]bool{r.NeedID: true}
		for _, c := range r.Checks {
			for _, e := range c.Evidence {
				if e.Kind != EvidenceNeed || seen[e.ID] {
					continue
				}
				seen[e.ID] = true
				if n, ok := byID[e.ID]; ok {
					it.Related = append(it.Related, n)
				}
			}
		}
		page.Items = append(page.Items, it)
	}
	return page, nil
}

// validRegion reports whether code looks like a GB/T 2260 code or prefix.
func validRegion(code string) bool {
	if len(code) < 2 || len(code) > 12 {
		return false
	}
	for _, r := range code {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// narrowRegions keeps of the verifier's region prefixes those inside
// prefix, or prefix itself when it lies inside one of them: a filter never
// reaches beyond the verifier's own regions.
func narrowRegions(regions []string, prefix string) []string {
	var out []string
	for _, r := range regions {
		switch {
		case strings.HasPrefix(prefix, r):
			return []string{prefix}
		case strings.HasPrefix(r, prefix):
			out = append(out, r)
		}
	}
	return out
}

// MinOverrideReason is the shortest written reason an override takes.
const MinOverrideReason = 10

// Decide records a verifier's decision on a screening of the review queue:
// acknowledge (a warning), override (a block, with a reason of at least
// MinOverrideReason characters) or uphold (a block). It is audited on the
// need's stream; the reason is stored sealed and never in the audit.
// ErrNotFound for an unknown screening or one of a need outside the
// regions p's office covers; ErrConflict when the screening is no longer
// the need's latest or was already decided.
func (s *Service) Decide(ctx context.Context, p *kernel.Principal, screeningID string, d Decision, reason string) (*Record, error) {
	if !p.Has(kernel.RoleVerifier) {
		return nil, kernel.ErrForbidden
	}
	reason = strings.TrimSpace(reason)
	v := &kernel.ValidationError{}
	switch d {
	case DecisionAcknowledge, DecisionOverride, DecisionUphold:
	default:
		v.Add("decision", "must be acknowledge, override or uphold")
	}
	if d == DecisionOverride && utf8.RuneCountInString(reason) < MinOverrideReason {
		v.Add("reason", "an override needs a written reason of at least %d characters", MinOverrideReason)
	}
	if utf8.RuneCountInString(reason) > 2000 {
		v.Add("reason", "at most 2000 characters")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	rec, err := s.Store.ScreeningByPublicID(ctx, screeningID)
	if err != nil {
		return nil, fmt.Errorf("matching: decide: %w", err)
	}
	n, err := s.Store.NeedForScreening(ctx, rec.NeedID)
	if err != nil {
		return nil, fmt.Errorf("matching: decide: %w", err)
	}
	if !s.covers(p, n.RegionCode) {
		return nil, fmt.Errorf("matching: decide: %w", kernel.ErrNotFound)
	}
	switch {
	case rec.Result == kernel.ScreenClear:
		return nil, fmt.Errorf("matching: decide: %w: the screening is clear; nothing to decide", kernel.ErrConflict)
	case d == DecisionAcknowledge && rec.Result != kernel.ScreenWarn:
		return nil, kernel.Invalid("decision", "a block is overridden or upheld, not acknowledged")
	case d != DecisionAcknowledge && rec.Result != kernel.ScreenBlock:
		return nil, kernel.Invalid("decision", "only a block is overridden or upheld; acknowledge a warning")
	}
	now := s.Now().UTC()
	var ct []byte
	var kid string
	if reason != "" {
		ct, kid, err = s.Cipher.Seal([]byte(reason), []byte("screening:"+rec.ID))
		if err != nil {
			return nil, fmt.Errorf("matching: decide: %w", err)
		}
	}
	var ov *Override
	if d == DecisionOverride {
		ov = &Override{NeedKey: rec.NeedKey, ScreeningKey: rec.Key, Verifier: p.User.PublicID, ReasonCT: ct, ReasonKID: kid,
			Fingerprint: rec.BlockFingerprint, At: now}
	}
	detail, _ := json.Marshal(map[string]any{"screening": rec.ID, "decision": d, "result": rec.Result,
		"fingerprint": rec.BlockFingerprint, "reason_chars": utf8.RuneCountInString(reason)})
	audit := marketplace.AuditEntry{Stream: "need:" + rec.NeedID, At: now, Actor: p.User.PublicID, Action: "screening." + string(d),
		ObjectType: "screening", ObjectID: rec.ID, Detail: string(detail)}
	if err := s.Store.Decide(ctx, rec.Key, d, p.User.PublicID, ct, kid, ov, now, audit); err != nil {
		return nil, fmt.Errorf("matching: decide: %w", err)
	}
	rec.Decision, rec.DecidedBy, rec.DecidedAt = d, p.User.PublicID, &now
	return rec, nil
}

// AcknowledgeAtClearance implements marketplace.ClearanceAcknowledger:
// the verifier p cleared the need with the warnings of screening
// screeningID (the screening the clearance ran) in view, which is recorded
// as p's acknowledgement of them, audited like Decide's (with "clearance":
// true in the detail) — when its only warnings are the statutory figure's
// (statutory_overlap), which is what a clearance checks. Nothing is
// recorded for other warnings (a duplicate posting, missed relief, money
// near the limit stay in the queue), for a screening that does not
// warn (a block stays until decided), that is no longer the need's latest
// or is decided already, or for a p whose office does not cover the need.
func (s *Service) AcknowledgeAtClearance(ctx context.Context, p *kernel.Principal, needPublicID, screeningID string) error {
	if p == nil || !p.Has(kernel.RoleVerifier) {
		return nil
	}
	rec, err := s.Store.ScreeningByPublicID(ctx, screeningID)
	if err != nil {
		return fmt.Errorf("matching: acknowledge at clearance: %w", err)
	}
	if rec.NeedID != needPublicID || rec.Result != kernel.ScreenWarn || !rec.Latest || rec.Decision != "" {
		return nil
	}
	// What a clearance settles is the statutory figure the verifier
	// checked against the record. Another posting of the same person, a
	// missed programme or money near the limit are for the queue, side by
	// side, whoever cleared the need.
	for _, c := range rec.Checks {
		if c.Result != kernel.ScreenClear && c.Rule != kernel.RuleStatutoryOverlap {
			return nil
		}
	}
	n, err := s.Store.NeedForScreening(ctx, needPublicID)
	if err != nil {
		return fmt.Errorf("matching: acknowledge at clearance: %w", err)
	}
	if !s.covers(p, n.RegionCode) {
		return nil
	}
	now := s.Now().UTC()
	detail, _ := json.Marshal(map[string]any{"screening": rec.ID, "decision": DecisionAcknowledge, "result": rec.Result,
		"fingerprint": rec.BlockFingerprint, "reason_chars": 0, "clearance": true})
	audit := marketplace.AuditEntry{Stream: "need:" + rec.NeedID, At: now, Actor: p.User.PublicID, Action: "screening." + string(DecisionAcknowledge),
		ObjectType: "screening", ObjectID: rec.ID, Detail: string(detail)}
	err = s.Store.Decide(ctx, rec.Key, DecisionAcknowledge, p.User.PublicID, nil, "", nil, now, audit)
	if errors.Is(err, kernel.ErrConflict) {
		// A newer screening or a decision came first: that one stands.
		return nil
	}
	if err != nil {
		return fmt.Errorf("matching: acknowledge at clearance: %w", err)
	}
	return nil
}

// ReferralNote is one note on a referral.
type ReferralNote struct {
	At   time.Time `json:"at"`
	By   string    `json:"by"`
	Text string    `json:"text"`
}

// ReferralView is a referral with its notes opened.
type ReferralView struct {
	Referral
	Notes []ReferralNote
}

func (s *Service) openNotes(r *Referral) ([]ReferralNote, error) {
	notes := []ReferralNote{}
	if len(r.NotesCT) == 0 {
		return notes, nil
	}
	pt, err := s.Cipher.Open(r.NotesCT, r.NotesKID, []byte("referral:"+r.ID))
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(pt, &notes); err != nil {
		return nil, err
	}
	return notes, nil
}

// Referrals lists the referrals of the needs in the regions p's civil
// affairs offices cover, with status when not "". ErrForbidden for anyone
// who is not a verifier of a civil affairs office.
func (s *Service) Referrals(ctx context.Context, p *kernel.Principal, status ReferralStatus, limit int) ([]ReferralView, error) {
	regions := marketplace.VerifierRegions(s.Divisions, p)
	if len(regions) == 0 {
		return nil, kernel.ErrForbidden
	}
	if status != "" && !status.Valid() {
		return nil, kernel.Invalid("status", "must be open, accepted or closed")
	}
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rs, err := s.Store.Referrals(ctx, status, regions, limit)
	if err != nil {
		return nil, fmt.Errorf("matching: referrals: %w", err)
	}
	out := make([]ReferralView, len(rs))
	for i := range rs {
		notes, err := s.openNotes(&rs[i])
		if err != nil {
			return nil, fmt.Errorf("matching: referrals: %w", err)
		}
		out[i] = ReferralView{Referral: rs[i], Notes: notes}
	}
	return out, nil
}

// UpdateReferral moves a referral (open → accepted → closed, open →
// closed; the same status only adds the note) and adds a note, audited on
// the need's stream. Accepting records the verifier as taking it.
// ErrNotFound, also for a referral of a need outside the regions p's office
// covers; ErrConflict for a closed referral or a move back.
func (s *Service) UpdateReferral(ctx context.Context, p *kernel.Principal, publicID string, status ReferralStatus, note string) (*ReferralView, error) {
	if !p.Has(kernel.RoleVerifier) {
		return nil, kernel.ErrForbidden
	}
	note = strings.TrimSpace(note)
	v := &kernel.ValidationError{}
	if !status.Valid() {
		v.Add("status", "must be open, accepted or closed")
	}
	if utf8.RuneCountInString(note) > 2000 {
		v.Add("note", "at most 2000 characters")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	var notes []ReferralNote
	r, err := s.Store.UpdateReferral(ctx, publicID, func(r *Referral) (marketplace.AuditEntry, error) {
		if !s.covers(p, r.NeedRegion) {
			return marketplace.AuditEntry{}, kernel.ErrNotFound
		}
		rank := map[ReferralStatus]int{ReferralOpen: 0, ReferralAccepted: 1, ReferralClosed: 2}
		if r.Status == ReferralClosed {
			return marketplace.AuditEntry{}, kernel.Refuse(kernel.ErrConflict, "refusal_referral_closed", nil, "the referral is closed")
		}
		if rank[status] < rank[r.Status] {
			return marketplace.AuditEntry{}, kernel.Refuse(kernel.ErrConflict, "refusal_referral_transition", map[string]any{"Status": string(r.Status), "ToStatus": string(status)}, "a referral cannot go back from %s to %s", r.Status, status)
		}
		if status == r.Status && note == "" {
			return marketplace.AuditEntry{}, kernel.Invalid("note", "give a note or a new status")
		}
		var err error
		notes, err = s.openNotes(r)
		if err != nil {
			return marketplace.AuditEntry{}, err
		}
		if note != "" {
			notes = append(notes, ReferralNote{At: now, By: p.User.PublicID, Text: note})
			b, _ := json.Marshal(notes)
			if r.NotesCT, r.NotesKID, err = s.Cipher.Seal(b, []byte("referral:"+r.ID)); err != nil {
				return marketplace.AuditEntry{}, err
			}
		}
		from := r.Status
		if status == ReferralAccepted && r.Status == ReferralOpen {
			r.TakenBy = p.User.PublicID
		}
		if status == ReferralClosed {
			if r.TakenBy == "" {
				r.TakenBy = p.User.PublicID
			}
			r.ClosedAt = &now
		}
		r.Status = status
		r.UpdatedAt = now
		detail, _ := json.Marshal(map[string]any{"referral": r.ID, "programme": r.Programme, "from": from, "to": status, "note_chars": utf8.RuneCountInString(note)})
		return marketplace.AuditEntry{Stream: "need:" + r.NeedID, At: now, Actor: p.User.PublicID, Action: "referral." + string(status),
			ObjectType: "referral", ObjectID: r.ID, Detail: string(detail)}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("matching: update referral: %w", err)
	}
	return &ReferralView{Referral: *r, Notes: notes}, nil
}
