package gormstore

import (
	"context"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/funds"
)

var _ funds.JournalReader = (*Store)(nil)

// Journal implements funds.JournalReader. It walks the transactions'
// primary key backwards (the order they were posted) and stops at the
// limit; the organizations' scope and the fund or project are checked per
// transaction through the entries' index, against account ids read first.
func (s *Store) Journal(ctx context.Context, q funds.JournalQuery) ([]funds.LedgerTx, error) {
	db := s.db.WithContext(ctx)
	var (
		where []string
		args  []any
	)
	if q.OrgIDs != nil {
		ids, err := s.orgAccountIDs(ctx, q.OrgIDs)
		if err != nil || len(ids) == 0 {
			return nil, err
		}
		where = append(where, "EXISTS (SELECT 1 FROM ledger_entries e WHERE e.transaction_id = t.id AND e.account_id IN ?)")
		args = append(args, ids)
	}
	if q.Source != "" {
		var ids []int64
		if err := db.Raw("SELECT id FROM ledger_accounts WHERE code IN (?, ?)",
			funds.Account{Kind: funds.AccountFund, Owner: q.Source}.Code(), funds.Account{Kind: funds.AccountProject, Owner: q.Source}.Code()).Scan(&ids).Error; err != nil {
			return nil, err
		}
		if len(ids) == 0 {
			return nil, nil
		}
		where = append(where, "EXISTS (SELECT 1 FROM ledger_entries e WHERE e.transaction_id = t.id AND e.account_id IN ?)")
		args = append(args, ids)
	}
	if q.Before > 0 {
		where, args = append(where, "t.id < ?"), append(args, q.Before)
	}
	if q.Kind != "" {
		where, args = append(where, "t.kind = ?"), append(args, string(q.Kind))
	}
	if !q.From.IsZero() {
		where, args = append(where, "t.created_at >= ?"), append(args, q.From.UTC())
	}
	if !q.To.IsZero() {
		where, args = append(where, "t.created_at < ?"), append(args, q.To.UTC())
	}
	sql := `SELECT t.id, t.public_id, t.kind, t.ref_type, t.ref_id, t.created_at, r.public_id AS reverses
		FROM ledger_transactions t LEFT JOIN ledger_transactions r ON r.id = t.reverses_id`
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	sql += " ORDER BY t.id DESC LIMIT ?"
	args = append(args, q.Limit)
	var rows []struct {
		ID        int64
		PublicID  string
		Kind      string
		RefType   string
		RefID     string
		CreatedAt time.Time
		Reverses  *string
	}
	if err := db.Raw(sql, args...).Scan(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, nil
	}
	out := make([]funds.LedgerTx, len(rows))
	at := make(map[int64]int, len(rows))
	ids := make([]int64, len(rows))
	for i, r := range rows {
		out[i] = funds.LedgerTx{Key: r.ID, PublicID: r.PublicID, Kind: funds.TxKind(r.Kind), RefType: r.RefType, RefID: r.RefID, At: r.CreatedAt.UTC()}
		if r.Reverses != nil {
			out[i].Reverses = *r.Reverses
		}
		at[r.ID], ids[i] = i, r.ID
	}
	var entries []struct {
		TransactionID int64
		Code          string
		AmountFen     int64
	}
	if err := db.Raw(`SELECT e.transaction_id, a.code, e.amount_fen FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
		WHERE e.transaction_id IN ? ORDER BY e.id`, ids).Scan(&entries).Error; err != nil {
		return nil, err
	}
	for _, e := range entries {
		kind, owner, _ := strings.Cut(e.Code, ":")
		t := &out[at[e.TransactionID]]
		t.Entries = append(t.Entries, funds.Entry{Account: funds.Account{Kind: funds.AccountKind(kind), Owner: owner}, AmountFen: e.AmountFen})
	}
	return out, nil
}

// orgAccountIDs returns the ids of the ledger accounts of these
// organizations: their funds' and projects', and their own.
func (s *Store) orgAccountIDs(ctx context.Context, orgIDs []int64) ([]int64, error) {
	db := s.db.WithContext(ctx)
	var sources []struct {
		Kind     string
		PublicID string
	}
	if err := db.Raw("SELECT kind, public_id FROM fund_sources WHERE org_id IN ?", orgIDs).Scan(&sources).Error; err != nil {
		return nil, err
	}
	var orgs []string
	if err := db.Raw("SELECT public_id FROM organizations WHERE id IN ?", orgIDs).Scan(&orgs).Error; err != nil {
		return nil, err
	}
	var codes []string
	for _, src := range sources {
		codes = append(codes, funds.SourceAccount(&funds.Source{Kind: funds.SourceKind(src.Kind), PublicID: src.PublicID}).Code())
	}
	for _, o := range orgs {
		for _, k := range []funds.AccountKind{funds.AccountDonations, funds.AccountHeld, funds.AccountPayable, funds.AccountPaid} {
			codes = append(codes, funds.OrgAccount(k, o).Code())
		}
	}
	if len(codes) == 0 {
		return nil, nil
	}
	var ids []int64
	if err := db.Raw("SELECT id FROM ledger_accounts WHERE code IN ?", codes).Scan(&ids).Error; err != nil {
		return nil, err
	}
	return ids, nil
}

// OrgSources implements funds.JournalReader.
func (s *Store) OrgSources(ctx context.Context, orgIDs []int64) ([]funds.SourceRef, error) {
	if len(orgIDs) == 0 {
		return nil, nil
	}
	var rows []struct {
		ID       int64
		PublicID string
		Kind     string
		Name     string
	}
	if err := s.db.WithContext(ctx).Raw("SELECT id, public_id, kind, name FROM fund_sources WHERE org_id IN ? ORDER BY kind, name, id", orgIDs).
		Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]funds.SourceRef, len(rows))
	for i, r := range rows {
		out[i] = funds.SourceRef{ID: r.ID, PublicID: r.PublicID, Kind: funds.SourceKind(r.Kind), Name: r.Name}
	}
	return out, nil
}

// OwnerNames implements funds.JournalReader.
func (s *Store) OwnerNames(ctx context.Context, publicIDs []string) (map[string]string, error) {
	out := map[string]string{}
	if len(publicIDs) == 0 {
		return out, nil
	}
	var rows []struct{ PublicID, Name string }
	if err := s.db.WithContext(ctx).Raw(`SELECT public_id, name FROM fund_sources WHERE public_id IN ?
		UNION ALL SELECT public_id, name FROM organizations WHERE public_id IN ?`, publicIDs, publicIDs).Scan(&rows).Error; err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.PublicID] = r.Name
	}
	return out, nil
}
