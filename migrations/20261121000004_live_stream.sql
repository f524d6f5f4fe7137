-- The live stream's cursor and wake-up call.
--
-- The trap: an identity/serial id is assigned at INSERT, not at COMMIT. With
-- concurrent writers a transaction holding a smaller id can commit after a
-- larger one has been streamed, and resuming with `id > cursor` skips it for
-- ever. So every event also gets a `stream_position` from a one-row counter,
-- taken by a trigger at insert. The counter row stays locked until the
-- transaction ends, so positions are handed out in commit order: when position
-- p is visible, every smaller position is committed (or rolled back and never
-- will be). Resuming with `stream_position > cursor` therefore loses nothing.
-- (PostgreSQL already serialises the commits of notifying transactions on its
-- notify queue lock, so this adds little contention.)
--
-- Because both the position and the NOTIFY come from triggers, every writer —
-- the app, the CLI, a psql session — is streamed, and none can get it wrong.

CREATE TABLE event_stream_head (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    position  bigint NOT NULL
);
INSERT INTO event_stream_head (position)
SELECT COALESCE(max(id), 0) FROM shipment_events;

ALTER TABLE shipment_events DISABLE TRIGGER shipment_events_append_only;
UPDATE shipment_events SET stream_position = id WHERE stream_position IS NULL;
ALTER TABLE shipment_events ENABLE TRIGGER shipment_events_append_only;
ALTER TABLE shipment_events ALTER COLUMN stream_position SET NOT NULL;
ALTER TABLE shipment_events ADD CONSTRAINT shipment_events_stream_position_key UNIQUE (stream_position);

CREATE FUNCTION shipment_events_assign_stream_position() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE event_stream_head SET position = position + 1
    RETURNING position INTO NEW.stream_position;
    RETURN NEW;
END;
$$;
CREATE TRIGGER shipment_events_stream_position
    BEFORE INSERT ON shipment_events
    FOR EACH ROW EXECUTE FUNCTION shipment_events_assign_stream_position();

-- A small payload (far below the 8000-byte limit): listeners re-read the log
-- from their last position, so the payload is only a hint.
CREATE FUNCTION shipment_events_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('shipment_events',
                      json_build_object('position', NEW.stream_position, 'shipment_id', NEW.shipment_id)::text);
    RETURN NULL;
END;
$$;
CREATE TRIGGER shipment_events_notify
    AFTER INSERT ON shipment_events
    FOR EACH ROW EXECUTE FUNCTION shipment_events_notify();
