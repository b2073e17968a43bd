package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/ehforge/forgefit/store"
)

// Rollups follow a committed watermark. Upserting a commit's figures cost
// about a quarter of a commit of a few one-event batches, paid again by
// every commit. So the writer keeps the figures of the events it commits
// in memory (pending) and writes them, with the watermark, inside one of
// its commits at most every flushEvery or flushEvents: rollups,
// rollup_days and visitor_days then hold exactly the events with seq up
// to rollup_watermark.seq, in every committed state of the database.
//
// Nothing is counted twice or missed:
//   - Rollups flushes before it reads, so a read sees every event
//     committed before it.
//   - A crash loses only the pending figures: Open recounts the events
//     after the watermark from the table (rollUpStored).
//   - The pending figures are trusted only while they are exactly those of
//     the events after the watermark: the watermark in the database is
//     still the one this store wrote, the events this store stored took
//     consecutive seqs from it (another process writing the same file
//     would break the run), and no write failed after adding to them.
//     Otherwise the flush recounts from the table.

const (
	// flushEvery bounds how long figures wait in memory.
	flushEvery = 100 * time.Millisecond
	// flushEvents bounds how many events' figures wait, and so the work a
	// recount after a crash has to do.
	flushEvents = 4096
)

// pendingRollups are the figures of events committed after the
// watermark. The writer's lock guards them.
type pendingRollups struct {
	watermark int64 // the watermark as this store last wrote or read it
	next      int64 // the seq the next stored event gets if no one else writes
	exact     bool  // the figures are exactly those of the events after watermark
	rollups   map[store.RollupKey]*store.Rollup
	visitors  map[visitorKey]bool // counted here first, not yet in visitor_days
	events    int                 // events added since the flush
	since     time.Time           // when the first of them was added
}

// reset empties p after a flush that left the watermark at seq.
func (p *pendingRollups) reset(seq int64) {
	p.watermark, p.exact, p.events = seq, true, 0
	p.rollups = map[store.RollupKey]*store.Rollup{}
	p.visitors = map[visitorKey]bool{}
}

// added notes that n newly stored events, counted or left out, were
// added to the figures (WritePlan.Count adds them).
func (p *pendingRollups) added(n int, now time.Time) {
	if n == 0 {
		return
	}
	if p.events == 0 {
		p.since = now
	}
	p.events += n
}

// stored checks that a statement's new rows took the seqs first to last
// in the run from the watermark.
func (p *pendingRollups) stored(first, last int64) {
	if first != p.next {
		p.exact = false
	}
	p.next = last + 1
}

// due reports whether the figures should be flushed with this commit.
func (p *pendingRollups) due(now time.Time) bool {
	return !p.exact || p.events >= flushEvents || p.events > 0 && now.Sub(p.since) >= flushEvery
}

// flushRollups writes the pending figures within tx, recounting from the
// table when they cannot be trusted, and returns the new watermark; the
// caller resets the pending figures to it once tx commits. The caller
// holds the writer.
func (s *Store) flushRollups(ctx context.Context, tx *writeTx) (int64, error) {
	var stored int64
	if err := tx.QueryRowContext(ctx, `SELECT seq FROM rollup_watermark`).Scan(&stored); err != nil {
		return 0, fmt.Errorf("reading the rollups' watermark: %w", err)
	}
	p := &s.pend
	rollups, fresh, upTo := p.rollups, p.visitors, p.next-1
	if !p.exact || stored != p.watermark {
		var err error
		if rollups, fresh, upTo, err = s.rollUpStored(ctx, tx, stored); err != nil {
			return 0, err
		}
		// Take up the run again where the table is.
		if err := tx.QueryRowContext(ctx, nextSeqs).Scan(&stored, &p.next); err != nil {
			return 0, err
		}
	}
	keys := make([]visitorKey, 0, len(fresh))
	for k := range fresh {
		keys = append(keys, k)
	}
	if err := s.addVisitors(ctx, keys); err != nil {
		return 0, fmt.Errorf("adding visitors: %w", err)
	}
	if err := s.addRollups(ctx, rollups); err != nil {
		return 0, fmt.Errorf("adding to rollups: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE rollup_watermark SET seq = ?`, upTo); err != nil {
		return 0, fmt.Errorf("moving the rollups' watermark: %w", err)
	}
	return upTo, nil
}

// rollUpStored counts the stored events after seq from the table, as
// Write would have: what a flush does when the pending figures cannot be
// trusted. It returns their figures, the visitors counted for the first
// time on their day, and the last seq it read.
func (s *Store) rollUpStored(ctx context.Context, tx *writeTx, after int64) (map[store.RollupKey]*store.Rollup, map[visitorKey]bool, int64, error) {
	const page = 5000 // events read at a time
	rollups := map[store.RollupKey]*store.Rollup{}
	seen := map[visitorKey]bool{} // → already counted before the watermark
	type visit struct {
		visitor visitorKey
		rollup  store.RollupKey
	}
	var visits []visit // each visitor once, first seen first
	last := after
	for {
		events, err := readEvents(ctx, tx, store.EventQuery{After: last, Limit: page})
		if err != nil {
			return nil, nil, 0, fmt.Errorf("recounting stored events: %w", err)
		}
		for i := range events {
			e := &events[i]
			last = e.Seq
			e.AddTo(rollups)
			if !e.Counted() || e.Visitor == nil {
				continue
			}
			k := visitorKey{e.Partner, e.Widget, e.Day.Format(time.DateOnly), string(e.Visitor)}
			if _, ok := seen[k]; !ok {
				seen[k] = false
				visits = append(visits, visit{k, store.RollupKey{Day: e.Day, Partner: e.Partner, Widget: e.Widget}})
			}
		}
		if len(events) < page {
			break
		}
	}
	// Which of them visitor_days has: only those before the watermark.
	// The cache is not asked: it also knows visitors still pending.
	if err := s.storedVisitors(ctx, seen); err != nil {
		return nil, nil, 0, err
	}
	fresh := map[visitorKey]bool{}
	for _, v := range visits {
		if !seen[v.visitor] {
			fresh[v.visitor] = true
			rollups[v.rollup].Visitors++
		}
	}
	return rollups, fresh, last, nil
}

// startRollups takes up the watermark as Open finds it, and counts the
// events stored after it: those of a store that stopped before it wrote
// their figures.
func (s *Store) startRollups(ctx context.Context) error {
	if err := s.acquire(ctx); err != nil {
		return err
	}
	var stored, next int64
	err := s.wc.QueryRowContext(ctx, nextSeqs).Scan(&stored, &next)
	if err == nil {
		s.pend.reset(stored)
		s.pend.next = next
	}
	s.release()
	if err != nil {
		return fmt.Errorf("reading the rollups' watermark: %w", err)
	}
	return s.catchUpRollups(ctx)
}

// nextSeqs reads the watermark and the seq the next event will get: one
// past the highest stored.
const nextSeqs = `SELECT (SELECT seq FROM rollup_watermark), coalesce((SELECT max(seq) FROM events), 0) + 1`

// catchUpRollups flushes the pending figures in a transaction of their
// own, when there are any or when events after the watermark were stored
// by someone else: before a read, at Open and at Close.
func (s *Store) catchUpRollups(ctx context.Context) error {
	if err := s.acquire(ctx); err != nil {
		return err
	}
	defer s.release()
	return s.catchUpRollupsLocked(ctx)
}

// catchUpRollupsLocked is catchUpRollups for a caller that holds the
// writer.
func (s *Store) catchUpRollupsLocked(ctx context.Context) error {
	if s.pend.exact && s.pend.events == 0 {
		var stored, newest int64
		if err := s.wc.QueryRowContext(ctx, `SELECT (SELECT seq FROM rollup_watermark),
			coalesce((SELECT max(seq) FROM events), 0)`).Scan(&stored, &newest); err != nil {
			return fmt.Errorf("reading the rollups' watermark: %w", err)
		}
		if stored == s.pend.watermark && newest <= stored {
			return nil
		}
		s.pend.exact = false // someone else stored events: recount
	}
	tx, err := s.begin(ctx)
	if err != nil {
		return fmt.Errorf("bringing rollups up to date: %w", err)
	}
	defer tx.Rollback()
	upTo, err := s.flushRollups(ctx, tx)
	if err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		s.pend.exact = false
		return fmt.Errorf("bringing rollups up to date: %w", err)
	}
	s.pend.reset(upTo)
	return nil
}
