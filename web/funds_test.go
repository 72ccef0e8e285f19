package web

import (
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/funds"
	fstore "github.com/jiujinan/jiujinan/funds/gormstore"
	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/sqldb"
)

func init() {
	addRouteAccess(map[string][]string{
		"POST /api/v1/funds":                        {"federation_staff"},
		"GET /api/v1/funds":                         {"*"},
		"GET /api/v1/funds/:id":                     {"*"},
		"GET /api/v1/funds/:id/ledger":              {"*"},
		"POST /api/v1/funds/:id/allocations":        {"federation_staff"},
		"POST /api/v1/projects":                     {"federation_staff"},
		"GET /api/v1/projects":                      {"*"},
		"GET /api/v1/projects/disclosure-calendar":  {"federation_staff"},
		"GET /api/v1/projects/:id":                  {"*"},
		"GET /api/v1/projects/:id/ledger":           {"*"},
		"POST /api/v1/projects/:id/allocations":     {"federation_staff"},
		"POST /api/v1/projects/:id/reports":         {"federation_staff"},
		"GET /api/v1/allocations/:id":               {"federation_staff"},
		"POST /api/v1/allocations/:id/disburse":     {"federation_staff"},
		"POST /api/v1/pledges":                      {"donor"},
		"GET /api/v1/pledges/:id":                   {"signed_in"},
		"POST /api/v1/pledges/:id/confirm":          {"federation_staff"},
		"POST /api/v1/pledges/:id/refund":           {"federation_staff"},
		"POST /api/v1/pledges/reconciliations":      {"federation_staff"},
		"POST /api/v1/payment-notifications":        {"*"},
		"GET /api/v1/receipts/:id":                  {"signed_in"},
		"GET /api/v1/me/giving":                     {"donor"},
		"GET /api/v1/disclosures":                   {"*"},
		"POST /api/v1/pledges/:id/redirect":         {"donor"},
		"POST /api/v1/recurring-pledges":            {"donor"},
		"GET /api/v1/me/recurring-pledges":          {"donor"},
		"POST /api/v1/recurring-pledges/:id/pause":  {"donor"},
		"POST /api/v1/recurring-pledges/:id/resume": {"donor"},
		"POST /api/v1/recurring-pledges/:id/cancel": {"donor"},
	})
}

// testWebhookSecret signs payment notifications in tests.
var testWebhookSecret = []byte("test-webhook-secret-0123456789abcdef")

func newTestFunds(t *testing.T, db *sqldb.DB, now func() time.Time) *funds.Service {
	t.Helper()
	div, err := kernel.LoadDivisions()
	if err != nil {
		t.Fatal(err)
	}
	c, err := marketplace.NewCipher([]marketplace.DataKey{{ID: "test", Key: make([]byte, 32)}})
	if err != nil {
		t.Fatal(err)
	}
	svc := funds.NewService(fstore.New(db), c, div, now, testID)
	svc.WebhookSecret = testWebhookSecret
	return svc
}
