package store

// SQL of the strainer's audience writes (strainer_audience.go), one
// statement per kind of change over unnest()ed arrays.

// sqlInsertQuestions copies question entries; the session is found by slug
// (NULL when it was deleted meanwhile). A question already there is left as
// it is: its later states come from their own entries.
const sqlInsertQuestions = `INSERT INTO questions (event_id, id, session_id, text, name, state, created_at)
SELECT $1, u.id, (SELECT s.id FROM sessions s WHERE s.event_id = $1 AND s.slug = u.session), u.text, u.name, u.state, u.created_at
FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[])
	AS u(id, session, text, name, state, created_at)
ON CONFLICT (event_id, id) DO NOTHING`

// sqlInsertVotes adds one row per voter (a vote for a question Postgres
// does not hold is dropped rather than wedging the strainer).
const sqlInsertVotes = `INSERT INTO question_votes (event_id, question_id, voter)
SELECT $1, u.question, u.voter FROM unnest($2::bigint[], $3::text[]) AS u(question, voter)
WHERE EXISTS (SELECT 1 FROM questions q WHERE q.event_id = $1 AND q.id = u.question)
ON CONFLICT DO NOTHING`

// sqlDeleteVotes removes the rows of votes taken back.
const sqlDeleteVotes = `DELETE FROM question_votes v USING unnest($2::bigint[], $3::text[]) AS u(question, voter)
WHERE v.event_id = $1 AND v.question_id = u.question AND v.voter = u.voter`

// sqlSetQuestionStates sets each question's last state of a run. A merged
// question stays merged (hidden), as the live log keeps it.
const sqlSetQuestionStates = `UPDATE questions q SET state = u.state, updated_at = now()
FROM unnest($2::bigint[], $3::text[]) AS u(id, state)
WHERE q.event_id = $1 AND q.id = u.id AND q.merged_into IS NULL AND q.state <> u.state`

// sqlMergeQuestion hides a duplicate and names what it was merged into.
const sqlMergeQuestion = `UPDATE questions SET state = 'hidden', merged_into = $3, updated_at = now()
WHERE event_id = $1 AND id = $2`

// sqlCopyVoters gives the target every voter of the duplicate, each once.
const sqlCopyVoters = `INSERT INTO question_votes (event_id, question_id, voter)
SELECT $1, $3, v.voter FROM question_votes v
WHERE v.event_id = $1 AND v.question_id = $2
  AND EXISTS (SELECT 1 FROM questions q WHERE q.event_id = $1 AND q.id = $3)
ON CONFLICT DO NOTHING`

// sqlCountVotes sets each touched question's count from its rows.
const sqlCountVotes = `UPDATE questions q SET votes = c.n, updated_at = now()
FROM (SELECT u.id, (SELECT count(*) FROM question_votes v WHERE v.event_id = $1 AND v.question_id = u.id) AS n
	FROM unnest($2::bigint[]) AS u(id)) c
WHERE q.event_id = $1 AND q.id = c.id AND q.votes <> c.n`

// sqlUpsertReactions keeps the greatest total per (session, minute, kind):
// each reactions entry carries the minute's totals so far.
const sqlUpsertReactions = `INSERT INTO reaction_counts (event_id, session_id, minute, kind, count)
SELECT $1, s.id, u.minute::timestamptz, u.kind, u.count
FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[]) AS u(session, minute, kind, count)
JOIN sessions s ON s.event_id = $1 AND s.slug = u.session
ON CONFLICT (event_id, session_id, minute, kind) DO UPDATE SET count = GREATEST(reaction_counts.count, EXCLUDED.count)`

// sqlInsertAudienceLog keeps the audience entries for history.
const sqlInsertAudienceLog = `INSERT INTO audience_log (event_id, seq, op, public, entry)
SELECT $1, u.seq, u.op, u.public, u.entry FROM unnest($2::bigint[], $3::text[], $4::bool[], $5::text[]) AS u(seq, op, public, entry)
ON CONFLICT (event_id, seq) DO NOTHING`
