-- Events are announced after their commit, not by a trigger inside it.
--
-- A NOTIFY inside a transaction makes its commit take PostgreSQL's one
-- database-wide notification lock (so that the queue follows commit order)
-- and hold it until the commit record is flushed to disk. Every status change
-- NOTIFYed from its insert trigger, so every writer waited for the previous
-- writer's fsync, one at a time: under pgbench, the app's status-change
-- statement reached 1,383/s with the trigger and 2,096/s with the NOTIFY sent
-- after the commit instead (BENCHMARKS.md, issue 14). A NOTIFY on its own
-- writes no WAL, so its commit does not wait for the disk and holds the lock
-- for microseconds.
--
-- So the writer announces: after committing, it sends
-- `pg_notify('shipment_events', <event ids>)` (`db::announcer` in the
-- app). An event whose announcement is lost (its writer died between the two)
-- is numbered by the next announcement from anyone, or when a server's
-- listener (re)connects, which always sequences first.
DROP TRIGGER shipment_events_notify ON shipment_events;
DROP FUNCTION shipment_events_notify();

-- Every server's listener hears every announcement and calls the sequencer;
-- all but the first find nothing to do. Finding that out now costs a look at
-- the (nearly empty) index of unnumbered events instead of a locked, flushed
-- transaction on the head row. An event committed after the look has an
-- announcement of its own still to come.
CREATE OR REPLACE FUNCTION sequence_shipment_events(batch integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    head     bigint;
    numbered integer;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM shipment_events WHERE stream_position IS NULL) THEN
        RETURN 0;
    END IF;
    -- Waits for a sequencer that is running; then reads the head it left.
    SELECT position INTO head FROM event_stream_head FOR UPDATE;
    -- A new statement, so a new snapshot: every event committed by now.
    WITH pending AS (
        SELECT id, head + row_number() OVER (ORDER BY id) AS position
        FROM shipment_events
        WHERE stream_position IS NULL
        ORDER BY id
        LIMIT batch
    )
    UPDATE shipment_events e SET stream_position = pending.position
    FROM pending WHERE e.id = pending.id;
    GET DIAGNOSTICS numbered = ROW_COUNT;
    IF numbered > 0 THEN
        UPDATE event_stream_head SET position = head + numbered;
        PERFORM pg_notify('shipment_events_numbered', (head + numbered)::text);
    END IF;
    RETURN numbered;
END;
$$;
