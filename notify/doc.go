// Package notify tells people what happened: a new public report in their
// region, a clearance about to run out or overdue, an objection, a
// referral, a confirmed gift, a disbursement, a month of 月捐, an approved
// claim, a finished import.
//
// A change records its Event in the notification outbox, in the change's
// own transaction where the store offers one (funds.Tx, the marketplace
// stores' audit entries), else right after it (Afterwards); an event's Key
// keeps one event per happening however often it is published. The
// Dispatcher, a background worker that one instance of a cluster runs at a
// time (a lease row in the database), turns each event into deliveries:
// the recipients its Kind's Rule names by role and scope (a verifier of the
// civil affairs office covering the need's region, the posting
// organization's social workers, the donor…), on the channels each of them
// chose (Settings; the in-app inbox always). A delivery is sent at least
// once: retried with exponential backoff up to a cap, given up after
// MaxAttempts with its state and last error for the operator to see and
// retry. The inbox is de-duplicated by event and user, so that a resend
// after a crash between sending and marking shows one message.
//
// Messages carry public facts only: the public title of a need (or its
// category), amounts, regions at county level, counts. Never a
// beneficiary's name, ID number, phone or address, nor a worker's private
// text.
//
// It imports kernel and recovery and the standard library only: the
// outbox's SQL lives in notify/gormstore, the e-mail channel in
// notify/email, the SMS provider adapter in notify/sms, and the words of
// each message in the web catalogue (web.NoticeRenderer).
package notify
