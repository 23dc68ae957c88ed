-- Callbacks run from Quartz triggers (one per request) and a claim is a lease: the instance dialling a request renews
-- lease_until while the callback is in flight. A 'dialing' row whose lease ran out belongs to an instance that died;
-- the next claim takes it over and decides from the citizen leg what the dead attempt did:
--   citizen_channel NULL        → the citizen was never dialled: dialled now, the attempt not counted;
--   citizen_answered_at set     → the citizen was reached: the request ends 'reached' and nobody is dialled again;
--   otherwise                   → the citizen was dialled but never answered: counted as 'no_answer' (the leg is hung up).
-- Unless the citizen answered (agent and citizen may still be talking), the dead attempt's agent leg is hung up too.
-- attempts counts citizen dials (and failures of the attempt itself), not claims.
ALTER TABLE callback_requests
    ADD COLUMN lease_until         timestamptz,
    ADD COLUMN claimed_at          timestamptz,
    ADD COLUMN agent_channel       text,
    ADD COLUMN citizen_channel     text,
    ADD COLUMN citizen_answered_at timestamptz;

-- The start-up sweep reads every open request.
CREATE INDEX callback_requests_open ON callback_requests (id) WHERE state IN ('pending', 'dialing');
