-- An event is inserted without a stream position and numbered right after
-- its commit (the "positions after commit" migration), which writes a new
-- version of the row and new entries in its indexes. The two indexes on the
-- position also got an entry for the unnumbered version at insert, which no
-- query can use: every query on them asks for a position (`=`, `>`, `max`),
-- which excludes NULL, and the unnumbered events have their own small index.
-- Indexing only numbered rows saves two index entries per event.
--
-- On a large table this rebuilds both indexes inside the migration's
-- transaction (writes to shipment_events wait meanwhile): about a minute at
-- ten million events on the benchmark machine.
ALTER TABLE shipment_events DROP CONSTRAINT shipment_events_stream_position_key;
CREATE UNIQUE INDEX shipment_events_stream_position_key ON shipment_events (stream_position)
    WHERE stream_position IS NOT NULL;
DROP INDEX shipment_events_shipment_position_idx;
CREATE INDEX shipment_events_shipment_position_idx ON shipment_events (shipment_id, stream_position)
    WHERE stream_position IS NOT NULL;
