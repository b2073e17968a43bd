package postgres

import (
	"cmp"
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ehforge/forgefit/store"
)

// Write stores the batches of many requests in one transaction: the group
// commit. An event is stored if its partner and id are new; the rollups
// grow by exactly the events this call stored, in the same transaction, so
// figures and raw events never disagree and a retry is never counted
// twice, whichever server it reaches.
//
// Several servers write at once, so a write is careful about three things:
//
//   - Duplicates: INSERT … ON CONFLICT DO NOTHING RETURNING says which
//     events are new. Two transactions inserting the same event id race on
//     the unique index: the second waits for the first and then finds the
//     row, so exactly one of them rolls it up.
//   - Rollups: counts are added with INSERT … ON CONFLICT DO UPDATE SET
//     n = rollups.n + EXCLUDED.n, which adds to the latest committed value
//     under a row lock; concurrent increments queue, none is lost.
//   - Daily unique visitors: "has this visitor a counted event today?" is a
//     read, and two servers storing one visitor's first events of the day
//     at once would both read "no" and both count the visitor. So a write
//     first takes a transaction advisory lock on each (partner, widget,
//     day, visitor) it brings, and only then asks. The second writer
//     waits on the lock until the first commits; READ COMMITTED gives its
//     next statement a snapshot taken after that commit, so it sees the
//     first writer's events and does not count the visitor again. (The
//     lock keys are a 64-bit hash: a collision only makes two writers wait
//     for each other.) Visitor hashes agree across servers only if they
//     share the daily salt: see store.VisitorSalts.
//
// Locks are taken in one fixed order: visitor locks, then event ids, then
// rollup days, then rollup counts, each sorted. A writer only ever waits
// for a lock of its current kind, held by a writer at the same stage or a
// later one, so writers can queue but never deadlock.
func (s *Store) Write(ctx context.Context, batches []store.Batch) ([]store.Receipt, error) {
	p := store.PlanWrite(batches)
	if len(p.Rows) == 0 {
		return p.Receipts, nil
	}
	type stored struct{ partner, id string }
	rows := make([]*store.Event, len(p.Rows))
	for i, r := range p.Rows {
		e := p.Record(r)
		rows[i] = &e
	}
	sorted := slices.Clone(rows)
	slices.SortFunc(sorted, func(a, b *store.Event) int {
		return cmp.Or(strings.Compare(a.Partner, b.Partner), strings.Compare(a.ID, b.ID))
	})
	visitors := p.Visitors // sorted, once each

	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("beginning a write: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))

	// One round trip: lock the visitors, ask which were seen before this
	// call, store the events.
	var q pgx.Batch
	if len(visitors) > 0 {
		q.Queue(lockVisitors, visitorLocks(visitors)...)
		q.Queue(visitorsSeen, visitorColumns(visitors)...)
	}
	q.Queue(insertEvents, eventColumns(sorted)...)
	res := tx.SendBatch(ctx, &q)
	seenBefore := map[store.VisitorDay]bool{}
	if len(visitors) > 0 {
		if _, err := res.Exec(); err != nil {
			res.Close()
			return nil, fmt.Errorf("locking visitors: %w", err)
		}
		seen, err := res.Query()
		if err == nil {
			var n []int64
			n, err = pgx.CollectRows(seen, pgx.RowTo[int64])
			for _, i := range n {
				seenBefore[visitors[i-1]] = true
			}
		}
		if err != nil {
			res.Close()
			return nil, fmt.Errorf("looking up visitors: %w", err)
		}
	}
	inserted := map[stored]bool{}
	ins, err := res.Query()
	if err == nil {
		var keys []stored
		keys, err = pgx.CollectRows(ins, func(r pgx.CollectableRow) (stored, error) {
			var k stored
			return k, r.Scan(&k.partner, &k.id)
		})
		for _, k := range keys {
			inserted[k] = true
		}
	}
	if cerr := res.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("storing %d events: %w", len(rows), err)
	}

	rollups := map[store.RollupKey]*store.Rollup{}
	p.Count(rollups,
		func(i int) bool { return inserted[stored{rows[i].Partner, rows[i].ID}] },
		func(v store.VisitorDay) bool { return seenBefore[v] })
	if err := addRollups(ctx, tx, rollups); err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("committing %d batches: %w", len(batches), err)
	}
	return p.Receipts, nil
}

// visitorLock returns v's advisory lock key: a hash of v in two halves, since the
// two-integer form of advisory locks never meets the migration lock.
func visitorLock(v store.VisitorDay) [2]int32 {
	h := fnv.New64a()
	for _, s := range []string{v.Partner, v.Widget, v.Day.Format(time.DateOnly), v.Visitor} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	k := h.Sum64()
	return [2]int32{int32(k >> 32), int32(k)}
}

const lockVisitors = `SELECT count(pg_advisory_xact_lock(k1, k2)) FROM unnest($1::int4[], $2::int4[]) AS k (k1, k2)`

// visitorLocks returns the lock keys of visitors, sorted, once each: the
// order every writer takes them in.
func visitorLocks(visitors []store.VisitorDay) []any {
	keys := make([][2]int32, len(visitors))
	for i, v := range visitors {
		keys[i] = visitorLock(v)
	}
	slices.SortFunc(keys, func(a, b [2]int32) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) })
	keys = slices.Compact(keys)
	k1, k2 := make([]int32, len(keys)), make([]int32, len(keys))
	for i, k := range keys {
		k1[i], k2[i] = k[0], k[1]
	}
	return []any{k1, k2}
}

// visitorsSeen returns the (1-based) positions of the visitors that have a
// counted event stored on their day. The LATERAL … LIMIT 1 keeps the
// planner on one index probe per visitor: given the whole array, it would
// rather hash-join against a scan of the day's events.
const visitorsSeen = `SELECT v.i FROM unnest($1::text[], $2::text[], $3::date[], $4::bytea[])
	WITH ORDINALITY AS v (partner, widget, day, visitor, i)
	CROSS JOIN LATERAL (SELECT 1 FROM events e WHERE e.partner = v.partner AND e.widget = v.widget
		AND e.day = v.day AND e.visitor = v.visitor AND e.visitor IS NOT NULL AND NOT e.test AND NOT e.bot
		LIMIT 1) AS seen`

func visitorColumns(visitors []store.VisitorDay) []any {
	n := len(visitors)
	partners, widgets, days, hashes := make([]string, n), make([]string, n), make([]time.Time, n), make([][]byte, n)
	for i, v := range visitors {
		partners[i], widgets[i], days[i], hashes[i] = v.Partner, v.Widget, v.Day, []byte(v.Visitor)
	}
	return []any{partners, widgets, days, hashes}
}

const insertEvents = `INSERT INTO events (partner, event_id, type, at, received_at, day, widget, view,
	locale, content_version, page_origin, page_path, utm_source, utm_medium, utm_campaign,
	utm_term, utm_content, question_id, option_id, question_index, outcome, margin, faq_id,
	shared, undecided, cta_id, visitor, test, bot)
SELECT partner, event_id, type, at, received_at, day, widget, view,
	locale, content_version, page_origin, page_path, utm_source, utm_medium, utm_campaign,
	utm_term, utm_content, question_id, option_id, question_index, outcome, margin, faq_id,
	string_to_array(shared, ','), string_to_array(undecided, ','), cta_id, visitor, test, bot
FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::date[],
	$7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[],
	$14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::text[], $20::int4[],
	$21::text[], $22::float8[], $23::text[], $24::text[], $25::text[], $26::text[], $27::bytea[],
	$28::bool[], $29::bool[])
	AS e (partner, event_id, type, at, received_at, day, widget, view,
	locale, content_version, page_origin, page_path, utm_source, utm_medium, utm_campaign,
	utm_term, utm_content, question_id, option_id, question_index, outcome, margin, faq_id,
	shared, undecided, cta_id, visitor, test, bot)
ON CONFLICT (partner, event_id) DO NOTHING
RETURNING partner, event_id`

// eventColumns returns insertEvents' arguments for rows: one array per
// column. Lists travel comma-joined (ids never hold a comma), since SQL
// arrays of arrays cannot be ragged; NULL stays an absent list and the
// empty string becomes an empty one.
func eventColumns(rows []*store.Event) []any {
	n := len(rows)
	text := func() []string { return make([]string, n) }
	partner, id, typ, day := text(), text(), text(), make([]time.Time, n)
	at, received := make([]time.Time, n), make([]time.Time, n)
	widget, view, locale, version, origin, path := text(), text(), text(), text(), text(), text()
	source, medium, campaign, term, content := text(), text(), text(), text(), text()
	question, option, outcome, faq, cta := text(), text(), text(), text(), text()
	index, margin := make([]*int32, n), make([]*float64, n)
	shared, undecided := make([]*string, n), make([]*string, n)
	visitor := make([][]byte, n)
	test, bot := make([]bool, n), make([]bool, n)
	for i, e := range rows {
		d := &e.Data
		partner[i], id[i], typ[i] = e.Partner, e.ID, string(e.Type)
		at[i], received[i], day[i] = e.At, e.ReceivedAt, e.Day
		widget[i], view[i], locale[i], version[i] = e.Widget, e.View, e.Locale, e.ContentVersion
		origin[i], path[i] = e.Page.Origin, e.Page.Path
		source[i], medium[i], campaign[i], term[i], content[i] = e.UTM.Source, e.UTM.Medium, e.UTM.Campaign, e.UTM.Term, e.UTM.Content
		question[i], option[i], outcome[i], faq[i], cta[i] = d.Question, d.Option, string(d.Outcome), d.FAQ, d.CTA
		if d.Index != nil {
			x := int32(*d.Index)
			index[i] = &x
		}
		margin[i] = d.Margin
		shared[i], undecided[i] = joined(d.Shared), joined(d.Undecided)
		visitor[i] = e.Visitor
		test[i], bot[i] = e.Test, e.Bot
	}
	return []any{partner, id, typ, at, received, day, widget, view, locale, version, origin, path,
		source, medium, campaign, term, content, question, option, index, outcome, margin, faq,
		shared, undecided, cta, visitor, test, bot}
}

func joined(ids []string) *string {
	if ids == nil {
		return nil
	}
	s := strings.Join(ids, ",")
	return &s
}

const (
	upsertDays = `INSERT INTO rollup_days (partner, widget, day, newest)
	SELECT * FROM unnest($1::text[], $2::text[], $3::date[], $4::timestamptz[])
	ON CONFLICT (partner, widget, day) DO UPDATE SET newest = GREATEST(rollup_days.newest, EXCLUDED.newest)`

	upsertCounts = `INSERT INTO rollups (partner, widget, day, metric, key, n)
	SELECT * FROM unnest($1::text[], $2::text[], $3::date[], $4::text[], $5::text[], $6::int8[])
	ON CONFLICT (partner, widget, day, metric, key) DO UPDATE SET n = rollups.n + EXCLUDED.n`
)

// addRollups adds this call's figures to the stored rollups, in key
// order.
func addRollups(ctx context.Context, tx pgx.Tx, rollups map[store.RollupKey]*store.Rollup) error {
	if len(rollups) == 0 {
		return nil
	}
	keys := make([]store.RollupKey, 0, len(rollups))
	for k := range rollups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b store.RollupKey) int {
		return cmp.Or(strings.Compare(a.Partner, b.Partner), strings.Compare(a.Widget, b.Widget), a.Day.Compare(b.Day))
	})
	var dPartner, dWidget []string
	var dDay, dNewest []time.Time
	type count struct {
		k store.RollupKey
		c store.Count
	}
	var counts []count
	for _, k := range keys {
		r := rollups[k]
		dPartner, dWidget, dDay, dNewest = append(dPartner, k.Partner), append(dWidget, k.Widget), append(dDay, k.Day), append(dNewest, r.Newest)
		cs := r.Counts()
		slices.SortFunc(cs, func(a, b store.Count) int {
			return cmp.Or(strings.Compare(a.Metric, b.Metric), strings.Compare(a.Key, b.Key))
		})
		for _, c := range cs {
			counts = append(counts, count{k, c})
		}
	}
	n := len(counts)
	cPartner, cWidget, cDay := make([]string, n), make([]string, n), make([]time.Time, n)
	cMetric, cKey, cN := make([]string, n), make([]string, n), make([]int64, n)
	for i, c := range counts {
		cPartner[i], cWidget[i], cDay[i] = c.k.Partner, c.k.Widget, c.k.Day
		cMetric[i], cKey[i], cN[i] = c.c.Metric, c.c.Key, c.c.N
	}
	var q pgx.Batch
	q.Queue(upsertDays, dPartner, dWidget, dDay, dNewest)
	q.Queue(upsertCounts, cPartner, cWidget, cDay, cMetric, cKey, cN)
	if err := tx.SendBatch(ctx, &q).Close(); err != nil {
		return fmt.Errorf("adding to rollups: %w", err)
	}
	return nil
}
