-- New connection requests: each is a `new_connection` ticket (followed up like any ticket: by
-- its reference, in the caller's list, by SMS, escalated past its SLA) with what was asked
-- for, kept here. The account is the caller's, when the session knew one.
CREATE TABLE connection_requests (
    ticket_ref TEXT COLLATE "C" PRIMARY KEY REFERENCES tickets (ticket_ref),
    service    TEXT COLLATE "C" NOT NULL,
    area_code  TEXT COLLATE "C" NOT NULL REFERENCES areas (area_code),
    account_no TEXT COLLATE "C" REFERENCES customers (account_no)
);
-- A repeat request (the same phone or account, service and area, while one is pending).
CREATE INDEX connection_requests_area_service ON connection_requests (area_code, service);
