package marketplace

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jiujinan/jiujinan/kernel"
)

// SetRegistration replaces how the organization orgPublicID is registered:
// its unified social credit code (checked per GB 32100-2015) and its
// registered name (登记名称), which its donation receipts carry. The same
// people as the collection account edit it (MayEditCollection);
// ErrNotFound for anyone else, so that they learn nothing of others.
// ValidationError.
func (s *AccountService) SetRegistration(ctx context.Context, by *kernel.Principal, orgPublicID string, r kernel.OrgRegistration) (*kernel.Org, error) {
	org, err := s.Store.OrgByPublicID(ctx, orgPublicID)
	if err != nil {
		return nil, err
	}
	if !MayEditCollection(by, org) {
		return nil, kernel.ErrNotFound
	}
	r.CreditCode = kernel.NormalizeCreditCode(r.CreditCode)
	r.RegisteredName = strings.TrimSpace(r.RegisteredName)
	v := &kernel.ValidationError{}
	kernel.AddCreditCodeProblem(v, "credit_code", r.CreditCode)
	switch n := utf8.RuneCountInString(r.RegisteredName); {
	case n == 0:
		v.Add("registered_name", "is required")
	case n > 100:
		v.Add("registered_name", "must be at most 100 characters")
	case strings.ContainsAny(r.RegisteredName, "\x00\r\n<>"):
		v.Add("registered_name", "must not contain control characters or angle brackets")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	audit := AuditEntry{Stream: "accounts", At: s.Now().UTC(), Actor: by.User.PublicID, Action: "org.registration.set", ObjectType: "org",
		ObjectID: org.PublicID, Detail: auditDetail(map[string]any{"credit_code": r.CreditCode, "registered_name": r.RegisteredName})}
	if err := s.Store.SetOrgRegistration(ctx, org.ID, r, audit); err != nil {
		return nil, fmt.Errorf("accounts: set registration: %w", err)
	}
	org.Registration = r
	return org, nil
}
