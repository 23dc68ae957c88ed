-- Messages Asterisk's dialplan stored in the fallback mailbox while CityContact was down, imported as tickets.
-- The primary key is the import guard: an instance claims a message with INSERT ... ON CONFLICT DO NOTHING and keeps
-- the row locked while it files the ticket; another instance's INSERT waits for that transaction and then does
-- nothing (or, if the first one died, claims the message itself and finds the ticket it may have left, by
-- recording_ref). ticket_id is set in the claiming transaction, so every committed row has it.
CREATE TABLE fallback_voicemail (
    msg_key           text PRIMARY KEY CHECK (msg_key ~ '^[A-Za-z0-9_-]{1,64}$'),
    mailbox           text NOT NULL,  -- mailbox@context, as Voicemail:FallbackMailbox names it
    left_at           timestamptz NOT NULL,
    duration_seconds  integer CHECK (duration_seconds >= 0),
    ticket_id         bigint REFERENCES tickets (id),
    imported_at       timestamptz NOT NULL DEFAULT now()
);

-- A claim that died after its ticket committed finds that ticket by its recording's name.
CREATE INDEX tickets_recording_ref ON tickets (recording_ref) WHERE recording_ref IS NOT NULL;

GRANT SELECT, INSERT, UPDATE ON fallback_voicemail TO citycontact_app;
