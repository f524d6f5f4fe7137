-- One table for every throttle (sign-in, registration, watching by postcode):
-- an attempt is a row in each bucket it counts against ("sign-in:email:…",
-- "sign-in:client:…", "register:client:…", "watch:user:…"), inserted before
-- the attempt is checked so parallel attempts count each other
-- (app::ssr::auth::throttle). Rows older than the window are pruned.
DROP TABLE login_failures;
DROP TABLE watch_attempts;
CREATE TABLE attempts (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    bucket       text NOT NULL,
    attempted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX attempts_bucket_idx ON attempts (bucket, attempted_at);

-- Browsers that have signed in to an account before (OWASP's device cookie):
-- their attempts are counted per device, so someone hammering the account
-- from elsewhere cannot lock its owner out. Only a SHA-256 of the cookie's
-- random token is kept.
CREATE TABLE known_devices (
    token_hash   bytea PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    last_used_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX known_devices_user_idx ON known_devices (user_id);
