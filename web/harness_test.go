package web

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/matching/screening"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/oklog/ulid/v2"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/funds/aidxlsx"
	fstore "github.com/jiujinan/jiujinan/funds/gormstore"
	"github.com/jiujinan/jiujinan/funds/paychan"
	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/marketplace/gormstore"
	"github.com/jiujinan/jiujinan/marketplace/search"
	"github.com/jiujinan/jiujinan/matching/record/xlsxsheet"
	"github.com/jiujinan/jiujinan/notify"
	nstore "github.com/jiujinan/jiujinan/notify/gormstore"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
	"github.com/jiujinan/jiujinan/stats"
	sstore "github.com/jiujinan/jiujinan/stats/gormstore"
	"github.com/jiujinan/jiujinan/stats/statxlsx"
)

// testEnv is a real server over a real database, with a clock the test moves.
type testEnv struct {
	t        *testing.T
	db       *sqldb.DB
	srv      *Server
	store    *gormstore.Store
	accounts *marketplace.AccountService
	needs    *marketplace.NeedService
	people   *marketplace.PeopleService
	admin    *kernel.Principal
	key      SigningKey
	now      atomic.Pointer[time.Time]
	logs     *bytes.Buffer
	// reqlog holds the status each request was logged with.
	reqlog *requestLog
	orgs   map[kernel.OrgKind]*kernel.Org
	n      int
	// index is the embedded search index of the server; indexer drains the
	// search outbox into it (tests call env.indexer.Drain).
	index     *search.Bleve
	indexPath string
	indexer   *search.Indexer
	funds     *funds.Service
	// screening is the screening service; payments is its statutory record.
	screening *screening.Service
	// paychan takes WeChat Pay and Alipay (paychan_test.go).
	paychan *paychan.Service
	// notify is the notifications service over notifyStore, the outbox
	// (notify_test.go dispatches it).
	notify      *notify.Service
	notifyStore *nstore.Store
}

func testID() string { return strings.ToLower(ulid.MustNew(ulid.Now(), rand.Reader).String()) }

// newTestEnv builds a server over db with one organization of each kind and
// an administrator.
// testMetricsToken is the operator's token for /metrics in tests.
const testMetricsToken = "operator-metrics-token-for-tests"

func newTestEnv(t *testing.T, db *sqldb.DB) *testEnv {
	t.Helper()
	env := &testEnv{t: t, db: db, store: gormstore.New(db), logs: &bytes.Buffer{}, orgs: map[kernel.OrgKind]*kernel.Org{}}
	start := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	env.now.Store(&start)
	now := func() time.Time { return *env.now.Load() }
	env.accounts = marketplace.NewAccountService(env.store, now, testID)
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	env.key = SigningKey{ID: "test-key", Private: priv, CreatedAt: start.Add(-time.Hour)}
	tokens, err := NewTokens([]SigningKey{env.key}, "jiujinan", "jiujinan", time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	env.indexPath = filepath.Join(t.TempDir(), "search")
	env.index, err = search.OpenBleve(env.indexPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.index.Close() })
	env.reqlog = newRequestLog(slog.NewTextHandler(env.logs, nil))
	log := slog.New(env.reqlog)
	env.indexer = search.NewIndexer(env.index, env.store, env.store, now, log)
	divisions, err := kernel.LoadDivisions()
	if err != nil {
		t.Fatal(err)
	}
	env.needs = newTestNeeds(t, env.store, now)
	env.funds = newTestFunds(t, db, now)
	env.funds.Audit = env.store
	env.needs.Donors = fstore.New(db)
	env.people = newTestPeople(t, env.store, env.needs.Cipher, now)
	env.paychan = newTestPaychan(db, env.funds, now, log)
	env.notifyStore = nstore.New(db)
	env.notify = &notify.Service{Store: env.notifyStore, Sealer: env.needs.Cipher, Now: now}
	env.srv = NewServer(Config{AuthRate: 1000, AuthBurst: 1000, MetricsToken: testMetricsToken}, Deps{
		Accounts: env.accounts, Tokens: tokens, Needs: env.needs, Log: log, Funds: env.funds,
		Ready:     func(ctx context.Context) error { return db.Ping(ctx) },
		Browse:    &search.Browse{Index: env.index, Needs: env.store, Now: now},
		Divisions: divisions,
		People:    env.people,
		Screening: newTestScreening(env, db, now),
		Matching:  newTestMatching(db, env.funds, env.people, now, divisions),
		CharityAid: &funds.CharityAidExport{Store: fstore.New(db), Needs: env.needs, Audit: env.store, Divisions: divisions,
			Now: now, XLSX: aidxlsx.New()},
		PayChannels: env.paychan,
		Workbooks:   xlsxsheet.Open,
		Notify:      env.notify,
		Stats:       &stats.Service{Store: sstore.New(db), Divisions: divisions, Now: now, XLSX: statxlsx.New()},
	})
	env.screening.Notify = &notify.Afterwards{Outbox: env.notifyStore, Log: log}
	// Every test over the harness checks that logs and metrics say the
	// status each client got.
	t.Cleanup(func() { env.checkCounted(t) })
	ctx := context.Background()
	u, err := env.accounts.CreateAdmin(ctx, "admin@test.example", "admin-password-1", "Admin")
	if err != nil {
		t.Fatal(err)
	}
	env.admin, err = env.store.Principal(ctx, u.PublicID)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range kernel.OrgKinds {
		o, err := env.accounts.CreateOrg(ctx, env.admin, marketplace.NewOrg{Name: testOrgName(k), Kind: k, RegionCode: "371725"})
		if err != nil {
			t.Fatal(err)
		}
		env.orgs[k] = o
	}
	return env
}

// advance moves the test clock.
func (env *testEnv) advance(d time.Duration) {
	t := env.now.Load().Add(d)
	env.now.Store(&t)
}

// orgFor returns the organization a staff role is created in by default.
func (env *testEnv) orgFor(role kernel.Role) *kernel.Org {
	switch role {
	case kernel.RoleSocialWorker:
		return env.orgs[kernel.OrgSocialWorkAgency]
	case kernel.RoleVerifier:
		return env.orgs[kernel.OrgCivilAffairs]
	case kernel.RoleFederationStaff, kernel.RoleAuditor:
		return env.orgs[kernel.OrgCharityFederation]
	}
	return nil
}

// user creates a user with role (in org for staff roles, nil for the
// default organization of the role) and returns a token for them.
func (env *testEnv) user(role kernel.Role, org *kernel.Org) (string, *kernel.Principal) {
	env.t.Helper()
	ctx := context.Background()
	env.n++
	n := marketplace.NewUser{Email: string(role) + itoa(int64(env.n)) + "@test.example", Password: "password-" + string(role), DisplayName: testRoleName[role], Role: role}
	var u *kernel.User
	var err error
	switch role {
	case kernel.RoleDonor, kernel.RoleVolunteer:
		u, err = env.accounts.Register(ctx, n)
	case kernel.RoleAdmin:
		u, err = env.accounts.CreateAdmin(ctx, n.Email, n.Password, n.DisplayName)
	default:
		if org == nil {
			org = env.orgFor(role)
		}
		u, err = env.accounts.AddMember(ctx, env.admin, org.PublicID, n)
	}
	if err != nil {
		env.t.Fatalf("create %s: %v", role, err)
	}
	p, err := env.store.Principal(ctx, u.PublicID)
	if err != nil {
		env.t.Fatal(err)
	}
	tok, _, err := env.srv.Tokens.Issue(u.PublicID, p.RoleNames(), testID())
	if err != nil {
		env.t.Fatal(err)
	}
	return tok, p
}

// response is a decoded answer.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a generic map.
func (r response) JSON(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.Body)
	}
	return m
}

// ErrorCode returns error.code of an error answer.
func (r response) ErrorCode() string {
	var e errorBody
	_ = json.Unmarshal(r.Body, &e)
	return e.Error.Code
}

// do sends a request; body may be nil, a string (sent as is) or a value
// (sent as JSON). Headers come in pairs.
// remoteAddrHeader, given to do as a header, sets the request's client
// address instead (the server takes RealIP from the connection).
const remoteAddrHeader = "X-Test-Remote-Addr"

func (env *testEnv) do(method, path, token string, body any, headers ...string) response {
	env.t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		j, err := json.Marshal(b)
		if err != nil {
			env.t.Fatal(err)
		}
		raw = j
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == remoteAddrHeader {
			req.RemoteAddr = headers[i+1]
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	env.srv.Echo.ServeHTTP(rec, req)
	checkAgainstSpec(env.t, req, raw, rec)
	env.checkLogged(req, rec)
	return response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
}

// each runs fn with a fresh environment on SQLite and, when configured, MariaDB.
func each(t *testing.T, fn func(t *testing.T, env *testEnv)) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) { fn(t, newTestEnv(t, db)) })
}

func mustSQLite(t *testing.T) *sqldb.DB { return sqldbtest.MustOpenSQLite(t) }

// newTestNeeds builds the need lifecycle over store with fresh keys, a
// notice period of 120h, k = 5 and an emergency limit of 3,000 yuan.
func newTestNeeds(t testing.TB, store *gormstore.Store, now func() time.Time) *marketplace.NeedService {
	t.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	c, err := marketplace.NewCipher([]marketplace.DataKey{{ID: "test-data", Key: key}})
	if err != nil {
		t.Fatal(err)
	}
	pk := make([]byte, 32)
	_, _ = rand.Read(pk)
	ps, err := marketplace.NewPseudonymizer(pk)
	if err != nil {
		t.Fatal(err)
	}
	d, err := kernel.LoadDivisions()
	if err != nil {
		t.Fatal(err)
	}
	return marketplace.NewNeedService(store, c, ps, d, now, testID, marketplace.NeedConfig{
		NoticePeriod: 120 * time.Hour, K: 5, EmergencyMaxFen: 300_000})
}

// Test organizations and users have Chinese names, as real ones do: a
// Chinese page that shows a code instead of a name then stands out
// (checkChinesePage).
var (
	testKindName = map[kernel.OrgKind]string{kernel.OrgCharityFederation: "慈善总会", kernel.OrgCharity: "慈善组织",
		kernel.OrgSocialWorkAgency: "社工机构", kernel.OrgCivilAffairs: "民政局"}
	testRoleName = map[kernel.Role]string{kernel.RoleDonor: "捐赠人", kernel.RoleVolunteer: "志愿者", kernel.RoleSocialWorker: "社工",
		kernel.RoleVerifier: "核查员", kernel.RoleFederationStaff: "慈善总会工作人员", kernel.RoleAuditor: "审计员", kernel.RoleAdmin: "管理员"}
)

// testOrgName is the name of the test organization of kind k.
func testOrgName(k kernel.OrgKind) string { return "测试" + testKindName[k] }
