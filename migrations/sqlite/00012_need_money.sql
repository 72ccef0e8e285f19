-- The money of a need, lot by lot, and its disbursements.
--
-- need_lots: every sum of money a need holds, by where it came from: a fund's
-- or project's allocation, a donor's gift (a pledge to the need, or money a
-- donor moved in from another need), a fund's matching gift (配捐). amount_fen
-- is what of it the need holds now (returns and moves lower it), paid_fen
-- what of it was paid out. For every need: Σ amount = funded, Σ paid =
-- disbursed (VerifyLedger checks both).
-- disbursements: one payment out of a need's money to a provider (hospital,
-- school, landlord, shop) against an invoice or receipt, or to the
-- household with a recorded reason; disbursement_parts say which lots paid it.
-- pledge_redirects: a pledge may have one choice per need and reason, so that
-- money a need could not take when it arrived ("unapplied") and money left in
-- the need when it ended are chosen for separately.

-- +goose Up
CREATE TABLE need_lots (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    need_id        INTEGER NOT NULL,
    kind           TEXT NOT NULL,
    source_id      INTEGER NULL,
    allocation_id  INTEGER NULL,
    pledge_id      INTEGER NULL,
    root_pledge_id INTEGER NULL,
    amount_fen     INTEGER NOT NULL,
    paid_fen       INTEGER NOT NULL DEFAULT 0,
    created_at     DATETIME NOT NULL,
    CHECK (paid_fen >= 0 AND paid_fen <= amount_fen),
    FOREIGN KEY (need_id) REFERENCES needs (id)
);
CREATE INDEX need_lots_need ON need_lots (need_id, id);
CREATE INDEX need_lots_source ON need_lots (source_id);
CREATE INDEX need_lots_allocation ON need_lots (allocation_id);
CREATE INDEX need_lots_pledge ON need_lots (pledge_id);
CREATE INDEX need_lots_root ON need_lots (root_pledge_id);

CREATE TABLE disbursements (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id        TEXT NOT NULL,
    need_id          INTEGER NOT NULL,
    org_id           INTEGER NOT NULL,
    allocation_id    INTEGER NULL,
    amount_fen       INTEGER NOT NULL,
    payee_type       TEXT NOT NULL,
    provider_kind    TEXT NOT NULL DEFAULT '',
    payee_ct         BLOB NULL,
    payee_kid        TEXT NOT NULL DEFAULT '',
    payee_masked     TEXT NOT NULL DEFAULT '',
    reference_masked TEXT NOT NULL DEFAULT '',
    created_by       INTEGER NOT NULL,
    created_at       DATETIME NOT NULL,
    CHECK (amount_fen > 0),
    FOREIGN KEY (need_id) REFERENCES needs (id)
);
CREATE UNIQUE INDEX disbursements_public_id ON disbursements (public_id);
CREATE INDEX disbursements_need ON disbursements (need_id, id);
CREATE INDEX disbursements_allocation ON disbursements (allocation_id);

CREATE TABLE disbursement_parts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    disbursement_id INTEGER NOT NULL,
    lot_id          INTEGER NOT NULL,
    amount_fen      INTEGER NOT NULL,
    CHECK (amount_fen > 0)
);
CREATE INDEX disbursement_parts_disbursement ON disbursement_parts (disbursement_id);
CREATE INDEX disbursement_parts_lot ON disbursement_parts (lot_id);

-- What needs already hold: allocations not reversed, and the money of
-- pledges (gifts and matching gifts) that sits in a need's account.
INSERT INTO need_lots (need_id, kind, source_id, allocation_id, amount_fen, paid_fen, created_at)
SELECT a.need_id, 'allocation', a.source_id, a.id, a.amount_fen,
       CASE WHEN a.status = 'disbursed' THEN a.amount_fen ELSE 0 END, a.created_at
  FROM allocations a WHERE a.status <> 'reversed' ORDER BY a.id;
INSERT INTO need_lots (need_id, kind, source_id, pledge_id, root_pledge_id, amount_fen, paid_fen, created_at)
SELECT n.id, CASE WHEN p.matched_pledge_id IS NULL THEN 'gift' ELSE 'match' END,
       CASE WHEN p.matched_pledge_id IS NULL THEN NULL ELSE p.source_id END,
       p.id, COALESCE(p.matched_pledge_id, p.id), SUM(e.amount_fen), 0, MIN(t.created_at)
  FROM ledger_entries e
  JOIN ledger_accounts ac ON ac.id = e.account_id AND ac.kind = 'need'
  JOIN needs n ON ac.code = 'need:' || n.public_id
  JOIN ledger_transactions t ON t.id = e.transaction_id AND t.ref_type = 'pledge'
  JOIN pledges p ON p.public_id = t.ref_id
 GROUP BY n.id, p.id, p.matched_pledge_id, p.source_id
HAVING SUM(e.amount_fen) > 0;
INSERT INTO disbursements (public_id, need_id, org_id, allocation_id, amount_fen, payee_type, payee_ct, payee_kid,
       payee_masked, created_by, created_at)
SELECT a.public_id, a.need_id, s.org_id, a.id, a.amount_fen, a.payee_type, a.payee_ct, a.payee_kid, a.payee_masked,
       COALESCE(a.disbursed_by, a.created_by), COALESCE(a.disbursed_at, a.created_at)
  FROM allocations a JOIN fund_sources s ON s.id = a.source_id WHERE a.status = 'disbursed';
INSERT INTO disbursement_parts (disbursement_id, lot_id, amount_fen)
SELECT d.id, l.id, d.amount_fen FROM disbursements d JOIN need_lots l ON l.allocation_id = d.allocation_id;

CREATE TABLE pledge_redirects_new (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id         TEXT    NOT NULL UNIQUE,
    pledge_id         INTEGER NOT NULL,
    need_id           INTEGER NOT NULL,
    reason            TEXT    NOT NULL,
    from_need_fen     INTEGER NOT NULL,
    from_held_fen     INTEGER NOT NULL,
    amount_fen        INTEGER NOT NULL CHECK (amount_fen > 0),
    deadline          DATETIME NOT NULL,
    status            TEXT    NOT NULL,
    action            TEXT    NOT NULL DEFAULT '',
    target_id         INTEGER NULL,
    target_public_id  TEXT    NOT NULL DEFAULT '',
    decided_by        TEXT    NOT NULL DEFAULT '',
    created_at        DATETIME NOT NULL,
    applied_at        DATETIME NULL,
    UNIQUE (pledge_id, need_id, reason)
);
INSERT INTO pledge_redirects_new SELECT * FROM pledge_redirects;
DROP TABLE pledge_redirects;
ALTER TABLE pledge_redirects_new RENAME TO pledge_redirects;
CREATE INDEX pledge_redirects_due ON pledge_redirects (status, deadline);
CREATE INDEX pledge_redirects_target ON pledge_redirects (action, target_id);

-- +goose Down
CREATE TABLE pledge_redirects_new (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id         TEXT    NOT NULL UNIQUE,
    pledge_id         INTEGER NOT NULL,
    need_id           INTEGER NOT NULL,
    reason            TEXT    NOT NULL,
    from_need_fen     INTEGER NOT NULL,
    from_held_fen     INTEGER NOT NULL,
    amount_fen        INTEGER NOT NULL CHECK (amount_fen > 0),
    deadline          DATETIME NOT NULL,
    status            TEXT    NOT NULL,
    action            TEXT    NOT NULL DEFAULT '',
    target_id         INTEGER NULL,
    target_public_id  TEXT    NOT NULL DEFAULT '',
    decided_by        TEXT    NOT NULL DEFAULT '',
    created_at        DATETIME NOT NULL,
    applied_at        DATETIME NULL,
    UNIQUE (pledge_id, need_id)
);
INSERT INTO pledge_redirects_new SELECT * FROM pledge_redirects;
DROP TABLE pledge_redirects;
ALTER TABLE pledge_redirects_new RENAME TO pledge_redirects;
CREATE INDEX pledge_redirects_due ON pledge_redirects (status, deadline);
CREATE INDEX pledge_redirects_target ON pledge_redirects (action, target_id);
DROP TABLE disbursement_parts;
DROP TABLE disbursements;
DROP TABLE need_lots;
