package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/ehforge/forgefit/server"
)

// Write stores the batches of many requests in one transaction: the group
// commit. An event is stored if its partner and id are new; the rollups
// grow by exactly the events this call stored, in the same transaction, so
// figures and raw events never disagree and a retry is never counted
// twice.
//
// Rows go in by multi-row statements: with modernc.org/sqlite the cost of
// a statement, not of a row, dominated (8 ms for 64 one-event batches one
// row at a time).
func (s *Store) Write(ctx context.Context, batches []server.Batch) ([]server.Receipt, error) {
	s.wmu.Lock() // one writer: the connection, and the statement cache
	defer s.wmu.Unlock()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("beginning a write: %w", err)
	}
	defer tx.Rollback()

	type eventKey struct{ partner, id string }
	type row struct {
		batch int
		event *server.Event
	}
	receipts := make([]server.Receipt, len(batches))
	inCall := map[eventKey]bool{}
	var rows []row
	visitors := map[visitorKey]bool{} // → seen before this call
	for i := range batches {
		b := &batches[i]
		for _, e := range b.Records() {
			k := eventKey{e.Partner, e.ID}
			if inCall[k] { // a repeat inside the call: never reaches SQL
				receipts[i].Duplicates++
				continue
			}
			inCall[k] = true
			rows = append(rows, row{i, &e})
		}
		if k, ok := newVisitorKey(b); ok {
			visitors[k] = false
		}
	}
	// Which visitors had counted events today before this call: asked
	// before any row goes in.
	if err := s.knownVisitors(ctx, tx, visitors); err != nil {
		return nil, err
	}

	// Which rows went in: a chunk's rows get the next seqs, so when a
	// chunk stores all its rows (no duplicates: the common case) nothing
	// needs reading back; otherwise the rows after the chunk's first seq
	// say which. RETURNING would read back every row, at a quarter of the
	// cost of the insert.
	events := make([]*server.Event, len(rows))
	for i, r := range rows {
		events[i] = r.event
	}
	var last int64 // the highest seq before the chunk
	if err := tx.StmtContext(ctx, s.lastSeq).QueryRowContext(ctx).Scan(&last); err != nil {
		return nil, fmt.Errorf("storing events: %w", err)
	}
	skipped := map[eventKey]bool{} // already stored before this call
	err = s.chunks(ctx, tx, len(events), insertEvents, func(st *sql.Stmt, from, to int) error {
		args := s.args[:0]
		for _, e := range events[from:to] {
			args = appendEventArgs(args, e)
		}
		s.args = args
		res, err := st.ExecContext(ctx, args...)
		clear(args) // hold on to no event's strings until the next write
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if int(n) < to-from {
			stored := map[eventKey]bool{}
			err := query(ctx, tx, `SELECT partner, event_id FROM events WHERE seq > ?`, []any{last}, func(rows *sql.Rows) error {
				var k eventKey
				err := rows.Scan(&k.partner, &k.id)
				stored[k] = true
				return err
			})
			if err != nil {
				return err
			}
			for _, e := range events[from:to] {
				if k := (eventKey{e.Partner, e.ID}); !stored[k] {
					skipped[k] = true
				}
			}
		}
		if n > 0 {
			last, err = res.LastInsertId()
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("storing events: %w", err)
	}

	rollups := map[server.RollupKey]*server.Rollup{}
	counted := make([]bool, len(batches)) // the batch stored a counted event
	for _, r := range rows {
		e := r.event
		if skipped[eventKey{e.Partner, e.ID}] {
			receipts[r.batch].Duplicates++
			continue
		}
		receipts[r.batch].Accepted++
		if e.Counted() {
			rollup(rollups, e).Add(e)
			counted[r.batch] = true
		}
	}
	for i := range batches {
		k, ok := newVisitorKey(&batches[i])
		if !ok || !counted[i] || visitors[k] {
			continue
		}
		visitors[k] = true // counted once, by its first batch in the call
		rollups[server.RollupKey{Day: server.Day(batches[i].ReceivedAt), Partner: k.partner, Widget: k.widget}].Visitors++
	}
	if err := s.addRollups(ctx, tx, rollups); err != nil {
		return nil, fmt.Errorf("adding to rollups: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("committing %d batches: %w", len(batches), err)
	}
	s.rememberVisitors(visitors)
	return receipts, nil
}

// maxCountedVisitors bounds Store.counted: some 150 bytes a visitor, so
// at most about 8 MB.
const maxCountedVisitors = 50_000

// rememberVisitors keeps the visitors a committed write knows have a
// counted event on their day, so the next writes need not ask SQLite
// again: a widget view sends several batches, and all but the first would
// otherwise look their visitor up. Only committed facts are kept, and they
// stay true: retention never deletes events of the last MinRetention. The
// set is emptied when full, which costs only lookups. The caller holds
// s.wmu.
func (s *Store) rememberVisitors(visitors map[visitorKey]bool) {
	for k, known := range visitors {
		if !known {
			continue
		}
		if len(s.counted) >= maxCountedVisitors {
			clear(s.counted)
		}
		s.counted[k] = true
	}
}

// visitorKey is a visitor on one day of one partner's widget.
type visitorKey struct {
	partner, widget, day, visitor string
}

// newVisitorKey returns the visitor a batch may count, if any.
func newVisitorKey(b *server.Batch) (visitorKey, bool) {
	if b.Visitor == nil || b.Test || b.Bot {
		return visitorKey{}, false
	}
	return visitorKey{b.Partner, b.Widget, server.Day(b.ReceivedAt).Format(time.DateOnly), string(b.Visitor)}, true
}

// knownVisitors sets visitors[k] for each visitor with a counted event
// stored on that day.
func (s *Store) knownVisitors(ctx context.Context, tx *sql.Tx, visitors map[visitorKey]bool) error {
	keys := make([]visitorKey, 0, len(visitors))
	for k := range visitors {
		if s.counted[k] {
			visitors[k] = true
			continue
		}
		keys = append(keys, k)
	}
	return s.chunks(ctx, tx, len(keys), selectVisitors, func(st *sql.Stmt, from, to int) error {
		var args []any
		for _, k := range keys[from:to] {
			args = append(args, k.partner, k.widget, k.day, []byte(k.visitor))
		}
		rows, err := st.QueryContext(ctx, args...)
		if err != nil {
			return fmt.Errorf("looking up visitors: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var k visitorKey
			var v []byte
			if err := rows.Scan(&k.partner, &k.widget, &k.day, &v); err != nil {
				return err
			}
			k.visitor = string(v)
			visitors[k] = true
		}
		return rows.Err()
	})
}

func rollup(m map[server.RollupKey]*server.Rollup, e *server.Event) *server.Rollup {
	k := server.RollupKey{Day: e.Day, Partner: e.Partner, Widget: e.Widget}
	r := m[k]
	if r == nil {
		r = server.NewRollup(k)
		m[k] = r
	}
	return r
}

// addRollups adds this call's figures to the stored rollups.
func (s *Store) addRollups(ctx context.Context, tx *sql.Tx, rollups map[server.RollupKey]*server.Rollup) error {
	var days, counts []any
	for k, r := range rollups {
		d := k.Day.Format(time.DateOnly)
		days = append(days, k.Partner, k.Widget, d, r.Newest.UnixMicro())
		for _, c := range r.Counts() {
			counts = append(counts, k.Partner, k.Widget, d, c.Metric, c.Key, c.N)
		}
	}
	for _, u := range []struct {
		kind statement
		args []any
	}{{upsertDays, days}, {upsertCounts, counts}} {
		width := u.kind.width()
		err := s.chunks(ctx, tx, len(u.args)/width, u.kind, func(st *sql.Stmt, from, to int) error {
			_, err := st.ExecContext(ctx, u.args[from*width:to*width]...)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// appendEventArgs appends the values of one row of insertEvents to args.
// Optional text that is empty goes as NULL (see insertEvents).
func appendEventArgs(args []any, e *server.Event) []any {
	d := &e.Data
	var index, margin, shared, undecided any // NULL when absent
	if d.Index != nil {
		index = *d.Index
	}
	if d.Margin != nil {
		margin = *d.Margin
	}
	if d.Shared != nil {
		shared = strings.Join(d.Shared, ",")
	}
	if d.Undecided != nil {
		undecided = strings.Join(d.Undecided, ",")
	}
	var visitor any
	if e.Visitor != nil {
		visitor = e.Visitor
	}
	return append(args, e.Partner, e.ID, string(e.Type), e.At.UnixMicro(), e.ReceivedAt.UnixMicro(),
		e.Day.Format(time.DateOnly), e.Widget, e.View, optional(e.Locale), optional(e.ContentVersion),
		e.Page.Origin, optional(e.Page.Path),
		optional(e.UTM.Source), optional(e.UTM.Medium), optional(e.UTM.Campaign), optional(e.UTM.Term),
		optional(e.UTM.Content),
		optional(d.Question), optional(d.Option), index, optional(string(d.Outcome)), margin, optional(d.FAQ),
		shared, undecided, optional(d.CTA),
		visitor, e.Test, e.Bot)
}

// optional returns s, or nil (NULL) when s is empty.
func optional(s string) any {
	if s == "" {
		return nil
	}
	return s
}
