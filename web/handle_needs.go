package web

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/marketplace"
)

// needRequest is the body of POST /needs and POST /needs/preview.
type needRequest struct {
	OrgID       string `json:"org_id"`
	Beneficiary struct {
		IDNumber       string                 `json:"id_number"`
		Name           string                 `json:"name"`
		Phone          string                 `json:"phone"`
		Address        string                 `json:"address"`
		RegionCode     string                 `json:"region_code"`
		HouseholdTypes []kernel.HouseholdType `json:"household_types"`
		Members        []struct {
			Name     string `json:"name"`
			Relation string `json:"relation"`
			IDNumber string `json:"id_number"`
		} `json:"members"`
	} `json:"beneficiary"`
	Category           kernel.Category `json:"category"`
	Title              string          `json:"title"`
	Story              string          `json:"story"`
	VerifiedCostFen    int64           `json:"verified_cost_fen" required:"true"`
	StatutoryReliefFen int64           `json:"statutory_relief_fen" required:"true"`
	RequestedFen       *int64          `json:"requested_fen"`
	CostPeriod         struct {
		From string `json:"from"`
		To   string `json:"to"`
	} `json:"cost_period"`
	ServiceNeeds []kernel.Service `json:"service_needs"`
	Urgency      kernel.Urgency   `json:"urgency"`
	Deadline     string           `json:"deadline"`
	Consent      struct {
		Given    bool   `json:"given"`
		GivenBy  string `json:"given_by"`
		Relation string `json:"relation"`
		Method   string `json:"method"`
		At       string `json:"at"`
	} `json:"consent"`
	Emergency bool `json:"emergency"`
}

func (r *needRequest) input() marketplace.NeedInput {
	in := marketplace.NeedInput{OrgID: r.OrgID, Category: r.Category, Title: r.Title, Story: r.Story, VerifiedCostFen: r.VerifiedCostFen,
		StatutoryReliefFen: r.StatutoryReliefFen, RequestedFen: r.RequestedFen, CostFrom: r.CostPeriod.From, CostTo: r.CostPeriod.To,
		ServiceNeeds: r.ServiceNeeds, Urgency: r.Urgency, Deadline: r.Deadline, Emergency: r.Emergency,
		Consent: marketplace.ConsentInput{Given: r.Consent.Given, GivenBy: r.Consent.GivenBy, Relation: r.Consent.Relation,
			Method: r.Consent.Method, At: r.Consent.At}}
	b := r.Beneficiary
	in.Beneficiary = marketplace.BeneficiaryInput{IDNumber: b.IDNumber, Name: b.Name, Phone: b.Phone, Address: b.Address,
		RegionCode: b.RegionCode, HouseholdTypes: b.HouseholdTypes}
	for _, m := range b.Members {
		in.Beneficiary.Members = append(in.Beneficiary.Members, marketplace.Member{Name: m.Name, Relation: m.Relation, IDNumber: m.IDNumber})
	}
	return in
}

// needJSON is a need as staff see it outside its private record: codes,
// amounts, dates and the published projection, never identity or the
// unscrubbed text.
type needJSON struct {
	ID                   string                 `json:"id"`
	Status               kernel.NeedStatus      `json:"status"`
	StoredStatus         kernel.NeedStatus      `json:"stored_status"`
	Category             kernel.Category        `json:"category"`
	Urgency              kernel.Urgency         `json:"urgency"`
	RegionCode           string                 `json:"region_code"`
	RegionName           string                 `json:"region_name"`
	AgeBand              kernel.AgeBand         `json:"age_band"`
	HouseholdTypes       []kernel.HouseholdType `json:"household_types"`
	PublicRegionCode     string                 `json:"public_region_code"`
	PublicHouseholdTypes []kernel.HouseholdType `json:"public_household_types"`
	PublicTitle          string                 `json:"public_title"`
	PublicStory          string                 `json:"public_story"`
	VerifiedCostFen      int64                  `json:"verified_cost_fen"`
	StatutoryReliefFen   int64                  `json:"statutory_relief_fen"`
	RequestedFen         int64                  `json:"requested_fen"`
	FundedFen            int64                  `json:"funded_fen"`
	RemainingFen         int64                  `json:"remaining_fen"`
	CostPeriod           struct {
		From time.Time `json:"from"`
		To   time.Time `json:"to"`
	} `json:"cost_period"`
	ServiceNeeds           []kernel.Service        `json:"service_needs"`
	Deadline               *time.Time              `json:"deadline"`
	Emergency              bool                    `json:"emergency"`
	ConsentPublic          bool                    `json:"consent_public"`
	ScreeningResult        kernel.ScreeningOutcome `json:"screening_result"`
	SubmittedAt            *time.Time              `json:"submitted_at"`
	ClearanceDueAt         *time.Time              `json:"clearance_due_at"`
	ClearedAt              *time.Time              `json:"cleared_at"`
	NoticeEndsAt           *time.Time              `json:"notice_ends_at"`
	PublishedAt            *time.Time              `json:"published_at"`
	ClosedAt               *time.Time              `json:"closed_at"`
	StillNeededConfirmedAt *time.Time              `json:"still_needed_confirmed_at"`
	// ApprovalStep, EscalatedTo and CaseDueAt: the county's way of
	// working (handle_steps.go).
	ApprovalStep marketplace.StepKind `json:"approval_step"`
	EscalatedTo  kernel.DivisionLevel `json:"escalated_to"`
	CaseDueAt    *time.Time           `json:"case_due_at"`
	OrgID        string               `json:"org_id"`
	OrgName      string               `json:"org_name"`
	CreatedAt    time.Time            `json:"created_at"`
}

func (s *Server) toNeedJSON(n *marketplace.Need) needJSON {
	now := s.Needs.Now()
	j := needJSON{ID: n.PublicID, Status: marketplace.EffectiveStatus(n.Status, n.NoticeEndsAt, now), StoredStatus: n.Status,
		Category: n.Category, Urgency: n.Urgency, RegionCode: n.RegionCode, RegionName: s.Needs.Divisions.FullName(n.RegionCode),
		AgeBand: n.AgeBand, HouseholdTypes: needList(n.HouseholdTypes), PublicRegionCode: n.PublicRegionCode,
		PublicHouseholdTypes: needList(n.PublicHouseholdTypes), PublicTitle: n.PublicTitle, PublicStory: n.PublicStory,
		VerifiedCostFen: n.VerifiedCostFen, StatutoryReliefFen: n.StatutoryReliefFen, RequestedFen: n.RequestedFen,
		FundedFen: n.FundedFen, RemainingFen: max(n.RequestedFen-n.FundedFen, 0), ServiceNeeds: needList(n.ServiceNeeds),
		Deadline: n.Deadline, Emergency: n.Emergency, ConsentPublic: n.ConsentPublic, ScreeningResult: n.ScreeningResult,
		SubmittedAt: n.SubmittedAt, ClearanceDueAt: n.ClearanceDueAt, ClearedAt: n.ClearedAt, NoticeEndsAt: n.NoticeEndsAt,
		PublishedAt: n.PublishedAt, ClosedAt: n.ClosedAt, StillNeededConfirmedAt: n.StillNeededAt, OrgID: n.OrgPublicID,
		OrgName: n.OrgName, CreatedAt: n.CreatedAt, ApprovalStep: n.ApprovalStep, EscalatedTo: n.EscalatedLevel, CaseDueAt: n.CaseDueAt}
	j.CostPeriod.From, j.CostPeriod.To = n.CostFrom, n.CostTo
	return j
}

func needList[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// handleNeedCreate posts a need (social worker).
func (s *Server) handleNeedCreate(c echo.Context) error {
	var req needRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	out, err := s.Needs.Create(c.Request().Context(), PrincipalOf(c), req.input())
	if err != nil {
		return err
	}
	if out.ScreeningErr != nil {
		s.log.Error("screening at submit failed", slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)),
			slog.String("need", out.Need.PublicID), slog.String("error", out.ScreeningErr.Error()))
	}
	return c.JSON(http.StatusCreated, struct {
		needJSON
		Screening *kernel.Screening `json:"screening"`
	}{s.toNeedJSON(out.Need), out.Screening})
}

// handleNeedPreview shows the public projection a need would get, saving nothing.
func (s *Server) handleNeedPreview(c echo.Context) error {
	var req needRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	p, err := s.Needs.Preview(c.Request().Context(), PrincipalOf(c), req.input())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

// handleNeedPreviewStored shows the public projection a stored need would get.
func (s *Server) handleNeedPreviewStored(c echo.Context) error {
	p, err := s.Needs.PreviewStored(c.Request().Context(), PrincipalOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

type privateNeedJSON struct {
	needJSON
	Title       string                         `json:"title"`
	Story       string                         `json:"story"`
	Beneficiary privateBeneficiaryJSON         `json:"beneficiary"`
	Consent     marketplace.Consent            `json:"consent"`
	Events      []marketplace.PrivateEvent     `json:"events"`
	Objections  []marketplace.PrivateObjection `json:"objections"`
}

type privateBeneficiaryJSON struct {
	marketplace.Identity
	Sex string `json:"sex"`
}

// handleNeedPrivate returns the full decrypted record (posting organization, covering verifiers).
func (s *Server) handleNeedPrivate(c echo.Context) error {
	p, err := s.Needs.Private(c.Request().Context(), PrincipalOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	id := p.Identity
	if id.Members == nil {
		id.Members = []marketplace.Member{}
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, privateNeedJSON{needJSON: s.toNeedJSON(p.Need), Title: p.Title, Story: p.Story,
		Beneficiary: privateBeneficiaryJSON{Identity: id, Sex: p.Sex}, Consent: p.Consent, Events: p.Events, Objections: p.Objections})
}

type clearanceRequest struct {
	Decision           string `json:"decision"`
	Reference          string `json:"reference"`
	StatutoryReliefFen *int64 `json:"statutory_relief_fen"`
	Note               string `json:"note"`
	// GroupDecision is the 一事一议 of the county's decision (handle_steps.go).
	GroupDecision *groupDecisionRequest `json:"group_decision"`
}

// handleNeedClearance records a verifier's decision.
func (s *Server) handleNeedClearance(c echo.Context) error {
	var req clearanceRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	n, err := s.Needs.Clear(c.Request().Context(), PrincipalOf(c), c.Param("id"), marketplace.ClearanceInput{
		Decision: req.Decision, Reference: req.Reference, StatutoryReliefFen: req.StatutoryReliefFen, Note: req.Note,
		Group: req.GroupDecision.input()})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.toNeedJSON(n))
}

// handleNeedPublish publishes a cleared need.
func (s *Server) handleNeedPublish(c echo.Context) error {
	n, p, err := s.Needs.Publish(c.Request().Context(), PrincipalOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, struct {
		needJSON
		Projection *marketplace.Projection `json:"projection"`
	}{s.toNeedJSON(n), p})
}

type noteRequest struct {
	Note string `json:"note"`
}

// handleNeedWithdraw withdraws a need before it is funded.
func (s *Server) handleNeedWithdraw(c echo.Context) error {
	return s.needNoteAction(c, s.Needs.Withdraw)
}

// closeRequest is the body of a close: the closing note, and why money
// not paid out will not be (needed while the need holds some).
type closeRequest struct {
	Note         string `json:"note"`
	UnpaidReason string `json:"unpaid_reason"`
}

// handleNeedClose closes a need money was given to, with a closing note.
func (s *Server) handleNeedClose(c echo.Context) error {
	var req closeRequest
	if c.Request().ContentLength != 0 {
		if err := decodeJSON(c, &req); err != nil {
			return err
		}
	}
	n, err := s.Needs.Close(c.Request().Context(), PrincipalOf(c), c.Param("id"),
		marketplace.CloseInput{Note: req.Note, UnpaidReason: req.UnpaidReason})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.toNeedJSON(n))
}

// needNoteAction runs a transition whose body is an optional {note} and
// answers with the need.
func (s *Server) needNoteAction(c echo.Context, act func(context.Context, *kernel.Principal, string, string) (*marketplace.Need, error)) error {
	var req noteRequest
	if c.Request().ContentLength != 0 {
		if err := decodeJSON(c, &req); err != nil {
			return err
		}
	}
	n, err := act(c.Request().Context(), PrincipalOf(c), c.Param("id"), req.Note)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.toNeedJSON(n))
}

// handleNeedConfirm records that the need is still there.
func (s *Server) handleNeedConfirm(c echo.Context) error {
	n, err := s.Needs.ConfirmStillNeeded(c.Request().Context(), PrincipalOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.toNeedJSON(n))
}

// needPaging reads limit (1..200, default 50) and offset.
func needPaging(c echo.Context) (int, int, error) {
	limit, offset := 50, 0
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			return 0, 0, kernel.Invalid("limit", "must be a number from 1 to 200")
		}
		limit = n
	}
	if v := c.QueryParam("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1_000_000 {
			return 0, 0, kernel.Invalid("offset", "must be a number from 0")
		}
		offset = n
	}
	return limit, offset, nil
}
