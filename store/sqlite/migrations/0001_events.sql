-- Raw events: one wide row per event, deduplicated by partner and the
-- browser's event id. Times are unix microseconds; day is the UTC day of
-- received_at (YYYY-MM-DD), the day stats count the event on. Absent
-- optional data is '' for text, NULL for numbers and lists.
CREATE TABLE events (
	seq             INTEGER PRIMARY KEY,
	partner         TEXT NOT NULL,
	event_id        TEXT NOT NULL,
	type            TEXT NOT NULL,
	at              INTEGER NOT NULL,
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
	question_id     TEXT NOT NULL,
	option_id       TEXT NOT NULL,
	question_index  INTEGER,
	outcome         TEXT NOT NULL,
	margin          REAL,
	faq_id          TEXT NOT NULL,
	shared          TEXT,  -- comma-separated responsibility ids
	undecided       TEXT,  -- comma-separated responsibility ids
	cta_id          TEXT NOT NULL,
	visitor         BLOB,
	test            INTEGER NOT NULL,
	bot             INTEGER NOT NULL,
	UNIQUE (partner, event_id)
) STRICT;

-- Retention deletes the oldest events first.
CREATE INDEX events_received_at ON events (received_at);

-- Daily unique visitors: has this visitor a counted event on this day?
CREATE INDEX events_visitor ON events (partner, widget, day, visitor)
	WHERE visitor IS NOT NULL AND test = 0 AND bot = 0;

-- Daily rollups, kept in step with events in the same transaction. One row
-- per day x partner x widget that has counted events ...
CREATE TABLE rollup_days (
	partner TEXT NOT NULL,
	widget  TEXT NOT NULL,
	day     TEXT NOT NULL,
	newest  INTEGER NOT NULL, -- received_at of the newest event counted
	PRIMARY KEY (partner, widget, day)
) STRICT, WITHOUT ROWID;

CREATE INDEX rollup_days_day ON rollup_days (day);

-- ... and its figures, in server.Count's flat form.
CREATE TABLE rollups (
	partner TEXT NOT NULL,
	widget  TEXT NOT NULL,
	day     TEXT NOT NULL,
	metric  TEXT NOT NULL,
	key     TEXT NOT NULL,
	n       INTEGER NOT NULL,
	PRIMARY KEY (partner, widget, day, metric, key)
) STRICT, WITHOUT ROWID;
