-- The daily salt of visitor hashes (server.VisitorSalts), kept here so
-- that a restart mid-day keeps the day's salt and a returning visitor
-- hashes as before, rather than counting again. A salt is deleted once its
-- day is 48 hours old, as the server forgets it from memory: from then on
-- that day's hashes cannot be tested against guesses, even by someone
-- holding the database.
CREATE TABLE visitor_salts (
	day  TEXT PRIMARY KEY, -- YYYY-MM-DD, a UTC day
	salt BLOB NOT NULL
) STRICT;

-- One row that readiness rewrites after a failed write (Store.ProbeWrite),
-- to learn whether the file takes writes again. A new value each time, or
-- SQLite would leave the page clean and write nothing.
CREATE TABLE write_probe (
	only INTEGER PRIMARY KEY CHECK (only = 1),
	at   INTEGER NOT NULL -- Unix microseconds of the last probe
) STRICT;

INSERT INTO write_probe (only, at) VALUES (1, 0);
