package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestVisitorSaltsLeaveTheFile reads the file itself: once a day's salt is
// 48 hours old, no row of it is left, across a restart as well.
func TestVisitorSaltsLeaveTheFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "forgefit.db")
	day := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	stored := func(s *Store) []string {
		t.Helper()
		var days []string
		rows, err := s.r.QueryContext(ctx, `SELECT day FROM visitor_salts ORDER BY day`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var d string
			if err := rows.Scan(&d); err != nil {
				t.Fatal(err)
			}
			days = append(days, d)
		}
		return days
	}
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Time{day.Add(9 * time.Hour), day.Add(33 * time.Hour)} {
		if _, err := s.DailySalt(ctx, at, []byte("salt")); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff([]string{"2026-12-01", "2026-12-02"}, stored(s)); diff != "" {
		t.Errorf("salts kept a day on (-want +got):\n%s", diff)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.DailySalt(ctx, day.AddDate(0, 0, 2), []byte("salt")); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"2026-12-02", "2026-12-03"}, stored(s)); diff != "" {
		t.Errorf("salts kept 48 hours on (-want +got):\n%s", diff)
	}
}
