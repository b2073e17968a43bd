package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ehforge/forgefit/store"
)

// addInstalls adds counts in one statement. Rows are sorted by key first,
// so two servers' upserts lock the rows they share in one order and never
// deadlock; counts are added under the row lock and a 'seen' time keeps
// the greatest, so concurrent servers lose nothing.
const addInstalls = `INSERT INTO installs (day, partner, origin, path, metric, key, n)
	SELECT * FROM unnest($1::date[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int8[])
	ON CONFLICT (day, partner, origin, path, metric, key) DO UPDATE SET
	n = CASE WHEN installs.metric = '` + store.InstallSeen + `' THEN GREATEST(installs.n, EXCLUDED.n) ELSE installs.n + EXCLUDED.n END`

// AddInstallCounts adds counts to the installs table in one transaction.
func (s *Store) AddInstallCounts(ctx context.Context, counts []store.InstallCount) error {
	if len(counts) == 0 {
		return nil
	}
	sorted := append([]store.InstallCount(nil), counts...)
	store.SortInstallCounts(sorted)
	n := len(sorted)
	days := make([]time.Time, n)
	partner, origin, path, metric, key := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	value := make([]int64, n)
	for i, c := range sorted {
		days[i], partner[i], origin[i], path[i], metric[i], key[i], value[i] = store.Day(c.Day), c.Partner, c.Origin, c.Path, c.Metric, c.Key, c.N
	}
	if _, err := s.pool.Exec(ctx, addInstalls, days, partner, origin, path, metric, key, value); err != nil {
		return fmt.Errorf("adding installation counts: %w", err)
	}
	return nil
}

// InstallCounts returns the installation counts q selects.
func (s *Store) InstallCounts(ctx context.Context, q store.InstallQuery) ([]store.InstallCount, error) {
	text := `SELECT day, partner, origin, path, metric, key, n FROM installs WHERE day >= $1 AND day <= $2`
	args := []any{store.Day(q.From), store.Day(q.To)}
	if q.Partners != nil {
		text += ` AND partner = ANY($3::text[])`
		args = append(args, q.Partners)
	}
	rows, _ := s.pool.Query(ctx, text, args...)
	counts, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.InstallCount, error) {
		var c store.InstallCount
		err := row.Scan(&c.Day, &c.Partner, &c.Origin, &c.Path, &c.Metric, &c.Key, &c.N)
		c.Day = c.Day.UTC()
		return c, err
	})
	// Sorted here, byte by byte: the database's collation may sort text
	// otherwise.
	store.SortInstallCounts(counts)
	return counts, err
}
