-- A shipment's timeline is read a page at a time, newest first, by
-- (occurred_at, id): this index makes any page cost what one page costs, even
-- for a shipment with 10,000 events.
CREATE INDEX shipment_events_timeline_idx ON shipment_events (shipment_id, occurred_at DESC, id DESC);
