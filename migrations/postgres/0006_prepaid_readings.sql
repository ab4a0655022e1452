-- Prepaid customers and meter readings (the same change as migrations/sqlite/0006): token
-- purchases (`vends.csv`) and meter indexes (`meter_readings.csv`), both optional files of the
-- import; a caller's self-reading is a row of `meter_readings` with its reference as id.

CREATE TABLE vends (
    vend_id      TEXT COLLATE "C" PRIMARY KEY,
    account_no   TEXT COLLATE "C" NOT NULL REFERENCES customers (account_no),
    meter_no     TEXT COLLATE "C" NOT NULL,
    vended_at    TIMESTAMPTZ NOT NULL,
    amount_minor BIGINT NOT NULL,
    currency     TEXT COLLATE "C" NOT NULL,
    units        TEXT COLLATE "C" NOT NULL,
    token        TEXT COLLATE "C" NOT NULL
);
CREATE INDEX vends_account ON vends (account_no, vended_at);

CREATE TABLE meter_readings (
    reading_id TEXT COLLATE "C" PRIMARY KEY,
    account_no TEXT COLLATE "C" NOT NULL REFERENCES customers (account_no),
    meter_no   TEXT COLLATE "C" NOT NULL,
    read_on    DATE NOT NULL,
    reading    BIGINT NOT NULL,
    source     TEXT COLLATE "C" NOT NULL,
    -- A self-reading: who sent it, how, when, and the filing key a gateway retry meets.
    phone      TEXT COLLATE "C",
    channel    TEXT COLLATE "C",
    created_at TIMESTAMPTZ,
    origin_key TEXT COLLATE "C" UNIQUE
);
CREATE INDEX meter_readings_account ON meter_readings (account_no, read_on);
