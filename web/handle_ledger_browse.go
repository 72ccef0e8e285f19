package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/kernel"
)

// The auditor's browser of the ledger, by API (GET /api/v1/ledger) and page
// (GET /audit/ledger), both with a CSV export: the journal transactions of
// the auditor's organization with every entry, the accounts named (funds,
// projects and organizations by name, needs by their public title), newest
// first. The scope is funds.Service.Journal's.

// ledgerFilter is the browser's query as it was sent.
type ledgerFilter struct {
	Kind, Source, From, To string
}

func (f ledgerFilter) values() url.Values {
	return url.Values{"kind": {f.Kind}, "source": {f.Source}, "from": {f.From}, "to": {f.To}}
}

// ledgerQuery reads the filters and the cursor of a request.
func ledgerQuery(c echo.Context) (ledgerFilter, funds.JournalQuery, error) {
	f := ledgerFilter{Kind: c.QueryParam("kind"), Source: c.QueryParam("source"), From: c.QueryParam("from"), To: c.QueryParam("to")}
	q := funds.JournalQuery{Kind: funds.TxKind(f.Kind), Source: f.Source}
	v := &kernel.ValidationError{}
	if f.Source != "" && (len(f.Source) > 40 || !auditIDRe.MatchString(f.Source)) {
		v.Add("source", "is not the id of a fund or project")
	}
	from, to, err := browsePeriod(c)
	var ve *kernel.ValidationError
	if errors.As(err, &ve) {
		v.Merge(ve)
	}
	q.From, q.To = from, to
	if q.Before, err = browseCursor(c); errors.As(err, &ve) {
		v.Merge(ve)
	}
	return f, q, v.Err()
}

// ledgerLine is one entry as the browsers show it.
type ledgerLine struct {
	Kind  funds.AccountKind
	Owner string
	// Name is the fund's, project's or organization's name, or the need's
	// public title; "" when the need is not public.
	Name      string
	AmountFen int64
}

// ledgerRow is one transaction as the browsers show it.
type ledgerRow struct {
	funds.LedgerTx
	Lines []ledgerLine
}

// ledgerRows reads a page of transactions and names their accounts.
func (s *Server) ledgerRows(ctx context.Context, by *kernel.Principal, q funds.JournalQuery) ([]ledgerRow, error) {
	txs, err := s.Funds.Journal(ctx, by, q)
	if err != nil {
		return nil, err
	}
	names, err := s.Funds.OwnerNames(ctx, txs)
	if err != nil {
		return nil, err
	}
	var needs []string
	for _, t := range txs {
		for _, e := range t.Entries {
			if e.Account.Kind == funds.AccountNeed {
				needs = append(needs, e.Account.Owner)
			}
		}
	}
	titles, err := s.needTitles(ctx, needs)
	if err != nil {
		return nil, err
	}
	rows := make([]ledgerRow, len(txs))
	for i, t := range txs {
		rows[i] = ledgerRow{LedgerTx: t}
		for _, e := range t.Entries {
			l := ledgerLine{Kind: e.Account.Kind, Owner: e.Account.Owner, AmountFen: e.AmountFen, Name: names[e.Account.Owner]}
			if e.Account.Kind == funds.AccountNeed {
				l.Name = titles[e.Account.Owner]
			}
			rows[i].Lines = append(rows[i].Lines, l)
		}
	}
	return rows, nil
}

type ledgerEntryJSON struct {
	Account     string `json:"account"`
	AccountKind string `json:"account_kind"`
	OwnerID     string `json:"owner_id"`
	OwnerName   string `json:"owner_name,omitempty"`
	AmountFen   int64  `json:"amount_fen"`
}

type ledgerTxJSON struct {
	ID        string            `json:"id"`
	At        time.Time         `json:"at"`
	Kind      funds.TxKind      `json:"kind"`
	AmountFen int64             `json:"amount_fen"`
	Reverses  string            `json:"reverses,omitempty"`
	RefType   string            `json:"ref_type,omitempty"`
	RefID     string            `json:"ref_id,omitempty"`
	Entries   []ledgerEntryJSON `json:"entries"`
}

func toLedgerTxJSON(r ledgerRow) ledgerTxJSON {
	out := ledgerTxJSON{ID: r.PublicID, At: r.At, Kind: r.Kind, AmountFen: r.AmountFen(), Reverses: r.Reverses, RefType: r.RefType,
		RefID: r.RefID, Entries: make([]ledgerEntryJSON, len(r.Lines))}
	for i, l := range r.Lines {
		out.Entries[i] = ledgerEntryJSON{Account: funds.Account{Kind: l.Kind, Owner: l.Owner}.Code(), AccountKind: string(l.Kind),
			OwnerID: l.Owner, OwnerName: l.Name, AmountFen: l.AmountFen}
	}
	return out
}

// handleLedgerList answers GET /api/v1/ledger: a page of transactions as
// JSON with the cursor of the next, or the whole filtered list as CSV.
func (s *Server) handleLedgerList(c echo.Context) error {
	asCSV, err := browseFormat(c)
	if err != nil {
		return err
	}
	limit, err := browseLimit(c)
	if err != nil {
		return err
	}
	_, q, err := ledgerQuery(c)
	if err != nil {
		return err
	}
	if asCSV {
		return s.sendLedgerCSV(c, q)
	}
	q.Limit = limit + 1
	rows, err := s.ledgerRows(c.Request().Context(), PrincipalOf(c), q)
	if err != nil {
		return err
	}
	out := map[string]any{}
	if len(rows) > limit {
		rows = rows[:limit]
		out["next"] = cursorOf(rows[len(rows)-1].Key)
	}
	items := make([]ledgerTxJSON, len(rows))
	for i, r := range rows {
		items[i] = toLedgerTxJSON(r)
	}
	out["items"] = items
	return c.JSON(http.StatusOK, out)
}

// sendLedgerCSV writes every transaction q selects (up to browseCSVMax
// entries' rows) as CSV in Chinese, one row per entry.
func (s *Server) sendLedgerCSV(c echo.Context, q funds.JournalQuery) error {
	ctx, by := c.Request().Context(), PrincipalOf(c)
	p := s.zhPage()
	var out [][]string
	for len(out) < browseCSVMax {
		q.Limit = browseMaxPerPage
		rows, err := s.ledgerRows(ctx, by, q)
		if err != nil {
			return err
		}
		for _, r := range rows {
			for _, l := range r.Lines {
				out = append(out, []string{chinaDateTime(r.At), r.PublicID, p.T("tx_" + string(r.Kind)), p.LedgerAccountKind(l.Kind),
					p.LedgerAccountName(l), l.Owner, funds.Yuan(l.AmountFen), p.LedgerRefType(r.RefType), r.RefID, r.Reverses})
			}
		}
		if len(rows) < q.Limit {
			break
		}
		q.Before = rows[len(rows)-1].Key
	}
	header := []string{s.zhT("ledgerbrowse_col_at"), s.zhT("ledgerbrowse_col_tx"), s.zhT("ledgerbrowse_col_kind"),
		s.zhT("ledgerbrowse_col_account_kind"), s.zhT("ledgerbrowse_col_account"), s.zhT("ledgerbrowse_col_account_id"),
		s.zhT("ledgerbrowse_col_amount_yuan"), s.zhT("ledgerbrowse_col_ref_type"), s.zhT("ledgerbrowse_col_ref"),
		s.zhT("ledgerbrowse_col_reverses")}
	return sendCSV(c, "ledger-"+s.now().In(kernel.ChinaTime).Format("20060102")+".csv", header, out, map[int]bool{6: true})
}

// ledgerPage is the page's view.
type ledgerPage struct {
	Filter  ledgerFilter
	Kinds   []funds.TxKind
	Sources []funds.SourceRef
	Rows    []ledgerRow
	// Next is the link to older transactions, Newest back to the newest
	// page ("" on the first).
	Next, Newest string
	CSV          string
	Error        string
}

// handleLedgerPage is GET /audit/ledger: the filter form, a page of
// transactions and the CSV link; ?format=csv downloads the filtered list.
func (s *Server) handleLedgerPage(c echo.Context) error {
	ctx, by := c.Request().Context(), PrincipalOf(c)
	sources, err := s.Funds.AuditorSources(ctx, by)
	if err != nil {
		return err
	}
	f, q, err := ledgerQuery(c)
	d := ledgerPage{Filter: f, Kinds: funds.TxKinds, Sources: sources}
	var ve *kernel.ValidationError
	if errors.As(err, &ve) {
		d.Error = s.pageT(c, "auditlog_bad_filter")
		return s.render(c, http.StatusBadRequest, "audit_ledger", d)
	}
	if c.QueryParam("format") == "csv" {
		return s.sendLedgerCSV(c, q)
	}
	q.Limit = browsePerPage + 1
	rows, err := s.ledgerRows(ctx, by, q)
	if errors.As(err, &ve) {
		d.Error = s.pageT(c, "auditlog_bad_filter")
		return s.render(c, http.StatusBadRequest, "audit_ledger", d)
	}
	if err != nil {
		return err
	}
	var last int64
	if more := len(rows) > browsePerPage; more {
		rows = rows[:browsePerPage]
		last = rows[len(rows)-1].Key
	}
	d.Next, d.Newest, d.CSV = browseLinks("/audit/ledger", f.values, last, q.Before)
	d.Rows = rows
	return s.render(c, http.StatusOK, "audit_ledger", d)
}

// LedgerAccountKind words what an account holds (an AccountKind, or the
// SourceKind of a fund or project, whose accounts are named alike).
func (p *page) LedgerAccountKind(k any) string {
	return p.T("ledgerbrowse_account_" + fmt.Sprint(k))
}

// LedgerAccountName names an account's owner: a fund, project or
// organization by name, a need by its public title or generically.
func (p *page) LedgerAccountName(l ledgerLine) string {
	switch {
	case l.Name != "":
		return l.Name
	case l.Kind == funds.AccountNeed:
		return p.T("need_generic_title")
	}
	return p.T("ledgerbrowse_account_unknown")
}

// LedgerRefType words what a transaction refers to ("" for nothing).
func (p *page) LedgerRefType(t string) string {
	if t == "" {
		return ""
	}
	key := "ledgerbrowse_ref_" + t
	if s := p.T(key); s != key {
		return s
	}
	return p.T("ledgerbrowse_ref_other")
}
