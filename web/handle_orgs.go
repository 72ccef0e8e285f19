package web

import (
	"net/http"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/marketplace"
)

type orgJSON struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Kind       string    `json:"kind"`
	RegionCode string    `json:"region_code"`
	CreatedAt  time.Time `json:"created_at"`
}

func toOrgJSON(o *kernel.Org) orgJSON {
	return orgJSON{ID: o.PublicID, Name: o.Name, Kind: string(o.Kind), RegionCode: o.RegionCode, CreatedAt: o.CreatedAt}
}

type orgRequest struct {
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	RegionCode string `json:"region_code"`
}

// handleOrgCreate creates an organization (admin).
func (s *Server) handleOrgCreate(c echo.Context) error {
	var req orgRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	o, err := s.Accounts.CreateOrg(c.Request().Context(), PrincipalOf(c), marketplace.NewOrg{
		Name: req.Name, Kind: kernel.OrgKind(req.Kind), RegionCode: req.RegionCode})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toOrgJSON(o))
}

// handleOrgList lists organizations (admin).
func (s *Server) handleOrgList(c echo.Context) error {
	orgs, err := s.Accounts.Store.ListOrgs(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]orgJSON, len(orgs))
	for i := range orgs {
		out[i] = toOrgJSON(&orgs[i])
	}
	return c.JSON(http.StatusOK, map[string]any{"items": out})
}

// handleOrgMemberCreate creates a staff account in an organization (admin).
func (s *Server) handleOrgMemberCreate(c echo.Context) error {
	var req registerRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	u, err := s.Accounts.AddMember(c.Request().Context(), PrincipalOf(c), c.Param("id"), marketplace.NewUser{
		Email: req.Email, Password: req.Password, DisplayName: req.DisplayName, Role: kernel.Role(req.Role)})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, userJSON{ID: u.PublicID, Email: u.Email, DisplayName: u.DisplayName,
		Roles: []membershipJSON{{Role: req.Role, OrgID: c.Param("id")}}})
}

// collectionAccountJSON is an organization's account for donations.
type collectionAccountJSON struct {
	AccountName string `json:"account_name"`
	Bank        string `json:"bank"`
	AccountNo   string `json:"account_no"`
	PayLink     string `json:"pay_link,omitempty"`
}

func toCollectionJSON(a kernel.CollectionAccount) collectionAccountJSON {
	return collectionAccountJSON{AccountName: a.AccountName, Bank: a.Bank, AccountNo: a.AccountNo, PayLink: a.PayLink}
}

// handleOrgCollectionPut replaces an organization's collection account
// (admin, or federation staff of that organization).
func (s *Server) handleOrgCollectionPut(c echo.Context) error {
	var req collectionAccountJSON
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	o, err := s.Accounts.SetCollection(c.Request().Context(), PrincipalOf(c), c.Param("id"), kernel.CollectionAccount{
		AccountName: req.AccountName, Bank: req.Bank, AccountNo: req.AccountNo, PayLink: req.PayLink})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toCollectionJSON(o.Collection))
}
