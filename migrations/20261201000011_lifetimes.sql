-- Sessions and tokens that end on their own.
--
-- Which sessions belong to whom, and when each signed in: sessions expire
-- after a fixed lifetime however active they are, and "sign out everywhere"
-- deletes every session of an account (tower-sessions keeps session data
-- opaque, so it cannot be searched by user).
CREATE TABLE user_sessions (
    session_id   text PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    signed_in_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX user_sessions_user_idx ON user_sessions (user_id);

-- API tokens may be issued with an expiry; NULL is "until revoked".
ALTER TABLE api_tokens ADD COLUMN expires_at timestamptz;
