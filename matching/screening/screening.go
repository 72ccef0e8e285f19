package screening

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/matching/record"

	"github.com/jiujinan/jiujinan/kernel"
)

// The screening rules are pure functions of their inputs: the need, the
// person's statutory payments, the person's other needs (any organization)
// and the money about to move. They read no clock and no database; the
// Service gathers the inputs and stores the answer.
//
// Periods. A cost period or a payment period is a range of calendar days in
// China Standard Time (UTC+8), both ends included: a need for 2026-01-01 to
// 2026-01-31 covers 31 days, a one-off payment dated 2026-01-31 (From = To)
// covers that one day. Two periods overlap when they share at least one day;
// periods that only touch (one ends 2026-01-31, the next starts 2026-02-01)
// do not overlap. Times within a day are ignored, so a value stored as
// midnight UTC and one stored as midnight in Beijing name the same day.

// dayOf returns the number of the calendar day (UTC+8) that holds t.
func dayOf(t time.Time) int64 {
	s := t.Unix() + 8*3600
	d := s / 86400
	if s%86400 < 0 {
		d--
	}
	return d
}

// Period is a range of calendar days, both ends included (see above). A
// period whose To is before its From is taken as the one day From.
type Period struct {
	From, To time.Time
}

// days returns the first and last day of p.
func (p Period) days() (int64, int64) {
	a, b := dayOf(p.From), dayOf(p.To)
	if b < a {
		b = a
	}
	return a, b
}

// Overlaps reports whether p and q share at least one calendar day.
func (p Period) Overlaps(q Period) bool {
	a1, b1 := p.days()
	a2, b2 := q.days()
	return a1 <= b2 && a2 <= b1
}

// Need is what the rules look at of a need: its pseudonym (never
// the identity), category, cost period and amounts.
type Need struct {
	// ID is the need's public id.
	ID                 string
	Pseudonym          string
	Status             kernel.NeedStatus
	Category           kernel.Category
	Period             Period
	VerifiedCostFen    int64
	StatutoryReliefFen int64
	RequestedFen       int64
	FundedFen          int64
	HouseholdTypes     []kernel.HouseholdType
}

// StatutoryPayment is one payment of the statutory record as the rules see
// it: a public id, the programme, the amount and the period it pays for.
type StatutoryPayment = record.Payment

// Member is a member of the need's household as the rules see it: the
// pseudonym of the member's ID number and the member's role, never more.
type Member struct {
	Pseudonym string
	Role      kernel.HouseholdRole
}

// Input is everything one screening looks at.
type Input struct {
	Need Need
	// Household is the need's household: the beneficiary (the need's
	// pseudonym) and the members entered with an ID number.
	Household []Member
	// Payments are the statutory payments of the household (the
	// beneficiary's and every member's, each with its Pseudonym): 低保 and
	// 特困 are paid per household, usually under the head (户主), so a
	// payment to any member counts for the household in statutory overlap
	// and missed relief. The rules pick those that matter by programme and
	// period.
	Payments []StatutoryPayment
	// Others are the person's other needs (same pseudonym, any
	// organization), without Need itself.
	Others []Need
	Stage  kernel.ScreeningStage
	// AmountFen is the money about to move (allocate, gift and disburse
	// stages).
	AmountFen int64
	// Now is when the screening runs: the look-back window of missed
	// relief ends here.
	Now time.Time
}

// ReferralSuggestion is a statutory programme a household looks eligible
// for with no payment of it on record: a referral (转介) to civil affairs.
type ReferralSuggestion struct {
	Programme     kernel.Programme
	HouseholdType kernel.HouseholdType
	Reason        string
}

// Report is the answer of the rules.
type Report struct {
	Result    kernel.ScreeningOutcome
	Checks    []kernel.ScreeningCheck
	Referrals []ReferralSuggestion
	// RoomFen is how much more charity money the person's hardship may
	// take: verified cost − statutory relief (as statutory_overlap counts
	// it) − what this need and the related needs are funded with, never
	// below zero. It does not count Input.AmountFen.
	RoomFen int64
}

// Evidence kinds beyond marketplace's statutory_payment and need.
const (
	EvidencePayment   = "statutory_payment"
	EvidenceNeed      = "need"
	EvidenceProgramme = "programme" // a programme with no payment on record in the window
)

// outcomeRank orders outcomes from clear to block.
func outcomeRank(o kernel.ScreeningOutcome) int {
	switch o {
	case kernel.ScreenWarn:
		return 1
	case kernel.ScreenBlock:
		return 2
	}
	return 0
}

// Worst returns the more serious of a and b.
func Worst(a, b kernel.ScreeningOutcome) kernel.ScreeningOutcome {
	if outcomeRank(b) > outcomeRank(a) {
		return b
	}
	return a
}

// Screen runs every rule over in with cfg and returns the checks in the
// order of DESIGN.md and the overall result, the worst of them.
func Screen(cfg Config, in Input) Report {
	statutory, overlap := checkStatutoryOverlap(cfg, in)
	dup, related := checkCrossCharityDuplicate(in)
	over := checkOverAllocation(in, statutory, related)
	missed, refs := checkMissedRelief(cfg, in)
	r := Report{Result: kernel.ScreenClear, Checks: []kernel.ScreeningCheck{overlap, dup, over, missed}, Referrals: refs,
		RoomFen: max(chargeLimit(in.Need, statutory)-fundedForHardship(in.Need, related), 0)}
	for _, c := range r.Checks {
		r.Result = Worst(r.Result, c.Result)
	}
	return r
}

// movesMoney reports whether money moves to the need at stage: an
// allocation or a donor's gift. Its amount counts towards over-allocation,
// and the Service records such a screening on the request when the amount
// alone makes it worse than the need's own.
func movesMoney(stage kernel.ScreeningStage) bool {
	return stage == kernel.StageAllocate || stage == kernel.StageGift
}

// chargeLimit is the most charity money the need's hardship may take:
// verified cost − statutory relief, never below zero.
func chargeLimit(n Need, statutory int64) int64 {
	return max(n.VerifiedCostFen-statutory, 0)
}

// fundedForHardship is the charity money the need and its related needs
// (relatedNeeds) already hold.
func fundedForHardship(n Need, rel []Need) int64 {
	total := n.FundedFen
	for _, o := range rel {
		total += o.FundedFen
	}
	return total
}

func yuan(fen int64) string {
	neg := fen < 0
	if neg {
		fen = -fen
	}
	s := strconv.FormatInt(fen/100, 10) + "." + fmt.Sprintf("%02d", fen%100)
	if neg {
		return "-" + s
	}
	return s
}

func timePtr(t time.Time) *time.Time {
	u := t.UTC()
	return &u
}

// memberOf returns the role of the household member p was paid to, or ""
// when it was paid to the beneficiary (or names nobody: a payment read
// for the beneficiary alone). A pseudonym the household does not list is
// a member of unknown relation.
func memberOf(in Input, p StatutoryPayment) kernel.HouseholdRole {
	if p.Pseudonym == "" || p.Pseudonym == in.Need.Pseudonym {
		return ""
	}
	for _, m := range in.Household {
		if m.Pseudonym == p.Pseudonym {
			if m.Role == kernel.RoleBeneficiary {
				return ""
			}
			return m.Role
		}
	}
	return kernel.RoleMember
}

func paymentEvidence(in Input, p StatutoryPayment) kernel.ScreeningEvidence {
	return kernel.ScreeningEvidence{Kind: EvidencePayment, ID: p.ID, Programme: p.Programme,
		From: timePtr(p.From), To: timePtr(p.To), AmountFen: p.AmountFen, Member: memberOf(in, p)}
}

// membersPaid says, in a check's message, which of the payments went to
// other members of the household than the beneficiary, by role: "" when
// none did, so that the messages of a beneficiary paid alone stay as they
// were (they are part of an override's fingerprint).
func membersPaid(ev []kernel.ScreeningEvidence) string {
	var parts []string
	for _, e := range ev {
		if e.Kind == EvidencePayment && e.Member != "" {
			parts = append(parts, fmt.Sprintf("%s %s yuan to the %s", e.Programme, yuan(e.AmountFen), e.Member))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (paid to other members of the household: " + strings.Join(parts, ", ") + ")"
}

func needEvidence(n Need, amount int64) kernel.ScreeningEvidence {
	return kernel.ScreeningEvidence{Kind: EvidenceNeed, ID: n.ID, Category: n.Category,
		From: timePtr(n.Period.From), To: timePtr(n.Period.To), AmountFen: amount, Status: string(n.Status)}
}

// relevantPayments returns the payments of programmes that pay for the
// need's category and whose period overlaps the need's cost period.
func relevantPayments(cfg Config, in Input) ([]StatutoryPayment, int64) {
	var out []StatutoryPayment
	var sum int64
	for _, p := range in.Payments {
		if !cfg.Covers(p.Programme, in.Need.Category) {
			continue
		}
		if !in.Need.Period.Overlaps(Period{p.From, p.To}) {
			continue
		}
		out = append(out, p)
		sum += p.AmountFen
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].From.Equal(out[j].From) {
			return out[i].From.Before(out[j].From)
		}
		return out[i].ID < out[j].ID
	})
	return out, sum
}

// checkStatutoryOverlap: what the state paid for the same hardship reduces
// what charity may give. The statutory amount is the larger of what the
// worker declared and what the record shows; requested must not exceed
// verified cost − statutory (block); a record that differs from the
// declaration is a warning. It returns the statutory amount it used.
func checkStatutoryOverlap(cfg Config, in Input) (int64, kernel.ScreeningCheck) {
	n := in.Need
	pays, found := relevantPayments(cfg, in)
	c := kernel.ScreeningCheck{Rule: kernel.RuleStatutoryOverlap, Result: kernel.ScreenClear, Evidence: []kernel.ScreeningEvidence{}}
	for _, p := range pays {
		c.Evidence = append(c.Evidence, paymentEvidence(in, p))
	}
	household := membersPaid(c.Evidence)
	statutory := max(n.StatutoryReliefFen, found)
	limit := chargeLimit(n, statutory)
	switch {
	case n.RequestedFen > limit:
		c.Result = kernel.ScreenBlock
		c.Message = fmt.Sprintf("requested %s yuan exceeds verified cost %s minus statutory relief %s (declared %s, on record %s in %d payment(s)%s): at most %s yuan",
			yuan(n.RequestedFen), yuan(n.VerifiedCostFen), yuan(statutory), yuan(n.StatutoryReliefFen), yuan(found), len(pays), household, yuan(limit))
	case found != n.StatutoryReliefFen:
		c.Result = kernel.ScreenWarn
		c.Message = fmt.Sprintf("statutory relief on record for this category and period is %s yuan in %d payment(s)%s; the worker declared %s yuan",
			yuan(found), len(pays), household, yuan(n.StatutoryReliefFen))
	case len(pays) > 0:
		c.Message = fmt.Sprintf("statutory relief on record (%s yuan%s) matches the declaration; requested is within the limit of %s yuan", yuan(found), household, yuan(limit))
	default:
		c.Message = "no statutory payment on record for this category and period"
	}
	return statutory, c
}

// live reports whether another need still claims charity money: not a
// draft (not yet posted), not rejected or withdrawn, and not closed without
// money.
func live(n Need) bool {
	switch n.Status {
	case kernel.NeedDraft, kernel.NeedRejected, kernel.NeedWithdrawn:
		return false
	case kernel.NeedClosed:
		return n.FundedFen > 0
	}
	return true
}

// related returns the person's other live needs of the same category
// whose period overlaps the need's: claims on the same hardship.
func relatedNeeds(in Input) []Need {
	var out []Need
	for _, o := range in.Others {
		if o.ID == in.Need.ID || o.Pseudonym != in.Need.Pseudonym || o.Category != in.Need.Category || !live(o) {
			continue
		}
		if !in.Need.Period.Overlaps(o.Period) {
			continue
		}
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// checkCrossCharityDuplicate: another live need of the same person,
// category and period, from any organization, is a warning for a verifier
// to look at side by side. It never blocks by itself: whether the money
// together exceeds the hardship's cost is over-allocation's question, which
// blocks; two claims that together stay within the cost (a hospital bill
// split between two charities) are legitimate.
func checkCrossCharityDuplicate(in Input) (kernel.ScreeningCheck, []Need) {
	rel := relatedNeeds(in)
	c := kernel.ScreeningCheck{Rule: kernel.RuleCrossCharityDuplicate, Result: kernel.ScreenClear, Evidence: []kernel.ScreeningEvidence{}}
	if len(rel) == 0 {
		c.Message = "no other live need of this person for this category and period"
		return c, nil
	}
	var requested, funded int64
	for _, o := range rel {
		c.Evidence = append(c.Evidence, needEvidence(o, o.RequestedFen))
		requested += o.RequestedFen
		funded += o.FundedFen
	}
	c.Result = kernel.ScreenWarn
	c.Message = fmt.Sprintf("%d other live need(s) of the same person for the same category and an overlapping period (requested %s yuan, funded %s yuan)",
		len(rel), yuan(requested), yuan(funded))
	return c, rel
}

// checkOverAllocation: all charity money for the person's hardship (what is
// funded on this need and on the related needs, plus the money about to
// move) never exceeds this need's verified cost minus statutory relief.
//
// At allocate and gift, the amount about to move is added. At disburse,
// the money is already counted in funded (it was allocated), so nothing is
// added: the check asks whether the picture changed since. At submit and
// clear no money moves: a total already above the limit blocks, and a
// request that would take the total above it warns.
func checkOverAllocation(in Input, statutory int64, rel []Need) kernel.ScreeningCheck {
	n := in.Need
	c := kernel.ScreeningCheck{Rule: kernel.RuleOverAllocation, Result: kernel.ScreenClear, Evidence: []kernel.ScreeningEvidence{}}
	limit := chargeLimit(n, statutory)
	total := fundedForHardship(n, rel)
	for _, o := range rel {
		if o.FundedFen > 0 {
			c.Evidence = append(c.Evidence, needEvidence(o, o.FundedFen))
		}
	}
	moving := int64(0)
	if movesMoney(in.Stage) {
		moving = in.AmountFen
	}
	total += moving
	switch {
	case total > limit:
		c.Result = kernel.ScreenBlock
		c.Message = fmt.Sprintf("charity money for this hardship would be %s yuan (funded here %s, on other needs %s, now moving %s), above verified cost minus statutory relief of %s yuan",
			yuan(total), yuan(n.FundedFen), yuan(total-n.FundedFen-moving), yuan(moving), yuan(limit))
	case !movesMoney(in.Stage) && in.Stage != kernel.StageDisburse &&
		total+max(n.RequestedFen-n.FundedFen, 0) > limit && len(c.Evidence) > 0:
		c.Result = kernel.ScreenWarn
		c.Message = fmt.Sprintf("other needs already hold %s yuan for this hardship; funding the request in full (%s yuan more) would exceed verified cost minus statutory relief of %s yuan",
			yuan(total-n.FundedFen), yuan(max(n.RequestedFen-n.FundedFen, 0)), yuan(limit))
	default:
		c.Message = fmt.Sprintf("charity money for this hardship is %s yuan of at most %s yuan", yuan(total), yuan(limit))
	}
	return c
}

// checkMissedRelief: a household typed as eligible for a statutory
// programme with no payment of it on record in the look-back window (the
// months before Now) is flagged for referral to civil affairs. A payment
// to any member of the household counts (低保 is paid under the head); one
// to another member than the beneficiary is named, by role, in the
// evidence of the clear check, so that a verifier sees why no referral
// was made.
func checkMissedRelief(cfg Config, in Input) (kernel.ScreeningCheck, []ReferralSuggestion) {
	c := kernel.ScreeningCheck{Rule: kernel.RuleMissedRelief, Result: kernel.ScreenClear, Evidence: []kernel.ScreeningEvidence{}}
	window := Period{From: cfg.LookBackStart(in.Now), To: in.Now}
	var refs []ReferralSuggestion
	seen := map[kernel.Programme]bool{}
	types := slices.Clone(in.Need.HouseholdTypes)
	slices.Sort(types)
	for _, h := range types {
		for _, prog := range cfg.EligibleProgrammes[h] {
			if seen[prog] {
				continue
			}
			seen[prog] = true
			var paid, byMember []StatutoryPayment
			for _, p := range in.Payments {
				if p.Programme == prog && window.Overlaps(Period{p.From, p.To}) {
					paid = append(paid, p)
					if memberOf(in, p) != "" {
						byMember = append(byMember, p)
					}
				}
			}
			if len(paid) > len(byMember) {
				continue // the beneficiary's own
			}
			if len(paid) > 0 {
				for _, p := range byMember {
					c.Evidence = append(c.Evidence, paymentEvidence(in, p))
				}
				continue
			}
			reason := fmt.Sprintf("household typed %s, eligible for %s, has no %s payment on record in the last %d month(s)",
				h, prog, prog, cfg.LookBackMonths)
			refs = append(refs, ReferralSuggestion{Programme: prog, HouseholdType: h, Reason: reason})
			c.Evidence = append(c.Evidence, kernel.ScreeningEvidence{Kind: EvidenceProgramme, ID: string(prog), Programme: prog,
				From: timePtr(window.From), To: timePtr(window.To)})
		}
	}
	if len(refs) == 0 {
		c.Message = "no missed statutory relief" + membersPaid(c.Evidence)
		return c, nil
	}
	c.Result = kernel.ScreenWarn
	parts := make([]string, len(refs))
	for i, r := range refs {
		parts[i] = r.Reason
	}
	c.Message = "refer to civil affairs: " + strings.Join(parts, "; ")
	return c, refs
}

// Fingerprint identifies the evidence behind a screening's blocks: the
// blocking rules, their messages (which carry the amounts and limits) and
// their evidence. A verifier's override holds for one fingerprint; a new
// payment, a new need, changed amounts or new money moving change it, and
// the block comes back. It is "" when nothing blocks.
func Fingerprint(checks []kernel.ScreeningCheck) string {
	var parts []string
	for _, c := range checks {
		if c.Result != kernel.ScreenBlock {
			continue
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%s|%s", c.Rule, c.Message)
		ev := slices.Clone(c.Evidence)
		sort.Slice(ev, func(i, j int) bool { return ev[i].Kind+ev[i].ID < ev[j].Kind+ev[j].ID })
		for _, e := range ev {
			from, to := "", ""
			// The look-back window moves with the clock; it is not evidence.
			if e.From != nil && e.Kind != EvidenceProgramme {
				from = strconv.FormatInt(dayOf(*e.From), 10)
			}
			if e.To != nil && e.Kind != EvidenceProgramme {
				to = strconv.FormatInt(dayOf(*e.To), 10)
			}
			fmt.Fprintf(&b, "|%s:%s:%s:%s:%s:%s:%d:%s", e.Kind, e.ID, e.Programme, e.Category, from, to, e.AmountFen, e.Status)
		}
		parts = append(parts, b.String())
	}
	if len(parts) == 0 {
		return ""
	}
	sort.Strings(parts)
	h := sha256.Sum256([]byte(strings.Join(parts, "\n")))
	return hex.EncodeToString(h[:])
}

// WarningFingerprint identifies a screening's warnings and blocks alike:
// an acknowledgement holds while it stays the same.
func WarningFingerprint(checks []kernel.ScreeningCheck) string {
	c := slices.Clone(checks)
	for i := range c {
		if c[i].Result == kernel.ScreenWarn {
			c[i].Result = kernel.ScreenBlock
		}
	}
	return Fingerprint(c)
}
