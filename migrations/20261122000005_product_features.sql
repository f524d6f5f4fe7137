-- The dashboard, console and integrations: list paging, "needs attention",
-- and idempotent status posts.

-- Keyset paging of every list: most recently updated first, tracking number
-- breaking ties (see `PageCursor`).
CREATE INDEX shipments_updated_number_idx ON shipments (updated_at DESC, tracking_number DESC);

-- Exception, failed attempt, or no update for 48 hours on a journey that has not
-- ended. `app::domain::needs_attention` is the same rule for live updates.
CREATE FUNCTION shipment_needs_attention(status shipment_status, updated_at timestamptz)
RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT status IN ('exception', 'attempt_failed')
        OR (status NOT IN ('delivered', 'returned', 'lost', 'cancelled')
            AND updated_at < now() - interval '48 hours')
$$;

-- Open problems for the console, newest shipments' problems easy to find.
CREATE INDEX shipment_problems_shipment_open_idx ON shipment_problems (shipment_id) WHERE resolved_at IS NULL;

-- `Idempotency-Key` on status posts: the first request with a key claims it
-- (response NULL while in flight), its response is stored, and a retry with the
-- same key and body gets that response back instead of a second event.
CREATE TABLE idempotency_keys (
    user_id        bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key            text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_hash   bytea NOT NULL,
    response_status smallint,
    response_body  jsonb,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
-- Keys are kept for a day (cleanup by age).
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
