-- Shipwatch's first schema: people, shipments, and the append-only event log
-- that is the single source of a shipment's history.

CREATE TYPE user_role AS ENUM ('customer', 'operator', 'admin');

CREATE TYPE shipment_status AS ENUM (
    'pending', 'info_received', 'picked_up', 'in_transit', 'out_for_delivery',
    'delivered', 'attempt_failed', 'available_for_pickup', 'exception',
    'returning_to_sender', 'returned', 'lost', 'cancelled'
);

CREATE TYPE event_kind AS ENUM (
    'status', 'problem_reported', 'problem_resolved', 'instructions_set'
);

CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         text NOT NULL CHECK (email = lower(email) AND length(email) <= 254),
    password_hash text NOT NULL,
    role          user_role NOT NULL DEFAULT 'customer',
    created_at    timestamptz NOT NULL DEFAULT now()
);
-- Unique regardless of case, even if a writer forgets to lower-case.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE shipments (
    id                       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tracking_number          text NOT NULL CHECK (tracking_number ~ '^[A-Z0-9]{6,32}$'),
    owner_id                 bigint NOT NULL REFERENCES users (id),
    origin                   text NOT NULL,
    destination              text NOT NULL,
    -- The privacy check for watching: only someone who knows it may watch.
    destination_postal_code  text NOT NULL,
    carrier                  text NOT NULL,
    -- Summary of the event log, kept in step by the same transaction that appends.
    status                   shipment_status NOT NULL DEFAULT 'pending',
    last_location            text,
    eta                      date,
    delivery_instructions    text,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT shipments_tracking_number_key UNIQUE (tracking_number)
);
-- A customer's list, filtered by status; the console's list by status and age.
CREATE INDEX shipments_owner_status_idx ON shipments (owner_id, status, updated_at DESC);
CREATE INDEX shipments_status_updated_idx ON shipments (status, updated_at DESC);
CREATE INDEX shipments_updated_idx ON shipments (updated_at DESC);

-- Append-only: rows are never updated or deleted (enforced by the trigger below).
CREATE TABLE shipment_events (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The live stream's cursor, assigned in COMMIT order (see the trigger in the
    -- live stream migration); `id` is assigned at INSERT and is not safe to resume from.
    stream_position bigint,
    shipment_id  bigint NOT NULL REFERENCES shipments (id),
    kind         event_kind NOT NULL,
    status       shipment_status,
    location     text,
    note         text,
    occurred_at  timestamptz NOT NULL DEFAULT now(),
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    actor_id     bigint REFERENCES users (id),
    CONSTRAINT shipment_events_status_matches_kind
        CHECK ((kind = 'status') = (status IS NOT NULL))
);
-- A shipment's timeline, newest first.
CREATE INDEX shipment_events_shipment_idx ON shipment_events (shipment_id, id DESC);

CREATE FUNCTION shipment_events_are_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'shipment_events is append-only';
END;
$$;
CREATE TRIGGER shipment_events_append_only
    BEFORE UPDATE OR DELETE ON shipment_events
    FOR EACH ROW EXECUTE FUNCTION shipment_events_are_append_only();

-- Customers who watch a shipment they do not own.
CREATE TABLE shipment_watchers (
    shipment_id  bigint NOT NULL REFERENCES shipments (id) ON DELETE CASCADE,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shipment_id, user_id)
);
-- "Which shipments does this user watch" for the dashboard.
CREATE INDEX shipment_watchers_user_idx ON shipment_watchers (user_id, shipment_id);

-- Problems reported on a shipment; open until an operator resolves them.
CREATE TABLE shipment_problems (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shipment_id  bigint NOT NULL REFERENCES shipments (id),
    reported_by  bigint NOT NULL REFERENCES users (id),
    description  text NOT NULL CHECK (length(description) BETWEEN 1 AND 2000),
    reported_at  timestamptz NOT NULL DEFAULT now(),
    resolved_at  timestamptz,
    resolved_by  bigint REFERENCES users (id),
    resolution   text,
    CONSTRAINT shipment_problems_resolution_complete
        CHECK ((resolved_at IS NULL) = (resolved_by IS NULL))
);
CREATE INDEX shipment_problems_open_idx ON shipment_problems (reported_at) WHERE resolved_at IS NULL;
CREATE INDEX shipment_problems_shipment_idx ON shipment_problems (shipment_id);
