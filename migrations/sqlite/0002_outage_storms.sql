-- Outage storms: outage tickets record the area and service they were filed for, so that the
-- store can count the recent reports of one area and service and, past a threshold, open one
-- suspected outage (status 'suspected') that later reports attach to.

ALTER TABLE tickets ADD COLUMN area_code TEXT;
ALTER TABLE tickets ADD COLUMN service TEXT;

-- The window count: outage tickets of one area and service since a time. Queries must spell
-- `category = 'outage'` literally for SQLite to use this partial index.
CREATE INDEX tickets_outage_window ON tickets (area_code, service, created_at)
    WHERE category = 'outage';

-- The active or suspected outage of one area and service.
CREATE INDEX outages_area_service_status ON outages (area_code, service, status);
