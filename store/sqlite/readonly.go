package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"

	"github.com/ehforge/forgefit/store"
)

// Reader reads a database that a running server writes, without ever
// becoming a writer itself: it opens the file read-only (mode=ro), applies
// no migration, counts no rollup, and has read methods only. The e2e suite
// checks what the server under test stored through it.
type Reader struct {
	db *sql.DB
}

// OpenReadOnly opens the database at path for reading. The file must
// exist and have this build's schema (SchemaVersion): a reader that
// cannot migrate cannot read another one.
func OpenReadOnly(ctx context.Context, path string) (*Reader, error) {
	// A URI, for mode=ro: SQLite then opens the file with O_RDONLY, and
	// query_only refuses any write the connection is asked for.
	q := url.Values{
		"mode":    {"ro"},
		"_pragma": {fmt.Sprintf("busy_timeout(%d)", BusyTimeoutMillis), "query_only(1)"},
	}
	u := url.URL{Scheme: "file", Path: path, RawQuery: q.Encode()}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return nil, fmt.Errorf("opening %s read-only: %w", path, err)
	}
	db.SetMaxOpenConns(2)
	var version int
	if err := db.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&version); err != nil {
		db.Close()
		return nil, fmt.Errorf("opening %s read-only: %w", path, err)
	}
	if version != SchemaVersion {
		db.Close()
		return nil, fmt.Errorf("opening %s read-only: its schema is at version %d, this build reads version %d", path, version, SchemaVersion)
	}
	return &Reader{db: db}, nil
}

// Events returns stored events in the order they were stored, as
// Store.Events does.
func (r *Reader) Events(ctx context.Context, q store.EventQuery) ([]store.Event, error) {
	return readEvents(ctx, r.db, q)
}

// Close closes the reader's connections.
func (r *Reader) Close() error { return r.db.Close() }
