-- The search outbox: a row per change of a need's public projection,
-- written in the same transaction as the change; the indexer drains it.
-- Any package that changes a need's public fields (status, amounts, story)
-- inserts a row here in its transaction.

-- +goose Up
CREATE TABLE search_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    need_id INTEGER NOT NULL,
    created_at DATETIME NOT NULL
);
CREATE INDEX search_outbox_need ON search_outbox (need_id);

-- +goose Down
DROP TABLE search_outbox;
