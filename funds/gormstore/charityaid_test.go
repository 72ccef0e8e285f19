package gormstore_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/funds/aidxlsx"
	fstore "github.com/jiujinan/jiujinan/funds/gormstore"
	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/marketplace/gormstore/needfixture"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// sealIdentity seals id as the beneficiary of need with the fixture's key,
// as the needs service does, so that the need's private readers open it.
func (f *fixture) sealIdentity(c *marketplace.Cipher, need string, id marketplace.Identity) {
	f.t.Helper()
	var row struct {
		BenPublicID string
		BenID       int64
	}
	f.db.Gorm.Raw(`SELECT b.public_id AS ben_public_id, b.id AS ben_id FROM needs n JOIN beneficiaries b ON b.id = n.beneficiary_id
		WHERE n.public_id = ?`, need).Scan(&row)
	seal := func(v any, ad string) []byte {
		b, _ := json.Marshal(v)
		ct, _, err := c.Seal(b, []byte(ad))
		if err != nil {
			f.t.Fatal(err)
		}
		return ct
	}
	if err := f.db.Gorm.Exec("UPDATE beneficiaries SET identity_ct = ? WHERE id = ?", seal(id, row.BenPublicID), row.BenID).Error; err != nil {
		f.t.Fatal(err)
	}
	if err := needfixture.Set(context.Background(), f.db.Gorm, need, map[string]any{"private_ct": seal(map[string]any{"title": "住院"}, need)}); err != nil {
		f.t.Fatal(err)
	}
}

func TestCharityAidExportsTheDisbursementsOfThePeriodWithTheHousehold(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		c, err := marketplace.NewCipher([]marketplace.DataKey{{ID: "k1", Key: make([]byte, 32)}})
		if err != nil {
			t.Fatal(err)
		}
		div, _ := kernel.LoadDivisions()
		now := func() time.Time { return *f.now.Load() }
		needs := marketplace.NewNeedService(f.mstore, c, nil, div, now, newID, marketplace.NeedConfig{})
		export := &funds.CharityAidExport{Store: fstore.New(db), Needs: needs, Audit: f.mstore, Divisions: div, Now: now}

		fund := f.fund(kernel.Restrictions{Categories: []kernel.Category{"medical"}})
		f.donate(funds.TargetFund, fund.PublicID, 300_000)
		past := start.Add(-time.Hour)
		need := f.need(needSpec{Status: kernel.NeedNotice, NoticeEndsAt: &past})
		f.sealIdentity(c, need, marketplace.Identity{Name: "张秀英", IDNumber: "37172519800101002X"})
		if _, err := f.svc.Allocate(ctx, f.staff, funds.KindFund, fund.PublicID, need, 100_000, nil); err != nil {
			t.Fatal(err)
		}
		pay := func(fen int64, p funds.Payee, kind funds.ProviderKind) {
			t.Helper()
			if _, err := f.svc.DisburseNeed(ctx, f.staff, need, funds.NewDisbursement{AmountFen: fen, Payee: p, ProviderKind: kind}, nil); err != nil {
				t.Fatal(err)
			}
		}
		// 2026-11-23 17:00 and 11-24 17:00 China time: inside; 12-03: outside.
		pay(30_050, funds.Payee{Type: funds.PayeeProvider, Name: "郓城县人民医院", Reference: "INV-1"}, funds.ProviderHospital)
		f.advance(24 * time.Hour)
		pay(20_000, funds.Payee{Type: funds.PayeeHousehold, Name: "张秀英", Reason: "出院后的生活费用"}, "")
		f.advance(9 * 24 * time.Hour)
		pay(10_000, funds.Payee{Type: funds.PayeeProvider, Name: "郓城县人民医院", Reference: "INV-2"}, funds.ProviderHospital)

		ca := f.org("郓城县民政局", kernel.OrgCivilAffairs, "371725")
		verifier := f.user(kernel.RoleVerifier, ca)
		filter, err := funds.ParseAidFilter("371725", "2026-11-23", "2026-11-30", "")
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		n, err := export.Export(ctx, verifier, filter, &out)
		if err != nil || n != 2 {
			t.Fatalf("export: %d rows, %v; want 2", n, err)
		}
		if !bytes.HasPrefix(out.Bytes(), []byte("\xEF\xBB\xBF")) {
			t.Errorf("no BOM: %q", out.Bytes()[:8])
		}
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out.String(), "\uFEFF"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		want := [][]string{funds.CharityAidHeader,
			{need, "张秀英", "37172519800101002X", "医疗", "371725001", div.FullName("371725001"), "300.50", "2026-11-23", "医院"},
			{need, "张秀英", "37172519800101002X", "医疗", "371725001", div.FullName("371725001"), "200.00", "2026-11-24", "受助家庭"}}
		if len(rows) != len(want) {
			t.Fatalf("rows %q", rows)
		}
		for i := range want {
			if strings.Join(rows[i], "|") != strings.Join(want[i], "|") {
				t.Errorf("row %d: %q, want %q", i, rows[i], want[i])
			}
		}
		if rows[0][1] != "姓名" || rows[0][2] != "身份证号" {
			t.Errorf("header %q", rows[0])
		}

		var audit []struct {
			Actor  string
			Action string
			Detail string
		}
		db.Gorm.Raw("SELECT actor, action, detail FROM audit_log WHERE stream = 'charity-aid'").Scan(&audit)
		if len(audit) != 1 || audit[0].Actor != verifier.User.PublicID || audit[0].Action != "charity_aid.export" ||
			!strings.Contains(audit[0].Detail, `"rows":2`) || !strings.Contains(audit[0].Detail, `"region":"371725"`) ||
			!strings.Contains(audit[0].Detail, `"from":"2026-11-23"`) {
			t.Errorf("audit %+v", audit)
		}

		// The workbook holds the same rows, typed: the ID number as text,
		// the amount a number in 元, the date a date.
		export.XLSX = aidxlsx.New()
		xf := filter
		xf.Format = funds.AidXLSX
		var book bytes.Buffer
		if n, err := export.Export(ctx, verifier, xf, &book); err != nil || n != 2 {
			t.Fatalf("xlsx export: %d rows, %v", n, err)
		}
		cells := xlsxCells(t, book.Bytes())
		if len(cells) != 3 || strings.Join(cells[0], "|") != strings.Join(funds.CharityAidHeader, "|") {
			t.Fatalf("workbook %q", cells)
		}
		// A cell without a type attribute (CellTypeUnset) is a number.
		for i, c := range []xlsxCell{{"C2", "37172519800101002X", excelize.CellTypeInlineString, "@"}, {"G2", "300.5", excelize.CellTypeUnset, "0.00"},
			{"H2", "46349", excelize.CellTypeUnset, "yyyy-mm-dd"}, {"G3", "200", excelize.CellTypeUnset, "0.00"}} {
			c.check(t, i, book.Bytes())
		}
		// The command line's export: no user, the same file, audited as "cli".
		var sys bytes.Buffer
		if n, err := export.ExportAsSystem(ctx, "cli", filter, &sys); err != nil || n != 2 || sys.String() != out.String() {
			t.Errorf("system export: %d rows, %v, same file %v", n, err, sys.String() == out.String())
		}
		var actors []string
		db.Gorm.Raw("SELECT actor FROM audit_log WHERE stream = 'charity-aid' ORDER BY id").Scan(&actors)
		if strings.Join(actors, ",") != verifier.User.PublicID+","+verifier.User.PublicID+",cli" {
			t.Errorf("audit actors %q", actors)
		}
		if _, err := funds.ParseAidFilter("371725", "2026-11-23", "2026-11-30", "xls"); err == nil || !strings.Contains(err.Error(), "format") {
			t.Errorf("format xls: %v", err)
		}

		other := f.user(kernel.RoleVerifier, f.org("隆回县民政局", kernel.OrgCivilAffairs, "430524"))
		out.Reset()
		if _, err := export.Export(ctx, other, xf, &out); !errors.Is(err, kernel.ErrForbidden) || out.Len() != 0 {
			t.Errorf("another region's verifier, xlsx: %v, %d bytes; want ErrForbidden and nothing", err, out.Len())
		}
		if _, err := export.Export(ctx, other, filter, &out); !errors.Is(err, kernel.ErrForbidden) || out.Len() != 0 {
			t.Errorf("another region's verifier: %v, %d bytes; want ErrForbidden and nothing", err, out.Len())
		}
		if _, err := export.Export(ctx, f.staff, filter, &out); !errors.Is(err, kernel.ErrForbidden) {
			t.Errorf("federation staff: %v; want ErrForbidden", err)
		}
	})
}

// org creates an organization.
func (f *fixture) org(name string, kind kernel.OrgKind, region string) *kernel.Org {
	f.t.Helper()
	o, err := f.accounts.CreateOrg(context.Background(), f.admin, marketplace.NewOrg{Name: name, Kind: kind, RegionCode: region})
	if err != nil {
		f.t.Fatal(err)
	}
	return o
}

// xlsxCells reads the one sheet of a workbook as strings.
func xlsxCells(t *testing.T, book []byte) [][]string {
	t.Helper()
	x, err := excelize.OpenReader(bytes.NewReader(book))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if s := x.GetSheetList(); len(s) != 1 || s[0] != aidxlsx.SheetName {
		t.Fatalf("sheets %q", s)
	}
	rows, err := x.GetRows(aidxlsx.SheetName)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// xlsxCell is what a cell of the workbook stores: its raw value, its type
// and its number format.
type xlsxCell struct {
	cell, raw string
	typ       excelize.CellType
	numFmt    string
}

func (c xlsxCell) check(t *testing.T, i int, book []byte) {
	t.Helper()
	x, err := excelize.OpenReader(bytes.NewReader(book), excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	raw, _ := x.GetCellValue(aidxlsx.SheetName, c.cell)
	typ, _ := x.GetCellType(aidxlsx.SheetName, c.cell)
	sid, _ := x.GetCellStyle(aidxlsx.SheetName, c.cell)
	st, _ := x.GetStyle(sid)
	f := ""
	if st != nil {
		if st.CustomNumFmt != nil {
			f = *st.CustomNumFmt
		} else {
			f = map[int]string{49: "@", 2: "0.00"}[st.NumFmt]
		}
	}
	if raw != c.raw || typ != c.typ || f != c.numFmt {
		t.Errorf("%d: %s = %q, type %v, format %q; want %q, %v, %q", i, c.cell, raw, typ, f, c.raw, c.typ, c.numFmt)
	}
}
