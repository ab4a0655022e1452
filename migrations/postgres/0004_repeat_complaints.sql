-- A repeat complaint (the same account, the same category, while one is pending) is recorded
-- as a `customer_called_again` event on the pending ticket, keyed like every filing: a
-- gateway retry finds the event it wrote.
ALTER TABLE ticket_events ADD COLUMN origin_key TEXT COLLATE "C";
CREATE UNIQUE INDEX ticket_events_origin ON ticket_events (origin_key);
CREATE INDEX tickets_account_category ON tickets (account_no, category);
