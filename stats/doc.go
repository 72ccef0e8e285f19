// Package stats owns the statistics civil affairs and charity federations
// report every month and year (统计, 月报): needs received, cleared,
// published, funded, disbursed and closed; money raised, allocated and
// paid out; time-limit performance (clearance, objections, and every step
// of a case as case_steps records it); referrals and their outcomes — by
// region (province → city → county → town), month, category, organization,
// programme and step, within the caller's scope. It also answers the read-only
// views that city and provincial federations have of their counties, and
// which needs are in public notice (公示) in a place, for the printed
// notices.
//
// Every figure is a sum over cells (month × region × category ×
// organization × programme) that the Store aggregates in SQL; the report
// rolls the cells up in Go. It reads the needs store's tables (needs, their
// events, objections, case steps), the ledger's business tables (pledges,
// allocations, disbursements) and referrals; it writes nothing. It imports kernel and marketplace only
// (for the scope rules); stats/gormstore is its SQL, stats/statxlsx its
// .xlsx writer.
package stats
