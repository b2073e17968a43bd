-- Installations: per UTC day, partner, host origin and host page path,
-- the counts of server.InstallCount (widget pages served and refused,
-- start reports, errors, start-time histograms), added by each server
-- from memory every few seconds. n is a count, except for metric 'seen',
-- where it is the unix time of the latest sighting (upserts keep the
-- greatest). The day leads the key: reads take a range of days.
CREATE TABLE installs (
	day     TEXT NOT NULL,
	partner TEXT NOT NULL,
	origin  TEXT NOT NULL,
	path    TEXT NOT NULL,
	metric  TEXT NOT NULL,
	key     TEXT NOT NULL,
	n       INTEGER NOT NULL,
	PRIMARY KEY (day, partner, origin, path, metric, key)
) STRICT, WITHOUT ROWID;
