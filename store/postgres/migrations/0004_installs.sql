-- Installations: per UTC day, partner, host origin and host page path,
-- the counts of server.InstallCount (widget pages served and refused,
-- start reports, errors, start-time histograms), added by each server
-- from memory every few seconds with additive upserts, so servers sharing
-- the database add up. n is a count, except for metric 'seen', where it is
-- the unix time of the latest sighting (upserts keep the greatest). The
-- day leads the key: reads take a range of days.
CREATE TABLE installs (
	day     date NOT NULL,
	partner text NOT NULL,
	origin  text NOT NULL,
	path    text NOT NULL,
	metric  text NOT NULL,
	key     text NOT NULL,
	n       bigint NOT NULL,
	PRIMARY KEY (day, partner, origin, path, metric, key)
);
