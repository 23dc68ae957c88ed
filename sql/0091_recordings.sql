-- Call recording per queue policy (issue 16): off, all, or a sample share of the queue's answered calls. The recording
-- mixes both legs (a snoop on the caller's channel that hears both directions) and is stored where Asterisk writes its
-- recordings; the row names it and the call (channel_id, the calls row's key). Every listen is an audit_log row.
ALTER TABLE queues
    ADD COLUMN recording_policy text NOT NULL DEFAULT 'off' CHECK (recording_policy IN ('off', 'all', 'sample')),
    ADD COLUMN recording_share numeric(4, 3) NOT NULL DEFAULT 0 CHECK (recording_share BETWEEN 0 AND 1);

CREATE TABLE call_recordings (
    id          bigserial PRIMARY KEY,
    channel_id  text NOT NULL UNIQUE,
    name        text NOT NULL UNIQUE,
    queue_id    bigint REFERENCES queues (id),
    agent_id    bigint REFERENCES agents (id),
    started_at  timestamptz NOT NULL,
    ended_at    timestamptz CHECK (ended_at >= started_at),
    -- Set by the retention job once the file is gone; the row stays as the record that it existed.
    deleted_at  timestamptz
);
CREATE INDEX call_recordings_started_at ON call_recordings (started_at) WHERE deleted_at IS NULL;

GRANT SELECT, INSERT, UPDATE ON call_recordings TO citycontact_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO citycontact_app;
