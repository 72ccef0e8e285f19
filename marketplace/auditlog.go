package marketplace

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// The auditor's browser of the audit log: the entries of the chains about
// places inside the auditor's organization's region, newest first, filtered
// and paged by key. The chain checks (VerifyChain) still read every chain;
// this is for reading what happened.

// AuditQuery selects audit entries, newest first (in the order they were
// written).
type AuditQuery struct {
	// Stream keeps one chain ("need:01J…").
	Stream string
	// ObjectID keeps the entries about one object (a need, a screening, a
	// report…: AuditEntry.ObjectID).
	ObjectID string
	// Action keeps one action ("need.clearance"), or a family of them when
	// it ends with a dot ("screening.").
	Action string
	// Actor keeps the entries of one user (public id), or "system".
	Actor string
	// From and To bound At: From ≤ At < To; zero is unbounded.
	From, To time.Time
	// Regions, when not nil, keeps only the entries of chains about places
	// inside one of these region prefixes: needs (and the volunteers'
	// claims and service pledges on them) by the need's region, active
	// discovery reports by theirs, and charity aid exports by the region
	// exported. An empty, non-nil list keeps nothing.
	Regions []string
	// Before keeps the entries written before the one with this key
	// (AuditRecord.Key): the next page. 0 starts from the newest.
	Before int64
	// Limit is the most entries returned (1..1000).
	Limit int
}

// AuditRecord is an entry found by BrowseAudit, with its key for paging.
type AuditRecord struct {
	AuditEntry
	Key int64
}

// AuditActor names the user behind an entry's actor.
type AuditActor struct {
	// Name is the display name of a staff member; empty for donors and
	// volunteers, whose names are theirs (the role says who acted).
	Name  string
	Roles []kernel.Role
}

// AuditBrowser pages through the audit log.
type AuditBrowser interface {
	// BrowseAudit returns the entries q selects, newest first, at most
	// q.Limit.
	BrowseAudit(ctx context.Context, q AuditQuery) ([]AuditRecord, error)
	// AuditActors names the users with these public ids (display name and
	// roles); unknown ids are left out.
	AuditActors(ctx context.Context, ids []string) (map[string]AuditActor, error)
}

// AuditorRegions returns the region prefixes of the organizations in which p
// is an auditor: the places whose audit entries p may browse (see
// AuditQuery.Regions). None for anyone else.
func AuditorRegions(d *kernel.Divisions, p *kernel.Principal) []string {
	var out []string
	for _, o := range p.OrgsWith(kernel.RoleAuditor) {
		out = append(out, regionPrefix(d, o.RegionCode))
	}
	return out
}

// AuditLog is the auditor's reading of the audit log.
type AuditLog struct {
	Store     AuditBrowser
	Divisions *kernel.Divisions
}

// maxAuditPage bounds one page of the browser.
const maxAuditPage = 1000

// Browse returns the entries q selects within by's scope: the chains about
// places inside the regions of the organizations in which by is an auditor
// (AuditorRegions). ErrForbidden for anyone who is no organization's
// auditor; ValidationError for a bad limit or range.
func (l *AuditLog) Browse(ctx context.Context, by *kernel.Principal, q AuditQuery) ([]AuditRecord, error) {
	regions := AuditorRegions(l.Divisions, by)
	if len(regions) == 0 {
		return nil, kernel.ErrForbidden
	}
	v := &kernel.ValidationError{}
	if q.Limit <= 0 || q.Limit > maxAuditPage {
		v.Add("limit", "must be between 1 and %d", maxAuditPage)
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		v.Add("to", "must be after from")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	q.Regions = regions
	rs, err := l.Store.BrowseAudit(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("audit log: browse: %w", err)
	}
	return rs, nil
}

// staffRoles are the roles whose holders act in the log under their name.
var staffRoles = []kernel.Role{kernel.RoleSocialWorker, kernel.RoleVerifier, kernel.RoleFederationStaff, kernel.RoleAuditor, kernel.RoleAdmin}

// Actors names the actors of entries: staff by display name and roles,
// donors and volunteers by role only.
func (l *AuditLog) Actors(ctx context.Context, ids []string) (map[string]AuditActor, error) {
	var users []string
	seen := map[string]bool{}
	for _, id := range ids {
		if id == "" || seen[id] || id == ActorSystem || id == "anonymous" || id == "cli" {
			continue
		}
		seen[id] = true
		users = append(users, id)
	}
	if len(users) == 0 {
		return map[string]AuditActor{}, nil
	}
	as, err := l.Store.AuditActors(ctx, users)
	if err != nil {
		return nil, fmt.Errorf("audit log: actors: %w", err)
	}
	for id, a := range as {
		staff := false
		for _, r := range a.Roles {
			for _, s := range staffRoles {
				staff = staff || r == s
			}
		}
		if !staff {
			a.Name = ""
			as[id] = a
		}
	}
	return as, nil
}

// StreamSubject splits a chain's name into the kind of thing it is about
// and that thing's public id: "need:01J…" → ("need", "01J…"); a chain of
// its own ("accounts", "charity-aid") has no id.
func StreamSubject(stream string) (kind, id string) {
	kind, id, _ = strings.Cut(stream, ":")
	return kind, id
}
