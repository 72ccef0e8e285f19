package funds

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// Reconciliation with the daily bills (对账单) of the payment providers and
// the bank's statements: every line of a bill is matched to a pledge of the
// receiving organization (by the merchant order number the pledge was paid
// under, its reference, or the reference a donor wrote in a transfer's
// 附言); what is paid and not confirmed yet is confirmed through the one
// confirm path, with the provider's transaction as the notification id, so
// that the provider's own notification of the same payment changes nothing;
// and everything that does not match is kept on the run for staff to read.
// The file formats are funds/bill's; this file holds the rules.

// BillFormat is the kind of file a bill is.
type BillFormat string

const (
	// BillWeChatPay is WeChat Pay's trade bill (交易账单).
	BillWeChatPay BillFormat = "wechatpay"
	// BillAlipay is Alipay's business detail (业务明细).
	BillAlipay BillFormat = "alipay"
	// BillAlipayAccount is Alipay's account detail (账务明细).
	BillAlipayAccount BillFormat = "alipay_account"
	// BillBank is a bank's account statement (流水/明细).
	BillBank BillFormat = "bank"
	// BillStatement is the platform's own statement: reference, amount, date.
	BillStatement BillFormat = "statement"
)

// Payment channels a bill comes from.
const (
	ChannelWeChatPay = "wechatpay"
	ChannelAlipay    = "alipay"
	ChannelBank      = "bank"
)

// Channel is the payment channel the bill reports.
func (f BillFormat) Channel() string {
	switch f {
	case BillWeChatPay:
		return ChannelWeChatPay
	case BillAlipay, BillAlipayAccount:
		return ChannelAlipay
	}
	return ChannelBank
}

// NotificationIDPrefix starts the id under which a provider's payment is
// recorded with its confirmation (Tx.RecordNotification): the channel and
// a colon, followed by the provider's transaction number (微信支付订单号,
// 支付宝交易号). Provider notifications record the same id, so that a
// payment is recorded once whichever arrives first, and a bill finds the
// pledges a provider confirmed.
func NotificationIDPrefix(channel string) string { return channel + ":" }

// BillLineKind is what a line of a bill moved.
type BillLineKind string

const (
	// BillPayment is money in: a donor's payment.
	BillPayment BillLineKind = "payment"
	// BillRefund is money back to a donor.
	BillRefund BillLineKind = "refund"
	// BillPledge is not a line of the file: a pledge the bill lacks.
	BillPledge BillLineKind = "pledge"
)

// BillLine is one line of a bill that moved money.
type BillLine struct {
	// Line is the line (CSV) or row (.xlsx) number in the file, from 1.
	Line int64
	Kind BillLineKind
	// Reference is the merchant order number (商户订单号) of a provider's
	// line, or the pledge reference found in a bank line's 附言 or 摘要;
	// "" when the line has none.
	Reference string
	// TradeNo is the provider's number of the payment (微信订单号,
	// 支付宝交易号) or the bank's serial number; "" when the file has none.
	TradeNo string
	// RefundNo tells apart the refunds of one payment (微信退款单号,
	// 退款批次号/请求号).
	RefundNo string
	// AmountFen is what moved, positive.
	AmountFen int64
	// At is when it moved, if the file says.
	At time.Time
}

// BillLines reads a bill's lines in the file's order. Next returns io.EOF
// after the last, a *BillRowError for a line that cannot be read (the next
// call reads on) or any other error when the file cannot be read further.
type BillLines interface {
	Next() (BillLine, error)
	// Skipped counts, once Next returned io.EOF, the rows that moved no
	// money to match: a bank's payments out, fees, summaries.
	Skipped() int64
}

// BillRowError is a line of a bill that cannot be read.
type BillRowError struct {
	Line int64 `json:"line"`
	// Column names the column as the file's header does ("" for the row).
	Column string `json:"column,omitempty"`
	// Key names the reason in web's catalogue (bill_row_*); Reason says it
	// in English.
	Key    string `json:"-"`
	Reason string `json:"error"`
}

func (e *BillRowError) Error() string {
	if e.Column != "" {
		return fmt.Sprintf("line %d, %s: %s", e.Line, e.Column, e.Reason)
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
}

// BillRejectedError refuses a bill with lines that cannot be read: nothing
// of it was recorded. Rows lists the first of them, Total counts them all.
type BillRejectedError struct {
	Rows  []BillRowError
	Total int64
}

// maxBillRowErrors bounds the bad lines a refusal lists.
const maxBillRowErrors = 100

func (e *BillRejectedError) Error() string {
	return fmt.Sprintf("the bill has %d line(s) that cannot be read; nothing was recorded", e.Total)
}

// Unwrap answers as a ValidationError naming each bad line.
func (e *BillRejectedError) Unwrap() error {
	v := &kernel.ValidationError{}
	for _, r := range e.Rows {
		v.Add("line "+strconv.FormatInt(r.Line, 10), "%s", strings.TrimPrefix(r.Error(), "line "+strconv.FormatInt(r.Line, 10)+": "))
	}
	if len(v.Fields) == 0 {
		v.Add("file", "%s", e.Error())
	}
	return v
}

// BillFile is an uploaded bill: Open reads it from its start, each time it
// is called (a bill is read twice: checked whole, then matched).
type BillFile struct {
	Name   string
	SHA256 string
	Format BillFormat
	Open   func() (BillLines, error)
}

// ReconcileLine is one line of a bill's (or a bank statement's) import
// report.
type ReconcileLine struct {
	// Line is the line in the file (0 for a pledge the bill lacks).
	Line int `json:"line"`
	// Kind is payment, refund, or pledge (a pledge the bill lacks).
	Kind      string `json:"kind,omitempty"`
	Reference string `json:"reference"`
	// TradeNo is the provider's transaction or the bank's serial number.
	TradeNo   string `json:"trade_no,omitempty"`
	AmountFen int64  `json:"amount_fen"`
	PledgeID  string `json:"pledge_id,omitempty"`
	Reason    string `json:"reason,omitempty"`
	// Code says why a line did not match, for a page to word (the
	// Mismatch* codes): unknown_reference, other_org, amount_differs,
	// own_pledge, conflict, …
	Code string `json:"code,omitempty"`
	// PledgeFen is the pledge's amount when it differs from the line's.
	PledgeFen int64 `json:"pledge_amount_fen,omitempty"`
	// At is when the money moved (for a pledge the bill lacks: when it was
	// confirmed), if known.
	At *time.Time `json:"at,omitempty"`
	// Outcome is, for a line that matched, OutcomeMatched, OutcomeAlready
	// or OutcomeRefunded ("" with a Code).
	Outcome string `json:"-"`
	// PledgeRowID is the pledge's row (0 when none or another
	// organization's).
	PledgeRowID int64 `json:"-"`
}

// Outcomes of a line, and the codes of the mismatches staff read.
const (
	// OutcomeMatched: the line confirmed its pledge now.
	OutcomeMatched = "matched"
	// OutcomeAlready: the pledge was confirmed before.
	OutcomeAlready = "already"
	// OutcomeRefunded: a refund the ledger has too.
	OutcomeRefunded = "refunded"

	// MismatchUnknownReference: paid (or refunded) but no pledge has the
	// order number or reference.
	MismatchUnknownReference = "unknown_reference"
	// MismatchNoReference: a bank payment naming no pledge reference.
	MismatchNoReference = "no_reference"
	// MismatchOtherOrg: the pledge is to another organization.
	MismatchOtherOrg = "other_org"
	// MismatchAmount: the amount differs from the pledge's.
	MismatchAmount = "amount_differs"
	// MismatchOwnPledge: staff do not confirm their own pledge.
	MismatchOwnPledge = "own_pledge"
	// MismatchExpired: paid after the pledge expired.
	MismatchExpired = "pledge_expired"
	// MismatchConflict: the pledge cannot be confirmed (its status).
	MismatchConflict = "conflict"
	// MismatchRefundNotInLedger: the bill refunds a pledge the ledger
	// holds as given.
	MismatchRefundNotInLedger = "refund_not_in_ledger"
	// MismatchMissing: a pledge the provider's notification confirmed,
	// which neither this bill nor an earlier one has.
	MismatchMissing = "missing_from_bill"
	// MismatchDuplicate: a payment the file (or an earlier confirmation)
	// has already counted.
	MismatchDuplicate = "duplicate_line"
)

// MismatchCodes lists the mismatch codes in the order a page shows them.
var MismatchCodes = []string{MismatchUnknownReference, MismatchNoReference, MismatchAmount, MismatchRefundNotInLedger,
	MismatchMissing, MismatchExpired, MismatchConflict, MismatchOwnPledge, MismatchOtherOrg, MismatchDuplicate}

// mismatchReasons says each code in English (API, logs).
var mismatchReasons = map[string]string{
	MismatchUnknownReference:  "no pledge has this reference",
	MismatchNoReference:       "the line names no pledge reference",
	MismatchOtherOrg:          "the pledge is to another organization",
	MismatchAmount:            "the amount differs from the pledge's",
	MismatchOwnPledge:         "nobody confirms their own pledge",
	MismatchExpired:           "the pledge expired before the payment was matched",
	MismatchConflict:          "the pledge cannot be confirmed",
	MismatchRefundNotInLedger: "refunded in the bill, not in the ledger",
	MismatchMissing:           "confirmed by the provider's notification, missing from the bill",
	MismatchDuplicate:         "this payment was counted before",
}

// ReconcileRun is one import of a bill by staff of the receiving
// organization, kept so that staff can reopen it.
type ReconcileRun struct {
	ID            int64
	PublicID      string
	OrgID         int64
	OrgPublicID   string
	OrgName       string
	Format        BillFormat
	FileName      string
	FileSHA256    string
	CreatedBy     int64
	CreatedByName string
	CreatedAt     time.Time
	FinishedAt    *time.Time
	// Status is RunRunning until every line is matched, then RunDone; a
	// run left running was interrupted.
	Status string
	// PeriodFrom and PeriodTo are the first and the last China day of the
	// bill's lines (nil when no line says when).
	PeriodFrom, PeriodTo *time.Time
	Counts               ReconcileCounts
	// RepeatOf is the earlier run of the same file, if any.
	RepeatOf string
}

// Statuses of a run.
const (
	RunRunning = "running"
	RunDone    = "done"
)

// ReconcileCounts sums a run's lines.
type ReconcileCounts struct {
	Lines      int64 `json:"lines"`
	Skipped    int64 `json:"skipped"`
	Matched    int64 `json:"matched"`
	Already    int64 `json:"already_confirmed"`
	Refunds    int64 `json:"refunds"`
	Mismatches int64 `json:"mismatches"`
	// PaidFen sums the payment lines, RefundedFen the refund lines.
	PaidFen     int64 `json:"paid_fen"`
	RefundedFen int64 `json:"refunded_fen"`
}

// reconcileOrg picks the organization a run reconciles for: the one named
// (by public id), else the caller's only federation. ErrForbidden for
// anyone who is not its staff.
func reconcileOrg(by *kernel.Principal, orgPublicID string) (*kernel.Org, error) {
	orgs := by.OrgsWith(kernel.RoleFederationStaff)
	if len(orgs) == 0 {
		return nil, kernel.ErrForbidden
	}
	if orgPublicID == "" {
		if len(orgs) > 1 {
			return nil, kernel.Invalid("org", "name the organization whose bill this is")
		}
		return orgs[0], nil
	}
	for _, o := range orgs {
		if o.PublicID == orgPublicID {
			return o, nil
		}
	}
	return nil, kernel.Refuse(kernel.ErrForbidden, "refusal_reconcile_org_only", nil, "only the organization's staff reconcile its bills")
}

// ReconcileBill reads a bill for staff of the receiving organization
// (orgPublicID, or the caller's only federation): first whole, refusing it
// with a *BillRejectedError if any line cannot be read (nothing recorded);
// then line by line, confirming each pledge the bill shows as paid and not
// confirmed yet (each confirmation its own transaction, with the provider's
// transaction number as its notification id) and recording what every
// line came to. Importing the same bill again confirms nothing twice.
// ErrForbidden, ValidationError.
func (s *Service) ReconcileBill(ctx context.Context, by *kernel.Principal, orgPublicID string, f BillFile) (*ReconcileRun, error) {
	org, err := reconcileOrg(by, orgPublicID)
	if err != nil {
		return nil, err
	}
	if err := checkBill(f); err != nil {
		return nil, err
	}
	now := s.now()
	run := &ReconcileRun{PublicID: s.NewID(), OrgID: org.ID, OrgPublicID: org.PublicID, OrgName: org.Name, Format: f.Format,
		FileName: clip(f.Name, 200), FileSHA256: f.SHA256, CreatedBy: by.User.ID, CreatedByName: by.User.DisplayName,
		CreatedAt: now, Status: RunRunning}
	if run.RepeatOf, err = s.Store.EarlierReconcileRun(ctx, org.ID, f.SHA256); err != nil {
		return nil, fmt.Errorf("funds: reconcile: %w", err)
	}
	if err := s.Store.InsertReconcileRun(ctx, run); err != nil {
		return nil, fmt.Errorf("funds: reconcile: %w", err)
	}
	st := &runState{run: run, by: by, org: org, trades: map[string]bool{}, pledges: map[int64]bool{}}
	if err := s.matchBill(ctx, f, st); err != nil {
		return nil, fmt.Errorf("funds: reconcile: %w", err)
	}
	if err := s.missingFromBill(ctx, st); err != nil {
		return nil, fmt.Errorf("funds: reconcile: %w", err)
	}
	if err := st.flush(ctx, s.Store); err != nil {
		return nil, fmt.Errorf("funds: reconcile: %w", err)
	}
	done := s.now()
	run.Status, run.FinishedAt = RunDone, &done
	if err := s.Store.FinishReconcileRun(ctx, run); err != nil {
		return nil, fmt.Errorf("funds: reconcile: %w", err)
	}
	return run, nil
}

// checkBill reads the whole bill and refuses it if any line cannot be read.
func checkBill(f BillFile) error {
	lines, err := f.Open()
	if err != nil {
		return err
	}
	defer closeLines(lines)
	rej := &BillRejectedError{}
	for {
		_, err := lines.Next()
		var re *BillRowError
		switch {
		case errors.Is(err, io.EOF):
			if rej.Total > 0 {
				return rej
			}
			return nil
		case errors.As(err, &re):
			rej.Total++
			if len(rej.Rows) < maxBillRowErrors {
				rej.Rows = append(rej.Rows, *re)
			}
		case err != nil:
			return err
		}
	}
}

// runState is a run being matched.
type runState struct {
	run *ReconcileRun
	by  *kernel.Principal
	org *kernel.Org
	// trades holds the payments (and refunds) the file counted.
	trades map[string]bool
	// pledges holds the row ids of the organization's pledges the bill names.
	pledges map[int64]bool
	pending []ReconcileLine
	// from and to are the first and last China day of the bill's lines,
	// paidFrom and paidTo of its payments (a refund bill has none: it
	// says nothing of what was paid).
	from, to         time.Time
	paidFrom, paidTo time.Time
}

// reconcileBatch is how many lines are written at once.
const reconcileBatch = 200

func (st *runState) add(ctx context.Context, store Store, l ReconcileLine) error {
	c := &st.run.Counts
	switch BillLineKind(l.Kind) {
	case BillPayment:
		c.Lines++
		c.PaidFen += l.AmountFen
	case BillRefund:
		c.Lines++
		c.RefundedFen += l.AmountFen
	}
	switch l.Code {
	case "":
		switch l.Outcome {
		case OutcomeMatched:
			c.Matched++
		case OutcomeAlready:
			c.Already++
		case OutcomeRefunded:
			c.Refunds++
		}
	default:
		c.Mismatches++
	}
	st.pending = append(st.pending, l)
	if len(st.pending) >= reconcileBatch {
		return st.flush(ctx, store)
	}
	return nil
}

func (st *runState) flush(ctx context.Context, store Store) error {
	if len(st.pending) == 0 {
		return nil
	}
	if err := store.AddReconcileLines(ctx, st.run.ID, st.pending); err != nil {
		return err
	}
	st.pending = st.pending[:0]
	return nil
}

// matchBill reads the bill again and records what each line comes to.
func (s *Service) matchBill(ctx context.Context, f BillFile, st *runState) error {
	lines, err := f.Open()
	if err != nil {
		return err
	}
	defer closeLines(lines)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		l, err := lines.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// Read whole a moment ago: the file changed under us.
			return err
		}
		if !l.At.IsZero() {
			day := chinaDay(l.At)
			widen(&st.from, &st.to, day)
			if l.Kind == BillPayment {
				widen(&st.paidFrom, &st.paidTo, day)
			}
		}
		rl, err := s.reconcileLine(ctx, st, f.Format.Channel(), l)
		if err != nil {
			return err
		}
		if err := st.add(ctx, s.Store, rl); err != nil {
			return err
		}
	}
	st.run.Counts.Skipped = lines.Skipped()
	if !st.from.IsZero() {
		from, to := st.from, st.to
		st.run.PeriodFrom, st.run.PeriodTo = &from, &to
	}
	return nil
}

// widen stretches [from, to] to hold day.
func widen(from, to *time.Time, day time.Time) {
	if from.IsZero() || day.Before(*from) {
		*from = day
	}
	if day.After(*to) {
		*to = day
	}
}

// closeLines lets a bill's file go, if its reader holds one open.
func closeLines(l BillLines) {
	if c, ok := l.(io.Closer); ok {
		_ = c.Close()
	}
}

// chinaDay is the start of t's day in China, in UTC.
func chinaDay(t time.Time) time.Time {
	c := t.In(kernel.ChinaTime)
	return time.Date(c.Year(), c.Month(), c.Day(), 0, 0, 0, 0, kernel.ChinaTime).UTC()
}

// reconcileLine matches one line of a bill and, for a payment of a pledge
// waiting for it, confirms the pledge.
func (s *Service) reconcileLine(ctx context.Context, st *runState, channel string, l BillLine) (ReconcileLine, error) {
	rl := ReconcileLine{Line: int(l.Line), Kind: string(l.Kind), Reference: clip(l.Reference, 64), TradeNo: clip(l.TradeNo, 64),
		AmountFen: l.AmountFen}
	if !l.At.IsZero() {
		at := l.At
		rl.At = &at
	}
	mismatch := func(code string) (ReconcileLine, error) {
		rl.Code, rl.Reason = code, mismatchReasons[code]
		return rl, nil
	}
	if l.TradeNo != "" {
		// A provider's transaction number is unique; a bank's serial
		// (流水号, 凭证号) may repeat, so a bank line is the same payment
		// only with the same serial, reference, amount and day.
		key := string(l.Kind) + "\x00" + l.TradeNo + "\x00" + l.RefundNo
		if channel == ChannelBank {
			key += "\x00" + l.Reference + "\x00" + strconv.FormatInt(l.AmountFen, 10) + "\x00" + chinaDay(l.At).Format(time.DateOnly)
		}
		if st.trades[key] {
			return mismatch(MismatchDuplicate)
		}
		st.trades[key] = true
	}
	if l.Reference == "" {
		if channel == ChannelBank {
			return mismatch(MismatchNoReference)
		}
		return mismatch(MismatchUnknownReference)
	}
	p, err := s.billPledge(ctx, l.Reference)
	switch {
	case errors.Is(err, kernel.ErrNotFound):
		return mismatch(MismatchUnknownReference)
	case err != nil:
		return rl, err
	case p.OrgID != st.org.ID:
		return mismatch(MismatchOtherOrg)
	}
	st.pledges[p.ID] = true
	rl.PledgeID, rl.PledgeRowID, rl.Reference = p.PublicID, p.ID, p.Reference
	if l.Kind == BillRefund {
		switch {
		case p.Status != PledgeRefunded:
			rl.PledgeFen = p.AmountFen
			return mismatch(MismatchRefundNotInLedger)
		case p.AmountFen != l.AmountFen:
			rl.PledgeFen = p.AmountFen
			return mismatch(MismatchAmount)
		}
		rl.Outcome = OutcomeRefunded
		return rl, nil
	}
	switch {
	case p.Status == PledgeConfirmed || p.Status == PledgeRefunded:
		rl.Outcome = OutcomeAlready
		return rl, nil
	case p.MatchedPledgeID != 0:
		return mismatch(MismatchConflict)
	case p.AmountFen != l.AmountFen:
		rl.PledgeFen = p.AmountFen
		return mismatch(MismatchAmount)
	case p.DonorID == st.by.User.ID:
		return mismatch(MismatchOwnPledge)
	case p.Status == PledgeExpired || (p.Status == PledgePending && !s.now().Before(p.ExpiresAt)):
		return mismatch(MismatchExpired)
	case p.Status != PledgePending:
		return mismatch(MismatchConflict)
	}
	// The provider's transaction is recorded as the payment notification
	// its own notification would record. A bank sends none, and its
	// serial numbers are not unique across banks: nothing is recorded.
	nid := ""
	if l.TradeNo != "" && channel != ChannelBank {
		nid = clip(NotificationIDPrefix(channel)+l.TradeNo, 100)
	}
	_, err = s.confirm(ctx, p.PublicID, ViaReconciliation, st.by.User.ID, nid, l.AmountFen)
	var refusal *kernel.Refusal
	switch {
	case err == nil:
		rl.Outcome = OutcomeMatched
		return rl, nil
	case errors.Is(err, ErrReplayed):
		return mismatch(MismatchDuplicate)
	case errors.As(err, &refusal) && refusal.Key == "refusal_pledge_confirmed":
		rl.Outcome = OutcomeAlready
		return rl, nil
	case errors.As(err, &refusal) && refusal.Key == "refusal_pledge_expired":
		return mismatch(MismatchExpired)
	case errors.Is(err, kernel.ErrForbidden):
		return mismatch(MismatchOwnPledge)
	case errors.Is(err, kernel.ErrConflict):
		return mismatch(MismatchConflict)
	}
	return rl, err
}

// billPledge finds the pledge a bill line names: by its reference (the
// merchant order number a pledge is paid under, or the transfer's
// reference), else by its public id.
func (s *Service) billPledge(ctx context.Context, ref string) (*Pledge, error) {
	p, err := s.Store.PledgeByReference(ctx, strings.ToUpper(ref))
	if errors.Is(err, kernel.ErrNotFound) && len(ref) <= 32 {
		p, err = s.Store.Pledge(ctx, strings.ToLower(ref))
	}
	return p, err
}

// missingFromBill adds to the run the organization's pledges that a
// provider's notification confirmed during the days of the bill's
// payments, which neither this bill nor an earlier one names. A bank
// statement is not checked (a pledge confirmed by hand was paid on a day
// the service does not know), nor a bill of refunds only.
func (s *Service) missingFromBill(ctx context.Context, st *runState) error {
	channel := st.run.Format.Channel()
	if channel == ChannelBank || st.paidFrom.IsZero() {
		return nil
	}
	ps, err := s.Store.ProviderConfirmedIn(ctx, st.org.ID, st.paidFrom, st.paidTo.AddDate(0, 0, 1), NotificationIDPrefix(channel))
	if err != nil {
		return err
	}
	var ids []int64
	for _, p := range ps {
		if !st.pledges[p.ID] {
			ids = append(ids, p.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	seen, err := s.Store.PledgesInOtherRuns(ctx, st.org.ID, ids, st.run.ID)
	if err != nil {
		return err
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].ID < ps[j].ID })
	for _, p := range ps {
		if st.pledges[p.ID] || seen[p.ID] {
			continue
		}
		rl := ReconcileLine{Kind: string(BillPledge), Reference: p.Reference, AmountFen: p.AmountFen, PledgeID: p.PublicID,
			PledgeRowID: p.ID, Code: MismatchMissing, Reason: mismatchReasons[MismatchMissing], At: p.ConfirmedAt}
		if err := st.add(ctx, s.Store, rl); err != nil {
			return err
		}
	}
	return nil
}

// ReconcileRun returns a run with its lines to staff of its organization;
// ErrNotFound to anyone else.
func (s *Service) ReconcileRun(ctx context.Context, by *kernel.Principal, publicID string) (*ReconcileRun, error) {
	r, err := s.Store.ReconcileRun(ctx, publicID)
	if err != nil {
		return nil, err
	}
	if !staffOf(by, r.OrgID) {
		return nil, fmt.Errorf("funds: reconciliation: %w", kernel.ErrNotFound)
	}
	return r, nil
}

// ReconcileRuns lists, newest first, up to limit runs of the caller's
// organizations. ErrForbidden for anyone but federation staff.
func (s *Service) ReconcileRuns(ctx context.Context, by *kernel.Principal, limit int) ([]ReconcileRun, error) {
	var ids []int64
	for _, o := range by.OrgsWith(kernel.RoleFederationStaff) {
		ids = append(ids, o.ID)
	}
	if len(ids) == 0 {
		return nil, kernel.ErrForbidden
	}
	return s.Store.ReconcileRuns(ctx, ids, clampLimit(limit))
}

// ReconcileRunLines lists up to limit lines of a run the caller may see
// (ReconcileRun) whose outcome is one of outcomes (a mismatch code, or
// OutcomeMatched, OutcomeAlready, OutcomeRefunded), in line order; the
// mismatches of a pledge missing from the bill come last.
func (s *Service) ReconcileRunLines(ctx context.Context, run *ReconcileRun, outcomes []string, limit int) ([]ReconcileLine, error) {
	ls, err := s.Store.ReconcileLines(ctx, run.ID, outcomes, limit)
	if err != nil {
		return nil, err
	}
	for i := range ls {
		if ls[i].Code != "" {
			ls[i].Reason = mismatchReasons[ls[i].Code]
		}
	}
	return ls, nil
}

// clip cuts s to at most n bytes, at a character boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
