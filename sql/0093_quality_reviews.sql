-- Quality reviews (issue 16): the city defines forms (criteria scored 1–5 with a comment); a supervisor scores a recorded
-- call on one. Reviews are append-only: a second opinion is a new review, never an edit.
CREATE TABLE review_forms (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE review_criteria (
    id       bigserial PRIMARY KEY,
    form_id  bigint NOT NULL REFERENCES review_forms (id),
    position int NOT NULL,
    label    text NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
    UNIQUE (form_id, position)
);

CREATE TABLE reviews (
    id           bigserial PRIMARY KEY,
    recording_id bigint NOT NULL REFERENCES call_recordings (id),
    form_id      bigint NOT NULL REFERENCES review_forms (id),
    agent_id     bigint REFERENCES agents (id),
    queue_id     bigint REFERENCES queues (id),
    reviewer     text NOT NULL,
    at           timestamptz NOT NULL,
    average      numeric(3, 2) NOT NULL CHECK (average BETWEEN 1 AND 5)
);
CREATE INDEX reviews_at ON reviews (at);

CREATE TABLE review_scores (
    review_id    bigint NOT NULL REFERENCES reviews (id),
    criterion_id bigint NOT NULL REFERENCES review_criteria (id),
    score        smallint NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment      text CHECK (length(comment) <= 2000),
    PRIMARY KEY (review_id, criterion_id)
);

CREATE TRIGGER reviews_append_only BEFORE UPDATE OR DELETE ON reviews
    FOR EACH ROW EXECUTE FUNCTION refuse_change_of_append_only_table();
CREATE TRIGGER review_scores_append_only BEFORE UPDATE OR DELETE ON review_scores
    FOR EACH ROW EXECUTE FUNCTION refuse_change_of_append_only_table();

GRANT SELECT, INSERT ON review_forms, review_criteria, reviews, review_scores TO citycontact_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO citycontact_app;
