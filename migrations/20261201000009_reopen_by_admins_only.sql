-- Reopening a final shipment is an admin's action. It used to be allowed by a
-- session setting (`shipwatch.reopen_reason`) that any database session could
-- set. Now the status trigger lets a final shipment move on only when the
-- same transaction recorded an audited reopening for that move, and only an
-- admin account can be recorded as having reopened it.
CREATE TABLE shipment_reopenings (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shipment_id bigint NOT NULL REFERENCES shipments (id) ON DELETE CASCADE,
    to_status   shipment_status NOT NULL,
    reason      text NOT NULL CHECK (length(btrim(reason)) BETWEEN 1 AND 500),
    reopened_by bigint NOT NULL REFERENCES users (id),
    xact        xid8 NOT NULL DEFAULT pg_current_xact_id(),
    reopened_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX shipment_reopenings_shipment_idx ON shipment_reopenings (shipment_id, xact);

CREATE FUNCTION shipment_reopenings_by_admins_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM users WHERE id = NEW.reopened_by AND role = 'admin') THEN
        RAISE EXCEPTION 'only an admin can reopen a shipment'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- Always this transaction and now: a row cannot be prepared for later.
    NEW.xact := pg_current_xact_id();
    NEW.reopened_at := now();
    RETURN NEW;
END;
$$;

CREATE TRIGGER shipment_reopenings_by_admins_only
    BEFORE INSERT OR UPDATE ON shipment_reopenings
    FOR EACH ROW EXECUTE FUNCTION shipment_reopenings_by_admins_only();

CREATE OR REPLACE FUNCTION shipments_check_status_transition() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status IN ('delivered', 'returned', 'lost', 'cancelled')
       AND EXISTS (SELECT 1 FROM shipment_reopenings r
                   WHERE r.shipment_id = NEW.id AND r.to_status = NEW.status
                     AND r.xact = pg_current_xact_id()) THEN
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
