-- Tickets, version 2: numbers, categories with an SLA, channels, the full lifecycle, resolution and rating.
-- Rows written by schema v1 stay valid: their status and kind are mapped onto the new closed sets below.

-- Services of Open311 = categories: each routes to a department and carries its SLA in business hours.
CREATE TABLE ticket_categories (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code                 text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9_-]{0,31}$'),
    name                 text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description          text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    department_id        bigint NOT NULL REFERENCES departments (id),
    sla_business_hours   integer NOT NULL CHECK (sla_business_hours BETWEEN 1 AND 10000),
    keywords             text[] NOT NULL DEFAULT '{}',
    group_name           text CHECK (group_name IS NULL OR length(group_name) BETWEEN 1 AND 200),
    active               boolean NOT NULL DEFAULT true,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

-- The department's business hours for SLA deadlines; none = the city's default schedule.
-- IF NOT EXISTS: the IVR may give departments the same column.
ALTER TABLE departments ADD COLUMN IF NOT EXISTS schedule_id bigint REFERENCES schedules (id);

-- One counter per year for the human-readable numbers (TM-2026-000123). Taking a number updates the year's row,
-- which serializes concurrent creates on that row until they commit: numbers never repeat, and a rolled-back
-- create gives its number back.
CREATE TABLE ticket_number_counters (
    year        integer PRIMARY KEY CHECK (year BETWEEN 2000 AND 9999),
    last_value  integer NOT NULL CHECK (last_value BETWEEN 1 AND 999999)
);

CREATE FUNCTION next_ticket_number(prefix text, year integer) RETURNS text
LANGUAGE sql VOLATILE AS $$
    INSERT INTO ticket_number_counters AS c (year, last_value) VALUES (next_ticket_number.year, 1)
    ON CONFLICT (year) DO UPDATE SET last_value = c.last_value + 1
    RETURNING prefix || '-' || c.year || '-' || lpad(c.last_value::text, 6, '0')
$$;

ALTER TABLE tickets DROP CONSTRAINT tickets_status_check;
ALTER TABLE tickets DROP CONSTRAINT tickets_kind_check;
ALTER TABLE tickets DROP CONSTRAINT tickets_priority_check;

ALTER TABLE tickets
    ADD COLUMN number                  text,
    -- The service always names the channel; the default keeps hand-written inserts valid.
    ADD COLUMN channel                 text NOT NULL DEFAULT 'phone',
    ADD COLUMN category_id             bigint REFERENCES ticket_categories (id),
    ADD COLUMN duplicate_of_ticket_id  bigint REFERENCES tickets (id),
    ADD COLUMN resolution              text CHECK (resolution IS NULL OR length(resolution) BETWEEN 1 AND 4000),
    ADD COLUMN rated_at                timestamptz,
    ADD COLUMN rating_channel          text CHECK (rating_channel IS NULL OR rating_channel IN ('phone', 'api', 'ivr', 'web', 'email', 'sms')),
    ADD COLUMN flagged_for_follow_up   boolean NOT NULL DEFAULT false,
    -- Where the voicemail recording lives (an Asterisk stored recording name or a file path), for callback tickets.
    ADD COLUMN recording_ref           text,
    -- Open311 location fields, kept as the citizen's app sent them.
    ADD COLUMN latitude                double precision CHECK (latitude BETWEEN -90 AND 90),
    ADD COLUMN longitude               double precision CHECK (longitude BETWEEN -180 AND 180),
    ADD COLUMN address                 text CHECK (address IS NULL OR length(address) <= 500),
    ADD COLUMN media_url               text CHECK (media_url IS NULL OR length(media_url) <= 2000);

-- Existing rows: 'open' was the only pre-assignment state; a voicemail ticket is a callback left by voicemail.
UPDATE tickets SET status = CASE WHEN assigned_agent_id IS NULL THEN 'new' ELSE 'assigned' END WHERE status = 'open';
UPDATE tickets SET channel = CASE WHEN kind = 'voicemail' THEN 'voicemail' WHEN call_id IS NULL THEN 'web' ELSE 'phone' END;
UPDATE tickets SET kind = 'callback' WHERE kind = 'voicemail';
-- Numbered in creation order, each in the year it was created.
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT id, created_at FROM tickets ORDER BY id LOOP
        UPDATE tickets SET number = next_ticket_number('TM', extract(year FROM t.created_at)::integer) WHERE id = t.id;
    END LOOP;
END $$;

ALTER TABLE tickets
    ALTER COLUMN status SET DEFAULT 'new',
    -- The service always passes its configured prefix; the default keeps hand-written inserts valid.
    ALTER COLUMN number SET DEFAULT next_ticket_number('TM', extract(year FROM now())::integer),
    ALTER COLUMN number SET NOT NULL,
    ADD CONSTRAINT tickets_number_unique UNIQUE (number),
    ADD CONSTRAINT tickets_number_format CHECK (number ~ '^[A-Z]{1,8}-[0-9]{4}-[0-9]{6}$'),
    ADD CONSTRAINT tickets_status_check CHECK (status IN ('new', 'assigned', 'in_progress', 'resolved', 'closed', 'rejected', 'duplicate')),
    ADD CONSTRAINT tickets_kind_check CHECK (kind IN ('request', 'complaint', 'information', 'callback')),
    ADD CONSTRAINT tickets_priority_check CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    ADD CONSTRAINT tickets_channel_check CHECK (channel IN ('phone', 'voicemail', 'web', 'email', 'open311')),
    ADD CONSTRAINT tickets_duplicate_has_original CHECK (status <> 'duplicate' OR duplicate_of_ticket_id IS NOT NULL),
    ADD CONSTRAINT tickets_duplicate_not_itself CHECK (duplicate_of_ticket_id IS NULL OR duplicate_of_ticket_id <> id);

CREATE INDEX IF NOT EXISTS tickets_citizen_phone ON tickets (citizen_phone, created_at) WHERE citizen_phone IS NOT NULL;
CREATE INDEX IF NOT EXISTS tickets_created_at ON tickets (created_at);
CREATE INDEX IF NOT EXISTS tickets_category ON tickets (category_id) WHERE category_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS tickets_rated ON tickets (rated_at) WHERE rating IS NOT NULL;

-- The API key behind a history row (its prefix is the actor); NULL for the IVR and jobs.
ALTER TABLE ticket_history ADD COLUMN actor_key_id bigint REFERENCES api_keys (id);

GRANT SELECT, INSERT, UPDATE, DELETE ON ticket_categories, ticket_number_counters TO citycontact_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO citycontact_app;
GRANT EXECUTE ON FUNCTION next_ticket_number(text, integer) TO citycontact_app;
