// Package paychan takes donations the way Chinese donors pay, through each
// charity's own WeChat Pay and Alipay merchant accounts, and gives refunds
// back the same way (issue 18).
//
// A charity's staff enter its merchant credentials (ids in plain, every
// key sealed with the data key, never shown again). A donor pays a pending
// pledge by WeChat Pay Native (a QR code on a computer) or H5 (a phone's
// browser), or Alipay's page or phone payment; the order number is the
// pledge's reference. The provider's notification, verified in its own
// format and security (wechatpay, alipay), confirms the pledge through
// funds.ConfirmPaid once per provider transaction, so that replays and
// notifications out of order are harmless; one the ledger cannot take (an
// unknown order, another amount or currency, a pledge already refunded or
// paid another way) is kept as an Exception for reconciliation, never
// lost. Refunds are recorded by funds (RecordRefund) and sent here, again
// later while the provider's trouble may pass (RunRefunds).
//
// It owns the provider protocols only through wechatpay and alipay, which
// import nothing but the standard library; it imports funds, marketplace
// (the data key, the audit entry) and kernel, never web.
package paychan
