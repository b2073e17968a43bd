package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/ehforge/forgefit/store"
)

// installChunk is the rows of one upsert of installation counts: 7
// placeholders a row, far below SQLite's limit.
const installChunk = 200

// AddInstallCounts adds counts to the installs table in one transaction
// of the writer: counts are added, a 'seen' time keeps the greatest.
func (s *Store) AddInstallCounts(ctx context.Context, counts []store.InstallCount) error {
	if len(counts) == 0 {
		return nil
	}
	if err := s.acquire(ctx); err != nil {
		return err
	}
	defer s.release()
	tx, err := s.begin(ctx)
	if err != nil {
		return fmt.Errorf("beginning a write: %w", err)
	}
	defer tx.Rollback()
	for from := 0; from < len(counts); from += installChunk {
		chunk := counts[from:min(from+installChunk, len(counts))]
		args := make([]any, 0, 7*len(chunk))
		for _, c := range chunk {
			args = append(args, store.Day(c.Day).Format(time.DateOnly), c.Partner, c.Origin, c.Path, c.Metric, c.Key, c.N)
		}
		q := `INSERT INTO installs (day, partner, origin, path, metric, key, n) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?), ", len(chunk)), ", ") +
			` ON CONFLICT (day, partner, origin, path, metric, key) DO UPDATE SET
			n = CASE WHEN metric = '` + store.InstallSeen + `' THEN max(n, excluded.n) ELSE n + excluded.n END`
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("adding installation counts: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing installation counts: %w", err)
	}
	return nil
}

// InstallCounts returns the installation counts q selects.
func (s *Store) InstallCounts(ctx context.Context, q store.InstallQuery) ([]store.InstallCount, error) {
	text := `SELECT day, partner, origin, path, metric, key, n FROM installs WHERE day >= ? AND day <= ?`
	args := []any{store.Day(q.From).Format(time.DateOnly), store.Day(q.To).Format(time.DateOnly)}
	if q.Partners != nil {
		if len(q.Partners) == 0 {
			return nil, nil
		}
		text += ` AND partner IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(q.Partners)), ", ") + `)`
		for _, p := range q.Partners {
			args = append(args, p)
		}
	}
	text += ` ORDER BY day, partner, origin, path, metric, key`
	var out []store.InstallCount
	err := query(ctx, s.r, text, args, func(rows *sql.Rows) error {
		var c store.InstallCount
		var day string
		if err := rows.Scan(&day, &c.Partner, &c.Origin, &c.Path, &c.Metric, &c.Key, &c.N); err != nil {
			return err
		}
		d, err := time.Parse(time.DateOnly, day)
		if err != nil {
			return err
		}
		c.Day = d
		out = append(out, c)
		return nil
	})
	return out, err
}
