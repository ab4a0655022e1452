-- Closing the loop with the customer (the same change as migrations/postgres/0003): an SMS
-- outbox written by triggers in the transaction of what caused each message, escalations of
-- late tickets, opt-outs and the satisfaction survey. Times are RFC 3339 UTC text, as in
-- every other table.

CREATE TABLE sms_outbox (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    dedupe_key         TEXT NOT NULL UNIQUE,
    kind               TEXT NOT NULL,
    phone              TEXT NOT NULL,
    account_no         TEXT,
    ticket_ref         TEXT,
    outage_id          TEXT,
    reference          TEXT,
    detail             TEXT,
    state              TEXT NOT NULL DEFAULT 'queued',
    language           TEXT,
    body               TEXT,
    encoding           TEXT,
    segments           INTEGER,
    attempts           INTEGER NOT NULL DEFAULT 0,
    next_attempt_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    claimed_by         TEXT,
    claimed_until      TEXT,
    gateway            TEXT,
    gateway_message_id TEXT,
    last_error         TEXT,
    created_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    sent_at            TEXT,
    delivered_at       TEXT
);
CREATE INDEX sms_outbox_due ON sms_outbox (state, next_attempt_at);
CREATE INDEX sms_outbox_gateway_message ON sms_outbox (gateway_message_id);
CREATE INDEX sms_outbox_phone_kind ON sms_outbox (phone, kind, created_at);

CREATE TABLE sms_opt_outs (
    phone TEXT PRIMARY KEY NOT NULL,
    word  TEXT NOT NULL,
    at    TEXT NOT NULL
);

CREATE TABLE survey_invitations (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    phone          TEXT NOT NULL,
    account_no     TEXT,
    -- The session surveyed by SMS; NULL for a survey asked in the call itself.
    interaction_id INTEGER UNIQUE,
    channel        TEXT NOT NULL,
    language       TEXT,
    created_at     TEXT NOT NULL,
    answered_at    TEXT,
    help_sent      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX survey_invitations_phone ON survey_invitations (phone, created_at);

CREATE TABLE survey_responses (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    phone          TEXT NOT NULL,
    account_no     TEXT,
    interaction_id INTEGER,
    channel        TEXT NOT NULL,
    language       TEXT,
    score          INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    at             TEXT NOT NULL
);
CREATE INDEX survey_responses_at ON survey_responses (at);

CREATE TABLE notify_cursors (
    name     TEXT PRIMARY KEY NOT NULL,
    position INTEGER NOT NULL
);

-- A ticket filed by phone: its reference, with what happens next.
CREATE TRIGGER ticket_events_sms_filed AFTER INSERT ON ticket_events
WHEN NEW.event = 'created'
BEGIN
    INSERT OR IGNORE INTO sms_outbox (dedupe_key, kind, phone, account_no, ticket_ref, reference, detail)
    SELECT 'filed:' || t.ticket_ref, 'ticket_filed', t.phone, t.account_no, t.ticket_ref,
           t.ticket_ref, t.category
    FROM tickets t
    WHERE t.ticket_ref = NEW.ticket_ref AND t.phone IS NOT NULL AND t.origin_key IS NOT NULL;
END;

-- A status change: one message per ticket and status, however the change was written
-- (`UPDATE tickets SET status`, a `status` event, or an event named after the status); a
-- status event written alone also moves the ticket's status.
CREATE TRIGGER ticket_events_sms_status AFTER INSERT ON ticket_events
WHEN (CASE WHEN NEW.event IN ('status', 'status_changed') THEN NEW.detail
           WHEN NEW.event = 'reopened' THEN 'open'
           WHEN NEW.event IN ('in_progress', 'resolved', 'closed') THEN NEW.event END)
     IN ('open', 'in_progress', 'resolved', 'closed')
BEGIN
    UPDATE tickets
    SET status = (CASE WHEN NEW.event IN ('status', 'status_changed') THEN NEW.detail
                       WHEN NEW.event = 'reopened' THEN 'open' ELSE NEW.event END),
        updated_at = NEW.at
    WHERE ticket_ref = NEW.ticket_ref
      AND status IS NOT (CASE WHEN NEW.event IN ('status', 'status_changed') THEN NEW.detail
                              WHEN NEW.event = 'reopened' THEN 'open' ELSE NEW.event END);
    INSERT OR IGNORE INTO sms_outbox (dedupe_key, kind, phone, account_no, ticket_ref, reference, detail)
    SELECT 'status:' || t.ticket_ref || ':' || t.status, 'ticket_status', t.phone,
           t.account_no, t.ticket_ref, t.ticket_ref, t.status
    FROM tickets t
    WHERE t.ticket_ref = NEW.ticket_ref AND t.phone IS NOT NULL;
END;

CREATE TRIGGER ticket_events_sms_late AFTER INSERT ON ticket_events
WHEN NEW.event = 'escalated' AND NEW.detail = '1'
BEGIN
    INSERT OR IGNORE INTO sms_outbox (dedupe_key, kind, phone, account_no, ticket_ref, reference, detail)
    SELECT 'late:' || t.ticket_ref, 'ticket_late', t.phone, t.account_no, t.ticket_ref,
           t.ticket_ref, t.category
    FROM tickets t
    WHERE t.ticket_ref = NEW.ticket_ref AND t.phone IS NOT NULL;
END;

-- A status changed in the CRM (by staff, or any tool): the history gets a `status` event,
-- and through it the customer an SMS.
CREATE TRIGGER tickets_status_changed AFTER UPDATE OF status ON tickets
WHEN OLD.status IS NOT NEW.status
  -- Unless the change came from a status event itself (the newest event says so already).
  AND NOT EXISTS (
    SELECT 1 FROM ticket_events e
    WHERE e.ticket_ref = NEW.ticket_ref
      AND e.id = (SELECT max(id) FROM ticket_events WHERE ticket_ref = NEW.ticket_ref)
      AND ((e.event IN ('status', 'status_changed') AND e.detail = NEW.status)
           OR e.event = NEW.status OR (e.event = 'reopened' AND NEW.status = 'open')))
BEGIN
    INSERT INTO ticket_events (ticket_ref, at, event, detail)
    VALUES (NEW.ticket_ref, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), 'status', NEW.status);
END;

-- An outage reported by phone against a known outage: its reference.
CREATE TRIGGER outage_reports_sms AFTER INSERT ON outage_reports
WHEN NEW.phone IS NOT NULL AND NEW.origin_key IS NOT NULL
BEGIN
    INSERT OR IGNORE INTO sms_outbox (dedupe_key, kind, phone, account_no, outage_id, reference)
    VALUES ('reported:' || NEW.reference, 'outage_reported', NEW.phone, NEW.account_no,
            NEW.outage_id, NEW.reference);
END;

-- A call-back requested by phone.
CREATE TRIGGER callback_tasks_sms AFTER INSERT ON callback_tasks
WHEN NEW.origin_key IS NOT NULL
BEGIN
    INSERT OR IGNORE INTO sms_outbox (dedupe_key, kind, phone, account_no, reference)
    VALUES ('callback:' || NEW.id, 'callback_requested', NEW.phone, NEW.account_no,
            CAST(NEW.id AS TEXT));
END;

-- An outage resolved: everyone who reported it is told, once per phone.
CREATE TRIGGER outages_resolved_sms AFTER UPDATE OF status ON outages
WHEN NEW.status = 'resolved' AND OLD.status IS NOT 'resolved'
BEGIN
    INSERT OR IGNORE INTO sms_outbox (dedupe_key, kind, phone, account_no, outage_id)
    SELECT 'restored:' || NEW.outage_id || ':' || phone, 'outage_restored', phone,
           min(account_no), NEW.outage_id
    FROM (SELECT phone, account_no FROM outage_reports WHERE outage_id = NEW.outage_id
          UNION ALL
          SELECT phone, account_no FROM tickets
          WHERE outage_id = NEW.outage_id AND category = 'outage')
    WHERE phone IS NOT NULL
    GROUP BY phone;
END;
