-- Reports: what is sent to whom and when, the record of every run, and the agent states the reports sum up.

CREATE TABLE report_schedules (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind            text NOT NULL CHECK (kind IN ('daily', 'weekly', 'monthly')),
    -- Quartz cron (seconds first), read in time_zone; the report covers the last complete period before the fire time.
    cron            text NOT NULL CHECK (length(cron) BETWEEN 1 AND 200),
    time_zone       text NOT NULL CHECK (length(time_zone) BETWEEN 1 AND 64),
    recipients      text[] NOT NULL CHECK (cardinality(recipients) BETWEEN 1 AND 50),
    -- Empty = the whole city; otherwise one report section per listed department.
    department_ids  bigint[] NOT NULL DEFAULT '{}',
    language        text CHECK (language IS NULL OR language ~ '^[a-z]{2,3}$'),
    enabled         boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE report_runs (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    schedule_id     bigint REFERENCES report_schedules (id) ON DELETE SET NULL,
    kind            text NOT NULL CHECK (kind IN ('daily', 'weekly', 'monthly', 'yearly')),
    trigger         text NOT NULL CHECK (trigger IN ('schedule', 'manual')),
    period_from     timestamptz NOT NULL,
    period_to       timestamptz NOT NULL CHECK (period_to > period_from),
    department_ids  bigint[] NOT NULL DEFAULT '{}',
    recipients      text[] NOT NULL,
    requested_by    text NOT NULL,
    started_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    status          text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'sent', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    error           text,
    CHECK ((status = 'running') = (finished_at IS NULL))
);
CREATE INDEX report_runs_started_at ON report_runs (started_at DESC);
-- A scheduled period is sent at most once, whichever instance fires it and however often Quartz recovers it.
CREATE UNIQUE INDEX report_runs_once_per_scheduled_period ON report_runs (schedule_id, period_from) WHERE trigger = 'schedule';

-- Append-only log of agent states; a state lasts until the agent's next row.
CREATE TABLE agent_state_changes (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agent_id  bigint NOT NULL REFERENCES agents (id),
    at        timestamptz NOT NULL DEFAULT now(),
    state     text NOT NULL CHECK (state IN ('available', 'talking', 'wrap_up', 'paused', 'logged_out')),
    reason    text
);
CREATE INDEX agent_state_changes_agent_at ON agent_state_changes (agent_id, at);
CREATE INDEX agent_state_changes_at ON agent_state_changes (at);

CREATE TRIGGER agent_state_changes_append_only BEFORE UPDATE OR DELETE ON agent_state_changes
    FOR EACH ROW EXECUTE FUNCTION refuse_change_of_append_only_table();
CREATE TRIGGER agent_state_changes_no_truncate BEFORE TRUNCATE ON agent_state_changes
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change_of_append_only_table();

-- Ticket report queries: resolved in a period, due in a period.
CREATE INDEX tickets_resolved_at ON tickets (resolved_at) WHERE resolved_at IS NOT NULL;
CREATE INDEX tickets_due_at ON tickets (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX tickets_created_at ON tickets (created_at);

GRANT SELECT, INSERT, UPDATE, DELETE ON report_schedules, report_runs TO citycontact_app;
GRANT SELECT, INSERT ON agent_state_changes TO citycontact_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO citycontact_app;
