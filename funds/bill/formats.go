package bill

import "github.com/jiujinan/jiujinan/funds"

// The headers of the formats this package reads. A header cell is
// compared after normalize: spaces, tabs, backticks and a BOM removed,
// full-width brackets made ASCII, a unit in brackets dropped (（元）,
// (+元), (-元), (人民币)), letters lowered; so "订单金额（元）" is read as
// "订单金额". Each column lists the names it is known by, the preferred
// first. A format is recognized when every required column is found; the
// formats are tried in this order, so a file that fits a provider's bill
// is never taken for a bank statement.
//
// Sources (checked 2026-12):
//   - WeChat Pay, 交易账单 (merchant platform download and the
//     /v3/bill/tradebill and /pay/downloadbill APIs): pay.weixin.qq.com
//     "交易账单文件格式说明" — ALL: 交易时间,公众账号ID,商户号,特约商户号,
//     设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,
//     应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,
//     退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,
//     费率备注; SUCCESS and REFUND are subsets; older bills say 子商户号 and
//     总金额. Every value is prefixed by a backtick; the last two lines
//     are a summary (总交易单数,应结订单总金额,…). 交易状态: SUCCESS (paid),
//     REFUND (a refund row of an order), REVOKED (a payment reversed).
//   - Alipay, 业务明细 (alipay.data.dataservice.bill.downloadurl.query,
//     bill_type trade; GBK): '#' lines above and below, then 支付宝交易号,
//     商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,
//     终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,
//     支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,
//     卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注. 业务类型:
//     交易 or 退款 (a refund's amounts are negative). Values may end with
//     a tab.
//   - Alipay, 账务明细 (bill_type signcustomer): 账务流水号,业务流水号,
//     商户订单号,商品名称,发生时间,对方账号,收入金额（+元）,支出金额（-元）,
//     账户余额（元）,交易渠道,业务类型,备注; a payment is income of 业务类型
//     在线支付 (or 交易付款…), a refund an expense of 业务类型 …退款, a fee
//     (收费) is skipped.
//   - Banks: no standard; the common exports of Chinese banks name the
//     columns below (交易日期/记账日期, 摘要/附言/用途/备注, 贷方发生额/收入金额,
//     or one 金额 with a 借贷标志). Only money in is matched; the pledge's
//     reference (JJ and ten characters) is looked for in every text column.
//   - The platform's statement: 转账附言,金额（元）,日期 (or reference,amount,
//     date, or no header at all).

// column is a logical column of a format and the header names it is
// known by.
type column struct {
	key      string
	names    []string
	required bool
}

// Logical columns.
const (
	colTime       = "time"
	colTradeNo    = "trade_no"
	colOrderNo    = "order_no"
	colStatus     = "status"
	colType       = "type"
	colAmount     = "amount"
	colSettled    = "settled"
	colRefund     = "refund"
	colRefundNo   = "refund_no"
	colIncome     = "income"
	colExpense    = "expense"
	colDirection  = "direction"
	colMemo       = "memo"
	colSerial     = "serial"
	colDate       = "date"
	colReference  = "reference"
	colCreateTime = "create_time"
	colSummary    = "summary"
)

// spec is a format: its columns and how a row of it reads.
type spec struct {
	format funds.BillFormat
	// name says the format in Chinese, as the refusal of an unknown file
	// lists what was expected.
	name    string
	columns []column
	// memoAll: every column of colMemo is read (a bank's text columns).
	memoAll bool
	// anyOf: at least one of these columns must be present.
	anyOf []string
}

var specs = []spec{
	{format: funds.BillWeChatPay, name: "微信支付交易账单（交易时间、微信订单号、商户订单号、交易状态、订单金额/应结订单金额）", columns: []column{
		{colTime, []string{"交易时间"}, true},
		{colTradeNo, []string{"微信订单号", "微信支付订单号"}, true},
		{colOrderNo, []string{"商户订单号"}, true},
		{colStatus, []string{"交易状态"}, true},
		{colAmount, []string{"订单金额", "总金额"}, false},
		{colSettled, []string{"应结订单金额"}, false},
		{colRefund, []string{"申请退款金额", "退款金额"}, false},
		{colRefundNo, []string{"微信退款单号", "商户退款单号"}, false},
	}, anyOf: []string{colAmount, colSettled}},
	{format: funds.BillAlipay, name: "支付宝业务明细（支付宝交易号、商户订单号、业务类型、完成时间、订单金额（元））", columns: []column{
		{colTradeNo, []string{"支付宝交易号"}, true},
		{colOrderNo, []string{"商户订单号"}, true},
		{colType, []string{"业务类型"}, true},
		{colTime, []string{"完成时间"}, false},
		{colCreateTime, []string{"创建时间"}, false},
		{colAmount, []string{"订单金额"}, false},
		{colSettled, []string{"商家实收"}, false},
		{colRefundNo, []string{"退款批次号/请求号", "退款批次号", "退款请求号"}, false},
	}, anyOf: []string{colAmount, colSettled}},
	{format: funds.BillAlipayAccount, name: "支付宝账务明细（账务流水号、业务流水号、商户订单号、发生时间、收入金额（+元）、支出金额（-元）、业务类型）", columns: []column{
		{colSerial, []string{"账务流水号"}, true},
		{colTradeNo, []string{"业务流水号"}, true},
		{colOrderNo, []string{"商户订单号"}, true},
		{colTime, []string{"发生时间"}, true},
		{colIncome, []string{"收入金额"}, true},
		{colExpense, []string{"支出金额"}, false},
		{colType, []string{"业务类型"}, true},
	}},
	{format: funds.BillBank, name: "银行流水（交易日期、摘要/附言、贷方发生额/收入金额）", memoAll: true, columns: []column{
		{colDate, []string{"交易日期", "记账日期", "入账日期", "交易时间", "日期", "交易日"}, true},
		{colMemo, []string{"附言", "转账附言", "汇款附言", "交易附言", "摘要", "交易摘要", "摘要/附言", "用途", "交易用途", "备注", "附加信息"}, true},
		{colIncome, []string{"贷方发生额", "贷方金额", "贷方", "收入金额", "收入", "存入金额", "转入金额", "入账金额"}, false},
		{colExpense, []string{"借方发生额", "借方金额", "借方", "支出金额", "支出", "转出金额"}, false},
		{colAmount, []string{"交易金额", "发生额", "金额"}, false},
		{colDirection, []string{"借贷标志", "借贷方向", "借贷", "收支方向", "收/支", "收支", "交易方向"}, false},
		{colSerial, []string{"交易流水号", "流水号", "银行流水号", "凭证号", "交易序号", "业务流水号"}, false},
	}, anyOf: []string{colIncome, colDirection}},
	{format: funds.BillStatement, name: "本平台到账表（转账附言、金额（元）、日期）", columns: []column{
		{colReference, []string{"转账附言", "附言", "reference", "ref", "摘要", "备注", "用途"}, true},
		{colAmount, []string{"金额", "amount"}, true},
		{colDate, []string{"日期", "date", "交易日期"}, true},
	}},
}

// summaryFirstCells start the summary rows of a bill: WeChat Pay's
// (总交易单数, after which nothing is a line) and a bank's totals.
var (
	weChatSummary   = "总交易单数"
	bankTotalsCells = []string{"合计", "总计", "小计", "本页合计", "本页小计", "累计", "汇总"}
)
