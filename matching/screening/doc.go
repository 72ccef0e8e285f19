// Package screening checks a need against the statutory payment record and
// the person's other needs, at submission, clearance, allocation and
// disbursement: duplicate relief, statutory overlap, missed relief (which it
// turns into referrals), with verifiers' overrides and the review queue.
//
// It sits below funds: funds and marketplace declare the Screener interface
// they call and cmd passes this package's Service in. It imports
// kernel, marketplace (the needs' pseudonymizer and summaries), the record
// (matching/record) and the standard library; never funds or matching.
package screening
