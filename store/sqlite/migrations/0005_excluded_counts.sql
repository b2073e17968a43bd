-- Rollups now also count the events left out of the figures: in rollups,
-- metric 'excluded' with key 'test' (test-mode embeds) or 'bot' (crawlers,
-- webdriver); an event flagged as both counts as test. A day with only
-- such events has a rollup_days row too, whose newest is 0: no event
-- counted (newest stays about counted events).
--
-- The events already rolled up (seq up to the watermark) that are still
-- stored are counted here; those after it are counted by the writer's
-- recount at Open, as any event after the watermark. Events retention
-- has deleted cannot be counted: their days keep no count of events left
-- out. One pass over events, gathered first so both tables get it.
CREATE TEMP TABLE excluded_days AS
	SELECT e.partner AS partner, b.widget AS widget, b.day AS day,
		CASE WHEN b.test THEN 'test' ELSE 'bot' END AS key, count(*) AS n
	FROM events e JOIN batches b ON b.id = e.batch
	WHERE (b.test OR b.bot) AND e.seq <= (SELECT seq FROM rollup_watermark)
	GROUP BY 1, 2, 3, 4;

INSERT INTO rollup_days (partner, widget, day, newest)
	SELECT DISTINCT partner, widget, day, 0 FROM excluded_days WHERE true
	ON CONFLICT (partner, widget, day) DO NOTHING;

INSERT INTO rollups (partner, widget, day, metric, key, n)
	SELECT partner, widget, day, 'excluded', key, n FROM excluded_days;

DROP TABLE excluded_days;
