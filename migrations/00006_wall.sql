-- +goose Up
-- The wall and the moderation desk (docs/API.md, "The wall" and "Moderation").

-- What the sources say about an item beyond its text and media: sensitive
-- marks, content warnings, labels, language, reply / repost / bot flags, the
-- link card and the sealed identity of a room poster. Kept as one JSON object
-- (live.Meta) because nothing queries inside it: the wall and the archive
-- show it, the ingest filters decided on it before the item was appended.
ALTER TABLE items ADD COLUMN meta jsonb NOT NULL DEFAULT '{}';

-- Review decisions travel in the live log like hides and pins, so a held
-- item approved, rejected or held again before the strainer copied it ends
-- with the right review state in Postgres (a spotlight is not kept: it is
-- over in seconds).
ALTER TABLE log_ops DROP CONSTRAINT log_ops_op;
ALTER TABLE log_ops ADD CONSTRAINT log_ops_op
    CHECK (op IN ('hide', 'unhide', 'pin', 'unpin', 'update', 'approve', 'reject', 'hold'));

-- Rules: allow (trusted accounts skip the held queue), client and address
-- (a room poster's browser and address, banned whatever name they type),
-- and an optional end for any rule.
ALTER TABLE moderation_rules DROP CONSTRAINT moderation_rules_kind;
ALTER TABLE moderation_rules ADD CONSTRAINT moderation_rules_kind
    CHECK (kind IN ('author', 'word', 'allow', 'client', 'address'));
ALTER TABLE moderation_rules ADD COLUMN expires_at timestamptz;

-- Per event: the wall's layout and brand, safe media, embedding, reports,
-- the default blocklist and the ingest filters.
ALTER TABLE events
    ADD COLUMN wall_layout      text    NOT NULL DEFAULT 'columns',
    ADD COLUMN wall_content     text    NOT NULL DEFAULT 'mixed',
    ADD COLUMN wall_theme       text    NOT NULL DEFAULT 'dark',
    ADD COLUMN wall_speed       integer NOT NULL DEFAULT 0,
    ADD COLUMN wall_logo_url    text    NOT NULL DEFAULT '',
    ADD COLUMN wall_accent      text    NOT NULL DEFAULT '',
    ADD COLUMN sensitive_media  text    NOT NULL DEFAULT 'blur',
    ADD COLUMN embed_origins    text    NOT NULL DEFAULT '',
    ADD COLUMN report_threshold integer NOT NULL DEFAULT 3,
    ADD COLUMN blocklist        boolean NOT NULL DEFAULT true,
    ADD COLUMN filter_replies   boolean NOT NULL DEFAULT false,
    ADD COLUMN filter_reposts   boolean NOT NULL DEFAULT false,
    ADD COLUMN filter_bots      boolean NOT NULL DEFAULT false,
    ADD COLUMN filter_sensitive boolean NOT NULL DEFAULT false,
    ADD COLUMN filter_languages text    NOT NULL DEFAULT '',
    ADD CONSTRAINT events_wall_layout CHECK (wall_layout IN ('columns', 'masonry')),
    ADD CONSTRAINT events_wall_content CHECK (wall_content IN ('mixed', 'photos', 'text')),
    ADD CONSTRAINT events_wall_theme CHECK (wall_theme IN ('dark', 'light')),
    ADD CONSTRAINT events_wall_speed CHECK (wall_speed BETWEEN 0 AND 60),
    ADD CONSTRAINT events_wall_accent CHECK (wall_accent ~ '^(#[0-9a-f]{6})?$'),
    ADD CONSTRAINT events_sensitive_media CHECK (sensitive_media IN ('blur', 'hold')),
    ADD CONSTRAINT events_report_threshold CHECK (report_threshold BETWEEN 0 AND 1000);

-- Per source: the same ingest filters, on top of the event's.
ALTER TABLE sources
    ADD COLUMN filter_replies   boolean NOT NULL DEFAULT false,
    ADD COLUMN filter_reposts   boolean NOT NULL DEFAULT false,
    ADD COLUMN filter_bots      boolean NOT NULL DEFAULT false,
    ADD COLUMN filter_sensitive boolean NOT NULL DEFAULT false,
    ADD COLUMN filter_languages text    NOT NULL DEFAULT '';

-- Attendees' reports of a post: one per client (its id, hashed) per item.
-- No foreign key to items: a report may come before the strainer copied
-- the item.
CREATE TABLE item_reports (
    event_id   bigint      NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    seq        bigint      NOT NULL,
    reporter   text        NOT NULL,
    reason     text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, seq, reporter)
);
-- The console's list of reported items, most reported first.
CREATE INDEX item_reports_event_idx ON item_reports (event_id, seq);

-- +goose Down
DROP TABLE item_reports;
ALTER TABLE sources
    DROP COLUMN filter_replies,
    DROP COLUMN filter_reposts,
    DROP COLUMN filter_bots,
    DROP COLUMN filter_sensitive,
    DROP COLUMN filter_languages;
ALTER TABLE events
    DROP CONSTRAINT events_wall_layout,
    DROP CONSTRAINT events_wall_content,
    DROP CONSTRAINT events_wall_theme,
    DROP CONSTRAINT events_wall_speed,
    DROP CONSTRAINT events_wall_accent,
    DROP CONSTRAINT events_sensitive_media,
    DROP CONSTRAINT events_report_threshold,
    DROP COLUMN wall_layout,
    DROP COLUMN wall_content,
    DROP COLUMN wall_theme,
    DROP COLUMN wall_speed,
    DROP COLUMN wall_logo_url,
    DROP COLUMN wall_accent,
    DROP COLUMN sensitive_media,
    DROP COLUMN embed_origins,
    DROP COLUMN report_threshold,
    DROP COLUMN blocklist,
    DROP COLUMN filter_replies,
    DROP COLUMN filter_reposts,
    DROP COLUMN filter_bots,
    DROP COLUMN filter_sensitive,
    DROP COLUMN filter_languages;
ALTER TABLE moderation_rules DROP COLUMN expires_at;
DELETE FROM moderation_rules WHERE kind NOT IN ('author', 'word');
ALTER TABLE moderation_rules DROP CONSTRAINT moderation_rules_kind;
ALTER TABLE moderation_rules ADD CONSTRAINT moderation_rules_kind CHECK (kind IN ('author', 'word'));
DELETE FROM log_ops WHERE op IN ('approve', 'reject', 'hold');
ALTER TABLE log_ops DROP CONSTRAINT log_ops_op;
ALTER TABLE log_ops ADD CONSTRAINT log_ops_op CHECK (op IN ('hide', 'unhide', 'pin', 'unpin', 'update'));
ALTER TABLE items DROP COLUMN meta;
