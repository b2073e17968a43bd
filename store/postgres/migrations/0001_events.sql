-- The SQLite engine's schema (server/sqlite/migrations), in PostgreSQL's
-- types. Raw events: one wide row per event, deduplicated by partner and
-- the browser's event id. day is the UTC day of received_at, the day stats
-- count the event on. Absent optional data is '' for text, NULL for
-- numbers and lists.
CREATE TABLE events (
	seq             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	partner         text NOT NULL,
	event_id        text NOT NULL,
	type            text NOT NULL,
	at              timestamptz NOT NULL,
	received_at     timestamptz NOT NULL,
	day             date NOT NULL,
	widget          text NOT NULL,
	view            text NOT NULL,
	locale          text NOT NULL,
	content_version text NOT NULL,
	page_origin     text NOT NULL,
	page_path       text NOT NULL,
	utm_source      text NOT NULL,
	utm_medium      text NOT NULL,
	utm_campaign    text NOT NULL,
	utm_term        text NOT NULL,
	utm_content     text NOT NULL,
	question_id     text NOT NULL,
	option_id       text NOT NULL,
	question_index  integer,
	outcome         text NOT NULL,
	margin          double precision,
	faq_id          text NOT NULL,
	shared          text[],  -- responsibility ids
	undecided       text[],  -- responsibility ids
	cta_id          text NOT NULL,
	visitor         bytea,
	test            boolean NOT NULL,
	bot             boolean NOT NULL,
	UNIQUE (partner, event_id)
);

-- Retention deletes the oldest events first.
CREATE INDEX events_received_at ON events (received_at);

-- Daily unique visitors: has this visitor a counted event on this day?
CREATE INDEX events_visitor ON events (partner, widget, day, visitor)
	WHERE visitor IS NOT NULL AND NOT test AND NOT bot;

-- Daily rollups, kept in step with events in the same transaction. One row
-- per day x partner x widget that has counted events ...
CREATE TABLE rollup_days (
	partner text NOT NULL,
	widget  text NOT NULL,
	day     date NOT NULL,
	newest  timestamptz NOT NULL, -- received_at of the newest event counted
	PRIMARY KEY (partner, widget, day)
);

CREATE INDEX rollup_days_day ON rollup_days (day);

-- ... and its figures, in server.Count's flat form.
CREATE TABLE rollups (
	partner text NOT NULL,
	widget  text NOT NULL,
	day     date NOT NULL,
	metric  text NOT NULL,
	key     text NOT NULL,
	n       bigint NOT NULL,
	PRIMARY KEY (partner, widget, day, metric, key)
);
