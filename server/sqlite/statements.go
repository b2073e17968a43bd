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
	insertContexts statement = iota
	insertEvents
	insertEventsWithData
	selectVisitors
	insertVisitors
	upsertDays
	upsertCounts
)

// eventColumns are the columns of events a write fills, in the order of
// the SELECTs below.
const eventColumns = `partner, event_id, type, at, received_at, day, widget, view, locale,
	content_version, page_origin, page_path, utm_source, utm_medium, utm_campaign, utm_term,
	utm_content, question_id, option_id, question_index, outcome, margin, faq_id, shared,
	undecided, cta_id, visitor, test, bot`

// batchColumns are an event's columns that come from its batch, from
// temp.batch_context b, in eventColumns' order.
const batchColumns = `b.partner, e.column2, e.column3, e.column4, b.received_at, b.day, b.widget,
	b.view, b.locale, b.content_version, b.page_origin, b.page_path, b.utm_source, b.utm_medium,
	b.utm_campaign, b.utm_term, b.utm_content`

// A write binds each batch's context once, into temp.batch_context, and
// each event's own values next to its batch's number: with this driver a
// bound value costs more than anything SQLite then does with it (each is a
// call through the connection's mutex, a text one also a C allocation), and
// a batch's 17 context values are the same for each of its events. Events
// without data, most of them, bind 4 values; the others 13.
//
// Optional text that is absent is bound as NULL and stored as ”: a NULL
// costs the driver no allocation, and most optional text is empty.
var statements = map[statement]struct {
	head  string
	width int    // placeholders per row
	row   string // one row's values; "" is width plain placeholders
	tail  string
}{
	insertContexts: {`INSERT INTO temp.batch_context (i, partner, received_at, day, widget, view,
		locale, content_version, page_origin, page_path, utm_source, utm_medium, utm_campaign,
		utm_term, utm_content, visitor, test, bot) VALUES `, 18,
		`(?, ?, ?, ?, ?, ?, coalesce(?, ''), coalesce(?, ''), ?, coalesce(?, ''), coalesce(?, ''),
		coalesce(?, ''), coalesce(?, ''), coalesce(?, ''), coalesce(?, ''), ?, ?, ?)`, ""},
	// CROSS JOIN keeps the events' own order as the outer loop, so seq
	// follows the order they were sent in.
	insertEvents: {`INSERT INTO events (` + eventColumns + `) SELECT ` + batchColumns + `,
		'', '', NULL, '', NULL, '', NULL, NULL, '', b.visitor, b.test, b.bot
		FROM (VALUES `, 4, "",
		`) AS e CROSS JOIN temp.batch_context AS b WHERE b.i = e.column1
		ON CONFLICT (partner, event_id) DO NOTHING`},
	insertEventsWithData: {`INSERT INTO events (` + eventColumns + `) SELECT ` + batchColumns + `,
		coalesce(e.column5, ''), coalesce(e.column6, ''), e.column7, coalesce(e.column8, ''),
		e.column9, coalesce(e.column10, ''), e.column11, e.column12, coalesce(e.column13, ''),
		b.visitor, b.test, b.bot
		FROM (VALUES `, 13, "",
		`) AS e CROSS JOIN temp.batch_context AS b WHERE b.i = e.column1
		ON CONFLICT (partner, event_id) DO NOTHING`},
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

// createContexts makes the writer connection's table of a write's batch
// contexts, as the connection opens. It is temporary (in memory, never in
// the file or the WAL) and emptied before each commit.
const createContexts = `CREATE TEMP TABLE IF NOT EXISTS batch_context (
	i               INTEGER PRIMARY KEY, -- the batch's place in the write
	partner         TEXT NOT NULL,
	received_at     INTEGER NOT NULL,
	day             TEXT NOT NULL,
	widget          TEXT NOT NULL,
	view            TEXT NOT NULL,
	locale          TEXT NOT NULL,
	content_version TEXT NOT NULL,
	page_origin     TEXT NOT NULL,
	page_path       TEXT NOT NULL,
	utm_source      TEXT NOT NULL,
	utm_medium      TEXT NOT NULL,
	utm_campaign    TEXT NOT NULL,
	utm_term        TEXT NOT NULL,
	utm_content     TEXT NOT NULL,
	visitor         BLOB,
	test            INTEGER NOT NULL,
	bot             INTEGER NOT NULL
) STRICT`

func (k statement) width() int { return statements[k].width }

// chunkSizes are the row counts statements are prepared for: a call's
// rows go in the largest chunks first, so a dozen prepared statements
// serve any count, and a group commit of up to 8 rows (or any power of
// two) takes one statement. 128 rows of contexts are 2,304 placeholders,
// far below SQLite's limit of 32,766.
var chunkSizes = []int{128, 64, 32, 16, 8, 7, 6, 5, 4, 3, 2, 1}

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
	s.clearContexts, err = s.w.PrepareContext(ctx, `DELETE FROM temp.batch_context`)
	return err
}
