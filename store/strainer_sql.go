package store

// SQL of the strainer (see strainer.go), written by hand because it is on the ≥10,000 items/s
// path: each batch is a handful of statements over unnest()ed arrays.

// sqlEnsureCursor creates the event's cursor at seq 0 unless the event is gone.
const sqlEnsureCursor = `INSERT INTO strainer_cursors (event_id, epoch, seq)
SELECT $1, $2, 0 WHERE EXISTS (SELECT 1 FROM events WHERE id = $1)
ON CONFLICT (event_id) DO NOTHING`

// sqlLockCursor reads the cursor and holds it for the batch's transaction.
const sqlLockCursor = `SELECT epoch, seq FROM strainer_cursors WHERE event_id = $1 FOR UPDATE`

// sqlSaveCursor moves the cursor forward (never back).
const sqlSaveCursor = `UPDATE strainer_cursors SET epoch = $2, seq = GREATEST(seq, $3), updated_at = now()
WHERE event_id = $1`

// sqlInsertItems copies add entries. ON CONFLICT without a target covers both
// unique keys: (event_id, seq) and (event_id, source, external_id).
// Each item comes with its placement in the schedule (Placer); a session
// deleted since the placement was decided leaves the item unplaced.
const sqlInsertItems = `INSERT INTO items (event_id, seq, source, external_id, kind,
	author_name, author_handle, author_url, author_avatar, text, html, media, url,
	created_at, received_at, hidden, pinned, review, meta, session_id, placement, from_session_id)
SELECT $1, u.seq, u.source, u.external_id, u.kind,
	u.author_name, u.author_handle, u.author_url, u.author_avatar, u.text, u.html, u.media::jsonb, u.url,
	u.created_at, u.received_at, u.hidden, u.pinned, u.review, u.meta::jsonb,
	s.id, CASE WHEN s.id IS NULL AND u.session_id <> 0 THEN '' ELSE u.placement END, f.id
FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[],
	$6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[],
	$14::timestamptz[], $15::timestamptz[], $16::bool[], $17::bool[], $18::text[], $19::text[],
	$20::bigint[], $21::text[], $22::bigint[])
	AS u(seq, source, external_id, kind,
	author_name, author_handle, author_url, author_avatar, text, html, media, url,
	created_at, received_at, hidden, pinned, review, meta, session_id, placement, from_session_id)
LEFT JOIN sessions s ON s.id = u.session_id AND s.event_id = $1
LEFT JOIN sessions f ON f.id = u.from_session_id AND f.event_id = $1
ON CONFLICT DO NOTHING`

// sqlInsertOps keeps non-add entries for replay from Postgres.
const sqlInsertOps = `INSERT INTO log_ops (event_id, seq, op, target)
SELECT $1, u.seq, u.op, u.target FROM unnest($2::bigint[], $3::text[], $4::bigint[]) AS u(seq, op, target)
ON CONFLICT (event_id, seq) DO NOTHING`

// sqlApplyOps applies the batch's ops, folded to one row per target: NULL
// means "leave as is"; content is set only when an update carried an item.
const sqlApplyOps = `UPDATE items i SET
	hidden = COALESCE(u.hidden, i.hidden),
	pinned = COALESCE(u.pinned, i.pinned),
	review = COALESCE(u.review, i.review),
	text = CASE WHEN u.content THEN u.text ELSE i.text END,
	html = CASE WHEN u.content THEN u.html ELSE i.html END,
	media = CASE WHEN u.content THEN u.media::jsonb ELSE i.media END,
	url = CASE WHEN u.content THEN u.url ELSE i.url END,
	author_name = CASE WHEN u.content THEN u.author_name ELSE i.author_name END,
	author_handle = CASE WHEN u.content THEN u.author_handle ELSE i.author_handle END,
	author_url = CASE WHEN u.content THEN u.author_url ELSE i.author_url END,
	author_avatar = CASE WHEN u.content THEN u.author_avatar ELSE i.author_avatar END,
	meta = CASE WHEN u.content THEN u.meta::jsonb ELSE i.meta END,
	session_id = CASE WHEN u.placed THEN (SELECT s.id FROM sessions s WHERE s.id = u.session_id AND s.event_id = $1) ELSE i.session_id END,
	placement = CASE WHEN u.placed THEN 'manual' ELSE i.placement END
FROM unnest($2::bigint[], $3::bool[], $4::bool[], $5::text[], $6::bool[],
	$7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[],
	$16::bool[], $17::bigint[])
	AS u(target, hidden, pinned, review, content, text, html, media, url,
	author_name, author_handle, author_url, author_avatar, meta, placed, session_id)
WHERE i.event_id = $1 AND i.seq = u.target`

// sqlLockCursorOnly waits for a batch of the event in flight (Reassign).
const sqlLockCursorOnly = `SELECT 1 FROM strainer_cursors WHERE event_id = $1 FOR UPDATE`

// sqlPlacementInputs reads what placing an item needs, a page at a time.
const sqlPlacementInputs = `SELECT seq, source, text, html, author_handle, created_at,
	coalesce(session_id, 0), placement, coalesce(from_session_id, 0)
FROM items WHERE event_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`

// sqlSetPlacements moves items to new placements, never one a moderator
// placed meanwhile (a manual placement with its session still there).
const sqlSetPlacements = `UPDATE items i SET session_id = NULLIF(u.session_id, 0), placement = u.placement
FROM unnest($2::bigint[], $3::bigint[], $4::text[]) AS u(seq, session_id, placement)
WHERE i.event_id = $1 AND i.seq = u.seq AND NOT (i.placement = 'manual' AND i.session_id IS NOT NULL)`
