package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
)

// The auditor's browser of the audit log, by API (GET /api/v1/audit-log)
// and page (GET /audit/log), both with a CSV export: who did what to which
// object and when, newest first, with each entry's place in its chain. The
// scope is marketplace.AuditLog's: the chains about places inside the
// auditor's organization's region.

// auditFamilies are the actions an auditor filters by, in families (an
// action's family is the part before its first dot). Each action is worded
// by the catalogue as auditlog_act_<action with underscores>.
var auditFamilies = []auditFamily{
	{"need", []string{"need.submit", "need.clearance", "need.correct", "need.publish", "need.objection", "need.objection.upheld",
		"need.objection.dismissed", "need.update", "need.confirm_still_needed", "need.funded", "need.disbursed", "need.reopened",
		"need.withdraw", "need.close", "need.review", "need.escalated"}},
	{"screening", []string{"screening.acknowledge", "screening.override", "screening.uphold"}},
	{"referral", []string{"referral.accepted", "referral.closed"}},
	{"report", []string{"report.submit", "report.contact.reveal", "report.accepted", "report.need_posted", "report.no_action", "report.escalated"}},
	{"claim", []string{"claim.create", "claim.approve", "claim.reject", "claim.release", "claim.contact.reveal"}},
	{"service_pledge", []string{"service_pledge.create", "service_pledge.accepted", "service_pledge.declined", "service_pledge.log"}},
	{"charity_aid", []string{"charity_aid.export"}},
}

type auditFamily struct {
	Name    string
	Actions []string
}

// Value is the family's filter value: its actions' common prefix.
func (f auditFamily) Value() string { return f.Name + "." }

var (
	auditActionRe = regexp.MustCompile(`^[a-z_]+(\.[a-z_]+)*\.?$`)
	auditIDRe     = regexp.MustCompile(`^[A-Za-z0-9_-]+(:[A-Za-z0-9_-]+)?$`)
)

// auditLogFilter is the browser's query as it was sent.
type auditLogFilter struct {
	Stream, Object, Action, Actor, From, To string
}

// values are the filter's query parameters.
func (f auditLogFilter) values() url.Values {
	return url.Values{"stream": {f.Stream}, "object": {f.Object}, "action": {f.Action}, "actor": {f.Actor}, "from": {f.From}, "to": {f.To}}
}

// auditLogQuery reads the filters and the cursor of a request.
func auditLogQuery(c echo.Context) (auditLogFilter, marketplace.AuditQuery, error) {
	f := auditLogFilter{Stream: c.QueryParam("stream"), Object: c.QueryParam("object"), Action: c.QueryParam("action"),
		Actor: c.QueryParam("actor"), From: c.QueryParam("from"), To: c.QueryParam("to")}
	q := marketplace.AuditQuery{Stream: f.Stream, ObjectID: f.Object, Action: f.Action, Actor: f.Actor}
	v := &kernel.ValidationError{}
	for name, s := range map[string]string{"stream": f.Stream, "object": f.Object, "actor": f.Actor} {
		if s != "" && (len(s) > 100 || !auditIDRe.MatchString(s)) {
			v.Add(name, "is not an id of the audit log")
		}
	}
	if f.Action != "" && (len(f.Action) > 64 || !auditActionRe.MatchString(f.Action)) {
		v.Add("action", "is not an action of the audit log")
	}
	from, to, err := browsePeriod(c)
	var ve *kernel.ValidationError
	if errors.As(err, &ve) {
		v.Merge(ve)
	}
	q.From, q.To = from, to
	if q.Before, err = browseCursor(c); errors.As(err, &ve) {
		v.Merge(ve)
	}
	return f, q, v.Err()
}

// auditLog is the auditor's reading of the log, or nil when the store keeps
// no browsable log.
func (s *Server) auditLog() *marketplace.AuditLog {
	b, ok := s.Accounts.Store.(marketplace.AuditBrowser)
	if !ok {
		return nil
	}
	d := s.Divisions
	if d == nil {
		d = s.pages.div
	}
	return &marketplace.AuditLog{Store: b, Divisions: d}
}

// auditLogRow is one entry as the browsers show it.
type auditLogRow struct {
	marketplace.AuditRecord
	// ActorKind is user, system, cli (the host's command line), anonymous
	// or unknown (an id no user has).
	ActorKind  string
	ActorName  string
	ActorRoles []kernel.Role
	// Subject is the kind of thing the entry's chain is about (need,
	// report, claim, service_pledge, charity-aid, accounts, volunteer) and
	// SubjectID its public id ("" for a chain of its own).
	Subject, SubjectID string
	// NeedTitle is the public title of the need of a need's chain; "" when
	// the need is not public.
	NeedTitle string
	// From and To are the need statuses a move recorded ("" for none).
	From, To kernel.NeedStatus
	// Region is the region exported by a charity aid export.
	Region string
	detail json.RawMessage
}

// auditLogRows reads a page of entries and names their actors and needs.
func (s *Server) auditLogRows(ctx context.Context, log *marketplace.AuditLog, by *kernel.Principal, q marketplace.AuditQuery) ([]auditLogRow, error) {
	rs, err := log.Browse(ctx, by, q)
	if err != nil {
		return nil, err
	}
	var actors, needs []string
	rows := make([]auditLogRow, len(rs))
	for i, r := range rs {
		row := auditLogRow{AuditRecord: r, detail: json.RawMessage("{}")}
		row.Subject, row.SubjectID = marketplace.StreamSubject(r.Stream)
		if row.Subject == "need" {
			needs = append(needs, row.SubjectID)
			var d struct{ From, To kernel.NeedStatus }
			if json.Unmarshal([]byte(r.Detail), &d) == nil && d.From != d.To {
				row.From, row.To = d.From, d.To
			}
		}
		if r.Stream == "charity-aid" {
			row.Region = r.ObjectID
		}
		if json.Valid([]byte(r.Detail)) && strings.HasPrefix(strings.TrimSpace(r.Detail), "{") {
			row.detail = json.RawMessage(r.Detail)
		}
		actors = append(actors, r.Actor)
		rows[i] = row
	}
	names, err := log.Actors(ctx, actors)
	if err != nil {
		return nil, err
	}
	titles, err := s.needTitles(ctx, needs)
	if err != nil {
		return nil, err
	}
	for i := range rows {
		r := &rows[i]
		switch a, ok := names[r.Actor]; {
		case r.Actor == marketplace.ActorSystem:
			r.ActorKind = "system"
		case r.Actor == "anonymous":
			r.ActorKind = "anonymous"
		case r.Actor == "cli":
			r.ActorKind = "cli"
		case ok:
			r.ActorKind, r.ActorName, r.ActorRoles = "user", a.Name, a.Roles
		default:
			r.ActorKind = "unknown"
		}
		if r.Subject == "need" {
			r.NeedTitle = titles[r.SubjectID]
		}
	}
	return rows, nil
}

// auditLogJSON is an entry in the API's answer.
type auditLogJSON struct {
	Stream      string          `json:"stream"`
	Seq         int64           `json:"seq"`
	At          time.Time       `json:"at"`
	Action      string          `json:"action"`
	ActorID     string          `json:"actor_id"`
	ActorKind   string          `json:"actor_kind"`
	ActorName   string          `json:"actor_name,omitempty"`
	ActorRoles  []kernel.Role   `json:"actor_roles"`
	ObjectType  string          `json:"object_type"`
	ObjectID    string          `json:"object_id"`
	SubjectType string          `json:"subject_type"`
	SubjectID   string          `json:"subject_id,omitempty"`
	NeedTitle   string          `json:"need_title,omitempty"`
	FromStatus  string          `json:"from_status,omitempty"`
	ToStatus    string          `json:"to_status,omitempty"`
	Detail      json.RawMessage `json:"detail"`
	PrevHash    string          `json:"prev_hash"`
	Hash        string          `json:"hash"`
}

func toAuditLogJSON(r auditLogRow) auditLogJSON {
	roles := r.ActorRoles
	if roles == nil {
		roles = []kernel.Role{}
	}
	return auditLogJSON{Stream: r.Stream, Seq: r.Seq, At: r.At, Action: r.Action, ActorID: r.Actor, ActorKind: r.ActorKind,
		ActorName: r.ActorName, ActorRoles: roles, ObjectType: r.ObjectType, ObjectID: r.ObjectID, SubjectType: r.Subject,
		SubjectID: r.SubjectID, NeedTitle: r.NeedTitle, FromStatus: string(r.From), ToStatus: string(r.To), Detail: r.detail,
		PrevHash: r.PrevHash, Hash: r.Hash}
}

// handleAuditLogList answers GET /api/v1/audit-log: a page of entries as
// JSON with the cursor of the next, or the whole filtered list as CSV.
func (s *Server) handleAuditLogList(c echo.Context) error {
	log := s.auditLog()
	if log == nil {
		return echo.ErrNotFound
	}
	asCSV, err := browseFormat(c)
	if err != nil {
		return err
	}
	limit, err := browseLimit(c)
	if err != nil {
		return err
	}
	_, q, err := auditLogQuery(c)
	if err != nil {
		return err
	}
	if asCSV {
		return s.sendAuditLogCSV(c, log, q)
	}
	q.Limit = limit + 1
	rows, err := s.auditLogRows(c.Request().Context(), log, PrincipalOf(c), q)
	if err != nil {
		return err
	}
	out := map[string]any{}
	if len(rows) > limit {
		rows = rows[:limit]
		out["next"] = cursorOf(rows[len(rows)-1].Key)
	}
	items := make([]auditLogJSON, len(rows))
	for i, r := range rows {
		items[i] = toAuditLogJSON(r)
	}
	out["items"] = items
	return c.JSON(http.StatusOK, out)
}

// sendAuditLogCSV writes every entry q selects (up to browseCSVMax) as CSV,
// worded in Chinese.
func (s *Server) sendAuditLogCSV(c echo.Context, log *marketplace.AuditLog, q marketplace.AuditQuery) error {
	ctx, by := c.Request().Context(), PrincipalOf(c)
	p := s.zhPage()
	var out [][]string
	for len(out) < browseCSVMax {
		q.Limit = min(browseMaxPerPage, browseCSVMax-len(out))
		rows, err := s.auditLogRows(ctx, log, by, q)
		if err != nil {
			return err
		}
		for _, r := range rows {
			out = append(out, []string{chinaDateTime(r.At), p.AuditActor(r), p.AuditRoles(r.ActorRoles), p.AuditAction(r.Action),
				p.AuditStatusMove(r), p.AuditSubject(r), r.SubjectID, r.Stream, itoa(r.Seq), r.Hash})
		}
		if len(rows) < q.Limit {
			break
		}
		q.Before = rows[len(rows)-1].Key
	}
	header := []string{s.zhT("auditlog_col_at"), s.zhT("auditlog_col_who"), s.zhT("auditlog_col_role"), s.zhT("auditlog_col_what"),
		s.zhT("auditlog_col_move"), s.zhT("auditlog_col_object"), s.zhT("auditlog_col_object_id"), s.zhT("auditlog_col_chain"),
		s.zhT("auditlog_col_seq"), s.zhT("auditlog_col_hash")}
	return sendCSV(c, "audit-log-"+s.now().In(kernel.ChinaTime).Format("20060102")+".csv", header, out, map[int]bool{8: true})
}

// auditLogPage is the page's view.
type auditLogPage struct {
	Filter   auditLogFilter
	Families []auditFamily
	Rows     []auditLogRow
	// Next is the link to older entries, Newest back to the newest page
	// ("" when there is none: the first page).
	Next, Newest string
	// CSV is the export of the filtered list.
	CSV string
	// Chips are the filters by chain, object and actor, each with the link
	// that drops it.
	Chips []auditChip
	Error string
}

// auditChip is one filter the page shows as a chip.
type auditChip struct {
	// Kind is stream, object or actor; Label what the page calls it.
	Kind, Label, Drop string
}

// handleAuditLogPage is GET /audit/log: the filter form, a page of entries
// and the CSV link; ?format=csv downloads the filtered list.
func (s *Server) handleAuditLogPage(c echo.Context) error {
	log := s.auditLog()
	if log == nil {
		return echo.ErrNotFound
	}
	f, q, err := auditLogQuery(c)
	d := auditLogPage{Filter: f, Families: auditFamilies}
	var ve *kernel.ValidationError
	if errors.As(err, &ve) {
		d.Error = s.pageT(c, "auditlog_bad_filter")
		return s.render(c, http.StatusBadRequest, "audit_log", d)
	}
	if c.QueryParam("format") == "csv" {
		return s.sendAuditLogCSV(c, log, q)
	}
	q.Limit = browsePerPage + 1
	rows, err := s.auditLogRows(c.Request().Context(), log, PrincipalOf(c), q)
	if err != nil {
		return err
	}
	var last int64
	if more := len(rows) > browsePerPage; more {
		rows = rows[:browsePerPage]
		last = rows[len(rows)-1].Key
	}
	d.Next, d.Newest, d.CSV = browseLinks("/audit/log", f.values, last, q.Before)
	d.Rows = rows
	d.Chips = s.auditChips(c, log, f, rows)
	return s.render(c, http.StatusOK, "audit_log", d)
}

// auditChips names the chain, object and actor filters: a need by its
// title, an actor by name and role, as in the rows.
func (s *Server) auditChips(c echo.Context, log *marketplace.AuditLog, f auditLogFilter, rows []auditLogRow) []auditChip {
	drop := func(name string) string {
		v := f.values()
		v.Del(name)
		return browseLink("/audit/log", v)
	}
	var out []auditChip
	if f.Stream != "" {
		label := f.Stream
		kind, id := marketplace.StreamSubject(f.Stream)
		if kind == "need" {
			label = s.pageT(c, "need_generic_title")
			if t, err := s.needTitles(c.Request().Context(), []string{id}); err == nil && t[id] != "" {
				label = t[id]
			}
		}
		out = append(out, auditChip{"stream", label, drop("stream")})
	}
	if f.Object != "" {
		out = append(out, auditChip{"object", f.Object, drop("object")})
	}
	if f.Actor != "" {
		label := s.pageT(c, "auditlog_actor_unknown")
		for _, r := range rows {
			if r.Actor == f.Actor {
				label = s.pageFor(c).AuditActor(r)
				break
			}
		}
		out = append(out, auditChip{"actor", label, drop("actor")})
	}
	return out
}

// AuditAction words an action from the catalogue (auditlog_act_…), or
// calls it another action when the catalogue does not know it.
func (p *page) AuditAction(action string) string {
	key := "auditlog_act_" + strings.NewReplacer(".", "_").Replace(action)
	if s := p.T(key); s != key {
		return s
	}
	return p.T("auditlog_act_other")
}

// AuditFamily words a family of actions.
func (p *page) AuditFamily(name string) string { return p.T("auditlog_fam_" + name) }

// AuditActor names who made an entry: a staff member by name, a donor or
// volunteer by role, the system, the public, or an unknown user; never by
// user id.
func (p *page) AuditActor(r auditLogRow) string {
	switch {
	case r.ActorKind == "user" && r.ActorName != "":
		return r.ActorName
	case r.ActorKind == "user":
		return p.AuditRoles(r.ActorRoles)
	case r.ActorKind == "system":
		return p.T("auditlog_actor_system")
	case r.ActorKind == "anonymous":
		return p.T("auditlog_actor_anonymous")
	case r.ActorKind == "cli":
		return p.T("auditlog_actor_cli")
	}
	return p.T("auditlog_actor_unknown")
}

// AuditRoles words roles, joined.
func (p *page) AuditRoles(roles []kernel.Role) string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = p.T("auditlog_role_" + string(r))
	}
	return strings.Join(out, p.T("auditlog_list_sep"))
}

// AuditSubject names what an entry's chain is about: a need by its public
// title (or generically when it is not public), a charity aid export by
// its region, the others by their kind.
func (p *page) AuditSubject(r auditLogRow) string {
	switch r.Subject {
	case "need":
		if r.NeedTitle != "" {
			return r.NeedTitle
		}
		return p.T("need_generic_title")
	case "charity-aid":
		return p.Tf("auditlog_subject_charity_aid", "Region", p.Region(r.Region))
	}
	key := "auditlog_subject_" + strings.ReplaceAll(r.Subject, "-", "_")
	if s := p.T(key); s != key {
		return s
	}
	return p.T("auditlog_subject_other")
}

// AuditStatusMove words the need's move an entry recorded ("" for none).
func (p *page) AuditStatusMove(r auditLogRow) string {
	if r.From == "" || r.To == "" {
		return ""
	}
	return p.Status(r.From) + " → " + p.Status(r.To)
}

// ShortHash is the start of a chain hash, enough to compare by eye.
func (p *page) ShortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// With is the link to the page filtered as f and by name = value, from the
// newest entry.
func (f auditLogFilter) With(name, value string) string {
	v := f.values()
	v.Set(name, value)
	return browseLink("/audit/log", v)
}
