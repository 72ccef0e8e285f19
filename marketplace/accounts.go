package marketplace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jiujinan/jiujinan/kernel"
)

// AccountService registers users, authenticates them and manages
// organizations and their staff.
type AccountService struct {
	Store AccountStore
	Now   func() time.Time
	NewID func() string
	// RegionKnown reports whether a region code names a real place; nil
	// accepts any well-formed code.
	RegionKnown func(code string) bool
	// Throttle slows down repeated failed logins per e-mail and source
	// address; it never locks an account for everyone.
	Throttle *LoginThrottle

	// dummyHash is compared against when the user does not exist, so that
	// an unknown e-mail costs as much time as a wrong password.
	dummyHash string
}

// NewAccountService returns a service with the throttling defaults (5 free
// failures per e-mail and address, then delays doubling up to 15 minutes).
func NewAccountService(store AccountStore, now func() time.Time, newID func() string) *AccountService {
	h, err := HashPassword("not a real password, only for timing")
	if err != nil {
		panic(err)
	}
	return &AccountService{Store: store, Now: now, NewID: newID, Throttle: NewLoginThrottle(5, 15*time.Minute), dummyHash: h}
}

// NewUser is what it takes to create an account.
type NewUser struct {
	Email       string
	Password    string
	DisplayName string
	Role        kernel.Role
}

func (s *AccountService) validateNewUser(n *NewUser) *kernel.ValidationError {
	v := &kernel.ValidationError{}
	n.Email = NormalizeEmail(n.Email)
	n.DisplayName = strings.TrimSpace(n.DisplayName)
	validateEmail(v, n.Email)
	if err := ValidatePassword(n.Password); err != nil {
		v.Merge(err.(*kernel.ValidationError))
	}
	validateDisplayName(v, n.DisplayName)
	return v
}

func auditDetail(kv map[string]any) string {
	b, _ := json.Marshal(kv)
	return string(b)
}

func (s *AccountService) createUser(ctx context.Context, n NewUser, ms []kernel.Membership, actor, action string) (*kernel.User, error) {
	hash, err := HashPassword(n.Password)
	if err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	u := &kernel.User{PublicID: s.NewID(), Email: n.Email, PasswordHash: hash, DisplayName: n.DisplayName, CreatedAt: now}
	detail := map[string]any{"role": n.Role}
	if len(ms) > 0 && ms[0].Org != nil {
		detail["org"] = ms[0].Org.PublicID
	}
	if actor == "" {
		actor = u.PublicID
	}
	a := AuditEntry{Stream: "accounts", At: now, Actor: actor, Action: action, ObjectType: "user", ObjectID: u.PublicID, Detail: auditDetail(detail)}
	if err := s.Store.CreateUser(ctx, u, ms, a); err != nil {
		if errors.Is(err, kernel.ErrConflict) {
			return nil, kernel.Refuse(kernel.ErrConflict, "refusal_email_taken", nil, "an account with this e-mail exists")
		}
		return nil, fmt.Errorf("accounts: create user: %w", err)
	}
	return u, nil
}

// Register creates a donor or volunteer account: the only roles anyone may
// take for themselves. ValidationError, ErrConflict.
func (s *AccountService) Register(ctx context.Context, n NewUser) (*kernel.User, error) {
	v := s.validateNewUser(&n)
	if n.Role != kernel.RoleDonor && n.Role != kernel.RoleVolunteer {
		v.Add("role", "must be donor or volunteer; staff accounts are created by an administrator")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return s.createUser(ctx, n, []kernel.Membership{{Role: n.Role}}, "", "user.register")
}

// CreateAdmin creates an administrator, for bootstrapping from the command line.
func (s *AccountService) CreateAdmin(ctx context.Context, email, password, displayName string) (*kernel.User, error) {
	n := NewUser{Email: email, Password: password, DisplayName: displayName, Role: kernel.RoleAdmin}
	if n.DisplayName == "" {
		n.DisplayName = "Administrator"
	}
	if err := s.validateNewUser(&n).Err(); err != nil {
		return nil, err
	}
	return s.createUser(ctx, n, []kernel.Membership{{Role: kernel.RoleAdmin}}, "system", "admin.create")
}

// AddMember creates a staff account in org with role. Only admins may call
// it; the role must be one the organization's kind can hold.
func (s *AccountService) AddMember(ctx context.Context, by *kernel.Principal, orgPublicID string, n NewUser) (*kernel.User, error) {
	if !by.Has(kernel.RoleAdmin) {
		return nil, kernel.ErrForbidden
	}
	org, err := s.Store.OrgByPublicID(ctx, orgPublicID)
	if err != nil {
		return nil, err
	}
	v := s.validateNewUser(&n)
	switch {
	case !n.Role.Valid():
		v.Add("role", "unknown role %q", n.Role)
	case !org.Kind.CanGrant(n.Role):
		v.Add("role", "a %s cannot have members with role %s (allowed: %v)", org.Kind, n.Role, org.Kind.Roles())
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return s.createUser(ctx, n, []kernel.Membership{{Role: n.Role, Org: org}}, by.User.PublicID, "org.member.add")
}

// OrgMember is an account holding a role in an organization, as
// administrators see it.
type OrgMember struct {
	UserPublicID string
	Email        string
	DisplayName  string
	Role         kernel.Role
	Disabled     bool
	// Since is when the role was given.
	Since time.Time
}

// OrgSummary is an organization with the number of its members.
type OrgSummary struct {
	kernel.Org
	Members int
}

// Orgs lists every organization with its number of members, by creation:
// administrators only (ErrForbidden).
func (s *AccountService) Orgs(ctx context.Context, by *kernel.Principal) ([]OrgSummary, error) {
	if !by.Has(kernel.RoleAdmin) {
		return nil, kernel.ErrForbidden
	}
	orgs, err := s.Store.ListOrgs(ctx)
	if err != nil {
		return nil, err
	}
	counts, err := s.Store.OrgMemberCounts(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]OrgSummary, len(orgs))
	for i, o := range orgs {
		out[i] = OrgSummary{Org: o, Members: counts[o.ID]}
	}
	return out, nil
}

// OrgMembers returns an organization and the accounts holding a role in
// it: administrators only (ErrForbidden), ErrNotFound for an unknown
// organization.
func (s *AccountService) OrgMembers(ctx context.Context, by *kernel.Principal, orgPublicID string) (*kernel.Org, []OrgMember, error) {
	if !by.Has(kernel.RoleAdmin) {
		return nil, nil, kernel.ErrForbidden
	}
	org, err := s.Store.OrgByPublicID(ctx, orgPublicID)
	if err != nil {
		return nil, nil, err
	}
	ms, err := s.Store.OrgMembers(ctx, org.ID)
	if err != nil {
		return nil, nil, err
	}
	return org, ms, nil
}

// NewOrg is what it takes to create an organization.
type NewOrg struct {
	Name       string
	Kind       kernel.OrgKind
	RegionCode string
}

// CreateOrg creates an organization. Admins only. ValidationError.
func (s *AccountService) CreateOrg(ctx context.Context, by *kernel.Principal, n NewOrg) (*kernel.Org, error) {
	if !by.Has(kernel.RoleAdmin) {
		return nil, kernel.ErrForbidden
	}
	v := &kernel.ValidationError{}
	n.Name = strings.TrimSpace(n.Name)
	switch l := utf8.RuneCountInString(n.Name); {
	case l == 0:
		v.Add("name", "is required")
	case l > 100:
		v.Add("name", "must be at most 100 characters")
	case strings.ContainsAny(n.Name, "\x00\r\n<>"):
		v.Add("name", "must not contain control characters or angle brackets")
	}
	if !n.Kind.Valid() {
		v.Add("kind", "must be one of %v", kernel.OrgKinds)
	}
	switch {
	case !kernel.RegionCodeFormatOK(n.RegionCode):
		v.Add("region_code", "must be a GB/T 2260 code of 6, 9 or 12 digits")
	case s.RegionKnown != nil && !s.RegionKnown(n.RegionCode):
		v.Add("region_code", "no such administrative division: %s", n.RegionCode)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	o := &kernel.Org{PublicID: s.NewID(), Name: n.Name, Kind: n.Kind, RegionCode: n.RegionCode, CreatedAt: now}
	a := AuditEntry{Stream: "accounts", At: now, Actor: by.User.PublicID, Action: "org.create", ObjectType: "org", ObjectID: o.PublicID,
		Detail: auditDetail(map[string]any{"kind": o.Kind, "region_code": o.RegionCode})}
	if err := s.Store.CreateOrg(ctx, o, a); err != nil {
		return nil, fmt.Errorf("accounts: create org: %w", err)
	}
	return o, nil
}

// Authenticate checks an e-mail and password sent from source (the client's
// address). It returns ErrUnauthorized for an unknown user, a wrong password
// or a disabled account alike, and a *LockedError while attempts for this
// e-mail from this address must wait after repeated failures; unknown and
// known e-mails are throttled alike.
func (s *AccountService) Authenticate(ctx context.Context, email, password, source string) (*kernel.Principal, error) {
	email = NormalizeEmail(email)
	if email == "" || password == "" || len(password) > MaxPasswordLen || len(email) > 254 {
		return nil, kernel.ErrUnauthorized
	}
	now := s.Now().UTC()
	if s.Throttle != nil {
		if until := s.Throttle.Wait(email, source, now); !until.IsZero() {
			return nil, &kernel.LockedError{Until: until, RetryAfter: until.Sub(now)}
		}
	}
	fail := func() error {
		if s.Throttle != nil {
			if until := s.Throttle.Fail(email, source, now); !until.IsZero() {
				return &kernel.LockedError{Until: until, RetryAfter: until.Sub(now)}
			}
		}
		return kernel.ErrUnauthorized
	}
	u, err := s.Store.UserByEmail(ctx, email)
	if errors.Is(err, kernel.ErrNotFound) {
		_, _ = CheckPassword(s.dummyHash, password)
		return nil, fail()
	}
	if err != nil {
		return nil, err
	}
	ok, err := CheckPassword(u.PasswordHash, password)
	if err != nil {
		return nil, err
	}
	if !ok || u.Disabled {
		return nil, fail()
	}
	if s.Throttle != nil {
		s.Throttle.Succeed(email, source)
	}
	return s.Store.Principal(ctx, u.PublicID)
}

// EndSessions ends every session of the user p: each token issued before
// carries an older session version and is refused from now on.
func (s *AccountService) EndSessions(ctx context.Context, p *kernel.Principal) error {
	if err := s.Store.EndSessions(ctx, p.User.ID); err != nil {
		return fmt.Errorf("accounts: end sessions: %w", err)
	}
	return nil
}

// Principal loads the current roles of the user a token names. A disabled
// or deleted user is ErrUnauthorized.
func (s *AccountService) Principal(ctx context.Context, userPublicID string) (*kernel.Principal, error) {
	p, err := s.Store.Principal(ctx, userPublicID)
	if errors.Is(err, kernel.ErrNotFound) {
		return nil, kernel.ErrUnauthorized
	}
	if err != nil {
		return nil, err
	}
	if p.User.Disabled {
		return nil, kernel.ErrUnauthorized
	}
	return p, nil
}

// NormalizeEmail trims and lower-cases an address.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func validateEmail(v *kernel.ValidationError, email string) {
	if len(email) > 254 {
		v.Add("email", "must be at most 254 characters")
		return
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || !strings.Contains(email[strings.LastIndex(email, "@")+1:], ".") {
		v.Add("email", "is not an e-mail address")
	}
}

func validateDisplayName(v *kernel.ValidationError, name string) {
	name = strings.TrimSpace(name)
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		v.Add("display_name", "is required")
	case n > 50:
		v.Add("display_name", "must be at most 50 characters")
	case strings.ContainsAny(name, "\x00\r\n<>"):
		v.Add("display_name", "must not contain control characters or angle brackets")
	}
}

// MayEditCollection reports whether by may change org's collection account:
// an administrator, or federation staff of that organization.
func MayEditCollection(by *kernel.Principal, org *kernel.Org) bool {
	return by.Has(kernel.RoleAdmin) || by.InOrg(kernel.RoleFederationStaff, org.ID)
}

// SetCollection replaces the collection account of the organization
// orgPublicID, where donors transfer their pledges. ErrNotFound for an
// organization the caller may not edit (so that it learns nothing of
// others), ValidationError.
func (s *AccountService) SetCollection(ctx context.Context, by *kernel.Principal, orgPublicID string, a kernel.CollectionAccount) (*kernel.Org, error) {
	org, err := s.Store.OrgByPublicID(ctx, orgPublicID)
	if err != nil {
		return nil, err
	}
	if !MayEditCollection(by, org) {
		return nil, kernel.ErrNotFound
	}
	v := &kernel.ValidationError{}
	a.AccountName, a.Bank = strings.TrimSpace(a.AccountName), strings.TrimSpace(a.Bank)
	a.AccountNo, a.PayLink = strings.Join(strings.Fields(a.AccountNo), ""), strings.TrimSpace(a.PayLink)
	for f, val := range map[string]string{"account_name": a.AccountName, "bank": a.Bank} {
		switch n := utf8.RuneCountInString(val); {
		case n == 0:
			v.Add(f, "is required")
		case n > 100:
			v.Add(f, "must be at most 100 characters")
		case strings.ContainsAny(val, "\x00\r\n<>"):
			v.Add(f, "must not contain control characters or angle brackets")
		}
	}
	if n := len(a.AccountNo); n < 6 || n > 34 || strings.Trim(a.AccountNo, "0123456789-") != "" {
		v.Add("account_no", "must be 6 to 34 digits")
	}
	if a.PayLink != "" {
		u, perr := url.Parse(a.PayLink)
		if perr != nil || u.Scheme != "https" || u.Host == "" || len(a.PayLink) > 500 || strings.ContainsAny(a.PayLink, " \x00\r\n<>\"'") {
			v.Add("pay_link", "must be an https address of at most 500 characters")
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	audit := AuditEntry{Stream: "accounts", At: now, Actor: by.User.PublicID, Action: "org.collection.set", ObjectType: "org", ObjectID: org.PublicID,
		Detail: auditDetail(map[string]any{"account_name": a.AccountName, "bank": a.Bank, "account_no": a.AccountNo, "pay_link": a.PayLink})}
	if err := s.Store.SetOrgCollection(ctx, org.ID, a, audit); err != nil {
		return nil, fmt.Errorf("accounts: set collection: %w", err)
	}
	org.Collection = a
	return org, nil
}
