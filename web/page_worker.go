package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/marketplace/anonymize"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/matching"
)

// Pages of social workers (post a need with a live preview of what the
// public will see; their organization's needs) and of civil affairs
// verifiers (the clearance queue and the decision). Everything private is
// read through the need service, which decides who may see it.

// ParseYuan reads an amount typed in yuan ("1234.5", "1,234.50", "¥12")
// as fen. Empty is 0. It refuses negatives, more than two decimals and
// amounts above a hundred million yuan.
func ParseYuan(s string) (int64, error) {
	s = strings.TrimSpace(strings.NewReplacer(",", "", "，", "", "¥", "", "￥", "", " ", "").Replace(s))
	if s == "" {
		return 0, nil
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" {
		whole = "0"
	}
	if len(frac) > 2 || len(whole) > 9 {
		return 0, errors.New("bad amount")
	}
	for _, r := range whole + frac {
		if r < '0' || r > '9' {
			return 0, errors.New("bad amount")
		}
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	f, _ := strconv.ParseInt(frac, 10, 64)
	return w*100 + f, nil
}

// needForm is the posting form as typed, kept to show it again.
type needForm struct {
	Values       url.Values
	Errors       map[string]string
	Categories   []kernel.Category
	Households   []kernel.HouseholdType
	Services     []kernel.Service
	Urgencies    []kernel.Urgency
	Relations    []string
	Methods      []string
	Preview      *previewView
	Idempotency  string
	FormErrorMsg string
}

// Has reports whether the multi-valued field k holds v.
func (f needForm) Has(k, v string) bool {
	for _, x := range f.Values[k] {
		if x == v {
			return true
		}
	}
	return false
}

// V is the typed value of field k.
func (f needForm) V(k string) string { return f.Values.Get(k) }

func newNeedForm(v url.Values) needForm {
	if v == nil {
		v = url.Values{}
	}
	return needForm{Values: v, Errors: map[string]string{},
		Categories: kernel.Categories, Households: kernel.HouseholdTypes, Services: kernel.Services,
		Urgencies: []kernel.Urgency{kernel.UrgencyNormal, kernel.UrgencyUrgent, kernel.UrgencyEmergency},
		Relations: marketplace.ConsentRelations, Methods: marketplace.ConsentMethods}
}

// needInput turns the form into the service's input; amounts that are not
// amounts are reported as field errors.
func needInput(v url.Values, errs map[string]string, badAmount string) marketplace.NeedInput {
	yuan := func(field string) int64 {
		fen, err := ParseYuan(v.Get(field))
		if err != nil {
			errs[field] = badAmount
		}
		return fen
	}
	in := marketplace.NeedInput{
		Beneficiary: marketplace.BeneficiaryInput{
			IDNumber: v.Get("id_number"), Name: v.Get("name"), Phone: v.Get("phone"), Address: v.Get("address"),
			RegionCode: strings.TrimSpace(v.Get("region_code")),
		},
		Category: kernel.Category(v.Get("category")), Title: v.Get("title"), Story: v.Get("story"),
		VerifiedCostFen: yuan("verified_cost"), StatutoryReliefFen: yuan("statutory_relief"),
		CostFrom: v.Get("cost_from"), CostTo: v.Get("cost_to"), Urgency: kernel.Urgency(v.Get("urgency")),
		Deadline: v.Get("deadline"), Emergency: v.Get("emergency") == "1",
		Consent: marketplace.ConsentInput{Given: v.Get("consent") == "1", GivenBy: v.Get("consent_by"),
			Relation: v.Get("consent_relation"), Method: v.Get("consent_method"), At: v.Get("consent_at")},
	}
	if strings.TrimSpace(v.Get("requested")) != "" {
		r := yuan("requested")
		in.RequestedFen = &r
	}
	for _, h := range v["household_types"] {
		in.Beneficiary.HouseholdTypes = append(in.Beneficiary.HouseholdTypes, kernel.HouseholdType(h))
	}
	for _, s := range v["service_needs"] {
		in.ServiceNeeds = append(in.ServiceNeeds, kernel.Service(s))
	}
	for _, m := range strings.FieldsFunc(v.Get("members"), func(r rune) bool { return r == ',' || r == '，' || r == '、' || r == '\n' }) {
		if m = strings.TrimSpace(m); m != "" {
			in.Beneficiary.Members = append(in.Beneficiary.Members, marketplace.Member{Name: m, Relation: "other"})
		}
	}
	return in
}

// formFieldOf maps the service's field names to the form's.
var formFieldOf = map[string]string{
	"beneficiary.id_number": "id_number", "beneficiary.phone": "phone", "beneficiary.region_code": "region_code",
	"beneficiary.household_types": "household_types", "beneficiary.members": "members", "beneficiary.name": "name",
	"verified_cost_fen": "verified_cost", "statutory_relief_fen": "statutory_relief", "requested_fen": "requested",
	"cost_period.from": "cost_from", "cost_period.to": "cost_to", "consent.relation": "consent_relation",
	"consent.method": "consent_method", "consent.at": "consent_at", "consent.given_by": "consent_by", "consent.given": "consent",
}

// previewView is what the public would see of the need being typed.
type previewView struct {
	Title, Story string
	Redactions   int
	// TitleRedactions and StoryRedactions mark where details were removed.
	TitleRedactions, StoryRedactions []anonymize.Redaction
	RegionCode                       string
	AgeBand                          kernel.AgeBand
	Households                       []kernel.HouseholdType
	// Kinds is what was removed, kind by kind.
	Kinds []kindCount
	// Partial: the form is not complete yet, so only the text is scrubbed
	// (with the names typed so far); region and age come once it is.
	Partial bool
}

// kindCount is how many things of one kind the preview removed; the page
// names the kind through the catalogue (redact_<kind>).
type kindCount struct {
	Kind string
	N    int
}

func countKinds(lists ...[]anonymize.Redaction) []kindCount {
	n := map[anonymize.RedactionKind]int{}
	for _, l := range lists {
		for _, r := range l {
			n[r.Kind]++
		}
	}
	var out []kindCount
	for _, k := range anonymize.RedactionKinds {
		if n[k] > 0 {
			out = append(out, kindCount{string(k), n[k]})
		}
	}
	return out
}

// handleWorkerNeedForm shows the posting form.
func (s *Server) handleWorkerNeedForm(c echo.Context) error {
	f := newNeedForm(nil)
	f.Values.Set("urgency", "normal")
	f.Values.Set("consent_at", s.now().In(kernel.ChinaTime).Format("2006-01-02"))
	return s.render(c, http.StatusOK, "worker_need_new", f)
}

// handleWorkerNeedPreview answers the live preview as the worker types:
// the scrubbed title and story exactly as publication would compute them,
// or, while the form is incomplete, the text scrubbed with the names typed.
func (s *Server) handleWorkerNeedPreview(c echo.Context) error {
	v, err := c.FormParams()
	if err != nil {
		return err
	}
	errs := map[string]string{}
	in := needInput(v, errs, "")
	in.Beneficiary.RegionCode, _ = s.regionFromForm(c, in.Beneficiary.RegionCode)
	pv := &previewView{}
	p, err := s.Needs.Preview(c.Request().Context(), PrincipalOf(c), in)
	var ve *kernel.ValidationError
	switch {
	case err == nil:
		pv.Title, pv.Story, pv.RegionCode, pv.AgeBand, pv.Households = p.Title, p.Story, p.RegionCode, p.AgeBand, p.HouseholdTypes
		pv.Redactions = len(p.TitleRedactions) + len(p.StoryRedactions)
		pv.TitleRedactions, pv.StoryRedactions = p.TitleRedactions, p.StoryRedactions
		pv.Kinds = countKinds(p.TitleRedactions, p.StoryRedactions)
	case errors.As(err, &ve):
		names := []string{in.Beneficiary.Name}
		for _, m := range in.Beneficiary.Members {
			names = append(names, m.Name)
		}
		var r1, r2 []anonymize.Redaction
		o := anonymize.ScrubOptions{Names: names}
		pv.Title, r1 = anonymize.ScrubStoryPreview(in.Title, o)
		pv.Story, r2 = anonymize.ScrubStoryPreview(in.Story, o)
		pv.Redactions, pv.Partial, pv.Kinds = len(r1)+len(r2), true, countKinds(r1, r2)
		pv.TitleRedactions, pv.StoryRedactions = r1, r2
	default:
		return err
	}
	return s.renderBlock(c, http.StatusOK, "worker_need_new", "preview", pv)
}

// handleWorkerNeedCreate posts the need; the form comes back with what to
// correct, or the worker goes to the new need's page with its screening.
func (s *Server) handleWorkerNeedCreate(c echo.Context) error {
	v, err := c.FormParams()
	if err != nil {
		return err
	}
	f := newNeedForm(v)
	in := needInput(v, f.Errors, s.pageT(c, "field_amount_yuan"))
	var reason string
	if in.Beneficiary.RegionCode, reason = s.regionFromForm(c, in.Beneficiary.RegionCode); reason != "" {
		f.Errors["region_code"] = reason
	}
	if len(f.Errors) == 0 {
		var created *marketplace.NeedCreated
		if created, err = s.Needs.Create(c.Request().Context(), PrincipalOf(c), in); err == nil {
			return c.Redirect(http.StatusSeeOther, "/staff/needs/"+created.Need.PublicID+"?posted=1")
		}
	} else {
		// What the form could not read is marked; the service checks the
		// rest without writing anything, so every mistake shows at once.
		_, err = s.Needs.Preview(c.Request().Context(), PrincipalOf(c), in)
	}
	var ve *kernel.ValidationError
	switch {
	case errors.As(err, &ve):
		s.fieldErrors(c, ve, formFieldOf, f.Errors)
	case err != nil && len(f.Errors) == 0:
		return err
	}
	f.FormErrorMsg = s.pageT(c, "form_has_errors")
	return s.render(c, http.StatusBadRequest, "worker_need_new", f)
}

// orgNeedsPage is a list of private needs with a status filter.
type orgNeedsPage struct {
	Status   string
	Statuses []kernel.NeedStatus
	Needs    []marketplace.NeedSummary
	Pager    pager
	Now      time.Time
}

// handleWorkerNeeds lists the worker's organizations' needs by status.
func (s *Server) handleWorkerNeeds(c echo.Context) error {
	status := c.QueryParam("status")
	page := atoiDefault(c.QueryParam("page"), 1)
	const per = 25
	list, total, err := s.Needs.OrgNeeds(c.Request().Context(), PrincipalOf(c), status, per, (page-1)*per)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "worker_needs", orgNeedsPage{Status: status, Statuses: marketplace.AllNeedStatuses, Needs: list,
		Pager: newPager("/worker/needs", c.QueryParams(), page, per, total), Now: s.now()})
}

// handleVerifyQueuePage lists submitted needs in the verifier's regions,
// the longest overdue first, with the time left against the limit.
func (s *Server) handleVerifyQueuePage(c echo.Context) error {
	page := atoiDefault(c.QueryParam("page"), 1)
	const per = 25
	overdue := c.QueryParam("overdue") == "1"
	list, total, err := s.Needs.ClearanceQueue(c.Request().Context(), PrincipalOf(c), overdue, per, (page-1)*per)
	if err != nil {
		return err
	}
	esc, err := s.escalationsOf(c, PrincipalOf(c))
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "verify_queue", verifyQueuePage{Overdue: overdue, Needs: list, Pager: newPager("/verify", c.QueryParams(), page, per, total),
		Now: s.now(), Escalations: esc, Reports: s.People != nil})
}

// verifyQueuePage is a page of the verifier's clearance queue.
type verifyQueuePage struct {
	Overdue bool
	Needs   []marketplace.NeedSummary
	Pager   pager
	Now     time.Time
	// Escalations are the steps escalated to the verifier's offices
	// (page_steps.go); Reports: the reports inbox is served.
	Escalations []marketplace.EscalatedStep
	Reports     bool
}

// TimeLeft says how long until due, or how long overdue, in hours and
// days, from the catalogs.
func (p *page) TimeLeft(due *time.Time, now time.Time) string {
	if due == nil {
		return ""
	}
	d := due.Sub(now)
	id := "time_left"
	if d < 0 {
		id, d = "time_overdue", -d
	}
	h := int(d.Hours())
	return p.Tf(id, "Days", h/24, "Hours", h%24)
}

// Overdue reports whether due has passed at now.
func (p *page) Overdue(due *time.Time, now time.Time) bool { return due != nil && now.After(*due) }

// staffNeedPage is the private page of one need.
type staffNeedPage struct {
	Private    *marketplace.PrivateNeed
	Posted     bool
	CanClear   bool
	CanPublish bool
	// CanClose: the posting organization's social worker may close the
	// need (结案), money having been given to it.
	CanClose bool
	// ServicePledges are volunteers' offers of service (for the posting
	// organization, with the decision).
	ServicePledges *marketplace.NeedServicePledges
	// Matches are the funds, projects and volunteers ranked for the need.
	Matches *matching.NeedMatches
	// Screening is the latest screening with its evidence (nil when none).
	Screening *kernel.Screening
	// Preview is how the need would be published now, with what was
	// removed marked: for the social worker before publishing and the
	// verifier at clearance (nil once published, or for others).
	Preview *marketplace.Projection
	// Steps are the need's steps with their time limits (page_steps.go).
	Steps *needStepsView
	Error string
	Now   time.Time
}

// handleStaffNeed shows a need's full record to its posting organization
// and covering verifiers (the need service refuses everyone else with
// ErrNotFound), with the actions their role allows.
func (s *Server) handleStaffNeed(c echo.Context) error {
	return s.renderStaffNeed(c, http.StatusOK, "")
}

func (s *Server) renderStaffNeed(c echo.Context, status int, msg string) error {
	p := PrincipalOf(c)
	priv, err := s.Needs.Private(c.Request().Context(), p, c.Param("id"))
	if err != nil {
		return err
	}
	d := staffNeedPage{Private: priv, Posted: c.QueryParam("posted") == "1", Error: msg, Now: s.now()}
	// The buttons are the actions the need service would accept now.
	d.CanClear = s.Needs.May(p, marketplace.ActClear, priv.Need) == nil
	d.CanPublish = s.Needs.May(p, marketplace.ActPublish, priv.Need) == nil
	d.CanClose = s.Needs.May(p, marketplace.ActClose, priv.Need) == nil
	if d.Steps, err = s.needSteps(c.Request().Context(), p, priv.Need); err != nil {
		return err
	}
	if priv.Need.PublishedAt == nil && (d.CanClear || d.CanPublish || p.Has(kernel.RoleSocialWorker)) {
		pv, err := s.Needs.PreviewStored(c.Request().Context(), p, priv.Need.PublicID)
		if err != nil && !errors.Is(err, kernel.ErrNotFound) {
			return err
		}
		d.Preview = pv
	}
	if s.People != nil {
		sp, err := s.People.NeedServicePledges(c.Request().Context(), p, priv.Need.PublicID)
		if err != nil && !errors.Is(err, kernel.ErrNotFound) {
			return err
		}
		d.ServicePledges = sp
	}
	if s.Matching != nil {
		m, err := s.Matching.NeedMatches(c.Request().Context(), p, priv.Need.PublicID, 0, 10)
		if err != nil && !errors.Is(err, kernel.ErrNotFound) && !errors.Is(err, kernel.ErrForbidden) {
			return err
		}
		d.Matches = m
	}
	if s.Screening != nil {
		recs, err := s.Screening.Screenings(c.Request().Context(), p, priv.Need.PublicID, false)
		if err != nil && !errors.Is(err, kernel.ErrNotFound) {
			return err
		}
		if len(recs) > 0 {
			d.Screening = &recs[0].Screening
		}
	}
	return s.render(c, status, "staff_need", d)
}

// handleStaffNeedClear records a verifier's decision from the form.
func (s *Server) handleStaffNeedClear(c echo.Context) error {
	in := marketplace.ClearanceInput{Decision: c.FormValue("decision"), Reference: c.FormValue("reference"), Note: c.FormValue("note"),
		Group: groupFromForm(c)}
	if r := strings.TrimSpace(c.FormValue("statutory_relief")); r != "" {
		fen, err := ParseYuan(r)
		if err != nil {
			return s.renderStaffNeed(c, http.StatusBadRequest, s.pageT(c, "form_bad_amount"))
		}
		in.StatutoryReliefFen = &fen
	}
	if _, err := s.Needs.Clear(c.Request().Context(), PrincipalOf(c), c.Param("id"), in); err != nil {
		return s.staffNeedError(c, err)
	}
	if in.Decision == marketplace.OutcomePassed {
		s.setFlash(c, "flash_reviewed")
	} else {
		s.setFlash(c, "flash_cleared")
	}
	return c.Redirect(http.StatusSeeOther, "/staff/needs/"+c.Param("id"))
}

// handleStaffNeedClose closes a need with the worker's closing note and,
// when money was not paid out, the reason it will not be.
func (s *Server) handleStaffNeedClose(c echo.Context) error {
	in := marketplace.CloseInput{Note: c.FormValue("note"), UnpaidReason: c.FormValue("unpaid_reason")}
	if _, err := s.Needs.Close(c.Request().Context(), PrincipalOf(c), c.Param("id"), in); err != nil {
		return s.staffNeedError(c, err)
	}
	s.setFlash(c, "flash_need_closed")
	return c.Redirect(http.StatusSeeOther, "/staff/needs/"+c.Param("id"))
}

// handleStaffNeedPublish publishes a cleared need.
func (s *Server) handleStaffNeedPublish(c echo.Context) error {
	if _, _, err := s.Needs.Publish(c.Request().Context(), PrincipalOf(c), c.Param("id")); err != nil {
		return s.staffNeedError(c, err)
	}
	s.setFlash(c, "flash_published")
	return c.Redirect(http.StatusSeeOther, "/staff/needs/"+c.Param("id"))
}

// staffNeedError shows a refused action on the need's page; errors that
// mean "not yours" or "no such need" stay errors.
func (s *Server) staffNeedError(c echo.Context, err error) error {
	var ve *kernel.ValidationError
	switch {
	case errors.Is(err, kernel.ErrNotFound), errors.Is(err, kernel.ErrForbidden):
		return err
	case errors.As(err, &ve):
		return s.renderStaffNeed(c, http.StatusBadRequest, s.pageT(c, "form_has_errors")+" "+s.fieldsText(c, ve))
	case refusedWithDetails(err):
		status, _ := toAPIError(err)
		return s.renderStaffNeed(c, status, s.pageT(c, "action_refused")+" "+s.userMessage(c, err, ""))
	case errors.Is(err, kernel.ErrConflict) && errors.As(err, new(*kernel.Refusal)):
		// A refusal says why (money not paid out, none given to the
		// need): the page shows its reason.
		return s.renderStaffNeed(c, http.StatusConflict, s.pageT(c, "action_refused")+" "+s.userMessage(c, err, ""))
	case errors.Is(err, kernel.ErrConflict):
		return s.renderStaffNeed(c, http.StatusConflict, s.pageT(c, "action_conflict"))
	}
	return err
}

func atoiDefault(s string, def int) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return def
	}
	return n
}

// now is the server's clock for pages (the services' clock in tests).
func (s *Server) now() time.Time {
	if s.pages.now != nil {
		return s.pages.now()
	}
	return time.Now()
}

// Err is the error of field k ("" when none).
func (f needForm) Err(k string) string { return f.Errors[k] }
