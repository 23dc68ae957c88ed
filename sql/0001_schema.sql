-- CityContact schema, version 1: everything the mission needs from day one.
-- Conventions: bigint identity ids, timestamptz for every instant, text + CHECK for closed sets.

CREATE TABLE departments (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code        text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9_-]{0,31}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    email       text CHECK (email IS NULL OR email ~ '^[^@\s]+@[^@\s]+$'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE agents (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- The Asterisk endpoint the agent's deskphone registers as, e.g. PJSIP/1001.
    sip_endpoint   text NOT NULL UNIQUE CHECK (sip_endpoint ~ '^[A-Za-z]+/[A-Za-z0-9_.@-]+$'),
    email          text,
    department_id  bigint REFERENCES departments (id),
    active         boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Lower penalty = preferred: the dispatcher offers a call to the lowest penalty first.
CREATE TABLE agent_skills (
    agent_id  bigint NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    skill     text NOT NULL CHECK (skill ~ '^[a-z0-9][a-z0-9_-]{0,31}$'),
    penalty   integer NOT NULL DEFAULT 0 CHECK (penalty BETWEEN 0 AND 100),
    PRIMARY KEY (agent_id, skill)
);
CREATE INDEX agent_skills_skill ON agent_skills (skill, penalty);

CREATE TABLE queues (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code                 text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9_-]{0,31}$'),
    name                 text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    department_id        bigint NOT NULL REFERENCES departments (id),
    skill                text NOT NULL CHECK (skill ~ '^[a-z0-9][a-z0-9_-]{0,31}$'),
    max_wait_seconds     integer NOT NULL DEFAULT 600 CHECK (max_wait_seconds BETWEEN 10 AND 86400),
    max_callers          integer NOT NULL DEFAULT 50 CHECK (max_callers BETWEEN 1 AND 10000),
    service_level_seconds integer NOT NULL DEFAULT 60 CHECK (service_level_seconds BETWEEN 1 AND 3600),
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

-- Business hours: a weekly pattern plus dated exceptions, read in the schedule's own time zone.
CREATE TABLE schedules (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code        text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9_-]{0,31}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    time_zone   text NOT NULL CHECK (length(time_zone) BETWEEN 1 AND 64),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE schedule_hours (
    schedule_id  bigint NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
    -- ISO day of week: 1 = Monday … 7 = Sunday.
    day_of_week  smallint NOT NULL CHECK (day_of_week BETWEEN 1 AND 7),
    opens        time NOT NULL,
    closes       time NOT NULL,
    CHECK (opens < closes),
    PRIMARY KEY (schedule_id, day_of_week, opens)
);

CREATE TABLE holidays (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    schedule_id  bigint NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
    day          date NOT NULL,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- NULL opens/closes = closed all day; set = shortened hours that day.
    opens        time,
    closes       time,
    CHECK ((opens IS NULL AND closes IS NULL) OR (opens IS NOT NULL AND closes IS NOT NULL AND opens < closes)),
    UNIQUE (schedule_id, day)
);

CREATE TABLE prompts (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key          text NOT NULL CHECK (key ~ '^[a-z0-9][a-z0-9_.-]{0,63}$'),
    language     text NOT NULL CHECK (language ~ '^[a-z]{2,3}(-[A-Z]{2})?$'),
    file_path    text NOT NULL CHECK (length(file_path) BETWEEN 1 AND 500),
    description  text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (key, language)
);

CREATE TABLE ivr_flows (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code              text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9_-]{0,31}$'),
    name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at        timestamptz NOT NULL DEFAULT now()
);

-- Each edit is a new draft version; publishing freezes it (trigger below) so that a call
-- always runs exactly the definition that was validated.
CREATE TABLE ivr_flow_versions (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    flow_id       bigint NOT NULL REFERENCES ivr_flows (id),
    version       integer NOT NULL CHECK (version >= 1),
    definition    jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    text NOT NULL,
    published_at  timestamptz,
    published_by  text,
    CHECK ((published_at IS NULL) = (published_by IS NULL)),
    UNIQUE (flow_id, version)
);
CREATE INDEX ivr_flow_versions_published ON ivr_flow_versions (flow_id, version DESC) WHERE published_at IS NOT NULL;

CREATE FUNCTION refuse_change_of_published_flow_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.published_at IS NOT NULL THEN
        RAISE EXCEPTION 'ivr_flow_versions %: a published version is immutable', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;

CREATE TRIGGER ivr_flow_versions_published_immutable
    BEFORE UPDATE OR DELETE ON ivr_flow_versions
    FOR EACH ROW EXECUTE FUNCTION refuse_change_of_published_flow_version();

-- One row per call, answered or not. outcome stays NULL while the call is in progress.
CREATE TABLE calls (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel_id          text NOT NULL UNIQUE,
    caller              text NOT NULL,
    dialed_number       text NOT NULL,
    language            text NOT NULL CHECK (language ~ '^[a-z]{2,3}(-[A-Z]{2})?$'),
    started_at          timestamptz NOT NULL,
    answered_at         timestamptz CHECK (answered_at >= started_at),
    ended_at            timestamptz CHECK (ended_at >= started_at),
    outcome             text CHECK (outcome IN ('answered', 'abandoned', 'voicemail', 'callback', 'self-service', 'failed')),
    department_id       bigint REFERENCES departments (id),
    queue_id            bigint REFERENCES queues (id),
    agent_id            bigint REFERENCES agents (id),
    queue_wait_ms       bigint CHECK (queue_wait_ms >= 0),
    talk_ms             bigint CHECK (talk_ms >= 0),
    -- The IVR nodes the caller went through, in order (e.g. {main, taxes, operator}).
    ivr_path            text[] NOT NULL DEFAULT '{}',
    urgent              boolean NOT NULL DEFAULT false,
    hangup_cause        text,
    CHECK (outcome IS NULL OR ended_at IS NOT NULL)
);
-- Report queries: per day (range scans on started_at), per department, per agent, per caller.
CREATE INDEX calls_started_at ON calls (started_at);
CREATE INDEX calls_department_started_at ON calls (department_id, started_at);
CREATE INDEX calls_agent_started_at ON calls (agent_id, started_at) WHERE agent_id IS NOT NULL;
CREATE INDEX calls_outcome_started_at ON calls (outcome, started_at);
CREATE INDEX calls_caller ON calls (caller, started_at);

CREATE TABLE call_events (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    call_id  bigint NOT NULL REFERENCES calls (id),
    at       timestamptz NOT NULL DEFAULT now(),
    type     text NOT NULL CHECK (type ~ '^[a-z][a-z0-9_.-]{0,63}$'),
    data     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX call_events_call ON call_events (call_id, id);

CREATE TABLE tickets (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind               text NOT NULL CHECK (kind IN ('request', 'complaint', 'voicemail', 'callback')),
    status             text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'in_progress', 'resolved', 'closed')),
    priority           text NOT NULL DEFAULT 'normal' CHECK (priority IN ('normal', 'urgent')),
    subject            text NOT NULL CHECK (length(subject) BETWEEN 1 AND 300),
    description        text,
    citizen_name       text,
    citizen_phone      text,
    citizen_email      text,
    department_id      bigint REFERENCES departments (id),
    call_id            bigint REFERENCES calls (id),
    assigned_agent_id  bigint REFERENCES agents (id),
    due_at             timestamptz,
    resolved_at        timestamptz,
    rating             smallint CHECK (rating BETWEEN 1 AND 5),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tickets_status_due ON tickets (status, due_at);
CREATE INDEX tickets_department_created ON tickets (department_id, created_at);
CREATE INDEX tickets_call ON tickets (call_id) WHERE call_id IS NOT NULL;

CREATE TABLE ticket_history (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id   bigint NOT NULL REFERENCES tickets (id),
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    action      text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_.-]{0,63}$'),
    from_status text,
    to_status   text,
    note        text,
    data        jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX ticket_history_ticket ON ticket_history (ticket_id, id);

CREATE TABLE api_keys (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Public part of the key, safe to show and log; the secret is only ever stored as a hash.
    prefix       text NOT NULL UNIQUE,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    role         text NOT NULL CHECK (role IN ('admin', 'supervisor', 'agent', 'reporter')),
    secret_hash  bytea NOT NULL CHECK (length(secret_hash) = 32),
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   text NOT NULL,
    revoked_at   timestamptz
);

CREATE TABLE audit_log (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    actor      text NOT NULL,
    action     text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_.-]{0,63}$'),
    entity     text NOT NULL,
    entity_id  text,
    trace_id   text,
    data       jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id, at);
CREATE INDEX audit_log_at ON audit_log (at);

-- Append-only tables: the database refuses UPDATE, DELETE and TRUNCATE, even from the owner.
CREATE FUNCTION refuse_change_of_append_only_table() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on %: the table is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER call_events_append_only BEFORE UPDATE OR DELETE ON call_events
    FOR EACH ROW EXECUTE FUNCTION refuse_change_of_append_only_table();
CREATE TRIGGER call_events_no_truncate BEFORE TRUNCATE ON call_events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change_of_append_only_table();
CREATE TRIGGER ticket_history_append_only BEFORE UPDATE OR DELETE ON ticket_history
    FOR EACH ROW EXECUTE FUNCTION refuse_change_of_append_only_table();
CREATE TRIGGER ticket_history_no_truncate BEFORE TRUNCATE ON ticket_history
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change_of_append_only_table();
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION refuse_change_of_append_only_table();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change_of_append_only_table();

-- The role a deployment gives the service's login (GRANT citycontact_app TO <login>): full use
-- of the domain tables, but only INSERT and SELECT on the append-only ones.
-- Roles are cluster-wide: tolerate one created by another database or a concurrent migration.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'citycontact_app') THEN
        CREATE ROLE citycontact_app NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END $$;

GRANT USAGE ON SCHEMA public TO citycontact_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO citycontact_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO citycontact_app;
REVOKE UPDATE, DELETE, TRUNCATE ON call_events, ticket_history, audit_log FROM citycontact_app;
