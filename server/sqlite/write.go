package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/ehforge/forgefit/server"
)

func (s *Store) prepare(ctx context.Context) error {
	for _, p := range []struct {
		dst **sql.Stmt
		sql string
	}{
		{&s.insertEvent, `INSERT INTO events (partner, event_id, type, at, received_at, day, widget, view,
			locale, content_version, page_origin, page_path, utm_source, utm_medium, utm_campaign,
			utm_term, utm_content, question_id, option_id, question_index, outcome, margin, faq_id,
			shared, undecided, cta_id, visitor, test, bot)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (partner, event_id) DO NOTHING`},
		{&s.visitorSeen, `SELECT EXISTS (SELECT 1 FROM events
			WHERE partner = ? AND widget = ? AND day = ? AND visitor = ? AND test = 0 AND bot = 0)`},
		{&s.upsertDay, `INSERT INTO rollup_days (partner, widget, day, newest) VALUES (?, ?, ?, ?)
			ON CONFLICT (partner, widget, day) DO UPDATE SET newest = max(newest, excluded.newest)`},
		{&s.upsertCount, `INSERT INTO rollups (partner, widget, day, metric, key, n) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (partner, widget, day, metric, key) DO UPDATE SET n = n + excluded.n`},
	} {
		st, err := s.w.PrepareContext(ctx, p.sql)
		if err != nil {
			return err
		}
		*p.dst = st
	}
	return nil
}

// Write stores the batches of many requests in one transaction: the group
// commit. An event is stored if its partner and id are new; the rollups
// grow by exactly the events this call stored, in the same transaction, so
// figures and raw events never disagree and a retry is never counted
// twice.
func (s *Store) Write(ctx context.Context, batches []server.Batch) ([]server.Receipt, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("beginning a write: %w", err)
	}
	defer tx.Rollback()
	insert := tx.StmtContext(ctx, s.insertEvent)
	seen := tx.StmtContext(ctx, s.visitorSeen)

	type stored struct{ partner, id string }
	inCall := map[stored]bool{} // dedup inside the call, before SQL
	rollups := map[server.RollupKey]*server.Rollup{}
	receipts := make([]server.Receipt, len(batches))
	for i := range batches {
		b := &batches[i]
		recs := b.Records()
		if len(recs) == 0 {
			continue
		}
		day := recs[0].Day
		dayText := day.Format(time.DateOnly)
		// Asked before this batch's rows go in: is the visitor new today?
		newVisitor := false
		if b.Visitor != nil && !b.Test && !b.Bot {
			var known bool
			if err := seen.QueryRowContext(ctx, b.Partner, b.Widget, dayText, b.Visitor).Scan(&known); err != nil {
				return nil, fmt.Errorf("looking up a visitor: %w", err)
			}
			newVisitor = !known
		}
		counted := 0
		for j := range recs {
			e := &recs[j]
			k := stored{e.Partner, e.ID}
			if inCall[k] {
				receipts[i].Duplicates++
				continue
			}
			inCall[k] = true
			res, err := insert.ExecContext(ctx, eventArgs(e, dayText)...)
			if err != nil {
				return nil, fmt.Errorf("storing event %s: %w", e.ID, err)
			}
			if n, err := res.RowsAffected(); err != nil {
				return nil, err
			} else if n == 0 {
				receipts[i].Duplicates++
				continue
			}
			receipts[i].Accepted++
			if e.Counted() {
				rollup(rollups, e).Add(e)
				counted++
			}
		}
		if newVisitor && counted > 0 {
			rollups[server.RollupKey{Day: day, Partner: b.Partner, Widget: b.Widget}].Visitors++
		}
	}
	if err := s.addRollups(ctx, tx, rollups); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("committing %d batches: %w", len(batches), err)
	}
	return receipts, nil
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
	day, count := tx.StmtContext(ctx, s.upsertDay), tx.StmtContext(ctx, s.upsertCount)
	for k, r := range rollups {
		d := k.Day.Format(time.DateOnly)
		if _, err := day.ExecContext(ctx, k.Partner, k.Widget, d, r.Newest.UnixMicro()); err != nil {
			return fmt.Errorf("adding to rollups: %w", err)
		}
		for _, c := range r.Counts() {
			if _, err := count.ExecContext(ctx, k.Partner, k.Widget, d, c.Metric, c.Key, c.N); err != nil {
				return fmt.Errorf("adding to rollups: %w", err)
			}
		}
	}
	return nil
}

// eventArgs returns the values of insertEvent for e.
func eventArgs(e *server.Event, day string) []any {
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
	return []any{e.Partner, e.ID, string(e.Type), e.At.UnixMicro(), e.ReceivedAt.UnixMicro(), day,
		e.Widget, e.View, e.Locale, e.ContentVersion, e.Page.Origin, e.Page.Path,
		e.UTM.Source, e.UTM.Medium, e.UTM.Campaign, e.UTM.Term, e.UTM.Content,
		d.Question, d.Option, index, string(d.Outcome), margin, d.FAQ, shared, undecided, d.CTA,
		visitor, e.Test, e.Bot}
}
