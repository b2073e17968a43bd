package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/ehforge/forgefit/store"
)

var _ store.VisitorSalts = (*Store)(nil)

// DailySalt returns the salt of day: salt if no server stored one for day
// yet, else the one stored first. Two servers asking at once both insert;
// the second waits on the primary key until the first commits, inserts
// nothing, and its SELECT, a new statement with a new snapshot, reads the
// first one's salt. Salts more than 48 hours older than day are deleted.
func (s *Store) DailySalt(ctx context.Context, day time.Time, salt []byte) ([]byte, error) {
	day = store.Day(day)
	if _, err := s.pool.Exec(ctx, `INSERT INTO visitor_salts (day, salt) VALUES ($1, $2)
		ON CONFLICT (day) DO NOTHING`, day, salt); err != nil {
		return nil, fmt.Errorf("storing the visitor salt of %s: %w", day.Format(time.DateOnly), err)
	}
	var got []byte
	if err := s.pool.QueryRow(ctx, `SELECT salt FROM visitor_salts WHERE day = $1`, day).Scan(&got); err != nil {
		return nil, fmt.Errorf("reading the visitor salt of %s: %w", day.Format(time.DateOnly), err)
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM visitor_salts WHERE day <= $1`, day.AddDate(0, 0, -2)); err != nil {
		return nil, fmt.Errorf("forgetting old visitor salts: %w", err)
	}
	return got, nil
}
