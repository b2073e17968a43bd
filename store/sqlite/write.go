package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/ehforge/forgefit/store"
	"github.com/ehforge/forgefit/widget/event"
)

// Write stores the batches of many requests in one transaction: the group
// commit. An event is stored if its partner and id are new; the rollups
// grow by exactly the events this call stored, so figures and raw events
// never disagree and a retry is never counted twice. The figures wait in
// memory and go in with a later commit, along with a watermark (see
// rollup.go).
//
// Rows go in by multi-row statements: with modernc.org/sqlite the cost of
// a statement, not of a row, dominated (8 ms for 64 one-event batches one
// row at a time). Each batch's context is stored once, as a row of
// batches, and its events refer to it (see statements).
//
// Event ids must be canonical lowercase UUIDs, as ingest admits them: an
// id the store could not keep as its 16 bytes fails the whole call, before
// anything is written (see appendIDBytes).
func (s *Store) Write(ctx context.Context, batches []store.Batch) ([]store.Receipt, error) {
	p := store.PlanWrite(batches)
	rows := make([]eventRow, len(p.Rows))
	var kept []int                            // the batches with events to store, in order
	ids := make([]byte, 0, len(p.Rows)*idLen) // the events' ids as stored, in one allocation
	for i, r := range p.Rows {
		var err error
		if ids, err = appendIDBytes(ids, p.Event(r).ID); err != nil {
			return nil, fmt.Errorf("batch %d, event %d: %w", r.Batch, r.Index, err)
		}
		rows[i] = eventRow{batch: r.Batch, index: r.Index, partner: p.Partner(r), event: p.Event(r), id: ids[len(ids)-idLen:]}
		if len(kept) == 0 || kept[len(kept)-1] != r.Batch {
			kept = append(kept, r.Batch)
		}
	}
	visitors := make(map[visitorKey]bool, len(p.Visitors)) // → seen before this call
	for _, v := range p.Visitors {
		visitors[newVisitorKey(v)] = false
	}

	if err := s.acquire(ctx); err != nil { // one writer
		return nil, err
	}
	defer s.release()
	committed := false
	defer func() {
		if !committed { // what this call added to them may not be stored
			s.pend.exact = false
		}
	}()
	tx, err := s.begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("beginning a write: %w", err)
	}
	defer tx.Rollback()

	// Which visitors had counted events today before this call: asked
	// before any row goes in.
	if err := s.knownVisitors(ctx, visitors); err != nil {
		return nil, err
	}
	batchIDs, err := s.insertBatches(ctx, batches, kept)
	if err != nil {
		return nil, fmt.Errorf("storing the batches: %w", err)
	}
	skipped, err := s.insertEvents(ctx, tx, rows, batchIDs)
	if err != nil {
		return nil, fmt.Errorf("storing events: %w", err)
	}

	now := time.Now()
	fresh := p.Count(s.pend.rollups,
		func(i int) bool { return !skipped[eventKey{rows[i].partner, rows[i].event.ID}] },
		func(v store.VisitorDay) bool { return visitors[newVisitorKey(v)] })
	accepted := 0
	for _, r := range p.Receipts {
		accepted += r.Accepted
	}
	s.pend.added(accepted, now)
	if err := s.deleteUnusedBatches(ctx, kept, batchIDs, p.Receipts); err != nil {
		return nil, fmt.Errorf("deleting batches of duplicates only: %w", err)
	}
	for _, v := range fresh {
		k := newVisitorKey(v)
		visitors[k] = true
		s.pend.visitors[k] = true
	}
	flushed, upTo := s.pend.due(now), int64(0)
	if flushed {
		if upTo, err = s.flushRollups(ctx, tx); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("committing %d batches: %w", len(batches), err)
	}
	committed = true
	if flushed {
		s.pend.reset(upTo)
	}
	s.rememberVisitors(visitors)
	return p.Receipts, nil
}

// eventKey is an event as deduplication knows it.
type eventKey struct{ partner, id string }

// eventRow is an event to store: event index of batch number batch in
// the write, its partner, and its id as stored.
type eventRow struct {
	batch, index int
	partner      string
	event        *event.Event
	id           []byte
}

// insertBatches stores the contexts of the batches numbered kept, in that
// order, and returns the ids they got, by batch number. A batch none of
// whose events is to be stored gets no row: an empty batch, or one whose
// events all came earlier in the same call.
func (s *Store) insertBatches(ctx context.Context, batches []store.Batch, kept []int) ([]int64, error) {
	ids := make([]int64, len(batches))
	err := s.chunks(len(kept), insertBatches, func(st *sql.Stmt, from, to int) error {
		args := s.args[:0]
		for _, i := range kept[from:to] {
			args = appendBatchArgs(args, &batches[i])
		}
		s.args = args
		res, err := st.ExecContext(ctx, args...)
		clear(args)
		if err != nil {
			return err
		}
		// As with events' seq (see insertEvents), the chunk's rows got the
		// ids LastInsertId-n+1 to LastInsertId, in the order of its rows:
		// batches has no other unique key, so every row went in.
		last, err := res.LastInsertId()
		if err != nil {
			return err
		}
		first := last - int64(to-from) + 1
		for k, i := range kept[from:to] {
			ids[i] = first + int64(k)
		}
		return nil
	})
	return ids, err
}

// deleteUnusedBatches deletes the rows of the batches of kept that stored
// no event (all were stored before, by an earlier write): nothing would
// ever refer to them. It is rare, a browser's retry of a whole batch.
func (s *Store) deleteUnusedBatches(ctx context.Context, kept []int, batchIDs []int64, receipts []store.Receipt) error {
	var unused []any
	for _, i := range kept {
		if receipts[i].Accepted == 0 {
			unused = append(unused, batchIDs[i])
		}
	}
	return s.chunks(len(unused), deleteBatches, func(st *sql.Stmt, from, to int) error {
		_, err := st.ExecContext(ctx, unused[from:to]...)
		return err
	})
}

// insertEvents stores rows, whose batches got the ids batchIDs (by batch
// number), and returns those that were stored before (by an earlier write)
// and so were not stored again.
func (s *Store) insertEvents(ctx context.Context, tx *writeTx, rows []eventRow, batchIDs []int64) (map[eventKey]bool, error) {
	// Which rows went in: SQLite gives each new row the table's highest
	// seq plus one, so a chunk that stored n rows stored seqs
	// LastInsertId-n+1 to LastInsertId. When it stored all its rows (no
	// duplicates: the common case) nothing needs reading back; otherwise
	// those seqs say which. RETURNING would read back every row, at a
	// quarter of the cost of the insert.
	skipped := map[eventKey]bool{}
	insert := func(st *sql.Stmt, chunk []eventRow) error {
		args := s.args[:0]
		for _, r := range chunk {
			args = appendEventArgs(args, r.partner, batchIDs[r.batch], r.id, r.event)
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
		stored := map[eventKey]bool{}
		if n > 0 {
			last, err := res.LastInsertId()
			if err != nil {
				return err
			}
			s.pend.stored(last-n+1, last)
			if int(n) == len(chunk) {
				return nil
			}
			err = query(ctx, tx, `SELECT partner, event_id FROM events WHERE seq > ?`, []any{last - n}, func(rows *sql.Rows) error {
				var k eventKey
				var id []byte
				if err := rows.Scan(&k.partner, &id); err != nil {
					return err
				}
				var err error
				k.id, err = idText(id)
				stored[k] = true
				return err
			})
			if err != nil {
				return err
			}
		}
		for _, r := range chunk {
			if k := (eventKey{r.partner, r.event.ID}); !stored[k] {
				skipped[k] = true
			}
		}
		return nil
	}
	// Runs of events of one statement kind go in together, so seq keeps
	// the order the events came in.
	for from := 0; from < len(rows); {
		kind := eventStatement(rows[from].event)
		to := from + 1
		for to < len(rows) && eventStatement(rows[to].event) == kind {
			to++
		}
		run := rows[from:to]
		err := s.chunks(len(run), kind, func(st *sql.Stmt, a, b int) error {
			return insert(st, run[a:b])
		})
		if err != nil {
			return nil, err
		}
		from = to
	}
	return skipped, nil
}

// exec runs st with args, which it then clears: the writer's argument
// slice holds on to no event's strings until the next write.
func (s *Store) exec(ctx context.Context, st *sql.Stmt, args []any) error {
	s.args = args
	_, err := st.ExecContext(ctx, args...)
	clear(args)
	return err
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
// the writer.
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

// newVisitorKey returns v's key: its day as SQLite keeps it.
func newVisitorKey(v store.VisitorDay) visitorKey {
	return visitorKey{v.Partner, v.Widget, v.Day.Format(time.DateOnly), v.Visitor}
}

// knownVisitors sets visitors[k] for each visitor with a counted event
// stored on that day: known to the cache, counted by a write whose figures
// are pending, or in visitor_days.
func (s *Store) knownVisitors(ctx context.Context, visitors map[visitorKey]bool) error {
	rest := map[visitorKey]bool{}
	for k := range visitors {
		if s.counted[k] || s.pend.visitors[k] {
			visitors[k] = true
			continue
		}
		rest[k] = false
	}
	if err := s.storedVisitors(ctx, rest); err != nil {
		return err
	}
	for k, known := range rest {
		visitors[k] = known
	}
	return nil
}

// storedVisitors sets visitors[k] for each visitor visitor_days has.
func (s *Store) storedVisitors(ctx context.Context, visitors map[visitorKey]bool) error {
	keys := make([]visitorKey, 0, len(visitors))
	for k := range visitors {
		keys = append(keys, k)
	}
	return s.chunks(len(keys), selectVisitors, func(st *sql.Stmt, from, to int) error {
		var args []any
		for _, k := range keys[from:to] {
			args = append(args, k.day, k.partner, k.widget, []byte(k.visitor))
		}
		rows, err := st.QueryContext(ctx, args...)
		if err != nil {
			return fmt.Errorf("looking up visitors: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var k visitorKey
			var v []byte
			if err := rows.Scan(&k.day, &k.partner, &k.widget, &v); err != nil {
				return err
			}
			k.visitor = string(v)
			visitors[k] = true
		}
		return rows.Err()
	})
}

// addRollups adds this call's figures to the stored rollups.
func (s *Store) addRollups(ctx context.Context, rollups map[store.RollupKey]*store.Rollup) error {
	var days, counts []any
	for k, r := range rollups {
		d := k.Day.Format(time.DateOnly)
		days = append(days, k.Partner, k.Widget, d, newestMicros(r.Newest))
		for _, c := range r.Counts() {
			counts = append(counts, k.Partner, k.Widget, d, c.Metric, c.Key, c.N)
		}
	}
	for _, u := range []struct {
		kind statement
		args []any
	}{{upsertDays, days}, {upsertCounts, counts}} {
		width := u.kind.width()
		err := s.chunks(len(u.args)/width, u.kind, func(st *sql.Stmt, from, to int) error {
			_, err := st.ExecContext(ctx, u.args[from*width:to*width]...)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// newestMicros is rollup_days.newest for t: 0 when no event was counted
// (a day with only events left out), as upserts take the greater.
func newestMicros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// addVisitors records visitors counted for the first time on their day.
func (s *Store) addVisitors(ctx context.Context, fresh []visitorKey) error {
	return s.chunks(len(fresh), insertVisitors, func(st *sql.Stmt, from, to int) error {
		args := s.args[:0]
		for _, k := range fresh[from:to] {
			args = append(args, k.day, k.partner, k.widget, []byte(k.visitor))
		}
		return s.exec(ctx, st, args)
	})
}

// appendBatchArgs appends the values of one row of insertBatches: b's
// context.
func appendBatchArgs(args []any, b *store.Batch) []any {
	var visitor any // NULL when none
	if b.Visitor != nil {
		visitor = b.Visitor
	}
	received := b.ReceivedAt.UTC().Truncate(time.Microsecond)
	return append(args, received.UnixMicro(), store.Day(received).Format(time.DateOnly),
		b.Widget, b.View, optional(b.Locale), optional(b.ContentVersion), b.Page.Origin, optional(b.Page.Path),
		optional(b.UTM.Source), optional(b.UTM.Medium), optional(b.UTM.Campaign), optional(b.UTM.Term),
		optional(b.UTM.Content), visitor, b.Test, b.Bot)
}

// eventStatement is the statement that stores e: the short one when e
// carries no data.
func eventStatement(e *event.Event) statement {
	d := &e.Data
	if d.Question == "" && d.Option == "" && d.Index == nil && d.Outcome == "" && d.Margin == nil &&
		d.FAQ == "" && d.Shared == nil && d.Undecided == nil && d.CTA == "" {
		return insertEvents
	}
	return insertEventsWithData
}

// appendEventArgs appends the values of one row of e's statement (see
// eventStatement): its partner, its id as stored, its batch's id, then its
// own values. Its time is kept to the microsecond, as Batch.Records has it.
func appendEventArgs(args []any, partner string, batch int64, id []byte, e *event.Event) []any {
	args = append(args, partner, id, batch, string(e.Type), e.At.UnixMicro())
	if eventStatement(e) == insertEvents {
		return args
	}
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
	return append(args, optional(d.Question), optional(d.Option), index, optional(string(d.Outcome)),
		margin, optional(d.FAQ), shared, undecided, optional(d.CTA))
}

// optional returns s, or nil (NULL) when s is empty.
func optional(s string) any {
	if s == "" {
		return nil
	}
	return s
}
