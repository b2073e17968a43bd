-- A batch's context (widget, view, page, UTM, visitor…) is the same for
-- each of its events, and copying it into every event row made SQLite's
-- per-row work the bulk of a write. It is now stored once per batch, and
-- an event row keeps only what is its own. The event id, a canonical
-- UUID, is stored as its 16 bytes rather than 36 characters of text.
--
-- Batch ids and event seqs are both given out in the order batches are
-- admitted (a new row's id is the table's highest plus one), so a later
-- event never belongs to an earlier batch: retention relies on that.
CREATE TABLE batches (
	id              INTEGER PRIMARY KEY,
	received_at     INTEGER NOT NULL,
	day             TEXT NOT NULL,
	widget          TEXT NOT NULL,
	view            TEXT NOT NULL,
	locale          TEXT NOT NULL,
	content_version TEXT NOT NULL,
	page_origin     TEXT NOT NULL,
	page_path       TEXT NOT NULL,
	utm_source      TEXT NOT NULL,
	utm_medium      TEXT NOT NULL,
	utm_campaign    TEXT NOT NULL,
	utm_term        TEXT NOT NULL,
	utm_content     TEXT NOT NULL,
	visitor         BLOB,
	test            INTEGER NOT NULL,
	bot             INTEGER NOT NULL
) STRICT;

-- The partner stays in events: it is half of the deduplication key. batch
-- is a batches.id; it has no index (every index costs every row) and no
-- declared foreign key (retention deletes batches only once no event
-- refers to them).
CREATE TABLE events_narrow (
	seq            INTEGER PRIMARY KEY,
	partner        TEXT NOT NULL,
	event_id       BLOB NOT NULL, -- the UUID's 16 bytes
	batch          INTEGER NOT NULL,
	type           TEXT NOT NULL,
	at             INTEGER NOT NULL,
	question_id    TEXT NOT NULL,
	option_id      TEXT NOT NULL,
	question_index INTEGER,
	outcome        TEXT NOT NULL,
	margin         REAL,
	faq_id         TEXT NOT NULL,
	shared         TEXT,  -- comma-separated responsibility ids
	undecided      TEXT,  -- comma-separated responsibility ids
	cta_id         TEXT NOT NULL,
	UNIQUE (partner, event_id)
) STRICT;

-- Stored events are carried over whole: each becomes its own batch, with
-- its seq as the batch's id, so both keep their order.
INSERT INTO batches (id, received_at, day, widget, view, locale, content_version, page_origin,
	page_path, utm_source, utm_medium, utm_campaign, utm_term, utm_content, visitor, test, bot)
	SELECT seq, received_at, day, widget, view, locale, content_version, page_origin,
	page_path, utm_source, utm_medium, utm_campaign, utm_term, utm_content, visitor, test, bot
	FROM events ORDER BY seq;

-- Ingest only ever stored canonical lowercase UUIDs. Should an id be
-- anything else, it would not come back unchanged from 16 bytes: this
-- check then stops the migration, naming the problem in its error, rather
-- than lose or alter the id. The database is left as it was, at version 2.
CREATE TEMP TABLE migration_0003_bad_ids (
	event_id TEXT,
	CONSTRAINT "an event id is not a canonical lowercase UUID and cannot be stored as 16 bytes" CHECK (event_id IS NULL)
) STRICT;

INSERT INTO temp.migration_0003_bad_ids (event_id)
	SELECT event_id FROM events
	WHERE length(event_id) != 36 OR event_id != lower(
		substr(hex(unhex(replace(event_id, '-', ''))), 1, 8) || '-' ||
		substr(hex(unhex(replace(event_id, '-', ''))), 9, 4) || '-' ||
		substr(hex(unhex(replace(event_id, '-', ''))), 13, 4) || '-' ||
		substr(hex(unhex(replace(event_id, '-', ''))), 17, 4) || '-' ||
		substr(hex(unhex(replace(event_id, '-', ''))), 21, 12))
	LIMIT 1;

DROP TABLE temp.migration_0003_bad_ids;

INSERT INTO events_narrow (seq, partner, event_id, batch, type, at, question_id, option_id,
	question_index, outcome, margin, faq_id, shared, undecided, cta_id)
	SELECT seq, partner, unhex(replace(event_id, '-', '')), seq, type, at, question_id, option_id,
	question_index, outcome, margin, faq_id, shared, undecided, cta_id
	FROM events ORDER BY seq;

DROP TABLE events;
ALTER TABLE events_narrow RENAME TO events;
