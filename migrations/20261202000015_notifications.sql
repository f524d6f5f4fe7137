-- Notifications: who hears about which changes, in the app and by email.
--
-- A notification is a reference to an event (`shipment_events`), never a copy
-- of it: what it says is read from the event when it is shown or sent, so the
-- log stays the one source of truth. It is written by a trigger in the very
-- transaction that appends the event, so an acknowledged change has its
-- notifications committed with it (nothing lost), and each (person, event)
-- pair is unique (nothing twice). The email side is an outbox: rows waiting
-- for the sender (`app::ssr::notify::sender`), which claims them with
-- `FOR UPDATE SKIP LOCKED`, so several servers never send one twice.

-- What a person wants to hear about. Every account has a row (created with
-- the account), so the defaults live in exactly one place: these DEFAULTs.
CREATE TABLE notification_preferences (
    user_id  bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    -- Status changes that notify.
    statuses shipment_status[] NOT NULL
             DEFAULT '{out_for_delivery,delivered,attempt_failed,exception}',
    -- For shipments the person owns, and for those they watch.
    owned    boolean NOT NULL DEFAULT true,
    watched  boolean NOT NULL DEFAULT true,
    -- Staff only: every problem reported, on any shipment.
    problems boolean NOT NULL DEFAULT false,
    -- The channels.
    in_app   boolean NOT NULL DEFAULT true,
    email    boolean NOT NULL DEFAULT true,
    updated_at timestamptz NOT NULL DEFAULT now()
);
-- The few staff who hear of every problem, found without reading every row.
CREATE INDEX notification_preferences_problems_idx ON notification_preferences (user_id) WHERE problems;

INSERT INTO notification_preferences (user_id) SELECT id FROM users;

CREATE FUNCTION users_get_notification_preferences() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO notification_preferences (user_id) VALUES (NEW.id);
    RETURN NULL;
END;
$$;
CREATE TRIGGER users_get_notification_preferences AFTER INSERT ON users
    FOR EACH ROW EXECUTE FUNCTION users_get_notification_preferences();

CREATE TYPE notification_email_state AS ENUM ('pending', 'sent', 'failed', 'skipped');

CREATE TABLE notifications (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    event_id    bigint NOT NULL REFERENCES shipment_events (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- In the app: shown in the bell's list; read or not.
    in_app      boolean NOT NULL,
    read_at     timestamptz,
    -- By email: NULL when not by email; otherwise the outbox state.
    email_state notification_email_state,
    email_attempts integer NOT NULL DEFAULT 0,
    -- After a failed attempt: not again before this.
    email_retry_at timestamptz,
    email_sent_at  timestamptz,
    -- The last failure, for operators (never shown to customers).
    email_error text,
    CONSTRAINT notifications_once UNIQUE (user_id, event_id)
);
-- The bell: a person's newest first, and the unread count.
CREATE INDEX notifications_inbox_idx ON notifications (user_id, id DESC) WHERE in_app;
CREATE INDEX notifications_unread_idx ON notifications (user_id) WHERE in_app AND read_at IS NULL;
-- The outbox: only what is waiting, so it stays small however long the history.
CREATE INDEX notifications_outbox_idx ON notifications (created_at) WHERE email_state = 'pending';

-- Who hears of an appended event. The audience is found from the event's own
-- shipment (its owner and its watchers) and, for a reported problem, from the
-- staff who asked for every problem: never by reading every preference row.
-- Nobody is notified of what they did themselves, nor of history recorded
-- after the fact (the demo's back-dated seed): that is not news.
--
-- Written as a few one-table statements rather than one query over a UNION:
-- this runs in every write's transaction, and the single query cost 0.3 ms a
-- write to plan and run (half the status change's statement, measured with
-- EXPLAIN ANALYZE); these are planned once per connection and probe one index
-- each.
CREATE FUNCTION shipment_events_notify_people() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    owner bigint;
BEGIN
    IF NEW.recorded_at < now() - interval '1 hour' THEN
        RETURN NULL;
    END IF;
    IF NEW.kind = 'status' THEN
        SELECT s.owner_id INTO owner FROM shipments s WHERE s.id = NEW.shipment_id;
        INSERT INTO notifications (user_id, event_id, in_app, email_state)
        SELECT p.user_id, NEW.id, p.in_app, CASE WHEN p.email THEN 'pending'::notification_email_state END
        FROM notification_preferences p
        WHERE p.user_id = owner AND owner IS DISTINCT FROM NEW.actor_id
          AND p.owned AND NEW.status = ANY (p.statuses) AND (p.in_app OR p.email);
        -- An owner who also watches hears once (the unique pair).
        INSERT INTO notifications (user_id, event_id, in_app, email_state)
        SELECT p.user_id, NEW.id, p.in_app, CASE WHEN p.email THEN 'pending'::notification_email_state END
        FROM shipment_watchers w JOIN notification_preferences p ON p.user_id = w.user_id
        WHERE w.shipment_id = NEW.shipment_id AND w.user_id IS DISTINCT FROM NEW.actor_id
          AND p.watched AND NEW.status = ANY (p.statuses) AND (p.in_app OR p.email)
        ON CONFLICT ON CONSTRAINT notifications_once DO NOTHING;
    ELSIF NEW.kind = 'problem_reported' THEN
        INSERT INTO notifications (user_id, event_id, in_app, email_state)
        SELECT p.user_id, NEW.id, p.in_app, CASE WHEN p.email THEN 'pending'::notification_email_state END
        FROM notification_preferences p JOIN users u ON u.id = p.user_id
        WHERE p.problems AND u.role <> 'customer' AND p.user_id IS DISTINCT FROM NEW.actor_id
          AND (p.in_app OR p.email)
        ON CONFLICT ON CONSTRAINT notifications_once DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER shipment_events_notify_people AFTER INSERT ON shipment_events
    FOR EACH ROW WHEN (NEW.kind IN ('status', 'problem_reported'))
    EXECUTE FUNCTION shipment_events_notify_people();

-- The key that signs links sent out of the app (unsubscribe links, public
-- tracking links): made once, shared by every server on this database.
CREATE TABLE signing_keys (
    name       text PRIMARY KEY,
    secret     bytea NOT NULL CHECK (length(secret) >= 32),
    created_at timestamptz NOT NULL DEFAULT now()
);
