-- An area's IANA time zone (`area_zones.csv`, optional); NULL: its country's main zone.
ALTER TABLE areas ADD COLUMN timezone TEXT;
