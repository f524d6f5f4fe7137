-- Watching someone else's shipment needs its tracking number and destination
-- postcode; refused attempts are counted per user so the postcode cannot be
-- guessed by trying them all. Rows older than the window are pruned.
CREATE TABLE watch_attempts (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    attempted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX watch_attempts_user_idx ON watch_attempts (user_id, attempted_at);
