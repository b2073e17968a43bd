package server_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
)

// BenchmarkIngest posts batches of 1 and 20 events to a real server on a
// real SQLite file over loopback HTTP, from as many goroutines as
// GOMAXPROCS x 8, so group commits form as they would under load.
//
//	go test -run '^$' -bench Ingest -benchtime 5s ./server
func BenchmarkIngest(b *testing.B) {
	for _, n := range []int{1, 20} {
		b.Run(fmt.Sprintf("events=%d", n), func(b *testing.B) {
			t := &testing.T{}
			e := newIngestEnv(t, nil)
			defer e.http.Close()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
			var failed atomic.Int64
			b.SetParallelism(8)
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				at := time.Now().UTC().Format(time.RFC3339Nano)
				for pb.Next() {
					evs := make([]string, n)
					for i := range evs {
						evs[i] = fmt.Sprintf(`{"id":%q,"type":"widget_viewed","at":%q}`, uuid.Must(uuid.NewV7()).String(), at)
					}
					req, _ := http.NewRequest("POST", e.http.URL+"/api/v1/events", strings.NewReader(batchBody("acme", partnerPage, evs...)))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Origin", testOrigin)
					req.Header.Set("User-Agent", "Mozilla/5.0 Chrome/131.0")
					res, err := client.Do(req)
					if err != nil || res.StatusCode != 202 {
						failed.Add(1)
					}
					if res != nil {
						// Read to the end, or the client would not reuse
						// the connection and the bench would measure dials.
						io.Copy(io.Discard, res.Body)
						res.Body.Close()
					}
				}
			})
			b.ReportMetric(float64(b.N*n)/time.Since(start).Seconds(), "events/s")
			if failed.Load() > 0 {
				b.Errorf("%d requests failed", failed.Load())
			}
		})
	}
}
