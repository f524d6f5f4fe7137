-- Every committed event is streamed, whoever wrote it.
--
-- Shipwatch's own writers announce their events after the commit
-- (`db::announcer`; the "announce after commit" migration says why: a NOTIFY
-- inside a transaction holds PostgreSQL's database-wide notification lock
-- through the commit's disk flush). A writer that is not Shipwatch (psql, a
-- batch job, another service on the same database) does not know to
-- announce, and its event waited, unnumbered, for the next announcement from
-- anyone: forever, if nobody wrote again.
--
-- So each event says whether its writer announces it. Shipwatch's writers
-- set `announced_after_commit`; for any other event the database notifies
-- inside the writer's transaction, delivered at its commit. A row trigger
-- whose WHEN condition is false is not even queued, so Shipwatch's writes pay
-- nothing for it. The payload is empty ("look anyway": the listener numbers
-- whatever is pending), and PostgreSQL folds the identical notifications of
-- one transaction into one, so a 10,000-row INSERT wakes each server once.
-- Rows loaded already numbered (a bulk load that sets `stream_position`
-- itself) need no announcement.
ALTER TABLE shipment_events ADD COLUMN announced_after_commit boolean NOT NULL DEFAULT false;

CREATE FUNCTION shipment_events_announce_at_commit() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('shipment_events', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER shipment_events_announce_at_commit
    AFTER INSERT ON shipment_events
    FOR EACH ROW
    WHEN (NOT NEW.announced_after_commit AND NEW.stream_position IS NULL)
    EXECUTE FUNCTION shipment_events_announce_at_commit();
