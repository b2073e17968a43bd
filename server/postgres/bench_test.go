package postgres

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ehforge/forgefit/server"
	"github.com/ehforge/forgefit/server/postgres/pgtest"
	"github.com/ehforge/forgefit/widget/event"
)

// BenchmarkWrite measures group commits on the throwaway server, with
// durable commits (fsync and synchronous_commit on, PostgreSQL's
// defaults): 64 requests' batches a commit, of 1 and of 20 events, as the
// SQLite engine's BenchmarkWrite does, so make bench can print both. It
// reports events/s and the commit latency.
//
//	go test -run '^$' -bench Write -benchtime 200x ./server/postgres
func BenchmarkWrite(b *testing.B) {
	const batchesPerCommit = 64
	for _, perBatch := range []int{1, 20} {
		b.Run(fmt.Sprintf("events=%d/batches=%d", perBatch, batchesPerCommit), func(b *testing.B) {
			s, err := Open(context.Background(), pgtest.NewDatabase(b))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			now := time.Now()
			group := func() []server.Batch {
				batches := make([]server.Batch, batchesPerCommit)
				for i := range batches {
					bt := server.Batch{
						Batch: event.Batch{
							Partner: fmt.Sprintf("partner-%d", i%50), Widget: "co-managed-vs-fully-managed",
							View: uuid.Must(uuid.NewV7()).String(), Locale: "en", ContentVersion: "a1b2c3d4e5f6",
							Page: event.Page{Origin: "https://www.acme.example", Path: "/it-services"},
							UTM:  event.UTM{Source: "newsletter", Medium: "email", Campaign: "q4"},
						},
						ReceivedAt: now,
						Visitor:    []byte(uuid.Must(uuid.NewV7()).String()[:16]),
					}
					for j := range perBatch {
						e := event.Event{ID: uuid.Must(uuid.NewV7()).String(), Type: event.WidgetViewed, At: now}
						if j > 0 {
							q := j % 5
							e.Type, e.Data = event.QuestionAnswered,
								event.Data{Question: fmt.Sprintf("q%d", q), Option: "a", Index: &q}
						}
						bt.Events = append(bt.Events, e)
					}
					batches[i] = bt
				}
				return batches
			}
			groups := make([][]server.Batch, b.N)
			for i := range groups {
				groups[i] = group()
			}
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				if _, err := s.Write(context.Background(), groups[i]); err != nil {
					b.Fatal(err)
				}
			}
			elapsed := time.Since(start)
			b.ReportMetric(float64(b.N*batchesPerCommit*perBatch)/elapsed.Seconds(), "events/s")
			b.ReportMetric(float64(elapsed.Microseconds())/float64(b.N)/1000, "ms/commit")
		})
	}
}
