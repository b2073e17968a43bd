// Command seed fills an SQLite store with a realistic year of traffic for
// the stats benchmark: by default 10 million events over 400 days across 50
// partners, written through the store (group commits), not over HTTP. The
// result is cached: a marker file beside the database records the schema
// version and the parameters, and a database that matches is kept.
//
//	go run ./e2e/bench/seed -db bin/bench/stats.db
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/ehforge/forgefit/store/sqlite"
	"github.com/ehforge/forgefit/widget/content"
	"github.com/ehforge/forgefit/widget/event"
	"github.com/google/uuid"

	"github.com/ehforge/forgefit/store"
)

func main() {
	db := flag.String("db", "bin/bench/stats.db", "SQLite file to seed")
	total := flag.Int("events", 10_000_000, "events to write")
	days := flag.Int("days", 400, "days the events spread over, ending today (UTC)")
	partners := flag.Int("partners", 50, "partners")
	flag.Parse()
	if err := seed(*db, *total, *days, *partners); err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		os.Exit(1)
	}
}

// PartnerID names the i-th seeded partner; the bench registers the same.
func partnerID(i int) string { return fmt.Sprintf("p%02d", i) }

func seed(path string, total, days, partners int) error {
	marker := fmt.Sprintf("schema %d, %d events, %d days, %d partners\n", sqlite.SchemaVersion, total, days, partners)
	if b, err := os.ReadFile(path + ".seeded"); err == nil && string(b) == marker {
		if _, err := os.Stat(path); err == nil {
			fmt.Printf("seed: %s is cached (%s)", path, marker)
			return nil
		}
	}
	for _, suffix := range []string{"", "-wal", "-shm", ".seeded", ".rate"} {
		os.Remove(path + suffix)
	}
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()
	lib, err := content.Default()
	if err != nil {
		return err
	}
	w, err := lib.Widget("co-managed-vs-fully-managed", "en")
	if err != nil {
		return err
	}
	g := &generator{w: w, rng: rand.New(rand.NewPCG(1, 2))}
	perDay := total / days / partners
	today := store.Day(time.Now())
	start := time.Now()
	written := 0
	var pending []store.Batch
	pendingEvents := 0
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		if _, err := db.Write(ctx, pending); err != nil {
			return err
		}
		written += pendingEvents
		pending, pendingEvents = pending[:0], 0
		return nil
	}
	for d := days - 1; d >= 0; d-- {
		day := today.AddDate(0, 0, -d)
		for p := range partners {
			for n := 0; n < perDay; {
				b := g.visit(partnerID(p), day)
				n += len(b.Events)
				pendingEvents += len(b.Events)
				pending = append(pending, b)
				if pendingEvents >= 5000 {
					if err := flush(); err != nil {
						return err
					}
				}
			}
		}
		if d%50 == 0 {
			el := time.Since(start)
			fmt.Printf("seed: %s done, %d events, %.0f events/s\n", day.Format(time.DateOnly), written, float64(written)/el.Seconds())
		}
	}
	if err := flush(); err != nil {
		return err
	}
	el := time.Since(start)
	rate := float64(written) / el.Seconds()
	fmt.Printf("seed: %d events in %s: %.0f events/s\n", written, el.Round(time.Second), rate)
	// The bench reports the seeding rate from this file, also when the
	// database is cached and was seeded by an earlier run.
	report := fmt.Sprintf("%d %.0f %.0f %s\n", written, rate, el.Seconds(), time.Now().UTC().Format(time.RFC3339))
	if err := os.WriteFile(path+".rate", []byte(report), 0o644); err != nil {
		return err
	}
	return os.WriteFile(path+".seeded", []byte(marker), 0o644)
}

// generator makes visits that look like real ones: most visitors only see
// the table, some take the quiz and drop off along the way, a few click
// through or fill in the worksheet.
type generator struct {
	w   *content.Widget
	rng *rand.Rand
}

var (
	pages    = []string{"/", "/it-services", "/managed-it", "/blog/co-managed-it", "/pricing"}
	sources  = []string{"", "", "newsletter", "linkedin", "google"}
	locales  = []string{"en", "en", "en", "de"}
	versions = []string{"a1b2c3", "d4e5f6"}
	outcomes = []event.Outcome{event.CoManaged, event.FullyManaged, event.Either}
)

func (g *generator) visit(partner string, day time.Time) store.Batch {
	r := g.rng
	at := day.Add(time.Duration(r.Int64N(int64(24 * time.Hour))))
	var evs []event.Event
	add := func(t event.Type, d event.Data) {
		evs = append(evs, event.Event{ID: uuid.Must(uuid.NewV7()).String(), Type: t, At: at, Data: d})
	}
	add(event.WidgetLoaded, event.Data{})
	if r.Float64() < 0.8 {
		add(event.WidgetViewed, event.Data{})
		if r.Float64() < 0.5 {
			add(event.QuizStarted, event.Data{})
			finished := true
			for i, q := range g.w.Fit.Questions {
				if r.Float64() < 0.08 {
					finished = false
					break
				}
				idx := i
				add(event.QuestionAnswered, event.Data{Question: q.ID, Option: q.Options[r.IntN(len(q.Options))].ID, Index: &idx})
			}
			if finished {
				o := outcomes[r.IntN(len(outcomes))]
				m := r.Float64()
				add(event.QuizCompleted, event.Data{Outcome: o, Margin: &m})
				add(event.RecommendationShown, event.Data{Outcome: o, Margin: &m})
				if r.Float64() < 0.2 {
					add(event.CTAClicked, event.Data{CTA: "contact", Outcome: o})
				}
			}
		}
		if r.Float64() < 0.1 {
			add(event.FAQOpened, event.Data{FAQ: g.w.FAQ.Entries[r.IntN(len(g.w.FAQ.Entries))].ID})
		}
		if r.Float64() < 0.08 {
			rs := g.w.Worksheet.Responsibilities
			add(event.WorksheetCompleted, event.Data{Shared: []string{rs[r.IntN(len(rs))].ID}, Undecided: []string{rs[r.IntN(len(rs))].ID}})
		}
	}
	visitor := make([]byte, 16)
	for i := range visitor {
		visitor[i] = byte(r.UintN(256))
	}
	return store.Batch{
		Batch: event.Batch{
			Partner: partner, Widget: g.w.ID, View: uuid.NewString(), Locale: locales[r.IntN(len(locales))],
			ContentVersion: versions[r.IntN(len(versions))],
			Page:           event.Page{Origin: "https://" + strings.ToLower(partner) + ".example", Path: pages[r.IntN(len(pages))]},
			UTM:            event.UTM{Source: sources[r.IntN(len(sources))]},
			Events:         evs,
		},
		ReceivedAt: at,
		Visitor:    visitor,
	}
}
