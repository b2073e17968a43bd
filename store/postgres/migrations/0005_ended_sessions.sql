-- Dashboard sessions signed out before they expire (server.Store's
-- EndSession), shared by every server on this database: a copied session
-- cookie is refused by each once its id is here. A row is deleted a while
-- after the session's own expiry (server.EndedSessionGrace), when the
-- cookie's signed expiry refuses it anyway, so the table holds only the
-- sessions signed out in the last half day or so.
CREATE TABLE ended_sessions (
	id      text PRIMARY KEY,
	expires timestamptz NOT NULL
);

CREATE INDEX ended_sessions_by_expiry ON ended_sessions (expires);
