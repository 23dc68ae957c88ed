-- Calls the city places (survey calls, and any later outbound call) are not calls citizens made: reports count only
-- inbound ones. Existing rows were all inbound: the IVR only took inbound calls before this column.
ALTER TABLE calls ADD COLUMN direction text NOT NULL DEFAULT 'inbound' CHECK (direction IN ('inbound', 'outbound'));

-- Repeat callers read (caller, started_at, outcome, department_id) of inbound calls only: a partial covering index keeps
-- that an index-only scan (bench/report-plans.md); the 0022 index it replaces has no other reader.
CREATE INDEX calls_inbound_caller_started_at_covering ON calls (caller, started_at) INCLUDE (outcome, department_id)
    WHERE direction = 'inbound';
DROP INDEX calls_caller_started_at_covering;
