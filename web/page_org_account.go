package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
)

// orgAccountPage is the staff form for an organization's collection
// account, the account donors transfer their pledges to.
type orgAccountPage struct {
	Org *kernel.Org
	// Orgs are the organizations an administrator may pick from.
	Orgs    []kernel.Org
	Account kernel.CollectionAccount
	Errors  map[string]string
	Error   string
	// Pay is the WeChat Pay and Alipay part (page_paychan.go); nil without it.
	Pay *payChannelsView
	// Registration is the charity's credit code and registered name, and
	// RegErrors and RegError the problems of that form (page_receipts.go).
	Registration kernel.OrgRegistration
	RegErrors    map[string]string
	RegError     string
}

// collectionFieldMessages names the catalogue message shown beside each
// field the account service refuses.
var collectionFieldMessages = map[string]string{
	"account_name": "org_account_err_name",
	"bank":         "org_account_err_bank",
	"account_no":   "org_account_err_no",
	"pay_link":     "org_account_err_link",
}

// staffOrg is the organization the page is about: the one named by "org"
// for an administrator, else the caller's own charity federation. A
// staff member naming another organization gets ErrNotFound.
func (s *Server) staffOrg(c echo.Context) (*kernel.Org, error) {
	by := PrincipalOf(c)
	id := c.FormValue("org")
	if id == "" {
		if own := by.OrgsWith(kernel.RoleFederationStaff); len(own) > 0 {
			id = own[0].PublicID
		}
	}
	if id == "" {
		return nil, nil
	}
	org, err := s.Accounts.Store.OrgByPublicID(c.Request().Context(), id)
	if err != nil {
		return nil, err
	}
	if !marketplace.MayEditCollection(by, org) {
		return nil, kernel.ErrNotFound
	}
	return org, nil
}

// handleOrgAccountPage shows the collection account form.
func (s *Server) handleOrgAccountPage(c echo.Context) error {
	org, err := s.staffOrg(c)
	if err != nil {
		return err
	}
	d := orgAccountPage{Org: org}
	if org != nil {
		d.Account = org.Collection
		d.Registration = org.Registration
	}
	if d.Pay, err = s.payChannelsOf(c, org); err != nil {
		return err
	}
	if PrincipalOf(c).Has(kernel.RoleAdmin) {
		if d.Orgs, err = s.Accounts.Store.ListOrgs(c.Request().Context()); err != nil {
			return err
		}
	}
	return s.render(c, http.StatusOK, "staff_org", d)
}

// handleOrgAccountForm saves the collection account and shows it again.
func (s *Server) handleOrgAccountForm(c echo.Context) error {
	org, err := s.staffOrg(c)
	if err != nil {
		return err
	}
	if org == nil {
		return kernel.ErrNotFound
	}
	a := kernel.CollectionAccount{AccountName: c.FormValue("account_name"), Bank: c.FormValue("bank"),
		AccountNo: c.FormValue("account_no"), PayLink: c.FormValue("pay_link")}
	_, err = s.Accounts.SetCollection(c.Request().Context(), PrincipalOf(c), org.PublicID, a)
	var ve *kernel.ValidationError
	if errors.As(err, &ve) {
		d := orgAccountPage{Org: org, Account: a, Errors: map[string]string{}, Error: s.pageT(c, "err_invalid"), Registration: org.Registration}
		if d.Pay, err = s.payChannelsOf(c, org); err != nil {
			return err
		}
		for f := range ve.Fields {
			if id, ok := collectionFieldMessages[f]; ok {
				d.Errors[f] = s.pageT(c, id)
			}
		}
		return s.render(c, http.StatusBadRequest, "staff_org", d)
	}
	if err != nil {
		return err
	}
	s.setFlash(c, "flash_org_account_saved")
	return c.Redirect(http.StatusSeeOther, "/staff/org?org="+org.PublicID)
}
