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
    id             BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    need_id        BIGINT       NOT NULL,
    kind           VARCHAR(16)  NOT NULL,
    source_id      BIGINT       NULL,
    allocation_id  BIGINT       NULL,
    pledge_id      BIGINT       NULL,
    root_pledge_id BIGINT       NULL,
    amount_fen     BIGINT       NOT NULL,
    paid_fen       BIGINT       NOT NULL DEFAULT 0,
    created_at     DATETIME(6)  NOT NULL,
    KEY need_lots_need (need_id, id),
    KEY need_lots_source (source_id),
    KEY need_lots_allocation (allocation_id),
    KEY need_lots_pledge (pledge_id),
    KEY need_lots_root (root_pledge_id),
    CONSTRAINT need_lots_amounts CHECK (paid_fen >= 0 AND paid_fen <= amount_fen),
    CONSTRAINT need_lots_need_fk FOREIGN KEY (need_id) REFERENCES needs (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE disbursements (
    id               BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    public_id        VARCHAR(32)  NOT NULL,
    need_id          BIGINT       NOT NULL,
    org_id           BIGINT       NOT NULL,
    allocation_id    BIGINT       NULL,
    amount_fen       BIGINT       NOT NULL,
    payee_type       VARCHAR(16)  NOT NULL,
    provider_kind    VARCHAR(16)  NOT NULL DEFAULT '',
    payee_ct         BLOB         NULL,
    payee_kid        VARCHAR(32)  NOT NULL DEFAULT '',
    payee_masked     VARCHAR(200) NOT NULL DEFAULT '',
    reference_masked VARCHAR(64)  NOT NULL DEFAULT '',
    created_by       BIGINT       NOT NULL,
    created_at       DATETIME(6)  NOT NULL,
    UNIQUE KEY disbursements_public_id (public_id),
    KEY disbursements_need (need_id, id),
    KEY disbursements_allocation (allocation_id),
    CONSTRAINT disbursements_amount CHECK (amount_fen > 0),
    CONSTRAINT disbursements_need_fk FOREIGN KEY (need_id) REFERENCES needs (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE disbursement_parts (
    id              BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    disbursement_id BIGINT NOT NULL,
    lot_id          BIGINT NOT NULL,
    amount_fen      BIGINT NOT NULL,
    KEY disbursement_parts_disbursement (disbursement_id),
    KEY disbursement_parts_lot (lot_id),
    CONSTRAINT disbursement_parts_amount CHECK (amount_fen > 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

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
  JOIN needs n ON ac.code = CONCAT('need:', n.public_id)
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

ALTER TABLE pledge_redirects DROP INDEX pledge_redirects_pledge_need,
    ADD UNIQUE KEY pledge_redirects_pledge_need (pledge_id, need_id, reason);

-- +goose Down
ALTER TABLE pledge_redirects DROP INDEX pledge_redirects_pledge_need,
    ADD UNIQUE KEY pledge_redirects_pledge_need (pledge_id, need_id);
DROP TABLE disbursement_parts;
DROP TABLE disbursements;
DROP TABLE need_lots;
