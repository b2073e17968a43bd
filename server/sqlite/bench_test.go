package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ehforge/forgefit/server"
	"github.com/ehforge/forgefit/widget/event"
)

// BenchmarkWrite measures group commits on a real file with durable
// commits: 64 requests' batches a commit, of 1 and of 20 events, the two
// request sizes of the ingest benchmark, and 31 single-event batches, a
// group as make bench's 32 connections form it (a count that is no sum
// of a few chunk sizes). It reports events/s and the commit latency.
//
//	go test -run '^$' -bench Write -benchtime 200x ./server/sqlite
func BenchmarkWrite(b *testing.B) {
	for _, c := range []struct{ perBatch, batchesPerCommit int }{{1, 64}, {20, 64}, {1, 31}} {
		perBatch, batchesPerCommit := c.perBatch, c.batchesPerCommit
		b.Run(fmt.Sprintf("events=%d/batches=%d", perBatch, batchesPerCommit), func(b *testing.B) {
			s, err := Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
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
							Partner: "demo", Widget: "co-managed-vs-fully-managed",
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
