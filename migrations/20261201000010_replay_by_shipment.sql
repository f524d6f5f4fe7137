-- A customer's replay walks their own shipments' events by position
-- (app::ssr::stream::log), so its cost follows their events, not the log.
CREATE INDEX shipment_events_shipment_position_idx ON shipment_events (shipment_id, stream_position);
