package store

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/ehforge/forgefit/widget/event"
)

// WritePlan is the part of a Write that every engine does alike, around
// its SQL: it drops the events repeated within the call, says which
// visitors the call may count, and, once the engine has stored the rest
// and knows which of them and which visitors it had before, fills the
// receipts and counts the figures. An engine's Write then only runs SQL:
//
//	p := store.PlanWrite(batches)
//	// store p.Rows, learning which were new;
//	// look up which of p.Visitors have a counted event on their day
//	counted := p.Count(rollups, stored, seen)
//	// add rollups and counted to the stored figures; return p.Receipts
type WritePlan struct {
	Batches []Batch
	// Receipts are the batches' receipts, in order: Count completes them.
	Receipts []Receipt
	// Rows are the events to store, each partner's event id once, in the
	// order given: a repeat within the call is a duplicate already and
	// never reaches SQL.
	Rows []Row
	// Visitors are the visitors of the batches with events to store that
	// a counted event may count (see Batch.VisitorDay), sorted, once each.
	Visitors []VisitorDay

	firstRow []int // per batch, the index of its first row in Rows
}

// Row is event Index of batch number Batch of a WritePlan.
type Row struct{ Batch, Index int }

// VisitorDay is one visitor of one partner's widget on one UTC day: what a
// daily unique visitor is counted by.
type VisitorDay struct {
	Partner, Widget string
	Day             time.Time
	Visitor         string // the visitor hash's bytes
}

// Compare orders visitor days by partner, widget, day and visitor.
func (v VisitorDay) Compare(o VisitorDay) int {
	return cmp.Or(strings.Compare(v.Partner, o.Partner), strings.Compare(v.Widget, o.Widget),
		v.Day.Compare(o.Day), strings.Compare(v.Visitor, o.Visitor))
}

// RollupKey returns the key of the rollup v is counted in.
func (v VisitorDay) RollupKey() RollupKey {
	return RollupKey{Day: v.Day, Partner: v.Partner, Widget: v.Widget}
}

// VisitorDay returns the visitor b's counted events count, if any: none
// without a visitor hash, and none for test or bot traffic, which is left
// out of the figures.
func (b *Batch) VisitorDay() (VisitorDay, bool) {
	if b.Visitor == nil || b.Test || b.Bot {
		return VisitorDay{}, false
	}
	return VisitorDay{b.Partner, b.Widget, Day(b.ReceivedAt), string(b.Visitor)}, true
}

// PlanWrite plans a Write of batches.
func PlanWrite(batches []Batch) *WritePlan {
	p := &WritePlan{Batches: batches, Receipts: make([]Receipt, len(batches)), firstRow: make([]int, len(batches)+1)}
	type key struct{ partner, id string }
	inCall := map[key]bool{}
	for i := range batches {
		b := &batches[i]
		p.firstRow[i] = len(p.Rows)
		for j := range b.Events {
			k := key{b.Partner, b.Events[j].ID}
			if inCall[k] {
				p.Receipts[i].Duplicates++
				continue
			}
			inCall[k] = true
			p.Rows = append(p.Rows, Row{i, j})
		}
		if v, ok := b.VisitorDay(); ok && len(p.Rows) > p.firstRow[i] {
			p.Visitors = append(p.Visitors, v)
		}
	}
	p.firstRow[len(batches)] = len(p.Rows)
	slices.SortFunc(p.Visitors, VisitorDay.Compare)
	p.Visitors = slices.CompactFunc(p.Visitors, func(a, b VisitorDay) bool { return a.Compare(b) == 0 })
	return p
}

// Event returns row r's wire event.
func (p *WritePlan) Event(r Row) *event.Event { return &p.Batches[r.Batch].Events[r.Index] }

// Partner returns the partner of row r's event.
func (p *WritePlan) Partner(r Row) string { return p.Batches[r.Batch].Partner }

// Record returns row r's event as the store keeps it (Batch.Record).
func (p *WritePlan) Record(r Row) Event { return p.Batches[r.Batch].Record(r.Index) }

// Count completes the receipts and counts, into rollups (adding the
// rollups it lacks), the events this call stored: stored(i) reports
// whether the engine stored Rows[i] (false: an earlier write had), seen(v)
// whether visitor v had a counted event stored on its day before this
// call. Batch by batch in the order given, an event stored counts once
// (left out or not: rollups count both) and a visitor counts once a day,
// with the first batch that stores a counted event of theirs. Count
// returns those visitors, counted for the first time on their day.
func (p *WritePlan) Count(rollups map[RollupKey]*Rollup, stored func(i int) bool, seen func(VisitorDay) bool) []VisitorDay {
	var fresh []VisitorDay
	counted := map[VisitorDay]bool{}
	for b := range p.Batches {
		n := 0
		for i := p.firstRow[b]; i < p.firstRow[b+1]; i++ {
			if !stored(i) {
				p.Receipts[b].Duplicates++
				continue
			}
			p.Receipts[b].Accepted++
			e := p.Record(p.Rows[i])
			e.AddTo(rollups)
			if e.Counted() {
				n++
			}
		}
		v, ok := p.Batches[b].VisitorDay()
		if n == 0 || !ok || counted[v] || seen(v) {
			continue
		}
		counted[v] = true
		fresh = append(fresh, v)
		rollups[v.RollupKey()].Visitors++
	}
	return fresh
}
