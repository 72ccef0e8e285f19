package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/kernel"
)

// registerPaychanRoutes adds the payment channels under /api/v1 (issue
// 18): each charity's WeChat Pay and Alipay credentials, paying a pledge,
// the providers' notifications, refunds through the channel the money came
// by, and the notifications kept for reconciliation. Without a channels
// service (Deps.PayChannels nil) they answer 404.
func (s *Server) registerPaychanRoutes(g *echo.Group) {
	staff := kernel.RoleFederationStaff
	s.only(g, http.MethodGet, "/orgs/:id/payment-channels", s.handlePayChannelsGet, kernel.RoleAdmin, staff)
	s.only(g, http.MethodPut, "/orgs/:id/payment-channels/wechat-pay", s.handleWeChatPayPut, kernel.RoleAdmin, staff)
	s.only(g, http.MethodPut, "/orgs/:id/payment-channels/alipay", s.handleAlipayPut, kernel.RoleAdmin, staff)
	s.only(g, http.MethodDelete, "/orgs/:id/payment-channels/:channel", s.handlePayChannelDelete, kernel.RoleAdmin, staff)

	s.only(g, http.MethodPost, "/pledges/:id/payments", s.handlePledgePaymentCreate, kernel.RoleDonor)
	s.public(g, http.MethodPost, "/payments/wechat/notify/:org", s.handleWeChatNotify)
	s.public(g, http.MethodPost, "/payments/alipay/notify/:org", s.handleAlipayNotify)

	s.only(g, http.MethodPost, "/pledges/:id/refunds", s.handlePledgeRefundCreate, staff)
	s.signedIn(g, http.MethodGet, "/pledges/:id/refunds", s.handlePledgeRefundList)
	s.only(g, http.MethodPost, "/refunds/:id/paid", s.handleRefundPaid, staff)
	s.only(g, http.MethodPost, "/refunds/:id/retry", s.handleRefundRetry, staff)
	s.only(g, http.MethodGet, "/payment-exceptions", s.handlePaymentExceptionList, staff)
	s.only(g, http.MethodPost, "/payment-exceptions/:id/resolve", s.handlePaymentExceptionResolve, staff)
}
