package gormstore_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/jiujinan/jiujinan/funds"
	fstore "github.com/jiujinan/jiujinan/funds/gormstore"
	"github.com/jiujinan/jiujinan/funds/paychan"
	pstore "github.com/jiujinan/jiujinan/funds/paychan/gormstore"
	"github.com/jiujinan/jiujinan/funds/paychan/paytest"
	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
	mstore "github.com/jiujinan/jiujinan/marketplace/gormstore"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// processCPU is the user and system time this process used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func newID() string { return strings.ToLower(ulid.MustNew(ulid.Now(), rand.Reader).String()) }

// benchSetup is a charity federation that takes WeChat Pay, a fund, and a
// donor's pledges to it waiting for their money.
type benchSetup struct {
	funds *funds.Service
	pay   *paychan.Service
	org   string
	fund  string
	donor *kernel.Principal
}

func newBenchSetup(b *testing.B, db *sqldb.DB, now func() time.Time) *benchSetup {
	ctx := context.Background()
	ms := mstore.New(db)
	acc := marketplace.NewAccountService(ms, now, newID)
	u, err := acc.CreateAdmin(ctx, "admin@test.example", "admin-password-1", "Admin")
	if err != nil {
		b.Fatal(err)
	}
	admin, _ := ms.Principal(ctx, u.PublicID)
	org, err := acc.CreateOrg(ctx, admin, marketplace.NewOrg{Name: "郓城县慈善总会", Kind: kernel.OrgCharityFederation, RegionCode: "371725"})
	if err != nil {
		b.Fatal(err)
	}
	su, err := acc.AddMember(ctx, admin, org.PublicID, marketplace.NewUser{Email: "staff@test.example", Password: "password-staff", DisplayName: "工作人员", Role: kernel.RoleFederationStaff})
	if err != nil {
		b.Fatal(err)
	}
	staff, _ := ms.Principal(ctx, su.PublicID)
	du, err := acc.Register(ctx, marketplace.NewUser{Email: "donor@test.example", Password: "password-donor", DisplayName: "捐赠人", Role: kernel.RoleDonor})
	if err != nil {
		b.Fatal(err)
	}
	donor, _ := ms.Principal(ctx, du.PublicID)
	div, err := kernel.LoadDivisions()
	if err != nil {
		b.Fatal(err)
	}
	c, err := marketplace.NewCipher([]marketplace.DataKey{{ID: "k1", Key: make([]byte, 32)}})
	if err != nil {
		b.Fatal(err)
	}
	fs := funds.NewService(fstore.New(db), c, div, now, newID)
	ps := paychan.NewService(pstore.New(db), fs, c, paychan.Config{PublicURL: "https://jiujinan.test"}, now, newID,
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if _, err := ps.SetWeChat(ctx, staff, org.PublicID, paytest.WeChat().Input()); err != nil {
		b.Fatal(err)
	}
	f, err := fs.CreateSource(ctx, staff, funds.NewSource{Kind: funds.KindFund, Name: "助学基金", Namer: "爱心企业", Purpose: "助学"})
	if err != nil {
		b.Fatal(err)
	}
	return &benchSetup{funds: fs, pay: ps, org: org.PublicID, fund: f.PublicID, donor: donor}
}

// BenchmarkWeChatNotifications measures signed WeChat Pay notifications
// confirmed per second: each verified (the platform certificate's RSA
// signature over timestamp, nonce and body), decrypted (AES-256-GCM with
// the APIv3 key), checked against its pledge, and the pledge confirmed in
// one ledger transaction with the record of the transaction id. The
// notifications and pledges are made before the clock runs; afterwards
// every pledge must be confirmed once and funds.VerifyLedger find nothing.
// SQLite, and MariaDB with JIUJINAN_TEST_MYSQL_DSN; sequential, and from
// 8 goroutines per CPU as WeChat Pay's servers send them at once.
func BenchmarkWeChatNotifications(b *testing.B) {
	dbs := map[string]func(testing.TB) *sqldb.DB{"sqlite": sqldbtest.MustOpenSQLite, "mariadb": sqldbtest.MustOpenMySQL}
	for _, name := range []string{"sqlite", "mariadb"} {
		for _, par := range []int{0, 8} {
			b.Run(fmt.Sprintf("%s/parallel=%d", name, par), func(b *testing.B) {
				db := dbs[name](b)
				at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
				s := newBenchSetup(b, db, func() time.Time { return at })
				ctx := context.Background()
				wx := paytest.WeChat()
				notes := make([]paytest.Signed, b.N)
				refs := make([]string, b.N)
				for i := range b.N {
					p, err := s.funds.CreatePledge(ctx, s.donor, funds.NewPledge{TargetType: funds.TargetFund, TargetID: s.fund, AmountFen: 100}, nil)
					if err != nil {
						b.Fatal(err)
					}
					refs[i] = p.PublicID
					notes[i] = wx.PaidNotification(wx.Paid(p.Reference, fmt.Sprintf("42%020d", i), 100, at), paytest.NotificationOpts{At: at})
				}
				var next atomic.Int64
				var failed atomic.Value
				handle := func(i int) {
					if err := s.pay.HandleWeChat(ctx, s.org, notes[i].Header, notes[i].Body); err != nil {
						failed.Store(err)
					}
				}
				cpu0 := processCPU()
				b.ResetTimer()
				if par == 0 {
					for i := range b.N {
						handle(i)
					}
				} else {
					b.SetParallelism(par)
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							handle(int(next.Add(1) - 1))
						}
					})
				}
				b.StopTimer()
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "notifications/s")
				// CPU of this process (the service and, on SQLite, the
				// database) per notification: on a shared machine it says
				// more than the wall time.
				b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
				if err, _ := failed.Load().(error); err != nil {
					b.Fatal(err)
				}
				problems, facts, err := s.funds.VerifyLedger(ctx)
				if err != nil || len(problems) > 0 {
					b.Fatalf("ledger: %v %v", problems, err)
				}
				src, err := s.funds.Source(ctx, funds.KindFund, s.fund)
				if err != nil || src.BalanceFen != int64(b.N)*100 || facts.Transactions < int64(b.N) {
					b.Fatalf("the fund holds %d for %d notifications (%v)", src.BalanceFen, b.N, err)
				}
				for _, id := range []string{refs[0], refs[b.N-1]} {
					p, err := s.funds.Store.Pledge(ctx, id)
					if err != nil || p.Status != funds.PledgeConfirmed || p.ConfirmedVia != funds.ViaWeChatPay {
						b.Fatalf("pledge %s: %+v %v", id, p, err)
					}
				}
			})
		}
	}
}
