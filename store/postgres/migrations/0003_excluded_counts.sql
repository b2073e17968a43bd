-- Rollups now also count the events left out of the figures: in rollups,
-- metric 'excluded' with key 'test' (test-mode embeds) or 'bot' (crawlers,
-- webdriver); an event flagged as both counts as test. A day with only
-- such events has a rollup_days row too, whose newest is Go's zero time
-- (0001-01-01 UTC): no event counted (newest stays about counted events).
--
-- The events still stored are counted here; events retention has deleted
-- cannot be, and their days keep no count of events left out.
--
-- A server of the previous version may still be writing (a rolling
-- upgrade). Taking the rollup tables first makes its writes wait at their
-- rollups until this commits, rather than deadlock with this; its events
-- that commit after this read them are stored but never counted as left
-- out, since its code does not count them. Nothing is counted twice.
LOCK TABLE rollup_days, rollups IN SHARE ROW EXCLUSIVE MODE;

CREATE TEMP TABLE excluded_days ON COMMIT DROP AS
	SELECT partner, widget, day, CASE WHEN test THEN 'test' ELSE 'bot' END AS key, count(*) AS n
	FROM events WHERE test OR bot
	GROUP BY 1, 2, 3, 4;

INSERT INTO rollup_days (partner, widget, day, newest)
	SELECT DISTINCT partner, widget, day, timestamptz '0001-01-01 00:00:00+00' FROM excluded_days
	ON CONFLICT (partner, widget, day) DO NOTHING;

INSERT INTO rollups (partner, widget, day, metric, key, n)
	SELECT partner, widget, day, 'excluded', key, n FROM excluded_days;
