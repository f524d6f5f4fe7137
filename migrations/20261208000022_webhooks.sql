-- Outgoing webhooks (Standard Webhooks v1): endpoints that other systems
-- register, and the log of every delivery attempt.
--
-- An endpoint is an outbox with a cursor: it receives, in stream-position
-- order, the events its owner may see (the stream's visibility rule,
-- `shipment_visible_to`) that match its topics. `cursor` is the last position
-- it has been given (or passed over, by topic); it advances only after the
-- receiver answered 2xx, so nothing is skipped, and a retry re-sends the same
-- event with the same `webhook-id`. Any server may deliver for any endpoint,
-- one at a time: it first takes the endpoint's lease (`lease`,
-- `leased_until`), and a server that dies mid-delivery lets the lease run out
-- for another to take over.
CREATE TABLE webhook_endpoints (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    url           text NOT NULL CHECK (length(url) BETWEEN 1 AND 2000),
    -- What it receives: 'status' (every status change), 'notable' (the
    -- status changes the owner's notification settings name), 'problem'
    -- (problems reported and resolved).
    topics        text[] NOT NULL
                  CHECK (cardinality(topics) >= 1 AND topics <@ '{status,notable,problem}'),
    -- `whsec_` + base64: stored as the receiver holds it, since an HMAC needs
    -- the key itself (docs/operations.md, "Webhooks").
    secret        text NOT NULL,
    -- After a rotation, the old secret still signs until this time.
    previous_secret       text,
    previous_secret_until timestamptz,
    enabled       boolean NOT NULL DEFAULT true,
    -- Why it was switched off by Shipwatch (410 Gone, failing too long).
    disabled_reason text,
    cursor        bigint NOT NULL,
    -- Failed attempts at the event after `cursor`, and since when it fails.
    attempts      integer NOT NULL DEFAULT 0,
    failing_since timestamptz,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    lease         bigint,
    leased_until  timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_owner_idx ON webhook_endpoints (owner_id, id);
-- The deliverers' question: which enabled endpoints are due?
CREATE INDEX webhook_endpoints_due_idx ON webhook_endpoints (next_attempt_at) WHERE enabled;

CREATE TABLE webhook_attempts (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    endpoint_id   bigint NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    webhook_id    text NOT NULL,
    -- The stream position delivered (NULL: a test event).
    position      bigint,
    event_type    text NOT NULL,
    attempt       integer NOT NULL,
    attempted_at  timestamptz NOT NULL DEFAULT now(),
    -- The receiver's HTTP status; NULL when there was no answer (`error` says why).
    http_status   smallint,
    error         text,
    latency_ms    integer NOT NULL,
    -- The first bytes of the answer, as text.
    response_head text NOT NULL DEFAULT ''
);
CREATE INDEX webhook_attempts_endpoint_idx ON webhook_attempts (endpoint_id, id DESC);
CREATE INDEX webhook_attempts_age_idx ON webhook_attempts (attempted_at);
