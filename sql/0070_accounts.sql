-- People's accounts (issue 13): API keys stay for machines; a person signs in with a name and a password.
-- Only a salted slow hash of the password is kept (ASP.NET Core Identity's PasswordHasher: PBKDF2-HMAC-SHA512,
-- 100,000 iterations, 128-bit salt). Lock-out is per account: failed_attempts and locked_until belong to the row.
CREATE TABLE accounts (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username         text NOT NULL CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,63}$'),
    display_name     text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    role             text NOT NULL CHECK (role IN ('admin', 'supervisor', 'agent', 'reporter')),
    -- An agent account acts as its agent (and so its deskphone); other roles are linked to none.
    agent_id         bigint REFERENCES agents (id),
    language         text NOT NULL DEFAULT 'ro' CHECK (language IN ('ro', 'en')),
    password_hash    text NOT NULL,
    -- Changed on every password reset and disablement: sessions signed in before it end.
    security_stamp   uuid NOT NULL DEFAULT gen_random_uuid(),
    failed_attempts  integer NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
    locked_until     timestamptz,
    disabled         boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now(),
    created_by       text NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK ((role = 'agent') = (agent_id IS NOT NULL))
);
CREATE UNIQUE INDEX accounts_username ON accounts (username);
CREATE UNIQUE INDEX accounts_agent ON accounts (agent_id) WHERE agent_id IS NOT NULL;

GRANT SELECT, INSERT, UPDATE ON accounts TO citycontact_app;
GRANT USAGE, SELECT ON SEQUENCE accounts_id_seq TO citycontact_app;
