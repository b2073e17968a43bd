-- Dashboard sessions signed out before they expire (server.Store's
-- EndSession): a copied session cookie is refused once its id is here.
-- expires is the session's own expiry in Unix seconds; a row is deleted a
-- while after it (server.EndedSessionGrace), when the cookie's signed
-- expiry refuses it anyway, so the table holds only the sessions signed
-- out in the last half day or so.
CREATE TABLE ended_sessions (
	id      TEXT PRIMARY KEY,
	expires INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX ended_sessions_by_expiry ON ended_sessions (expires);
