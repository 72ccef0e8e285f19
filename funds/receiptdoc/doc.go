// Package receiptdoc writes donation receipts (funds.Receipt) as documents:
// a one-page A4 PDF with an embedded Chinese font (WenQuanYi Micro Hei,
// font/README.md), and the finance staff's export as an .xlsx workbook.
// funds imports no PDF or spreadsheet library; this package does, and
// imports nothing of the project.
package receiptdoc
