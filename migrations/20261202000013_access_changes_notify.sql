-- Access changes wake the streams they affect, instead of a sweep re-checking
-- every open stream every few seconds: each change to who may hold a stream
-- notifies `shipwatch_access` with the account's id (not a secret), and the
-- server re-checks only that account's streams (`stream::sweep`). Like the
-- event log's NOTIFY, these are triggers, so every writer is covered: the
-- app, the CLI, a psql session, tower-sessions deleting expired sessions.
-- Expiry by time alone (idle timeout, lifetime, token expiry) writes nothing;
-- the server schedules those re-checks itself.

CREATE FUNCTION notify_access_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    account text;
BEGIN
    IF TG_TABLE_NAME = 'session' THEN
        -- A browser session (sign-out, sign-out everywhere, expiry clean-up):
        -- only signed-in ones have an account.
        SELECT user_id::text INTO account FROM user_sessions WHERE session_id = OLD.id;
    ELSE
        -- TG_ARGV[0]: the column that holds the account's id.
        account := to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END) ->> TG_ARGV[0];
    END IF;
    IF account IS NOT NULL THEN
        PERFORM pg_notify('shipwatch_access', account);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER session_ended_notify
    AFTER DELETE ON tower_sessions.session
    FOR EACH ROW EXECUTE FUNCTION notify_access_changed();
CREATE TRIGGER user_session_ended_notify
    AFTER DELETE ON user_sessions
    FOR EACH ROW EXECUTE FUNCTION notify_access_changed('user_id');
CREATE TRIGGER api_token_changed_notify
    AFTER DELETE OR UPDATE OF revoked_at, expires_at ON api_tokens
    FOR EACH ROW EXECUTE FUNCTION notify_access_changed('user_id');
CREATE TRIGGER user_role_changed_notify
    AFTER DELETE OR UPDATE OF role ON users
    FOR EACH ROW EXECUTE FUNCTION notify_access_changed('id');
