package notify

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jiujinan/jiujinan/kernel"
)

// Kind is what happened.
type Kind string

// The kinds of event.
const (
	// KindReportNew: a new active-discovery report (主动发现) in a region.
	KindReportNew Kind = "report_new"
	// KindClearanceDue: a submitted need's clearance is due within 24 hours.
	KindClearanceDue Kind = "clearance_due"
	// KindClearanceOverdue: a submitted need's clearance time limit passed.
	KindClearanceOverdue Kind = "clearance_overdue"
	// KindObjectionReceived: an objection to a need in notice (公示异议).
	KindObjectionReceived Kind = "objection_received"
	// KindObjectionResolved: a verifier upheld or dismissed an objection.
	KindObjectionResolved Kind = "objection_resolved"
	// KindReferralOpened: screening referred a household to a statutory
	// programme (转介).
	KindReferralOpened Kind = "referral_opened"
	// KindPledgeConfirmed: a donor's money arrived.
	KindPledgeConfirmed Kind = "pledge_confirmed"
	// KindGiftDisbursed: money of a donor's gift was paid out.
	KindGiftDisbursed Kind = "gift_disbursed"
	// KindMonthlyGiftTaken: a month of a monthly gift (月捐) was paid.
	KindMonthlyGiftTaken Kind = "monthly_gift_taken"
	// KindMonthlyGiftFailed: a month of a monthly gift could not be given.
	KindMonthlyGiftFailed Kind = "monthly_gift_failed"
	// KindMonthlyGiftDue: a month's pledge waits for the donor to pay it
	// (a reminder with a one-tap pay link).
	KindMonthlyGiftDue Kind = "monthly_gift_due"
	// KindMonthlyGiftChargeFailed: charging a month through the donor's
	// agreement failed; the donor may pay by the link.
	KindMonthlyGiftChargeFailed Kind = "monthly_gift_charge_failed"
	// KindClaimApproved: a volunteer's claim of a service need was approved.
	KindClaimApproved Kind = "claim_approved"
	// KindImportFinished: an uploaded statutory payment file is imported.
	KindImportFinished Kind = "import_finished"
)

// Kinds lists every kind, in the order the preferences show them.
var Kinds = []Kind{KindReportNew, KindClearanceDue, KindClearanceOverdue, KindObjectionReceived, KindObjectionResolved,
	KindReferralOpened, KindImportFinished, KindClaimApproved, KindPledgeConfirmed, KindGiftDisbursed, KindMonthlyGiftDue,
	KindMonthlyGiftTaken, KindMonthlyGiftChargeFailed, KindMonthlyGiftFailed}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return slices.Contains(Kinds, k) }

// Event is one happening to tell people about. Scope fields say whom its
// Kind's Rule reaches; the rest is what the message says: public facts only
// (see the package comment).
type Event struct {
	Kind Kind `json:"kind"`
	// Key identifies the happening: the outbox keeps the first event of a
	// key and drops the others, so that publishing again (a retry, a scan)
	// is harmless. By convention the kind, then the object's id.
	Key string    `json:"key"`
	At  time.Time `json:"at"`

	// Region is the exact region code of the need or report: staff whose
	// organization's region covers it are reached.
	Region string `json:"region,omitempty"`
	// Org is the public id of the organization that posted the need.
	Org string `json:"org,omitempty"`
	// User is the public id of the one user the event is for; UserRow the
	// same by row id, where the source holds only that.
	User    string `json:"user,omitempty"`
	UserRow int64  `json:"user_row,omitempty"`
	// PledgeRow is the row id of a donor's pledge whose donor is told.
	PledgeRow int64 `json:"pledge_row,omitempty"`

	// Need is the need's public id; Title its public title ("" while the
	// need is not public: the message then names its category).
	Need      string          `json:"need,omitempty"`
	Title     string          `json:"title,omitempty"`
	Category  kernel.Category `json:"category,omitempty"`
	AmountFen int64           `json:"amount_fen,omitempty"`
	// Link is the page of the site the message points to (a path).
	Link string `json:"link,omitempty"`
	// Params are the kind's other facts (a decision, a programme, counts).
	Params map[string]string `json:"params,omitempty"`
}

// MaxKeyLen bounds a key (it is a unique column).
const MaxKeyLen = 190

// Validate reports what is wrong with e: an unknown kind, no key or time,
// a scope the kind's rule cannot use, or text that no message should carry.
func (e *Event) Validate() error {
	v := &kernel.ValidationError{}
	r, ok := rules[e.Kind]
	if !ok {
		v.Add("kind", "unknown kind %q", e.Kind)
	}
	if e.Key == "" || len(e.Key) > MaxKeyLen || !printable(e.Key) {
		v.Add("key", "must be 1 to %d printable characters", MaxKeyLen)
	}
	if e.At.IsZero() {
		v.Add("at", "is required")
	}
	if ok {
		if len(r.Staff) > 0 && e.Region == "" {
			v.Add("region", "is required for %s", e.Kind)
		}
		if len(r.PostingOrg) > 0 && e.Org == "" {
			v.Add("org", "is required for %s", e.Kind)
		}
		if r.User && e.User == "" && e.UserRow == 0 {
			v.Add("user", "is required for %s", e.Kind)
		}
		if r.PledgeDonor && e.PledgeRow == 0 {
			v.Add("pledge_row", "is required for %s", e.Kind)
		}
	}
	for name, s := range map[string]string{"region": e.Region, "org": e.Org, "user": e.User, "need": e.Need} {
		if len(s) > 40 || !printable(s) {
			v.Add(name, "must be an id or code")
		}
	}
	if utf8.RuneCountInString(e.Title) > 200 || !printable(e.Title) {
		v.Add("title", "must be at most 200 printable characters")
	}
	if e.Link != "" && (!strings.HasPrefix(e.Link, "/") || strings.HasPrefix(e.Link, "//") || len(e.Link) > 300 || !printable(e.Link)) {
		v.Add("link", "must be a path of the site")
	}
	if len(e.Params) > 12 {
		v.Add("params", "at most 12")
	}
	for k, p := range e.Params {
		if k == "" || len(k) > 40 || utf8.RuneCountInString(p) > 200 || !printable(k) || !printable(p) {
			v.Add("params", "%q: names of at most 40 and values of at most 200 printable characters", k)
		}
	}
	return v.Err()
}

func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// Param returns a parameter, "" when absent.
func (e *Event) Param(name string) string { return e.Params[name] }

func key(k Kind, parts ...string) string { return string(k) + ":" + strings.Join(parts, ":") }

// ReportNew is a new active-discovery report in region (exact code).
func ReportNew(reportID, region string, cat kernel.Category, at time.Time) Event {
	return Event{Kind: KindReportNew, Key: key(KindReportNew, reportID), At: at, Region: region, Category: cat,
		Link: "/worker/reports/" + reportID}
}

// NeedRef is what an event says of a need: its public id, exact region
// (the scope), posting organization, public title ("" when not public),
// category.
type NeedRef struct {
	ID, Region, Org, Title string
	Category               kernel.Category
}

// ClearanceDue is a need whose clearance is due at due, within a day.
func ClearanceDue(n NeedRef, due, at time.Time) Event {
	return clearance(KindClearanceDue, n, due, at)
}

// ClearanceOverdue is a need whose clearance was due at due, which passed.
func ClearanceOverdue(n NeedRef, due, at time.Time) Event {
	return clearance(KindClearanceOverdue, n, due, at)
}

func clearance(k Kind, n NeedRef, due, at time.Time) Event {
	return Event{Kind: k, Key: key(k, n.ID), At: at, Region: n.Region, Org: n.Org, Need: n.ID, Title: n.Title,
		Category: n.Category, Link: "/staff/needs/" + n.ID, Params: map[string]string{"due": due.UTC().Format(time.RFC3339)}}
}

// ObjectionReceived is an objection to need n.
func ObjectionReceived(objectionID string, n NeedRef, at time.Time) Event {
	return Event{Kind: KindObjectionReceived, Key: key(KindObjectionReceived, objectionID), At: at, Region: n.Region, Org: n.Org,
		Need: n.ID, Title: n.Title, Category: n.Category, Link: "/staff/needs/" + n.ID}
}

// ObjectionResolved is a verifier's decision (upheld or dismissed) on an
// objection to need n.
func ObjectionResolved(objectionID, decision string, n NeedRef, at time.Time) Event {
	return Event{Kind: KindObjectionResolved, Key: key(KindObjectionResolved, objectionID), At: at, Region: n.Region, Org: n.Org,
		Need: n.ID, Title: n.Title, Category: n.Category, Link: "/staff/needs/" + n.ID, Params: map[string]string{"decision": decision}}
}

// ReferralOpened is a referral of need n's household to programme.
func ReferralOpened(referralID string, programme kernel.Programme, n NeedRef, at time.Time) Event {
	return Event{Kind: KindReferralOpened, Key: key(KindReferralOpened, referralID), At: at, Region: n.Region, Org: n.Org,
		Need: n.ID, Title: n.Title, Category: n.Category, Link: "/verify/referrals", Params: map[string]string{"programme": string(programme)}}
}

// Gift is what an event says of a donor's pledge: its public id, the
// donor's row id, the amount, the need it went to (public id; "" for a
// fund or project) and the organization that received it (its name).
type Gift struct {
	Pledge    string
	DonorRow  int64
	AmountFen int64
	Need      string
	Org       string
}

func (g Gift) event(k Kind, key string, at time.Time) Event {
	return Event{Kind: k, Key: key, At: at, UserRow: g.DonorRow, Need: g.Need, AmountFen: g.AmountFen, Link: "/my/pledges/" + g.Pledge,
		Params: map[string]string{"org": g.Org}}
}

// PledgeConfirmed is a donor's pledge whose money arrived.
func PledgeConfirmed(g Gift, at time.Time) Event {
	return g.event(KindPledgeConfirmed, key(KindPledgeConfirmed, g.Pledge), at)
}

// MonthlyGiftTaken is the month's pledge of a monthly gift, paid: for the
// month (YYYY-MM, China time) of at.
func MonthlyGiftTaken(g Gift, at time.Time) Event {
	e := g.event(KindMonthlyGiftTaken, key(KindMonthlyGiftTaken, g.Pledge), at)
	e.Params["period"] = at.In(kernel.ChinaTime).Format("2006-01")
	return e
}

// MonthlyGiftFailed is a month (YYYY-MM) of the monthly gift recurringID
// that could not be given.
func MonthlyGiftFailed(recurringID, period string, donorRow, amountFen int64, at time.Time) Event {
	return Event{Kind: KindMonthlyGiftFailed, Key: key(KindMonthlyGiftFailed, recurringID, period), At: at, UserRow: donorRow,
		AmountFen: amountFen, Link: "/my/giving#monthly", Params: map[string]string{"period": period}}
}

// MonthReminder is a month of a monthly gift the donor is to pay: kind
// KindMonthlyGiftDue or KindMonthlyGiftChargeFailed, the month's pledge
// (public id), its month (YYYY-MM), receiving organization, the one-tap
// pay link (a path of the site) and when the pledge expires.
type MonthReminder struct {
	Kind      Kind
	Pledge    string
	DonorRow  int64
	AmountFen int64
	Period    string
	Org       string
	PayPath   string
	ExpiresAt time.Time
}

// MonthlyGiftReminder is the reminder m (funds.Notifier's events).
func MonthlyGiftReminder(m MonthReminder, at time.Time) Event {
	return Event{Kind: m.Kind, Key: key(m.Kind, m.Pledge), At: at, UserRow: m.DonorRow, AmountFen: m.AmountFen, Link: m.PayPath,
		Params: map[string]string{"period": m.Period, "org": m.Org, "expires": m.ExpiresAt.UTC().Format(time.RFC3339)}}
}

// GiftDisbursed is amountFen of the gift of the donor's pledge pledgeRow
// paid out of need n by disbursement disbursementID.
func GiftDisbursed(disbursementID string, pledgeRow, amountFen int64, n NeedRef, at time.Time) Event {
	return Event{Kind: KindGiftDisbursed, Key: key(KindGiftDisbursed, disbursementID, strconv.FormatInt(pledgeRow, 10)), At: at,
		PledgeRow: pledgeRow, Need: n.ID, Title: n.Title, Category: n.Category, AmountFen: amountFen, Link: "/my/giving"}
}

// ClaimApproved is the approval of claim claimID of the volunteer user
// (public id) to serve need n with service until ends.
func ClaimApproved(claimID, user string, svc kernel.Service, ends time.Time, n NeedRef, at time.Time) Event {
	return Event{Kind: KindClaimApproved, Key: key(KindClaimApproved, claimID), At: at, User: user, Need: n.ID, Title: n.Title,
		Category: n.Category, Link: "/volunteer", Params: map[string]string{"service": string(svc), "ends": ends.UTC().Format(time.RFC3339)}}
}

// ImportFinished is the end of the import batchID that user (public id)
// uploaded, with its counts.
func ImportFinished(batchID, user string, accepted, duplicates, rejected int64, at time.Time) Event {
	return Event{Kind: KindImportFinished, Key: key(KindImportFinished, batchID), At: at, User: user, Link: "/verify/imports/" + batchID,
		Params: map[string]string{"accepted": strconv.FormatInt(accepted, 10), "duplicates": strconv.FormatInt(duplicates, 10),
			"rejected": strconv.FormatInt(rejected, 10)}}
}

// String names the event for logs: kind and key, no content.
func (e Event) String() string { return fmt.Sprintf("%s %s", e.Kind, e.Key) }
