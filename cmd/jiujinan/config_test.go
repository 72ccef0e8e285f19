package main

import (
	"context"
	"io"
	"testing"

	fstore "github.com/jiujinan/jiujinan/funds/gormstore"
)

// TestAllocationBatchingSetting: JIUJINAN_ALLOCATION_BATCHING=off gives the
// funds service a store that runs every allocation alone; unset, they batch.
func TestAllocationBatchingSetting(t *testing.T) {
	for value, want := range map[string]bool{"": true, "on": true, "off": false} {
		t.Run("value="+value, func(t *testing.T) {
			env := map[string]string{"JIUJINAN_DATA_DIR": t.TempDir(), "JIUJINAN_LOG_LEVEL": "warn"}
			if value != "" {
				env["JIUJINAN_ALLOCATION_BATCHING"] = value
			}
			cfg, err := loadConfig(newFlagSet("test", io.Discard, ""), nil, env)
			if err != nil {
				t.Fatal(err)
			}
			m, err := openMain(context.Background(), cfg, io.Discard, true, true)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			store, ok := m.Funds.Store.(*fstore.Store)
			if !ok {
				t.Fatalf("funds store is %T", m.Funds.Store)
			}
			if store.Batching() != want {
				t.Errorf("batching %v, want %v", store.Batching(), want)
			}
		})
	}
}
