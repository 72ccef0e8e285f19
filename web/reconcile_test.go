package web

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
)

func init() {
	addRouteAccess(map[string][]string{
		"POST /api/v1/reconciliations":    {"federation_staff"},
		"GET /api/v1/reconciliations":     {"federation_staff"},
		"GET /api/v1/reconciliations/:id": {"federation_staff"},
	})
	for k, v := range map[string]string{
		"POST /api/v1/reconciliations":    "own_org",
		"GET /api/v1/reconciliations":     "own_org",
		"GET /api/v1/reconciliations/:id": "own_org",
	} {
		routeScope[k] = v
	}
	// Another federation's staff import their own bill: a line naming
	// this federation's pledge confirms nothing and shows no pledge id;
	// they neither list nor open this federation's runs.
	scopeProbes["POST /api/v1/reconciliations"] = func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.staffB, path: "/api/v1/reconciliations", body: "reference,amount,date\n" + fx.pledgeRef + ",100.00,2026-11-23\n",
			csv: true, want: 201, absent: fx.pledge}}
	}
	scopeProbes["GET /api/v1/reconciliations"] = func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.staffB, path: "/api/v1/reconciliations", want: 200, absent: fx.reconcileRun}}
	}
	scopeProbes["GET /api/v1/reconciliations/:id"] = func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.staffB, path: "/api/v1/reconciliations/" + fx.reconcileRun, want: 404}}
	}
	pageScopeProbes["GET /staff/reconcile/:id"] = func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.staffB, path: "/staff/reconcile/" + fx.reconcileRun, want: 404}}
	}
	pageScopeProbes["GET /staff/reconcile"] = func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.staffB, path: "/staff/reconcile", want: 200, absent: fx.reconcileRun}}
	}
}

// postBill uploads a bill to the API as the multipart field "file", checked
// against the OpenAPI description like every other call.
func (env *testEnv) postBill(path, token, name string, data []byte) response {
	env.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		env.t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	raw := body.Bytes()
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	env.srv.Echo.ServeHTTP(rec, req)
	checkAgainstSpec(env.t, req, raw, rec)
	env.checkLogged(req, rec)
	return response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
}

// The WeChat Pay trade bill (ALL) as the merchant platform writes it.
const weChatBillHeader = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"

// weChatLine is one line of a WeChat Pay bill.
type weChatLine struct {
	tradeNo, orderNo, status, amount, refund string
}

func weChatBill(at string, lines ...weChatLine) []byte {
	var b strings.Builder
	b.WriteString(weChatBillHeader + "\r\n")
	for _, l := range lines {
		refund, refundNo := "0.00", "0"
		if l.status == "REFUND" {
			refund, refundNo = l.refund, "503"+l.tradeNo
		}
		vals := []string{at, "wxfdc955f7104ad557", "1800023671", "0", "", l.tradeNo, l.orderNo, "oZWaCKXip5njeEiloC4oeOV1TTsk", "NATIVE", l.status,
			"OTHERS", "CNY", l.amount, "0.00", refundNo, refundNo, refund, "0.00", "", "", "救急难捐赠", "", "0.60000", "0.60%", l.amount, refund, ""}
		b.WriteString("`" + strings.Join(vals, ",`") + "\r\n")
	}
	b.WriteString("总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n`1,`1.00,`0.00,`0.00,`0.00600,`1.00,`0.00\r\n")
	return []byte(b.String())
}

func gbkBytes(t *testing.T, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// alipayBill is Alipay's 业务明细 in GBK with its comment lines.
func alipayBill(t *testing.T, rows ...[4]string) []byte {
	t.Helper()
	s := "#支付宝业务明细查询\n#账号：[20881234567890120156]\n#-----------------------------------------业务明细列表----------------------------------------\n" +
		"支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注\n"
	for _, r := range rows {
		vals := []string{r[0], r[1], r[2], "捐赠", "2026-11-23 10:00:00", "2026-11-23 10:00:05", "", "", "", "", "don***@example.com",
			r[3], r[3], "0.00", "0.00", "0.00", "0.00", "0.00", "", "0.00", "0.00", "", "0.00", "0.00", ""}
		s += strings.Join(vals, "\t,") + "\t\n"
	}
	s += "#-----------------------------------------业务明细列表结束------------------------------------\n#导出时间：[2026年11月24日 09:12:03]\n"
	return gbkBytes(t, s)
}

// bankWorkbook is a bank's .xlsx with a title row, the amount a number and
// the date an Excel date.
func bankWorkbook(t *testing.T, rows ...[2]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetCellValue("Sheet1", "A1", "某银行 对公账户明细"); err != nil {
		t.Fatal(err)
	}
	if err := f.SetSheetRow("Sheet1", "A2", &[]any{"交易日期", "摘要", "借方发生额", "贷方发生额", "余额", "流水号"}); err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+3)
		if err := f.SetSheetRow("Sheet1", cell, &[]any{time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), r[0], nil, r[1], 0, "B" + itoa(int64(i))}); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// reconcileFixture is a federation's staff with pledges to its fund.
type reconcileFixture struct {
	staffTok string
	staff    *kernel.Principal
	donorTok string
	donor    *kernel.Principal
	fund     string
}

func newReconcileFixture(t *testing.T, env *testEnv) *reconcileFixture {
	t.Helper()
	fx := &reconcileFixture{}
	fx.staffTok, fx.staff = env.user(kernel.RoleFederationStaff, nil)
	fx.fund = env.fundWithBalance(fx.staff, kernel.Restrictions{}, 100)
	fx.donorTok, fx.donor = env.user(kernel.RoleDonor, nil)
	return fx
}

// pledge makes a pending pledge of amount to the fund: id and reference.
func (fx *reconcileFixture) pledge(t *testing.T, env *testEnv, amount int64) (string, string) {
	t.Helper()
	r := env.do(http.MethodPost, "/api/v1/pledges", fx.donorTok, map[string]any{"target_type": "fund", "target_id": fx.fund, "amount_fen": amount})
	if r.Status != http.StatusCreated {
		t.Fatalf("pledge: %d %s", r.Status, r.Body)
	}
	m := r.JSON(t)
	return m["id"].(string), m["reference"].(string)
}

func pledgeStatus(t *testing.T, env *testEnv, id string) funds.PledgeStatus {
	t.Helper()
	p, err := env.funds.Store.Pledge(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return p.Status
}

// lineCodes reads a report's lists: the references of each list, and the
// code of every unmatched line by its reference (or trade number).
func lineCodes(t *testing.T, rep map[string]any) (lists map[string][]string, codes map[string]string) {
	t.Helper()
	lists, codes = map[string][]string{}, map[string]string{}
	for _, name := range []string{"matched", "already_confirmed", "refunds", "unmatched"} {
		ls, ok := rep[name].([]any)
		if !ok {
			t.Fatalf("no list %s: %v", name, rep)
		}
		for _, x := range ls {
			l := x.(map[string]any)
			ref, _ := l["reference"].(string)
			lists[name] = append(lists[name], ref)
			if code, _ := l["code"].(string); code != "" {
				key := ref
				if key == "" {
					key, _ = l["trade_no"].(string)
				}
				codes[key] = code
			}
		}
	}
	return lists, codes
}

// Each kind of bill confirms the pledges it shows as paid, through the API,
// and the ledger holds after it.
func TestReconcileEachBillFormat(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		fx := newReconcileFixture(t, env)
		type bill struct {
			name, file string
			format     string
			data       func(refs []string) []byte
		}
		bills := []bill{
			{"WeChat Pay trade bill", "All2026-11-23.csv", "wechatpay", func(refs []string) []byte {
				return weChatBill("2026-11-23 13:51:31", weChatLine{"4200000001" + refs[0][2:], refs[0], "SUCCESS", "12.34", ""},
					weChatLine{"4200000002" + refs[1][2:], refs[1], "SUCCESS", "20.00", ""})
			}},
			{"Alipay business detail in GBK", "20881234567890120156_20261123_业务明细.csv", "alipay", func(refs []string) []byte {
				return alipayBill(t, [4]string{"202611232200141" + refs[0][2:], refs[0], "交易", "12.34"}, [4]string{"202611232200142" + refs[1][2:], refs[1], "交易", "20.00"})
			}},
			{"bank statement in GBK", "明细.csv", "bank", func(refs []string) []byte {
				return gbkBytes(t, "交易日期,摘要,附言,借方发生额,贷方发生额,余额\n2026-11-23,网银转入,捐款"+refs[0]+",,12.34,0\n2026-11-23,转账,"+strings.ToLower(refs[1])+" 张三,,20.00,0\n2026-11-23,手续费,,2.00,,0\n")
			}},
			{"bank workbook", "明细.xlsx", "bank", func(refs []string) []byte {
				return bankWorkbook(t, [2]any{"转账存入 " + refs[0], 12.34}, [2]any{"附言" + refs[1], 20})
			}},
			{"the platform's statement", "statement.csv", "statement", func(refs []string) []byte {
				return []byte("\uFEFF转账附言,金额（元）,日期\n" + refs[0] + ",12.34,2026-11-23\n" + refs[1] + ",20,2026-11-23\n")
			}},
		}
		for _, b := range bills {
			t.Run(b.name, func(t *testing.T) {
				p1, r1 := fx.pledge(t, env, 1_234)
				p2, r2 := fx.pledge(t, env, 2_000)
				r := env.postBill("/api/v1/reconciliations", fx.staffTok, b.file, b.data([]string{r1, r2}))
				if r.Status != http.StatusCreated {
					t.Fatalf("import: %d %s", r.Status, r.Body)
				}
				rep := r.JSON(t)
				lists, codes := lineCodes(t, rep)
				if rep["format"] != b.format || len(lists["matched"]) != 2 || len(codes) != 0 {
					t.Fatalf("format %v, matched %v, unmatched %v: %s", rep["format"], lists["matched"], codes, r.Body)
				}
				for _, id := range []string{p1, p2} {
					if st := pledgeStatus(t, env, id); st != funds.PledgeConfirmed {
						t.Errorf("pledge %s is %s after the bill", id, st)
					}
				}
				if got := r.Header.Get("Location"); got != "/api/v1/reconciliations/"+rep["id"].(string) {
					t.Errorf("Location %q", got)
				}
				if g := env.do(http.MethodGet, "/api/v1/reconciliations/"+rep["id"].(string), fx.staffTok, nil); g.Status != 200 || len(g.JSON(t)["matched"].([]any)) != 2 {
					t.Errorf("reopening the run: %d %s", g.Status, g.Body)
				}
				env.verifyLedger(t)
			})
		}
	})
}

// Importing the same bill twice confirms nothing twice: the second run
// names the first, and finds every line confirmed already. The provider's
// own notification of a payment the bill confirmed changes nothing.
func TestReconcileTheSameBillTwice(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		fx := newReconcileFixture(t, env)
		p1, r1 := fx.pledge(t, env, 10_000)
		data := weChatBill("2026-11-23 13:51:31", weChatLine{"4200000000000000000000000001", r1, "SUCCESS", "100.00", ""})
		first := env.postBill("/api/v1/reconciliations", fx.staffTok, "All.csv", data)
		if first.Status != http.StatusCreated {
			t.Fatalf("first: %d %s", first.Status, first.Body)
		}
		receipts := func() (n int64) {
			env.db.Gorm.Raw("SELECT COUNT(*) FROM receipts").Scan(&n)
			return n
		}
		before := receipts()
		second := env.postBill("/api/v1/reconciliations", fx.staffTok, "All (1).csv", data)
		rep := second.JSON(t)
		lists, _ := lineCodes(t, rep)
		if second.Status != http.StatusCreated || len(lists["matched"]) != 0 || len(lists["already_confirmed"]) != 1 || rep["repeat_of"] != first.JSON(t)["id"] {
			t.Fatalf("second import: %d %s", second.Status, second.Body)
		}
		if receipts() != before {
			t.Error("the second import issued a receipt")
		}
		// WeChat Pay's notification of the same payment, later.
		nb := []byte(`{"id":"wechatpay:4200000000000000000000000001","pledge_id":"` + p1 + `","amount_fen":10000}`)
		sig := funds.SignNotification(testWebhookSecret, nb, *env.now.Load())
		if r := env.do(http.MethodPost, "/api/v1/payment-notifications", "", nb, "X-Jiujinan-Signature", sig); r.Status != http.StatusConflict {
			t.Errorf("the provider's notification after the bill: %d %s", r.Status, r.Body)
		}
		if receipts() != before || pledgeStatus(t, env, p1) != funds.PledgeConfirmed {
			t.Error("the notification changed the confirmed pledge")
		}
		if l := env.do(http.MethodGet, "/api/v1/reconciliations", fx.staffTok, nil); len(l.JSON(t)["items"].([]any)) != 2 {
			t.Errorf("runs: %s", l.Body)
		}
		env.verifyLedger(t)
	})
}

// A file that is not a bill we know, or a bill with a line that cannot be
// read, is refused whole: no run, no confirmation.
func TestReconcileRefusesBadFilesWhole(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		fx := newReconcileFixture(t, env)
		p1, r1 := fx.pledge(t, env, 10_000)
		written := func() (n int64) {
			env.db.Gorm.Raw("SELECT (SELECT COUNT(*) FROM reconciliation_runs) + (SELECT COUNT(*) FROM reconciliation_lines) + (SELECT COUNT(*) FROM payment_notifications)").Scan(&n)
			return n
		}
		before := written()
		cases := []struct {
			name, file string
			data       []byte
			field      string
		}{
			{"an unknown header", "orders.csv", []byte("订单号,客户,金额\nA1,张三,100\n"), "file"},
			{"a good line and a bad one", "All.csv", weChatBill("2026-11-23 13:51:31",
				weChatLine{"4200000000000000000000000001", r1, "SUCCESS", "100.00", ""},
				weChatLine{"4200000000000000000000000002", "JJ0000000000", "SUCCESS", "一百", ""}), "line 3"},
			{"an old .xls", "bill.xls", []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0}, "file"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := env.postBill("/api/v1/reconciliations", fx.staffTok, tc.file, tc.data)
				if r.Status != http.StatusBadRequest {
					t.Fatalf("%d %s", r.Status, r.Body)
				}
				fields, _ := r.JSON(t)["error"].(map[string]any)["fields"].(map[string]any)
				if fields[tc.field] == nil {
					t.Errorf("the refusal names no %q: %s", tc.field, r.Body)
				}
				if written() != before || pledgeStatus(t, env, p1) != funds.PledgePending {
					t.Error("a refused file left something behind")
				}
			})
		}
		// The page says what it expected, in Chinese, and lists the bad line.
		sb := newBrowser(env)
		sb.login(fx.staff)
		page := sb.do(http.MethodGet, "/staff/reconcile", nil).Body.String()
		res := sb.postFile("/staff/reconcile", page, "orders.csv", cases[0].data)
		if body := res.Body.String(); res.Code != 400 || !strings.Contains(body, "不是认得的对账单格式") || !strings.Contains(body, "微信支付交易账单") {
			t.Errorf("unknown format on the page: %d %.600s", res.Code, body)
		}
		res = sb.postFile("/staff/reconcile", page, "All.csv", cases[1].data)
		if body := res.Body.String(); res.Code != 400 || !strings.Contains(body, "第 3 行 订单金额：不是金额") || !strings.Contains(body, "整份文件没有导入") {
			t.Errorf("bad line on the page: %d %.600s", res.Code, body)
		}
		if written() != before {
			t.Error("a refused page upload left something behind")
		}
	})
}

// mismatchScenario builds a federation's day in which a WeChat Pay bill
// shows every kind of mismatch. It returns the bill, what each line of it
// (and each pledge it lacks) should come to by reference, and the id of
// another federation's pledge, which must not show.
func mismatchScenario(t *testing.T, env *testEnv, fx *reconcileFixture) ([]byte, map[string]string, string) {
	t.Helper()
	ctx := context.Background()
	// A pledge that expired before its money came.
	_, expiredRef := fx.pledge(t, env, 2_000)
	env.advance(8 * 24 * time.Hour)
	if _, err := env.funds.ExpirePledges(ctx); err != nil {
		t.Fatal(err)
	}
	// Tokens live an hour.
	fx.staffTok, fx.donorTok = env.token(fx.staff), env.token(fx.donor)
	_, paid := fx.pledge(t, env, 10_000)
	_, differs := fx.pledge(t, env, 10_000)
	_, refundedRef := fx.pledge(t, env, 5_000)
	// Confirmed by WeChat Pay's notification, missing from the bill.
	missing, missingRef := fx.pledge(t, env, 3_000)
	nb := []byte(`{"id":"wechatpay:4200000000000000000000009999","pledge_id":"` + missing + `","amount_fen":3000}`)
	if r := env.do(http.MethodPost, "/api/v1/payment-notifications", "", nb, "X-Jiujinan-Signature", funds.SignNotification(testWebhookSecret, nb, *env.now.Load())); r.Status != 200 {
		t.Fatalf("notification: %d %s", r.Status, r.Body)
	}
	// Given and refunded in the ledger, refunded in the bill: agrees.
	given, givenRef := fx.pledge(t, env, 4_000)
	if _, err := env.funds.ConfirmPledge(ctx, fx.staff, given); err != nil {
		t.Fatal(err)
	}
	if _, err := env.funds.RefundPledge(ctx, fx.staff, given); err != nil {
		t.Fatal(err)
	}
	// Another federation's pledge.
	other, err := env.accounts.CreateOrg(ctx, env.admin, marketplace.NewOrg{Name: "别的慈善总会", Kind: kernel.OrgCharityFederation, RegionCode: "430524"})
	if err != nil {
		t.Fatal(err)
	}
	_, otherStaff := env.user(kernel.RoleFederationStaff, other)
	otherFund := env.fundWithBalance(otherStaff, kernel.Restrictions{}, 100)
	r := env.do(http.MethodPost, "/api/v1/pledges", fx.donorTok, map[string]any{"target_type": "fund", "target_id": otherFund, "amount_fen": 1_000})
	if r.Status != http.StatusCreated {
		t.Fatalf("pledge: %d %s", r.Status, r.Body)
	}
	otherID, otherRef := r.JSON(t)["id"].(string), r.JSON(t)["reference"].(string)
	// The bill is of today, when all this happened.
	at := env.now.Load().In(kernel.ChinaTime).Format("2006-01-02 15:04:05")
	data := weChatBill(at,
		weChatLine{"4200000000000000000000000001", paid, "SUCCESS", "100.00", ""},
		weChatLine{"4200000000000000000000000001", paid, "SUCCESS", "100.00", ""},
		weChatLine{"4200000000000000000000000002", differs, "SUCCESS", "99.00", ""},
		weChatLine{"4200000000000000000000000003", "JJ00000000ZZ", "SUCCESS", "8.00", ""},
		weChatLine{"4200000000000000000000000004", refundedRef, "SUCCESS", "50.00", ""},
		weChatLine{"4200000000000000000000000004", refundedRef, "REFUND", "50.00", "50.00"},
		weChatLine{"4200000000000000000000000005", givenRef, "REFUND", "40.00", "40.00"},
		weChatLine{"4200000000000000000000000006", otherRef, "SUCCESS", "10.00", ""},
		weChatLine{"4200000000000000000000000007", expiredRef, "SUCCESS", "20.00", ""},
	)
	return data, map[string]string{
		paid: funds.MismatchDuplicate, differs: funds.MismatchAmount, "JJ00000000ZZ": funds.MismatchUnknownReference,
		refundedRef: funds.MismatchRefundNotInLedger, otherRef: funds.MismatchOtherOrg, expiredRef: funds.MismatchExpired,
		missingRef: funds.MismatchMissing,
	}, otherID
}

// Everything that does not match is on one page, grouped by why, and the
// API returns the same lines with their codes.
func TestReconcileMismatchesOnOnePage(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		fx := newReconcileFixture(t, env)
		data, want, otherID := mismatchScenario(t, env, fx)
		sb := newBrowser(env)
		sb.login(fx.staff)
		page := sb.do(http.MethodGet, "/staff/reconcile", nil).Body.String()
		res := sb.postFile("/staff/reconcile", page, "All2026-12-01.csv", data)
		loc := res.Header().Get("Location")
		if res.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/staff/reconcile/") {
			t.Fatalf("upload: %d %s %.500s", res.Code, loc, res.Body.String())
		}
		run := strings.TrimPrefix(loc, "/staff/reconcile/")
		body := sb.do(http.MethodGet, loc, nil).Body.String()
		for _, s := range []string{"已到账，但没有对应的认捐", "金额不符", "对账单已退款，台账里没有退款", "已确认到账，对账单里却没有",
			"认捐过期后才到账", "捐给其他机构的认捐", "重复的到账记录", "JJ00000000ZZ", "认捐金额为 ¥100.00，与到账金额不符",
			"确认到账 2 笔", "未能对上 7 笔", "退款与台账一致 1 笔", "微信支付交易账单", "All2026-12-01.csv"} {
			if !strings.Contains(body, s) {
				t.Errorf("the run page lacks %q", s)
			}
		}
		if strings.Contains(body, otherID) {
			t.Error("the page shows another federation's pledge")
		}
		if !strings.Contains(sb.do(http.MethodGet, "/staff/reconcile", nil).Body.String(), `href="/staff/reconcile/`+run+`"`) {
			t.Error("the upload page does not list the run")
		}
		r := env.do(http.MethodGet, "/api/v1/reconciliations/"+run, fx.staffTok, nil)
		if r.Status != 200 {
			t.Fatalf("API: %d %s", r.Status, r.Body)
		}
		rep := r.JSON(t)
		lists, codes := lineCodes(t, rep)
		for key, code := range want {
			if codes[key] != code {
				t.Errorf("%s: code %q, want %q", key, codes[key], code)
			}
		}
		if len(codes) != len(want) || len(lists["matched"]) != 2 || len(lists["refunds"]) != 1 || strings.Contains(string(r.Body), otherID) {
			t.Errorf("codes %v, lists %v", codes, lists)
		}
		env.verifyLedger(t)
	})
}

// A pledge a provider's notification confirmed is missing from a bill of
// that day's payments only if no bill named it: not from a bill of refunds
// only, not once an earlier bill had it.
func TestReconcileMissingFromBill(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		fx := newReconcileFixture(t, env)
		notified, notifiedRef := fx.pledge(t, env, 3_000)
		nb := []byte(`{"id":"wechatpay:4200000000000000000000000077","pledge_id":"` + notified + `","amount_fen":3000}`)
		if r := env.do(http.MethodPost, "/api/v1/payment-notifications", "", nb, "X-Jiujinan-Signature", funds.SignNotification(testWebhookSecret, nb, *env.now.Load())); r.Status != 200 {
			t.Fatalf("notification: %d %s", r.Status, r.Body)
		}
		refunded, refundedRef := fx.pledge(t, env, 1_000)
		if _, err := env.funds.ConfirmPledge(ctx, fx.staff, refunded); err != nil {
			t.Fatal(err)
		}
		if _, err := env.funds.RefundPledge(ctx, fx.staff, refunded); err != nil {
			t.Fatal(err)
		}
		_, otherRef := fx.pledge(t, env, 2_000)
		day := env.now.Load().In(kernel.ChinaTime).Format("2006-01-02 15:04:05")
		missing := func(data []byte) []string {
			t.Helper()
			r := env.postBill("/api/v1/reconciliations", fx.staffTok, "All.csv", data)
			if r.Status != http.StatusCreated {
				t.Fatalf("import: %d %s", r.Status, r.Body)
			}
			var out []string
			for _, x := range r.JSON(t)["unmatched"].([]any) {
				if l := x.(map[string]any); l["code"] == funds.MismatchMissing {
					out = append(out, l["reference"].(string))
				}
			}
			return out
		}
		if got := missing(weChatBill(day, weChatLine{"4200000000000000000000000078", refundedRef, "REFUND", "10.00", "10.00"})); len(got) != 0 {
			t.Errorf("a refund bill finds %v missing", got)
		}
		if got := missing(weChatBill(day, weChatLine{"4200000000000000000000000079", otherRef, "SUCCESS", "20.00", ""})); len(got) != 1 || got[0] != notifiedRef {
			t.Errorf("a payment bill without the notified payment finds %v missing, want %s", got, notifiedRef)
		}
		if got := missing(weChatBill(day, weChatLine{"4200000000000000000000000077", notifiedRef, "SUCCESS", "30.00", ""})); len(got) != 0 {
			t.Errorf("the bill with the payment finds %v missing", got)
		}
		if got := missing(weChatBill(day, weChatLine{"4200000000000000000000000079", otherRef, "SUCCESS", "20.00", ""})); len(got) != 0 {
			t.Errorf("once a bill had it, another finds %v missing", got)
		}
	})
}
