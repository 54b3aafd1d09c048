-- +goose Up
-- The canonical store. Redis holds only the live log; everything here is
-- written idempotently (see the unique keys) so any job may run twice.

CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    email         text        NOT NULL,
    password_hash text        NOT NULL,
    is_superuser  boolean     NOT NULL DEFAULT false,
    is_active     boolean     NOT NULL DEFAULT true,
    last_login_at timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_email_format CHECK (email LIKE '%_@_%')
);
-- Logins compare emails case-insensitively.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE events (
    id          bigserial PRIMARY KEY,
    slug        text        NOT NULL UNIQUE,
    title       text        NOT NULL,
    description text        NOT NULL DEFAULT '',
    hashtag     text        NOT NULL DEFAULT '',
    timezone    text        NOT NULL,
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL,
    posting     text        NOT NULL DEFAULT 'open',
    moderation  text        NOT NULL DEFAULT 'after',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT events_slug_format CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    CONSTRAINT events_window CHECK (ends_at > starts_at),
    CONSTRAINT events_posting CHECK (posting IN ('open', 'moderated', 'closed')),
    CONSTRAINT events_moderation CHECK (moderation IN ('after', 'before'))
);
-- The home page splits events into now / upcoming / past.
CREATE INDEX events_window_idx ON events (starts_at, ends_at);

-- Per-event roles for the admin: organizers manage an event, moderators only moderate it.
CREATE TABLE event_roles (
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    event_id   bigint      NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    role       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, event_id),
    CONSTRAINT event_roles_role CHECK (role IN ('organizer', 'moderator'))
);
CREATE INDEX event_roles_event_idx ON event_roles (event_id);

CREATE TABLE sessions (
    id         bigserial PRIMARY KEY,
    event_id   bigint      NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    slug       text        NOT NULL,
    title      text        NOT NULL,
    speaker    text        NOT NULL DEFAULT '',
    room       text        NOT NULL DEFAULT '',
    starts_at  timestamptz NOT NULL,
    ends_at    timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT sessions_slug_format CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    CONSTRAINT sessions_window CHECK (ends_at > starts_at),
    UNIQUE (event_id, slug)
);
-- The strainer looks up the session whose window holds an item's created_at.
CREATE INDEX sessions_event_window_idx ON sessions (event_id, starts_at, ends_at);

CREATE TABLE sources (
    id         bigserial PRIMARY KEY,
    event_id   bigint      NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    kind       text        NOT NULL,
    -- key identifies the source within its event (kind plus what it follows),
    -- so applying the same event file twice updates instead of duplicating.
    key        text        NOT NULL,
    config     jsonb       NOT NULL DEFAULT '{}',
    enabled    boolean     NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT sources_kind CHECK (kind IN ('mastodon', 'bluesky', 'x', 'flickr', 'feed', 'replay')),
    UNIQUE (event_id, key)
);
-- Workers list the enabled sources to run.
CREATE INDEX sources_enabled_idx ON sources (enabled, event_id);

CREATE TABLE items (
    event_id      bigint      NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    seq           bigint      NOT NULL,
    source        text        NOT NULL,
    source_id     bigint      REFERENCES sources (id) ON DELETE SET NULL,
    external_id   text        NOT NULL,
    kind          text        NOT NULL DEFAULT 'post',
    author_name   text        NOT NULL DEFAULT '',
    author_handle text        NOT NULL DEFAULT '',
    author_url    text        NOT NULL DEFAULT '',
    author_avatar text        NOT NULL DEFAULT '',
    text          text        NOT NULL DEFAULT '',
    html          text        NOT NULL DEFAULT '',
    media         jsonb       NOT NULL DEFAULT '[]',
    url           text        NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL,
    received_at   timestamptz NOT NULL,
    session_id    bigint      REFERENCES sessions (id) ON DELETE SET NULL,
    hidden        boolean     NOT NULL DEFAULT false,
    pinned        boolean     NOT NULL DEFAULT false,
    -- approved items are public; pending ones wait in the moderation queue.
    review        text        NOT NULL DEFAULT 'approved',
    search        tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(text, '')), 'A') ||
        setweight(to_tsvector('simple', coalesce(author_name, '') || ' ' || coalesce(author_handle, '')), 'B')
    ) STORED,
    PRIMARY KEY (event_id, seq),
    CONSTRAINT items_kind CHECK (kind IN ('post', 'photo')),
    CONSTRAINT items_review CHECK (review IN ('approved', 'pending', 'rejected')),
    CONSTRAINT items_seq_positive CHECK (seq > 0),
    -- The same post never lands twice, whatever replays the strainer does.
    UNIQUE (event_id, source, external_id)
);
-- Archive pages: one session's visible items in order (keyset on seq).
CREATE INDEX items_session_idx ON items (event_id, session_id, seq) WHERE NOT hidden AND review = 'approved';
-- Re-assigning sessions and activity charts walk items by time.
CREATE INDEX items_created_idx ON items (event_id, created_at);
-- The moderation queue.
CREATE INDEX items_review_idx ON items (event_id, review, seq) WHERE review <> 'approved';
CREATE INDEX items_search_idx ON items USING gin (search);

CREATE TABLE moderation_rules (
    id         bigserial PRIMARY KEY,
    event_id   bigint      NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    kind       text        NOT NULL,
    value      text        NOT NULL,
    note       text        NOT NULL DEFAULT '',
    created_by bigint      REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT moderation_rules_kind CHECK (kind IN ('author', 'word')),
    CONSTRAINT moderation_rules_value CHECK (length(value) > 0)
);
CREATE UNIQUE INDEX moderation_rules_key ON moderation_rules (event_id, kind, lower(value));

-- Every change made through the admin or the CLI: who, when, what, before and after.
CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    user_id     bigint      REFERENCES users (id) ON DELETE SET NULL,
    actor       text        NOT NULL DEFAULT '',
    action      text        NOT NULL,
    object_type text        NOT NULL,
    object_id   text        NOT NULL,
    event_id    bigint      REFERENCES events (id) ON DELETE SET NULL,
    before      jsonb,
    after       jsonb,
    message     text        NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_object_idx ON audit_log (object_type, object_id, created_at DESC);
CREATE INDEX audit_log_created_idx ON audit_log (created_at DESC);

-- How far the strainer has copied each event's live log into items. Written in
-- the same transaction as the items, so a crash mid-batch replays the batch.
CREATE TABLE strainer_cursors (
    event_id   bigint      PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
    epoch      text        NOT NULL,
    seq        bigint      NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Non-add entries of the live log (hide, unhide, pin, unpin, update) kept by
-- the strainer, so a long poll whose since is older than Redis still receives
-- every op in order, rebuilt from Postgres.
CREATE TABLE log_ops (
    event_id bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    seq      bigint NOT NULL,
    op       text   NOT NULL,
    target   bigint NOT NULL,
    PRIMARY KEY (event_id, seq),
    CONSTRAINT log_ops_op CHECK (op IN ('hide', 'unhide', 'pin', 'unpin', 'update'))
);

-- +goose Down
DROP TABLE log_ops;
DROP TABLE strainer_cursors;
DROP TABLE audit_log;
DROP TABLE moderation_rules;
DROP TABLE items;
DROP TABLE sources;
DROP TABLE sessions;
DROP TABLE event_roles;
DROP TABLE events;
DROP TABLE users;
