-- Accounts: browser sessions, API tokens for integrations, and the failed
-- sign-ins that login throttling counts.

-- The session store's table, exactly as tower-sessions-sqlx-store creates it
-- (its own `migrate()` at start-up is then a no-op). Created here so the live
-- stream's credential sweep can query it with compile-time checks.
CREATE SCHEMA IF NOT EXISTS tower_sessions;
CREATE TABLE IF NOT EXISTS tower_sessions.session (
    id          text PRIMARY KEY NOT NULL,
    data        bytea NOT NULL,
    expiry_date timestamptz NOT NULL
);
-- The hourly clean-up deletes by expiry.
CREATE INDEX IF NOT EXISTS session_expiry_idx ON tower_sessions.session (expiry_date);

CREATE TABLE api_tokens (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id       bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- SHA-256 of the token: the token itself is shown once and never stored.
    token_hash    bytea NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    revoked_at    timestamptz,
    CONSTRAINT api_tokens_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

-- One row per failed sign-in; rows older than the throttling window are pruned.
CREATE TABLE login_failures (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email      text NOT NULL,
    client_ip  text,
    failed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_email_idx ON login_failures (email, failed_at);
CREATE INDEX login_failures_client_idx ON login_failures (client_ip, failed_at);

-- Who may see a shipment: staff see all, customers their own and the ones they
-- watch. The one definition of visibility, used by every query that lists or
-- opens shipments (see app::ssr::auth::policy).
CREATE FUNCTION shipment_visible_to(shipment_id bigint, owner_id bigint, viewer_id bigint, viewer_is_staff boolean)
RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT viewer_is_staff
        OR owner_id = viewer_id
        OR EXISTS (SELECT 1 FROM shipment_watchers w
                   WHERE w.shipment_id = shipment_visible_to.shipment_id AND w.user_id = viewer_id)
$$;
