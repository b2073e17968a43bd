package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/ehforge/forgefit/store"
)

var _ store.VisitorSalts = (*Store)(nil)

// DailySalt returns the salt of day: salt if none is stored for day yet,
// else the one stored first, so a server restarted mid-day hashes a
// visitor as before. Salts more than 48 hours older than day are deleted.
// Its one transaction is the writer's: a second process on the file
// (BEGIN IMMEDIATE) waits for it, and reads what it stored.
func (s *Store) DailySalt(ctx context.Context, day time.Time, salt []byte) ([]byte, error) {
	key := store.Day(day).Format(time.DateOnly)
	if err := s.acquire(ctx); err != nil {
		return nil, err
	}
	defer s.release()
	tx, err := s.begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("the visitor salt of %s: %w", key, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO visitor_salts (day, salt) VALUES (?, ?)
		ON CONFLICT (day) DO NOTHING`, key, salt); err != nil {
		return nil, fmt.Errorf("storing the visitor salt of %s: %w", key, err)
	}
	var got []byte
	if err := tx.QueryRowContext(ctx, `SELECT salt FROM visitor_salts WHERE day = ?`, key).Scan(&got); err != nil {
		return nil, fmt.Errorf("reading the visitor salt of %s: %w", key, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM visitor_salts WHERE day <= ?`,
		store.Day(day).AddDate(0, 0, -2).Format(time.DateOnly)); err != nil {
		return nil, fmt.Errorf("forgetting old visitor salts: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("the visitor salt of %s: %w", key, err)
	}
	return got, nil
}
