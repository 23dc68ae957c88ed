-- Callback requests: from a caller waiting in a queue (press 1) or from a voicemail ticket. A request is claimed for
-- dialling by a conditional UPDATE (state = 'pending' → 'dialing'), so one request gives exactly one callback at a
-- time even with several service instances; retries are bounded by max_attempts.
CREATE TABLE callback_requests (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    department_id  bigint NOT NULL REFERENCES departments (id),
    phone          text NOT NULL CHECK (phone ~ '^\+?[0-9]{3,20}$'),
    ticket_id      bigint REFERENCES tickets (id),
    call_id        bigint REFERENCES calls (id),
    not_before     timestamptz NOT NULL,
    priority       integer NOT NULL DEFAULT 0,
    state          text NOT NULL DEFAULT 'pending'
                   CHECK (state IN ('pending', 'dialing', 'reached', 'no_answer', 'busy', 'failed')),
    attempts       integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts   integer NOT NULL DEFAULT 3 CHECK (max_attempts BETWEEN 1 AND 10),
    last_outcome   text,
    claimed_by     text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
-- At most one open request per ticket and per call: a repeated request returns the open one.
CREATE UNIQUE INDEX callback_requests_open_ticket ON callback_requests (ticket_id) WHERE ticket_id IS NOT NULL AND state IN ('pending', 'dialing');
CREATE UNIQUE INDEX callback_requests_open_call ON callback_requests (call_id) WHERE call_id IS NOT NULL AND state IN ('pending', 'dialing');
CREATE INDEX callback_requests_due ON callback_requests (priority DESC, not_before, id) WHERE state = 'pending';
CREATE INDEX callback_requests_phone ON callback_requests (phone, created_at);

GRANT SELECT, INSERT, UPDATE ON callback_requests TO citycontact_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO citycontact_app;
