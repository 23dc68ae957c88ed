-- Retention (issue 16): recordings, voicemails and chat are deleted once older than the periods the city sets; each
-- deletion leaves a row here (append-only). A ticket under dispute holds the recordings of its call and its voicemail.
ALTER TABLE tickets ADD COLUMN hold_recordings boolean NOT NULL DEFAULT false;

CREATE TABLE retention_deletions (
    id         bigserial PRIMARY KEY,
    at         timestamptz NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('recording', 'voicemail', 'chat', 'broadcast')),
    reference  text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX retention_deletions_at ON retention_deletions (at);

CREATE TRIGGER retention_deletions_append_only BEFORE UPDATE OR DELETE ON retention_deletions
    FOR EACH ROW EXECUTE FUNCTION refuse_change_of_append_only_table();
CREATE TRIGGER retention_deletions_no_truncate BEFORE TRUNCATE ON retention_deletions
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change_of_append_only_table();

GRANT SELECT, INSERT ON retention_deletions TO citycontact_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO citycontact_app;
