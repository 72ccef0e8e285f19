// Package bill reads the files reconciliation imports (对账单): WeChat
// Pay's trade bill (交易账单), Alipay's business detail (业务明细) and
// account detail (账务明细), a bank's account statement, and the
// platform's own statement (reference, amount, date), as CSV (UTF-8, with
// or without a BOM, or GBK/GB18030) or .xlsx. It tells the format from the
// header row (formats.go holds the table of the headers it knows, which an
// operator adapts there), refuses a file it does not know with what it
// expected, and hands funds the lines that moved money, one at a time:
// a bill is never held in memory whole.
//
// It imports funds, kernel and golang.org/x/text only; a workbook reader
// (matching/record/xlsxsheet) is passed in as Options.OpenWorkbook.
package bill
