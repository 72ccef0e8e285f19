package bill

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/kernel"
)

// WeChatHeader is the ALL trade bill's header (pay.weixin.qq.com, 交易账单).
const WeChatHeader = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"

// weChatRow is a row of the ALL bill, every value behind a backtick.
func weChatRow(at, tradeNo, orderNo, status, settled, refundNo, refund string) string {
	refundStatus := ""
	if refund != "0.00" {
		refundStatus = "SUCCESS"
	}
	vals := []string{at, "wxfdc955f7104ad557", "1800023671", "0", "", tradeNo, orderNo, "oZWaCKXip5njeEiloC4oeOV1TTsk", "NATIVE", status,
		"OTHERS", "CNY", settled, "0.00", refundNo, refundNo, refund, "0.00", "ORIGINAL", refundStatus, "救急难捐赠", "", "0.60000", "0.60%", settled, refund, ""}
	return "`" + strings.Join(vals, ",`")
}

// AlipayTradeHeader is the 业务明细 header.
const AlipayTradeHeader = "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注"

// alipayTrade is an 业务明细 file as Alipay writes it: '#' lines around
// the table, values ending with a tab, GBK.
func alipayTrade(rows ...string) []byte {
	s := "#支付宝业务明细查询\r\n#账号：[20881234567890120156]\r\n#起始日期：[2026年11月23日 00:00:00]   终止日期：[2026年11月24日 00:00:00]\r\n" +
		"#-----------------------------------------业务明细列表----------------------------------------\r\n" + AlipayTradeHeader + "\r\n"
	for _, r := range rows {
		s += r + "\r\n"
	}
	s += "#-----------------------------------------业务明细列表结束------------------------------------\r\n#交易合计：1笔，商家实收共100.00元，商家优惠共0.00元\r\n#导出时间：[2026年11月24日 09:12:03]\r\n"
	return gbk(s)
}

func alipayTradeRow(tradeNo, orderNo, kind, amount, refundNo string) string {
	vals := []string{tradeNo, orderNo, kind, "救急难捐赠", "2026-11-23 10:00:00", "2026-11-23 10:00:05", "", "", "", "", "don***@example.com",
		amount, amount, "0.00", "0.00", "0.00", "0.00", "0.00", "", "0.00", "0.00", refundNo, "-0.60", "0.00", ""}
	return strings.Join(vals, "\t,") + "\t"
}

func gbk(s string) []byte {
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		panic(err)
	}
	return b
}

// readAll opens data and reads every line.
func readAll(t *testing.T, name string, data []byte, opt Options) (funds.BillFormat, []funds.BillLine, []*funds.BillRowError, int64, error) {
	t.Helper()
	r, err := Open(bytes.NewReader(data), int64(len(data)), name, opt)
	if err != nil {
		return "", nil, nil, 0, err
	}
	var lines []funds.BillLine
	var bad []*funds.BillRowError
	for {
		l, err := r.Next()
		var re *funds.BillRowError
		switch {
		case errors.Is(err, io.EOF):
			return r.Format(), lines, bad, r.Skipped(), nil
		case errors.As(err, &re):
			bad = append(bad, re)
		case err != nil:
			t.Fatal(err)
		default:
			lines = append(lines, l)
		}
	}
}

func china(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04:05", s, kernel.ChinaTime)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func TestBillFormats(t *testing.T) {
	weChat := WeChatHeader + "\n" +
		weChatRow("2026-11-23 13:51:31", "4200001234202611230000000001", "JJ0123456789", "SUCCESS", "100.00", "0", "0.00") + "\n" +
		weChatRow("2026-11-23 15:02:10", "4200001234202611230000000002", "JJ0000000002", "REFUND", "50.00", "50300305972026112300000001", "50.00") + "\n" +
		"总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\n" +
		"`2,`150.00,`50.00,`0.00,`0.90000,`150.00,`50.00\n"
	cases := []struct {
		name    string
		file    string
		data    []byte
		format  funds.BillFormat
		want    []funds.BillLine
		skipped int64
	}{
		{name: "a WeChat Pay trade bill: backticks, a refund row and the summary", file: "All2026-11-23.csv", data: []byte(weChat), format: funds.BillWeChatPay,
			want: []funds.BillLine{
				{Line: 2, Kind: funds.BillPayment, Reference: "JJ0123456789", TradeNo: "4200001234202611230000000001", AmountFen: 10_000, At: china("2026-11-23 13:51:31")},
				{Line: 3, Kind: funds.BillRefund, Reference: "JJ0000000002", TradeNo: "4200001234202611230000000002", RefundNo: "50300305972026112300000001", AmountFen: 5_000, At: china("2026-11-23 15:02:10")},
			}},
		{name: "the same bill in GBK with a BOM-less header and CRLF", file: "bill.csv", data: gbk(strings.ReplaceAll(weChat, "\n", "\r\n")), format: funds.BillWeChatPay,
			want: []funds.BillLine{
				{Line: 2, Kind: funds.BillPayment, Reference: "JJ0123456789", TradeNo: "4200001234202611230000000001", AmountFen: 10_000, At: china("2026-11-23 13:51:31")},
				{Line: 3, Kind: funds.BillRefund, Reference: "JJ0000000002", TradeNo: "4200001234202611230000000002", RefundNo: "50300305972026112300000001", AmountFen: 5_000, At: china("2026-11-23 15:02:10")},
			}},
		{name: "an older WeChat Pay bill (总金额, 子商户号)", file: "old.csv",
			data: []byte("交易时间,公众账号ID,商户号,子商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,总金额,代金券或立减优惠金额,商品名称,商户数据包,手续费,费率\n" +
				"`2026-11-23 16:33:45,`wx2421b1c4370ec43b,`10000100,`0,`1000,`1001690740201411100005734289,`JJ0123456789,`085e9858e3ba5186aafcbaed1,`MICROPAY,`SUCCESS,`OTHERS,`CNY,`0.01,`0.0,`捐赠,`,`0,`0.60%\n" +
				"总交易单数,总交易额,总退款金额,总代金券或立减优惠退款金额,手续费总金额\n`1,`0.01,`0.0,`0.0,`0\n"), format: funds.BillWeChatPay,
			want: []funds.BillLine{{Line: 2, Kind: funds.BillPayment, Reference: "JJ0123456789", TradeNo: "1001690740201411100005734289", AmountFen: 1, At: china("2026-11-23 16:33:45")}}},
		{name: "an Alipay business detail in GBK: comments, tabs, a refund with a negative amount", file: "20881234567890120156_20261123_业务明细.csv",
			data: alipayTrade(alipayTradeRow("2026112322001411111111111111", "JJ0123456789", "交易", "100.00", ""),
				alipayTradeRow("2026112322001422222222222222", "JJ0000000002", "退款", "-50.00", "R2026112300001")), format: funds.BillAlipay,
			want: []funds.BillLine{
				{Line: 6, Kind: funds.BillPayment, Reference: "JJ0123456789", TradeNo: "2026112322001411111111111111", AmountFen: 10_000, At: china("2026-11-23 10:00:05")},
				{Line: 7, Kind: funds.BillRefund, Reference: "JJ0000000002", TradeNo: "2026112322001422222222222222", RefundNo: "R2026112300001", AmountFen: 5_000, At: china("2026-11-23 10:00:05")},
			}},
		{name: "an Alipay account detail: the fee row is skipped", file: "账务明细.csv",
			data: gbk("#支付宝账务明细查询\n#账号：[20881234567890120156]\n账务流水号,业务流水号,商户订单号,商品名称,发生时间,对方账号,收入金额（+元）,支出金额（-元）,账户余额（元）,交易渠道,业务类型,备注\n" +
				"20261123001\t,2026112322001411111111111111\t,JJ0123456789\t,捐赠\t,2026-11-23 10:00:05\t,don***@example.com\t,+100.00\t,0.00\t,100.00\t,支付宝\t,在线支付\t,\t\n" +
				"20261123002\t,2026112322001411111111111111\t,JJ0123456789\t,服务费\t,2026-11-23 10:00:05\t,\t,0.00\t,-0.60\t,99.40\t,支付宝\t,收费\t,\t\n" +
				"20261123003\t,2026112322001422222222222222\t,JJ0000000002\t,捐赠\t,2026-11-23 11:00:00\t,don***@example.com\t,0.00\t,-50.00\t,49.40\t,支付宝\t,交易退款\t,\t\n" +
				"#账务明细列表结束\n"), format: funds.BillAlipayAccount, skipped: 1,
			want: []funds.BillLine{
				{Line: 4, Kind: funds.BillPayment, Reference: "JJ0123456789", TradeNo: "2026112322001411111111111111", AmountFen: 10_000, At: china("2026-11-23 10:00:05")},
				{Line: 6, Kind: funds.BillRefund, Reference: "JJ0000000002", TradeNo: "2026112322001422222222222222", RefundNo: "20261123003", AmountFen: 5_000, At: china("2026-11-23 11:00:00")},
			}},
		{name: "a bank export in GBK: title rows, debits and the total skipped, the reference found in the 附言", file: "明细.csv",
			data: gbk("中国工商银行 账户明细\n账号：1602 0000 0000 0000 000,户名：某县慈善总会\n" +
				"交易日期,交易时间,摘要,附言,对方户名,对方账号,借方发生额,贷方发生额,余额,交易流水号\n" +
				"2026-11-23,09:10:11,网银转入,捐款 jj0123456789 张三,张三,6222000000000000,,\"1,000.00\",1000.00,ICBC0001\n" +
				"2026-11-23,10:00:00,手续费,,,,2.00,,998.00,ICBC0002\n" +
				"2026-11-23,11:00:00,转账,没写附言,李四,6222000000000001,,20.00,1018.00,ICBC0003\n" +
				"合计,,,,,,2.00,1020.00,,\n"), format: funds.BillBank, skipped: 2,
			want: []funds.BillLine{
				{Line: 4, Kind: funds.BillPayment, Reference: "JJ0123456789", TradeNo: "ICBC0001", AmountFen: 100_000, At: china("2026-11-23 00:00:00")},
				{Line: 6, Kind: funds.BillPayment, TradeNo: "ICBC0003", AmountFen: 2_000, At: china("2026-11-23 00:00:00")},
			}},
		{name: "a bank export with one amount and a 借贷标志", file: "bank.csv",
			data: []byte("记账日期,摘要,交易金额,借贷标志,流水号\n20261123,JJ0123456789,100.00,贷,B1\n20261123,代发工资,100.00,借,B2\n"), format: funds.BillBank, skipped: 1,
			want: []funds.BillLine{{Line: 2, Kind: funds.BillPayment, Reference: "JJ0123456789", TradeNo: "B1", AmountFen: 10_000, At: china("2026-11-23 00:00:00")}}},
		{name: "today's statement with its Chinese header and a BOM", file: "statement.csv",
			data: []byte("\uFEFF转账附言,金额（元）,日期\nJJ0123456789,200,2026-11-23\n"), format: funds.BillStatement,
			want: []funds.BillLine{{Line: 2, Kind: funds.BillPayment, Reference: "JJ0123456789", AmountFen: 20_000, At: china("2026-11-23 00:00:00")}}},
		{name: "today's statement with an English header", file: "statement.csv",
			data: []byte("reference,amount,date\nJJ0123456789,200.00,2026-11-23\n"), format: funds.BillStatement,
			want: []funds.BillLine{{Line: 2, Kind: funds.BillPayment, Reference: "JJ0123456789", AmountFen: 20_000, At: china("2026-11-23 00:00:00")}}},
		{name: "today's statement without a header", file: "statement.csv",
			data: []byte("jj0123456789,200.5,2026-11-23\nJJNOSUCHREF1,5,2026-11-23\n"), format: funds.BillStatement,
			want: []funds.BillLine{
				{Line: 1, Kind: funds.BillPayment, Reference: "JJ0123456789", AmountFen: 20_050, At: china("2026-11-23 00:00:00")},
				{Line: 2, Kind: funds.BillPayment, Reference: "JJNOSUCHREF1", AmountFen: 500, At: china("2026-11-23 00:00:00")},
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			format, lines, bad, skipped, err := readAll(t, tc.file, tc.data, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if format != tc.format || len(bad) != 0 || skipped != tc.skipped {
				t.Fatalf("format %s, bad rows %v, skipped %d; want %s, none, %d", format, bad, skipped, tc.format, tc.skipped)
			}
			if len(lines) != len(tc.want) {
				t.Fatalf("%d lines, want %d: %+v", len(lines), len(tc.want), lines)
			}
			for i := range lines {
				if lines[i] != tc.want[i] {
					t.Errorf("line %d:\n got %+v\nwant %+v", i, lines[i], tc.want[i])
				}
			}
		})
	}
}

func TestBadBillsAreRefused(t *testing.T) {
	refusedAs := func(t *testing.T, err error, key string) {
		t.Helper()
		var r *kernel.Refusal
		var v *kernel.ValidationError
		if !errors.As(err, &r) || r.Key != key || !errors.As(err, &v) || v.Fields["file"] == "" {
			t.Fatalf("err %v, want the refusal %s with the field file", err, key)
		}
	}
	t.Run("an unknown header names what was expected", func(t *testing.T) {
		_, _, _, _, err := readAll(t, "orders.csv", []byte("订单号,客户,金额\nA1,张三,100\n"), Options{})
		refusedAs(t, err, KeyUnknownFormat)
		var r *kernel.Refusal
		errors.As(err, &r)
		exp, _ := r.Args["Expected"].(string)
		for _, want := range []string{"微信支付交易账单", "支付宝业务明细", "银行流水", "转账附言"} {
			if !strings.Contains(exp, want) {
				t.Errorf("the refusal does not name %s: %s", want, exp)
			}
		}
	})
	t.Run("an empty file", func(t *testing.T) {
		_, _, _, _, err := readAll(t, "empty.csv", nil, Options{})
		refusedAs(t, err, KeyUnknownFormat)
	})
	t.Run("an old .xls", func(t *testing.T) {
		_, _, _, _, err := readAll(t, "bill.xls", append(append([]byte{}, oleMagic...), make([]byte, 100)...), Options{})
		refusedAs(t, err, KeyFileXLS)
	})
	t.Run("an .xlsx without a workbook reader", func(t *testing.T) {
		_, _, _, _, err := readAll(t, "bill.xlsx", append([]byte("PK\x03\x04"), make([]byte, 100)...), Options{})
		refusedAs(t, err, KeyFileXLSXUnavailable)
	})
	t.Run("a text file named .xlsx", func(t *testing.T) {
		_, _, _, _, err := readAll(t, "bill.xlsx", []byte(WeChatHeader+"\n"), Options{})
		refusedAs(t, err, KeyFileNotXLSX)
	})
	t.Run("binary data", func(t *testing.T) {
		_, _, _, _, err := readAll(t, "x.csv", []byte("交易时间\x00\x01\x02"), Options{})
		refusedAs(t, err, KeyFileUnreadable)
	})
	t.Run("malformed rows are reported with their line and column", func(t *testing.T) {
		data := WeChatHeader + "\n" +
			weChatRow("2026-11-23 13:51:31", "4200000001", "JJ0123456789", "SUCCESS", "abc", "0", "0.00") + "\n" +
			weChatRow("yesterday", "4200000002", "JJ0123456780", "SUCCESS", "1.00", "0", "0.00") + "\n" +
			weChatRow("2026-11-23 13:51:31", "4200000003", "JJ0123456781", "CLOSED", "1.00", "0", "0.00") + "\n" +
			weChatRow("2026-11-23 13:51:31", "4200000004", "JJ0123456782", "SUCCESS", "1.001", "0", "0.00") + "\n" +
			weChatRow("2026-11-23 13:51:31", "4200000005", "JJ0123456783", "SUCCESS", "1.00", "0", "0.00") + "\n"
		_, lines, bad, _, err := readAll(t, "All.csv", []byte(data), Options{})
		if err != nil {
			t.Fatal(err)
		}
		want := []struct {
			line   int64
			key    string
			column string
		}{{2, KeyRowAmount, "订单金额"}, {3, KeyRowDate, "交易时间"}, {4, KeyRowStatus, "交易状态"}, {5, KeyRowAmount, "订单金额"}}
		if len(bad) != len(want) || len(lines) != 1 || lines[0].Line != 6 {
			t.Fatalf("bad rows %+v, lines %+v", bad, lines)
		}
		for i, w := range want {
			if bad[i].Line != w.line || bad[i].Key != w.key || bad[i].Column != w.column {
				t.Errorf("bad row %d: %+v, want line %d %s in %s", i, bad[i], w.line, w.key, w.column)
			}
		}
	})
	t.Run("a headerless statement with a line that is not one", func(t *testing.T) {
		_, lines, bad, _, err := readAll(t, "s.csv", []byte("附言X,200,2026-11-23\nfoo,bar,baz\n"), Options{})
		if err != nil || len(lines) != 1 || len(bad) != 1 || bad[0].Line != 2 || bad[0].Key != KeyRowAmount {
			t.Fatalf("err %v, lines %+v, bad %+v", err, lines, bad)
		}
	})
	t.Run("a statement line with a negative amount", func(t *testing.T) {
		_, _, bad, _, err := readAll(t, "s.csv", []byte("reference,amount,date\nJJ1,-5,2026-11-23\n"), Options{})
		if err != nil || len(bad) != 1 || bad[0].Key != KeyRowAmount || bad[0].Line != 2 {
			t.Fatalf("err %v, bad %+v", err, bad)
		}
	})
}

func TestParseYuan(t *testing.T) {
	for _, tc := range []struct {
		in   string
		fen  int64
		fine bool
	}{
		{"0.01", 1, true}, {"-0.01", -1, true}, {"+100.00", 10_000, true}, {"1,234.5", 123_450, true}, {"¥12", 1_200, true},
		{"12元", 1_200, true}, {"200.000", 20_000, true}, {"200.09999999999999", 20_010, true}, {"200.10000000000002", 20_010, true},
		{"1.001", 0, false}, {"abc", 0, false}, {"", 0, false}, {"1,23.00", 0, false}, {"1e3", 0, false}, {"99999999999999999", 0, false},
	} {
		fen, ok := parseYuan(tc.in)
		if ok != tc.fine || (ok && fen != tc.fen) {
			t.Errorf("parseYuan(%q) = %d, %v; want %d, %v", tc.in, fen, ok, tc.fen, tc.fine)
		}
	}
}

func TestParseTime(t *testing.T) {
	want := china("2026-11-23 10:00:05")
	for _, s := range []string{"2026-11-23 10:00:05", "2026/11/23 10:00:05", "2026/11/23 10:00:05", "20261123100005", "2026-11-23T10:00:05+08:00",
		"46349.41672453704"} {
		got, ok := parseTime(s)
		if !ok || !got.Equal(want) {
			t.Errorf("parseTime(%q) = %v, %v; want %v", s, got, ok, want)
		}
	}
	for _, s := range []string{"", "yesterday", "2026-13-01", "12"} {
		if _, ok := parseTime(s); ok {
			t.Errorf("parseTime(%q) is a time", s)
		}
	}
}

func TestFindReference(t *testing.T) {
	for in, want := range map[string]string{
		"捐款 jj0123456789 张三":  "JJ0123456789",
		"JJ0123456789":        "JJ0123456789",
		"附言JJ0123456789。":     "JJ0123456789",
		"XJJ0123456789":       "",
		"JJ0123456789A":       "",
		"no reference at all": "",
		"订单JJ01234567和JJ0123": "",
	} {
		if got := findReference(in); got != want {
			t.Errorf("findReference(%q) = %q, want %q", in, got, want)
		}
	}
}
