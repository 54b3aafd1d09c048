-- +goose Up
-- Rooms and tracks as parts of an event, and where each item sits in its
-- schedule (docs/API.md, Session assignment; docs/ARCHITECTURE.md, Schedules).

-- An event's rooms, in the order its schedule lists them. Sessions in
-- different rooms may overlap; sessions in one room may not (checked by the
-- event file, the admin and the schedule import, which report the clash).
CREATE TABLE rooms (
    id         bigserial PRIMARY KEY,
    event_id   bigint      NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    slug       text        NOT NULL,
    name       text        NOT NULL,
    position   integer     NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT rooms_slug_format CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    CONSTRAINT rooms_name CHECK (length(name) > 0),
    UNIQUE (event_id, slug)
);

-- The free-text room of each session becomes a room of its event, with a
-- slug made from its name (names that make the same slug share one room).
INSERT INTO rooms (event_id, slug, name, position)
SELECT event_id, slug, min(room), row_number() OVER (PARTITION BY event_id ORDER BY min(room)) - 1
FROM (SELECT event_id, room,
        coalesce(nullif(trim(BOTH '-' FROM regexp_replace(lower(room), '[^a-z0-9]+', '-', 'g')), ''), 'room') AS slug
      FROM sessions WHERE trim(room) <> '') named
GROUP BY event_id, slug;

ALTER TABLE sessions
    ADD COLUMN room_id         bigint REFERENCES rooms (id) ON DELETE SET NULL,
    ADD COLUMN track           text   NOT NULL DEFAULT '',
    -- A post carrying one of these hashtags or words belongs to the session.
    ADD COLUMN tags            jsonb  NOT NULL DEFAULT '[]',
    -- Mastodon @user@host, Bluesky handle.bsky.social, X @user: a post
    -- written by or mentioning one belongs to the session.
    ADD COLUMN speaker_handles jsonb  NOT NULL DEFAULT '[]',
    -- The schedule's own id (pretalx, frab, iCalendar UID): a re-import
    -- finds the session by it, so its slug stays stable.
    ADD COLUMN schedule_id     text   NOT NULL DEFAULT '',
    ADD CONSTRAINT sessions_tags_list CHECK (jsonb_typeof(tags) = 'array'),
    ADD CONSTRAINT sessions_handles_list CHECK (jsonb_typeof(speaker_handles) = 'array');

UPDATE sessions s SET room_id = r.id FROM rooms r
WHERE r.event_id = s.event_id AND trim(s.room) <> ''
  AND r.slug = coalesce(nullif(trim(BOTH '-' FROM regexp_replace(lower(s.room), '[^a-z0-9]+', '-', 'g')), ''), 'room');

ALTER TABLE sessions DROP COLUMN room;
CREATE UNIQUE INDEX sessions_schedule_id_key ON sessions (event_id, schedule_id) WHERE schedule_id <> '';
CREATE INDEX sessions_room_idx ON sessions (room_id);

-- Where an item sits and why: placement names the rule that put it in its
-- session (tag, handle, page, time), 'manual' for a moderator's placement
-- (kept by every later re-assignment), 'ambiguous' for a post that several
-- parallel sessions could claim (unassigned, "to place" for moderators), ''
-- for one outside every session. from_session_id is the session whose page
-- an attendee posted from (an input of the rule, kept for re-assignment).
ALTER TABLE items
    ADD COLUMN placement       text   NOT NULL DEFAULT '',
    ADD COLUMN from_session_id bigint REFERENCES sessions (id) ON DELETE SET NULL,
    ADD CONSTRAINT items_placement CHECK (placement IN ('', 'ambiguous', 'tag', 'handle', 'page', 'time', 'manual'));
UPDATE items SET placement = 'time' WHERE session_id IS NOT NULL;
-- The moderators' "to place" list.
CREATE INDEX items_to_place_idx ON items (event_id, seq) WHERE placement = 'ambiguous';
-- Deleting a session sets from_session_id to NULL on its items.
CREATE INDEX items_from_session_idx ON items (from_session_id) WHERE from_session_id IS NOT NULL;

-- Where the event's schedule was last imported from, for a re-sync.
ALTER TABLE events
    ADD COLUMN schedule_url    text NOT NULL DEFAULT '',
    ADD COLUMN schedule_format text NOT NULL DEFAULT '',
    ADD CONSTRAINT events_schedule_format CHECK (schedule_format IN ('', 'pretalx', 'frab', 'ics'));

-- +goose Down
ALTER TABLE events DROP COLUMN schedule_format, DROP COLUMN schedule_url;
DROP INDEX items_from_session_idx;
DROP INDEX items_to_place_idx;
ALTER TABLE items DROP COLUMN from_session_id, DROP COLUMN placement;
ALTER TABLE sessions ADD COLUMN room text NOT NULL DEFAULT '';
UPDATE sessions s SET room = r.name FROM rooms r WHERE r.id = s.room_id;
DROP INDEX sessions_room_idx;
DROP INDEX sessions_schedule_id_key;
ALTER TABLE sessions DROP COLUMN schedule_id, DROP COLUMN speaker_handles, DROP COLUMN tags,
    DROP COLUMN track, DROP COLUMN room_id;
DROP TABLE rooms;
