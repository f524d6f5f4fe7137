-- Per-client API rate limits (`auth::api_limit`): one row per client and
-- window, counted by one atomic upsert per request, shared by every
-- instance.
--
-- UNLOGGED: a counter that lives a minute needs no crash safety, and a
-- transaction that writes only unlogged tables does not wait for the WAL to
-- reach the disk, so counting costs a request one round trip and no fsync.
-- After a crash the table starts empty: every client gets a fresh window.
CREATE UNLOGGED TABLE api_rate_counts (
    client_key   text PRIMARY KEY,
    window_start timestamptz NOT NULL,
    requests     integer NOT NULL
);
