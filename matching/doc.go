// Package matching decides who fits what: eligibility of a need for a
// project or fund, ranked matches with reasons, volunteer matching and batch
// allocation plans. Screening against the statutory payment record is in
// matching/screening, the record and its import in matching/record.
//
// It imports funds, marketplace, kernel and the standard library only.
package matching
