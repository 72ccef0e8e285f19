package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/marketplace"
)

// internalText is what must never reach a user: a Go package prefix, or the
// English words of a Go error chain.
var internalText = regexp.MustCompile(`^[a-z]+: |\b(funds|matching|marketplace|gormstore|web|accounts|screenings?|ledger): |\bfen\b`)

var hanText = regexp.MustCompile(`\p{Han}`)

// TestRefusalsAreInTheUsersLanguageAndTheChainIsLogged: each kind of refusal,
// wrapped as the services wrap it, answers a message in the request's
// language without package prefixes, and the log line of the request keeps
// the whole chain with the request id.
func TestRefusalsAreInTheUsersLanguageAndTheChainIsLogged(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	screening := &kernel.Screening{}
	cases := []struct {
		name   string
		err    error
		status int
		code   string
		zh, en string
	}{
		{"not found in marketplace", fmt.Errorf("marketplace: need: %w", kernel.ErrNotFound), 404, "not_found", "未找到", "Not found"},
		{"not found in matching", fmt.Errorf("matching: screenings: %w", kernel.ErrNotFound), 404, "not_found", "未找到", "Not found"},
		{"not found in funds", fmt.Errorf("funds: pledge: %w", kernel.ErrNotFound), 404, "not_found", "未找到", "Not found"},
		{"forbidden with a reason", fmt.Errorf("marketplace: claim: %w", marketplace.ErrBackgroundCheckRequired), 403, "forbidden", "背景审查", "background check"},
		{"forbidden naming the organization",
			fmt.Errorf("funds: allocate: %w", kernel.Refuse(kernel.ErrForbidden, "refusal_allocate_org_only", map[string]any{"Org": "Relief Federation"}, "only staff of %s allocate its money", "Relief Federation")),
			403, "forbidden", "只有Relief Federation的工作人员", "Only staff of Relief Federation"},
		{"conflict with a translated status",
			fmt.Errorf("funds: payment notification: %w", fmt.Errorf("funds: confirm pledge: %w", kernel.Refuse(kernel.ErrConflict, "refusal_pledge_status", map[string]any{"Status": "expired"}, "the pledge is %s", "expired"))),
			409, "conflict", "已过期", "The pledge is expired"},
		{"a need that must be withdrawn", fmt.Errorf("marketplace: close need: %w", kernel.Refuse(kernel.ErrConflict, "refusal_close_no_money", nil, "no money was given")), 409, "conflict", "撤回", "withdraw it instead"},
		{"a status transition", fmt.Errorf("marketplace: publish: %w", &marketplace.TransitionError{Action: "publish", From: kernel.NeedClosed}), 409, "conflict", "已结案", "while the need is Closed"},
		{"insufficient funds", fmt.Errorf("funds: disburse: %w", funds.ErrInsufficientFunds), 409, "conflict", "余额不足", "Insufficient funds"},
		{"insufficient funds with an amount in yuan",
			fmt.Errorf("funds: allocate: %w", kernel.Refuse(funds.ErrInsufficientFunds, "refusal_insufficient_funds_amount", map[string]any{"AmountFen": int64(123456)}, "fund:x holds less than %d fen", 123456)),
			409, "conflict", "¥1,234.56", "less than ¥1,234.56"},
		{"replayed notification", fmt.Errorf("funds: payment notification: %w", funds.ErrReplayed), 409, "conflict", "已经收到过", "already received"},
		{"idempotency key in flight", fmt.Errorf("funds: pledge: %w", funds.ErrIdempotencyInFlight), 409, "conflict", "仍在处理中", "still in progress"},
		{"idempotency key reused", fmt.Errorf("funds: pledge: %w", funds.IdempotencyMismatchError{}), 422, "idempotency_key_reused", "新的键", "use a new key"},
		{"ineligible with an amount in yuan",
			fmt.Errorf("funds: pledge: %w", &funds.IneligibleError{Reasons: []kernel.Ineligibility{{Code: "over_remaining", Message: "the need lacks only 5000 fen"}}, Args: map[string]any{"RemainingFen": int64(5000)}}),
			409, "ineligible", "只差 ¥50.00", "lacks only ¥50.00"},
		{"ineligible by restrictions", fmt.Errorf("funds: allocate: %w", &funds.IneligibleError{Reasons: []kernel.Ineligibility{{Code: kernel.FailRegion, Message: "the need's region is outside the source's regions"}}}), 409, "ineligible", "地区", "region"},
		{"screening block on disbursement", fmt.Errorf("funds: disburse: %w", &kernel.ScreeningBlockedError{Stage: kernel.StageDisburse, Screening: screening}), 422, "screening_block", "拨付", "disbursement is stopped"},
		{"screening block on allocation", fmt.Errorf("funds: allocate: %w", &kernel.ScreeningBlockedError{Stage: kernel.StageAllocate, Screening: screening}), 422, "screening_block", "分配", "blocks this allocation"},
		{"screening block on a gift", fmt.Errorf("funds: pledge: %w", &kernel.ScreeningBlockedError{Stage: kernel.StageGift, Screening: screening}), 422, "screening_block", "这笔捐赠", "allow this gift"},
		{"screening block of a need", fmt.Errorf("marketplace: clear: %w", &kernel.ScreeningBlockedError{Stage: kernel.StageClear, Screening: screening}), 422, "screening_block", "筛查", "screening blocks"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, lang := range []struct{ header, want string }{{"zh-CN,zh;q=0.9", tc.zh}, {"en-US,en;q=0.8", tc.en}} {
				rid := fmt.Sprintf("test-%s-%s", strings.ReplaceAll(tc.name, " ", "-"), lang.header[:2])
				req := httptest.NewRequest(http.MethodPost, "/api/v1/anything", nil)
				req.Header.Set("Accept-Language", lang.header)
				rec := httptest.NewRecorder()
				c := env.srv.Echo.NewContext(req, rec)
				c.Response().Header().Set(echo.HeaderXRequestID, rid)
				env.srv.errorHandler(tc.err, c)
				var body errorBody
				if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
					t.Fatalf("%s: %v: %s", lang.header, err, rec.Body)
				}
				msg := body.Error.Message
				if rec.Code != tc.status || body.Error.Code != tc.code {
					t.Errorf("%s: %d %s, want %d %s", lang.header, rec.Code, body.Error.Code, tc.status, tc.code)
				}
				if !strings.Contains(msg, lang.want) || internalText.MatchString(msg) {
					t.Errorf("%s: message %q, want it to say %q without internal text", lang.header, msg, lang.want)
				}
				if zh := lang.header[:2] == "zh"; zh != hanText.MatchString(msg) {
					t.Errorf("%s: message %q is not in the request's language", lang.header, msg)
				}
				if !loggedWith(env.logs.String(), rid, tc.err.Error()) {
					t.Errorf("%s: no log line carries request id %q and the chain %q", lang.header, rid, tc.err.Error())
				}
			}
		})
	}
}

// TestErrorAnswersThroughRoutesSayNoInternals drives real routes: a missing
// screening (matching), a taken e-mail (marketplace) and a role refusal.
func TestErrorAnswersThroughRoutesSayNoInternals(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	verifier, _ := env.user(kernel.RoleVerifier, nil)
	register := map[string]string{"email": "twice@test.example", "password": "a-long-password", "display_name": "x", "role": "donor"}
	if r := env.do(http.MethodPost, "/api/v1/auth/register", "", register); r.Status != 201 {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	cases := []struct {
		name, method, path, token string
		body                      any
		status                    int
		zh, en                    string
	}{
		{"an unknown need's screening", http.MethodGet, "/api/v1/needs/01jzzzzzzzzzzzzzzzzzzzzzzz/screening", verifier, nil, 404, "未找到", "Not found"},
		{"an e-mail that is taken", http.MethodPost, "/api/v1/auth/register", "", register, 409, "已经注册", "e-mail exists"},
		{"a wrong password", http.MethodPost, "/api/v1/auth/login", "", map[string]string{"email": "twice@test.example", "password": "not-the-password"}, 401, "密码错误", "Wrong e-mail or password"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, lang := range []struct{ header, want string }{{"zh-CN,zh;q=0.9", tc.zh}, {"en-US,en;q=0.8", tc.en}} {
				r := env.do(tc.method, tc.path, tc.token, tc.body, "Accept-Language", lang.header)
				var e errorBody
				_ = json.Unmarshal(r.Body, &e)
				if r.Status != tc.status || !strings.Contains(e.Error.Message, lang.want) || internalText.MatchString(e.Error.Message) {
					t.Errorf("%s: %d %q, want %d saying %q without internal text", lang.header, r.Status, e.Error.Message, tc.status, lang.want)
				}
				rid := r.Header.Get(echo.HeaderXRequestID)
				if rid == "" || !loggedWith(env.logs.String(), rid, "") {
					t.Errorf("%s: the cause is not logged with request id %q", lang.header, rid)
				}
			}
		})
	}
}

// TestValidationRefusalsLogFieldNamesOnly: a refused field's reason may
// quote what was sent, so the log names the field and no more.
func TestValidationRefusalsLogFieldNamesOnly(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	err := fmt.Errorf("marketplace: need: %w", kernel.Invalid("title", "%q is too long", "秘密的标题"))
	req := httptest.NewRequest(http.MethodPost, "/api/v1/anything", nil)
	rec := httptest.NewRecorder()
	c := env.srv.Echo.NewContext(req, rec)
	c.Response().Header().Set(echo.HeaderXRequestID, "test-validation")
	env.srv.errorHandler(err, c)
	if rec.Code != http.StatusBadRequest || !loggedWith(env.logs.String(), "test-validation", "invalid fields: title") {
		t.Errorf("%d; log %s", rec.Code, env.logs)
	}
	if strings.Contains(env.logs.String(), "秘密") {
		t.Errorf("the log quotes the input: %s", env.logs)
	}
}

// loggedWith says whether one "request refused" or "request failed" line
// carries request id rid and contains chain.
func loggedWith(logs, rid, chain string) bool {
	for _, line := range strings.Split(logs, "\n") {
		if !strings.Contains(line, "request_id="+rid) || !(strings.Contains(line, "request refused") || strings.Contains(line, "request failed")) {
			continue
		}
		if chain == "" || strings.Contains(line, chain) || strings.Contains(line, fmt.Sprintf("%q", chain)) {
			return true
		}
	}
	return false
}
