-- dalal CRM schema (SQLite).
-- Timestamps are TEXT in RFC 3339 with `Z` and whole seconds (2026-11-20T06:00:00Z), dates are
-- TEXT `YYYY-MM-DD`: both order correctly as text.

CREATE TABLE areas (
    area_code TEXT PRIMARY KEY NOT NULL,
    name      TEXT NOT NULL,
    region    TEXT NOT NULL,
    country   TEXT NOT NULL,
    currency  TEXT NOT NULL,
    -- Space-separated BCP 47 codes, the area's default first.
    languages TEXT NOT NULL
);

CREATE TABLE customers (
    account_no     TEXT PRIMARY KEY NOT NULL,
    full_name      TEXT NOT NULL,
    phone          TEXT,
    alt_phone      TEXT,
    -- Preferred language; NULL when the customer never chose one.
    language       TEXT,
    service        TEXT NOT NULL,
    meter_no       TEXT NOT NULL,
    area_code      TEXT NOT NULL REFERENCES areas (area_code),
    tariff         TEXT NOT NULL,
    status         TEXT NOT NULL,
    -- The digits of account_no and meter_no, for keypad lookup (`100001` finds `SNE100001`).
    account_digits TEXT NOT NULL,
    meter_digits   TEXT NOT NULL
);
CREATE INDEX customers_account_nocase ON customers (account_no COLLATE NOCASE);
CREATE INDEX customers_meter_nocase ON customers (meter_no COLLATE NOCASE);
CREATE INDEX customers_account_digits ON customers (account_digits);
CREATE INDEX customers_meter_digits ON customers (meter_digits);
CREATE INDEX customers_phone ON customers (phone);
CREATE INDEX customers_alt_phone ON customers (alt_phone);

-- Language chosen by phones that act for no account.
CREATE TABLE phone_languages (
    phone    TEXT PRIMARY KEY NOT NULL,
    language TEXT NOT NULL
);

CREATE TABLE bills (
    bill_id      TEXT PRIMARY KEY NOT NULL,
    account_no   TEXT NOT NULL REFERENCES customers (account_no),
    period       TEXT NOT NULL,
    issued_on    TEXT NOT NULL,
    due_on       TEXT NOT NULL,
    amount_minor INTEGER NOT NULL,
    currency     TEXT NOT NULL,
    status       TEXT NOT NULL,
    paid_minor   INTEGER NOT NULL
);
CREATE INDEX bills_account_period ON bills (account_no, period);

CREATE TABLE outages (
    outage_id    TEXT PRIMARY KEY NOT NULL,
    area_code    TEXT NOT NULL REFERENCES areas (area_code),
    service      TEXT NOT NULL,
    kind         TEXT NOT NULL,
    starts_at    TEXT NOT NULL,
    expected_end TEXT,
    status       TEXT NOT NULL,
    cause        TEXT
);
CREATE INDEX outages_area_status ON outages (area_code, status, starts_at);

CREATE TABLE tickets (
    ticket_ref TEXT PRIMARY KEY NOT NULL,
    account_no TEXT REFERENCES customers (account_no),
    phone      TEXT,
    category   TEXT NOT NULL,
    status     TEXT NOT NULL,
    channel    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    sla_due_at TEXT,
    updated_at TEXT NOT NULL,
    note       TEXT,
    -- Set for tickets filed through the phone channels: a retry with the same key files nothing.
    origin_key TEXT UNIQUE,
    outage_id  TEXT
);
CREATE INDEX tickets_phone ON tickets (phone);
CREATE INDEX tickets_account ON tickets (account_no);

CREATE TABLE ticket_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_ref TEXT NOT NULL REFERENCES tickets (ticket_ref),
    at         TEXT NOT NULL,
    event      TEXT NOT NULL,
    detail     TEXT
);
CREATE INDEX ticket_events_ref ON ticket_events (ticket_ref, at);

-- Customer reports attached to a known outage; followable by reference like tickets.
CREATE TABLE outage_reports (
    reference  TEXT PRIMARY KEY NOT NULL,
    outage_id  TEXT NOT NULL REFERENCES outages (outage_id),
    account_no TEXT,
    phone      TEXT,
    channel    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    origin_key TEXT UNIQUE
);
CREATE INDEX outage_reports_outage ON outage_reports (outage_id);

CREATE TABLE callback_tasks (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    phone      TEXT NOT NULL,
    account_no TEXT,
    language   TEXT NOT NULL,
    channel    TEXT NOT NULL,
    status     TEXT NOT NULL DEFAULT 'pending',
    created_at TEXT NOT NULL,
    origin_key TEXT UNIQUE
);
CREATE INDEX callback_tasks_status ON callback_tasks (status, created_at);

-- One row per USSD session or call, updated hop by hop.
CREATE TABLE interactions (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    gateway               TEXT NOT NULL,
    session_id            TEXT NOT NULL,
    channel               TEXT NOT NULL,
    phone                 TEXT NOT NULL,
    account_no            TEXT,
    language              TEXT,
    path                  TEXT NOT NULL,
    outcome               TEXT,
    hops                  INTEGER NOT NULL DEFAULT 0,
    started_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    ended                 INTEGER NOT NULL DEFAULT 0,
    -- The gateway's end-of-session notification, when it arrives.
    end_status            TEXT,
    end_duration_ms       INTEGER,
    end_hops_count        INTEGER,
    end_input             TEXT,
    end_last_app_response TEXT,
    end_error_message     TEXT,
    end_cost              TEXT,
    end_date              TEXT,
    end_network_code      TEXT,
    end_service_code      TEXT,
    UNIQUE (gateway, session_id)
);
CREATE INDEX interactions_started ON interactions (started_at);
CREATE INDEX interactions_phone ON interactions (phone);

-- Named sequences (`reference` numbers tickets and outage reports).
CREATE TABLE counters (
    name  TEXT PRIMARY KEY NOT NULL,
    value INTEGER NOT NULL
);
