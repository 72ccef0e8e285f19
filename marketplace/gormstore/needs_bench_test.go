package gormstore_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/oklog/ulid/v2"

	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/marketplace/gormstore"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

func benchID() string { return strings.ToLower(ulid.MustNew(ulid.Now(), rand.Reader).String()) }

// needBench is a need service over a database with a worker and a verifier
// of 郓城县 (371725).
type needBench struct {
	svc              *marketplace.NeedService
	worker, verifier *kernel.Principal
	seq              int
}

func newNeedBench(tb testing.TB, db *sqldb.DB) *needBench {
	ctx := context.Background()
	store := gormstore.New(db)
	now := func() time.Time { return time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC) }
	acc := marketplace.NewAccountService(store, now, benchID)
	u, err := acc.CreateAdmin(ctx, "admin@bench.example", "admin-password-1", "Admin")
	if err != nil {
		tb.Fatal(err)
	}
	admin, _ := store.Principal(ctx, u.PublicID)
	member := func(kind kernel.OrgKind, role kernel.Role) *kernel.Principal {
		o, err := acc.CreateOrg(ctx, admin, marketplace.NewOrg{Name: string(kind), Kind: kind, RegionCode: "371725"})
		if err != nil {
			tb.Fatal(err)
		}
		u, err := acc.AddMember(ctx, admin, o.PublicID, marketplace.NewUser{Email: string(role) + "@bench.example", Password: "bench-password-1", DisplayName: "x", Role: role})
		if err != nil {
			tb.Fatal(err)
		}
		p, _ := store.Principal(ctx, u.PublicID)
		return p
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	c, _ := marketplace.NewCipher([]marketplace.DataKey{{ID: "k1", Key: key}})
	ps, _ := marketplace.NewPseudonymizer(key)
	d, err := kernel.LoadDivisions()
	if err != nil {
		tb.Fatal(err)
	}
	svc := marketplace.NewNeedService(store, c, ps, d, now, benchID, marketplace.NeedConfig{NoticePeriod: 120 * time.Hour, K: 5, EmergencyMaxFen: 300_000})
	return &needBench{svc: svc, worker: member(kernel.OrgSocialWorkAgency, kernel.RoleSocialWorker),
		verifier: member(kernel.OrgCivilAffairs, kernel.RoleVerifier)}
}

var benchCategories = []kernel.Category{kernel.CatMedical, kernel.CatEducation, kernel.CatHousing, kernel.CatBasicLiving}

// cleared posts and clears one need with a realistic story (names, ID
// number, phone, address, hospital numbers for the scrubber to find).
func (nb *needBench) cleared(tb testing.TB) string {
	ctx := context.Background()
	nb.seq++
	first17 := fmt.Sprintf("371725%04d0315%03d", 1950+nb.seq%60, nb.seq%1000)
	id := first17 + string(kernel.IDCheckChar(first17))
	story := strings.Repeat("张建华今年四十五岁，家住山东省菏泽市郓城县唐庙镇李庄村3组15号，患尿毒症需每周透析三次，在郓城县人民医院住院，住院号ZY20261234，12床。"+
		"妻子王秀英照顾全家，儿子张小明在读初中。联系电话13812345678，身份证"+id+"。医保报销后仍有较大缺口，恳请社会帮助。", 3)
	created, err := nb.svc.Create(ctx, nb.worker, marketplace.NeedInput{
		Beneficiary: marketplace.BeneficiaryInput{IDNumber: id, Name: "张建华", Phone: "13812345678", Address: "唐庙镇李庄村3组15号",
			RegionCode: "371725", HouseholdTypes: []kernel.HouseholdType{"dibao", "expenditure_hardship"},
			Members: []marketplace.Member{{Name: "王秀英", Relation: "spouse"}, {Name: "张小明", Relation: "child"}}},
		Category: benchCategories[nb.seq%len(benchCategories)], Title: "张建华尿毒症透析费用求助", Story: story,
		VerifiedCostFen: 5_000_000, StatutoryReliefFen: 2_000_000, CostFrom: "2026-11-01", CostTo: "2027-04-30",
		Urgency: kernel.UrgencyUrgent, Consent: marketplace.ConsentInput{Given: true, GivenBy: "张建华", Relation: "self", Method: "written", At: "2026-11-20"},
	})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := nb.svc.Clear(ctx, nb.verifier, created.Need.PublicID, marketplace.ClearanceInput{Decision: "cleared"}); err != nil {
		tb.Fatal(err)
	}
	return created.Need.PublicID
}

// BenchmarkNeedPublish times NeedService.Publish: open the sealed record,
// scrub title and story (about 300 characters, three times over) with the
// household's names, coarsen the region and household types against the
// published needs of the cell (k = 5), and store the projection with its
// event, audit entry and search outbox row in one transaction, re-projecting
// the published needs of the need's cell (category × age band × province)
// in it. The
// database holds 500 published needs before timing starts. Reports p50 and
// p99 per publish.
func BenchmarkNeedPublish(b *testing.B) {
	dbs := map[string]func(testing.TB) *sqldb.DB{"sqlite": sqldbtest.MustOpenSQLite}
	dbs["mysql"] = func(tb testing.TB) *sqldb.DB { return sqldbtest.MustOpenMySQL(tb) }
	for _, name := range []string{"sqlite", "mysql"} {
		b.Run(name, func(b *testing.B) {
			db := dbs[name](b)
			nb := newNeedBench(b, db)
			ctx := context.Background()
			for i := 0; i < 500; i++ {
				if _, _, err := nb.svc.Publish(ctx, nb.worker, nb.cleared(b)); err != nil {
					b.Fatal(err)
				}
			}
			ids := make([]string, b.N)
			for i := range ids {
				ids[i] = nb.cleared(b)
			}
			durs := make([]time.Duration, b.N)
			c0 := cpuTime()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				if _, _, err := nb.svc.Publish(ctx, nb.worker, ids[i]); err != nil {
					b.Fatal(err)
				}
				durs[i] = time.Since(t0)
			}
			b.StopTimer()
			// This process only: on MariaDB the server's share is not in it.
			b.ReportMetric(float64((cpuTime()-c0).Microseconds())/1000/float64(b.N), "cpu_ms/op")
			sort.Slice(durs, func(i, j int) bool { return durs[i] < durs[j] })
			b.ReportMetric(float64(durs[len(durs)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(durs[len(durs)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}

// BenchmarkNeedProjection times the projection alone (scrub and coarsen,
// with the cell counts), as the preview computes it, without storing.
func BenchmarkNeedProjection(b *testing.B) {
	db := sqldbtest.MustOpenSQLite(b)
	nb := newNeedBench(b, db)
	ctx := context.Background()
	for i := 0; i < 200; i++ {
		if _, _, err := nb.svc.Publish(ctx, nb.worker, nb.cleared(b)); err != nil {
			b.Fatal(err)
		}
	}
	id := nb.cleared(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := nb.svc.PreviewStored(ctx, nb.worker, id); err != nil {
			b.Fatal(err)
		}
	}
}
