-- CSV imports of status updates. One row per distinct file: its SHA-256 is
-- unique, so uploading the same file again finds the first import (and its
-- report) instead of applying anything twice. The import, its rows' status
-- changes and this report commit in one transaction: a crash mid-import
-- leaves nothing, and the file can simply be uploaded again.
CREATE TABLE status_imports (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    file_sha256 bytea NOT NULL UNIQUE CHECK (length(file_sha256) = 32),
    file_name   text CHECK (length(file_name) <= 255),
    imported_by bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    applied     integer NOT NULL,
    refused     integer NOT NULL,
    -- Per row: line, tracking number, status, outcome, reason.
    report      jsonb NOT NULL
);
