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
}

// Explain renders the checks of sc that warn or block from their rule and
// evidence and the need n, in the order of sc.Checks. The amounts the
// evidence holds (payments on record, other needs' money) are those of the
// screening; the need's own figures are n's, which are the screening's
// unless the need changed after it (every change of its figures screens it
// again). A check Explain cannot render is left out; its Message stands.
func Explain(sc kernel.Screening, n NeedSummary) []Explanation {
	var found int64
	var pays int
	for _, c := range sc.Checks {
		if c.Rule != kernel.RuleStatutoryOverlap {
			continue
		}
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
	}
	return out
}
