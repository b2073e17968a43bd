package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/ehforge/forgefit/store"
	"github.com/ehforge/forgefit/widget/event"
)

// Rollups returns the daily rollups q selects, read from the rollup tables
// only, once the figures waiting in memory are written (see rollup.go).
func (s *Store) Rollups(ctx context.Context, q store.RollupQuery) ([]store.Rollup, error) {
	if err := s.catchUpRollups(ctx); err != nil {
		return nil, err
	}
	// The filters apply to rollup_days (d), which has an index by day for
	// queries across partners; rollups are then found by primary key.
	where := ` WHERE d.day >= ? AND d.day <= ?`
	args := []any{store.Day(q.From).Format(time.DateOnly), store.Day(q.To).Format(time.DateOnly)}
	if q.Partner != "" {
		where += ` AND d.partner = ?`
		args = append(args, q.Partner)
	}
	if q.Widget != "" {
		where += ` AND d.widget = ?`
		args = append(args, q.Widget)
	}
	// Both reads in one read transaction: WAL gives it one snapshot, so a
	// write committing in between cannot show counts whose day row the
	// first read did not see.
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var set store.RollupSet
	err = query(ctx, tx, `SELECT partner, widget, day, newest FROM rollup_days d`+where, args, func(rows *sql.Rows) error {
		var k store.RollupKey
		var day string
		var newest int64
		if err := rows.Scan(&k.Partner, &k.Widget, &day, &newest); err != nil {
			return err
		}
		d, err := time.Parse(time.DateOnly, day)
		if err != nil {
			return err
		}
		k.Day = d
		var t time.Time // 0: only events left out (see newestMicros)
		if newest != 0 {
			t = time.UnixMicro(newest)
		}
		set.AddDay(k, t)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = query(ctx, tx, `SELECT r.partner, r.widget, r.day, r.metric, r.key, r.n FROM rollup_days d
		JOIN rollups r ON r.partner = d.partner AND r.widget = d.widget AND r.day = d.day`+where, args, func(rows *sql.Rows) error {
		var k store.RollupKey
		var day string
		var c store.Count
		if err := rows.Scan(&k.Partner, &k.Widget, &day, &c.Metric, &c.Key, &c.N); err != nil {
			return err
		}
		d, err := time.Parse(time.DateOnly, day)
		if err != nil {
			return err
		}
		k.Day = d
		return set.AddCount(k, c)
	})
	if err != nil {
		return nil, err
	}
	return set.Sorted(), nil
}

// Events returns stored events in the order they were stored.
func (s *Store) Events(ctx context.Context, q store.EventQuery) ([]store.Event, error) {
	return readEvents(ctx, s.r, q)
}

// readEvents reads the events q selects through db: a reader, or the
// writer's transaction when it recounts rollups.
func readEvents(ctx context.Context, db querier, q store.EventQuery) ([]store.Event, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 1000
	}
	// Each event row has its batch's context joined back, looked up by
	// primary key, in seq order.
	q2 := `SELECT e.seq, e.partner, e.event_id, e.type, e.at, b.received_at, b.day, b.widget, b.view,
		b.locale, b.content_version, b.page_origin, b.page_path, b.utm_source, b.utm_medium,
		b.utm_campaign, b.utm_term, b.utm_content, e.question_id, e.option_id, e.question_index,
		e.outcome, e.margin, e.faq_id, e.shared, e.undecided, e.cta_id, b.visitor, b.test, b.bot
		FROM events e JOIN batches b ON b.id = e.batch WHERE e.seq > ?`
	args := []any{q.After}
	if q.Partner != "" {
		q2 += ` AND e.partner = ?`
		args = append(args, q.Partner)
	}
	q2 += ` ORDER BY e.seq LIMIT ?`
	args = append(args, limit)
	var out []store.Event
	err := query(ctx, db, q2, args, func(rows *sql.Rows) error {
		var e store.Event
		var typ, outcome, day string
		var at, received int64
		var index sql.NullInt64
		var margin sql.NullFloat64
		var shared, undecided sql.NullString
		var id []byte
		d := &e.Data
		if err := rows.Scan(&e.Seq, &e.Partner, &id, &typ, &at, &received, &day, &e.Widget, &e.View,
			&e.Locale, &e.ContentVersion, &e.Page.Origin, &e.Page.Path, &e.UTM.Source, &e.UTM.Medium,
			&e.UTM.Campaign, &e.UTM.Term, &e.UTM.Content, &d.Question, &d.Option, &index, &outcome,
			&margin, &d.FAQ, &shared, &undecided, &d.CTA, &e.Visitor, &e.Test, &e.Bot); err != nil {
			return err
		}
		e.Type, d.Outcome = event.Type(typ), event.Outcome(outcome)
		e.At, e.ReceivedAt = time.UnixMicro(at).UTC(), time.UnixMicro(received).UTC()
		var err error
		if e.ID, err = idText(id); err != nil {
			return err
		}
		if e.Day, err = time.Parse(time.DateOnly, day); err != nil {
			return err
		}
		if index.Valid {
			i := int(index.Int64)
			d.Index = &i
		}
		if margin.Valid {
			d.Margin = &margin.Float64
		}
		d.Shared, d.Undecided = list(shared), list(undecided)
		out = append(out, e)
		return nil
	})
	return out, err
}

// list decodes a comma-separated list of ids; NULL is an absent list.
func list(s sql.NullString) []string {
	switch {
	case !s.Valid:
		return nil
	case s.String == "":
		return []string{}
	}
	return strings.Split(s.String, ",")
}

// querier is a pool or a transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// query runs a read and calls scan for each row.
func query(ctx context.Context, q querier, text string, args []any, scan func(*sql.Rows) error) error {
	rows, err := q.QueryContext(ctx, text, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
