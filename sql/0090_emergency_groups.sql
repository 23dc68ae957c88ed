-- Emergency groups (issue 16): groups an admin defines, the conferences convened for them and one timeline per group
-- that holds the conference's events and the group's chat in one order. Conferences, timelines and broadcasts are
-- append-only; only the retention job may delete chat past its period (it sets citycontact.retention for its
-- transaction, which no API path does).

-- External numbers (a department head's mobile) that may be members: nobody is rung outside the city unless listed.
CREATE TABLE emergency_allowed_numbers (
    number   text PRIMARY KEY CHECK (number ~ '^\+?[0-9]{3,20}$'),
    label    text NOT NULL,
    added_by text NOT NULL,
    added_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE emergency_groups (
    id            bigserial PRIMARY KEY,
    name          text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
    -- The API role that may convene it from the console (admin always may).
    convene_role  text NOT NULL DEFAULT 'supervisor' CHECK (convene_role IN ('admin', 'supervisor', 'agent')),
    ring_seconds  int NOT NULL DEFAULT 30 CHECK (ring_seconds BETWEEN 5 AND 120),
    retries       int NOT NULL DEFAULT 2 CHECK (retries BETWEEN 0 AND 10),
    retry_seconds int NOT NULL DEFAULT 60 CHECK (retry_seconds BETWEEN 1 AND 3600),
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- kind agent: rung on the agent's deskphone; phone: a staff deskphone (PJSIP/…); external: an allow-listed number,
-- rung through the trunk. A member removed from the group keeps its row (the timeline names it).
CREATE TABLE emergency_group_members (
    id         bigserial PRIMARY KEY,
    group_id   bigint NOT NULL REFERENCES emergency_groups (id),
    kind       text NOT NULL CHECK (kind IN ('agent', 'phone', 'external')),
    agent_id   bigint REFERENCES agents (id),
    endpoint   text NOT NULL,
    name       text NOT NULL,
    removed_at timestamptz,
    CHECK ((kind = 'agent') = (agent_id IS NOT NULL))
);
CREATE UNIQUE INDEX emergency_group_members_one_endpoint ON emergency_group_members (group_id, endpoint) WHERE removed_at IS NULL;

CREATE TABLE emergency_conferences (
    id          bigserial PRIMARY KEY,
    group_id    bigint NOT NULL REFERENCES emergency_groups (id),
    convened_by text NOT NULL,
    convened_via text NOT NULL CHECK (convened_via IN ('api', 'phone')),
    bridge_id   text NOT NULL,
    started_at  timestamptz NOT NULL
);
CREATE INDEX emergency_conferences_group ON emergency_conferences (group_id, started_at);

CREATE TABLE emergency_timeline (
    id            bigserial PRIMARY KEY,
    group_id      bigint NOT NULL REFERENCES emergency_groups (id),
    conference_id bigint REFERENCES emergency_conferences (id),
    at            timestamptz NOT NULL,
    kind          text NOT NULL CHECK (kind IN (
        'convened', 'rung', 'busy', 'missed', 'joined', 'left', 'muted', 'unmuted', 'dropped', 'ended', 'message')),
    member_id     bigint REFERENCES emergency_group_members (id),
    actor         text,
    body          text CHECK (length(body) <= 4000)
);
CREATE INDEX emergency_timeline_group ON emergency_timeline (group_id, id);
CREATE INDEX emergency_timeline_conference ON emergency_timeline (conference_id, id);

-- A supervisor's message to all agents (department_id null) or to one department.
CREATE TABLE broadcasts (
    id            bigserial PRIMARY KEY,
    at            timestamptz NOT NULL,
    author        text NOT NULL,
    department_id bigint REFERENCES departments (id),
    body          text NOT NULL CHECK (length(body) BETWEEN 1 AND 4000)
);
CREATE INDEX broadcasts_at ON broadcasts (at);

-- Append-only, except what the retention job deletes in its own transaction.
CREATE FUNCTION refuse_change_except_retention() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('citycontact.retention', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% on %: the table is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER emergency_conferences_append_only BEFORE UPDATE OR DELETE ON emergency_conferences
    FOR EACH ROW EXECUTE FUNCTION refuse_change_of_append_only_table();
CREATE TRIGGER emergency_conferences_no_truncate BEFORE TRUNCATE ON emergency_conferences
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change_of_append_only_table();
CREATE TRIGGER emergency_timeline_append_only BEFORE UPDATE OR DELETE ON emergency_timeline
    FOR EACH ROW EXECUTE FUNCTION refuse_change_except_retention();
CREATE TRIGGER emergency_timeline_no_truncate BEFORE TRUNCATE ON emergency_timeline
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change_of_append_only_table();
CREATE TRIGGER broadcasts_append_only BEFORE UPDATE OR DELETE ON broadcasts
    FOR EACH ROW EXECUTE FUNCTION refuse_change_except_retention();
CREATE TRIGGER broadcasts_no_truncate BEFORE TRUNCATE ON broadcasts
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change_of_append_only_table();

GRANT SELECT, INSERT, UPDATE, DELETE ON emergency_allowed_numbers, emergency_groups, emergency_group_members TO citycontact_app;
GRANT SELECT, INSERT ON emergency_conferences TO citycontact_app;
-- DELETE for the retention job; the trigger still refuses it outside that job's transaction.
GRANT SELECT, INSERT, DELETE ON emergency_timeline, broadcasts TO citycontact_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO citycontact_app;
