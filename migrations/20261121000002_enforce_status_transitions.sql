-- The transition table of the lifecycle, mirrored in the database so that no
-- writer (the app, a script, a psql session) can move a shipment illegally.
-- A unit test in server/tests checks this table equals the Rust one pair by pair.

CREATE TABLE shipment_status_transitions (
    from_status shipment_status NOT NULL,
    to_status   shipment_status NOT NULL,
    PRIMARY KEY (from_status, to_status)
);

INSERT INTO shipment_status_transitions (from_status, to_status)
SELECT 'pending'::shipment_status, s FROM unnest('{info_received,picked_up,in_transit,cancelled}'::shipment_status[]) AS s
UNION ALL
SELECT 'info_received', s FROM unnest('{picked_up,in_transit,exception,cancelled}'::shipment_status[]) AS s
UNION ALL
SELECT f, s FROM unnest('{picked_up,in_transit}'::shipment_status[]) AS f,
                 unnest('{in_transit,out_for_delivery,available_for_pickup,exception,returning_to_sender,delivered}'::shipment_status[]) AS s
UNION ALL
SELECT 'out_for_delivery', s FROM unnest('{delivered,attempt_failed,available_for_pickup,exception}'::shipment_status[]) AS s
UNION ALL
SELECT 'attempt_failed', s FROM unnest('{out_for_delivery,available_for_pickup,returning_to_sender,delivered}'::shipment_status[]) AS s
UNION ALL
SELECT 'available_for_pickup', s FROM unnest('{delivered,returning_to_sender}'::shipment_status[]) AS s
UNION ALL
SELECT 'exception', s FROM unnest('{pending,info_received,picked_up,in_transit,out_for_delivery,attempt_failed,available_for_pickup,exception,returning_to_sender,lost}'::shipment_status[]) AS s
UNION ALL
SELECT 'returning_to_sender', 'returned'::shipment_status;

CREATE FUNCTION shipments_check_status_transition() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- An admin reopening a final shipment sets this for its own transaction.
    IF current_setting('shipwatch.reopen_reason', true) IS NOT NULL
       AND current_setting('shipwatch.reopen_reason', true) <> '' THEN
        RETURN NEW;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM shipment_status_transitions
                   WHERE from_status = OLD.status AND to_status = NEW.status) THEN
        RAISE EXCEPTION 'shipment cannot change from % to %', OLD.status, NEW.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'shipments_status_transition';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER shipments_status_transition
    BEFORE UPDATE OF status ON shipments
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION shipments_check_status_transition();
