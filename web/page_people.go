package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/matching"
)

// Pages over the people service: the active-discovery report form (主动发现)
// anyone may send, and the volunteer's own page: profile (skills, areas,
// weekly availability), needs matched to them with the reasons, service
// pledges and the log of service given.

type reportPage struct {
	Categories []kernel.Category
	Values     map[string]string
	// Errors says what is wrong, field by field.
	Errors  map[string]string
	Error   string
	Receipt *marketplace.ReportReceipt
}

// handleReportPage shows the report form.
func (s *Server) handleReportPage(c echo.Context) error {
	return s.render(c, http.StatusOK, "report", reportPage{Categories: kernel.Categories, Values: map[string]string{}})
}

// handleReportForm takes a report of a person in hardship and routes it to
// the social workers of the region.
func (s *Server) handleReportForm(c echo.Context) error {
	typed := strings.TrimSpace(c.FormValue("region_code"))
	in := marketplace.ReportInput{Category: c.FormValue("category"), Description: c.FormValue("description"), Contact: c.FormValue("contact")}
	code, reason := s.regionFromForm(c, typed)
	in.RegionCode = code
	var err error
	errs := map[string]string{}
	if reason == "" {
		var rec *marketplace.ReportReceipt
		if rec, err = s.People.SubmitReport(c.Request().Context(), PrincipalOf(c), in); err == nil {
			return s.render(c, http.StatusOK, "report", reportPage{Receipt: rec})
		}
		var ve *kernel.ValidationError
		if !errors.As(err, &ve) {
			return err
		}
		s.fieldErrors(c, ve, nil, errs)
	} else {
		// The typed region was not taken: the service still checks the
		// rest (an empty region is refused, so nothing is filed), so that
		// every mistake shows at once.
		in.RegionCode = ""
		_, err = s.People.SubmitReport(c.Request().Context(), PrincipalOf(c), in)
		var ve *kernel.ValidationError
		if !errors.As(err, &ve) {
			return fmt.Errorf("web: a report without a region was not refused: %v", err)
		}
		s.fieldErrors(c, ve, nil, errs)
	}
	if reason != "" {
		errs["region_code"] = reason
	}
	return s.render(c, http.StatusBadRequest, "report", reportPage{Categories: kernel.Categories, Error: s.pageT(c, "form_has_errors"), Errors: errs,
		Values: map[string]string{"region_code": typed, "category": in.Category, "description": in.Description, "contact": in.Contact}})
}

// volunteerPage is the volunteer's own page.
type volunteerPage struct {
	Profile  *marketplace.Volunteer
	Services []kernel.Service
	Levels   map[kernel.Service]int
	Regions  string
	Slots    []marketplace.Slot
	Matches  []matching.RankedNeed
	Record   *marketplace.ServiceRecord
	Titles   needTitles
	Error    string
	Saved    bool
}

// handleVolunteerPage shows the volunteer's profile, matches and service.
func (s *Server) handleVolunteerPage(c echo.Context) error {
	return s.renderVolunteer(c, http.StatusOK, "")
}

func (s *Server) renderVolunteer(c echo.Context, status int, msg string) error {
	ctx, p := c.Request().Context(), PrincipalOf(c)
	d := volunteerPage{Services: kernel.Services, Levels: map[kernel.Service]int{}, Error: msg, Saved: c.QueryParam("saved") == "1"}
	v, err := s.People.MyProfile(ctx, p)
	switch {
	case err == nil:
		d.Profile = v
		for _, sk := range v.Skills {
			d.Levels[sk.Service] = int(sk.Level)
		}
		names := make([]string, len(v.Regions))
		for i, r := range v.Regions {
			names[i] = s.regionForForm(r)
		}
		d.Regions = strings.Join(names, "、")
		d.Slots = v.Availability
	case errors.Is(err, kernel.ErrNotFound):
	default:
		return err
	}
	if d.Profile != nil && s.Matching != nil {
		ms, _, err := s.Matching.VolunteerMatches(ctx, p, 0, 20)
		if err != nil && !errors.Is(err, kernel.ErrNotFound) {
			return err
		}
		d.Matches = ms
	}
	if d.Record, err = s.People.MyService(ctx, p); err != nil {
		return err
	}
	var ids []string
	for _, sp := range d.Record.Pledges {
		ids = append(ids, sp.NeedPublicID)
	}
	if d.Titles, err = s.needTitles(ctx, ids); err != nil {
		return err
	}
	return s.render(c, status, "volunteer", d)
}

// handleVolunteerProfileForm saves the profile.
func (s *Server) handleVolunteerProfileForm(c echo.Context) error {
	in := marketplace.ProfileInput{}
	for _, svc := range kernel.Services {
		if lv := c.FormValue("level_" + string(svc)); lv != "" && lv != "0" {
			in.Skills = append(in.Skills, marketplace.SkillInput{Service: string(svc), Level: lv})
		}
	}
	var regionErrs []string
	for _, r := range strings.FieldsFunc(c.FormValue("regions"), func(r rune) bool { return r == ',' || r == '，' || r == ' ' || r == '、' }) {
		code, reason := s.regionFromForm(c, r)
		if reason != "" {
			regionErrs = append(regionErrs, reason)
			continue
		}
		in.Regions = append(in.Regions, code)
	}
	if len(regionErrs) > 0 {
		return s.renderVolunteer(c, http.StatusBadRequest, s.pageT(c, "form_has_errors")+" "+strings.Join(regionErrs, " "))
	}
	for wd := 1; wd <= 7; wd++ {
		from, to := c.FormValue("from_"+strconv.Itoa(wd)), c.FormValue("to_"+strconv.Itoa(wd))
		if from != "" || to != "" {
			in.Availability = append(in.Availability, marketplace.SlotInput{Weekday: wd, From: from, To: to})
		}
	}
	if _, err := s.People.SaveProfile(c.Request().Context(), PrincipalOf(c), in); err != nil {
		var ve *kernel.ValidationError
		if errors.As(err, &ve) {
			return s.renderVolunteer(c, http.StatusBadRequest, s.pageT(c, "form_has_errors")+" "+s.fieldsText(c, ve))
		}
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/volunteer?saved=1")
}

// handleServicePledgeForm pledges hours of a skill to a need.
func (s *Server) handleServicePledgeForm(c echo.Context) error {
	hours, _ := strconv.ParseFloat(c.FormValue("hours"), 64)
	_, err := s.People.PledgeService(c.Request().Context(), PrincipalOf(c), marketplace.ServicePledgeInput{NeedID: c.FormValue("need_id"), Skill: c.FormValue("skill"), Hours: hours})
	var ve *kernel.ValidationError
	switch {
	case err == nil:
		s.setFlash(c, "flash_service_pledged")
		return c.Redirect(http.StatusSeeOther, "/volunteer")
	case errors.As(err, &ve):
		return s.renderVolunteer(c, http.StatusBadRequest, s.pageT(c, "service_pledge_refused")+" "+s.fieldsText(c, ve))
	case errors.Is(err, kernel.ErrConflict):
		return s.renderVolunteer(c, http.StatusBadRequest, s.pageT(c, "service_pledge_refused"))
	}
	return err
}

// handleServiceLogForm logs service given on an accepted pledge.
func (s *Server) handleServiceLogForm(c echo.Context) error {
	hours, _ := strconv.ParseFloat(c.FormValue("hours"), 64)
	_, err := s.People.LogService(c.Request().Context(), PrincipalOf(c), c.Param("id"), marketplace.ServiceLogInput{Hours: hours, Date: c.FormValue("date"), Note: c.FormValue("note")})
	var ve *kernel.ValidationError
	switch {
	case err == nil:
		s.setFlash(c, "flash_service_logged")
		return c.Redirect(http.StatusSeeOther, "/volunteer")
	case errors.As(err, &ve):
		return s.renderVolunteer(c, http.StatusBadRequest, s.pageT(c, "form_has_errors")+" "+s.fieldsText(c, ve))
	case errors.Is(err, kernel.ErrConflict):
		return s.renderVolunteer(c, http.StatusConflict, s.pageT(c, "action_conflict"))
	}
	return err
}

// handleServicePledgeDecisionForm lets the posting organization accept or
// decline a volunteer's service pledge.
func (s *Server) handleServicePledgeDecisionForm(c echo.Context) error {
	_, err := s.People.DecideServicePledge(c.Request().Context(), PrincipalOf(c), c.Param("id"), c.FormValue("accept") == "1")
	switch {
	case err == nil && c.FormValue("accept") == "1":
		s.setFlash(c, "flash_service_pledge_accepted")
	case err == nil:
		s.setFlash(c, "flash_service_pledge_declined")
	case !errors.Is(err, kernel.ErrConflict):
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/staff/needs/"+c.FormValue("need_id"))
}

// Clock formats minutes after midnight as HH:MM.
func (p *page) Clock(min int) string { return marketplace.FormatClock(min) }

// Hours formats minutes as hours with one decimal.
func (p *page) Hours(min int) string { return strconv.FormatFloat(float64(min)/60, 'f', 1, 64) }

// SlotOf is the volunteer's window on weekday wd, if any.
func (d volunteerPage) SlotOf(wd int) *marketplace.Slot {
	for i := range d.Slots {
		if d.Slots[i].Weekday == wd {
			return &d.Slots[i]
		}
	}
	return nil
}

// Weekdays are 1 (Monday) to 7.
func (d volunteerPage) Weekdays() []int { return []int{1, 2, 3, 4, 5, 6, 7} }
