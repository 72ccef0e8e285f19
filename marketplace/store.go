package marketplace

import (
	"context"

	"github.com/jiujinan/jiujinan/kernel"
)

// AccountStore keeps users, organizations and memberships. Methods that
// change something take the audit entry to append in the same transaction.
type AccountStore interface {
	// CreateUser stores u with its memberships; ErrConflict when the e-mail is taken.
	CreateUser(ctx context.Context, u *kernel.User, ms []kernel.Membership, audit AuditEntry) error
	// UserByEmail returns ErrNotFound when no user has that (normalized) e-mail.
	UserByEmail(ctx context.Context, email string) (*kernel.User, error)
	// Principal loads a user and their memberships by public id; ErrNotFound.
	Principal(ctx context.Context, userPublicID string) (*kernel.Principal, error)
	// EndSessions moves the user's session version on, so that every token
	// issued before stops working.
	EndSessions(ctx context.Context, userID int64) error
	// CreateOrg stores o.
	CreateOrg(ctx context.Context, o *kernel.Org, audit AuditEntry) error
	// OrgByPublicID returns ErrNotFound when there is no such organization.
	OrgByPublicID(ctx context.Context, publicID string) (*kernel.Org, error)
	// ListOrgs returns organizations by creation.
	ListOrgs(ctx context.Context) ([]kernel.Org, error)
	// SetOrgCollection replaces the organization's collection account.
	SetOrgCollection(ctx context.Context, orgID int64, a kernel.CollectionAccount, audit AuditEntry) error
	// SetOrgRegistration replaces the organization's credit code and
	// registered name (orgregistration.go).
	SetOrgRegistration(ctx context.Context, orgID int64, r kernel.OrgRegistration, audit AuditEntry) error
	// OrgMembers lists the accounts holding a role in the organization,
	// in the order they were added.
	OrgMembers(ctx context.Context, orgID int64) ([]OrgMember, error)
	// OrgMemberCounts counts the memberships of every organization that
	// has any, by organization row id.
	OrgMemberCounts(ctx context.Context) (map[int64]int, error)
	// CountAdmins counts users holding the admin role.
	CountAdmins(ctx context.Context) (int64, error)
}

// AuditReader reads the audit log for verification.
type AuditReader interface {
	// AuditStreams lists every stream with its head (seq and hash).
	AuditStreams(ctx context.Context) ([]AuditHead, error)
	// AuditEntries returns one stream's entries in Seq order.
	AuditEntries(ctx context.Context, stream string) ([]AuditEntry, error)
}

// AuditHead is the tip of one chain.
type AuditHead struct {
	Stream string
	Seq    int64
	Hash   string
}
