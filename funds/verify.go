package funds

import (
	"context"
	"fmt"
)

// VerifyLedger proves the books: every transaction balanced, every
// materialized balance equal to the sum of its entries, no fund, project or
// need account below zero, the whole ledger summing to zero, no need funded
// above its requested amount (or disbursed above funded), and each need's
// committed account equal to its funded less disbursed amount. It returns
// the problems found (none: the ledger is sound) and the counts checked.
func (s *Service) VerifyLedger(ctx context.Context) (problems []string, facts *LedgerFacts, err error) {
	f, err := s.Store.LedgerCheck(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("funds: verify ledger: %w", err)
	}
	for _, id := range f.Unbalanced {
		problems = append(problems, "transaction "+id+" does not sum to zero")
	}
	for _, c := range f.BalanceMismatch {
		problems = append(problems, "account "+c+": balance differs from the sum of its entries")
	}
	for _, c := range f.Negative {
		problems = append(problems, "account "+c+" is below zero")
	}
	for _, n := range f.Overfunded {
		problems = append(problems, "need "+n+" is funded above its requested amount or disbursed above its funded amount")
	}
	for _, n := range f.NeedMismatch {
		problems = append(problems, "need "+n+": committed account differs from funded − disbursed")
	}
	for _, n := range f.LotMismatch {
		problems = append(problems, "need "+n+": its money by origin (lots) differs from its funded or disbursed amount")
	}
	for _, d := range f.DisbursementMismatch {
		problems = append(problems, "disbursement "+d+": the money it drew differs from its amount")
	}
	if f.Total != 0 {
		problems = append(problems, fmt.Sprintf("the ledger sums to %d fen, not zero", f.Total))
	}
	return problems, f, nil
}
