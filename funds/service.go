package funds

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/marketplace"
)

// MaxAmountFen bounds every amount the API accepts: ¥100,000,000.
const MaxAmountFen int64 = 10_000_000_000

// Service runs funds, projects, pledges, allocations and disbursements.
type Service struct {
	Store Store
	// Screener screens a need before money moves to it or out of it; nil
	// leaves only the need's stored screening result to decide.
	Screener Screener
	// Cipher seals payee details.
	Cipher    *marketplace.Cipher
	Divisions *kernel.Divisions
	Now       func() time.Time
	NewID     func() string
	// WebhookSecret authenticates payment notifications.
	WebhookSecret []byte
	// PledgeTTL is how long a pledge waits for its payment before it expires.
	PledgeTTL time.Duration
	// IdemLease is how long a started idempotent request is presumed running.
	IdemLease time.Duration
	// RedirectWindow is how long donors of a need that ended have to choose
	// where its money goes before the default applies (DefaultRedirectWindow).
	RedirectWindow time.Duration
	// Notifier writes the donors' notifications of their monthly gifts;
	// nil records none (NoNotifier).
	Notifier Notifier
	// Charger charges a month through the donor's provider agreement; nil:
	// donors are reminded to pay each month.
	Charger Charger
	// PayLinkKey signs the one-tap pay links (PayLink); NewService makes
	// one that lasts as long as the process.
	PayLinkKey []byte
	// Audit records who read the donors' details in a receipt export
	// (ReceiptsForExport); nil records nothing (tests of other parts).
	Audit AuditWriter
}

// NewService returns a service with the defaults (pledges expire after 7
// days, idempotent requests are presumed running for 2 minutes).
func NewService(store Store, cipher *marketplace.Cipher, div *kernel.Divisions, now func() time.Time, newID func() string) *Service {
	return &Service{Store: store, Cipher: cipher, Divisions: div, Now: now, NewID: newID,
		PledgeTTL: 7 * 24 * time.Hour, IdemLease: 2 * time.Minute, RedirectWindow: DefaultRedirectWindow, PayLinkKey: newPayLinkKey()}
}

func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

// checkAmount validates an amount of money in fen.
func checkAmount(v *kernel.ValidationError, field string, fen int64) {
	switch {
	case fen <= 0:
		v.Add(field, "must be a positive whole number of fen")
	case fen > MaxAmountFen:
		v.Add(field, "must be at most %v", kernel.Fen(MaxAmountFen))
	}
}

// staffOf reports whether by is federation staff of the organization.
func staffOf(by *kernel.Principal, orgID int64) bool {
	return by != nil && by.InOrg(kernel.RoleFederationStaff, orgID)
}

// Idem asks for a request to take effect once: the store keeps the rendered
// response in the transaction of the change.
type Idem struct {
	Key string
	// Render returns the status and body to store for retries.
	Render func(v any) (status int, body []byte, err error)
}

func (s *Service) finishIdem(tx Tx, by *kernel.Principal, idem *Idem, v any) error {
	if idem == nil || idem.Key == "" {
		return nil
	}
	st, body, err := idem.Render(v)
	if err != nil {
		return err
	}
	return tx.FinishIdempotent(by.User.ID, idem.Key, st, body, s.now())
}

// BeginIdempotent starts a request with an Idempotency-Key for by. It
// returns the stored answer (replay true) when the same request finished
// before, IdempotencyMismatchError when the key was used for other content,
// ErrIdempotencyInFlight while the first request still runs; otherwise the
// caller runs the request and calls AbortIdempotent if it fails.
func (s *Service) BeginIdempotent(ctx context.Context, by *kernel.Principal, key, requestHash string) (rec *IdemRecord, replay bool, err error) {
	if key == "" || len(key) > 255 || strings.ContainsAny(key, "\x00\r\n") {
		return nil, false, kernel.Invalid("Idempotency-Key", "must be 1 to 255 characters")
	}
	in := &IdemRecord{UserID: by.User.ID, Key: key, RequestHash: requestHash, CreatedAt: s.now()}
	old, err := s.Store.BeginIdempotent(ctx, in, s.IdemLease)
	if err != nil {
		return nil, false, err
	}
	if old == nil {
		return nil, false, nil
	}
	if old.RequestHash != requestHash {
		return nil, false, IdempotencyMismatchError{}
	}
	if !old.Done {
		return nil, false, ErrIdempotencyInFlight
	}
	return old, true, nil
}

// AbortIdempotent forgets a started key after its request failed, so that a
// retry runs it again.
func (s *Service) AbortIdempotent(ctx context.Context, by *kernel.Principal, key string) {
	if key == "" || by == nil {
		return
	}
	// Detached: a request whose context ended must still release its key.
	_ = s.Store.AbortIdempotent(context.WithoutCancel(ctx), by.User.ID, key)
}

// PurgeIdempotent deletes keys older than 48 hours (kept at least 24).
func (s *Service) PurgeIdempotent(ctx context.Context) (int64, error) {
	return s.Store.PurgeIdempotent(ctx, s.now().Add(-48*time.Hour))
}

// NewSource is what it takes to create a fund or a project.
type NewSource struct {
	Kind SourceKind
	// OrgID is the holder organization's public id; empty picks the
	// caller's only federation-staff organization.
	OrgID        string
	Name         string
	Namer        string
	Purpose      string
	Restrictions kernel.Restrictions
	BudgetFen    int64
	PeriodFrom   *time.Time
	PeriodTo     *time.Time
	Match        MatchOffer
}

func checkText(v *kernel.ValidationError, field, s string, required bool, maxRunes int) {
	switch n := utf8.RuneCountInString(s); {
	case n == 0 && required:
		v.Add(field, "is required")
	case n > maxRunes:
		v.Add(field, "must be at most %d characters", maxRunes)
	case !utf8.ValidString(s) || strings.ContainsAny(s, "\x00<>"):
		v.Add(field, "must not contain NUL or angle brackets")
	}
}

// CreateSource creates a named fund or a project held by the caller's
// organization (federation staff of a charity federation or charity).
// ValidationError, ErrForbidden.
func (s *Service) CreateSource(ctx context.Context, by *kernel.Principal, n NewSource) (*Source, error) {
	orgs := by.OrgsWith(kernel.RoleFederationStaff)
	var org *kernel.Org
	for _, o := range orgs {
		if n.OrgID == "" || o.PublicID == n.OrgID {
			org = o
			break
		}
	}
	if org == nil || (n.OrgID == "" && len(orgs) > 1) {
		if n.OrgID == "" && len(orgs) > 1 {
			return nil, kernel.Invalid("org_id", "you are staff of several organizations: name the holder")
		}
		return nil, kernel.Refuse(kernel.ErrForbidden, "refusal_holder_staff_only", nil, "only staff of the holder organization may create its funds and projects")
	}
	if org.Kind != kernel.OrgCharityFederation && org.Kind != kernel.OrgCharity {
		return nil, kernel.Refuse(kernel.ErrForbidden, "refusal_holder_kind", nil, "only a charity federation or a charity may hold funds")
	}
	v := &kernel.ValidationError{}
	n.Name, n.Namer, n.Purpose = strings.TrimSpace(n.Name), strings.TrimSpace(n.Namer), strings.TrimSpace(n.Purpose)
	nameField, purposeField := "name", "purpose"
	if n.Kind == KindProject {
		nameField, purposeField = "title", "description"
	}
	checkText(v, nameField, n.Name, true, 100)
	checkText(v, "namer", n.Namer, n.Kind == KindFund, 100)
	checkText(v, purposeField, n.Purpose, true, 2000)
	if err := n.Restrictions.Validate(s.Divisions, "restrictions"); err != nil {
		var ve *kernel.ValidationError
		if errors.As(err, &ve) {
			v.Merge(ve)
		}
	}
	if n.Kind == KindProject {
		if n.BudgetFen != 0 {
			checkAmount(v, "budget_fen", n.BudgetFen)
		}
		if n.PeriodFrom == nil {
			v.Add("period.from", "is required")
		}
		if n.PeriodTo == nil {
			v.Add("period.to", "is required")
		}
		if n.PeriodFrom != nil && n.PeriodTo != nil && !n.PeriodTo.After(*n.PeriodFrom) {
			v.Add("period.to", "must be after period.from")
		}
	} else if n.BudgetFen != 0 || n.PeriodFrom != nil || n.PeriodTo != nil {
		v.Add("budget_fen", "a fund has no budget or period")
	}
	m := n.Match
	if m.RatioPct < 0 || m.RatioPct > 500 {
		v.Add("match.ratio_pct", "must be between 0 and 500")
	}
	if m.RatioPct > 0 {
		checkAmount(v, "match.per_donor_cap_fen", m.DonorCapFen)
		checkAmount(v, "match.total_cap_fen", m.TotalCapFen)
	} else if m.DonorCapFen != 0 || m.TotalCapFen != 0 {
		v.Add("match.ratio_pct", "is required with caps")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	src := &Source{PublicID: s.NewID(), Kind: n.Kind, OrgID: org.ID, OrgPublicID: org.PublicID, OrgName: org.Name,
		Name: n.Name, Namer: n.Namer, Purpose: n.Purpose, Restrictions: n.Restrictions, BudgetFen: n.BudgetFen,
		PeriodFrom: utcPtr(n.PeriodFrom), PeriodTo: utcPtr(n.PeriodTo), Status: SourceActive, Match: n.Match,
		CreatedBy: by.User.ID, CreatedAt: s.now()}
	if err := s.Store.CreateSource(ctx, src); err != nil {
		return nil, fmt.Errorf("funds: create %s: %w", n.Kind, err)
	}
	return src, nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC().Truncate(time.Microsecond)
	return &u
}

// Source returns a fund or project of the given kind with its balance; ErrNotFound.
func (s *Service) Source(ctx context.Context, kind SourceKind, publicID string) (*Source, error) {
	src, err := s.Store.Source(ctx, publicID)
	if err != nil {
		return nil, err
	}
	if src.Kind != kind {
		return nil, kernel.ErrNotFound
	}
	return src, nil
}

// Sources lists funds or projects, newest first.
func (s *Service) Sources(ctx context.Context, kind SourceKind, limit, offset int) ([]Source, error) {
	return s.Store.Sources(ctx, kind, clampLimit(limit), max(offset, 0))
}

func clampLimit(n int) int {
	if n <= 0 {
		return 50
	}
	return min(n, 500)
}

// Ledger returns the public books of a fund or project: every entry of its account.
func (s *Service) Ledger(ctx context.Context, kind SourceKind, publicID string, limit, offset int) (*Source, []LedgerLine, error) {
	src, err := s.Source(ctx, kind, publicID)
	if err != nil {
		return nil, nil, err
	}
	lines, err := s.Store.AccountLines(ctx, SourceAccount(src).Code(), clampLimit(limit), max(offset, 0))
	if err != nil {
		return src, nil, err
	}
	return src, lines, s.withholdNeeds(ctx, src, lines)
}

// withholdNeeds blanks, in a source's public books, every need that the
// source's organization's region does not cover (marketplace.ShownOrg): a
// county fund's books listing a need shown at 全国 would put it back in
// the county. The line stays, with its amount; only the need is not
// named.
func (s *Service) withholdNeeds(ctx context.Context, src *Source, lines []LedgerLine) error {
	shown := map[string]bool{}
	hide := func(needID string) (bool, error) {
		if v, ok := shown[needID]; ok {
			return !v, nil
		}
		n, err := s.Store.Need(ctx, needID)
		if errors.Is(err, kernel.ErrNotFound) {
			shown[needID] = false
			return true, nil
		}
		if err != nil {
			return false, err
		}
		shown[needID] = marketplace.ShownOrg(s.Divisions, src.OrgRegion, n.DisclosedRegion())
		return !shown[needID], nil
	}
	needPrefix := string(AccountNeed) + ":"
	for i := range lines {
		l := &lines[i]
		if l.RefType == "need" {
			h, err := hide(l.RefID)
			if err != nil {
				return err
			}
			if h {
				l.RefType, l.RefID = "", ""
			}
		}
		kept := l.Counterpart[:0]
		for _, c := range l.Counterpart {
			if id, ok := strings.CutPrefix(c, needPrefix); ok {
				h, err := hide(id)
				if err != nil {
					return err
				}
				if h {
					c = needPrefix + "*"
				}
			}
			kept = append(kept, c)
		}
		l.Counterpart = kept
	}
	return nil
}

// newReference returns a pledge's transfer reference: "JJ" and ten
// characters of Crockford base32 (50 random bits).
func newReference() string {
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	out := []byte("JJ")
	for _, c := range b {
		out = append(out, alphabet[c&31])
	}
	return string(out)
}

// Screener runs and stores the screening of a need at a stage; funds calls
// it before every allocation and disbursement with the money about to move.
// The implementation is matching/screening's service, which cmd passes in.
// A Result of block stops the action with a *kernel.ScreeningBlockedError.
type Screener interface {
	Screen(ctx context.Context, needPublicID string, stage kernel.ScreeningStage, amountFen int64) (*kernel.Screening, error)
}
