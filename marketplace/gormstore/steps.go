package gormstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
)

// The steps of cases with their time limits (migration 00023): written
// with the need or report they belong to, ended by its changes, escalated
// by the time-limit job.

var _ marketplace.StepStore = (*Store)(nil)

type caseStepRow struct {
	ID          int64 `gorm:"primaryKey"`
	PublicID    string
	Step        string
	SubjectID   string
	NeedID      *int64
	ReportID    *int64
	ObjectionID *int64
	RegionCode  string
	Level       string
	LimitDays   int
	StartedAt   time.Time
	DueAt       time.Time
	EndedAt     *time.Time
	Outcome     string
	EndedBy     string
	RemindedAt  *time.Time
	EscalatedAt *time.Time
}

func (caseStepRow) TableName() string { return "case_steps" }

type stepEscalationRow struct {
	ID           int64 `gorm:"primaryKey"`
	StepID       int64
	ToLevel      string
	ToRegionCode string
	At           time.Time
}

func (stepEscalationRow) TableName() string { return "step_escalations" }

type groupDecisionRow struct {
	ID           int64 `gorm:"primaryKey"`
	PublicID     string
	NeedID       int64
	Step         string
	Decision     string
	DecidedOn    string
	Members      string
	ReasoningCT  []byte `gorm:"column:reasoning_ct"`
	ReasoningKID string `gorm:"column:reasoning_kid"`
	RequestedFen int64
	RecordedBy   string
	RecordedAt   time.Time
}

func (groupDecisionRow) TableName() string { return "group_decisions" }

func idp(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

func idv(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// stepListRow is a step with what the readers join to it (flat: gorm's
// Scan fills no embedded struct).
type stepListRow struct {
	ID                int64
	PublicID          string
	Step              string
	SubjectID         string
	NeedID            *int64
	ReportID          *int64
	ObjectionID       *int64
	RegionCode        string
	Level             string
	LimitDays         int
	StartedAt         time.Time
	DueAt             time.Time
	EndedAt           *time.Time
	Outcome           string
	EndedBy           string
	RemindedAt        *time.Time
	EscalatedAt       *time.Time
	ObjectionPublicID *string
	SubjectStatus     *string
}

func (r stepListRow) domain() marketplace.CaseStep {
	c := marketplace.CaseStep{ID: r.ID, PublicID: r.PublicID, Step: marketplace.StepKind(r.Step), SubjectID: r.SubjectID,
		NeedID: idv(r.NeedID), ReportID: idv(r.ReportID), ObjectionID: idv(r.ObjectionID), RegionCode: r.RegionCode,
		Level: kernel.DivisionLevel(r.Level), LimitDays: r.LimitDays, StartedAt: r.StartedAt.UTC(), DueAt: r.DueAt.UTC(),
		EndedAt: utcp(r.EndedAt), Outcome: r.Outcome, EndedBy: r.EndedBy, RemindedAt: utcp(r.RemindedAt), EscalatedAt: utcp(r.EscalatedAt)}
	if r.ObjectionPublicID != nil {
		c.ObjectionPublicID = *r.ObjectionPublicID
	}
	if r.SubjectStatus != nil {
		c.SubjectStatus = *r.SubjectStatus
	}
	return c
}

// stepsQuery reads steps with their objection's public id and their
// subject's status.
func (s *Store) stepsQuery(ctx context.Context) *gorm.DB {
	return s.db.WithContext(ctx).Table("case_steps AS cs").
		Select("cs.*, o.public_id AS objection_public_id, COALESCE(n.status, r.status) AS subject_status").
		Joins("LEFT JOIN need_objections o ON o.id = cs.objection_id").
		Joins("LEFT JOIN needs n ON n.id = cs.need_id").
		Joins("LEFT JOIN reports r ON r.id = cs.report_id")
}

// readSteps runs q and attaches every step's escalations.
func (s *Store) readSteps(ctx context.Context, q *gorm.DB) ([]marketplace.CaseStep, error) {
	var rows []stepListRow
	if err := q.Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]marketplace.CaseStep, len(rows))
	at := map[int64]int{}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
		at[r.ID], ids[i] = i, r.ID
	}
	if len(ids) == 0 {
		return out, nil
	}
	var es []stepEscalationRow
	if err := s.db.WithContext(ctx).Where("step_id IN ?", ids).Order("id").Find(&es).Error; err != nil {
		return nil, err
	}
	for _, e := range es {
		i := at[e.StepID]
		out[i].Escalations = append(out[i].Escalations, marketplace.StepEscalation{Level: kernel.DivisionLevel(e.ToLevel),
			RegionCode: e.ToRegionCode, At: e.At.UTC()})
	}
	return out, nil
}

// insertSteps inserts steps of the need with row id needID (0 for a
// report's, which carry their ReportID); an objection's step takes
// objectionID when it has none.
func insertSteps(tx *gorm.DB, needID, objectionID int64, steps []marketplace.CaseStep) error {
	for i := range steps {
		st := &steps[i]
		if needID != 0 {
			st.NeedID = needID
		}
		if st.Step == marketplace.StepObjection && st.ObjectionID == 0 {
			st.ObjectionID = objectionID
		}
		row := caseStepRow{PublicID: st.PublicID, Step: string(st.Step), SubjectID: st.SubjectID, NeedID: idp(st.NeedID),
			ReportID: idp(st.ReportID), ObjectionID: idp(st.ObjectionID), RegionCode: st.RegionCode, Level: string(st.Level),
			LimitDays: st.LimitDays, StartedAt: st.StartedAt, DueAt: st.DueAt, EndedAt: st.EndedAt, Outcome: st.Outcome, EndedBy: st.EndedBy}
		if err := tx.Create(&row).Error; err != nil {
			return MapError(err)
		}
		st.ID = row.ID
	}
	return nil
}

// endSteps ends the open steps of the need with row id needID that ends
// names; a step that is not open is left as it is.
func endSteps(tx *gorm.DB, needID int64, ends []marketplace.StepEnd) error {
	for _, e := range ends {
		q := tx.Model(&caseStepRow{}).Where("need_id = ? AND step = ? AND ended_at IS NULL", needID, string(e.Step))
		if e.ObjectionPublicID != "" {
			q = q.Where("objection_id IN (?)", tx.Model(&objectionRow{}).Select("id").Where("public_id = ?", e.ObjectionPublicID))
		}
		if err := q.Updates(map[string]any{"ended_at": e.At, "outcome": e.Outcome, "ended_by": e.By}).Error; err != nil {
			return fmt.Errorf("end step %s: %w", e.Step, err)
		}
	}
	return nil
}

// insertGroupDecision inserts g (nil: nothing) for the need with row id needID.
func insertGroupDecision(tx *gorm.DB, needID int64, g *marketplace.GroupDecision) error {
	if g == nil {
		return nil
	}
	members, err := json.Marshal(g.Members)
	if err != nil {
		return err
	}
	g.NeedID = needID
	row := groupDecisionRow{PublicID: g.PublicID, NeedID: needID, Step: string(g.Step), Decision: g.Decision, DecidedOn: g.DecidedOn,
		Members: string(members), ReasoningCT: g.ReasoningCT, ReasoningKID: g.ReasoningKID, RequestedFen: g.RequestedFen,
		RecordedBy: g.RecordedBy, RecordedAt: g.RecordedAt}
	if err := tx.Create(&row).Error; err != nil {
		return MapError(err)
	}
	g.ID = row.ID
	return nil
}

// queueWhere keeps the submitted needs of the approval queues scopes
// selects (none: every need).
func queueWhere(db *gorm.DB, scopes []marketplace.QueueScope) *gorm.DB {
	if len(scopes) == 0 {
		return db
	}
	var ors []string
	var args []any
	for _, q := range scopes {
		cond := "n.region_code LIKE ?"
		args = append(args, likePrefix(q.Prefix))
		if q.Step == marketplace.StepClearance {
			cond += " AND n.approval_step IN ('clearance', '')"
		} else {
			cond += " AND n.approval_step = ?"
			args = append(args, string(q.Step))
		}
		if q.Escalated != "" {
			cond += " AND n.escalated_level = ?"
			args = append(args, string(q.Escalated))
		}
		ors = append(ors, "("+cond+")")
	}
	return db.Where("("+strings.Join(ors, " OR ")+")", args...)
}

// CaseSteps implements marketplace.NeedStore.
func (s *Store) CaseSteps(ctx context.Context, subjectID string) ([]marketplace.CaseStep, error) {
	return s.readSteps(ctx, s.stepsQuery(ctx).Where("cs.subject_id = ?", subjectID).Order("cs.started_at, cs.id"))
}

// GroupDecisions implements marketplace.NeedStore.
func (s *Store) GroupDecisions(ctx context.Context, needID int64) ([]marketplace.GroupDecision, error) {
	var rows []groupDecisionRow
	if err := s.db.WithContext(ctx).Where("need_id = ?", needID).Order("id").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]marketplace.GroupDecision, len(rows))
	for i, r := range rows {
		out[i] = marketplace.GroupDecision{ID: r.ID, PublicID: r.PublicID, NeedID: r.NeedID, Step: marketplace.StepKind(r.Step),
			Decision: r.Decision, DecidedOn: r.DecidedOn, ReasoningCT: r.ReasoningCT, ReasoningKID: r.ReasoningKID,
			RequestedFen: r.RequestedFen, RecordedBy: r.RecordedBy, RecordedAt: r.RecordedAt.UTC()}
		if err := json.Unmarshal([]byte(r.Members), &out[i].Members); err != nil {
			return nil, fmt.Errorf("group decision %s: members: %w", r.PublicID, err)
		}
	}
	return out, nil
}

// EscalatedTo implements marketplace.NeedStore.
func (s *Store) EscalatedTo(ctx context.Context, regions []string, limit int) ([]marketplace.CaseStep, error) {
	if len(regions) == 0 {
		return []marketplace.CaseStep{}, nil
	}
	sub := s.db.Table("step_escalations").Select("step_id").Where("to_region_code IN ?", regions)
	return s.readSteps(ctx, s.stepsQuery(ctx).Where("cs.ended_at IS NULL AND cs.id IN (?)", sub).Order("cs.due_at, cs.id").Limit(limit))
}

// DueSteps implements marketplace.StepStore.
func (s *Store) DueSteps(ctx context.Context, q marketplace.StepDueQuery) ([]marketplace.CaseStep, error) {
	db := s.stepsQuery(ctx).Where("cs.ended_at IS NULL AND cs.due_at < ?", q.Before)
	if !q.NotBefore.IsZero() {
		db = db.Where("cs.due_at >= ?", q.NotBefore)
	}
	if q.NotReminded {
		db = db.Where("cs.reminded_at IS NULL")
	}
	if q.NotEscalated {
		db = db.Where("cs.escalated_at IS NULL")
	}
	limit := q.Limit
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	return s.readSteps(ctx, db.Order("cs.due_at, cs.id").Limit(limit))
}

// EscalateStep implements marketplace.StepStore.
func (s *Store) EscalateStep(ctx context.Context, st marketplace.CaseStep, to []marketplace.StepEscalation, at time.Time, ev *marketplace.NeedEvent, audit marketplace.AuditEntry) (bool, error) {
	escalated := false
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&caseStepRow{}).Where("id = ? AND ended_at IS NULL AND escalated_at IS NULL", st.ID).Update("escalated_at", at)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return nil
		}
		for _, e := range to {
			var n int64
			if err := tx.Model(&stepEscalationRow{}).Where("step_id = ? AND to_level = ?", st.ID, string(e.Level)).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				continue
			}
			if err := tx.Create(&stepEscalationRow{StepID: st.ID, ToLevel: string(e.Level), ToRegionCode: e.RegionCode, At: e.At}).Error; err != nil {
				return MapError(err)
			}
		}
		if st.NeedID != 0 && st.Step.Approval() && len(to) > 0 {
			// The need shows in the queue of the office it escalated to;
			// its version moves on, so that a decision read before this
			// is refused rather than undoing the mark.
			if err := tx.Model(&needRow{}).Where("id = ? AND status = ? AND approval_step = ?", st.NeedID, string(kernel.NeedSubmitted), string(st.Step)).
				Updates(map[string]any{"escalated_level": string(to[0].Level), "version": gorm.Expr("version + 1")}).Error; err != nil {
				return err
			}
		}
		if ev != nil {
			if err := insertEvent(tx, st.NeedID, ev); err != nil {
				return err
			}
		}
		if err := AppendAudit(tx, &audit); err != nil {
			return err
		}
		escalated = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("escalate step: %w", err)
	}
	return escalated, nil
}

// RemindStep implements marketplace.StepStore.
func (s *Store) RemindStep(ctx context.Context, stepID int64, at time.Time) (bool, error) {
	res := s.db.WithContext(ctx).Model(&caseStepRow{}).Where("id = ? AND ended_at IS NULL AND reminded_at IS NULL", stepID).Update("reminded_at", at)
	if res.Error != nil {
		return false, res.Error
	}
	return res.RowsAffected == 1, nil
}

// attachFollowUps fills the follow-up step of each report that has one.
func (s *Store) attachFollowUps(ctx context.Context, rs []marketplace.Report) error {
	if len(rs) == 0 {
		return nil
	}
	ids := make([]int64, len(rs))
	at := map[int64]int{}
	for i, r := range rs {
		ids[i], at[r.ID] = r.ID, i
	}
	steps, err := s.readSteps(ctx, s.stepsQuery(ctx).Where("cs.report_id IN ? AND cs.step = ?", ids, string(marketplace.StepReportFollowUp)))
	if err != nil {
		return fmt.Errorf("report follow-ups: %w", err)
	}
	for i := range steps {
		rs[at[steps[i].ReportID]].FollowUp = &steps[i]
	}
	return nil
}
