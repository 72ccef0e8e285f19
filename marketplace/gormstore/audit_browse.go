package gormstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/sqldb"
)

var _ marketplace.AuditBrowser = (*Store)(nil)

// BrowseAudit implements marketplace.AuditBrowser. It walks the log's
// primary key backwards (the order entries were written) and stops at the
// limit, so a page costs the rows it skips, not the log's size; a chain or
// an object is looked up by its index. The region scope is a set of chain
// names built from the needs, reports, claims and service pledges of the
// regions, which each database builds once per query.
func (s *Store) BrowseAudit(ctx context.Context, q marketplace.AuditQuery) ([]marketplace.AuditRecord, error) {
	if q.Regions != nil && len(q.Regions) == 0 {
		return nil, nil
	}
	var (
		where []string
		args  []any
	)
	if q.Before > 0 {
		where, args = append(where, "a.id < ?"), append(args, q.Before)
	}
	if q.Stream != "" {
		where, args = append(where, "a.stream = ?"), append(args, q.Stream)
	}
	if q.ObjectID != "" {
		where, args = append(where, "a.object_id = ?"), append(args, q.ObjectID)
	}
	if q.Actor != "" {
		where, args = append(where, "a.actor = ?"), append(args, q.Actor)
	}
	if q.Action != "" {
		if strings.HasSuffix(q.Action, ".") {
			where, args = append(where, "SUBSTR(a.action, 1, ?) = ?"), append(args, len(q.Action), q.Action)
		} else {
			where, args = append(where, "a.action = ?"), append(args, q.Action)
		}
	}
	if !q.From.IsZero() {
		where, args = append(where, "a.at_us >= ?"), append(args, q.From.UnixMicro())
	}
	if !q.To.IsZero() {
		where, args = append(where, "a.at_us < ?"), append(args, q.To.UnixMicro())
	}
	if q.Regions != nil {
		w, a := s.auditRegionScope(q.Regions)
		where, args = append(where, w), append(args, a...)
	}
	sql := "SELECT a.id, a.stream, a.seq, a.at_us, a.actor, a.action, a.object_type, a.object_id, a.detail, a.prev_hash, a.hash FROM audit_log a"
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	sql += " ORDER BY a.id DESC LIMIT ?"
	args = append(args, q.Limit)
	var rows []auditRow
	if err := s.db.WithContext(ctx).Raw(sql, args...).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]marketplace.AuditRecord, len(rows))
	for i, r := range rows {
		out[i] = marketplace.AuditRecord{Key: r.ID, AuditEntry: marketplace.AuditEntry{Stream: r.Stream, Seq: r.Seq, At: unixMicro(r.AtUs),
			Actor: r.Actor, Action: r.Action, ObjectType: r.ObjectType, ObjectID: r.ObjectID, Detail: r.Detail, PrevHash: r.PrevHash, Hash: r.Hash}}
	}
	return out, nil
}

// auditRegionScope is the condition keeping the chains about places inside
// one of the region prefixes: a need's chain and those of the claims and
// service pledges on it by the need's region, a report's by its region,
// and the charity aid exports by the region exported. Each entry is
// checked by one lookup of its chain's subject by public id (a unique
// index), so that walking the log newest first stays a walk: no set of
// the region's chains is built first.
func (s *Store) auditRegionScope(regions []string) (string, []any) {
	var args []any
	in := func(col string) string {
		parts := make([]string, len(regions))
		for i, r := range regions {
			parts[i] = col + " LIKE ?"
			args = append(args, likePrefix(r))
		}
		return "(" + strings.Join(parts, " OR ") + ")"
	}
	// subject is the public id in a chain's name after prefix, in the
	// collation of the subjects' tables on MySQL (the log's is binary), so
	// that their unique index serves the lookup.
	subject := func(prefix string) string {
		e := fmt.Sprintf("SUBSTR(a.stream, %d)", len(prefix)+1)
		if s.dialect == sqldb.MySQL {
			return "CONVERT(" + e + " USING utf8mb4) COLLATE utf8mb4_unicode_ci"
		}
		return e
	}
	chain := func(prefix, exists string) string {
		return "(SUBSTR(a.stream, 1, " + fmt.Sprint(len(prefix)) + ") = '" + prefix + "' AND EXISTS (" + exists + "))"
	}
	parts := []string{
		chain("need:", "SELECT 1 FROM needs n WHERE n.public_id = "+subject("need:")+" AND "+in("n.region_code")),
		chain("report:", "SELECT 1 FROM reports r WHERE r.public_id = "+subject("report:")+" AND "+in("r.region_code")),
		chain("claim:", "SELECT 1 FROM volunteer_claims c JOIN needs n ON n.id = c.need_id WHERE c.public_id = "+subject("claim:")+" AND "+in("n.region_code")),
		chain("service_pledge:", "SELECT 1 FROM service_pledges p JOIN needs n ON n.id = p.need_id WHERE p.public_id = "+subject("service_pledge:")+" AND "+in("n.region_code")),
		"(a.stream = 'charity-aid' AND " + in("a.object_id") + ")",
	}
	return "(" + strings.Join(parts, " OR ") + ")", args
}

// AuditActors implements marketplace.AuditBrowser.
func (s *Store) AuditActors(ctx context.Context, ids []string) (map[string]marketplace.AuditActor, error) {
	out := map[string]marketplace.AuditActor{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		PublicID    string
		DisplayName string
		Role        *string
	}
	if err := s.db.WithContext(ctx).Raw(`SELECT u.public_id, u.display_name, m.role FROM users u LEFT JOIN memberships m ON m.user_id = u.id
		WHERE u.public_id IN ? ORDER BY u.id, m.id`, ids).Scan(&rows).Error; err != nil {
		return nil, err
	}
	for _, r := range rows {
		a := out[r.PublicID]
		a.Name = r.DisplayName
		if r.Role != nil {
			role := kernel.Role(*r.Role)
			dup := false
			for _, x := range a.Roles {
				dup = dup || x == role
			}
			if !dup {
				a.Roles = append(a.Roles, role)
			}
		}
		out[r.PublicID] = a
	}
	return out, nil
}
