-- Calls still open (no outcome yet): at start the service closes those whose channel Asterisk no longer has. A
-- partial index keeps that a lookup of the few open rows instead of a scan of every call the city ever had.
CREATE INDEX calls_open ON calls (started_at) WHERE ended_at IS NULL;
