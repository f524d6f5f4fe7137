-- Every list, count and search costs what the viewer's own rows cost, not the
-- whole table (measured at a million shipments in BENCHMARKS.md, "Scale").

-- The shipments a viewer may see, as rows: staff everything; a customer the
-- ones they own (owner index) plus the ones they watch (watchers index),
-- each once. The set form of `shipment_visible_to` (the per-row form, for one
-- shipment at a time): the same rule, and the integration tests hold both to
-- it. A single-SELECT SQL function, so PostgreSQL inlines it into the
-- calling query, drops the arms whose constant condition is false, and pushes
-- the caller's filters, order and limit into each arm.
CREATE FUNCTION shipments_visible_to(viewer_id bigint, viewer_is_staff boolean)
RETURNS SETOF shipments LANGUAGE sql STABLE AS $$
    SELECT s.* FROM shipments s WHERE viewer_is_staff
    UNION ALL
    SELECT s.* FROM shipments s WHERE NOT viewer_is_staff AND s.owner_id = viewer_id
    UNION ALL
    SELECT s.* FROM shipment_watchers w JOIN shipments s ON s.id = w.shipment_id
    WHERE NOT viewer_is_staff AND w.user_id = viewer_id AND s.owner_id <> viewer_id
$$;

-- A customer's list, most recently updated first, read in order and stopped
-- after one page (the status filter keeps using shipments_owner_status_idx).
-- Also holds the id and status, so a customer's counts and the shipment ids
-- their replay needs are read from the index alone (a business account's
-- rows are spread over the whole table).
CREATE INDEX shipments_owner_updated_idx ON shipments (owner_id, updated_at DESC, tracking_number DESC)
    INCLUDE (id, status);

-- The list filters, written once for every list query (staff's, and both arms
-- of a customer's). Inlined by the planner; with the parameters known, unset
-- filters fold away and the rest become conditions an index can answer
-- (`LIKE` on a constant pattern for the trigram index, the keyset row
-- comparison for the (updated_at, tracking_number) indexes). The search part
-- is letters and digits only (`ShipmentQuery`), so it holds no wildcards.
CREATE FUNCTION shipment_listed(
    status shipment_status, tracking_number text, updated_at timestamptz,
    wanted_status shipment_status, search text, attention boolean,
    after_updated_at timestamptz, after_tracking_number text)
RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT (wanted_status IS NULL OR status = wanted_status)
       AND (search IS NULL OR tracking_number LIKE '%' || search || '%')
       AND (NOT attention OR shipment_needs_attention(status, updated_at))
       AND (after_updated_at IS NULL OR (updated_at, tracking_number) < (after_updated_at, after_tracking_number))
$$;

-- Search by any part of a tracking number (`LIKE '%part%'`): trigrams.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX shipments_tracking_number_trgm_idx ON shipments USING gin (tracking_number gin_trgm_ops);

-- Shipments per status for the staff's counts, kept by the transaction that
-- changes a status, so counting a million shipments reads a few dozen rows.
-- Sharded by shipment id, so concurrent writers rarely wait on the same row.
CREATE TABLE shipment_status_tallies (
    status    shipment_status NOT NULL,
    shard     smallint NOT NULL,
    shipments bigint NOT NULL,
    PRIMARY KEY (status, shard)
);

CREATE FUNCTION shipment_status_tallies_follow() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE shipment_status_tallies SET shipments = shipments - 1
        WHERE status = OLD.status AND shard = OLD.id % 16;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO shipment_status_tallies AS t (status, shard, shipments)
        VALUES (NEW.status, NEW.id % 16, 1)
        ON CONFLICT (status, shard) DO UPDATE SET shipments = t.shipments + 1;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER shipment_status_tallies_follow
    AFTER INSERT OR DELETE OR UPDATE OF status ON shipments
    FOR EACH ROW
    EXECUTE FUNCTION shipment_status_tallies_follow();

-- Recounts the tallies from the table (after a bulk load that bypassed the
-- trigger, or to check them).
CREATE FUNCTION recount_shipment_status_tallies() RETURNS void
LANGUAGE sql AS $$
    DELETE FROM shipment_status_tallies;
    INSERT INTO shipment_status_tallies (status, shard, shipments)
    SELECT status, id % 16, count(*) FROM shipments GROUP BY 1, 2;
$$;
SELECT recount_shipment_status_tallies();

-- The attention rule (exception, failed attempt, or no update for 48 hours on
-- a journey that has not ended), with the ongoing statuses named rather than
-- the final ones excluded, so the planner can answer it from
-- shipments_status_updated_idx; `app::domain::needs_attention` is the same
-- rule, and tests/it/rules.rs holds the two together for every status.
CREATE OR REPLACE FUNCTION shipment_needs_attention(status shipment_status, updated_at timestamptz)
RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT status IN ('exception', 'attempt_failed')
        OR (status IN ('pending', 'info_received', 'picked_up', 'in_transit', 'out_for_delivery',
                       'available_for_pickup', 'returning_to_sender')
            AND updated_at < now() - interval '48 hours')
$$;

-- The same rule as a count: shipments in a problem status (from the tallies)
-- plus the stale ongoing journeys (a range of shipments_status_updated_idx
-- per ongoing status).
CREATE FUNCTION shipments_needing_attention() RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT (SELECT COALESCE(sum(shipments), 0) FROM shipment_status_tallies
            WHERE status IN ('exception', 'attempt_failed'))::bigint
         + (SELECT count(*) FROM shipments
            WHERE status IN ('pending', 'info_received', 'picked_up', 'in_transit', 'out_for_delivery',
                             'available_for_pickup', 'returning_to_sender')
              AND updated_at < now() - interval '48 hours')
$$;
