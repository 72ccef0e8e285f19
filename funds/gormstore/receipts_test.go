package gormstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// failAfterIssue is a store whose transactions fail, for the pledges it
// names, right after the receipt was numbered and stored: the number must
// go back with the rest of the transaction.
type failAfterIssue struct {
	funds.Store
	fail map[int64]bool // pledge row ids
}

var errAfterIssue = errors.New("test: the transaction fails after the receipt was issued")

func (s *failAfterIssue) InTx(ctx context.Context, fn func(tx funds.Tx) error) error {
	return s.Store.InTx(ctx, func(tx funds.Tx) error { return fn(&failingTx{Tx: tx, fail: s.fail}) })
}

type failingTx struct {
	funds.Tx
	fail map[int64]bool
}

func (t *failingTx) IssueReceipt(r *funds.Receipt, orgCode string) error {
	if err := t.Tx.IssueReceipt(r, orgCode); err != nil {
		return err
	}
	if t.fail[r.PledgeID] {
		return errAfterIssue
	}
	return nil
}

// receiptSeqs reads the numbers of an organization's receipts of a year.
func receiptSeqs(t *testing.T, db *sqldb.DB, orgID int64, year int) []int64 {
	t.Helper()
	var rows []struct {
		Seq    int64
		Number string
	}
	if err := db.Gorm.Raw("SELECT seq, number FROM receipts WHERE org_id = ? AND year = ? ORDER BY seq", orgID, year).Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	out := make([]int64, len(rows))
	for i, r := range rows {
		out[i] = r.Seq
		if want := fmt.Sprintf("-%06d", r.Seq); r.Number[len(r.Number)-len(want):] != want {
			t.Errorf("receipt %s has sequence %d", r.Number, r.Seq)
		}
	}
	return out
}

func oneTo(n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(i + 1)
	}
	return out
}

// TestReceiptNumbersHaveNoGapsUnderConcurrency: confirmations of two
// charities' pledges race, some twice, and a quarter fail after their
// receipt was numbered; each charity's receipts of the year are numbered
// 1, 2, 3, … without a gap or a repeat, and a new year starts at 1 again
// (China's calendar year).
func TestReceiptNumbersHaveNoGapsUnderConcurrency(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		otherStaff := f.user(kernel.RoleFederationStaff, f.other)
		fundA := f.fund(kernel.Restrictions{})
		fundB, err := f.svc.CreateSource(ctx, otherStaff, funds.NewSource{Kind: funds.KindFund, Name: "隆回助学基金", Namer: "李先生", Purpose: "助学"})
		if err != nil {
			t.Fatal(err)
		}
		n := 24
		if raceEnabled {
			n = 12
		}
		type job struct {
			p     *funds.Pledge
			staff *kernel.Principal
		}
		var jobs []job
		fail := map[int64]bool{}
		for i := range n {
			for _, src := range []struct {
				id    string
				staff *kernel.Principal
			}{{fundA.PublicID, f.staff}, {fundB.PublicID, otherStaff}} {
				p, err := f.svc.CreatePledge(ctx, f.user(kernel.RoleDonor, nil), funds.NewPledge{TargetType: funds.TargetFund, TargetID: src.id, AmountFen: int64(100 + i)}, nil)
				if err != nil {
					t.Fatal(err)
				}
				jobs = append(jobs, job{p, src.staff})
				if i%4 == 1 {
					fail[p.ID] = true
				}
			}
		}
		svc := *f.svc
		svc.Store = &failAfterIssue{Store: f.svc.Store, fail: fail}
		var wg sync.WaitGroup
		errs := make(chan error, 2*len(jobs))
		for _, j := range jobs {
			for range 1 + len(j.p.PublicID)%2 { // about half are confirmed twice at once
				wg.Go(func() {
					_, err := svc.ConfirmPledge(ctx, j.staff, j.p.PublicID)
					switch {
					case err == nil, errors.Is(err, kernel.ErrConflict) && !fail[j.p.ID]:
					case errors.Is(err, errAfterIssue) && fail[j.p.ID]:
					default:
						errs <- fmt.Errorf("confirm %s: %w", j.p.PublicID, err)
					}
				})
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		ok := n - (n+2)/4
		for _, org := range []*kernel.Org{f.fed, f.other} {
			if got := receiptSeqs(t, db, org.ID, 2026); !slices.Equal(got, oneTo(ok)) {
				t.Errorf("%s: receipts numbered %v, want 1 to %d", org.Name, got, ok)
			}
		}
		// The failed ones are still pending, and take the next numbers.
		for _, j := range jobs {
			if fail[j.p.ID] {
				if _, err := f.svc.ConfirmPledge(ctx, j.staff, j.p.PublicID); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, org := range []*kernel.Org{f.fed, f.other} {
			if got := receiptSeqs(t, db, org.ID, 2026); !slices.Equal(got, oneTo(n)) {
				t.Errorf("%s after the retries: %v, want 1 to %d", org.Name, got, n)
			}
		}
		// 31 December, 23:59 in China is still 2026; a minute later 2027
		// starts again at 1.
		f.now.Store(ptr(time.Date(2026, 12, 31, 15, 59, 0, 0, time.UTC)))
		last := f.donate(funds.TargetFund, fundA.PublicID, 500)
		f.advance(time.Minute)
		first := f.donate(funds.TargetFund, fundA.PublicID, 600)
		for _, c := range []struct {
			p    *funds.Pledge
			want string
		}{{last, fmt.Sprintf("-%06d", n+1)}, {first, "-000001"}} {
			r, err := f.svc.Store.Receipt(ctx, c.p.ReceiptID)
			if err != nil {
				t.Fatal(err)
			}
			if r.Number[len(r.Number)-7:] != c.want {
				t.Errorf("receipt of %v: %s (year %d), want …%s", c.p.ConfirmedAt, r.Number, r.Year, c.want)
			}
		}
		if got := receiptSeqs(t, db, f.fed.ID, 2027); !slices.Equal(got, []int64{1}) {
			t.Errorf("2027: %v", got)
		}
		f.verify()
	})
}

func ptr[T any](v T) *T { return &v }

// TestReceiptNamesTheDonorAndTheCharityAsRegistered: a receipt says 匿名
// for a donor without a real name, the real name (sealed at rest) once they
// gave one, the organization with its credit code when they give as one,
// on their account or for one pledge; it names the charity as registered
// and the purpose, and keeps what it said when any of them changes.
func TestReceiptNamesTheDonorAndTheCharityAsRegistered(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		f.svc.Audit = f.mstore
		fund := f.fund(kernel.Restrictions{})
		donor := f.user(kernel.RoleDonor, nil)
		give := func(as *funds.ReceiptAs) *funds.Receipt {
			t.Helper()
			p, err := f.svc.CreatePledge(ctx, donor, funds.NewPledge{TargetType: funds.TargetFund, TargetID: fund.PublicID, AmountFen: 1_000_500, ReceiptAs: as}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if p, err = f.svc.ConfirmPledge(ctx, f.staff, p.PublicID); err != nil {
				t.Fatal(err)
			}
			r, err := f.svc.Receipt(ctx, donor, p.ReceiptID)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}

		anon := give(nil)
		if anon.DonorKind != funds.DonorAnonymous || anon.DonorName != "匿名" || anon.Purpose != fund.Name || anon.Capital() != "壹万零伍元整" {
			t.Errorf("without a profile: %+v", anon)
		}
		if anon.OrgCreditCode != "" || anon.CharityName() != f.fed.Name {
			t.Errorf("before the charity entered its registration: %q %q", anon.OrgCreditCode, anon.CharityName())
		}

		code := creditCodeWithCheck("5337172550000001")
		wrong := code[:17] + map[bool]string{true: "1", false: "0"}[code[17] == '0']
		if _, err := f.accounts.SetRegistration(ctx, f.staff, f.fed.PublicID, kernel.OrgRegistration{CreditCode: wrong, RegisteredName: "x"}); err == nil {
			t.Fatal("a code with a wrong check character was saved")
		}
		if _, err := f.accounts.SetRegistration(ctx, f.staff, f.fed.PublicID, kernel.OrgRegistration{CreditCode: code, RegisteredName: "郓城县慈善总会（登记）"}); err != nil {
			t.Fatal(err)
		}
		var ve *kernel.ValidationError
		if _, err := f.svc.SetMyDonorProfile(ctx, donor, funds.DonorProfile{RealName: "张三", IDNumber: "11010119900307451X"}); !errors.As(err, &ve) || ve.Fields["id_number"] == "" {
			t.Errorf("a wrong ID number: %v", err)
		}
		if _, err := f.svc.SetMyDonorProfile(ctx, donor, funds.DonorProfile{IDNumber: "110101199003074514"}); !errors.As(err, &ve) || ve.Fields["id_number"] == "" {
			t.Errorf("an ID number without a name: %v", err)
		}
		if _, err := f.svc.SetMyDonorProfile(ctx, donor, funds.DonorProfile{RealName: "张三", IDNumber: "1101 0119 9003 0745 14"}); err != nil {
			t.Fatal(err)
		}
		person := give(nil)
		if person.DonorKind != funds.DonorPerson || person.DonorName != "张三" || person.DonorIDNumber != "110101199003074514" ||
			person.OrgCreditCode != code || person.CharityName() != "郓城县慈善总会（登记）" {
			t.Errorf("with a real name: %+v", person)
		}
		// Sealed at rest: neither the name nor the number is in the row.
		var row struct {
			DonorName string
			DonorCT   []byte
		}
		db.Gorm.Raw("SELECT donor_name, donor_ct FROM receipts WHERE public_id = ?", person.PublicID).Scan(&row)
		if row.DonorName != "" || len(row.DonorCT) == 0 || bytes.Contains(row.DonorCT, []byte("张三")) || bytes.Contains(row.DonorCT, []byte("074514")) {
			t.Errorf("the receipt row holds %q and %x", row.DonorName, row.DonorCT)
		}
		var prof []byte
		db.Gorm.Raw("SELECT person_ct FROM donor_receipt_profiles WHERE user_id = ?", donor.User.ID).Scan(&prof)
		if len(prof) == 0 || bytes.Contains(prof, []byte("张三")) {
			t.Errorf("the profile row holds %x", prof)
		}

		corp := give(&funds.ReceiptAs{Kind: funds.DonorOrg, OrgName: " 郓城县某某商贸有限公司 ", OrgCreditCode: "9135 0100 m000 100y 43"})
		if corp.DonorKind != funds.DonorOrg || corp.DonorName != "郓城县某某商贸有限公司" || corp.DonorCreditCode != "91350100M000100Y43" ||
			corp.ExportIDType() != "统一社会信用代码" || corp.ExportIDNumber() != "91350100M000100Y43" {
			t.Errorf("as an organization for one pledge: %+v", corp)
		}
		if _, err := f.svc.CreatePledge(ctx, donor, funds.NewPledge{TargetType: funds.TargetFund, TargetID: fund.PublicID, AmountFen: 100,
			ReceiptAs: &funds.ReceiptAs{Kind: funds.DonorOrg, OrgName: "某公司", OrgCreditCode: "91350100M000100Y44"}}, nil); !errors.As(err, &ve) ||
			ve.Fields["receipt_as.org_credit_code"] == "" {
			t.Errorf("a pledge as an organization with a wrong code: %v", err)
		}
		once := give(&funds.ReceiptAs{Kind: funds.DonorAnonymous})
		if once.DonorKind != funds.DonorAnonymous || once.DonorName != "匿名" || once.ExportIDType() != "匿名" {
			t.Errorf("anonymous for one pledge: %+v", once)
		}

		if _, err := f.svc.SetMyDonorProfile(ctx, donor, funds.DonorProfile{RealName: "张三", AsOrg: true, OrgName: "某某基金会", OrgCreditCode: "53100000500021676K"}); err != nil {
			t.Fatal(err)
		}
		byProfile := give(nil)
		if byProfile.DonorKind != funds.DonorOrg || byProfile.DonorName != "某某基金会" || byProfile.DonorCreditCode != "53100000500021676K" {
			t.Errorf("as the profile's organization: %+v", byProfile)
		}
		if own := give(&funds.ReceiptAs{Kind: funds.DonorPerson}); own.DonorKind != funds.DonorPerson || own.DonorName != "张三" {
			t.Errorf("in one's own name for one pledge: %+v", own)
		}

		// What a receipt said stays.
		if again, err := f.svc.Receipt(ctx, f.staff, person.PublicID); err != nil || again.DonorName != "张三" || again.DonorKind != funds.DonorPerson {
			t.Errorf("the person's receipt read by staff later: %+v %v", again, err)
		}
		if again, _ := f.svc.Receipt(ctx, donor, anon.PublicID); again.DonorName != "匿名" || again.OrgCreditCode != "" {
			t.Errorf("the first receipt later: %+v", again)
		}

		// The export: the charity's staff only, voided receipts left out,
		// China dates.
		if _, err := f.svc.RefundPledge(ctx, f.staff, once.PledgePublicID); err != nil {
			t.Fatal(err)
		}
		org, rs, err := f.svc.ReceiptsForExport(ctx, f.staff, funds.ReceiptsFilter{OrgPublicID: f.fed.PublicID, From: "2026-11-23", To: "2026-11-23"})
		if err != nil {
			t.Fatal(err)
		}
		var numbers []string
		for _, r := range rs {
			numbers = append(numbers, r.Number)
		}
		want := []string{anon.Number, person.Number, corp.Number, byProfile.Number}
		if org.ID != f.fed.ID || len(rs) != 5 || !slices.Equal(numbers[:4], want) || slices.Contains(numbers, once.Number) {
			t.Errorf("export: %v, want %v and the last, without %s", numbers, want, once.Number)
		}
		if es, err := f.mstore.AuditEntries(ctx, "receipts"); err != nil || len(es) != 1 || es[0].Action != "receipts.export" ||
			es[0].ObjectID != f.fed.PublicID || es[0].Actor != f.staff.User.PublicID {
			t.Errorf("the export is not on the audit log: %+v %v", es, err)
		}
		row1 := rs[1].ExportRow("李会计")
		if got := fmt.Sprint(row1); got != fmt.Sprint([]string{"", "", "张三", "身份证", "110101199003074514", "10005.00", "壹万零伍元整", "2026-11-23",
			fund.Name, "郓城县慈善总会（登记）", "李会计", person.Number}) {
			t.Errorf("export row: %s", got)
		}
		if _, rs, _ := f.svc.ReceiptsForExport(ctx, f.staff, funds.ReceiptsFilter{OrgPublicID: f.fed.PublicID, From: "2026-11-24", To: "2026-12-31"}); len(rs) != 0 {
			t.Errorf("the next days: %d receipts", len(rs))
		}
		otherStaff := f.user(kernel.RoleFederationStaff, f.other)
		if _, _, err := f.svc.ReceiptsForExport(ctx, otherStaff, funds.ReceiptsFilter{OrgPublicID: f.fed.PublicID, From: "2026-11-23", To: "2026-11-23"}); !errors.Is(err, kernel.ErrNotFound) {
			t.Errorf("another federation's staff: %v", err)
		}
		if _, _, err := f.svc.ReceiptsForExport(ctx, f.staff, funds.ReceiptsFilter{OrgPublicID: f.fed.PublicID, From: "2026-01-01", To: "2027-01-02"}); !errors.As(err, &ve) || ve.Fields["to"] == "" {
			t.Errorf("more than a year: %v", err)
		}
		if _, _, err := f.svc.ReceiptsForExport(ctx, donor, funds.ReceiptsFilter{OrgPublicID: f.fed.PublicID, From: "2026-11-23", To: "2026-11-23"}); !errors.Is(err, kernel.ErrNotFound) {
			t.Errorf("a donor: %v", err)
		}
	})
}

// creditCodeWithCheck completes 17 characters of a credit code with their
// check character.
func creditCodeWithCheck(first string) string {
	for len(first) < 17 {
		first += "0"
	}
	c, _ := kernel.CreditCodeCheckChar(first)
	return first + string(c)
}
