-- The stream's frame for a status event names the status it moved from: the
-- shipment's previous status event (`stream::log::read`, a LATERAL top-1 by
-- id). Its index was (shipment_id, id DESC) over every event, so the planner
-- had to guess how far back the newest *status* event lies; with statistics
-- older than the table's growth it chose to read the shipment's whole
-- history and sort it (4.0 ms for a page of 31 events whose shipments had
-- 200 earlier events each, against 0.8 ms with fresh statistics; BENCHMARKS.md,
-- issue 14). An index of status events only answers it with its first entry,
-- whatever the statistics say. No other query used the old index (the
-- timeline and replay have their own), so the table keeps its number of
-- indexes.
CREATE INDEX shipment_events_previous_status_idx ON shipment_events (shipment_id, id DESC) WHERE kind = 'status';
DROP INDEX shipment_events_shipment_idx;
