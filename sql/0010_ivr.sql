-- IVR: idempotent write-behind of call events, the numbers that select a flow, the published version calls run.

-- The service generates each event's id before queueing it, so a retried write never stores it twice.
ALTER TABLE call_events ADD COLUMN event_uid uuid;
CREATE UNIQUE INDEX call_events_event_uid ON call_events (event_uid) WHERE event_uid IS NOT NULL;

-- The call's own variables (e.g. a ticket number typed in an input node), kept when the call ends.
ALTER TABLE calls ADD COLUMN ivr_variables jsonb NOT NULL DEFAULT '{}';
ALTER TABLE calls ADD COLUMN flow_version_id bigint REFERENCES ivr_flow_versions (id);

-- Which flow answers which dialed number; '*' is the default for numbers not listed.
CREATE TABLE ivr_numbers (
    number      text PRIMARY KEY CHECK (number ~ '^(\*|\+?[0-9]{2,20})$'),
    flow_id     bigint NOT NULL REFERENCES ivr_flows (id),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- The live version of each flow. Publishing and rolling back only move this pointer (one UPDATE), so the switch
-- is atomic and every version stays as published.
ALTER TABLE ivr_flows ADD COLUMN live_version_id bigint REFERENCES ivr_flow_versions (id);

GRANT SELECT, INSERT, UPDATE, DELETE ON ivr_numbers TO citycontact_app;
