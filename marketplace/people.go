package marketplace

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// PeopleService runs volunteer profiles, active-discovery reports (主动发现),
// volunteer claims of service needs and service pledges.
type PeopleService struct {
	Store     PeopleStore
	Cipher    *Cipher
	Divisions *kernel.Divisions
	Now       func() time.Time
	NewID     func() string
	// Calendar counts the working days of the report follow-up limit
	// (nil: China's holiday table alone).
	Calendar *kernel.Calendar
	// ReportFollowUpWorkingDays is the time limit of a report's follow-up
	// (2 working days when 0).
	ReportFollowUpWorkingDays int
}

// NewPeopleService returns the service. The cipher must be the key ring the
// needs are sealed with: revealing a household's contact opens the
// beneficiary's identity.
func NewPeopleService(store PeopleStore, c *Cipher, d *kernel.Divisions, now func() time.Time, newID func() string) *PeopleService {
	return &PeopleService{Store: store, Cipher: c, Divisions: d, Now: now, NewID: newID}
}

func (s *PeopleService) sealText(text, ad string) ([]byte, string, error) {
	if text == "" {
		return nil, "", nil
	}
	return s.Cipher.Seal([]byte(text), []byte(ad))
}

func (s *PeopleService) openText(ct []byte, kid, ad string) (string, error) {
	if len(ct) == 0 {
		return "", nil
	}
	b, err := s.Cipher.Open(ct, kid, []byte(ad))
	if err != nil {
		return "", err
	}
	return string(b), nil
}

func certAD(volunteerID string, svc kernel.Service) string {
	return volunteerID + "/cert/" + string(svc)
}
func bgNoteAD(volunteerID string) string { return volunteerID + "/background_note" }

// isStaff reports whether p may administer volunteers' background checks.
func isStaff(p *kernel.Principal) bool { return p.HasAny(kernel.RoleFederationStaff, kernel.RoleAdmin) }

// SaveProfile creates or replaces the caller's volunteer profile. Volunteers
// only (ErrForbidden); *ValidationError naming the field; nothing is written
// unless the whole profile is valid.
func (s *PeopleService) SaveProfile(ctx context.Context, by *kernel.Principal, in ProfileInput) (*Volunteer, error) {
	if !by.Has(kernel.RoleVolunteer) {
		return nil, kernel.ErrForbidden
	}
	now := s.Now().UTC()
	v, err := validateProfile(s.Divisions, in, now)
	if err != nil {
		return nil, err
	}
	old, err := s.Store.VolunteerByUser(ctx, by.User.ID, now)
	switch {
	case err == nil:
		v.ID, v.PublicID, v.CreatedAt, v.Background = old.ID, old.PublicID, old.CreatedAt, old.Background
	case errors.Is(err, kernel.ErrNotFound):
		v.PublicID, v.CreatedAt, v.Background = s.NewID(), now, BackgroundCheck{Status: BackgroundNone}
	default:
		return nil, err
	}
	v.UserID, v.UserPublicID, v.DisplayName, v.UpdatedAt = by.User.ID, by.User.PublicID, by.User.DisplayName, now
	for i := range v.Skills {
		if c := v.Skills[i].Certificate; c != nil && c.Number != "" {
			if c.NumberCT, c.NumberKID, err = s.sealText(c.Number, certAD(v.PublicID, v.Skills[i].Service)); err != nil {
				return nil, err
			}
		}
	}
	services := make([]string, len(v.Skills))
	for i, k := range v.Skills {
		services[i] = string(k.Service)
	}
	a := AuditEntry{Stream: "volunteer:" + v.PublicID, At: now, Actor: by.User.PublicID, Action: "volunteer.profile.save",
		ObjectType: "volunteer", ObjectID: v.PublicID, Detail: auditDetail(map[string]any{
			"services": services, "regions": v.Regions, "load_limit": v.LoadLimit, "slots": len(v.Availability)})}
	if err := s.Store.SaveVolunteer(ctx, v, a); err != nil {
		return nil, fmt.Errorf("people: save profile: %w", err)
	}
	return s.MyProfile(ctx, by)
}

// MyProfile returns the caller's profile with certificate numbers opened.
// ErrNotFound when they have written none yet.
func (s *PeopleService) MyProfile(ctx context.Context, by *kernel.Principal) (*Volunteer, error) {
	if !by.Has(kernel.RoleVolunteer) {
		return nil, kernel.ErrForbidden
	}
	v, err := s.Store.VolunteerByUser(ctx, by.User.ID, s.Now().UTC())
	if err != nil {
		return nil, err
	}
	if err := s.openCertificates(v); err != nil {
		return nil, err
	}
	v.Background.Note = "" // the staff's note is for staff
	return v, nil
}

func (s *PeopleService) openCertificates(v *Volunteer) error {
	for i := range v.Skills {
		if c := v.Skills[i].Certificate; c != nil {
			n, err := s.openText(c.NumberCT, c.NumberKID, certAD(v.PublicID, v.Skills[i].Service))
			if err != nil {
				return fmt.Errorf("people: open certificate: %w", err)
			}
			c.Number = n
		}
	}
	return nil
}

// Volunteers lists profiles for federation staff and administrators (who
// set background checks), filtered by background status when bg is set.
func (s *PeopleService) Volunteers(ctx context.Context, by *kernel.Principal, bg BackgroundStatus, limit int) ([]Volunteer, error) {
	if !isStaff(by) {
		return nil, kernel.ErrForbidden
	}
	if bg != "" && !bg.Valid() {
		return nil, kernel.Invalid("background_check", "must be one of %v", BackgroundStatuses)
	}
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	vs, err := s.Store.ListVolunteers(ctx, bg, limit, s.Now().UTC())
	if err != nil {
		return nil, err
	}
	for i := range vs {
		if err := s.openCertificates(&vs[i]); err != nil {
			return nil, err
		}
		if vs[i].Background.Note, err = s.openText(vs[i].Background.NoteCT, vs[i].Background.NoteKID, bgNoteAD(vs[i].PublicID)); err != nil {
			return nil, err
		}
	}
	return vs, nil
}

// BackgroundCheckInput is what staff record about a volunteer's check;
// CheckedAt is YYYY-MM-DD or RFC 3339, required for cleared and expired.
type BackgroundCheckInput struct {
	Status    string
	CheckedAt string
	Note      string
}

// SetBackgroundCheck records a volunteer's background check: federation
// staff and administrators only (ErrForbidden), ErrNotFound for an unknown
// volunteer, *ValidationError.
func (s *PeopleService) SetBackgroundCheck(ctx context.Context, by *kernel.Principal, volunteerPublicID string, in BackgroundCheckInput) (*Volunteer, error) {
	if !isStaff(by) {
		return nil, kernel.ErrForbidden
	}
	now := s.Now().UTC()
	vol, err := s.Store.VolunteerByPublicID(ctx, volunteerPublicID, now)
	if err != nil {
		return nil, err
	}
	v := &kernel.ValidationError{}
	bc := BackgroundCheck{Status: BackgroundStatus(strings.TrimSpace(in.Status)), SetBy: by.User.PublicID}
	if !bc.Status.Valid() {
		v.Add("status", "must be one of %v", BackgroundStatuses)
	}
	if ca := strings.TrimSpace(in.CheckedAt); ca != "" {
		t, err := time.Parse(time.RFC3339, ca)
		if err != nil {
			t, err = time.Parse(time.DateOnly, ca)
		}
		switch {
		case err != nil:
			v.Add("checked_at", "must be a date YYYY-MM-DD or an RFC 3339 time")
		case t.After(now):
			v.Add("checked_at", "must not be in the future")
		case t.Before(now.AddDate(-20, 0, 0)):
			v.Add("checked_at", "is implausibly old")
		default:
			t = t.UTC()
			bc.CheckedAt = &t
		}
	} else if bc.Status == BackgroundCleared || bc.Status == BackgroundExpired {
		v.Add("checked_at", "is required for status %s", bc.Status)
	}
	bc.Note = cleanText(v, "note", in.Note, 500, false)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if bc.NoteCT, bc.NoteKID, err = s.sealText(bc.Note, bgNoteAD(vol.PublicID)); err != nil {
		return nil, err
	}
	detail := map[string]any{"status": bc.Status}
	if bc.CheckedAt != nil {
		detail["checked_at"] = bc.CheckedAt.Format(time.RFC3339)
	}
	a := AuditEntry{Stream: "volunteer:" + vol.PublicID, At: now, Actor: by.User.PublicID, Action: "volunteer.background_check",
		ObjectType: "volunteer", ObjectID: vol.PublicID, Detail: auditDetail(detail)}
	if err := s.Store.SetBackgroundCheck(ctx, vol.ID, bc, now, a); err != nil {
		return nil, fmt.Errorf("people: background check: %w", err)
	}
	vol.Background = bc
	vol.UpdatedAt = now
	return vol, nil
}

// CandidateVolunteers returns the volunteers who serve regionCode (one of
// their regions contains it) and offer at least one of services, with their
// current load and background check status (certificate numbers and staff
// notes stay sealed): the candidates volunteer matching ranks. It checks no
// caller; whoever shows the result decides who may see it. At most limit
// (default 1000).
func (s *PeopleService) CandidateVolunteers(ctx context.Context, regionCode string, services []kernel.Service, limit int) ([]Volunteer, error) {
	if !kernel.RegionCodeFormatOK(regionCode) {
		return nil, kernel.Invalid("region_code", "must be a GB/T 2260 code of 6, 9 or 12 digits")
	}
	if len(services) == 0 {
		return []Volunteer{}, nil
	}
	if limit <= 0 {
		limit = 1000
	}
	return s.Store.VolunteersServing(ctx, RegionPrefixesOf(regionCode), services, limit, s.Now().UTC())
}

// RegionPrefixesOf lists the prefixes a division containing code can have:
// its first 2 (province), 4 (city), 6 (county) and 9 (town) digits, as far as
// code is long. volunteer_regions.region_prefix is one of these for every
// volunteer region that contains code.
func RegionPrefixesOf(code string) []string {
	var out []string
	for _, n := range []int{2, 4, 6, 9} {
		if len(code) >= n {
			out = append(out, code[:n])
		}
	}
	return out
}
