-- The household of a need as screening compares it: the pseudonym of each
-- member entered with an ID number (the beneficiary first, ordinal 0) and
-- the member's role (kernel.HouseholdRole: beneficiary, head, spouse,
-- child, parent, sibling, grandparent, grandchild, member), never a name
-- or an ID number. Statutory payments paid per household (低保, 特困) are
-- usually recorded under the head (户主): screening reads the payments of
-- every pseudonym here (docs/screening.md). Written by the needs store
-- with the need; needs posted before this table are filled in by the
-- needs service at startup (it must open the sealed identity, which SQL
-- cannot).

-- +goose Up
CREATE TABLE need_household (
    need_id    INTEGER NOT NULL REFERENCES needs (id),
    ordinal    INTEGER NOT NULL,
    pseudonym  TEXT    NOT NULL,
    role       TEXT    NOT NULL,
    PRIMARY KEY (need_id, ordinal),
    UNIQUE (need_id, pseudonym)
);

-- +goose Down
DROP TABLE need_household;
