package postgres

import (
	"context"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ehforge/forgefit/store"
	"github.com/ehforge/forgefit/widget/event"
)

// Rollups returns the daily rollups q selects, read from the rollup tables
// only.
func (s *Store) Rollups(ctx context.Context, q store.RollupQuery) ([]store.Rollup, error) {
	where := ` WHERE day >= $1 AND day <= $2`
	args := []any{store.Day(q.From), store.Day(q.To)}
	if q.Partner != "" {
		args = append(args, q.Partner)
		where += ` AND partner = $` + strconv.Itoa(len(args))
	}
	if q.Widget != "" {
		args = append(args, q.Widget)
		where += ` AND widget = $` + strconv.Itoa(len(args))
	}
	// Both reads in one snapshot, so a write committing in between cannot
	// show counts without their day or the other way round.
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var set store.RollupSet
	rows, _ := tx.Query(ctx, `SELECT partner, widget, day, newest FROM rollup_days`+where, args...)
	var k store.RollupKey
	var newest time.Time
	_, err = pgx.ForEachRow(rows, []any{&k.Partner, &k.Widget, &k.Day, &newest}, func() error {
		k.Day = k.Day.UTC()
		set.AddDay(k, newest)
		return nil
	})
	if err != nil {
		return nil, err
	}
	rows, _ = tx.Query(ctx, `SELECT partner, widget, day, metric, key, n FROM rollups`+where, args...)
	var c store.Count
	_, err = pgx.ForEachRow(rows, []any{&k.Partner, &k.Widget, &k.Day, &c.Metric, &c.Key, &c.N}, func() error {
		k.Day = k.Day.UTC()
		return set.AddCount(k, c)
	})
	if err != nil {
		return nil, err
	}
	return set.Sorted(), nil
}

// Events returns stored events in the order of their seq. Several writers
// draw seq numbers at once, so a reader paging while they write may see a
// later seq commit before an earlier one: page through a quiet database
// (tests, checks, exports of past days).
func (s *Store) Events(ctx context.Context, q store.EventQuery) ([]store.Event, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 1000
	}
	query := `SELECT seq, partner, event_id, type, at, received_at, day, widget, view, locale,
		content_version, page_origin, page_path, utm_source, utm_medium, utm_campaign, utm_term,
		utm_content, question_id, option_id, question_index, outcome, margin, faq_id, shared,
		undecided, cta_id, visitor, test, bot FROM events WHERE seq > $1`
	args := []any{q.After}
	if q.Partner != "" {
		args = append(args, q.Partner)
		query += ` AND partner = $` + strconv.Itoa(len(args))
	}
	args = append(args, limit)
	query += ` ORDER BY seq LIMIT $` + strconv.Itoa(len(args))
	rows, _ := s.pool.Query(ctx, query, args...)
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Event, error) {
		var e store.Event
		var typ, outcome string
		var index *int32
		d := &e.Data
		if err := row.Scan(&e.Seq, &e.Partner, &e.ID, &typ, &e.At, &e.ReceivedAt, &e.Day, &e.Widget, &e.View,
			&e.Locale, &e.ContentVersion, &e.Page.Origin, &e.Page.Path, &e.UTM.Source, &e.UTM.Medium,
			&e.UTM.Campaign, &e.UTM.Term, &e.UTM.Content, &d.Question, &d.Option, &index, &outcome,
			&d.Margin, &d.FAQ, &d.Shared, &d.Undecided, &d.CTA, &e.Visitor, &e.Test, &e.Bot); err != nil {
			return e, err
		}
		e.Type, d.Outcome = event.Type(typ), event.Outcome(outcome)
		e.At, e.ReceivedAt, e.Day = e.At.UTC(), e.ReceivedAt.UTC(), e.Day.UTC()
		if index != nil {
			i := int(*index)
			d.Index = &i
		}
		return e, nil
	})
}
