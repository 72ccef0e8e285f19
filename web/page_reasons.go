package web

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/matching"
)

// The reasons the matching and planning code gives are English sentences
// for the API; pages word them from the catalogue.

// Factor words one part of a match's score: factor_<Key> with its numbers
// (A and B; AYuan and BYuan when they are amounts in fen).
func (p *page) Factor(f matching.Factor) string {
	if f.Key == "" {
		return p.T("factor_other")
	}
	msg := p.Tf("factor_"+f.Key, "A", f.A, "B", f.B, "AYuan", p.Yuan(f.A), "BYuan", p.Yuan(f.B))
	if msg == "factor_"+f.Key {
		return p.T("factor_other")
	}
	return msg
}

// The sentences a stored plan line gives (matching/plan.go), read back so
// that plans stored before pages worded them are worded too.
var (
	planWeightRe = regexp.MustCompile(`^weight (\d+): urgency (\w+)(, deadline within 14 days)?$`)
	planFullRe   = regexp.MustCompile(`^the plan fully funds the remaining (\d+) fen$`)
	planPartRe   = regexp.MustCompile(`^the plan covers (\d+) of the remaining (\d+) fen$`)
)

// PlanReason words one reason of a plan line.
func (p *page) PlanReason(r string) string {
	fen := func(s string) string {
		n, _ := strconv.ParseInt(s, 10, 64)
		return p.Yuan(n)
	}
	if m := planWeightRe.FindStringSubmatch(r); m != nil {
		return p.Tf("plan_reason_weight", "Weight", m[1], "Urgency", p.Urg(kernel.Urgency(m[2])), "Deadline", m[3] != "")
	}
	if m := planFullRe.FindStringSubmatch(r); m != nil {
		return p.Tf("plan_reason_full", "Amount", fen(m[1]))
	}
	if m := planPartRe.FindStringSubmatch(r); m != nil {
		return p.Tf("plan_reason_part", "Amount", fen(m[1]), "Remaining", fen(m[2]))
	}
	if strings.HasPrefix(r, "within the fund's restrictions") {
		return p.T("plan_reason_within")
	}
	return p.T("plan_reason_other")
}

// Ineligible words a refusal code (kernel.Ineligibility.Code) of a plan
// line that was not applied.
func (p *page) Ineligible(code string) string {
	if msg := p.T("ineligible_" + code); msg != "ineligible_"+code && !strings.Contains(msg, "{{") && !strings.Contains(msg, "<no value>") {
		return msg
	}
	return p.T("ineligible_other")
}

// Event names an event of a need's history (need.submit, need.objection.upheld).
func (p *page) Event(action string) string {
	id := "event_" + strings.ReplaceAll(action, ".", "_")
	if msg := p.T(id); msg != id {
		return msg
	}
	return p.T("event_other")
}

// ChainProblem words a break of an audit chain: where (the stream and the
// entry number) and what.
func (p *page) ChainProblem(a marketplace.AuditProblem) string {
	kind := a.Kind
	if kind == "" {
		kind = "other"
	}
	return p.Tf("audit_problem_"+kind, "Stream", p.stream(a.Stream), "Seq", a.Seq, "Want", a.Want)
}

// stream names an audit stream: "need:01J…" is 求助 01J…, "accounts" 账户与机构.
func (p *page) stream(s string) string {
	kind, id, _ := strings.Cut(s, ":")
	label := p.T("audit_stream_" + kind)
	if label == "audit_stream_"+kind {
		label = p.T("audit_stream_other")
	}
	if id == "" {
		return label
	}
	return label + " " + id
}

// ledgerProblemRes read the sentences of funds.VerifyLedger back.
var ledgerProblemRes = []struct {
	re  *regexp.Regexp
	key string
}{
	{regexp.MustCompile(`^transaction (\S+) does not sum to zero$`), "ledger_problem_tx"},
	{regexp.MustCompile(`^account (\S+): balance differs`), "ledger_problem_balance"},
	{regexp.MustCompile(`^account (\S+) is below zero$`), "ledger_problem_negative"},
	{regexp.MustCompile(`^need (\S+) is funded above`), "ledger_problem_overfunded"},
	{regexp.MustCompile(`^need (\S+): committed account differs`), "ledger_problem_committed"},
	{regexp.MustCompile(`^need (\S+): its money by origin`), "ledger_problem_lots"},
	{regexp.MustCompile(`^disbursement (\S+): the money it drew`), "ledger_problem_disbursement"},
	{regexp.MustCompile(`^the ledger sums to (-?\d+) fen`), "ledger_problem_total"},
}

// LedgerProblem words a problem the ledger check found.
func (p *page) LedgerProblem(s string) string {
	for _, lp := range ledgerProblemRes {
		if m := lp.re.FindStringSubmatch(s); m != nil {
			n, _ := strconv.ParseInt(m[1], 10, 64)
			return p.Tf(lp.key, "ID", m[1], "Amount", p.Yuan(n))
		}
	}
	return p.T("ledger_problem_other")
}

// PayeeText words a stored masked payee ("某医院 · account ****1234 · ref
// ****3001", funds.Payee.Masked): the account and the invoice number
// named in the page's language.
func (p *page) PayeeText(masked string) string {
	parts := strings.Split(masked, " · ")
	for i, part := range parts {
		if i == 0 {
			continue
		}
		if v, ok := strings.CutPrefix(part, "account "); ok {
			parts[i] = p.Tf("payee_account", "Account", v)
		} else if v, ok := strings.CutPrefix(part, "ref "); ok {
			parts[i] = p.Tf("payee_reference", "Ref", v)
		}
	}
	return strings.Join(parts, " · ")
}
