-- The wrap-up code an agent gives a call they took (the agent desk): one per call and agent, changeable until the
-- agent sets another. Keyed by the caller's channel id, which the desk knows from the moment the phone rings (the
-- calls row is written behind the call); call_id links the row once it exists.
CREATE TABLE call_wrapups (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel_id  text NOT NULL,
    call_id     bigint REFERENCES calls (id),
    agent_id    bigint NOT NULL REFERENCES agents (id),
    code        text NOT NULL CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
    set_by      text NOT NULL CHECK (length(set_by) BETWEEN 1 AND 200),
    set_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (channel_id, agent_id)
);
CREATE INDEX call_wrapups_call ON call_wrapups (call_id) WHERE call_id IS NOT NULL;

GRANT SELECT, INSERT, UPDATE ON call_wrapups TO citycontact_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO citycontact_app;
