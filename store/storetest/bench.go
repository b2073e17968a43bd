package storetest

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ehforge/forgefit/store"
	"github.com/ehforge/forgefit/widget/event"
)

// BenchmarkWrite measures an engine's group commits with durable commits:
// 64 requests' batches a commit, of 1 and of 20 events (the two request
// sizes of the ingest benchmark), and 31 single-event batches, a group as
// make bench's 32 connections form it, from 50 partners and as many
// visitors as batches. The "one page" cases are make bench's own groups:
// every batch from one partner's page and one visitor, which leaves only
// the events' own cost. It reports events/s, the commit latency and the
// process's CPU time a commit (every thread, the kernel's part included:
// under load the writer's CPU, not its wait for the disk, is what the
// other requests compete with). Each
// engine runs it on a store open returns, so their figures compare.
func BenchmarkWrite(b *testing.B, open func(b *testing.B) store.Store) {
	for _, c := range []struct {
		perBatch, batchesPerCommit int
		onePage                    bool
	}{{1, 64, false}, {20, 64, false}, {1, 31, false}, {1, 8, true}, {1, 16, true}, {20, 16, true}} {
		name := fmt.Sprintf("events=%d/batches=%d", c.perBatch, c.batchesPerCommit)
		if c.onePage {
			name += "/one_page"
		}
		b.Run(name, func(b *testing.B) {
			s := open(b)
			defer s.Close()
			groups := make([][]store.Batch, b.N)
			for i := range groups {
				groups[i] = benchGroup(c.perBatch, c.batchesPerCommit, c.onePage, time.Now())
			}
			b.ResetTimer()
			cpu0 := processCPU()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				if _, err := s.Write(context.Background(), groups[i]); err != nil {
					b.Fatal(err)
				}
			}
			elapsed := time.Since(start)
			cpu := processCPU() - cpu0
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/commit")
			b.ReportMetric(float64(b.N*c.batchesPerCommit*c.perBatch)/elapsed.Seconds(), "events/s")
			b.ReportMetric(float64(elapsed.Microseconds())/float64(b.N)/1000, "ms/commit")
		})
	}
}

// benchGroup is one group commit's batches: a view, then answers; or,
// onePage, views of one page by one visitor, as make bench sends them.
func benchGroup(perBatch, batches int, onePage bool, now time.Time) []store.Batch {
	group := make([]store.Batch, batches)
	for i := range group {
		bt := store.Batch{
			Batch: event.Batch{
				Partner: fmt.Sprintf("partner-%d", i%50), Widget: "co-managed-vs-fully-managed",
				View: uuid.Must(uuid.NewV7()).String(), Locale: "en", ContentVersion: "a1b2c3d4e5f6",
				Page: event.Page{Origin: "https://www.acme.example", Path: "/it-services"},
				UTM:  event.UTM{Source: "newsletter", Medium: "email", Campaign: "q4"},
			},
			ReceivedAt: now,
			Visitor:    []byte(uuid.Must(uuid.NewV7()).String()[:16]),
		}
		if onePage {
			bt.Partner, bt.ContentVersion, bt.UTM = "bench", "", event.UTM{}
			bt.Visitor = []byte("one-visitor-hash")
		}
		for j := range perBatch {
			e := event.Event{ID: uuid.Must(uuid.NewV7()).String(), Type: event.WidgetViewed, At: now}
			if j > 0 && !onePage {
				q := j % 5
				e.Type, e.Data = event.QuestionAnswered, event.Data{Question: fmt.Sprintf("q%d", q), Option: "a", Index: &q}
			}
			bt.Events = append(bt.Events, e)
		}
		group[i] = bt
	}
	return group
}

// processCPU is the CPU time this process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
