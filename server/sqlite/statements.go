package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// statement is a multi-row statement of the writer: a head, one
// parenthesised group of placeholders per row, and a tail.
type statement int

const (
	insertEvents statement = iota
	selectVisitors
	upsertDays
	upsertCounts
)

var statements = map[statement]struct {
	head  string
	width int    // placeholders per row
	row   string // one row's values; "" is width plain placeholders
	tail  string
}{
	// Optional text that is absent is bound as NULL and stored as '':
	// the driver copies every text value into C memory and frees it after
	// the statement, a NULL costs nothing, and most of an event's text
	// columns are empty.
	insertEvents: {`INSERT INTO events (partner, event_id, type, at, received_at, day, widget, view,
		locale, content_version, page_origin, page_path, utm_source, utm_medium, utm_campaign,
		utm_term, utm_content, question_id, option_id, question_index, outcome, margin, faq_id,
		shared, undecided, cta_id, visitor, test, bot) VALUES `, 29,
		`(?, ?, ?, ?, ?, ?, ?, ?, coalesce(?, ''), coalesce(?, ''), ?, coalesce(?, ''),
		coalesce(?, ''), coalesce(?, ''), coalesce(?, ''), coalesce(?, ''), coalesce(?, ''),
		coalesce(?, ''), coalesce(?, ''), ?, coalesce(?, ''), ?, coalesce(?, ''),
		?, ?, coalesce(?, ''), ?, ?, ?)`,
		` ON CONFLICT (partner, event_id) DO NOTHING`},
	selectVisitors: {`WITH k (partner, widget, day, visitor) AS (VALUES `, 4, "",
		`) SELECT partner, widget, day, visitor FROM k WHERE EXISTS (SELECT 1 FROM events e
		WHERE e.partner = k.partner AND e.widget = k.widget AND e.day = k.day
		AND e.visitor = k.visitor AND e.visitor IS NOT NULL AND e.test = 0 AND e.bot = 0)`},
	upsertDays: {`INSERT INTO rollup_days (partner, widget, day, newest) VALUES `, 4, "",
		` ON CONFLICT (partner, widget, day) DO UPDATE SET newest = max(newest, excluded.newest)`},
	upsertCounts: {`INSERT INTO rollups (partner, widget, day, metric, key, n) VALUES `, 6, "",
		` ON CONFLICT (partner, widget, day, metric, key) DO UPDATE SET n = n + excluded.n`},
}

func (k statement) width() int { return statements[k].width }

// chunkSizes are the row counts statements are prepared for: a call's
// rows go in the largest chunks first, so a handful of prepared
// statements serve any count. 128 rows of events are 3,712 placeholders,
// far below SQLite's limit of 32,766.
var chunkSizes = []int{128, 32, 8, 1}

// chunks calls do for consecutive chunks of n rows with the statement of
// kind prepared for each chunk's size, within tx.
func (s *Store) chunks(ctx context.Context, tx *sql.Tx, n int, kind statement, do func(st *sql.Stmt, from, to int) error) error {
	for from := 0; from < n; {
		size := chunkSizes[len(chunkSizes)-1]
		for _, c := range chunkSizes {
			if n-from >= c {
				size = c
				break
			}
		}
		st := s.stmts[[2]int{int(kind), size}]
		if err := do(tx.StmtContext(ctx, st), from, from+size); err != nil {
			return err
		}
		from += size
	}
	return nil
}

// prepare prepares every statement for every chunk size on the writer
// connection, up front: once a transaction holds the only connection,
// nothing else could.
func (s *Store) prepare(ctx context.Context) (err error) {
	for kind, def := range statements {
		for _, rows := range chunkSizes {
			group := def.row
			if group == "" {
				group = "(" + strings.TrimSuffix(strings.Repeat("?, ", def.width), ", ") + ")"
			} else if n := strings.Count(group, "?"); n != def.width {
				return fmt.Errorf("statement %d has %d placeholders a row, not %d", kind, n, def.width)
			}
			query := def.head + strings.TrimSuffix(strings.Repeat(group+", ", rows), ", ") + def.tail
			st, err := s.w.PrepareContext(ctx, query)
			if err != nil {
				return fmt.Errorf("preparing %d-row statement %d: %w", rows, kind, err)
			}
			s.stmts[[2]int{int(kind), rows}] = st
		}
	}
	s.lastSeq, err = s.w.PrepareContext(ctx, `SELECT coalesce(max(seq), 0) FROM events`)
	return err
}
