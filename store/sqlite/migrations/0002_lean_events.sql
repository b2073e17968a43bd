-- Ingest stores a row per event, and every index on events costs every
-- row: these two cost a third of a write. Neither is needed per event.

-- Retention walks events in seq order instead: received_at grows with seq,
-- since the server stamps it as it admits a batch.
DROP INDEX events_received_at;

-- "Has this visitor a counted event on this day?" moves to a table of its
-- own: a row per visitor and day, written once, rather than an index entry
-- per event. The day leads the key, so retention drops old days by range.
CREATE TABLE visitor_days (
	day     TEXT NOT NULL,
	partner TEXT NOT NULL,
	widget  TEXT NOT NULL,
	visitor BLOB NOT NULL,
	PRIMARY KEY (day, partner, widget, visitor)
) STRICT, WITHOUT ROWID;

INSERT INTO visitor_days (day, partner, widget, visitor)
	SELECT DISTINCT day, partner, widget, visitor FROM events
	WHERE visitor IS NOT NULL AND test = 0 AND bot = 0;

DROP INDEX events_visitor;
