package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
)

// The administrator's pages (issue 17), over what existed only in the API
// (GET/POST /api/v1/orgs, POST /api/v1/orgs/:id/members): the
// organizations with their kind, region and number of members, a new
// organization (its region typed or picked), and one organization with its
// staff accounts and the form to add one. Same rule as the API: the admin
// role, over every organization.

// adminPage is the administrator's home: the organizations and the form
// for a new one.
type adminPage struct {
	Orgs         []marketplace.OrgSummary
	Kinds        []kernel.OrgKind
	Values       url.Values
	Errors       map[string]string
	FormErrorMsg string
}

func (d adminPage) V(k string) string   { return d.Values.Get(k) }
func (d adminPage) Err(k string) string { return d.Errors[k] }

// adminOrgPage is one organization with its members and the form to add
// one.
type adminOrgPage struct {
	Org     *kernel.Org
	Members []marketplace.OrgMember
	// Roles are the roles the organization's kind can give.
	Roles        []kernel.Role
	MinPw        int
	Values       url.Values
	Errors       map[string]string
	FormErrorMsg string
}

func (d adminOrgPage) V(k string) string   { return d.Values.Get(k) }
func (d adminOrgPage) Err(k string) string { return d.Errors[k] }

// handleAdminPage lists the organizations with the form for a new one.
func (s *Server) handleAdminPage(c echo.Context) error {
	return s.renderAdmin(c, http.StatusOK, adminPage{Values: url.Values{}, Errors: map[string]string{}})
}

func (s *Server) renderAdmin(c echo.Context, status int, d adminPage) error {
	orgs, err := s.Accounts.Orgs(c.Request().Context(), PrincipalOf(c))
	if err != nil {
		return err
	}
	d.Orgs, d.Kinds = orgs, kernel.OrgKinds
	return s.render(c, status, "admin", d)
}

// handleAdminOrgCreateForm creates an organization and opens its page, or
// shows the form again with what to correct beside each field.
func (s *Server) handleAdminOrgCreateForm(c echo.Context) error {
	v, err := c.FormParams()
	if err != nil {
		return err
	}
	d := adminPage{Values: v, Errors: map[string]string{}}
	code, reason := s.regionFromForm(c, v.Get("region_code"))
	if reason != "" {
		d.Errors["region_code"] = reason
	}
	o, err := s.Accounts.CreateOrg(c.Request().Context(), PrincipalOf(c), marketplace.NewOrg{Name: v.Get("name"),
		Kind: kernel.OrgKind(v.Get("kind")), RegionCode: code})
	// A region that was not resolved is an empty code, which the service
	// refuses with the other fields' mistakes.
	var ve *kernel.ValidationError
	switch {
	case err == nil:
		s.setFlash(c, "flash_org_created")
		return c.Redirect(http.StatusSeeOther, "/admin/orgs/"+url.PathEscape(o.PublicID))
	case errors.As(err, &ve):
		s.fieldErrors(c, ve, nil, d.Errors)
	default:
		return err
	}
	d.FormErrorMsg = s.pageT(c, "form_has_errors")
	return s.renderAdmin(c, http.StatusBadRequest, d)
}

// handleAdminOrgPage shows an organization with its members.
func (s *Server) handleAdminOrgPage(c echo.Context) error {
	return s.renderAdminOrg(c, http.StatusOK, adminOrgPage{Values: url.Values{}, Errors: map[string]string{}})
}

func (s *Server) renderAdminOrg(c echo.Context, status int, d adminOrgPage) error {
	org, ms, err := s.Accounts.OrgMembers(c.Request().Context(), PrincipalOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	d.Org, d.Members, d.Roles, d.MinPw = org, ms, org.Kind.Roles(), marketplace.MinPasswordLen
	if d.Values.Get("role") == "" && len(d.Roles) > 0 {
		d.Values.Set("role", string(d.Roles[0]))
	}
	return s.render(c, status, "admin_org", d)
}

// handleAdminMemberForm creates a staff account in the organization with
// its role and initial password, or shows the form again with what to
// correct. The password is never shown again.
func (s *Server) handleAdminMemberForm(c echo.Context) error {
	v, err := c.FormParams()
	if err != nil {
		return err
	}
	id := c.Param("id")
	_, err = s.Accounts.AddMember(c.Request().Context(), PrincipalOf(c), id, marketplace.NewUser{Email: v.Get("email"),
		Password: v.Get("password"), DisplayName: v.Get("display_name"), Role: kernel.Role(v.Get("role"))})
	if err == nil {
		s.setFlash(c, "flash_member_added")
		return c.Redirect(http.StatusSeeOther, "/admin/orgs/"+url.PathEscape(id))
	}
	kept := url.Values{"email": {v.Get("email")}, "display_name": {v.Get("display_name")}, "role": {v.Get("role")}}
	d := adminOrgPage{Values: kept, Errors: map[string]string{}, FormErrorMsg: s.pageT(c, "form_has_errors")}
	var ve *kernel.ValidationError
	switch {
	case errors.As(err, &ve):
		s.fieldErrors(c, ve, nil, d.Errors)
	case errors.Is(err, kernel.ErrConflict) && errors.As(err, new(*kernel.Refusal)):
		// The e-mail belongs to an account already.
		d.Errors["email"] = s.userMessage(c, err, "")
	default:
		return err
	}
	return s.renderAdminOrg(c, http.StatusBadRequest, d)
}

// RoleName names a role.
func (p *page) RoleName(r kernel.Role) string { return p.T("role_" + string(r)) }

// OrgKind names an organization's kind.
func (p *page) OrgKind(k kernel.OrgKind) string { return p.T("org_kind_" + string(k)) }

// adminHome is where an administrator lands after signing in without a
// page to return to.
func adminHome(p *kernel.Principal, next string) string {
	if next == "" && p.Has(kernel.RoleAdmin) {
		return "/admin"
	}
	return next
}
