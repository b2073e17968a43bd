-- Rollups follow a watermark: rollups, rollup_days and visitor_days hold
-- exactly the events with seq up to rollup_watermark.seq. The writer adds
-- events without touching them, and brings them up to date at most every
-- flush interval, within one of its commits (see rollup.go). Every event
-- stored so far is rolled up already.
--
-- A new event's seq is one past the highest stored. Retention deletes
-- only events below the watermark, so the event at it stays and no seq
-- at or under the watermark is ever given out again.
CREATE TABLE rollup_watermark (
	only INTEGER PRIMARY KEY CHECK (only = 1),
	seq  INTEGER NOT NULL
) STRICT;

INSERT INTO rollup_watermark (only, seq) SELECT 1, coalesce(max(seq), 0) FROM events;
