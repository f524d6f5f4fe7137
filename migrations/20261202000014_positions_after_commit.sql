-- Stream positions are numbered after commit, so writers no longer wait for
-- each other.
--
-- Until now an insert trigger took the next position from a one-row counter
-- and kept that row locked until its transaction ended: positions followed
-- commit order, but every write waited for the previous one's commit (552
-- writes/s where independent transactions reach 4,667/s, BENCHMARKS.md).
--
-- Now an event is inserted without a position, and its commit NOTIFYs
-- `shipment_events`. A sequencer (`sequence_shipment_events`, called by every
-- server's listener on that notification, and at start) numbers the committed,
-- unnumbered events in one statement, in one short transaction that holds the
-- head row's lock: one sequencer at a time, each numbering above the last.
-- So the promise resumes rely on still holds: when position p is visible,
-- every smaller position is visible too (it was numbered by an earlier,
-- committed sequencer, or by the same one). A transaction that commits late is
-- numbered when it commits, after everything already streamed, never skipped.
-- Its commit then NOTIFYs `shipment_events_numbered`, on which every server
-- reads the log after its cursor.
--
-- Writers now contend only where they touch the same rows (a shipment, a
-- tally shard), and commit (and share fsyncs) independently.

DROP TRIGGER shipment_events_stream_position ON shipment_events;
DROP FUNCTION shipment_events_assign_stream_position();
-- NULL until numbered (the unique constraint allows any number of NULLs).
ALTER TABLE shipment_events ALTER COLUMN stream_position DROP NOT NULL;

-- `event_stream_head.position` is now the newest position numbered (and, once
-- its sequencer committed, visible), no longer one merely handed out.

-- The one change an event ever undergoes: being numbered, once.
CREATE OR REPLACE FUNCTION shipment_events_are_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    unnumbered shipment_events;
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.stream_position IS NULL AND NEW.stream_position IS NOT NULL THEN
        unnumbered := NEW;
        unnumbered.stream_position := NULL;
        IF unnumbered IS NOT DISTINCT FROM OLD THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'shipment_events is append-only';
END;
$$;

-- What the sequencer has yet to number: only events committed since its last
-- run, so this index stays a handful of entries.
CREATE INDEX shipment_events_unnumbered_idx ON shipment_events (id) WHERE stream_position IS NULL;

-- The commit wake-up call, with the event's id (it has no position yet). The
-- listener reads every notification already buffered before it sequences, so
-- a bulk update of 50 parcels still costs one sequencer run.
CREATE OR REPLACE FUNCTION shipment_events_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('shipment_events', NEW.id::text);
    RETURN NULL;
END;
$$;

-- Numbers up to `batch` committed, unnumbered events, oldest insert first,
-- above the head; returns how many (call again while it returns `batch`).
-- Must run in its own transaction (one statement, autocommit): its commit
-- publishes the batch, and the head row's lock, held until then, keeps other
-- sequencers (other servers) out.
CREATE FUNCTION sequence_shipment_events(batch integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    head     bigint;
    numbered integer;
BEGIN
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

-- The status tallies (staff counts) were sharded by shipment id, and each
-- status change took its two tally rows in whatever order it met them. With
-- the counter lock gone, writers run their transactions side by side, so two
-- could meet on one shard, and two opposite moves (A→B, B→A) could deadlock.
-- Now each connection writes the shard of its own backend (a count is the
-- sum over shards, so where a move lands does not matter), and both rows are
-- taken in status order by one statement.
CREATE OR REPLACE FUNCTION shipment_status_tallies_follow() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- A scan that keeps the status (in transit → in transit) moves nothing.
    IF TG_OP = 'UPDATE' AND OLD.status = NEW.status THEN
        RETURN NULL;
    END IF;
    INSERT INTO shipment_status_tallies AS t (status, shard, shipments)
    SELECT moves.status, (pg_backend_pid() % 64)::smallint, sum(moves.delta)
    FROM (
        SELECT OLD.status, -1 WHERE TG_OP IN ('UPDATE', 'DELETE')
        UNION ALL
        SELECT NEW.status, 1 WHERE TG_OP IN ('UPDATE', 'INSERT')
    ) AS moves (status, delta)
    GROUP BY moves.status
    ORDER BY moves.status
    ON CONFLICT (status, shard) DO UPDATE SET shipments = t.shipments + EXCLUDED.shipments;
    RETURN NULL;
END;
$$;
