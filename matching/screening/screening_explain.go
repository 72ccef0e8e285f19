package screening

import "github.com/jiujinan/jiujinan/kernel"

// Explanation is a check's message as a catalogue key and its arguments,
// for pages that render it in the reader's language; the check's Message
// is the English text the API gives.
type Explanation struct {
	// Key is the catalogue message id: check_<rule>_<result>.
	Key string
	// Fen holds the amounts the message names, in fen.
	Fen map[string]int64
	// Count is how many payments or needs the evidence names.
	Count int
	// Programmes are the statutory programmes of a missed-relief check.
	Programmes []kernel.Programme
	// Household are the payments of a statutory-overlap check to other
	// members of the household than the beneficiary, by member and
	// programme, in the order of the evidence (check_household_payments).
	Household []MemberPayment
}

// MemberPayment is what the statutory record holds for one programme under
// one member of the household: the member's role, never who they are.
type MemberPayment struct {
	Member    kernel.HouseholdRole
	Programme kernel.Programme
	Fen       int64
}

// memberPayments sums the payment evidence paid to other members than the
// beneficiary by member and programme.
func memberPayments(ev []kernel.ScreeningEvidence) []MemberPayment {
	var out []MemberPayment
next:
	for _, e := range ev {
		if e.Kind != EvidencePayment || e.Member == "" {
			continue
		}
		for i := range out {
			if out[i].Member == e.Member && out[i].Programme == e.Programme {
				out[i].Fen += e.AmountFen
				continue next
			}
		}
		out = append(out, MemberPayment{Member: e.Member, Programme: e.Programme, Fen: e.AmountFen})
	}
	return out
}

// Explain renders the checks of sc that warn or block from their rule and
// evidence and the need n, in the order of sc.Checks. The amounts the
// evidence holds (payments on record, other needs' money) are those of the
// screening; the need's own figures are n's, which are the screening's
// unless the need changed after it (every change of its figures screens it
// again). A check Explain cannot render is left out; its Message stands.
// A statutory-overlap check that counted payments to other members of the
// household is followed by a check_household_payments explanation naming
// them by role (户主名下的低保金 …).
func Explain(sc kernel.Screening, n NeedSummary) []Explanation {
	var found int64
	var pays int
	var household []MemberPayment
	for _, c := range sc.Checks {
		if c.Rule != kernel.RuleStatutoryOverlap {
			continue
		}
		household = memberPayments(c.Evidence)
		for _, e := range c.Evidence {
			if e.Kind == EvidencePayment {
				found += e.AmountFen
				pays++
			}
		}
	}
	statutory := max(n.StatutoryReliefFen, found)
	limit := max(n.VerifiedCostFen-statutory, 0)
	var out []Explanation
	for _, c := range sc.Checks {
		if c.Result != kernel.ScreenWarn && c.Result != kernel.ScreenBlock {
			continue
		}
		x := Explanation{Key: "check_" + c.Rule + "_" + string(c.Result), Fen: map[string]int64{}}
		switch c.Rule {
		case kernel.RuleStatutoryOverlap:
			x.Count = pays
			x.Fen = map[string]int64{"Found": found, "Declared": n.StatutoryReliefFen, "Statutory": statutory, "Limit": limit,
				"Cost": n.VerifiedCostFen, "Requested": n.RequestedFen}
		case kernel.RuleOverAllocation:
			var others int64
			for _, e := range c.Evidence {
				if e.Kind == EvidenceNeed {
					others += e.AmountFen
					x.Count++
				}
			}
			moving := int64(0)
			if movesMoney(sc.Stage) {
				moving = sc.AmountFen
			}
			x.Fen = map[string]int64{"Total": n.FundedFen + others + moving, "Funded": n.FundedFen, "Others": others, "Moving": moving,
				"More": max(n.RequestedFen-n.FundedFen, 0), "Limit": limit}
		case kernel.RuleCrossCharityDuplicate:
			for _, e := range c.Evidence {
				if e.Kind == EvidenceNeed {
					x.Count++
				}
			}
		case kernel.RuleMissedRelief:
			for _, e := range c.Evidence {
				if e.Kind == EvidenceProgramme {
					x.Programmes = append(x.Programmes, e.Programme)
				}
			}
		default:
			continue
		}
		out = append(out, x)
		if c.Rule == kernel.RuleStatutoryOverlap && len(household) > 0 {
			out = append(out, Explanation{Key: "check_household_payments", Fen: map[string]int64{}, Count: len(household), Household: household})
		}
	}
	return out
}
