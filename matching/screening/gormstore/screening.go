package gormstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	rstore "github.com/jiujinan/jiujinan/matching/record/gormstore"

	"github.com/jiujinan/jiujinan/matching/screening"

	"github.com/jiujinan/jiujinan/matching/record"

	"github.com/jiujinan/jiujinan/kernel"

	"gorm.io/gorm"

	"github.com/jiujinan/jiujinan/marketplace"
	mgorm "github.com/jiujinan/jiujinan/marketplace/gormstore"
	"github.com/jiujinan/jiujinan/sqldb"
)

// Screenings implements screening.Store: screenings, overrides and
// referrals, and the reads of the needs table screening makes.
type Screenings struct {
	db      *gorm.DB
	sql     *sql.DB
	dialect sqldb.Dialect

	record *rstore.Store
	// needs writes the need's screening outcome (the needs store owns the
	// needs table).
	needs *mgorm.NeedScreeningWriter

	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

// NewScreenings returns the screening store over db.
//
// Its statements are prepared once per connection and reused: screening
// runs before every allocation and must stay fast (docs/benchmarks/screening.md).
func NewScreenings(db *sqldb.DB) *Screenings {
	return &Screenings{db: db.Gorm, sql: db.SQL(), dialect: db.Dialect, record: rstore.New(db),
		needs: mgorm.NewNeedScreeningWriter(db.SQL()), stmts: map[string]*sql.Stmt{}}
}

// stmt returns the prepared statement for q, preparing it on first use.
// The hot path (a screening before every allocation) goes through these
// and database/sql directly: gorm's reflection and SQLite's parsing of
// each statement cost more than the queries themselves.
func (s *Screenings) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.stmts[q]; ok {
		return st, nil
	}
	st, err := s.sql.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	s.stmts[q] = st
	return st, nil
}

// dbTime scans a DATETIME column, which the SQLite driver may hand over as
// text and MySQL as a time.
type dbTime struct{ T time.Time }

func (d *dbTime) Scan(v any) error {
	switch x := v.(type) {
	case time.Time:
		d.T = x.UTC()
		return nil
	case nil:
		d.T = time.Time{}
		return nil
	case []byte:
		return d.parse(string(x))
	case string:
		return d.parse(x)
	}
	return fmt.Errorf("time column holds %T", v)
}

func (d *dbTime) parse(s string) error {
	for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			d.T = t.UTC()
			return nil
		}
	}
	return fmt.Errorf("cannot read time %q", s)
}

var _ screening.Store = (*Screenings)(nil)

type screeningRow struct {
	ID                int64 `gorm:"primaryKey"`
	PublicID          string
	NeedID            int64
	Stage             string
	Result            string
	Checks            string
	AmountFen         int64
	BlockFingerprint  string
	WarnFingerprint   string
	Overridden        bool
	Latest            bool
	Decision          string
	DecidedBy         string
	DecidedAt         *time.Time
	DecisionReasonCt  []byte
	DecisionReasonKid string
	At                time.Time
	// NeedPublicID is read from the needs table in queries that join it.
	NeedPublicID string `gorm:"->"`
}

func (screeningRow) TableName() string { return "screenings" }

type overrideRow struct {
	ID          int64 `gorm:"primaryKey"`
	NeedID      int64
	ScreeningID int64
	Verifier    string
	ReasonCt    []byte
	ReasonKid   string
	Fingerprint string
	CreatedAt   time.Time
}

func (overrideRow) TableName() string { return "screening_overrides" }

type referralRow struct {
	ID        int64 `gorm:"primaryKey"`
	PublicID  string
	NeedID    int64
	Programme string
	Reason    string
	Status    string
	TakenBy   string
	NotesCt   []byte
	NotesKid  string
	CreatedAt time.Time
	UpdatedAt time.Time
	ClosedAt  *time.Time
	// NeedPublicID and NeedRegionCode are read from the needs table in
	// queries that join it.
	NeedPublicID   string `gorm:"->"`
	NeedRegionCode string `gorm:"->"`
}

func (referralRow) TableName() string { return "referrals" }

// needRow is the part of a needs row screening reads.
type needRow struct {
	ID                 int64
	PublicID           string
	OrgPublicID        string
	RegionCode         string
	Pseudonym          string
	Status             string
	Category           string
	CostFrom           time.Time
	CostTo             time.Time
	VerifiedCostFen    int64
	StatutoryReliefFen int64
	RequestedFen       int64
	FundedFen          int64
	HouseholdTypes     string
	Version            int64
}

const needColumns = `n.id, n.public_id, o.public_id AS org_public_id, n.region_code, n.pseudonym, n.status, n.category, n.cost_from, n.cost_to,
	n.verified_cost_fen, n.statutory_relief_fen, n.requested_fen, n.funded_fen, n.household_types, n.version`

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func (r needRow) domain() screening.Need {
	n := screening.Need{ID: r.PublicID, Pseudonym: r.Pseudonym, Status: kernel.NeedStatus(r.Status),
		Category: kernel.Category(r.Category), Period: screening.Period{From: r.CostFrom.UTC(), To: r.CostTo.UTC()},
		VerifiedCostFen: r.VerifiedCostFen, StatutoryReliefFen: r.StatutoryReliefFen, RequestedFen: r.RequestedFen, FundedFen: r.FundedFen}
	for _, h := range splitList(r.HouseholdTypes) {
		n.HouseholdTypes = append(n.HouseholdTypes, kernel.HouseholdType(h))
	}
	return n
}

func (r needRow) summary() screening.NeedSummary {
	return screening.NeedSummary{ID: r.PublicID, OrgID: r.OrgPublicID, Status: kernel.NeedStatus(r.Status), Category: kernel.Category(r.Category),
		From: r.CostFrom.UTC(), To: r.CostTo.UTC(), VerifiedCostFen: r.VerifiedCostFen, StatutoryReliefFen: r.StatutoryReliefFen,
		RequestedFen: r.RequestedFen, FundedFen: r.FundedFen, RegionCode: r.RegionCode}
}

func (s *Screenings) queryNeeds(ctx context.Context, where string, arg any) ([]needRow, error) {
	st, err := s.stmt(ctx, `SELECT `+needColumns+` FROM needs n JOIN organizations o ON o.id = n.org_id WHERE `+where+` ORDER BY n.id`)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx, arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []needRow
	for rows.Next() {
		var r needRow
		var from, to dbTime
		if err := rows.Scan(&r.ID, &r.PublicID, &r.OrgPublicID, &r.RegionCode, &r.Pseudonym, &r.Status, &r.Category, &from, &to,
			&r.VerifiedCostFen, &r.StatutoryReliefFen, &r.RequestedFen, &r.FundedFen, &r.HouseholdTypes, &r.Version); err != nil {
			return nil, err
		}
		r.CostFrom, r.CostTo = from.T, to.T
		out = append(out, r)
	}
	return out, rows.Err()
}

// NeedForScreening implements screening.Store.
func (s *Screenings) NeedForScreening(ctx context.Context, publicID string) (*screening.ScreenedNeed, error) {
	rows, err := s.queryNeeds(ctx, "n.public_id = ?", publicID)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, kernel.ErrNotFound
	}
	return &screening.ScreenedNeed{Key: rows[0].ID, OrgID: rows[0].OrgPublicID, RegionCode: rows[0].RegionCode, Need: rows[0].domain()}, nil
}

// NeedWithPerson implements screening.Store.
func (s *Screenings) NeedWithPerson(ctx context.Context, publicID string) (*screening.ScreenedNeed, []screening.Need, error) {
	rows, err := s.queryNeeds(ctx, "n.pseudonym = (SELECT x.pseudonym FROM needs x WHERE x.public_id = ?)", publicID)
	if err != nil {
		return nil, nil, err
	}
	var self *screening.ScreenedNeed
	others := make([]screening.Need, 0, len(rows))
	state := make([]kernel.PersonNeedState, 0, len(rows))
	for _, r := range rows {
		state = append(state, kernel.PersonNeedState{ID: r.ID, Version: r.Version, Status: kernel.NeedStatus(r.Status), FundedFen: r.FundedFen})
		if r.PublicID == publicID {
			self = &screening.ScreenedNeed{Key: r.ID, OrgID: r.OrgPublicID, RegionCode: r.RegionCode, Need: r.domain()}
			continue
		}
		others = append(others, r.domain())
	}
	if self == nil {
		return nil, nil, kernel.ErrNotFound
	}
	self.PersonState = kernel.PersonStateOf(state)
	if self.Household, err = s.household(ctx, self.Key); err != nil {
		return nil, nil, err
	}
	return self, others, nil
}

// household reads the household the needs store recorded for a need
// (need_household, migration 00014), in the order it was entered.
func (s *Screenings) household(ctx context.Context, needKey int64) ([]screening.Member, error) {
	st, err := s.stmt(ctx, `SELECT pseudonym, role FROM need_household WHERE need_id = ? ORDER BY ordinal`)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx, needKey)
	if err != nil {
		return nil, fmt.Errorf("household: %w", err)
	}
	defer rows.Close()
	var out []screening.Member
	for rows.Next() {
		var m screening.Member
		if err := rows.Scan(&m.Pseudonym, &m.Role); err != nil {
			return nil, fmt.Errorf("household: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// PaymentsFor implements screening's PaymentReader with the record's own
// store: the statutory payment record is read, never written, here.
func (s *Screenings) PaymentsFor(ctx context.Context, pseudonym string, from, to time.Time) ([]record.Payment, error) {
	return s.record.PaymentsFor(ctx, pseudonym, from, to)
}

// PaymentsForAny implements screening's PaymentReader with the record's
// own store: the payments of a household in one read.
func (s *Screenings) PaymentsForAny(ctx context.Context, pseudonyms []string, from, to time.Time) ([]record.Payment, error) {
	return s.record.PaymentsForAny(ctx, pseudonyms, from, to)
}

// NeedSummaries implements screening.Store.
func (s *Screenings) NeedSummaries(ctx context.Context, publicIDs []string) ([]screening.NeedSummary, error) {
	if len(publicIDs) == 0 {
		return nil, nil
	}
	var rows []needRow
	if err := s.db.WithContext(ctx).Raw(`SELECT `+needColumns+` FROM needs n JOIN organizations o ON o.id = n.org_id WHERE n.public_id IN ?`, publicIDs).
		Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]screening.NeedSummary, len(rows))
	for i, r := range rows {
		out[i] = r.summary()
	}
	return out, nil
}

// OverrideFor implements screening.Store.
func (s *Screenings) OverrideFor(ctx context.Context, needKey int64, fingerprint string) (*screening.Override, error) {
	st, err := s.stmt(ctx, `SELECT need_id, screening_id, verifier, reason_ct, reason_kid, fingerprint, created_at
		FROM screening_overrides WHERE need_id = ? AND fingerprint = ? ORDER BY id DESC LIMIT 1`)
	if err != nil {
		return nil, err
	}
	var o screening.Override
	var at dbTime
	err = st.QueryRowContext(ctx, needKey, fingerprint).Scan(&o.NeedKey, &o.ScreeningKey, &o.Verifier, &o.ReasonCT, &o.ReasonKID, &o.Fingerprint, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kernel.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	o.At = at.T
	return &o, nil
}

func (r screeningRow) domain(needPublicID string) (screening.Record, error) {
	rec := screening.Record{Key: r.ID, NeedKey: r.NeedID, BlockFingerprint: r.BlockFingerprint, WarnFingerprint: r.WarnFingerprint,
		Latest: r.Latest, Decision: screening.Decision(r.Decision), DecidedBy: r.DecidedBy,
		Screening: kernel.Screening{ID: r.PublicID, NeedID: needPublicID, Stage: kernel.ScreeningStage(r.Stage),
			Result: kernel.ScreeningOutcome(r.Result), AmountFen: r.AmountFen, At: r.At.UTC(), Overridden: r.Overridden}}
	if r.DecidedAt != nil {
		t := r.DecidedAt.UTC()
		rec.DecidedAt = &t
	}
	if err := json.Unmarshal([]byte(r.Checks), &rec.Checks); err != nil {
		return rec, fmt.Errorf("screening %s: checks: %w", r.PublicID, err)
	}
	return rec, nil
}

// withNeedIDs loads screening rows with their need's public id.
func (s *Screenings) screenings(ctx context.Context, where string, order string, limit, offset int, args ...any) ([]screening.Record, error) {
	var rows []screeningRow
	q := `SELECT s.*, n.public_id AS need_public_id FROM screenings s JOIN needs n ON n.id = s.need_id WHERE ` + where + ` ORDER BY ` + order
	if limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", limit)
		if offset > 0 {
			q += fmt.Sprintf(" OFFSET %d", offset)
		}
	}
	if err := s.db.WithContext(ctx).Raw(q, args...).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]screening.Record, 0, len(rows))
	for _, r := range rows {
		rec, err := r.domain(r.NeedPublicID)
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, nil
}

// LatestScreening implements screening.Store. The record comes
// without its checks (screening only compares fingerprints and decisions).
func (s *Screenings) LatestScreening(ctx context.Context, needKey int64) (*screening.Record, error) {
	st, err := s.stmt(ctx, `SELECT id, public_id, stage, result, amount_fen, block_fingerprint, warn_fingerprint, overridden, decision, decided_by, decided_at, at
		FROM screenings WHERE need_id = ? AND latest = 1 ORDER BY id DESC LIMIT 1`)
	if err != nil {
		return nil, err
	}
	rec := screening.Record{NeedKey: needKey, Latest: true}
	var stage, result, decision string
	var decided, at dbTime
	err = st.QueryRowContext(ctx, needKey).Scan(&rec.Key, &rec.ID, &stage, &result, &rec.AmountFen, &rec.BlockFingerprint, &rec.WarnFingerprint,
		&rec.Overridden, &decision, &rec.DecidedBy, &decided, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kernel.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	rec.Stage, rec.Result, rec.Decision, rec.At = kernel.ScreeningStage(stage), kernel.ScreeningOutcome(result), screening.Decision(decision), at.T
	if !decided.T.IsZero() {
		t := decided.T
		rec.DecidedAt = &t
	}
	return &rec, nil
}

// Screenings implements screening.Store.
func (s *Screenings) Screenings(ctx context.Context, needKey int64, limit int) ([]screening.Record, error) {
	return s.screenings(ctx, "s.need_id = ?", "s.latest DESC, s.id DESC", limit, 0, needKey)
}

// ScreeningByPublicID implements screening.Store.
func (s *Screenings) ScreeningByPublicID(ctx context.Context, publicID string) (*screening.Record, error) {
	recs, err := s.screenings(ctx, "s.public_id = ?", "s.id", 1, 0, publicID)
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, kernel.ErrNotFound
	}
	return &recs[0], nil
}

// ReviewQueue implements screening.Store. The rule filter matches the
// checks as stored: JSON that encoding/json wrote from kernel.ScreeningCheck,
// whose "rule" is followed by its "result".
func (s *Screenings) ReviewQueue(ctx context.Context, q screening.QueueQuery) ([]screening.Record, int, error) {
	in, args := inRegions(q.RegionPrefixes)
	where := "s.latest = 1 AND s.decision = '' AND s.result IN ('warn', 'block') AND " + in
	if q.Rule != "" {
		where += " AND (s.checks LIKE ? OR s.checks LIKE ?)"
		for _, r := range []string{"warn", "block"} {
			b, _ := json.Marshal(map[string]string{"rule": q.Rule})
			// {"rule":"x"} → "rule":"x","result":"warn"
			args = append(args, "%"+strings.TrimSuffix(strings.TrimPrefix(string(b), "{"), "}")+`,"result":"`+r+`"%`)
		}
	}
	var total int64
	if err := s.db.WithContext(ctx).Raw(`SELECT COUNT(*) FROM screenings s JOIN needs n ON n.id = s.need_id WHERE `+where, args...).
		Scan(&total).Error; err != nil {
		return nil, 0, err
	}
	recs, err := s.screenings(ctx, where, "CASE WHEN s.result = 'block' THEN 0 ELSE 1 END, s.id", max(q.Limit, 1), q.Offset, args...)
	return recs, int(total), err
}

// inRegions is the condition that the need n lies in one of the regions
// with these code prefixes (none: no need does).
func inRegions(prefixes []string) (string, []any) {
	if len(prefixes) == 0 {
		return "1 = 0", nil
	}
	ors := make([]string, len(prefixes))
	args := make([]any, len(prefixes))
	for i, p := range prefixes {
		ors[i], args[i] = "n.region_code LIKE ?", mgorm.LikePrefix(p)
	}
	return "(" + strings.Join(ors, " OR ") + ")", args
}

// forUpdate is the row lock clause of a locking read: MySQL/MariaDB lock
// the rows read; SQLite's immediate transactions already hold the
// database's one write lock.
func (s *Screenings) forUpdate() string {
	if s.dialect == sqldb.MySQL {
		return " FOR UPDATE"
	}
	return ""
}

// SaveScreening implements screening.Store. A record that is not Latest
// (the screening of a refused request) is inserted with latest = 0 and
// leaves the need's screening_result, block_override and latest screening
// as they were.
//
// Lock order and extent (MySQL/MariaDB): the need's row first (UPDATE by
// primary key, or a locking read of it for a request's screening), which
// queues the screenings of one need; then only rows
// of this need by primary key: its latest screening (found by a plain
// read, which cannot miss one: every writer of a need's screenings holds
// the need's row), the new screening, its new referrals (the existing
// ones read plainly, so no INSERT meets a duplicate). No statement scans
// a range, so no gap or next-key lock is taken on screenings or referrals,
// and screenings of different needs of one person never wait for each
// other. (An UPDATE … WHERE need_id = ? AND latest = 1 did: on a small
// table InnoDB scanned the primary key and locked every screening, and
// two screenings of the same person deadlocked, error 1213.) A deadlock
// or busy database that still happens is retried (sqldb.RetryTx).
func (s *Screenings) SaveScreening(ctx context.Context, rec *screening.Record, refs []screening.Referral) error {
	checks, err := json.Marshal(rec.Checks)
	if err != nil {
		return err
	}
	queries := []string{
		`SELECT id FROM screenings WHERE need_id = ? AND latest = 1`,
		`UPDATE screenings SET latest = 0 WHERE id = ?`,
		`INSERT INTO screenings (public_id, need_id, stage, result, checks, amount_fen, block_fingerprint, warn_fingerprint, overridden, latest,
			decision, decided_by, decided_at, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		`SELECT programme FROM referrals WHERE need_id = ?`,
		`INSERT INTO referrals (public_id, need_id, programme, reason, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		// A request's screening changes nothing of the need, but it takes
		// the need's row lock all the same: the lock order stays the same,
		// and its referrals queue behind the need's other screenings.
		`SELECT id FROM needs WHERE id = ?` + s.forUpdate(),
	}
	stmts := make([]*sql.Stmt, len(queries))
	for i, q := range queries {
		if stmts[i], err = s.stmt(ctx, q); err != nil {
			return err
		}
	}
	if err := s.needs.Prepare(ctx); err != nil {
		return err
	}
	var decidedAt any
	if rec.DecidedAt != nil {
		decidedAt = rec.DecidedAt.UTC()
	}
	return sqldb.RetryTx(ctx, func() error {
		rec.Key = 0
		for i := range refs {
			refs[i].Key = 0
		}
		tx, err := s.sql.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if rec.Latest {
			if err := s.needs.Set(ctx, tx, rec.NeedKey, rec.Result, rec.Overridden); err != nil {
				return err
			}
			latest, err := queryInt64s(ctx, tx.StmtContext(ctx, stmts[0]), rec.NeedKey)
			if err != nil {
				return err
			}
			for _, id := range latest {
				if _, err := tx.StmtContext(ctx, stmts[1]).ExecContext(ctx, id); err != nil {
					return err
				}
			}
		} else {
			ids, err := queryInt64s(ctx, tx.StmtContext(ctx, stmts[5]), rec.NeedKey)
			if err != nil {
				return err
			}
			if len(ids) == 0 {
				return kernel.ErrNotFound
			}
		}
		res, err := tx.StmtContext(ctx, stmts[2]).ExecContext(ctx, rec.ID, rec.NeedKey, string(rec.Stage), string(rec.Result), string(checks), rec.AmountFen,
			rec.BlockFingerprint, rec.WarnFingerprint, rec.Overridden, rec.Latest, string(rec.Decision), rec.DecidedBy, decidedAt, rec.At.UTC())
		if err != nil {
			return mgorm.MapError(err)
		}
		if rec.Key, err = res.LastInsertId(); err != nil {
			return err
		}
		// One referral per need and programme (a unique key): an existing
		// one, whatever its status, is kept as it is.
		have := map[string]bool{}
		if len(refs) > 0 {
			rows, err := tx.StmtContext(ctx, stmts[3]).QueryContext(ctx, rec.NeedKey)
			if err != nil {
				return err
			}
			for rows.Next() {
				var p string
				if err := rows.Scan(&p); err != nil {
					rows.Close()
					return err
				}
				have[p] = true
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		for i := range refs {
			r := &refs[i]
			if have[string(r.Programme)] {
				continue
			}
			have[string(r.Programme)] = true
			res, err := tx.StmtContext(ctx, stmts[4]).ExecContext(ctx, r.ID, rec.NeedKey, string(r.Programme), r.Reason, string(r.Status), r.CreatedAt.UTC(), r.UpdatedAt.UTC())
			if err != nil {
				return err
			}
			r.Key, _ = res.LastInsertId()
		}
		return tx.Commit()
	})
}

// queryInt64s runs a query of one integer column.
func queryInt64s(ctx context.Context, st *sql.Stmt, args ...any) ([]int64, error) {
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Decide implements screening.Store.
func (s *Screenings) Decide(ctx context.Context, screeningKey int64, d screening.Decision, by string, reasonCT []byte, reasonKID string, ov *screening.Override, at time.Time, audit marketplace.AuditEntry) error {
	// The need's row is locked before the screening's, in the order
	// SaveScreening takes them, so that a decision and a screening of the
	// same need queue instead of deadlocking.
	var needKey struct{ NeedID int64 }
	if err := s.db.WithContext(ctx).Table("screenings").Select("need_id").Where("id = ?", screeningKey).Take(&needKey).Error; err != nil {
		return mgorm.MapError(err)
	}
	return sqldb.RetryTx(ctx, func() error {
		return s.decide(ctx, needKey.NeedID, screeningKey, d, by, reasonCT, reasonKID, ov, at, audit)
	})
}

func (s *Screenings) decide(ctx context.Context, needKey, screeningKey int64, d screening.Decision, by string, reasonCT []byte, reasonKID string, ov *screening.Override, at time.Time, audit marketplace.AuditEntry) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var need struct{ ID int64 }
		if err := mgorm.ForUpdate(tx).Table("needs").Select("id").Where("id = ?", needKey).Take(&need).Error; err != nil {
			return mgorm.MapError(err)
		}
		var r screeningRow
		if err := mgorm.ForUpdate(tx).Take(&r, screeningKey).Error; err != nil {
			return mgorm.MapError(err)
		}
		if !r.Latest {
			return kernel.Refuse(kernel.ErrConflict, "refusal_screening_newer", nil, "a newer screening of the need exists; decide on that one")
		}
		if r.Decision != "" {
			return kernel.Refuse(kernel.ErrConflict, "refusal_screening_decided", nil, "the screening was already decided (%s)", r.Decision)
		}
		res := tx.Model(&screeningRow{}).Where("id = ? AND decision = ''", screeningKey).Updates(map[string]any{
			"decision": string(d), "decided_by": by, "decided_at": at, "decision_reason_ct": reasonCT, "decision_reason_kid": reasonKID})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return kernel.Refuse(kernel.ErrConflict, "refusal_screening_decided", nil, "the screening was decided meanwhile")
		}
		if ov != nil {
			if err := tx.Create(&overrideRow{NeedID: ov.NeedKey, ScreeningID: ov.ScreeningKey, Verifier: ov.Verifier, ReasonCt: ov.ReasonCT,
				ReasonKid: ov.ReasonKID, Fingerprint: ov.Fingerprint, CreatedAt: ov.At}).Error; err != nil {
				return mgorm.MapError(err)
			}
			// The need may go on at once: its latest screening's block is
			// lifted (the next screening with this evidence says warn).
			if err := mgorm.SetNeedScreening(tx, r.NeedID, kernel.ScreenWarn, true); err != nil {
				return err
			}
		}
		return mgorm.AppendAudit(tx, &audit)
	})
}

func (r referralRow) domain(needPublicID, needRegion string) screening.Referral {
	out := screening.Referral{Key: r.ID, ID: r.PublicID, NeedKey: r.NeedID, NeedID: needPublicID, NeedRegion: needRegion, Programme: kernel.Programme(r.Programme),
		Reason: r.Reason, Status: screening.ReferralStatus(r.Status), TakenBy: r.TakenBy, NotesCT: r.NotesCt, NotesKID: r.NotesKid,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if r.ClosedAt != nil {
		t := r.ClosedAt.UTC()
		out.ClosedAt = &t
	}
	return out
}

// Referrals implements screening.Store.
func (s *Screenings) Referrals(ctx context.Context, status screening.ReferralStatus, regionPrefixes []string, limit int) ([]screening.Referral, error) {
	var rows []referralRow
	in, args := inRegions(regionPrefixes)
	q := s.db.WithContext(ctx).Table("referrals r").Select("r.*, n.public_id AS need_public_id, n.region_code AS need_region_code").
		Joins("JOIN needs n ON n.id = r.need_id").Where(in, args...)
	if status != "" {
		q = q.Where("r.status = ?", string(status))
	}
	if err := q.Order("r.id").Limit(limit).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]screening.Referral, len(rows))
	for i, r := range rows {
		out[i] = r.domain(r.NeedPublicID, r.NeedRegionCode)
	}
	return out, nil
}

// UpdateReferral implements screening.Store.
func (s *Screenings) UpdateReferral(ctx context.Context, publicID string, fn func(r *screening.Referral) (marketplace.AuditEntry, error)) (*screening.Referral, error) {
	var out screening.Referral
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var r referralRow
		if err := mgorm.ForUpdate(tx).Where("public_id = ?", publicID).Take(&r).Error; err != nil {
			return mgorm.MapError(err)
		}
		var need struct{ PublicID, RegionCode string }
		if err := tx.Table("needs").Select("public_id, region_code").Where("id = ?", r.NeedID).Take(&need).Error; err != nil {
			return mgorm.MapError(err)
		}
		out = r.domain(need.PublicID, need.RegionCode)
		audit, err := fn(&out)
		if err != nil {
			return err
		}
		if err := tx.Model(&referralRow{}).Where("id = ?", r.ID).Updates(map[string]any{
			"status": string(out.Status), "taken_by": out.TakenBy, "notes_ct": out.NotesCT, "notes_kid": out.NotesKID,
			"updated_at": out.UpdatedAt, "closed_at": out.ClosedAt}).Error; err != nil {
			return err
		}
		return mgorm.AppendAudit(tx, &audit)
	})
	if err != nil {
		var v *kernel.ValidationError
		if errors.As(err, &v) {
			return nil, v
		}
		return nil, err
	}
	return &out, nil
}
