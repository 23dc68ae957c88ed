-- Indexes the report benchmark asked for (bench/report-plans.md).

-- Repeat callers walk calls in (caller, started_at) order: covering the filtered columns makes that an index-only
-- scan instead of a million random heap reads for a year.
CREATE INDEX calls_caller_started_at_covering ON calls (caller, started_at) INCLUDE (outcome, department_id);

-- IVR timeouts of a period, without reading every event of every call.
CREATE INDEX call_events_type_at ON call_events (type, at);
