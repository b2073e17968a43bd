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
	insertBatches statement = iota
	insertEvents
	insertEventsWithData
	deleteBatches
	selectVisitors
	insertVisitors
	upsertDays
	upsertCounts
)

// eventColumns are the columns of events a write fills, in the order of
// the rows below.
const eventColumns = `partner, event_id, batch, type, at, question_id, option_id, question_index,
	outcome, margin, faq_id, shared, undecided, cta_id`

// A write stores each batch's context once, as a row of batches, and each
// event as a narrow row of its own values, its partner and its batch's id.
// With this driver a bound value costs more than anything SQLite then does
// with it (each is a call through the connection's mutex, a text one also
// a C allocation), and SQLite's own work grows with each row's width: a
// batch's 16 context values are the same for each of its events, so they
// are bound and stored once. Events without data, most of them, bind 5
// values; the others 14. A batch of one event costs two rows where a wide
// row was one, a little dearer (a few per cent of a commit's CPU in
// BenchmarkWrite); batches of many events are much cheaper.
//
// Optional text that is absent is bound as NULL and stored as ”: a NULL
// costs the driver no allocation, and most optional text is empty.
var statements = map[statement]struct {
	head  string
	width int    // placeholders per row
	row   string // one row's values; "" is width plain placeholders
	tail  string
}{
	insertBatches: {`INSERT INTO batches (received_at, day, widget, view, locale, content_version,
		page_origin, page_path, utm_source, utm_medium, utm_campaign, utm_term, utm_content, visitor,
		test, bot) VALUES `, 16,
		`(?, ?, ?, ?, coalesce(?, ''), coalesce(?, ''), ?, coalesce(?, ''), coalesce(?, ''),
		coalesce(?, ''), coalesce(?, ''), coalesce(?, ''), coalesce(?, ''), ?, ?, ?)`, ""},
	insertEvents: {`INSERT INTO events (` + eventColumns + `) VALUES `, 5,
		`(?, ?, ?, ?, ?, '', '', NULL, '', NULL, '', NULL, NULL, '')`,
		` ON CONFLICT (partner, event_id) DO NOTHING`},
	insertEventsWithData: {`INSERT INTO events (` + eventColumns + `) VALUES `, 14,
		`(?, ?, ?, ?, ?, coalesce(?, ''), coalesce(?, ''), ?, coalesce(?, ''), ?, coalesce(?, ''),
		?, ?, coalesce(?, ''))`,
		` ON CONFLICT (partner, event_id) DO NOTHING`},
	// Only batches whose every event was stored before: rare.
	deleteBatches: {`DELETE FROM batches WHERE id IN (`, 1, "?", `)`},
	selectVisitors: {`WITH k (day, partner, widget, visitor) AS (VALUES `, 4, "",
		`) SELECT day, partner, widget, visitor FROM k WHERE EXISTS (SELECT 1 FROM visitor_days v
		WHERE v.day = k.day AND v.partner = k.partner AND v.widget = k.widget AND v.visitor = k.visitor)`},
	insertVisitors: {`INSERT INTO visitor_days (day, partner, widget, visitor) VALUES `, 4, "",
		` ON CONFLICT DO NOTHING`},
	upsertDays: {`INSERT INTO rollup_days (partner, widget, day, newest) VALUES `, 4, "",
		` ON CONFLICT (partner, widget, day) DO UPDATE SET newest = max(newest, excluded.newest)`},
	upsertCounts: {`INSERT INTO rollups (partner, widget, day, metric, key, n) VALUES `, 6, "",
		` ON CONFLICT (partner, widget, day, metric, key) DO UPDATE SET n = n + excluded.n`},
}

func (k statement) width() int { return statements[k].width }

// chunkSizes are the row counts statements are prepared for: a call's
// rows go in the largest chunks first, so a dozen prepared statements
// serve any count, and a group commit of up to 8 rows (or any power of
// two) takes one statement. 128 rows of batches are 2,048 placeholders,
// far below SQLite's limit of 32,766.
var chunkSizes = []int{128, 64, 32, 16, 8, 7, 6, 5, 4, 3, 2, 1}

// chunks calls do for consecutive chunks of n rows with the statement of
// kind prepared for each chunk's size. The statements are the writer
// connection's, so they run within its transaction.
func (s *Store) chunks(n int, kind statement, do func(st *sql.Stmt, from, to int) error) error {
	for from := 0; from < n; {
		size := chunkSizes[len(chunkSizes)-1]
		for _, c := range chunkSizes {
			if n-from >= c {
				size = c
				break
			}
		}
		if err := do(s.stmts[[2]int{int(kind), size}], from, from+size); err != nil {
			return err
		}
		from += size
	}
	return nil
}

// prepare prepares every statement for every chunk size on the writer
// connection, up front.
func (s *Store) prepare(ctx context.Context) error {
	for kind, def := range statements {
		for _, rows := range chunkSizes {
			group := def.row
			if group == "" {
				group = "(" + strings.TrimSuffix(strings.Repeat("?, ", def.width), ", ") + ")"
			} else if n := strings.Count(group, "?"); n != def.width {
				return fmt.Errorf("statement %d has %d placeholders a row, not %d", kind, n, def.width)
			}
			query := def.head + strings.TrimSuffix(strings.Repeat(group+", ", rows), ", ") + def.tail
			st, err := s.wc.PrepareContext(ctx, query)
			if err != nil {
				return fmt.Errorf("preparing %d-row statement %d: %w", rows, kind, err)
			}
			s.stmts[[2]int{int(kind), rows}] = st
		}
	}
	return nil
}
