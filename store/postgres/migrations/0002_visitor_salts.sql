-- The daily salt of visitor hashes, shared by the servers on this database
-- so that a visitor hashes the same on each (server.VisitorSalts). The
-- first server to need a day's salt stores it; a salt is deleted once its
-- day is 48 hours old, as each server forgets it from memory.
CREATE TABLE visitor_salts (
	day  date PRIMARY KEY,
	salt bytea NOT NULL
);
