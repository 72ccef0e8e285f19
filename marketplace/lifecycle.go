package marketplace

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// NeedAction is something done to a need that its lifecycle table
// (lifecycle) allows from some statuses and not from others.
type NeedAction string

// The actions of the lifecycle. Publication's two outcomes, an objection's
// two resolutions and the money movements' three outcomes are separate
// actions, so that each (status, action) pair has one next status.
const (
	ActSubmit NeedAction = "submit"
	// ActClear, ActReject and ActRefer are a verifier's clearance decisions.
	ActClear  NeedAction = "clear"
	ActReject NeedAction = "reject"
	ActRefer  NeedAction = "refer"
	// ActReview is the town's review (乡镇审核) of a need approved in two
	// steps: passed on to the county's approval, the need stays submitted.
	ActReview NeedAction = "review"
	// ActPublish puts a cleared need into public notice; ActPublishOpen
	// opens it at once (the emergency path, 先行救助).
	ActPublish     NeedAction = "publish"
	ActPublishOpen NeedAction = "publish_open"
	// ActObject records an objection to a need in notice, which stays in
	// notice (its notice held, see Need.OpenObjections); a need an
	// objection suspended under the old rule stays suspended.
	ActObject NeedAction = "object"
	// ActUphold rejects a need in notice or suspended; ActResume returns a
	// suspended need to notice until its original notice end, ActResumeOpen
	// opens it (that end has passed).
	ActUphold     NeedAction = "uphold"
	ActResume     NeedAction = "resume"
	ActResumeOpen NeedAction = "resume_open"
	// ActFund: money given to the need reached its requested amount.
	ActFund NeedAction = "fund"
	// ActDisburse: money paid out of the need reached its requested amount.
	ActDisburse NeedAction = "disburse"
	// ActReopen: a refund or reversal took a funded need's money below its
	// requested amount.
	ActReopen   NeedAction = "reopen"
	ActWithdraw NeedAction = "withdraw"
	ActClose    NeedAction = "close"
	// Actions that change no status but are allowed only in some.
	ActUpdate  NeedAction = "update"
	ActConfirm NeedAction = "confirm"
)

// lifecycle is the one table of the need's moves: from status, action, to
// status. Every change of a need's stored status is one of them (Next).
// Two moves are not stored: a need in notice whose notice has ended is
// open (EffectiveStatus), and an open need past its deadline and not fully
// funded is shown expired (PublicStatusAt).
var lifecycle = map[kernel.NeedStatus]map[NeedAction]kernel.NeedStatus{
	kernel.NeedDraft: {
		ActSubmit:   kernel.NeedSubmitted,
		ActWithdraw: kernel.NeedWithdrawn,
	},
	kernel.NeedSubmitted: {
		ActClear:    kernel.NeedCleared,
		ActReject:   kernel.NeedRejected,
		ActRefer:    kernel.NeedReferred,
		ActReview:   kernel.NeedSubmitted,
		ActWithdraw: kernel.NeedWithdrawn,
	},
	kernel.NeedCleared: {
		ActPublish:     kernel.NeedNotice,
		ActPublishOpen: kernel.NeedOpen,
		ActWithdraw:    kernel.NeedWithdrawn,
	},
	kernel.NeedReferred: {
		ActWithdraw: kernel.NeedWithdrawn,
	},
	kernel.NeedNotice: {
		ActObject: kernel.NeedNotice,
		ActUphold: kernel.NeedRejected,
		// Money reaches a need in notice only once its notice has ended
		// (it is then effectively open) while its stored status still says
		// notice.
		ActFund:     kernel.NeedFunded,
		ActDisburse: kernel.NeedDisbursed,
		ActWithdraw: kernel.NeedWithdrawn,
		ActClose:    kernel.NeedClosed,
	},
	kernel.NeedOpen: {
		ActFund:     kernel.NeedFunded,
		ActDisburse: kernel.NeedDisbursed,
		ActWithdraw: kernel.NeedWithdrawn,
		ActClose:    kernel.NeedClosed,
	},
	kernel.NeedFunded: {
		ActDisburse: kernel.NeedDisbursed,
		ActReopen:   kernel.NeedOpen,
		ActClose:    kernel.NeedClosed,
	},
	kernel.NeedDisbursed: {
		ActClose: kernel.NeedClosed,
	},
	kernel.NeedSuspended: {
		ActObject:     kernel.NeedSuspended,
		ActUphold:     kernel.NeedRejected,
		ActResume:     kernel.NeedNotice,
		ActResumeOpen: kernel.NeedOpen,
		ActWithdraw:   kernel.NeedWithdrawn,
		ActClose:      kernel.NeedClosed,
	},
}

// Next returns the status action takes a need in status from to; a
// *TransitionError (ErrConflict) when the lifecycle has no such move.
func Next(from kernel.NeedStatus, action NeedAction) (kernel.NeedStatus, error) {
	if to, ok := lifecycle[from][action]; ok {
		return to, nil
	}
	return "", &TransitionError{Action: actionVerb(action), From: from}
}

// Moves lists every move of the lifecycle table, by status then action, for
// the documentation and its test.
func Moves() []Move {
	var out []Move
	for _, from := range AllNeedStatuses {
		acts := make([]NeedAction, 0, len(lifecycle[from]))
		for a := range lifecycle[from] {
			acts = append(acts, a)
		}
		slices.Sort(acts)
		for _, a := range acts {
			out = append(out, Move{From: from, Action: a, To: lifecycle[from][a]})
		}
	}
	return out
}

// Move is one row of the lifecycle table.
type Move struct {
	From   kernel.NeedStatus
	Action NeedAction
	To     kernel.NeedStatus
}

// actionVerb is how a refusal names an action ("cannot withdraw a need
// that is funded"): the words the API has always answered with.
func actionVerb(a NeedAction) string {
	switch a {
	case ActReject, ActRefer, ActReview:
		return "clear"
	case ActPublishOpen:
		return "publish"
	case ActObject:
		return "object to"
	case ActUphold, ActResume, ActResumeOpen:
		return "resolve an objection on"
	case ActUpdate:
		return "post an update on"
	}
	return string(a)
}

// MoneyAction is the move a money movement calls for once it has set a
// need's funded and disbursed amounts: ActFund when what was given reached
// the requested amount, ActDisburse when what was paid out did, ActReopen
// when a funded need's money fell below it; "" when the status stays,
// among them every status the table has no such move from (a withdrawn or
// closed need whose allocations go back stays as it is).
func MoneyAction(status kernel.NeedStatus, requestedFen, fundedFen, disbursedFen int64) NeedAction {
	var a NeedAction
	switch {
	case fundedFen < requestedFen:
		a = ActReopen
	case disbursedFen == requestedFen:
		a = ActDisburse
	case fundedFen == requestedFen:
		a = ActFund
	}
	if _, ok := lifecycle[status][a]; !ok {
		return ""
	}
	return a
}

// moneyEventActions are the event and audit actions of the money moves.
var moneyEventActions = map[NeedAction]string{
	ActFund:     "need.funded",
	ActDisburse: "need.disbursed",
	ActReopen:   "need.reopened",
}

// ActorSystem is the actor of what no user did by hand: money that arrived
// (a confirmed pledge, a matching gift) or a job (a donor's default choice,
// allocations returned from an ended need).
const ActorSystem = "system"

// StatusChange is a move of a need's status recorded with the money
// movement that made it: a need event and an entry in the need's audit
// stream, written by the needs store in the movement's transaction.
type StatusChange struct {
	Event NeedEvent
	Audit AuditEntry
}

// MoneyMove is what a money movement hands the needs store to write of a
// need: its new amounts and status, and the status change when there was
// one (see MoveMoney).
type MoneyMove struct {
	NeedID       int64
	NeedPublicID string
	FundedFen    int64
	DisbursedFen int64
	Status       kernel.NeedStatus
	At           time.Time
	// Saves is how many movements this write stands for (the batched path
	// writes a need once for all of a batch's movements): the need's
	// version moves on by it. 0 counts as 1.
	Saves int
	// Changes are the status changes the movements made (one at most on
	// the unbatched path).
	Changes []StatusChange
}

// MoveMoney applies the lifecycle to a need whose amounts a money movement
// has just set: it returns the status the need now has and, when that is a
// move, the event and audit entry that record it (with eventID, actor and
// ref, the public id of the allocation or pledge that moved the money;
// newID names the event, and is called only when there is one).
func MoveMoney(needPublicID string, status kernel.NeedStatus, requestedFen, fundedFen, disbursedFen int64, actor, ref string, newID func() string, at time.Time) (kernel.NeedStatus, *StatusChange, error) {
	a := MoneyAction(status, requestedFen, fundedFen, disbursedFen)
	if a == "" {
		return status, nil, nil
	}
	to, err := Next(status, a)
	if err != nil {
		return status, nil, fmt.Errorf("need %s: %w", needPublicID, err)
	}
	eventID := newID()
	ev := NeedEvent{PublicID: eventID, At: at, Actor: actor, Action: moneyEventActions[a], From: status, To: to}
	detail := map[string]any{"from": status, "to": to, "event": eventID, "requested_fen": requestedFen, "funded_fen": fundedFen,
		"disbursed_fen": disbursedFen, "ref": ref}
	audit := AuditEntry{Stream: "need:" + needPublicID, At: at, Actor: actor, Action: ev.Action, ObjectType: "need",
		ObjectID: needPublicID, Detail: auditDetail(detail)}
	return to, &StatusChange{Event: ev, Audit: audit}, nil
}

// NeedRules answers who may do what to a need, and when: the one rule the
// needs service, the API, the pages and the jobs apply. Divisions tell
// which verifiers cover a need's region.
type NeedRules struct {
	Divisions *kernel.Divisions
}

// May reports whether p may do action on n at now: nil, or the refusal the
// API answers with (Who's, then When's).
func (r NeedRules) May(p *kernel.Principal, action NeedAction, n *Need, now time.Time) error {
	if err := r.Who(p, action, n); err != nil {
		return err
	}
	return r.When(action, n, now)
}

// Who reports whether p holds the role action needs on n: ErrForbidden
// (a refusal naming the role) when not. The services check it before they
// validate the input, and When after.
func (r NeedRules) Who(p *kernel.Principal, action NeedAction, n *Need) error {
	if action == ActObject {
		return nil // anyone may object to a public need
	}
	w, ok := who[action]
	if !ok {
		// Submission is the posting service's; the money moves are the
		// funds service's, which checks its own staff.
		return fmt.Errorf("%s is not done by hand: %w", action, kernel.ErrForbidden)
	}
	if isDecision(action) {
		// Approval decisions follow the need's step (town review, county
		// approval) as well as its region.
		return stepDecider(r.Divisions, p, action, n)
	}
	if (w.poster && poster(p, n)) || (w.verifier && CoveringVerifier(r.Divisions, p, n.RegionCode)) {
		return nil
	}
	return w.refuse()
}

// whoMay is who may take an action on a need: the posting organization's
// social workers, a verifier covering its region, or both; refuse is
// everyone else's refusal.
type whoMay struct {
	poster, verifier bool
	refuse           func() error
}

var (
	clearers = whoMay{verifier: true, refuse: func() error {
		return kernel.Refuse(kernel.ErrForbidden, "refusal_clear_verifier_only", nil, "only a verifier of the civil affairs office covering the need's region clears it")
	}}
	publishers = whoMay{poster: true, verifier: true, refuse: func() error {
		return kernel.Refuse(kernel.ErrForbidden, "refusal_publish_role", nil, "only the posting organization's social workers or a covering verifier publish a need")
	}}
	resolvers = whoMay{verifier: true, refuse: func() error {
		return kernel.Refuse(kernel.ErrForbidden, "refusal_objection_verifier_only", nil, "only a covering verifier resolves objections")
	}}
)

// who holds who may take each action done by hand but objecting.
var who = map[NeedAction]whoMay{
	ActClear: clearers, ActReject: clearers, ActRefer: clearers, ActReview: clearers,
	ActPublish: publishers, ActPublishOpen: publishers,
	ActUphold: resolvers, ActResume: resolvers, ActResumeOpen: resolvers,
	ActWithdraw: {poster: true, refuse: func() error {
		return kernel.Refuse(kernel.ErrForbidden, "refusal_withdraw_role", nil, "only the posting organization's social workers withdraw a need")
	}},
	ActClose: {poster: true, refuse: func() error {
		return kernel.Refuse(kernel.ErrForbidden, "refusal_close_role", nil, "only the posting organization's social workers close a need")
	}},
	ActUpdate: {poster: true, refuse: func() error {
		return kernel.Refuse(kernel.ErrForbidden, "refusal_update_role", nil, "only the posting organization's social workers post updates")
	}},
	ActConfirm: {poster: true, refuse: func() error {
		return kernel.Refuse(kernel.ErrForbidden, "refusal_confirm_need_role", nil, "only the posting organization's social workers confirm a need")
	}},
}

// PublicMay is When for what a public page knows of a need, its public
// projection (whose status is already the one at read time): whether
// anyone may do action on it now.
func PublicMay(action NeedAction, pn *PublicNeed, now time.Time) error {
	return NeedRules{}.When(action, &Need{Status: pn.Status, NoticeEndsAt: pn.NoticeEndsAt, FundedFen: pn.FundedFen,
		RequestedFen: pn.RequestedFen, PublishedAt: pn.PublishedAt}, now)
}

// When reports whether action is allowed on n at now, whoever asks: nil,
// a *TransitionError, or the refusal the API answers with.
func (r NeedRules) When(action NeedAction, n *Need, now time.Time) error {
	switch action {
	case ActObject:
		eff := EffectiveStatus(n.Status, n.NoticeEndsAt, now)
		if eff != kernel.NeedNotice && !(n.Status == kernel.NeedSuspended && n.SuspendedFrom == kernel.NeedNotice) {
			return &TransitionError{Action: actionVerb(action), From: eff}
		}
		return nil
	case ActUpdate:
		if n.PublishedAt == nil || n.Status == kernel.NeedWithdrawn || n.Status == kernel.NeedRejected {
			return &TransitionError{Action: actionVerb(action), From: n.Status}
		}
		return nil
	case ActConfirm:
		switch EffectiveStatus(n.Status, n.NoticeEndsAt, now) {
		case kernel.NeedNotice, kernel.NeedOpen, kernel.NeedFunded:
			return nil
		}
		return &TransitionError{Action: actionVerb(action), From: n.Status}
	case ActUphold, ActResume, ActResumeOpen:
		// A decision on an objection is taken whatever the status; it
		// moves the need only while it is suspended.
		return nil
	}
	if _, err := Next(n.Status, action); err != nil {
		return err
	}
	switch action {
	case ActClear, ActRefer, ActReview:
		return stepWhen(action, n)
	case ActWithdraw:
		if n.FundedFen > 0 {
			return kernel.Refuse(kernel.ErrConflict, "refusal_withdraw_allocated", nil, "money has been allocated to this need; it can no longer be withdrawn")
		}
	case ActClose:
		if n.FundedFen == 0 && n.DisbursedFen == 0 {
			return kernel.Refuse(kernel.ErrConflict, "refusal_close_no_money", nil, "no money was given to this need; withdraw it instead of closing it")
		}
	}
	return nil
}

// CloseUnpaid is the rule of closing a need that still holds money not paid
// out (n.UnpaidFen): closing sends that money back to its funds and
// projects and lets the donors who gave to the need take theirs elsewhere,
// so the household does not get it. The posting social worker then closes
// only with unpaidReason, why it will not be paid out for this need (the
// patient moved to another hospital, the treatment stopped); better still,
// disburses it first. nil when nothing is unpaid or a reason is given, else
// a refusal (ErrConflict) naming the amount. When says whether the need may
// be closed at all; this is asked after it, with the worker's answer.
func (r NeedRules) CloseUnpaid(n *Need, unpaidReason string) error {
	if unpaid := n.UnpaidFen(); unpaid > 0 && strings.TrimSpace(unpaidReason) == "" {
		return kernel.Refuse(kernel.ErrConflict, "refusal_close_money_unpaid", map[string]any{"UnpaidFen": unpaid},
			"%d fen of this need are not paid out; disburse them or say why they will not be (unpaid_reason)", unpaid)
	}
	return nil
}
