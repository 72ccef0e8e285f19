package funds

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/kernel/rmbwords"
	"github.com/jiujinan/jiujinan/marketplace"
)

// Receipts a donor can use (捐赠票据): each confirmed pledge gets one, in
// the transaction that confirms it, numbered without gaps within its
// receiving charity's year (IssueReceipt locks the charity's counter for
// the year; a transaction that fails takes its number back with it). It
// names the charity as registered (credit code and registered name), the
// donor as they asked (ReceiptDonor), the amount, the date and the purpose,
// as they were when it was issued.

// DonorKind is how a receipt names its donor.
type DonorKind string

const (
	// DonorAnonymous: the receipt says 匿名 (AnonymousName).
	DonorAnonymous DonorKind = "anonymous"
	// DonorPerson: the donor's real name (and, for the official receipt,
	// their resident ID number if they gave it), sealed at rest.
	DonorPerson DonorKind = "person"
	// DonorOrg: an organization, with its unified social credit code.
	DonorOrg DonorKind = "org"
)

// DonorKinds lists every kind.
var DonorKinds = []DonorKind{DonorPerson, DonorOrg, DonorAnonymous}

// Valid reports whether k is a known kind.
func (k DonorKind) Valid() bool {
	return k == DonorAnonymous || k == DonorPerson || k == DonorOrg
}

// AnonymousName is what a receipt, and the official receipt made from it,
// says of a donor who gave no name.
const AnonymousName = "匿名"

// GenericNeedPurpose is the purpose a receipt names for a gift to a need
// that has no public title (it was never published).
const GenericNeedPurpose = "救急难救助"

// ReceiptDonor is the donor as a receipt names them.
type ReceiptDonor struct {
	Kind DonorKind
	// Name is the person's real name or the organization's name (AnonymousName
	// for an anonymous donor).
	Name string
	// IDNumber is a person's resident ID number, when they gave it.
	IDNumber string
	// CreditCode is an organization's unified social credit code.
	CreditCode string
}

// DonorProfile is what a donor keeps on their account for their receipts:
// an optional real name (and ID number), and an organization they give as
// by default. Without a real name and not giving as an organization, their
// receipts say 匿名.
type DonorProfile struct {
	RealName string
	// IDNumber is optional, for the official receipt (公益事业捐赠统一票据)
	// the charity issues from the export.
	IDNumber string
	// AsOrg: the donor's gifts are the organization's unless a pledge says
	// otherwise.
	AsOrg         bool
	OrgName       string
	OrgCreditCode string
	UpdatedAt     *time.Time
	// PersonCT and PersonKID are the sealed real name and ID number.
	PersonCT  []byte `json:"-"`
	PersonKID string `json:"-"`
}

// Donor is how a receipt names the donor by default.
func (p *DonorProfile) Donor() ReceiptDonor {
	switch {
	case p.AsOrg && p.OrgName != "":
		return ReceiptDonor{Kind: DonorOrg, Name: p.OrgName, CreditCode: p.OrgCreditCode}
	case p.RealName != "":
		return ReceiptDonor{Kind: DonorPerson, Name: p.RealName, IDNumber: p.IDNumber}
	}
	return ReceiptDonor{Kind: DonorAnonymous, Name: AnonymousName}
}

// ReceiptAs is what a donor says, when pledging, about the receipt of that
// one pledge: in their own name (their profile's real name, or 匿名),
// anonymously, or as an organization.
type ReceiptAs struct {
	Kind          DonorKind
	OrgName       string
	OrgCreditCode string
}

// donor is how the receipt of a pledge with this choice names its donor.
func (a *ReceiptAs) donor(p *DonorProfile) ReceiptDonor {
	switch a.Kind {
	case DonorOrg:
		return ReceiptDonor{Kind: DonorOrg, Name: a.OrgName, CreditCode: a.OrgCreditCode}
	case DonorAnonymous:
		return ReceiptDonor{Kind: DonorAnonymous, Name: AnonymousName}
	}
	if p.RealName != "" {
		return ReceiptDonor{Kind: DonorPerson, Name: p.RealName, IDNumber: p.IDNumber}
	}
	return ReceiptDonor{Kind: DonorAnonymous, Name: AnonymousName}
}

// checkOrgDonor validates an organization's name and credit code given as a
// donor, in canonical form, under fields prefix+"org_name" and
// prefix+"org_credit_code".
func checkOrgDonor(v *kernel.ValidationError, prefix string, name, code *string) {
	*name = strings.TrimSpace(*name)
	*code = kernel.NormalizeCreditCode(*code)
	checkName(v, prefix+"org_name", *name, 100, true)
	kernel.AddCreditCodeProblem(v, prefix+"org_credit_code", *code)
}

// checkName validates a name a receipt prints.
func checkName(v *kernel.ValidationError, field, name string, max int, required bool) {
	switch n := utf8.RuneCountInString(name); {
	case n == 0 && required:
		v.Add(field, "is required")
	case n > max:
		v.Add(field, "must be at most %d characters", max)
	case strings.ContainsAny(name, "\x00\r\n\t<>"):
		v.Add(field, "must not contain control characters or angle brackets")
	}
}

// check validates a pledge's choice; fields are receipt_as.*.
func (a *ReceiptAs) check(v *kernel.ValidationError) {
	switch a.Kind {
	case DonorOrg:
		checkOrgDonor(v, "receipt_as.", &a.OrgName, &a.OrgCreditCode)
	case DonorPerson, DonorAnonymous:
		a.OrgName, a.OrgCreditCode = "", ""
	default:
		v.Add("receipt_as.kind", "must be person, org or anonymous")
	}
}

// profileAD binds a donor's sealed name to their profile row.
func profileAD(userID int64) []byte {
	return []byte("donor_receipt_profiles:" + strconv.FormatInt(userID, 10) + ":person")
}

// receiptAD binds a receipt's sealed donor to the receipt.
func receiptAD(publicID string) []byte { return []byte("receipts:" + publicID + ":donor") }

// sealedPerson is what is sealed of a person: name and ID number.
type sealedPerson struct {
	Name     string `json:"name"`
	IDNumber string `json:"id_number,omitempty"`
}

func (s *Service) sealPerson(name, idNumber string, ad []byte) ([]byte, string, error) {
	plain, err := json.Marshal(sealedPerson{Name: name, IDNumber: idNumber})
	if err != nil {
		return nil, "", err
	}
	return s.Cipher.Seal(plain, ad)
}

func (s *Service) openPerson(ct []byte, kid string, ad []byte) (sealedPerson, error) {
	var out sealedPerson
	plain, err := s.Cipher.Open(ct, kid, ad)
	if err != nil {
		return out, err
	}
	err = json.Unmarshal(plain, &out)
	return out, err
}

// donorProfile reads and opens a donor's profile; an empty one when they
// have none.
func (s *Service) donorProfile(ctx context.Context, userID int64) (*DonorProfile, error) {
	p, err := s.Store.DonorProfile(ctx, userID)
	if errors.Is(err, kernel.ErrNotFound) {
		return &DonorProfile{}, nil
	}
	if err != nil {
		return nil, err
	}
	if p.PersonCT != nil {
		sp, err := s.openPerson(p.PersonCT, p.PersonKID, profileAD(userID))
		if err != nil {
			return nil, fmt.Errorf("funds: donor profile: %w", err)
		}
		p.RealName, p.IDNumber = sp.Name, sp.IDNumber
	}
	return p, nil
}

// MyDonorProfile returns the donor's own receipt details; donors only
// (ErrForbidden).
func (s *Service) MyDonorProfile(ctx context.Context, by *kernel.Principal) (*DonorProfile, error) {
	if !by.Has(kernel.RoleDonor) {
		return nil, kernel.Refuse(kernel.ErrForbidden, "refusal_pledge_donors_only", nil, "only donors pledge")
	}
	return s.donorProfile(ctx, by.User.ID)
}

// SetMyDonorProfile replaces the donor's receipt details: the real name
// (optional, at most 50 characters; empty means 匿名), the resident ID
// number (optional, checked per GB 11643, only with a real name), and the
// organization they give as (required with as_org: a name and a unified
// social credit code checked per GB 32100-2015; kept, if valid, without
// it). The name and ID number are sealed. They apply to receipts issued
// from now on; a receipt already issued keeps what it said.
// ErrForbidden, ValidationError.
func (s *Service) SetMyDonorProfile(ctx context.Context, by *kernel.Principal, in DonorProfile) (*DonorProfile, error) {
	if !by.Has(kernel.RoleDonor) {
		return nil, kernel.Refuse(kernel.ErrForbidden, "refusal_pledge_donors_only", nil, "only donors pledge")
	}
	p := DonorProfile{RealName: strings.TrimSpace(in.RealName), AsOrg: in.AsOrg,
		OrgName: strings.TrimSpace(in.OrgName), OrgCreditCode: kernel.NormalizeCreditCode(in.OrgCreditCode)}
	v := &kernel.ValidationError{}
	checkName(v, "real_name", p.RealName, 50, false)
	if id := kernel.NormalizeIDNumber(strings.TrimSpace(in.IDNumber)); id != "" {
		switch info, err := kernel.ParseIDNumber(id, s.now()); {
		case err != nil:
			v.AddErr("id_number", err)
		case p.RealName == "":
			v.Add("id_number", "goes with a real name")
		default:
			p.IDNumber = info.Number
		}
	}
	if p.AsOrg || p.OrgName != "" || p.OrgCreditCode != "" {
		checkOrgDonor(v, "", &p.OrgName, &p.OrgCreditCode)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := s.now()
	p.UpdatedAt = &now
	if p.RealName != "" {
		ct, kid, err := s.sealPerson(p.RealName, p.IDNumber, profileAD(by.User.ID))
		if err != nil {
			return nil, fmt.Errorf("funds: donor profile: %w", err)
		}
		p.PersonCT, p.PersonKID = ct, kid
	}
	if err := s.Store.SaveDonorProfile(ctx, by.User.ID, &p); err != nil {
		return nil, fmt.Errorf("funds: donor profile: %w", err)
	}
	return &p, nil
}

// receiptDonor is how the receipt of pledge p names its donor: as the
// pledge said, else as the donor's profile says.
func (s *Service) receiptDonor(ctx context.Context, p *Pledge) (ReceiptDonor, error) {
	prof, err := s.donorProfile(ctx, p.DonorID)
	if err != nil {
		return ReceiptDonor{}, err
	}
	as, err := s.Store.PledgeReceiptAs(ctx, p.ID)
	switch {
	case errors.Is(err, kernel.ErrNotFound):
		return prof.Donor(), nil
	case err != nil:
		return ReceiptDonor{}, err
	}
	return as.donor(prof), nil
}

// newReceipt is the receipt of pledge p confirmed at now, its donor sealed
// when a person; IssueReceipt numbers it and adds the charity's
// registration and the purpose.
func (s *Service) newReceipt(p *Pledge, d ReceiptDonor, now time.Time) (*Receipt, error) {
	r := &Receipt{PublicID: s.NewID(), OrgID: p.OrgID, Year: now.In(kernel.ChinaTime).Year(), PledgeID: p.ID, PledgePublicID: p.PublicID,
		DonorID: p.DonorID, DonorName: d.Name, OrgName: p.OrgName, AmountFen: p.AmountFen, IssuedAt: now,
		ReceiptDetails: ReceiptDetails{TargetType: p.TargetType, DonorKind: d.Kind, DonorCreditCode: d.CreditCode}}
	if d.Kind == DonorPerson {
		ct, kid, err := s.sealPerson(d.Name, d.IDNumber, receiptAD(r.PublicID))
		if err != nil {
			return nil, err
		}
		// Only the sealed copy is stored.
		r.DonorName, r.DonorCT, r.DonorKID = "", ct, kid
	}
	return r, nil
}

// openReceipt fills in the sealed donor of r.
func (s *Service) openReceipt(r *Receipt) error {
	if r.DonorCT == nil {
		return nil
	}
	sp, err := s.openPerson(r.DonorCT, r.DonorKID, receiptAD(r.PublicID))
	if err != nil {
		return fmt.Errorf("funds: receipt %s: %w", r.PublicID, err)
	}
	r.DonorName, r.DonorIDNumber = sp.Name, sp.IDNumber
	return nil
}

// Capital is the receipt's amount in capital numerals (大写).
func (r *Receipt) Capital() string { return rmbwords.Capital(r.AmountFen) }

// CharityName is the charity as registered, or by its name in the system
// before its staff entered the registered name.
func (r *Receipt) CharityName() string {
	if r.OrgRegisteredName != "" {
		return r.OrgRegisteredName
	}
	return r.OrgName
}

// ReceiptsFilter selects a charity's receipts for its finance staff.
type ReceiptsFilter struct {
	OrgPublicID string
	// From and To are China calendar dates (YYYY-MM-DD), both included.
	From, To string
	// Format is how the export is read (page, json, csv, xlsx), for the
	// audit log.
	Format string
}

// MaxReceiptExportDays bounds the period of one export.
const MaxReceiptExportDays = 366

// ReceiptsForExport returns, for federation staff of the organization, the
// organization and the receipts it issued from From to To (China dates,
// both included) that were not voided (a refunded gift gets no official
// receipt), in number order, their donors opened: what its finance staff
// issue the official 公益事业捐赠统一票据 from. ErrNotFound for anyone else
// and for an unknown organization; ValidationError for the dates. Each
// call is an entry of the audit log (stream receipts), when Audit is set.
func (s *Service) ReceiptsForExport(ctx context.Context, by *kernel.Principal, f ReceiptsFilter) (*ReceiptOrg, []Receipt, error) {
	v := &kernel.ValidationError{}
	from, ferr := time.ParseInLocation(time.DateOnly, strings.TrimSpace(f.From), kernel.ChinaTime)
	if ferr != nil {
		v.Add("from", "date must be YYYY-MM-DD")
	}
	to, terr := time.ParseInLocation(time.DateOnly, strings.TrimSpace(f.To), kernel.ChinaTime)
	if terr != nil {
		v.Add("to", "date must be YYYY-MM-DD")
	}
	if ferr == nil && terr == nil {
		switch days := int(to.Sub(from).Hours()/24) + 1; {
		case days < 1:
			v.Add("to", "must not be before from")
		case days > MaxReceiptExportDays:
			v.Add("to", "must be at most %d days after from", MaxReceiptExportDays-1)
		}
	}
	org, err := s.ReceiptOrg(ctx, by, f.OrgPublicID)
	if err != nil {
		return nil, nil, err
	}
	if err := v.Err(); err != nil {
		return nil, nil, err
	}
	rs, err := s.Store.OrgReceipts(ctx, org.ID, from.UTC(), to.AddDate(0, 0, 1).UTC())
	if err != nil {
		return nil, nil, fmt.Errorf("funds: receipts: %w", err)
	}
	if s.Audit != nil {
		// Donors' names and ID numbers leave the system: who took them is
		// on the record.
		detail, _ := json.Marshal(map[string]any{"from": from.Format(time.DateOnly), "to": to.Format(time.DateOnly),
			"receipts": len(rs), "format": f.Format})
		if err := s.Audit.AppendAudit(ctx, marketplace.AuditEntry{Stream: "receipts", At: s.now(), Actor: by.User.PublicID,
			Action: "receipts.export", ObjectType: "org", ObjectID: org.PublicID, Detail: string(detail)}); err != nil {
			return nil, nil, fmt.Errorf("funds: receipts: audit: %w", err)
		}
	}
	out := rs[:0]
	for i := range rs {
		if rs[i].VoidedAt != nil {
			continue
		}
		if err := s.openReceipt(&rs[i]); err != nil {
			return nil, nil, err
		}
		out = append(out, rs[i])
	}
	return org, out, nil
}

// ReceiptOrg is an organization whose receipts its staff export.
type ReceiptOrg struct {
	ID       int64
	PublicID string
	Name     string
}

// ReceiptOrg resolves orgPublicID for federation staff of that
// organization: ErrNotFound for anyone else.
func (s *Service) ReceiptOrg(ctx context.Context, by *kernel.Principal, orgPublicID string) (*ReceiptOrg, error) {
	id, name, _, err := s.Store.OrgByPublicID(ctx, orgPublicID)
	if err != nil {
		return nil, err
	}
	if !staffOf(by, id) {
		return nil, kernel.ErrNotFound
	}
	return &ReceiptOrg{ID: id, PublicID: orgPublicID, Name: name}, nil
}

// ExportIDType is the 证件类型 of the official receipt for a donor.
func (r *Receipt) ExportIDType() string {
	switch {
	case r.DonorKind == DonorOrg:
		return "统一社会信用代码"
	case r.DonorKind == DonorAnonymous:
		return AnonymousName
	case r.DonorKind == DonorPerson && r.DonorIDNumber != "":
		return "身份证"
	}
	return ""
}

// ExportIDNumber is the 证件号码 of the official receipt for a donor.
func (r *Receipt) ExportIDNumber() string {
	if r.DonorKind == DonorOrg {
		return r.DonorCreditCode
	}
	return r.DonorIDNumber
}

// ReceiptExportHeader names the columns of the export for the finance
// bureau's electronic receipt system (公益事业捐赠统一票据): the receipt
// code and number are left for that system to fill.
var ReceiptExportHeader = []string{"票据代码", "票据号码", "捐赠人名称", "证件类型", "证件号码", "捐赠金额", "大写金额",
	"捐赠日期", "捐赠项目", "收款单位", "经办人", "平台收据号"}

// ExportRow is r as a row under ReceiptExportHeader; handler is the 经办人,
// the staff member who issues the official receipts.
func (r *Receipt) ExportRow(handler string) []string {
	return []string{"", "", r.DonorName, r.ExportIDType(), r.ExportIDNumber(), FormatYuan(r.AmountFen), r.Capital(),
		r.IssuedAt.In(kernel.ChinaTime).Format(time.DateOnly), r.Purpose, r.CharityName(), handler, r.Number}
}

// WriteReceiptsCSV writes the export as CSV under ReceiptExportHeader, with
// a byte order mark so that Excel reads it as UTF-8, and every field that a
// spreadsheet would run as a formula escaped (CSVField).
func WriteReceiptsCSV(w io.Writer, rows [][]string) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(ReceiptExportHeader); err != nil {
		return err
	}
	for _, r := range rows {
		out := make([]string, len(r))
		for i, f := range r {
			out[i] = CSVField(f)
		}
		if err := cw.Write(out); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
