package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/marketplace"
)

type certificateJSON struct {
	Name       string `json:"name"`
	Number     string `json:"number,omitempty"`
	Issuer     string `json:"issuer,omitempty"`
	ValidUntil string `json:"valid_until,omitempty"`
}

type skillJSON struct {
	Service     string           `json:"service"`
	Level       int              `json:"level"`
	LevelName   string           `json:"level_name"`
	Certificate *certificateJSON `json:"certificate,omitempty"`
}

type slotJSON struct {
	Weekday int    `json:"weekday" required:"true"`
	From    string `json:"from"`
	To      string `json:"to"`
}

type volunteerRegionJSON struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

type backgroundJSON struct {
	Status    string     `json:"status"`
	CheckedAt *time.Time `json:"checked_at"`
	Note      string     `json:"note,omitempty"`
}

type volunteerJSON struct {
	ID              string                `json:"id"`
	DisplayName     string                `json:"display_name"`
	Skills          []skillJSON           `json:"skills"`
	Regions         []volunteerRegionJSON `json:"regions"`
	Availability    []slotJSON            `json:"availability"`
	LoadLimit       int                   `json:"load_limit"`
	CurrentLoad     int                   `json:"current_load"`
	BackgroundCheck backgroundJSON        `json:"background_check"`
	CreatedAt       time.Time             `json:"created_at"`
	UpdatedAt       time.Time             `json:"updated_at"`
}

func (s *Server) toVolunteerJSON(v *marketplace.Volunteer) volunteerJSON {
	out := volunteerJSON{ID: v.PublicID, DisplayName: v.DisplayName, Skills: []skillJSON{}, Regions: []volunteerRegionJSON{}, Availability: []slotJSON{},
		LoadLimit: v.LoadLimit, CurrentLoad: v.CurrentLoad, CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt,
		BackgroundCheck: backgroundJSON{Status: string(v.Background.Status), CheckedAt: v.Background.CheckedAt, Note: v.Background.Note}}
	for _, k := range v.Skills {
		sj := skillJSON{Service: string(k.Service), Level: int(k.Level), LevelName: k.Level.Name()}
		if c := k.Certificate; c != nil {
			sj.Certificate = &certificateJSON{Name: c.Name, Number: c.Number, Issuer: c.Issuer}
			if c.ValidUntil != nil {
				sj.Certificate.ValidUntil = c.ValidUntil.Format(time.DateOnly)
			}
		}
		out.Skills = append(out.Skills, sj)
	}
	for _, r := range v.Regions {
		name := ""
		if s.People != nil && s.People.Divisions != nil {
			name = s.People.Divisions.FullName(r)
		}
		out.Regions = append(out.Regions, volunteerRegionJSON{Code: r, Name: name})
	}
	for _, sl := range v.Availability {
		out.Availability = append(out.Availability, slotJSON{Weekday: sl.Weekday, From: marketplace.FormatClock(sl.From), To: marketplace.FormatClock(sl.To)})
	}
	return out
}

type profileRequest struct {
	Skills []struct {
		Service     string           `json:"service"`
		Level       any              `json:"level"`
		Certificate *certificateJSON `json:"certificate"`
	} `json:"skills"`
	Regions      []string   `json:"regions"`
	Availability []slotJSON `json:"availability"`
	LoadLimit    int        `json:"load_limit"`
}

// handleVolunteerSave writes the caller's volunteer profile (PUT /volunteers/me).
func (s *Server) handleVolunteerSave(c echo.Context) error {
	var req profileRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	in := marketplace.ProfileInput{Regions: req.Regions, LoadLimit: req.LoadLimit}
	for i, k := range req.Skills {
		si := marketplace.SkillInput{Service: k.Service}
		lvl, err := skillLevelParam(k.Level, fmt.Sprintf("skills[%d].level", i))
		if err != nil {
			return err
		}
		si.Level = lvl
		if k.Certificate != nil {
			si.Certificate = &marketplace.CertificateInput{Name: k.Certificate.Name, Number: k.Certificate.Number,
				Issuer: k.Certificate.Issuer, ValidUntil: k.Certificate.ValidUntil}
		}
		in.Skills = append(in.Skills, si)
	}
	for _, sl := range req.Availability {
		in.Availability = append(in.Availability, marketplace.SlotInput{Weekday: sl.Weekday, From: sl.From, To: sl.To})
	}
	v, err := s.People.SaveProfile(c.Request().Context(), PrincipalOf(c), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.toVolunteerJSON(v))
}

// handleVolunteerMe returns the caller's volunteer profile; 404 before the
// first PUT.
func (s *Server) handleVolunteerMe(c echo.Context) error {
	v, err := s.People.MyProfile(c.Request().Context(), PrincipalOf(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.toVolunteerJSON(v))
}

// handleVolunteerList lists volunteers for staff (filter background_check).
func (s *Server) handleVolunteerList(c echo.Context) error {
	limit, err := queryIntIn(c, "limit", 0, 1, 500)
	if err != nil {
		return err
	}
	vs, err := s.People.Volunteers(c.Request().Context(), PrincipalOf(c), marketplace.BackgroundStatus(c.QueryParam("background_check")), limit)
	if err != nil {
		return err
	}
	out := make([]volunteerJSON, len(vs))
	for i := range vs {
		out[i] = s.toVolunteerJSON(&vs[i])
	}
	return c.JSON(http.StatusOK, map[string]any{"items": out})
}

type backgroundRequest struct {
	Status    string `json:"status"`
	CheckedAt string `json:"checked_at"`
	Note      string `json:"note"`
}

// handleVolunteerBackgroundCheck records a volunteer's background check (staff).
func (s *Server) handleVolunteerBackgroundCheck(c echo.Context) error {
	var req backgroundRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	v, err := s.People.SetBackgroundCheck(c.Request().Context(), PrincipalOf(c), c.Param("id"),
		marketplace.BackgroundCheckInput{Status: req.Status, CheckedAt: req.CheckedAt, Note: req.Note})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.toVolunteerJSON(v))
}

// skillLevelParam reads a skill level as docs/openapi.yaml describes it: the
// number 1 to 3, or the word; a number sent as a string is refused, as any
// other type is.
func skillLevelParam(v any, field string) (string, error) {
	switch l := v.(type) {
	case nil:
		return "", nil
	case json.Number:
		return l.String(), nil
	case string:
		if _, err := strconv.Atoi(strings.TrimSpace(l)); err != nil {
			return l, nil
		}
	}
	return "", kernel.Invalid(field, "must be 1, 2 or 3 as a number, or basic, skilled or professional")
}
