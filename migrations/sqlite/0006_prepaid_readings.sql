-- Prepaid customers and meter readings (the same change as migrations/postgres/0006): token
-- purchases (`vends.csv`) and meter indexes (`meter_readings.csv`), both optional files of the
-- import; a caller's self-reading is a row of `meter_readings` with its reference as id.

CREATE TABLE vends (
    vend_id      TEXT PRIMARY KEY NOT NULL,
    account_no   TEXT NOT NULL REFERENCES customers (account_no),
    meter_no     TEXT NOT NULL,
    vended_at    TEXT NOT NULL,
    amount_minor INTEGER NOT NULL,
    currency     TEXT NOT NULL,
    units        TEXT NOT NULL,
    token        TEXT NOT NULL
);
CREATE INDEX vends_account ON vends (account_no, vended_at);

CREATE TABLE meter_readings (
    reading_id TEXT PRIMARY KEY NOT NULL,
    account_no TEXT NOT NULL REFERENCES customers (account_no),
    meter_no   TEXT NOT NULL,
    read_on    TEXT NOT NULL,
    reading    INTEGER NOT NULL,
    source     TEXT NOT NULL,
    -- A self-reading: who sent it, how, when, and the filing key a gateway retry meets.
    phone      TEXT,
    channel    TEXT,
    created_at TEXT,
    origin_key TEXT UNIQUE
);
CREATE INDEX meter_readings_account ON meter_readings (account_no, read_on);
