package kernel

// NeedStatus is where a need is in its lifecycle:
// draft → submitted → cleared → notice → open → funded → disbursed → closed,
// with rejected, withdrawn and suspended as side exits.
type NeedStatus string

const (
	NeedDraft     NeedStatus = "draft"
	NeedSubmitted NeedStatus = "submitted"
	NeedCleared   NeedStatus = "cleared"
	NeedNotice    NeedStatus = "notice"
	NeedOpen      NeedStatus = "open"
	NeedFunded    NeedStatus = "funded"
	NeedDisbursed NeedStatus = "disbursed"
	NeedClosed    NeedStatus = "closed"
	NeedRejected  NeedStatus = "rejected"
	NeedWithdrawn NeedStatus = "withdrawn"
	NeedSuspended NeedStatus = "suspended"
	// NeedReferred: the verifier referred the case to a statutory programme first (转介).
	NeedReferred NeedStatus = "referred"
	// NeedExpired is never stored: it is the public status of a need that
	// ended at its deadline (EndExpired), computed at read time.
	NeedExpired NeedStatus = "expired"
)
