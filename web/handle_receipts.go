package web

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/funds"
)

type receiptJSON struct {
	ID        string     `json:"id"`
	Number    string     `json:"number"`
	PledgeID  string     `json:"pledge_id"`
	Donor     string     `json:"donor"`
	Charity   string     `json:"charity"`
	AmountFen int64      `json:"amount_fen"`
	Year      int        `json:"year"`
	IssuedAt  time.Time  `json:"issued_at"`
	VoidedAt  *time.Time `json:"voided_at"`
	receiptDetailsJSON
}

func toReceiptJSON(r *funds.Receipt) receiptJSON {
	return receiptJSON{ID: r.PublicID, Number: r.Number, PledgeID: r.PledgePublicID, Donor: r.DonorName, Charity: r.CharityName(),
		AmountFen: r.AmountFen, Year: r.Year, IssuedAt: r.IssuedAt, VoidedAt: r.VoidedAt, receiptDetailsJSON: toReceiptDetailsJSON(r)}
}

var receiptHTML = template.Must(template.New("receipt").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>捐赠票据信息 {{.Number}}</title></head>
<body><h1>捐赠票据信息</h1>
<table>
<tr><th>票据号 Number</th><td>{{.Number}}</td></tr>
<tr><th>捐赠人 Donor</th><td>{{.Donor}}</td></tr>
{{with .DonorCode}}<tr><th>捐赠人统一社会信用代码 Donor's credit code</th><td>{{.}}</td></tr>{{end}}
<tr><th>受赠单位 Charity</th><td>{{.Charity}}</td></tr>
{{with .CharityCode}}<tr><th>统一社会信用代码 Charity's credit code</th><td>{{.}}</td></tr>{{end}}
<tr><th>金额 Amount</th><td>¥{{.Yuan}}</td></tr>
<tr><th>大写 In words</th><td>{{.Words}}</td></tr>
<tr><th>日期 Date</th><td>{{.Date}}</td></tr>
{{with .Purpose}}<tr><th>用途 Purpose</th><td>{{.}}</td></tr>{{end}}
{{if .Voided}}<tr><th>状态 Status</th><td>已作废 void (refunded)</td></tr>{{end}}
</table></body></html>
`))

// handleReceiptGet returns a donation receipt to its donor (or the issuing
// staff): JSON, or format=text, csv, html or pdf for download.
func (s *Server) handleReceiptGet(c echo.Context) error {
	format := c.QueryParam("format")
	switch format {
	case "", "json", "text", "csv", "html", "pdf":
	default:
		return kernel.Invalid("format", "must be json, text, csv, html or pdf")
	}
	r, err := s.Funds.Receipt(c.Request().Context(), PrincipalOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	if format == "pdf" {
		return s.sendReceiptPDF(c, r)
	}
	date := r.IssuedAt.In(kernel.ChinaTime).Format("2006-01-02")
	yuan := funds.FormatYuan(r.AmountFen)
	name := "receipt-" + r.Number
	switch format {
	case "text":
		c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`.txt"`)
		body := fmt.Sprintf("捐赠票据信息 Donation receipt\n票据号 Number: %s\n捐赠人 Donor: %s\n受赠单位 Charity: %s\n金额 Amount: ¥%s\n大写 In words: %s\n日期 Date: %s\n",
			r.Number, r.DonorName, r.CharityName(), yuan, r.Capital(), date)
		if r.OrgCreditCode != "" {
			body += "统一社会信用代码 Charity's credit code: " + r.OrgCreditCode + "\n"
		}
		if r.DonorCreditCode != "" {
			body += "捐赠人统一社会信用代码 Donor's credit code: " + r.DonorCreditCode + "\n"
		}
		if r.Purpose != "" {
			body += "用途 Purpose: " + r.Purpose + "\n"
		}
		if r.VoidedAt != nil {
			body += "状态 Status: 已作废 void (refunded)\n"
		}
		return c.Blob(http.StatusOK, "text/plain; charset=utf-8", []byte(body))
	case "csv":
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		_ = w.Write([]string{"number", "donor", "charity", "amount_fen", "amount_yuan", "date", "void",
			"donor_credit_code", "charity_credit_code", "amount_words", "purpose"})
		_ = w.Write([]string{funds.CSVField(r.Number), funds.CSVField(r.DonorName), funds.CSVField(r.CharityName()),
			strconv.FormatInt(r.AmountFen, 10), yuan, date, strconv.FormatBool(r.VoidedAt != nil),
			r.DonorCreditCode, r.OrgCreditCode, r.Capital(), funds.CSVField(r.Purpose)})
		w.Flush()
		c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`.csv"`)
		return c.Blob(http.StatusOK, "text/csv; charset=utf-8", b.Bytes())
	case "html":
		var b bytes.Buffer
		if err := receiptHTML.Execute(&b, map[string]any{"Number": r.Number, "Donor": r.DonorName, "Charity": r.CharityName(),
			"Yuan": yuan, "Date": date, "Voided": r.VoidedAt != nil, "DonorCode": r.DonorCreditCode, "CharityCode": r.OrgCreditCode,
			"Words": r.Capital(), "Purpose": r.Purpose}); err != nil {
			return err
		}
		return c.HTMLBlob(http.StatusOK, b.Bytes())
	}
	// format is "" or "json", as checked above.
	return c.JSON(http.StatusOK, toReceiptJSON(r))
}
