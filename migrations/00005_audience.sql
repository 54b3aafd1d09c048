-- +goose Up
-- The audience's voice: questions with votes, reactions, live readers and
-- speakers' shareable reports (docs/API.md, "Audience questions and
-- reactions"). Questions, votes and reactions travel through the live log
-- like items; the strainer copies them here in the same transaction as its
-- cursor, so every table below is written idempotently from the log.

-- Audience questions: open (asked and shown), moderated (held until a
-- moderator approves) or closed (no new questions).
ALTER TABLE events
    ADD COLUMN qa text NOT NULL DEFAULT 'open',
    ADD CONSTRAINT events_qa CHECK (qa IN ('open', 'moderated', 'closed'));

-- A question's id is the seq of the live-log entry that asked it, so it is
-- unique per event and known before the strainer copies it.
CREATE TABLE questions (
    event_id    bigint      NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    id          bigint      NOT NULL,
    -- The session it was asked in; NULL once that session is deleted.
    session_id  bigint      REFERENCES sessions (id) ON DELETE SET NULL,
    text        text        NOT NULL,
    -- NULL: asked anonymously.
    name        text,
    state       text        NOT NULL DEFAULT 'open',
    -- Distinct voters, counted from question_votes (a merge adds the
    -- duplicate's voters, each once).
    votes       integer     NOT NULL DEFAULT 0,
    -- Set when a moderator merged this question into another (then hidden).
    merged_into bigint,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, id),
    CONSTRAINT questions_state CHECK (state IN ('held', 'open', 'answering', 'answered', 'hidden')),
    CONSTRAINT questions_text CHECK (length(text) > 0),
    CONSTRAINT questions_id_positive CHECK (id > 0)
);
-- Session pages, exports and the report: one session's questions.
CREATE INDEX questions_session_idx ON questions (event_id, session_id);

-- One row per voter per question. voter is a digest of the browser's client
-- cookie (never the cookie itself): one vote per client, counted once.
CREATE TABLE question_votes (
    event_id    bigint NOT NULL,
    question_id bigint NOT NULL,
    voter       text   NOT NULL,
    PRIMARY KEY (event_id, question_id, voter),
    FOREIGN KEY (event_id, question_id) REFERENCES questions (event_id, id) ON DELETE CASCADE
);

-- Reactions per session, minute and kind: the totals the live log carried
-- (each reactions entry holds the minute's totals so far, so a copy keeps
-- the greatest).
CREATE TABLE reaction_counts (
    event_id   bigint      NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    session_id bigint      NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    minute     timestamptz NOT NULL,
    kind       text        NOT NULL,
    count      integer     NOT NULL,
    PRIMARY KEY (event_id, session_id, minute, kind),
    CONSTRAINT reaction_counts_kind CHECK (kind IN ('applause', 'insight', 'love', 'confused', 'disagree'))
);

-- The audience entries of the live log (question, votes, qa_state,
-- reactions) exactly as clients received them, so a long poll whose since
-- is older than Redis still gets every entry in order (as log_ops does for
-- item ops). public is false for entries clients never see (a held question).
CREATE TABLE audience_log (
    event_id bigint  NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    seq      bigint  NOT NULL,
    op       text    NOT NULL,
    public   boolean NOT NULL,
    entry    text    NOT NULL,
    PRIMARY KEY (event_id, seq),
    CONSTRAINT audience_log_op CHECK (op IN ('question', 'votes', 'qa_state', 'reactions'))
);

-- How many browsers followed the event's live log, the greatest per minute
-- (summed over web nodes): the reception page's peak live readers.
CREATE TABLE reader_samples (
    event_id bigint      NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    minute   timestamptz NOT NULL,
    readers  integer     NOT NULL,
    PRIMARY KEY (event_id, minute)
);

-- A speaker's shareable report (/r/{token}): an unguessable token per link,
-- revoked by setting revoked_at (kept for the audit log's sake).
CREATE TABLE session_reports (
    token      text        PRIMARY KEY,
    event_id   bigint      NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    session_id bigint      NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_by bigint      REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz,
    CONSTRAINT session_reports_token CHECK (length(token) >= 32)
);
CREATE INDEX session_reports_session_idx ON session_reports (event_id, session_id);

-- The reception page's posts and unique posters per session, read from
-- this index alone in its order (the poster is the handle, else the name,
-- as the archive's top posters count them): no scan of the items' text, no
-- sort. The INCLUDE columns make an index-only scan possible: the planner
-- wants every column an expression reads in the index.
CREATE INDEX items_session_poster_idx ON items (event_id, session_id,
    (CASE WHEN author_handle <> '' THEN lower(author_handle) ELSE 'name:' || lower(author_name) END))
    INCLUDE (author_handle, author_name)
    WHERE NOT hidden AND review = 'approved' AND session_id IS NOT NULL;

-- +goose Down
DROP INDEX items_session_poster_idx;
DROP TABLE session_reports;
DROP TABLE reader_samples;
DROP TABLE audience_log;
DROP TABLE reaction_counts;
DROP TABLE question_votes;
DROP TABLE questions;
ALTER TABLE events DROP CONSTRAINT events_qa, DROP COLUMN qa;
